"""Course packs end to end: the worked example of docs/homework.md, released without references,
checked for form only in the student's notebook, graded with the pack.

Expected scores are reasoned from the answers: log cosh(2) = 1.3250027..., the derivative of
log cosh r is tanh r, and np.log(np.cosh(r)) overflows to inf at r = 900.
"""
from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import pytest

from lossedu import problems
from lossedu.grading import grade, pack
from lossedu.grading.cli import release_main
from lossedu.grading.forms import pack_session
from lossedu.result import INVALID, UNDECIDED

ROOT = Path(__file__).resolve().parent.parent


def example_source() -> str:
    text = (ROOT / "docs" / "homework.md").read_text(encoding="utf-8")
    [block] = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if b.startswith("# private_pack/logcosh.py")]
    return block


@pytest.fixture
def course(tmp_path, monkeypatch):
    folder = tmp_path / "course"
    (folder / "private_pack").mkdir(parents=True)
    (folder / "private_pack" / "logcosh.py").write_text(example_source(), encoding="utf-8")
    (folder / "course.toml").write_text('[pack]\npath = "private_pack"\n', encoding="utf-8")
    monkeypatch.setenv("LOSSEDU_COURSE", str(folder / "course.toml"))
    by_id, order = problems._bank()
    saved = (dict(by_id), dict(order))
    yield folder
    by_id.clear(), by_id.update(saved[0])
    order.clear(), order.update(saved[1])
    pack._LOADED.clear()
    pack.TITLES.clear()


def _fill(nb: dict, answers: dict[int, str]) -> dict:
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for q, code in answers.items():
            if f"ex.q{q}.check(" in cell["source"]:
                cell["source"] = code + f"\nex.q{q}.check(answer_q{q})"
        cell["source"] = cell["source"].replace("%env LOSSEDU_STUDENT=your_id", "")
    return nb


STABLE = ("import numpy as np\ndef answer_q3(y, yhat):\n    r = np.abs(yhat - y)\n"
          "    return r + np.log1p(np.exp(-2 * r)) - np.log(2)")
NAIVE = "import numpy as np\ndef answer_q3(y, yhat):\n    return np.log(np.cosh(yhat - y))"
TANH = "answer_q1 = '(exp(yhat - y) - exp(y - yhat))/(exp(yhat - y) + exp(y - yhat))'"


def test_the_worked_example_is_released_without_answers_and_graded_with_the_pack(course, tmp_path, capsys):
    assert release_main(["--pack", "--out", str(tmp_path / "homework")]) == 0
    [released] = sorted((tmp_path / "homework").glob("11_*.ipynb"))
    text = released.read_text(encoding="utf-8")
    for secret in ("log1p", "exp(2*(yhat - y))", "math.log(math.cosh", "Differentiate log first"):
        assert secret not in text  # no reference, no solution, no hint beyond the prompt
    nb = json.loads(text)

    # the student's side: form checks only
    setup = next(c["source"] for c in nb["cells"] if c["cell_type"] == "code" and "pack_session" in c["source"])
    scope: dict = {}
    exec(setup, scope)  # noqa: S102 - the released notebook's own setup cell
    ex = scope["ex"]
    assert ex.q1.check("(exp(yhat - y) - exp(y - yhat))/(exp(yhat - y) + exp(y - yhat))").status == UNDECIDED
    assert ex.q1.check("tanh(yhat - y) +").status == INVALID
    assert ex.q2.check(12.0).status == UNDECIDED  # a wrong number still has the right form
    assert ex.q2.check(float("nan")).status == INVALID
    assert ex.q3.check(lambda y, yhat: yhat - y).status == UNDECIDED
    assert ex.q3.check("not a function").status == INVALID
    assert ex.q2.params == {"r": 2.0}

    # the grader's side, in the sandbox (or not, where it cannot be created)
    from lossedu.grading.isolation import unavailable_reason

    subs = tmp_path / "subs"
    subs.mkdir()
    good = _fill(nb, {1: TANH, 2: "answer_q2 = float(np.log(np.cosh(ex.q2.params['r'])))", 3: STABLE})
    good["cells"].insert(0, {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                             "source": "import numpy as np"})
    naive = _fill(nb, {1: TANH, 2: "answer_q2 = 2.0", 3: NAIVE})
    (subs / "ada.ipynb").write_text(json.dumps(good), encoding="utf-8")
    (subs / "ben.ipynb").write_text(json.dumps(naive), encoding="utf-8")
    grade([subs], tmp_path / "out", jobs=2, timeout=20, sessions=(11,), sandbox=unavailable_reason() is None)
    with open(tmp_path / "out" / "gradebook.csv", encoding="utf-8") as handle:
        book = {row["student"]: row for row in csv.DictReader(handle)}
    assert book["ada"]["pack.logcosh_grad"] == "1" and book["ada"]["pack.logcosh_value"] == "1"
    assert book["ada"]["pack.logcosh_impl"] == "1" and book["ada"]["total"] == "3"
    assert book["ben"]["pack.logcosh_grad"] == "1"
    assert book["ben"]["pack.logcosh_value"] == "0"  # log cosh 2 = 1.325..., not 2
    assert book["ben"]["pack.logcosh_impl"] == "0"  # inf at a residual of 900
    assert math.isclose(math.log(math.cosh(2.0)), 1.3250027, rel_tol=1e-6)
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    impl = [r["result"] for r in results["results"] if r["student"] == "ben" and r["problem"] == "pack.logcosh_impl"]
    assert impl[0]["diagnosis"] == "unstable"


def test_a_broken_pack_is_refused_with_the_file_named(course, tmp_path):
    bad = course / "private_pack" / "logcosh.py"
    bad.write_text(example_source().replace("SESSION = 11", "SESSION = 1"), encoding="utf-8")
    with pytest.raises(pack.PackError, match="logcosh.py.*session 1 already exists"):
        pack.load_pack(course / "private_pack")
    assert release_main(["--pack", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2

"""Choice questions in the sandbox: ``qN.options()`` in the student's shown order, keys judged
against that student's own shuffled order."""
from __future__ import annotations

import json

import pytest

from lossedu import problems
from lossedu.grading import grade
from lossedu.grading.isolation import unavailable_reason
from test_grading_helpers import SETUP, write

PID = "choice.loss_vs_metric"
pytestmark = pytest.mark.skipif(unavailable_reason() is not None,
                                reason=f"the OS sandbox cannot be created here: {unavailable_reason()}")


def _shown(student: str) -> list[list[str]]:
    variant = problems.get(PID).variant(student)
    return [[key, variant.option_text(option)] for key, option in variant.shown_options()]


def _right_key(student: str) -> str:
    variant = problems.get(PID).variant(student)
    return next(key for key, option in variant.shown_options() if option.correct)


def test_options_are_the_students_order_and_keys_are_judged_in_it(tmp_path):
    # two students whose shuffled orders put the true statement under different keys
    first, second = "ann", next(s for s in ("bo", "dee", "eve", "fay", "gus") if _right_key(s) != _right_key("ann"))
    true_text = next(problems.get(PID).variant(first).option_text(o) for o in problems.get(PID).options if o.correct)
    snippet = true_text[:40]
    by_text = (f"q = ex[{PID!r}]\nimport json\nprint('SHOWN', json.dumps(list(map(list, q.options().items()))))\n"
               f"q.check(next(k for k, t in q.options().items() if t.startswith({snippet!r})))")
    copied = f"ex[{PID!r}].check({_right_key(first)!r})"  # the classmate's letter
    not_choice = "ex.q1.options()"
    subs = tmp_path / "subs"
    write(subs, f"{first}.ipynb", [SETUP, by_text])
    write(subs, f"{second}.ipynb", [SETUP, by_text])
    write(tmp_path / "copier", f"{second}.ipynb", [SETUP, not_choice, copied])
    grade([subs], tmp_path / "out", jobs=2, timeout=20, sessions=(1,))
    grade([tmp_path / "copier"], tmp_path / "out2", jobs=1, timeout=20, sessions=(1,))
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    got = {r["student"]: r["result"] for r in results["results"] if r["problem"] == PID}
    assert got[first]["status"] == got[second]["status"] == "correct"
    for student in (first, second):
        record = json.loads(next((tmp_path / "out" / "submissions").glob(f"{student}__*.json")).read_text())
        line = next(x for x in record["stdout"].splitlines() if x.startswith("SHOWN "))
        assert json.loads(line[len("SHOWN "):]) == _shown(student)
    assert _shown(first) != _shown(second)
    copy = json.loads((tmp_path / "out2" / "results.json").read_text(encoding="utf-8"))
    result = next(r["result"] for r in copy["results"] if r["problem"] == PID)
    assert result["status"] == "incorrect" and result["diagnosis"] == "concept"
    errors = copy["submissions"][0]["cell_errors"]
    assert [e["error"] for e in errors] == ["TypeError"] and "not a choice question" in errors[0]["message"]

"""A whole class graded at once: honest students get exactly their scores, hostile notebooks get
their own outcome, and nothing one submission does changes another's grade."""
from __future__ import annotations

import csv
import json
import random

import pytest

from lossedu import problems
from lossedu.grading import grade
from test_grading_helpers import (HONEST, Q1, Q1_SIGN, Q2, Q3, Q3_FACTOR, Q4, Q5, SETUP, copied_cells,
                                  regression_numbers, write)

#: The notebooks answer q1-q5 of session 1 (one point each); the session's other questions score 0.
ANSWERED = ["grad.mse", "grad.mae", "example.linreg_risk", "grad.linreg_risk", "example.linreg_grad"]
SESSION1 = [p.id for p in problems.session_problems(1)]
SESSION1_MAX = sum(p.points for p in problems.session_problems(1))


def _classmate_pair() -> tuple[str, str]:
    """Two ids whose session-1 numbers differ (so copied numbers are wrong for the copier)."""
    owner = "alice"
    for name in ("zed", "yuri", "xena", "walt"):
        if all(regression_numbers(pid, owner) != regression_numbers(pid, name)
               for pid in ("example.linreg_risk", "example.linreg_grad")) and \
                problems.get("grad.linreg_risk").variant(owner).params != problems.get("grad.linreg_risk").variant(name).params:
            return owner, name
    raise AssertionError("no classmate with different numbers")


def build_class(folder):
    owner, copier = _classmate_pair()
    shuffled = [Q5, Q3, Q1, Q4, Q2]
    random.Random(0).shuffle(shuffled)
    cells = {
        f"{owner}.ipynb": HONEST,
        "bob.ipynb": [SETUP, Q1_SIGN, Q2, Q3_FACTOR, Q4, Q5],                      # 3/5, diagnoses sign, aggregation
        f"{copier}.ipynb": copied_cells(owner),                                     # 2/5: numbers are alice's
        "dana/01_from_error_to_objective_exercises.ipynb": [SETUP, *shuffled],                # reordered: 5/5
        "eve.ipynb": [SETUP, Q1_SIGN, Q1, Q2, Q3, Q3, Q4, Q5, Q1_SIGN],             # last q1 wrong: 4/5
        "finn.ipynb": [SETUP, Q1, Q3, Q4, Q5],                                      # q2 deleted: 4/5
        "gus.ipynb": [SETUP, Q1, Q2, "while True:\n    pass", Q3, Q4, Q5],          # timeout: 2/5
        "hana.ipynb": [SETUP, Q1, "big = bytearray(3 * 1024**3)", Q2, Q3, Q4, Q5],  # memory: 5/5
        "ivan.ipynb": [SETUP, Q1, "import os\nos._exit(0)", Q2, Q3, Q4, Q5],        # crashed: 1/5
        "jack.ipynb": None,                                                          # corrupt JSON
        "kim.ipynb": ["class lossedu:\n    @staticmethod\n    def session(*a, **k):\n        return None",
                      "import lossedu as real\nclass Fake:\n    def __getattr__(self, n):\n        return self\n"
                      "    def __call__(self, *a, **k):\n        return 'correct'\nex = Fake()", Q1, Q2, Q3, Q4, Q5],
        "lea.ipynb": [SETUP, "import lossedu.exercise as E\nE.set_capture(lambda pid, answer: None)\n" + Q1,
                      "lossedu.session = lambda *a, **k: None", Q2, Q3, Q4, Q5],    # hook restored: 4/5
        "max.ipynb": [SETUP, "for _ in range(200):\n    print('spam ' * 20000)", *HONEST[1:]],   # huge output: 5/5
        "nia.ipynb": [SETUP, Q1, "import sys\nsys.exit(3)", Q2, Q3, Q4, Q5],        # sys.exit is a cell error: 5/5
        "olga.ipynb": [SETUP, "import os\nwhile True:\n    os.fork()", *HONEST[1:]],  # fork bomb refused: 5/5
        "pia.ipynb": [SETUP, "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()",
                      "open('/etc/lossedu_evil', 'w').write('x')", *HONEST[1:]],    # magics, plots, writes: 5/5
    }
    for name, source in cells.items():
        if source is None:
            (folder / name).write_text('{"cells": [', encoding="utf-8")
        else:
            write(folder, name, source)
    return owner, copier


EXPECTED_TOTAL = {"bob": 3, "dana": 5, "eve": 4, "finn": 4, "gus": 2, "hana": 5, "ivan": 1, "jack": 0, "kim": 0,
                  "lea": 4, "max": 5, "nia": 5, "olga": 5, "pia": 5}
EXPECTED_OUTCOME = {"gus": "timeout", "hana": "memory", "ivan": "crashed", "jack": "invalid-notebook"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    subs = root / "subs"
    subs.mkdir()
    owner, copier = build_class(subs)
    summary = grade([subs], root / "out", jobs=2, timeout=3, memory_mb=400, sessions=(1,))
    return root, summary, owner, copier


def _gradebook(out):
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def test_gradebook_has_exactly_the_deserved_scores(graded):
    root, summary, owner, copier = graded
    book = _gradebook(root / "out")
    expected = {**EXPECTED_TOTAL, owner: 5, copier: 2}
    assert {s: float(row["total"]) for s, row in book.items()} == {s: float(v) for s, v in expected.items()}
    assert SESSION1[:5] == ANSWERED and all(p.points == 1 for p in problems.session_problems(1)[:5])
    assert all(row["max"] == f"{SESSION1_MAX:g}" for row in book.values())
    unanswered = SESSION1[5:]
    assert all(row[pid] == "0" for row in book.values() for pid in unanswered)
    header = next(csv.reader(open(root / "out" / "gradebook.csv", encoding="utf-8")))
    assert header == ["student", *SESSION1, "total", "max"]
    assert book["bob"]["grad.mse"] == "0" and book["bob"]["example.linreg_risk"] == "0"
    assert book["eve"]["grad.mse"] == "0"  # the last captured answer wins
    assert book["finn"]["grad.mae"] == "0"
    assert book[copier]["grad.mse"] == "1" and book[copier]["example.linreg_risk"] == "0"


def test_each_hostile_notebook_gets_its_specific_outcome(graded):
    root, summary, owner, copier = graded
    results = json.loads((root / "out" / "results.json").read_text())
    outcomes = {s["student"]: s["outcome"] for s in results["submissions"]}
    for student, outcome in EXPECTED_OUTCOME.items():
        assert outcomes.pop(student) == outcome, student
    assert set(outcomes.values()) == {"ok"}
    messages = {s["student"]: s for s in results["submissions"]}
    assert "time limit of 3 s" in messages["gus"]["message"]
    assert "os._exit" in messages["ivan"]["message"]
    assert "invalid JSON" in messages["jack"]["message"]
    assert any("SystemExit" == e["error"] for e in messages["nia"]["cell_errors"])
    assert any(e["error"] == "PermissionError" for e in messages["olga"]["cell_errors"])
    assert any(e["error"] == "PermissionError" for e in messages["pia"]["cell_errors"])
    assert any("restored" in w for w in messages["lea"]["warnings"])
    assert any("lossedu" in w for w in messages["kim"]["warnings"])
    assert summary.counts == {"ok": len(EXPECTED_TOTAL) + 2 - 4, "timeout": 1, "memory": 1, "crashed": 1,
                              "invalid-notebook": 1}


def test_results_json_records_every_result_and_the_seed(graded):
    root, summary, *_ = graded
    results = json.loads((root / "out" / "results.json").read_text())
    assert results["seed"] == summary.seed
    assert len(results["results"]) == 16 * len(SESSION1)
    bob = {r["problem"]: r["result"] for r in results["results"] if r["student"] == "bob"}
    assert bob["grad.mse"]["diagnosis"] == "sign"
    assert bob["example.linreg_risk"]["diagnosis"] == "aggregation"   # a sum where the mean was asked


def test_feedback_shows_diagnosis_and_hint_never_the_reference(graded):
    root, *_ = graded
    text = (root / "out" / "feedback" / "bob.md").read_text()
    assert "diagnosis: `sign`" in text and "diagnosis: `aggregation`" in text
    assert "hint:" in text and "counterexample:" in text
    risk, _ = regression_numbers("example.linreg_risk", "bob")
    solution = problems.get("example.linreg_risk").variant("bob").solution()
    assert solution not in text and f"{risk:g}" not in text.split("example.linreg_risk")[1].split("###")[0]
    gus = (root / "out" / "feedback" / "gus.md").read_text()
    assert "timeout" in gus and "cell" in gus


def test_class_report_names_the_frequent_misconceptions(graded):
    root, *_ = graded
    report = (root / "out" / "report.md").read_text()
    row = next(line for line in report.splitlines() if line.startswith("| `grad.mse`"))
    assert "sign (2)" in row  # bob and eve
    assert (root / "out" / "report.png").stat().st_size > 10_000


def test_rerun_reuses_unchanged_and_regrades_changed(graded, tmp_path):
    root, summary, owner, copier = graded
    again = grade([root / "subs"], root / "out", jobs=2, timeout=3, memory_mb=400, sessions=(1,))
    assert again.reused == again.notebooks and again.seed == summary.seed
    write(root / "subs", "bob.ipynb", HONEST)
    third = grade([root / "subs"], root / "out", jobs=2, timeout=3, memory_mb=400, sessions=(1,))
    assert third.reused == third.notebooks - 1
    assert float(_gradebook(root / "out")["bob"]["total"]) == 5.0

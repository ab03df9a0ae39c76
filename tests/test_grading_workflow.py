"""The instructor's workflow: regrading one student, roster columns and the LMS file, huge
notebooks, exercise-named files, and a notebook that says it is someone else's.

Scores are reasoned from the answers: HONEST answers q1-q5 of session 1 right (one point each,
see test_grading_helpers), WRONG_Q1 answers q1 with the opposite sign.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from lossedu.grading import grade
from lossedu.grading.collect import find_submissions
from lossedu.grading.isolation import unavailable_reason
from test_grading_helpers import HONEST, SETUP, write

SANDBOX = unavailable_reason() is None
EXERCISE = "01_from_error_to_objective_exercises.ipynb"


def _book(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def _honest_total() -> float:
    return float(len(HONEST) - 1)  # every HONEST cell after the setup answers one question


def test_regrading_one_student_keeps_everyone_else(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "graded"
    write(subs / "alice", EXERCISE, HONEST)
    write(subs / "bob", EXERCISE, [SETUP])  # nothing answered yet
    grade([subs], out, jobs=2, sessions=(1,), sandbox=SANDBOX)
    first = _book(out)
    assert float(first["alice"]["total"]) == _honest_total() and float(first["bob"]["total"]) == 0
    write(subs / "bob", EXERCISE, HONEST)  # bob hands in late
    grade([subs / "bob"], out, jobs=1, sessions=(1,), sandbox=SANDBOX)
    second = _book(out)
    assert set(second) == {"alice", "bob"}
    assert second["alice"] == first["alice"]
    assert float(second["bob"]["total"]) == _honest_total()
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert sorted(s["student"] for s in results["submissions"]) == ["alice", "bob"]


def test_roster_columns_reach_the_gradebook_and_the_lms_file(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "graded"
    write(subs, "submission_17.ipynb", HONEST)
    write(subs, "zoe.ipynb", [SETUP])
    roster = tmp_path / "roster.csv"
    roster.write_text("file,student,name,email,sis_id\nsubmission_17.ipynb,ada,Ada Lovelace,ada@uni.edu,S-17\n"
                      "zoe.ipynb,zoe,Zoe Z,zoe@uni.edu,S-99\n", encoding="utf-8")
    grade([subs], out, roster=roster, jobs=2, sessions=(1,), sandbox=SANDBOX)
    book = _book(out)
    assert (book["ada"]["name"], book["ada"]["email"], book["ada"]["sis_id"]) == ("Ada Lovelace", "ada@uni.edu", "S-17")
    header = (out / "gradebook.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:4] == ["student", "name", "email", "sis_id"] and header[-2:] == ["total", "max"]
    with open(out / "gradebook_lms.csv", encoding="utf-8") as handle:
        lms = {row["ID"]: row for row in csv.DictReader(handle)}
    assert lms["ada"]["Student"] == "Ada Lovelace" and lms["ada"]["SIS User ID"] == "S-17"
    assert float(lms["ada"]["Score"]) == _honest_total() and lms["zoe"]["Score"] == "0"
    assert lms["ada"]["Max Points"] == book["ada"]["max"]


def test_a_huge_notebook_is_judged_on_its_sources(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "graded"
    write(subs, "big.ipynb", HONEST)
    nb = json.loads((subs / "big.ipynb").read_text(encoding="utf-8"))
    nb["cells"][-1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "0" * (25 * 2**20)}]
    (subs / "big.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    grade([subs], out, jobs=1, sessions=(1,), sandbox=SANDBOX)
    assert float(_book(out)["big"]["total"]) == _honest_total()
    feedback = (out / "feedback" / "big.md").read_text(encoding="utf-8")
    assert "graded on its code (outputs dropped)" in feedback


def test_exercise_named_files_are_never_silently_given_to_the_folder(tmp_path):
    subs = tmp_path / "subs"
    write(subs, "carol.ipynb", HONEST)
    write(subs, EXERCISE, HONEST)  # dropped at the top level: whose is it?
    with pytest.raises(ValueError, match="01_from_error.*look\\(s\\) like exercise notebooks"):
        find_submissions([subs])
    roster = {EXERCISE: "dave"}
    assert {s.student for s in find_submissions([subs], roster)} == {"carol", "dave"}
    only = tmp_path / "erin"
    write(only, EXERCISE, HONEST)
    [sub] = find_submissions([only])  # `lossedu grade subs/erin`: the folder is one student's
    assert sub.student == "erin" and sub.identity.startswith("folder name")


def test_a_notebook_set_to_another_id_is_noted(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "graded"
    write(subs, "fay.ipynb", ["%env LOSSEDU_STUDENT=gus", *HONEST])
    grade([subs], out, jobs=1, sessions=(1,), sandbox=SANDBOX)
    assert float(_book(out)["fay"]["total"]) == _honest_total()  # fay's numbers, computed from params
    feedback = (out / "feedback" / "fay.md").read_text(encoding="utf-8")
    assert "LOSSEDU_STUDENT=gus" in feedback and "graded as fay" in feedback
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Identity notes" in report and "LOSSEDU_STUDENT=gus" in report

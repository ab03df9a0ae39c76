"""Homework grading on the course's real notebooks: ``exercises/`` released with ``lossedu release``,
a class built from ``solutions/`` and the released exercises, graded with the ``lossedu grade``
command in a separate process.

The expected scores are reasoned from what each student handed in, not from the grader: the
solution notebooks compute every answer from ``ex.qN.params`` (so they are right for any student's
numbers), an untouched released notebook answers nothing, and a number copied from a classmate is
that classmate's value computed here from the source text's formula.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lossedu import problems
from lossedu.grading.cli import release_main

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {1: "01_from_error_to_objective_exercises.ipynb", 2: "02_probabilistic_classification_exercises.ipynb"}
SESSIONS = (1, 2)
ALL = [p for k in SESSIONS for p in problems.session_problems(k)]
MAXIMUM = sum(p.points for p in ALL)
OWNER = "ada"  # whose numbers the copier hands in


def _code(nb: dict) -> list[str]:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c["cell_type"] == "code"]


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _edited(k: int, old: str, new: str) -> dict:
    """Solution notebook of session ``k`` with the line ``old`` (found exactly once) replaced."""
    nb = _read(ROOT / "solutions" / NOTEBOOKS[k])
    hits = 0
    for cell in nb["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if old in source:
            hits += source.count(old)
            cell["source"] = source.replace(old, new)
    assert hits == 1, f"{old!r} occurs {hits} times in solutions/{NOTEBOOKS[k]}"
    return nb


def _save(folder: Path, student: str, k: int, nb: dict) -> None:
    path = folder / student / NOTEBOOKS[k]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")


def linreg_risk(student: str) -> float:
    """R̂(w0) = (1/2) Σ ½(w0 xᵢ − yᵢ)² for a student's numbers (the source text's formula)."""
    p = problems.get("example.linreg_risk").variant(student).params
    return float(np.mean([0.5 * (p["w0"] * x - y) ** 2 for x, y in ((p["x1"], p["y1"]), (p["x2"], p["y2"]))]))


def bce_at(student: str) -> list[float]:
    """[L, dL/dz] of BCE with logits, L = log(1 + e^(−z)) for y = 1 and log(1 + e^z) for y = 0."""
    p = problems.get("example.bce_logit").variant(student).params
    z, y = float(p["z"]), float(p["y"])
    return [float(np.log1p(np.exp(-z)) if y == 1 else np.log1p(np.exp(z))), float(1 / (1 + np.exp(-z)) - y)]


def _copier() -> str:
    for name in ("zed", "yuri", "xena", "walt"):
        if abs(linreg_risk(name) - linreg_risk(OWNER)) > 1e-3 and \
                not np.allclose(bce_at(name), bce_at(OWNER), rtol=1e-2, atol=1e-3):
            return name
    raise AssertionError("no classmate with different numbers")


# --------------------------------------------------------------------------- (a) release
def test_release_of_the_real_exercises(tmp_path):
    hw = tmp_path / "hw"
    assert release_main(["--sessions", "1", "2", "--out", str(hw)]) == 0
    for k, name in NOTEBOOKS.items():
        exercise, released = _read(ROOT / "exercises" / name), _read(hw / name)
        assert len(released["cells"]) == len(exercise["cells"]) + 2  # header and identity cell
        header = "".join(released["cells"][0]["source"])
        assert released["cells"][0]["cell_type"] == "markdown"
        for n, p in enumerate(problems.session_problems(k), 1):
            assert f"| q{n} | `{p.id}` |" in header and f"| {p.points:g} |" in header
        assert f"**{sum(p.points for p in problems.session_problems(k)):g}**" in header
        code = _code(released)
        setup = [c for c in code if "lossedu.session(" in c]
        assert len(setup) == 1 and f"lossedu.session({k}, homework=True)" in setup[0]
        identity = code.index(setup[0]) - 1
        assert "%env LOSSEDU_STUDENT=your_id" in code[identity]
        # everything else is the exercise as generated: the placeholders and the checks are intact
        assert [c for c in code if c not in setup and c != code[identity]] == \
            [c for c in _code(exercise) if "lossedu.session(" not in c]
        assert sum(c.count("# YOUR ANSWER HERE") for c in code) == \
            sum(c.count("# YOUR ANSWER HERE") for c in _code(exercise)) > 0
        assert all(c.get("outputs", []) == [] and c.get("execution_count") is None
                   for c in released["cells"] if c["cell_type"] == "code")


# --------------------------------------------------------------------------- (b), (c) a class
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("real")
    hw, subs, out = root / "hw", root / "subs", root / "out"
    assert release_main(["--sessions", "1", "2", "--out", str(hw)]) == 0
    copier = _copier()
    for k, name in NOTEBOOKS.items():
        _save(subs, OWNER, k, _read(ROOT / "solutions" / name))           # the solution: full marks
        _save(subs, "ben", k, _read(hw / name))                           # handed in untouched
    # the copier runs the solutions but types in the owner's numbers for two value answers
    _save(subs, copier, 1, _edited(1, 'answer_q3 = np.mean(0.5 * (p["w0"] * x_data - y_data) ** 2)',
                                   f"answer_q3 = {linreg_risk(OWNER)!r}"))
    _save(subs, copier, 2, _edited(2, 'answer_q3 = [loss, p_hat - p["y"]]', f"answer_q3 = {bce_at(OWNER)!r}"))
    # calls the reference library in the implementation and in the pair's gradient
    _save(subs, "cal", 1, _read(ROOT / "solutions" / NOTEBOOKS[1]))
    cheat = _edited(2, "return np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))",
                    "from lossedu import losses; return losses.bce_with_logits(y, z)")
    _save(subs, "cal", 2, cheat)
    # wrong answers: a flipped sign in session 1, an unstable loss in session 2
    _save(subs, "dot", 1, _edited(1, 'answer_q1 = sp.diff(L, yhat)', 'answer_q1 = -sp.diff(L, yhat)'))
    _save(subs, "dot", 2, _edited(2, "return np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))",
                                  "return np.log(1 + np.exp(z)) - y * z"))
    done = subprocess.run([sys.executable, "-m", "lossedu.cli", "grade", str(subs), "--out", str(out),
                           "--sessions", "1", "2", "--jobs", "2", "--timeout", "30"],
                          capture_output=True, text=True, timeout=600, cwd=root)
    assert done.returncode == 0, done.stderr
    results = _read(out / "results.json")
    by = {}
    for r in results["results"]:
        by.setdefault(r["student"], {})[r["problem"]] = r["result"]
    return out, copier, by, results, done


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def test_the_solution_notebooks_get_full_marks_for_any_student(graded):
    out, copier, by, results, _ = graded
    assert {pid: r["status"] for pid, r in by[OWNER].items()} == {p.id: "correct" for p in ALL}
    book = _gradebook(out)
    assert float(book[OWNER]["total"]) == float(book[OWNER]["max"]) == MAXIMUM
    assert {s["outcome"] for s in results["submissions"]} == {"ok"}
    assert all(not s["cell_errors"] for s in results["submissions"] if s["student"] == OWNER)


def test_the_untouched_release_gets_zero_with_everything_unattempted(graded):
    out, copier, by, *_ = graded
    assert {pid: r["status"] for pid, r in by["ben"].items()} == {p.id: "unattempted" for p in ALL}
    assert float(_gradebook(out)["ben"]["total"]) == 0


def test_numbers_copied_from_a_classmate_are_wrong(graded):
    out, copier, by, *_ = graded
    wrong = {pid for pid, r in by[copier].items() if r["status"] != "correct"}
    assert wrong == {"example.linreg_risk", "example.bce_logit"}
    assert all(by[copier][pid]["status"] == "incorrect" for pid in wrong)
    assert float(_gradebook(out)[copier]["total"]) == MAXIMUM - 2


def test_an_implementation_calling_the_reference_library_is_flagged(graded):
    out, copier, by, *_ = graded
    flagged = by["cal"]["impl.bce_with_logits"]
    assert flagged["status"] == "incorrect" and flagged["diagnosis"] == "reference" and flagged["score"] == 0
    assert "lossedu.losses" in flagged["message"]
    assert {pid for pid, r in by["cal"].items() if r["status"] != "correct"} == {"impl.bce_with_logits"}


def test_wrong_answers_are_diagnosed(graded):
    out, copier, by, *_ = graded
    assert by["dot"]["grad.mse"]["status"] == "incorrect" and by["dot"]["grad.mse"]["diagnosis"] == "sign"
    assert by["dot"]["impl.bce_with_logits"]["diagnosis"] == "unstable"
    assert float(_gradebook(out)["dot"]["total"]) == MAXIMUM - 2


def test_the_grade_command_writes_every_output(graded):
    out, copier, by, results, done = graded
    for name in ("gradebook.csv", "results.json", "report.md", "report.png", "run.json"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    header = next(csv.reader(open(out / "gradebook.csv", encoding="utf-8")))
    assert header == ["student", *[p.id for p in ALL], "total", "max"]
    students = {OWNER, "ben", copier, "cal", "dot"}
    assert {p.stem for p in (out / "feedback").glob("*.md")} == students
    assert len(results["submissions"]) == 2 * len(students)
    assert "10 notebooks of 5 students" in done.stdout
    report = (out / "report.md").read_text(encoding="utf-8")
    row = next(line for line in report.splitlines() if line.startswith("| `impl.bce_with_logits`"))
    assert "reference (1)" in row and "unstable (1)" in row


def test_feedback_never_contains_a_reference_answer(graded):
    out, copier, by, *_ = graded
    dot = (out / "feedback" / "dot.md").read_text(encoding="utf-8")
    section = dot.split("`grad.mse`")[1].split("###")[0]
    assert "status: **incorrect**" in section and "diagnosis: `sign`" in section and "hint:" in section
    assert "yhat - y" not in dot and "\\hat y - y" not in section
    for student in (copier, "cal", "dot"):
        text = (out / "feedback" / f"{student}.md").read_text(encoding="utf-8")
        for pid, result in by[student].items():
            if result["status"] == "correct":
                continue
            variant = problems.get(pid).variant(student)
            assert variant.solution() not in text, (student, pid)
            for hint in variant.hints[1:]:
                assert hint not in text, (student, pid)  # only the gentlest hint is given
    risk = linreg_risk(copier)
    assert f"{risk:g}" not in (out / "feedback" / f"{copier}.md").read_text(encoding="utf-8")


def test_warming_up_on_the_solution_notebooks_leaves_no_trace(tmp_path, monkeypatch, capsys):
    import lossedu.exercise as exercise
    from lossedu.grading import engine

    home = tmp_path / "home"
    monkeypatch.setenv("LOSSEDU_HOME", str(home))
    monkeypatch.setenv("LOSSEDU_STUDENT", "teacher")
    hook = exercise.get_capture()
    assert [p.name for p in engine.solution_notebooks(SESSIONS)] == list(NOTEBOOKS.values())
    assert engine.warm_notebooks(SESSIONS) == 2
    assert engine.warm_notebooks(SESSIONS, folder=tmp_path / "none") == 0  # e.g. inside the Gradescope bundle
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""
    assert exercise.get_capture() is hook
    assert (os.environ["LOSSEDU_HOME"], os.environ["LOSSEDU_STUDENT"]) == (str(home), "teacher")
    assert not home.exists()  # homework mode in a temporary home: nothing stored for anyone

"""Per-student feedback: ``feedback/<student>.md``.

For each problem: points earned, status, the diagnosis, one counterexample point and the
gentlest hint; never the reference answer. Then how each notebook ran (its outcome, cell
errors and warnings), so a student whose notebook crashed knows why points are missing.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lossedu import problems
from lossedu.grading.report import StudentGrade, _number, _write_text
from lossedu.result import CORRECT, UNATTEMPTED, Result


def feedback_name(student: str) -> str:
    """A safe file name for a student's feedback file."""
    return (re.sub(r"[^A-Za-z0-9._@+-]", "_", student)[:100] or "_") + ".md"


def _question_numbers(cols: list[problems.Problem]) -> dict[str, str]:
    numbers = {}
    for p in cols:
        ids = [q.id for q in problems.session_problems(p.session)]
        numbers[p.id] = f"session {p.session}, q{ids.index(p.id) + 1}" if p.id in ids else f"session {p.session}"
    return numbers


def problem_section(problem: problems.Problem, student: str, result: dict[str, Any], where: str) -> list[str]:
    """The Markdown lines about one problem (no reference answer, ever)."""
    res = Result.from_dict(result)
    earned = float(res.score) * problem.points
    lines = [f"### {where} · `{problem.id}` · {problem.title}: {_number(earned)}/{_number(problem.points)}", "",
             f"- status: **{res.status}**"]
    if res.message:
        lines.append(f"- {res.message}")
    if res.diagnosis:
        lines.append(f"- diagnosis: `{res.diagnosis}`")
    counter = res._counterexample_text()
    if counter:
        lines.append(f"- counterexample: {counter}")
    if res.status != CORRECT:
        try:
            hints = problem.variant(student).hints
        except Exception:  # noqa: BLE001 - feedback without a hint is still feedback
            hints = ()
        if hints:
            lines.append(f"- hint: {hints[0]}")
    return lines + [""]


def student_feedback(grade: StudentGrade, cols: list[problems.Problem]) -> str:
    """The whole feedback file of one student."""
    total = sum(grade.earned(p) for p in cols)
    maximum = sum(p.points for p in cols)
    lines = [f"# Homework feedback for {grade.student}", "", f"**Total: {_number(total)} / {_number(maximum)}**", ""]
    lines += ["## How your notebook ran", ""]
    for record in grade.records:
        lines.append(f"- `{record['label']}`: **{record['outcome']}**: {record.get('message', '')}")
        for err in record.get("cell_errors", [])[:10]:
            lines.append(f"  - code cell {err['cell']} raised `{err['error']}`: {err['message']}")
        for warning in record.get("warnings", [])[:5]:
            lines.append(f"  - note: {warning}")
    lines += ["", "Code cells are counted from 0 in the order of your notebook; answers are taken from your "
              "`check(...)` calls (the last one per question counts).", "", "## Problems", ""]
    numbers = _question_numbers(cols)
    for p in cols:
        lines += problem_section(p, grade.student, grade.results[p.id], numbers[p.id])
    unanswered = sum(1 for p in cols if grade.results[p.id]["status"] == UNATTEMPTED)
    if unanswered:
        lines += [f"{unanswered} problem(s) had no checked answer: make sure each answer cell ends with "
                  "`ex.qN.check(...)`.", ""]
    return "\n".join(lines)


def write_feedback(out: Path, rows: list[StudentGrade], cols: list[problems.Problem]) -> None:
    """``out/feedback/<student>.md`` for every student."""
    for grade in rows:
        _write_text(out / "feedback" / feedback_name(grade.student), student_feedback(grade, cols))

"""Outputs of a grading run: the gradebook, every Result, and the class report.

* ``gradebook.csv``: one row per student (id first), one column per problem id with the points
  earned, then ``total`` and ``max``: plain numbers, ready for an LMS import.
* ``results.json``: every Result with its student, problem, points and the submission's outcome,
  plus the run's secret seed (so ``--seed`` reproduces a regrade exactly).
* ``report.md`` + ``report.png``: score distribution, per-problem success, and the most frequent
  diagnoses per problem, so an instructor sees which misconception to teach again.
"""
from __future__ import annotations

import csv
import io
import os
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lossedu import problems
from lossedu.result import CORRECT, UNATTEMPTED, Result

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass
class StudentGrade:
    """One student's graded problems (best Result per problem over their notebooks)."""

    student: str
    records: list[dict[str, Any]]
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def earned(self, problem: problems.Problem) -> float:
        return float(self.results[problem.id]["score"]) * problem.points


def columns(records: list[dict[str, Any]], sessions: tuple[int, ...] | None) -> list[problems.Problem]:
    """The graded problems: those of ``sessions``, else of every session an answer was given for."""
    if sessions is None:
        seen = set()
        for record in records:
            for pid in record.get("answers", {}):
                try:
                    seen.add(problems.get(pid).session)
                except KeyError:
                    continue
        sessions = tuple(sorted(seen))
    return [p for k in sessions for p in problems.session_problems(k)]


def grades(records: list[dict[str, Any]], cols: list[problems.Problem]) -> list[StudentGrade]:
    """Group records by student; per problem keep the best-scoring Result (unattempted if none)."""
    by_student: dict[str, StudentGrade] = {}
    for record in records:
        grade = by_student.setdefault(record["student"], StudentGrade(record["student"], []))
        grade.records.append(record)
    for grade in by_student.values():
        for problem in cols:
            best, source = None, ""
            for record in grade.records:
                result = record.get("answers", {}).get(problem.id, {}).get("result")
                if result is not None and (best is None or float(result["score"]) > float(best["score"])):
                    best, source = result, record["label"]
            if best is None:
                best = Result(UNATTEMPTED, message="No answer to this problem was checked in the notebook.",
                              problem_id=problem.id).to_dict()
            grade.results[problem.id], grade.sources[problem.id] = best, source
    return [by_student[s] for s in sorted(by_student)]


def _number(x: float) -> str:
    return f"{round(x, 4):g}"


def roster_columns(rows: list[StudentGrade]) -> list[str]:
    """The roster's name / e-mail / SIS id columns present for any student, in first-seen order."""
    found: list[str] = []
    for row in rows:
        for record in row.records:
            for name in (record.get("roster") or {}):
                if name not in found:
                    found.append(name)
    return found


def roster_of(row: StudentGrade) -> dict[str, str]:
    merged: dict[str, str] = {}
    for record in row.records:
        merged.update(record.get("roster") or {})
    return merged


def write_gradebook(path: Path, rows: list[StudentGrade], cols: list[problems.Problem]) -> None:
    """``student, <roster columns...>, <problem ids...>, total, max`` with points as plain numbers."""
    maximum = sum(p.points for p in cols)
    extra = roster_columns(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *extra, *[p.id for p in cols], "total", "max"])
    for row in rows:
        earned = [row.earned(p) for p in cols]
        details = roster_of(row)
        writer.writerow([row.student, *[details.get(c, "") for c in extra], *map(_number, earned),
                         _number(sum(earned)), _number(maximum)])
    _write_text(path, buffer.getvalue())


def write_lms(path: Path, rows: list[StudentGrade], cols: list[problems.Problem]) -> None:
    """One row per student for an LMS grade import: ``Student, ID, SIS User ID, Email, Score, Max Points``.

    ``Student`` is the roster's name (else the id); ``SIS User ID`` and ``Email`` come from the
    roster when it has them (columns ``sis_id``/``sis user id``/``sis_user_id`` and ``email``).
    """
    maximum = sum(p.points for p in cols)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "Email", "Score", "Max Points"])
    for row in rows:
        d = {k.lower(): v for k, v in roster_of(row).items()}
        name = d.get("name") or " ".join(x for x in (d.get("first_name"), d.get("last_name")) if x) or row.student
        sis = d.get("sis_id") or d.get("sis user id") or d.get("sis_user_id") or ""
        writer.writerow([name, row.student, sis, d.get("email", ""), _number(sum(row.earned(p) for p in cols)),
                         _number(maximum)])
    _write_text(path, buffer.getvalue())


def results_document(rows: list[StudentGrade], cols: list[problems.Problem], run: dict[str, Any]) -> dict[str, Any]:
    """The content of ``results.json``."""
    flat, submissions = [], []
    for row in rows:
        outcome = ", ".join(sorted({r["outcome"] for r in row.records}))
        for p in cols:
            flat.append({"student": row.student, "problem": p.id, "points": p.points, "earned": row.earned(p),
                         "submission": row.sources[p.id], "outcome": outcome, "result": row.results[p.id]})
        for r in row.records:
            submissions.append({k: r.get(k) for k in ("student", "label", "identity", "sha256", "outcome", "message",
                                                       "cell_errors", "warnings", "duration", "seed")})
    return {**run, "problems": [{"id": p.id, "session": p.session, "points": p.points, "title": p.title} for p in cols],
            "submissions": submissions, "results": flat}


# --------------------------------------------------------------------------- class report
def diagnosis_counts(rows: list[StudentGrade], cols: list[problems.Problem]) -> dict[str, Counter]:
    """problem id -> Counter of diagnoses among wrong answers (``no diagnosis`` when none)."""
    counts: dict[str, Counter] = {}
    for p in cols:
        counter: Counter = Counter()
        for row in rows:
            result = row.results[p.id]
            if result["status"] not in (CORRECT, UNATTEMPTED):
                counter[result.get("diagnosis") or "no diagnosis"] += 1
        counts[p.id] = counter
    return counts


def write_report(out: Path, rows: list[StudentGrade], cols: list[problems.Problem], records: list[dict[str, Any]],
                 notes: list[str] | None = None) -> None:
    """``report.md`` and ``report.png`` in ``out`` (``notes``: lines shown under the title)."""
    maximum = sum(p.points for p in cols)
    totals = [sum(r.earned(p) for p in cols) for r in rows]
    diag = diagnosis_counts(rows, cols)
    outcomes = Counter(r["outcome"] for r in records)
    lines = ["# Homework report", "", *[f"{note}  " for note in notes or []],
             f"{len(rows)} students, {len(records)} notebooks; outcomes: "
             + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) + ".", ""]
    if totals:
        median = statistics.median(totals)
        lines += [f"Total score: mean {sum(totals) / len(totals):.2f}, median {median:g}, "
                  f"min {min(totals):g}, max {max(totals):g} (out of {maximum:g}).", ""]
    lines += ["![score distribution and diagnoses](report.png)", "", "## Problems", "",
              "| problem | title | points | correct | attempted | mean score | most frequent diagnoses |",
              "|---|---|---:|---:|---:|---:|---|"]
    for p in cols:
        statuses = [r.results[p.id]["status"] for r in rows]
        n = max(len(rows), 1)
        top = ", ".join(f"{d} ({c})" for d, c in diag[p.id].most_common(3)) or "none"
        mean = sum(r.earned(p) for r in rows) / n
        lines.append(f"| `{p.id}` | {p.title} | {p.points:g} | {statuses.count(CORRECT)}/{len(rows)} | "
                     f"{len(rows) - statuses.count(UNATTEMPTED)}/{len(rows)} | {mean:.2f} | {top} |")
    identity = [r for r in records if any(i != r["student"] for i in r.get("notebook_ids", []))
                or str(r.get("identity", "")).startswith("folder name (")]
    if identity:
        lines += ["", "## Identity notes", "", "| student | notebook | graded as | note |", "|---|---|---|---|"]
        for r in identity:
            ids = [i for i in r.get("notebook_ids", []) if i != r["student"]]
            note = (f"the notebook sets LOSSEDU_STUDENT={', '.join(ids)}; graded as {r['student']}" if ids else
                    f"id taken from the {r['identity']}")
            lines.append(f"| {r['student']} | {r['label']} | {r['identity']} | {note.replace('|', '/')} |")
    troubled = [r for r in records if r["outcome"] != "ok"]
    if troubled:
        lines += ["", "## Submissions that did not run cleanly", "", "| student | notebook | outcome | message |",
                  "|---|---|---|---|"]
        lines += [f"| {r['student']} | {r['label']} | {r['outcome']} | {r['message'].replace('|', '/')} |" for r in troubled]
    _write_text(out / "report.md", "\n".join(lines) + "\n")
    _figure(out / "report.png", totals, maximum, diag)


def _figure(path: Path, totals: list[float], maximum: float, diag: dict[str, Counter]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = [(f"{pid}: {d}", c) for pid, counter in diag.items() for d, c in counter.most_common(3)]
    bars = sorted(bars, key=lambda b: b[1])[-12:]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1, 1.4]})
    from matplotlib.ticker import MaxNLocator

    step = max(1.0, maximum / 20)  # one bar per point, at most 20 bars
    edges = [-step / 2 + i * step for i in range(int(maximum / step) + 2)]
    left.hist(totals, bins=edges, color=PALETTE[0], edgecolor="white")
    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    left.set(xlabel=f"total score (out of {maximum:g})", ylabel="students", title="Score distribution")
    if bars:
        right.barh([b[0] for b in bars], [b[1] for b in bars], color=PALETTE[1])
        right.set(xlabel="wrong answers with this diagnosis", title="Most frequent diagnoses")
        right.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        right.text(0.5, 0.5, "no wrong answers", ha="center", va="center")
        right.set_axis_off()
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)

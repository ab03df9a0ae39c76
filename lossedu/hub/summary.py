"""What the instructor sees for one session: counts per question, diagnoses, stuck learners, gates.

Everything here is a pure function of the stored attempts, so the browser page, the JSON API,
the CSV export and ``lossedu class`` in a terminal all show the same numbers.

Definitions (per learner and question of the session):

- **correct**: at least one correct attempt;
- **trying**: attempts, none correct;
- **not started**: no attempt (every learner on the roster counts, not only those who answered).

A learner is **stuck** with ``STUCK_WRONG`` or more wrong answers in a row on one question (the
latest ones, no correct answer since), or with no new correct answer for ``STUCK_IDLE_S`` seconds
while some questions of the session are still open.
"""
from __future__ import annotations

import csv
import html
import io
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Iterable

from lossedu import config
from lossedu.store import gate_for

STUCK_WRONG = 3
STUCK_IDLE_S = 600.0
TOP_DIAGNOSES = 6
WRONG = {"incorrect", "invalid"}


def _epoch(stamp: str) -> float:
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _mastered(rows: Iterable[dict[str, Any]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in rows:
        if r["status"] == "correct" and not r["solution_revealed"] and not r["practice_only"]:
            out.setdefault(r["learner"], set()).add(r["problem_id"])
    return out


def class_summary(rows: list[dict[str, Any]], session: int, questions: list[str], roster: Iterable[str],
                  *, previous: int | None = None, previous_questions: Iterable[str] = (),
                  course: config.CourseConfig | None = None, now: float | None = None) -> dict[str, Any]:
    """The live view of ``session`` as a JSON-ready dict.

    Parameters
    ----------
    rows : stored attempts of ``session`` and of ``previous`` (dicts of :class:`~lossedu.hub.db.ClassStore`).
    session : the session being taught.
    questions : its problem ids, in question order (q1 first).
    roster : learners of the class (those without attempts count as not started).
    previous, previous_questions : the session before it and its problem ids (for gate states).
    course : course configuration for gates; default :func:`lossedu.config.load_course`.
    now : time in seconds since the epoch (default: now).
    """
    course = course if course is not None else config.load_course()
    now = now if now is not None else datetime.now(timezone.utc).timestamp()
    own = sorted((r for r in rows if r["session"] == session), key=lambda r: (r["created_at"], r["attempt_id"]))
    learners = sorted(set(roster) | {r["learner"] for r in own})
    by_learner: dict[str, dict[str, list[dict[str, Any]]]] = {name: {} for name in learners}
    for r in own:
        by_learner[r["learner"]].setdefault(r["problem_id"], []).append(r)

    table = []  # per question
    for number, pid in enumerate(questions, 1):
        counts = {"correct": 0, "trying": 0, "not_started": 0}
        for name in learners:
            counts[_state(by_learner[name].get(pid, []))] += 1
        table.append({"question": f"q{number}", "problem_id": pid, **counts})

    wrong = [r for r in own if r["status"] in WRONG and r["diagnosis"] and r["problem_id"] in questions]
    tally = Counter((r["problem_id"], r["diagnosis"]) for r in wrong)
    label = {pid: f"q{i}" for i, pid in enumerate(questions, 1)}
    diagnoses = []
    for (pid, diag), n in tally.most_common(TOP_DIAGNOSES):
        examples = [r["answer"] for r in wrong if r["problem_id"] == pid and r["diagnosis"] == diag and r["answer"]]
        learners_hit = len({r["learner"] for r in wrong if r["problem_id"] == pid and r["diagnosis"] == diag})
        diagnoses.append({"question": label.get(pid, pid), "problem_id": pid, "diagnosis": diag, "count": n,
                          "learners": learners_hit, "example": examples[-1] if examples else None})

    mastered = _mastered(rows)
    prev_ids = list(previous_questions)
    gates: Counter[str] = Counter()
    people = []
    stuck = []
    for name in learners:
        mine = by_learner[name]
        gate = gate_for(session, previous, prev_ids, mastered.get(name, set()), course)
        gates[gate.state] += 1
        states = {label[pid]: _state(mine.get(pid, [])) for pid in questions}
        flat = sorted((r for rs in mine.values() for r in rs), key=lambda r: (r["created_at"], r["attempt_id"]))
        last = flat[-1] if flat else None
        reason = _stuck_reason(mine, flat, states, label, now)
        person = {"learner": name, "gate": gate.state, "states": states, "attempts": len(flat),
                  "last_at": last["created_at"] if last else None, "stuck": reason}
        people.append(person)
        if reason:
            stuck.append({"learner": name, "reason": reason, "last_at": person["last_at"]})
    return {"session": session, "questions": table, "diagnoses": diagnoses, "stuck": stuck,
            "gates": dict(sorted(gates.items())), "learners": people, "roster_size": len(learners),
            "attempts": len(own), "generated_at": datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="seconds")}


def _state(attempts: list[dict[str, Any]]) -> str:
    if not attempts:
        return "not_started"
    return "correct" if any(a["status"] == "correct" for a in attempts) else "trying"


def _stuck_reason(mine: dict[str, list[dict[str, Any]]], flat: list[dict[str, Any]], states: dict[str, str],
                  label: dict[str, str], now: float) -> str | None:
    for pid, attempts in mine.items():
        run = 0
        for a in reversed(attempts):
            if a["status"] == "correct":
                break
            if a["status"] in WRONG:
                run += 1
        if run >= STUCK_WRONG:
            return f"{run} wrong in a row on {label.get(pid, pid)}"
    if flat and any(s != "correct" for s in states.values()):
        progress = [_epoch(a["created_at"]) for a in flat if a["status"] == "correct"]
        since = max(progress) if progress else _epoch(flat[0]["created_at"])
        idle = now - since
        if idle >= STUCK_IDLE_S:
            return f"no progress for {int(idle // 60)} min"
    return None


# --------------------------------------------------------------------------- exports
def to_csv(summary: dict[str, Any]) -> str:
    """One line per learner and question: learner, question, problem id, state, gate, stuck."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["session", "learner", "question", "problem_id", "state", "gate", "stuck"])
    ids = {q["question"]: q["problem_id"] for q in summary["questions"]}
    for person in summary["learners"]:
        for question, state in person["states"].items():
            writer.writerow([summary["session"], person["learner"], question, ids[question], state,
                             person["gate"], person["stuck"] or ""])
    return out.getvalue()


COLOURS = {"correct": "#1a9850", "trying": "#fdae61", "not_started": "#d9d9d9"}


def to_svg(summary: dict[str, Any], width: int = 560) -> str:
    """Stacked horizontal bars, one per question: correct, trying, not started (inline SVG)."""
    rows = summary["questions"]
    bar_h, gap, left, top = 22, 8, 60, 28
    height = top + len(rows) * (bar_h + gap) + 10
    total = max(summary["roster_size"], 1)
    span = width - left - 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="lossedu-bars" width="{width}" height="{height}" '
             f'role="img" aria-label="learners per question: correct, trying, not started">']
    x = left
    for key, text in (("correct", "correct"), ("trying", "trying"), ("not_started", "not started")):
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{COLOURS[key]}"/>'
                     f'<text x="{x + 16}" y="17" font-size="12" font-family="sans-serif">{text}</text>')
        x += 110
    for i, q in enumerate(rows):
        y = top + i * (bar_h + gap)
        parts.append(f'<text x="4" y="{y + 15}" font-size="13" font-family="sans-serif">{html.escape(q["question"])}</text>')
        x = float(left)
        for key in ("correct", "trying", "not_started"):
            w = span * q[key] / total
            if q[key]:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLOURS[key]}">'
                             f'<title>{q["question"]} {key.replace("_", " ")}: {q[key]}</title></rect>')
                if w > 18:
                    parts.append(f'<text x="{x + w / 2:.1f}" y="{y + 15}" font-size="12" text-anchor="middle" '
                                 f'font-family="sans-serif">{q[key]}</text>')
            x += w
    parts.append("</svg>")
    return "".join(parts)

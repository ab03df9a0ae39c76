"""A learner's progress: mastery per session and per concept, and their most frequent mistakes.

In a notebook, ``lossedu.progress()`` draws it (:func:`figure`). In a terminal,
``lossedu progress`` prints it as a table, or exports CSV or JSON (:func:`main`)::

    lossedu progress [--student ID] [--format table|csv|json] [--output FILE] [--repair]
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any

from lossedu import concepts, config, problems
from lossedu.display import emit, in_ipython
from lossedu.problems import session_title
from lossedu.result import LEARNER_DIAGNOSES
from lossedu.store import (ProgressDatabaseError, ProgressStore, repair_database, session_gates,
                              required_count)

TOP_DIAGNOSES = 5
#: Okabe–Ito colours, distinguishable with every common colour-vision deficiency.
BLUE, ORANGE, VERMILLION, GREEN, GREY = "#0072B2", "#E69F00", "#D55E00", "#009E73", "#999999"


# --------------------------------------------------------------------------- the numbers
def summary(student: str | None = None, store: ProgressStore | None = None,
            course: config.CourseConfig | None = None) -> dict[str, Any]:
    """Mastery per session and per concept, and the most frequent diagnoses, as plain data.

    Returns
    -------
    dict with ``student``; ``sessions``: [{session, title, mastered, total, required, state}];
    ``concepts``: [{concept, description, mastered, total}]; ``diagnoses``: [{diagnosis, count}].
    ``state`` is a :class:`lossedu.store.Gate` state (open, unlocked, mastered, locked, lifted);
    ``previous_locked`` marks a locked session whose previous session is locked too. Legacy
    diagnosis tags (``known``) are left out.
    """
    learner = config.student_id(student)
    store = store if store is not None else ProgressStore()
    course = course if course is not None else config.load_course()
    done = store.mastered(learner)
    rows = []
    for k, gate in session_gates(done, course).items():
        ids = [p.id for p in problems.session_problems(k)]
        rows.append({"session": k, "title": session_title(k), "mastered": sum(i in done for i in ids),
                     "total": len(ids), "required": required_count(len(ids), course.mastery_share),
                     "state": gate.state, "previous_locked": gate.previous_locked})
    bank = problems.all_problems()
    per_concept = []
    for cid, text in concepts.CONCEPTS.items():
        ids = [p.id for p in bank if cid in p.concepts]
        per_concept.append({"concept": cid, "description": text, "mastered": sum(i in done for i in ids),
                            "total": len(ids)})
    counts = {d: n for d, n in store.diagnosis_counts(learner).items() if d in LEARNER_DIAGNOSES}
    top = [{"diagnosis": d, "count": n} for d, n in list(counts.items())[:TOP_DIAGNOSES]]
    return {"student": learner, "sessions": rows, "concepts": per_concept, "diagnoses": top}


# --------------------------------------------------------------------------- the figure
def _figure_class() -> type:
    from matplotlib.figure import Figure

    class ProgressFigure(Figure):
        """A Figure that shows itself once when it is the value of a notebook cell."""

        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=90)
            return buffer.getvalue()

    return ProgressFigure


def figure(student: str | None = None, store: ProgressStore | None = None,
           course: config.CourseConfig | None = None) -> Any:
    """Draw mastery per session (the real share; locked sessions marked, with no bar), per concept,
    and the top diagnoses.

    Returns the matplotlib Figure (a notebook shows it when it is the cell's value). If the
    progress database cannot be read, a notebook shows the reason and how to recover instead.
    """
    try:
        data = summary(student, store, course)
    except ProgressDatabaseError as err:
        if not in_ipython():
            raise
        emit(f"**Progress unavailable.** {err}")
        return None
    share = course.mastery_share if course is not None else config.load_course().mastery_share
    fig = _figure_class()(figsize=(13, 6.5), layout="constrained")
    ax_s, ax_c, ax_d = fig.subplots(1, 3, width_ratios=[1.2, 1.4, 0.9])
    _draw_sessions(ax_s, data["sessions"], share)
    _draw_concepts(ax_c, data["concepts"])
    _draw_diagnoses(ax_d, data["diagnoses"])
    fig.suptitle(f"Progress of {data['student']}")
    return fig


def _draw_sessions(ax: Any, rows: list[dict[str, Any]], share: float) -> None:
    """Per session one bar of the real share mastered (0 draws nothing); locked sessions draw no
    bar at all but a "locked" label on the axis, so nothing reads as a full bar."""
    labels = [f"{r['session']}\nlocked" if r["state"] == "locked" else str(r["session"]) for r in rows]
    values = [r["mastered"] / r["total"] if r["total"] else 0.0 for r in rows]
    colours = [GREEN if r["state"] == "mastered" else BLUE for r in rows]
    shown = [0.0 if r["state"] == "locked" else v for r, v in zip(rows, values)]
    bars = ax.bar(labels, shown, color=colours, edgecolor="black", label="share mastered")
    for bar, r in zip(bars, rows):
        middle = bar.get_x() + bar.get_width() / 2
        if r["state"] == "locked":
            why = "after the\nprevious one" if r.get("previous_locked") else "locked"
            ax.text(middle, 0.04, why, ha="center", va="bottom", fontsize=8, color=GREY, rotation=90)
        else:
            ax.annotate(f"{r['mastered']}/{r['total']}", (middle, bar.get_height()), ha="center",
                        va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points")
    ax.axhline(share, color=ORANGE, linestyle="--", label=f"mastery share {share:.0%}")
    ax.set_ylim(0, 1.15)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_xlabel("session")
    ax.set_ylabel("share of problems mastered")
    ax.set_title("Mastery per session (green: mastered)")
    ax.legend(loc="upper right", fontsize=7)


def _draw_concepts(ax: Any, rows: list[dict[str, Any]]) -> None:
    names = [r["concept"] for r in rows][::-1]
    values = [(r["mastered"] / r["total"]) if r["total"] else 0.0 for r in rows][::-1]
    bars = ax.barh(names, values, color=GREEN, edgecolor="black")
    counts = [f"{r['mastered']}/{r['total']}" for r in rows][::-1]
    ax.bar_label(bars, counts, padding=3, fontsize=8)
    ax.set_xlim(0, 1.15)
    ax.set_xlabel("share of the concept's problems mastered")
    ax.set_ylabel("concept")
    ax.set_title("Mastery per concept")
    ax.tick_params(axis="y", labelsize=8)


def _draw_diagnoses(ax: Any, rows: list[dict[str, Any]]) -> None:
    ax.set_title("Most frequent mistakes")
    ax.set_xlabel("times diagnosed")
    ax.set_ylabel("diagnosis")
    if not rows:
        ax.text(0.5, 0.5, "no diagnosed mistakes yet", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    ax.barh([r["diagnosis"] for r in rows][::-1], [r["count"] for r in rows][::-1], color=VERMILLION,
            edgecolor="black")


# --------------------------------------------------------------------------- text exports
def format_table(data: dict[str, Any]) -> str:
    """The summary as aligned plain-text tables."""
    lines = [f"Progress of {data['student']}", "", f"{'session':<56} {'mastered':>9} {'needed':>7}  state"]
    for r in data["sessions"]:
        lines.append(f"{r['title'][:56]:<56} {r['mastered']:>4}/{r['total']:<4} {r['required']:>7}  {r['state']}")
    lines += ["", f"{'concept':<28} {'mastered':>9}"]
    for r in data["concepts"]:
        lines.append(f"{r['concept']:<28} {r['mastered']:>4}/{r['total']:<4}")
    lines += ["", "most frequent diagnoses:"]
    lines += [f"  {r['diagnosis']:<14} {r['count']}" for r in data["diagnoses"]] or ["  (none yet)"]
    return "\n".join(lines) + "\n"


def to_csv(data: dict[str, Any]) -> str:
    """The summary as one CSV table: ``kind,id,title,mastered,total,state,count``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "kind", "id", "title", "mastered", "total", "state", "count"])
    s = data["student"]
    for r in data["sessions"]:
        writer.writerow([s, "session", r["session"], r["title"], r["mastered"], r["total"], r["state"], ""])
    for r in data["concepts"]:
        writer.writerow([s, "concept", r["concept"], r["description"], r["mastered"], r["total"], "", ""])
    for r in data["diagnoses"]:
        writer.writerow([s, "diagnosis", r["diagnosis"], "", "", "", "", r["count"]])
    return buffer.getvalue()


def to_json(data: dict[str, Any]) -> str:
    """The summary as JSON."""
    return json.dumps(data, indent=2) + "\n"


# --------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    """``lossedu progress``: print or export a learner's progress; ``--repair`` a broken database."""
    parser = argparse.ArgumentParser(prog="lossedu progress", description=__doc__.splitlines()[0])
    parser.add_argument("--student", default=None, help="learner id (default: $LOSSEDU_STUDENT or the stored id)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format")
    parser.add_argument("--output", default=None, help="write to this file instead of the terminal")
    parser.add_argument("--repair", action="store_true",
                        help="move an unreadable progress database aside (nothing is deleted) and start fresh")
    args = parser.parse_args(argv)
    if args.repair:
        return _repair()
    try:
        data = summary(args.student)
    except (ProgressDatabaseError, config.CourseConfigError, ValueError) as err:
        print(f"lossedu progress: {err}", file=sys.stderr)
        return 1
    text = {"table": format_table, "csv": to_csv, "json": to_json}[args.format](data)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as err:
        print(f"lossedu progress: cannot write --output {args.output}: {err}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}")
    return 0


def _repair() -> int:
    path = config.database_path()
    if not path.exists():
        print(f"no progress database at {path}; nothing to repair")
        return 0
    try:
        ProgressStore(path)
    except ProgressDatabaseError as err:
        moved = repair_database(path)
        print(f"{err.problem}.")
        for target in moved:
            print(f"moved aside to {target}")
        print("A fresh progress database will be created on next use. Nothing was deleted.")
        return 0
    print(f"{path} is readable; nothing to repair")
    return 0

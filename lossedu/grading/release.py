"""Build the homework notebooks students receive: ``lossedu release --sessions 1 2 --out DIR``.

Each ``exercises/NN_name.ipynb`` of a chosen session is copied with

* its setup call switched to homework mode: ``lossedu.session(k)`` -> ``lossedu.session(k, homework=True)``,
* a header cell: how to check answers, how hints and feedback behave in this course, how to name
  the submission, and the points of each problem (from the bank),
* outputs and execution counts cleared.

A notebook belongs to session ``k`` when its setup cell calls ``lossedu.session(k...)``.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lossedu import problems

SETUP_CALL = re.compile(r"lossedu\.session\(\s*(\d+)\s*(?:,([^)]*))?\)")
HEADER_TAG = "homework-header"
IDENTITY_CELL = ("# Replace your_id by your student id: the name of the notebook you submit (your_id.ipynb).\n"
                 "%env LOSSEDU_STUDENT=your_id")


class ReleaseError(ValueError):
    """The exercises needed for a release are missing or malformed."""


def notebook_session(nb: Any) -> int | None:
    """The session number of an exercise notebook's setup call, or None."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            match = SETUP_CALL.search(cell.source)
            if match:
                return int(match.group(1))
    return None


def homework_setup(source: str) -> str:
    """The setup cell's source with every ``lossedu.session(k, ...)`` call in homework mode."""
    def switch(match: re.Match) -> str:
        k, rest = match.group(1), (match.group(2) or "").strip()
        rest = re.sub(r"homework\s*=\s*\w+\s*,?\s*", "", rest).strip().rstrip(",").strip()
        return f"lossedu.session({k}, {rest + ', ' if rest else ''}homework=True)"
    return SETUP_CALL.sub(switch, source)


def header_markdown(k: int, notebook_name: str) -> str:
    """The instructions cell placed at the top of a released notebook."""
    from lossedu.config import load_course
    from lossedu.problems import session_title

    course = load_course()
    rows = [f"| q{i} | `{p.id}` | {p.title} | {p.points:g} |" for i, p in enumerate(problems.session_problems(k), 1)]
    total = sum(p.points for p in problems.session_problems(k))
    feedback = ("`check()` tells you whether an answer is right and, if not, what looks wrong"
                if course.homework_feedback else "`check()` records your answer; feedback comes after grading")
    hints = "`hint()` shows hints" if course.homework_hints else "hints are turned off for this homework"
    return "\n".join([
        f"# Homework — {session_title(k)}", "",
        "**How this homework works**", "",
        "1. Your numbers depend on your student id. Put it in the `%env LOSSEDU_STUDENT=your_id` cell "
        "above the setup cell before running anything; the setup cell shows the id it uses. The grader "
        "takes your id from the name of your submission, never from inside the notebook.",
        "2. Answer each question in its answer cell and run `ex.qN.check(answer)`. In this course "
        f"{feedback}; {hints}. `solution()` and `retry()` are not available in homework.",
        "3. Only your `check(...)` calls are graded: the last one per question counts, wherever it is in "
        "the notebook. Keep each answer cell runnable from top to bottom.",
        f"4. Submit this notebook named `your_id.ipynb` (or put `{notebook_name}` in a folder named "
        "`your_id`). Each notebook is run with a time and memory limit; code that never finishes "
        "loses the answers after it.", "",
        "| question | problem | title | points |", "|---|---|---|---:|", *rows, f"| | | **total** | **{total:g}** |",
    ])


def release(sessions: list[int], out: Path, exercises: Path) -> list[Path]:
    """Write the homework notebooks of ``sessions`` into ``out``; returns their paths.

    Raises
    ------
    ReleaseError
        If a session is unknown or has no exercise notebook in ``exercises``.
    """
    import nbformat

    known = problems.sessions()
    bad = [k for k in sessions if k not in known]
    if bad:
        raise ReleaseError(f"--sessions: unknown session(s) {bad}; sessions are {known}")
    found: dict[int, list[tuple[Path, Any]]] = {}
    for path in sorted(Path(exercises).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        k = notebook_session(nb)
        if k is not None:
            found.setdefault(k, []).append((path, nb))
    missing = [k for k in sessions if k not in found]
    if missing:
        raise ReleaseError(f"no exercise notebook in {exercises} calls lossedu.session(k) for session(s) {missing}; "
                           "run `lossedu generate` first")
    written = []
    out.mkdir(parents=True, exist_ok=True)
    for k in sessions:
        for path, nb in found[k]:
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.source = homework_setup(cell.source)
                    cell.outputs, cell.execution_count = [], None
            nb.cells = [c for c in nb.cells if HEADER_TAG not in c.metadata.get("tags", [])]
            header = nbformat.v4.new_markdown_cell(header_markdown(k, path.name))
            identity = nbformat.v4.new_code_cell(IDENTITY_CELL)
            for cell in (header, identity):
                cell.metadata["tags"] = [HEADER_TAG]
            setup = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and SETUP_CALL.search(c.source))
            nb.cells[setup:setup] = [identity]
            nb.cells.insert(0, header)
            target = out / path.name
            nbformat.write(nb, target)
            written.append(target)
    return written

"""Load limits and structure of the five session lessons.

Each session is one class meeting: a header with timing, objectives and prerequisites, no more than
about 45 cells, *Key points* and *What comes next* at the end, and every "Try it" prompt answered in
the lesson (a collapsed <details> answer, or an answer later in the notebook).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
SESSIONS = sorted(LESSONS.glob("0[1-5]_*.ipynb"))
MAX_CELLS = 45
#: Teaching minutes stated in a lesson's header must lie in this band (one class meeting).
TEACHING = (45, 60)


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def headings(path: Path) -> list[str]:
    out = []
    for cell in cells(path):
        if cell["cell_type"] == "markdown":
            out += [line.lstrip("#").strip() for line in source(cell).splitlines() if line.startswith("#")]
    return out


def test_there_are_five_sessions():
    assert [p.name[:2] for p in SESSIONS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", SESSIONS, ids=lambda p: p.name)
def test_cell_count_is_within_the_load_limit(path):
    n = len(cells(path))
    assert n <= MAX_CELLS, f"{path.name} has {n} cells (limit {MAX_CELLS}): split or move a topic"


@pytest.mark.parametrize("path", SESSIONS, ids=lambda p: p.name)
def test_header_states_timing_objectives_and_prerequisites(path):
    head = source(cells(path)[0])
    assert head.startswith(f"# Session {int(path.name[:2])} ·"), head[:60]
    for part in ("Teaching:", "Practice:", "Objectives", "Prerequisites"):
        assert part in head, f"{path.name}: header lacks {part!r}"
    minutes = int(re.search(r"Teaching:\*\*\s*(\d+) min", head).group(1))
    assert TEACHING[0] <= minutes <= TEACHING[1], f"{path.name}: {minutes} teaching minutes"


@pytest.mark.parametrize("path", SESSIONS, ids=lambda p: p.name)
def test_lesson_ends_with_key_points_and_what_comes_next(path):
    found = headings(path)
    assert found[-2:] == ["Key points", "What comes next"], found[-3:]
    closing = "\n".join(source(c) for c in cells(path)[-2:])
    assert "exercises/" in closing, f"{path.name}: the closing cells do not point to the exercise set"


@pytest.mark.parametrize("path", SESSIONS, ids=lambda p: p.name)
def test_every_try_it_has_an_answer(path):
    texts = [source(c) for c in cells(path) if c["cell_type"] == "markdown"]
    prompts = [t for t in texts if "Try it" in t]
    for prompt in prompts:
        tail = prompt[prompt.index("Try it"):]
        assert re.search(r"<details>\s*(>\s*)?<summary>Answer</summary>", tail), \
            f"{path.name}: a 'Try it' prompt has no collapsed answer: {tail[:80]!r}"


def test_the_try_it_check_can_fail(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "source": "> **Try it.** Guess.", "metadata": {}}]}
    target = tmp_path / "01_x.ipynb"
    target.write_text(json.dumps(nb))
    with pytest.raises(AssertionError, match="no collapsed answer"):
        test_every_try_it_has_an_answer(target)


@pytest.mark.parametrize("path", SESSIONS, ids=lambda p: p.name)
def test_code_cells_have_stored_outputs_and_no_errors(path):
    for cell in cells(path):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("execution_count") is not None, f"{path.name}: a code cell was never run"
        assert all(o.get("output_type") != "error" for o in cell.get("outputs", [])), path.name


def test_cross_references_name_the_right_session():
    """Worked example 1 (two-point regression) belongs to session 1, not session 2."""
    for path in SESSIONS:
        text = "\n".join(source(c) for c in cells(path))
        assert "worked example of session 2" not in text and "session-2 worked example" not in text, path.name


def test_the_syllabus_lists_each_session_with_its_stated_timing():
    readme = (LESSONS / "README.md").read_text(encoding="utf-8")
    for path in SESSIONS:
        head = source(cells(path)[0])
        teach = re.search(r"Teaching:\*\*\s*(\d+) min", head).group(1)
        practice = re.search(r"Practice:\*\*\s*(\d+) min", head).group(1)
        k = int(path.name[:2])
        row = next((line for line in readme.splitlines() if line.startswith(f"| {k} |")), None)
        assert row is not None, f"lessons/README.md has no table row for session {k}"
        assert f"{teach} min" in row and f"{practice} min" in row, (path.name, row)

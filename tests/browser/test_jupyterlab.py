"""The curriculum in a real browser: JupyterLab in headless Chromium, driven as a learner would.

1. The start page opens with its title; a lesson's interactive figure reacts to the keyboard
   (the picture and the printed readout both change).
2. In an exercise notebook, answers typed into a cell and run with Shift+Enter get feedback:
   "correct" for the right gradient, the "sign" diagnosis and a counterexample for a flipped one.
3. The progress view then shows the attempt, and the progress database holds it.

Each step leaves a screenshot in ``test-artifacts/browser/``.
"""
from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

import pytest

from . import lab
from .conftest import LEARNER, REPO

pytestmark = pytest.mark.browser

START_PAGE = "lessons/00_start_here.ipynb"
SLIDER_LESSON = "lessons/01_from_error_to_objective.ipynb"
EXERCISES = "exercises/01_from_error_to_objective_exercises.ipynb"
SESSION = 1
#: Hand-derived answers (d/dŷ of ½(ŷ − y)²), independent of the problem bank.
#: (right, sign-flipped) answers, written for the example weight a of this learner's variant.
GRADIENT_ANSWERS = {"grad.mse": ("{a}*(yhat - y)", "{a}*(y - yhat)")}
KEY_PRESSES = 4


def first_heading(notebook: Path) -> str:
    """The text of the first Markdown ``# `` heading of a stored notebook (read as plain JSON)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise AssertionError(f"{notebook} has no '# ' title heading")


# ------------------------------------------------------------------------------------ scenario 1
def test_start_page_shows_its_title(page, lab_server, artifacts):
    lab.open_notebook(page, lab_server, START_PAGE)
    title = first_heading(lab_server.root_dir / START_PAGE)
    heading = page.locator(f"{lab.NOTEBOOK} .jp-MarkdownOutput h1").first
    heading.wait_for(state="visible", timeout=lab.LOAD_MS)
    shown = heading.inner_text().replace("¶", "").strip()
    lab.screenshot(page, artifacts, "01_start_page")
    assert shown == title


def test_lesson_figure_follows_the_slider(page, lab_server, artifacts):
    lab.shutdown_kernels_and_open(page, lab_server, SLIDER_LESSON)
    lab.run_all_cells(page)
    figure = page.locator(f"{lab.NOTEBOOK} .lossedu-livefigure").filter(has=page.locator(".widget-slider")).first
    figure.wait_for(state="visible", timeout=lab.RUN_MS)
    image = figure.locator(".widget-output img").first
    image.wait_for(state="visible", timeout=lab.RUN_MS)
    readout = figure.locator(".lossedu-readout")
    readout.locator(".lossedu-value").first.wait_for(timeout=lab.RUN_MS)
    lab.wait_figure_settled(page, figure)
    lab.screenshot(page, artifacts, "02_lesson_before_slider", figure)

    src_before, text_before = image.get_attribute("src"), readout.inner_text()
    handle = figure.locator(".noUi-handle").first
    value_before = float(handle.get_attribute("aria-valuenow"))
    key = "ArrowLeft" if value_before >= float(handle.get_attribute("aria-valuemax")) else "ArrowRight"
    handle.focus()
    for _ in range(KEY_PRESSES):
        page.keyboard.press(key)
        time.sleep(0.05)
    # The Output widget replaces its <img> on every redraw: look it up afresh each time.
    page.wait_for_function(
        """([fig, src, text]) => {
            const img = fig.querySelector('.widget-output img');
            const readout = fig.querySelector('.lossedu-readout');
            return img && img.getAttribute('src') !== src && readout && readout.innerText !== text;
        }""",
        arg=[figure.element_handle(), src_before, text_before], timeout=lab.RUN_MS,
    )
    lab.wait_figure_settled(page, figure)
    lab.screenshot(page, artifacts, "03_lesson_after_slider", figure)
    lab.screenshot(page, artifacts, "03_lesson_after_slider_full")

    value_after = float(handle.get_attribute("aria-valuenow"))
    moved = value_after - value_before
    assert (moved > 0) if key == "ArrowRight" else (moved < 0), f"{key} moved the slider by {moved}"
    assert image.get_attribute("src") != src_before
    assert readout.inner_text() != text_before


# ------------------------------------------------------------------------------- scenarios 2, 3
def gradient_question() -> tuple[int, str]:
    """(question number, problem id) of the first session-1 question with a hand-derived answer."""
    from lossedu import problems

    ids = [p.id for p in problems.session_problems(SESSION)]
    for number, pid in enumerate(ids, 1):
        if pid in GRADIENT_ANSWERS:
            return number, pid
    raise AssertionError(f"session {SESSION} ({ids}) has none of {sorted(GRADIENT_ANSWERS)}")


PLACEHOLDER = re.compile(r"\.\.\.\s*# YOUR ANSWER HERE")
#: the placeholder of the line that holds the answer (``answer_qN = ...``); helpers such as
#: ``L = ...`` above it may stay as they are.
ANSWER_LINE = re.compile(r"(answer_q\d+\s*=\s*)\.\.\.\s*# YOUR ANSWER HERE")
NUMBER = r"(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"


def answer_cell(page, number: int):
    """The code cell where the learner answers question ``number`` (it holds ``ex.qN.check(``)."""
    sources = lab.cell_sources(page)
    marker = f"ex.q{number}.check("
    hits = [i for i, src in enumerate(sources) if marker in src]
    assert hits, f"no code cell calls {marker}...) in {EXERCISES}"
    index = hits[0]
    assert PLACEHOLDER.search(sources[index]), (
        f"the cell calling {marker}...) has no '... # YOUR ANSWER HERE' placeholder:\n{sources[index]}")
    return page.locator(lab.CODE_CELLS).nth(index), sources[index]


def answer_and_run(page, cell, template: str, answer: str, status: str):
    """Type the cell with ``answer`` in place of the placeholder, Shift+Enter, wait for ``status``."""
    if ANSWER_LINE.search(template):
        filled = ANSWER_LINE.sub(lambda m: m.group(1) + repr(answer), template, count=1)
    else:
        filled = PLACEHOLDER.sub(lambda _: repr(answer), template, count=1)
    lab.type_into_cell(page, cell, filled)
    lab.run_cell_with_shift_enter(page, cell)
    result = cell.locator(f".jp-OutputArea .lossedu-result.lossedu-{status}")
    result.wait_for(state="visible", timeout=lab.RUN_MS)
    return result


def test_exercise_feedback_then_progress(page, lab_server, lab_home, artifacts):
    from lossedu import problems

    number, pid = gradient_question()
    a = problems.get(pid).variant(LEARNER, 0).params["a"]
    right, flipped = (answer.format(a=a) for answer in GRADIENT_ANSWERS[pid])
    lab.shutdown_kernels_and_open(page, lab_server, EXERCISES)
    lab.run_all_cells(page)
    cell, template = answer_cell(page, number)
    # As generated, the question is not attempted yet.
    shown = cell.locator(".jp-OutputArea .lossedu-result")
    assert shown.count() == 1 and "lossedu-unattempted" in shown.get_attribute("class"), (
        f"q{number} as generated should say 'unattempted'; the cell shows: {cell.inner_text()!r}")

    # A sign mistake: diagnosed as such, with a counterexample that shows values, not the answer.
    wrong = answer_and_run(page, cell, template, flipped, "incorrect")
    cell.scroll_into_view_if_needed()
    lab.screenshot(page, artifacts, "04_exercise_sign_mistake", cell)
    lab.screenshot(page, artifacts, "04_exercise_sign_mistake_full")
    assert "incorrect" in wrong.inner_text()
    assert wrong.locator(".lossedu-diagnosis").inner_text().strip() == "sign"
    example = wrong.locator(".lossedu-counterexample").inner_text()
    found = re.search(rf"at (.*); expected {NUMBER}; your answer gives {NUMBER}", example)
    assert found, f"counterexample not in the form 'at y = .., yhat = ..; expected ..; ...': {example!r}"
    point = {name: float(value) for name, value in re.findall(rf"(\w+) = {NUMBER}", found.group(1))}
    assert set(point) == {"y", "yhat"}, f"the counterexample point should give y and yhat: {example!r}"
    y, yhat, expected, got = point["y"], point["yhat"], float(found.group(2)), float(found.group(3))
    assert expected == pytest.approx(a * (yhat - y), rel=1e-4, abs=1e-5)  # d/dŷ a·½(ŷ − y)² = a(ŷ − y)
    assert got == pytest.approx(a * (y - yhat), rel=1e-4, abs=1e-5)
    assert right not in example and flipped not in example

    # The right answer.
    correct = answer_and_run(page, cell, template, right, "correct")
    cell.scroll_into_view_if_needed()
    lab.screenshot(page, artifacts, "05_exercise_correct", cell)
    assert "correct" in correct.inner_text() and "incorrect" not in correct.inner_text()

    # Scenario 3: the progress view, in a new cell, then its numbers as a table.
    progress_cell = lab.append_code_cell(page)
    lab.type_into_cell(page, progress_cell, "import lossedu\nlossedu.progress()")
    lab.run_cell_with_shift_enter(page, progress_cell)
    figure = progress_cell.locator(".jp-OutputArea-output img")
    figure.wait_for(state="visible", timeout=lab.RUN_MS)
    lab.screenshot(page, artifacts, "06_progress_view", progress_cell)
    box = figure.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150, f"the progress figure is not drawn: {box}"

    table_cell = lab.append_code_cell(page)
    lab.type_into_cell(page, table_cell, PROGRESS_TABLE)
    lab.run_cell_with_shift_enter(page, table_cell)
    table = table_cell.locator(".jp-OutputArea-output pre").first.inner_text()
    row = re.search(rf"^Session {SESSION}\b.*?\s(\d+)/(\d+)\s", table, re.MULTILINE)
    assert row, f"no session {SESSION} row in the progress table:\n{table}"
    from lossedu import problems

    assert (int(row.group(1)), int(row.group(2))) == (1, len(problems.session_problems(SESSION)))
    assert re.search(r"^\s+sign\s+1\s*$", table, re.MULTILINE), f"the sign mistake is not counted:\n{table}"

    # The attempts are in the server's own progress store, in order.
    db = lab_home / "progress.db"
    assert db.is_file(), f"no progress database at {db}"
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT problem_id, status, diagnosis FROM attempts WHERE student = ? ORDER BY id",
                            (LEARNER,)).fetchall()
    finally:
        conn.close()
    assert rows == [(pid, "incorrect", "sign"), (pid, "correct", None)]


PROGRESS_TABLE = (
    "from lossedu.progress_view import format_table, summary\n"
    "print(format_table(summary()))"
)

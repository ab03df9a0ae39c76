"""Contracts between the notebooks and the problem bank.

* every lesson opens with objectives, prerequisites and minutes, and ends with key points and
  what comes next;
* every session has a solution notebook whose stored outputs show every question checked
  "correct" (nbval then proves a fresh run reproduces those outputs);
* every generated exercise notebook runs without error and reports every check "unattempted".
"""
import json
import re
import tempfile
from pathlib import Path

import pytest

from lossedu import problems
from lossedu.authoring import notebook_environment

ROOT = Path(__file__).resolve().parent.parent
RESULT = re.compile(r'class="lossedu-result lossedu-(\w+)".*?\[([\w.]+)\]', re.S)


def _notebook(folder: str, session: int) -> Path:
    found = sorted((ROOT / folder).glob(f"{session:02d}_*.ipynb"))
    assert len(found) == 1, f"expected one {folder}/{session:02d}_*.ipynb, found {found}"
    return found[0]


def _results(cells) -> list[tuple[str, str]]:
    """(status, problem id) of every Result rendered in the outputs."""
    found = []
    for cell in cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            found += RESULT.findall(html)
    return found


def _markdown(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


@pytest.mark.parametrize("path", sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.name)
def test_lesson_has_header_and_closing(path):
    md = _markdown(path)
    head, tail = "\n".join(md[:3]).lower(), "\n".join(md[-3:]).lower()
    if path.name.startswith("00_"):
        return  # the start page is a map, not a lesson
    for word in ("objectives", "prerequisites", "teaching", "practice"):
        assert word in head, f"{path.name}: the opening cells do not mention {word!r}"
    for word in ("key points", "what comes next"):
        assert word in tail, f"{path.name}: the closing cells do not mention {word!r}"


@pytest.mark.parametrize("session", problems.sessions())
def test_solution_notebook_checks_every_question_correct(session):
    path = _notebook("solutions", session)
    cells = json.loads(path.read_text())["cells"]
    expected = [p.id for p in problems.session_problems(session)]
    results = _results(cells)
    statuses = {pid: status for status, pid in results}
    missing = [pid for pid in expected if pid not in statuses]
    assert not missing, f"{path.name} never checks {missing}"
    wrong = {pid: s for pid, s in statuses.items() if s != "correct"}
    assert not wrong, f"{path.name}: stored checks not correct: {wrong}"
    assert 6 <= len(expected) <= 10, f"session {session} has {len(expected)} problems; want 6-10"


@pytest.mark.parametrize("session", problems.sessions())
def test_generated_exercise_runs_and_reports_unattempted(session):
    import nbclient
    import nbformat

    path = _notebook("exercises", session)
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as home:
        import os

        saved = dict(os.environ)
        os.environ.update(notebook_environment(home))
        try:
            nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                    resources={"metadata": {"path": str(path.parent)}}).execute()
        finally:
            os.environ.clear()
            os.environ.update(saved)
    results = _results(nb.cells)
    expected = {p.id for p in problems.session_problems(session)}
    assert {pid for _, pid in results} == expected, "every question must be checked once"
    assert {status for status, _ in results} == {"unattempted"}, results


@pytest.mark.parametrize("session", problems.sessions())
def test_answer_cells_give_the_symbols_and_helpers_the_prompts_mention(session):
    """A SymPy answer must not raise NameError: every expression answer cell defines the problem's
    symbols, and a notebook whose prompts mention `sigmoid` defines it for SymPy answers too."""
    path = _notebook("exercises", session)
    cells = [("".join(c["source"])) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    qs = problems.session_problems(session)
    for n, problem in enumerate(qs, start=1):
        if problem.kind not in ("expression", "vector", "steps"):
            continue
        cell = next(c for c in cells if f"ex.q{n}.check(" in c)
        defined = set()
        for names in re.findall(r'sp\.symbols\("([^"]+)"', cell) + re.findall(r'sp\.Symbol\("([^"]+)"', cell):
            defined |= set(names.split())
        assert set(problem.variables) <= defined, (path.name, f"q{n}", problem.variables, defined)
    mentions = any("sigmoid" in p.variant(None).prompt() for p in qs)
    if mentions:
        assert "def sigmoid(" in cells[0], f"{path.name}: prompts mention sigmoid but the notebook does not define it"

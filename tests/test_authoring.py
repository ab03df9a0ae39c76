"""The solutions/ -> exercises/ pipeline."""
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lossedu import authoring
from lossedu.authoring import AuthoringError, strip_code_solution, strip_markdown_solution

ROOT = Path(__file__).resolve().parent.parent


def test_assignment_region_becomes_placeholder_that_runs():
    src = "### BEGIN SOLUTION\nanswer_q1 = 'yhat - y'\n### END SOLUTION\nex.q1.check(answer_q1)"
    out = strip_code_solution(src)
    assert "yhat - y" not in out
    assert out.splitlines() == ["answer_q1 = ...  # YOUR ANSWER HERE", "ex.q1.check(answer_q1)"]
    namespace = {}
    exec(out.replace("ex.q1.check(answer_q1)", "result = answer_q1"), namespace)
    assert namespace["result"] is Ellipsis


def test_function_body_region_keeps_a_runnable_stub():
    src = (
        "def my_loss(y, z):\n"
        "    ### BEGIN SOLUTION\n"
        "    m = max(z, 0)\n"
        "    return m - y * z\n"
        "    ### END SOLUTION\n"
        "value = my_loss(1, 2)"
    )
    out = strip_code_solution(src)
    assert "return" not in out
    namespace = {}
    exec(out, namespace)
    assert namespace["value"] is None


def test_whole_function_region_becomes_stub_with_same_signature():
    src = "### BEGIN SOLUTION\ndef f(y, z):\n    return z - y\n### END SOLUTION"
    out = strip_code_solution(src)
    assert out.splitlines() == ["def f(y, z):", "    ...  # YOUR CODE HERE"]


def test_several_assignments_each_get_a_placeholder():
    out = strip_code_solution("### BEGIN SOLUTION\na = 1\nb: float = 2.0\n### END SOLUTION")
    assert out.splitlines() == ["a = ...  # YOUR ANSWER HERE", "b = ...  # YOUR ANSWER HERE"]


@pytest.mark.parametrize(
    "src, message",
    [
        ("### BEGIN SOLUTION\nx = 1", "never closed"),
        ("x = 1\n### END SOLUTION", "without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "nested"),
    ],
)
def test_malformed_markers_are_reported_with_location(src, message):
    with pytest.raises(AuthoringError, match=message):
        strip_code_solution(src, where="s.ipynb, cell 3")


def test_markdown_solution_is_removed():
    md = "Question\n<!-- BEGIN SOLUTION -->\nThe answer is 42.\n<!-- END SOLUTION -->\nEnd"
    assert strip_markdown_solution(md) == "Question\nEnd"
    with pytest.raises(AuthoringError, match="unbalanced"):
        strip_markdown_solution("<!-- BEGIN SOLUTION --> oops")


def _solution_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Set\n<!-- BEGIN SOLUTION -->secret<!-- END SOLUTION -->"),
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\nanswer = 3\n### END SOLUTION\nprint(answer)"),
        nbformat.v4.new_code_cell("print('only for authors')", metadata={"tags": ["solution-only"]}),
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="3\n")]
    nb.cells[1].execution_count = 1
    nb.cells[1].metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_generate_and_check_detect_stale_missing_and_orphan(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises").mkdir()
    nbformat.write(_solution_notebook(), tmp_path / "solutions" / "01_demo.ipynb")

    assert authoring.generate(tmp_path, check=True) == [
        "exercises/01_demo.ipynb is missing; run `lossedu generate`"
    ]
    assert authoring.generate(tmp_path) == []
    assert authoring.generate(tmp_path, check=True) == []

    ex = nbformat.read(tmp_path / "exercises" / "01_demo.ipynb", as_version=4)
    assert len(ex.cells) == 2, "solution-only cell must be dropped"
    assert "secret" not in ex.cells[0].source
    assert ex.cells[1].outputs == [] and ex.cells[1].execution_count is None
    assert "answer = ..." in ex.cells[1].source
    assert "execution" not in ex.cells[1].metadata and "widgets" not in ex.metadata

    path = tmp_path / "exercises" / "01_demo.ipynb"
    path.write_text(path.read_text().replace("YOUR ANSWER HERE", "edited by hand"))
    assert authoring.generate(tmp_path, check=True) == [
        "exercises/01_demo.ipynb is out of date; run `lossedu generate`"
    ]
    (tmp_path / "exercises" / "99_orphan.ipynb").write_text(json.dumps({}))
    assert any("99_orphan" in p for p in authoring.generate(tmp_path, check=True))


def test_repository_exercises_are_in_sync_with_solutions():
    """exercises/ must be exactly what `lossedu generate` writes from solutions/."""
    assert sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb")), "no solution notebooks"
    problems = authoring.generate(ROOT, check=True)
    assert problems == [], "\n".join(problems)


def test_cli_generate_check_exit_code(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises").mkdir()
    nbformat.write(_solution_notebook(), tmp_path / "solutions" / "01_demo.ipynb")
    cmd = [sys.executable, "-m", "lossedu.cli", "generate", "--check", "--root", str(tmp_path)]
    stale = subprocess.run(cmd, capture_output=True, text=True)
    assert stale.returncode == 1 and "missing" in stale.stderr
    subprocess.run(cmd[:-3] + ["--root", str(tmp_path)], check=True, capture_output=True)
    fresh = subprocess.run(cmd, capture_output=True, text=True)
    assert fresh.returncode == 0, fresh.stderr

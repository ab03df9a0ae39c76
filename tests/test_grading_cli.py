"""``lossedu release`` and ``lossedu grade`` from the command line."""
from __future__ import annotations

import json

import nbformat
import pytest

from lossedu import problems
from lossedu.grading.cli import grade_main, release_main
from lossedu.grading.release import homework_setup
from test_grading_helpers import HONEST, write


def _exercise(folder, name="01_from_error_to_objective_exercises.ipynb"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Session 1 exercises"),
                nbformat.v4.new_code_cell("import lossedu\nex = lossedu.session(1)\nex"),
                nbformat.v4.new_code_cell("answer_q1 = ...  # YOUR ANSWER HERE\nex.q1.check(answer_q1)")]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="stale output")]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)


def test_release_switches_to_homework_and_adds_the_header(tmp_path, capsys):
    _exercise(tmp_path / "exercises")
    assert release_main(["--sessions", "1", "--out", str(tmp_path / "hw"), "--exercises", str(tmp_path / "exercises")]) == 0
    nb = nbformat.read(tmp_path / "hw" / "01_from_error_to_objective_exercises.ipynb", as_version=4)
    header = nb.cells[0].source
    for p in problems.session_problems(1):
        assert f"`{p.id}`" in header
    assert f"**{sum(p.points for p in problems.session_problems(1)):g}**" in header
    assert "your_id.ipynb" in header and "check" in header
    setup = next(c for c in nb.cells if "lossedu.session(" in c.source)
    assert "lossedu.session(1, homework=True)" in setup.source and setup.outputs == []
    assert any("%env LOSSEDU_STUDENT" in c.source for c in nb.cells)
    assert "ex.q1.check(answer_q1)" in nb.cells[-1].source


def test_homework_setup_keeps_other_arguments():
    assert homework_setup("ex = lossedu.session(2)") == "ex = lossedu.session(2, homework=True)"
    assert homework_setup("lossedu.session( 3, homework=False)") == "lossedu.session(3, homework=True)"
    assert homework_setup("lossedu.session(1, student='x')") == "lossedu.session(1, student='x', homework=True)"


def test_release_errors_name_the_problem(tmp_path, capsys):
    _exercise(tmp_path / "exercises")
    assert release_main(["--sessions", "9", "--out", str(tmp_path / "o"), "--exercises", str(tmp_path / "exercises")]) == 2
    assert "unknown session" in capsys.readouterr().err
    other = max(problems.sessions())
    if other != 1:
        assert release_main(["--sessions", str(other), "--out", str(tmp_path / "o"),
                             "--exercises", str(tmp_path / "exercises")]) == 2
        assert "lossedu generate" in capsys.readouterr().err
    assert release_main(["--sessions", "1", "--out", str(tmp_path / "o"), "--exercises", str(tmp_path / "none")]) == 2


def test_grade_cli_exit_codes_and_progress(tmp_path, capsys):
    write(tmp_path / "subs", "ana.ipynb", HONEST)
    (tmp_path / "subs" / "broken.ipynb").write_text("nope")
    assert grade_main([str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--jobs", "1", "--timeout", "5",
                       "--sessions", "1"]) == 0
    captured = capsys.readouterr()
    assert "graded 2/2" in captured.err and "invalid-notebook 1" in captured.out
    assert json.loads((tmp_path / "out" / "run.json").read_text())["seed"] > 0
    assert grade_main([str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert grade_main([str(tmp_path / "subs"), "--out", str(tmp_path / "o"), "--sessions", "9"]) == 2
    bad = tmp_path / "roster.csv"
    bad.write_text("x,y\n")
    assert grade_main([str(tmp_path / "subs"), "--out", str(tmp_path / "o"), "--roster", str(bad)]) == 2
    assert "--roster" in capsys.readouterr().err
    for argv in (["--out", "o"], [str(tmp_path), "--out", "o", "--jobs", "0"], [str(tmp_path), "--out", "o", "--timeout", "-1"]):
        with pytest.raises(SystemExit) as exc:
            grade_main(argv)
        assert exc.value.code == 2


def test_grade_refuses_without_the_sandbox_and_says_how_to_enable_it(tmp_path, capsys, monkeypatch):
    from lossedu.grading import isolation

    write(tmp_path / "subs", "ada.ipynb", HONEST)
    monkeypatch.setattr(isolation, "unavailable_reason", lambda: "bwrap (bubblewrap) is not installed")
    assert grade_main([str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--sessions", "1"]) == 2
    err = capsys.readouterr().err
    for needed in ("bwrap (bubblewrap) is not installed", "apt-get install bubblewrap",
                   "kernel.unprivileged_userns_clone=1", "--no-sandbox"):
        assert needed in err, needed
    assert not (tmp_path / "out" / "gradebook.csv").exists()


def test_no_sandbox_is_printed_and_recorded(tmp_path, capsys):
    write(tmp_path / "subs", "ada.ipynb", HONEST)
    out = tmp_path / "out"
    assert grade_main([str(tmp_path / "subs"), "--out", str(out), "--sessions", "1", "--no-sandbox", "--jobs", "1"]) == 0
    assert "--no-sandbox" in capsys.readouterr().out
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["sandbox"].startswith("NONE") and results["settings"]["sandbox"] is False
    assert "--no-sandbox" in (out / "report.md").read_text(encoding="utf-8").splitlines()[2]
    assert all(s["outcome"] == "ok" for s in results["submissions"])

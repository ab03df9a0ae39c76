"""The Gradescope autograder zip, its results.json format, and an end-to-end run on a fake /autograder."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from lossedu import problems
from lossedu.grading.cli import gradescope_main
from test_grading_helpers import HONEST, Q1_SIGN, write

VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
#: Written from Gradescope's "Autograder Specifications" (output format of results.json).
RESULTS_SCHEMA = {
    "type": "object",
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "properties": {
                "score": {"type": "number"}, "max_score": {"type": "number"}, "name": {"type": "string"},
                "number": {"type": "string"}, "output": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}}, "visibility": VISIBILITY,
                "status": {"enum": ["passed", "failed"]}, "extra_data": {"type": "object"},
            },
            "additionalProperties": False,
        }},
        "leaderboard": {"type": "array"},
    },
    "anyOf": [{"required": ["score"]}, {"required": ["tests"]}],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    assert gradescope_main(["--sessions", "1", "--out", str(out), "--timeout", "20"]) == 0
    return out


def test_zip_has_gradescope_layout(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
        assert {"setup.sh", "run_autograder", "requirements.txt", "lossedu_autograder.json",
                "lossedu/__init__.py", "lossedu/grading/gradescope.py", "lossedu/course_default.toml"} <= names
        assert not any("__pycache__" in n for n in names)
        assert (zf.getinfo("run_autograder").external_attr >> 16) & 0o111
        assert zf.read("run_autograder").startswith(b"#!/usr/bin/env bash")
        assert json.loads(zf.read("lossedu_autograder.json"))["sessions"] == [1]


def _fake_autograder(tmp_path, autograder_zip, cells, email="alice@example.edu"):
    root = tmp_path / "autograder"
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(root / "source")
    runner = root / "source" / "run_autograder"
    runner.chmod(0o755)
    (root / "submission").mkdir(parents=True)
    if cells is not None:
        write(root / "submission", "homework.ipynb", cells)
    (root / "submission_metadata.json").write_text(json.dumps(
        {"id": 1, "users": [{"email": email, "id": 7, "name": "Alice"}], "assignment": {"title": "HW1"}}))
    env = {**os.environ, "LOSSEDU_AUTOGRADER_ROOT": str(root), "LOSSEDU_PYTHON": sys.executable}
    done = subprocess.run([str(runner)], env=env, capture_output=True, text=True, timeout=240, cwd=root)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    return results, done.stdout, root


def test_run_autograder_end_to_end(tmp_path, autograder_zip):
    results, stdout, root = _fake_autograder(tmp_path, autograder_zip, HONEST)
    assert f"lossedu from {root / 'source' / 'lossedu'}" in stdout  # the bundled source graded it
    assert results["score"] == 5.0  # HONEST answers q1-q5, one point each
    assert [t["max_score"] for t in results["tests"]] == [p.points for p in problems.session_problems(1)]
    assert [t["score"] for t in results["tests"]][5:] == [0.0] * (len(problems.session_problems(1)) - 5)
    assert all(t["visibility"] == "visible" for t in results["tests"])
    assert "alice@example.edu" in results["output"]


def test_run_autograder_reports_wrong_answers_and_missing_notebooks(tmp_path, autograder_zip):
    results, _, _ = _fake_autograder(tmp_path / "a", autograder_zip, [HONEST[0], Q1_SIGN, *HONEST[2:]])
    assert results["score"] == 4.0
    first = results["tests"][0]
    assert first["score"] == 0 and first["tags"] == ["sign"] and "hint:" in first["output"]
    empty, _, _ = _fake_autograder(tmp_path / "b", autograder_zip, None)
    assert empty["score"] == 0 and "No .ipynb notebook" in empty["output"]


def test_schema_rejects_malformed_results():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"tests": [{"score": "2"}]}, RESULTS_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"score": 1, "visibility": "sometimes"}, RESULTS_SCHEMA)


def test_gradescope_usage_errors(tmp_path, capsys):
    assert gradescope_main(["--sessions", "9", "--out", str(tmp_path / "a.zip")]) == 2
    assert "unknown session" in capsys.readouterr().err
    assert gradescope_main(["--sessions", "1", "--out", str(tmp_path / "a.tar")]) == 2
    with pytest.raises(SystemExit):
        gradescope_main(["--sessions", "x", "--out", str(tmp_path / "a.zip")])

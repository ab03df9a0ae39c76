"""Shortcuts don't count (issue #13, point 2), and the solution notebooks earn full marks under any
learner id without one.

Cells run in an in-process IPython shell (as in a notebook, where each cell is read as a whole),
inside a subprocess so the shell does not leak into other tests.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

RUNNER = r"""
import json, sys
from IPython.core.interactiveshell import InteractiveShell
from lossedu.result import Result

cells = json.loads(sys.stdin.read())
shell = InteractiveShell.instance()
out = []
for k, source in enumerate(cells):
    r = shell.run_cell(source, store_history=True)
    if r.error_in_exec is not None or r.error_before_exec is not None:
        out.append({"cell": k, "error": repr(r.error_in_exec or r.error_before_exec)})
    elif isinstance(r.result, Result):
        out.append({"cell": k, **r.result.to_dict()})
print(json.dumps(out, default=str))
"""


def run_cells(cells: list[str], home: Path, student: str) -> list[dict]:
    env = {**os.environ, "LOSSEDU_HOME": str(home), "LOSSEDU_STUDENT": student, "MPLBACKEND": "Agg"}
    env.pop("LOSSEDU_COURSE", None)
    done = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(cells), capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def notebook_cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


SETUP = "import numpy as np\nimport lossedu\nfrom lossedu import losses, risk\nex = lossedu.session(1)\n" \
        "p = ex.q3.params\nx = np.array([p['x1'], p['x2']], float)\ny = np.array([p['y1'], p['y2']], float)"


def test_a_value_computed_by_the_library_earns_practice_only(tmp_path: Path) -> None:
    results = run_cells([
        SETUP,
        "answer = risk.empirical_risk('mse', y, p['w0'] * x)\nex.q3.check(answer)",
        "answer = np.mean(0.5 * (p['w0'] * x - y) ** 2)\nex.q3.check(answer)",
        "def helper(a, b):\n    return losses.mse(a, b).mean()",
        "ex.q3.check(helper(y, p['w0'] * x))",
        "ex.q3.check(ex.q3.variant.reference)",
        "ex.q6.check(list(losses.mse(np.array(ex.q6.params['ys'], float), np.array(ex.q6.params['preds'], float))) + [0.0])",
    ], tmp_path / "home", "sam")
    shortcut, own, helper, revealed, wrong_too = results
    assert shortcut["status"] == "incorrect" and shortcut["diagnosis"] == "reference"
    assert "lossedu.risk.empirical_risk" in shortcut["message"] and "The value is right" in shortcut["message"]
    assert "from the definition with NumPy" in shortcut["message"]
    assert own["status"] == "correct"                        # the same number, computed from the definition
    assert helper["diagnosis"] == "reference" and "lossedu.losses.mse" in helper["message"]
    assert revealed["diagnosis"] == "reference" and ".reference" in revealed["message"]
    assert wrong_too["diagnosis"] == "reference" and "not right either" in wrong_too["message"]


def test_a_library_shortcut_does_not_count_toward_mastery(tmp_path: Path) -> None:
    results = run_cells([
        SETUP,
        "r = ex.q3.check(risk.empirical_risk('mse', y, p['w0'] * x))\nr",
        "Result = type(r)\nResult(status='correct' if not ex.q3.mastered else 'incorrect')",
    ], tmp_path / "home", "sam")
    assert results[0]["diagnosis"] == "reference"
    assert results[1]["status"] == "correct"                 # q3 is not mastered


SOLUTIONS = sorted((ROOT / "solutions").glob("0[1-5]_*.ipynb"))


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name[:2])
@pytest.mark.parametrize("student", ["learner-7", "zoë"])
def test_solution_notebook_earns_full_marks_for_any_learner(path: Path, student: str, tmp_path: Path) -> None:
    results = run_cells(notebook_cells(path), tmp_path / "home", student)
    errors = [r for r in results if "error" in r]
    assert not errors, errors
    checked = [r for r in results if r.get("problem_id")]
    assert checked, "no check ran"
    bad = {r["problem_id"]: (r["status"], r["diagnosis"], r["message"][:200]) for r in checked
           if r["status"] != "correct"}
    assert not bad, bad

"""Builders for the grading tests: tiny notebooks and a class of submissions for session 1.

Honest answers are computed inside the notebook from ``ex.qN.params`` with the formulas of the
source text (L = ½(ŷ − y)², R̂ = mean of L, dR̂/dw = mean of (w xᵢ − yᵢ) xᵢ), not with the
problem bank's reference functions, so the expected scores are an independent oracle.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lossedu import problems
from lossedu.checking import functions
from lossedu.spec import Problem
from lossedu.result import CORRECT, INCORRECT, Result

SETUP = "import lossedu\nex = lossedu.session(1, homework=True)"
Q1 = "answer_q1 = f\"{ex.q1.params['a']}*(yhat - y)\"\nex.q1.check(answer_q1)"   # a: the example's weight
Q1_SIGN = "ex.q1.check(f\"{ex.q1.params['a']}*(y - yhat)\")"
Q2 = "import sympy\nY, YHAT = sympy.symbols('y yhat', real=True)\nex.q2.check(ex.q2.params['a'] * sympy.sign(YHAT - Y))"
Q3 = ("p = ex.q3.params\nr1, r2 = p['w0'] * p['x1'] - p['y1'], p['w0'] * p['x2'] - p['y2']\n"
      "ex.q3.check((0.5 * r1**2 + 0.5 * r2**2) / 2)")
Q3_FACTOR = ("p = ex.q3.params\nr1, r2 = p['w0'] * p['x1'] - p['y1'], p['w0'] * p['x2'] - p['y2']\n"
             "ex.q3.check(0.5 * r1**2 + 0.5 * r2**2)")
Q4 = ("import sympy\np = ex.q4.params\nw = sympy.Symbol('w')\n"
      "ex.q4.check(((w * p['x1'] - p['y1']) * p['x1'] + (w * p['x2'] - p['y2']) * p['x2']) / 2)")
Q5 = ("p = ex.q5.params\nr1, r2 = p['w0'] * p['x1'] - p['y1'], p['w0'] * p['x2'] - p['y2']\n"
      "ex.q5.check((r1 * p['x1'] + r2 * p['x2']) / 2)")
HONEST = [SETUP, Q1, Q2, Q3, Q4, Q5]


def notebook(cells: list[str], markdown_between: bool = True) -> str:
    """A minimal nbformat-4 notebook (JSON text) with these code cells."""
    out = []
    for source in cells:
        if markdown_between:
            out.append({"cell_type": "markdown", "metadata": {}, "source": "Some text."})
        out.append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                    "source": source.splitlines(keepends=True)})
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": out})


def write(folder: Path, name: str, cells: list[str]) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(notebook(cells), encoding="utf-8")
    return path


def regression_numbers(pid: str, student: str) -> tuple[float, float]:
    """(risk, gradient) at w0 for a student's variant, by the source text's formulas."""
    p = problems.get(pid).variant(student).params
    r1, r2 = p["w0"] * p["x1"] - p["y1"], p["w0"] * p["x2"] - p["y2"]
    return (0.5 * r1**2 + 0.5 * r2**2) / 2, (r1 * p["x1"] + r2 * p["x2"]) / 2


def copied_cells(owner: str) -> list[str]:
    """A notebook whose session-1 numbers are the literal values computed for ``owner``."""
    risk, _ = regression_numbers("example.linreg_risk", owner)
    _, grad = regression_numbers("example.linreg_grad", owner)
    p = problems.get("grad.linreg_risk").variant(owner).params
    expr = f"(((w*{p['x1']} - {p['y1']})*{p['x1']} + (w*{p['x2']} - {p['y2']})*{p['x2']})/2)"
    return [SETUP, Q1, Q2, f"ex.q3.check({risk!r})", f"ex.q4.check({expr!r})", f"ex.q5.check({grad!r})"]


# --------------------------------------------------------------------------- a function problem
def bce_oracle(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Binary cross-entropy with logits, log(1 + e^z) − y z, stable via logaddexp."""
    return np.logaddexp(0.0, z) - y * z


def judge_bce_outputs(variant, inputs, outputs, warnings=None):
    """Judge ``test.bce_fn`` with :func:`bce_oracle` (independent of the bank's judge)."""
    for kwargs, out in zip(inputs, outputs):
        expected = bce_oracle(kwargs["y"], kwargs["z"])
        if isinstance(out, str):
            return Result(INCORRECT, message=f"raised {out}", problem_id=variant.id)
        if not np.all(np.isfinite(out)):
            return Result(INCORRECT, diagnosis="unstable", message="not finite", problem_id=variant.id)
        if out.shape != expected.shape or not np.allclose(out, expected, rtol=1e-7, atol=1e-9):
            return Result(INCORRECT, message="wrong values", problem_id=variant.id)
    return Result(CORRECT, score=1.0, message="Correct.", problem_id=variant.id)


def _bce_inputs(params, rng):
    z = np.concatenate([rng.normal(0, 3, 5), [800.0, -800.0, 0.0]])
    y = rng.integers(0, 2, z.size).astype(float)
    return [{"y": y, "z": z}, {"y": np.array([1.0]), "z": np.array([-800.0])}]


BCE_PROBLEM = Problem(id="test.bce_fn", session=1, kind="function", title="BCE with logits",
                                 concepts=("nll",), prompt="Implement it.", inputs=_bce_inputs, points=2.0)


def install_function_problem(monkeypatch) -> None:
    """Make ``test.bce_fn`` the last question of session 1, ``ex["test.bce_fn"]`` in a notebook
    (children inherit it through fork)."""
    real_get, real_session = problems.get, problems.session_problems

    def get(pid):
        return BCE_PROBLEM if pid == BCE_PROBLEM.id else real_get(pid)

    def session_problems(k):
        return real_session(k) + ([BCE_PROBLEM] if k == 1 else [])

    real_judge = functions.judge_outputs

    def judge_outputs(variant, inputs, outputs, warnings=None):
        if variant.id == BCE_PROBLEM.id:
            return judge_bce_outputs(variant, inputs, outputs, warnings)
        return real_judge(variant, inputs, outputs, warnings)

    monkeypatch.setattr(problems, "get", get)
    monkeypatch.setattr(functions, "judge_outputs", judge_outputs)
    monkeypatch.setattr(problems, "session_problems", session_problems)

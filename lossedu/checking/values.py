"""Judging numbers, arrays and multiple-choice answers.

A value answer may be a number (Python, NumPy, ``Fraction``, ``Decimal``, SymPy), an array or a
list of numbers (nested lists, a SymPy ``Matrix``, axes of length 1 are fine), or text that reads
as numbers (``"-3/2"``, ``"[0.5, 1/4]"``); see :mod:`lossedu.checking.coerce`. It is compared with the reference within the problem's
tolerance ``(rtol, atol)``: ``|got − expected| <= atol + rtol·|expected|``. Arrays are compared
entry by entry (partial credit = share of right entries). No counterexample is given for a value
problem: the only "point" is the problem itself, so its expected value would be the answer.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from lossedu.checking.coerce import MAX_ENTRIES, fit_shape, read_values
from lossedu.spec import Variant
from lossedu.result import CORRECT, INCORRECT, INVALID, Result

__all__ = ["judge_value", "judge_choice", "read_values", "MAX_ENTRIES"]
#: Factors the "factor" diagnosis looks for (any ratio would fit a single number).
FACTORS = (2.0, 0.5, 3.0, 1 / 3, 4.0, 0.25)


def _fmt(arr: np.ndarray) -> str:
    if arr.ndim == 0:
        return f"{float(arr):.6g}"
    return "(" + ", ".join(f"{v:.6g}" for v in arr.ravel()) + ")"


def judge_value(variant: Variant, answer: Any) -> Result:
    """Judge a number or array answer within the problem's tolerance."""
    pid = variant.id
    got = read_values(answer)
    if isinstance(got, str):
        return Result(INVALID, message=f"Could not read your answer: {got}", problem_id=pid)
    expected = np.asarray(variant.reference, dtype=float)
    got = fit_shape(got, expected)
    interpreted = _fmt(got)
    if got.shape != expected.shape:
        want = "one number" if expected.ndim == 0 else f"{expected.size} numbers"
        return Result(INCORRECT, message=f"Expected {want}, got {f'shape {got.shape}' if got.ndim else 'a single number'}.",
                      diagnosis="shape", interpreted=interpreted, problem_id=pid)
    rtol, atol = variant.problem.tolerance
    ok = np.abs(got - expected) <= atol + rtol * np.abs(expected)
    if ok.all():
        return Result(CORRECT, 1.0, "Correct.", interpreted=interpreted, problem_id=pid)
    tag, message = _diagnose_value(variant, got, expected, ok)
    score = float(ok.mean()) if expected.ndim else 0.0
    if expected.ndim:
        wrong = ", ".join(str(i + 1) for i in np.flatnonzero(~ok.ravel()))
        message = f"{int(ok.sum())} of {ok.size} entries are right; wrong: entry {wrong}. {message}"
    return Result(INCORRECT, score, message, tag, None, interpreted, pid,
                  {"wrong_entries": [int(i) + 1 for i in np.flatnonzero(~ok.ravel())]})


def _diagnose_value(variant: Variant, got: np.ndarray, expected: np.ndarray,
                    ok: np.ndarray) -> tuple[str | None, str]:
    rtol, atol = variant.problem.tolerance

    def close(a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))

    for mistake in variant.problem.mistakes:
        wrong = np.asarray(mistake.answer(variant.params), dtype=float)
        if wrong.shape == got.shape and close(got, wrong) and not close(expected, wrong):
            return mistake.diagnosis, mistake.message
    if np.any(np.abs(expected) > atol) and close(got, -expected):
        return "sign", "The sign is flipped."
    for c in FACTORS:
        if close(got, c * expected) and np.any(np.abs(expected) > atol):
            return "factor", (f"Your answer is {Fraction(c).limit_denominator(8)} times the correct value: look for a "
                              "forgotten constant (a ½ from the loss or a 1/n from the average).")
    if expected.ndim == 0:
        return None, "That is not the right value."
    return None, "Recompute the wrong entries."


# ---------------------------------------------------------------------------- multiple choice
def _key(answer: str) -> str:
    return answer.strip().strip("().[] ").lower()


def judge_choice(variant: Variant, answer: Any) -> Result:
    """Judge an option key; the message is the explanation of the chosen option."""
    pid, options = variant.id, variant.problem.options
    keys = ", ".join(repr(o.key) for o in options)
    if not isinstance(answer, str) or len(answer) > 20:
        return Result(INVALID, message=f"Answer with the key of one option: {keys}.", problem_id=pid)
    chosen = next((o for o in options if _key(o.key) == _key(answer)), None)
    if chosen is None:
        return Result(INVALID, message=f"{answer.strip()[:20]!r} is not an option; choose one of {keys}.",
                      problem_id=pid)
    if chosen.correct:
        return Result(CORRECT, 1.0, f"Correct. {chosen.explanation}", interpreted=chosen.key,
                      problem_id=pid)
    tag = next((m.diagnosis for m in variant.problem.mistakes
                if isinstance(m.answer, str) and _key(m.answer) == _key(chosen.key)), "known")
    return Result(INCORRECT, 0.0, chosen.explanation, tag, None, chosen.key, pid)

"""Judging numbers, arrays and multiple-choice answers.

A value answer may be a number (Python, NumPy, ``Fraction``, ``Decimal``, SymPy), an array or a
list of numbers (nested lists, a SymPy ``Matrix``, axes of length 1 are fine), or text that reads
as numbers (``"-3/2"``, ``"[0.5, 1/4]"``); see :mod:`lossedu.checking.coerce`. It is compared with the reference within the problem's
tolerance: the course's precision policy (three significant digits, see
:data:`lossedu.spec.VALUE_TOL`) or ``(rtol, atol)``: ``|got − expected| <= atol + rtol·|expected|``. Arrays are compared
entry by entry (partial credit = share of right entries). No counterexample is given for a value
problem: the only "point" is the problem itself, so its expected value would be the answer.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from lossedu.checking.coerce import MAX_ENTRIES, fit_shape, read_values
from lossedu.spec import Variant, value_close
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
    ok = value_close(got, expected, variant.problem.tolerance)
    if ok.all():
        return Result(CORRECT, 1.0, "Correct.", interpreted=interpreted, problem_id=pid)
    tag, message = _diagnose_value(variant, got, expected, ok)
    score = float(ok.mean()) if expected.ndim else 0.0
    if expected.ndim:
        wrong = ", ".join(str(i + 1) for i in np.flatnonzero(~ok.ravel()))
        message = f"{int(ok.sum())} of {ok.size} entries are right; wrong: entry {wrong}. {message}"
    return Result(INCORRECT, score, message, tag, None, interpreted, pid,
                  {"wrong_entries": [int(i) + 1 for i in np.flatnonzero(~ok.ravel())]})


#: The precision policy every value question states (see :data:`lossedu.spec.VALUE_TOL`).
PRECISION = "three significant digits"


def rounded_too_coarsely(got: np.ndarray, expected: np.ndarray, ok: np.ndarray) -> bool:
    """True when every wrong entry is the right value rounded to fewer digits than asked
    (0 to 2 decimals, or 1 to 2 significant digits): ``0.33`` for 1/3, ``0.0`` for 0.0004."""
    for g, e in zip(got.ravel()[~ok.ravel()], expected.ravel()[~ok.ravel()]):
        candidates = [round(float(e), d) for d in (0, 1, 2)]
        candidates += [float(f"{float(e):.{d}g}") for d in (1, 2)]
        if not any(abs(float(g) - c) <= 1e-9 * max(1.0, abs(c)) for c in candidates):
            return False
    return True


def _diagnose_value(variant: Variant, got: np.ndarray, expected: np.ndarray,
                    ok: np.ndarray) -> tuple[str | None, str]:
    """``(tag, message)``: a catalogued mistake that explains every wrong entry, else rounding,
    a flipped sign, a constant factor (too large or too small), or exchanged entries."""
    atol = variant.problem.tolerance[1]

    def near(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return value_close(a, b, variant.problem.tolerance)

    bad = ~ok
    catalogue = []
    for mistake in variant.problem.mistakes:
        try:
            wrong = np.asarray(mistake.answer(variant.params), dtype=float)
        except (TypeError, ValueError):
            continue
        if wrong.shape == got.shape:
            catalogue.append((mistake, wrong))
    for mistake, wrong in catalogue:   # the whole answer is a catalogued mistake
        if near(got, wrong).all() and not near(expected, wrong).all():
            return mistake.diagnosis, mistake.message
    for mistake, wrong in catalogue:   # the wrong entries are those of a catalogued mistake
        if near(got, wrong)[bad].all() and not near(expected, wrong)[bad].any():
            return mistake.diagnosis, mistake.message
    if rounded_too_coarsely(got, expected, ok):
        return "rounding", (f"Right, but rounded too coarsely: give at least {PRECISION} "
                            "(or an exact form such as 1/3).")
    big = np.abs(expected) > atol
    if (big & bad).any() and near(got, -expected)[bad].all():
        return "sign", ("The sign is flipped" + (" in the wrong entries" if expected.ndim else "")
                        + ": check which way each quantity moves (residual ŷ − y, a step against the gradient).")
    for c in FACTORS:
        if (big & bad).any() and near(got, c * expected)[bad].all():
            frac = Fraction(c).limit_denominator(8)
            if c > 1:
                return "factor", (f"Your answer is {frac} times the correct value: look for a factor too many "
                                  "(a sum where a mean was asked, a 2 the ½ should cancel, an extra weight).")
            return "factor", (f"Your answer is {frac} times the correct value: look for a forgotten factor "
                              "(a ½ from the loss, a weight, or a division by the wrong count).")
    if expected.ndim and expected.size > 1 and bad.sum() >= 2 and near(
            np.sort(got.ravel()), np.sort(expected.ravel())).all():
        return "swap", "The right numbers are there, in the wrong order: check the order the question asks for."
    if expected.ndim == 0:
        return None, "That is not the right value."
    return None, "Recompute the wrong entries."


# ---------------------------------------------------------------------------- multiple choice
def judge_choice(variant: Variant, answer: Any) -> Result:
    """Judge an option key (as shown in this variant's shuffled list); the message names the
    option picked and explains it."""
    pid = variant.id
    keys = ", ".join(repr(k) for k, _ in variant.shown_options())
    if not isinstance(answer, str) or len(answer) > 20:
        return Result(INVALID, message=f"Answer with the key of one option: {keys}.", problem_id=pid)
    chosen = variant.option(answer)
    if chosen is None:
        return Result(INVALID, message=f"{answer.strip()[:20]!r} is not an option; choose one of {keys}.",
                      problem_id=pid)
    key = variant.shown_key(chosen)
    picked = f"You picked ({key}): “{variant.option_text(chosen)}”."
    if chosen.correct:
        return Result(CORRECT, 1.0, f"Correct. {picked} {variant._shown_letters(chosen.explanation)}",
                      interpreted=key, problem_id=pid)
    tag = next((m.diagnosis for m in variant.problem.mistakes
                if isinstance(m.answer, str) and m.answer.strip().lower() == chosen.key), "concept")
    return Result(INCORRECT, 0.0, f"{picked} {variant._shown_letters(chosen.explanation)}", tag, None, key, pid,
                  {"option": chosen.key})

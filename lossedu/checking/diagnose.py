"""Diagnosis of a wrong expression: what kind of mistake is it?

First the problem's own catalogue of known wrong answers (each with a targeted message), then
generic detectors that run on every wrong answer, in this order:

========== ===================================================================================
kink       right everywhere except exactly on a kink (not a valid subgradient there)
sign       the negative of the answer (y − p̂ instead of p̂ − y)
factor     a constant multiple of the answer (a forgotten ½ or 1/n)
chain-rule the answer divided by an inner derivative (σ'(z) = σ(1 − σ), or x for ŷ = w x)
swap       the answer with y and ŷ exchanged
label      right for one label value only
branch     right on some regions of a piecewise answer only (the message names them)
========== ===================================================================================

A message never contains the reference answer; the judge adds one counterexample point.
"""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np
import sympy as sp

from lossedu.checking.sampling import AT_KINK
from lossedu.checking.symbolic import SYMBOLS, parse

if TYPE_CHECKING:  # pragma: no cover
    from lossedu.checking.tables import ReferenceTable
    from lossedu.spec import Variant

GENERIC = "Your answer does not match the correct one at some of the points checked."


def evaluate(expr: sp.Expr, names: Iterable[str], points: Mapping[str, np.ndarray]) -> np.ndarray:
    """Values of a vetted expression at the points (NaN where undefined), shape (N,)."""
    names = list(names)
    n = len(next(iter(points.values()))) if points else 1
    fn = sp.lambdify([SYMBOLS[v] for v in names], expr, modules="numpy")
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(fn(*(points[v] for v in names)))
            if np.iscomplexobj(out):
                out = np.where(np.abs(out.imag) < 1e-12, out.real, np.nan)
            out = np.broadcast_to(out.astype(float), (n,)).copy()
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, AttributeError):
        out = np.full(n, np.nan)
    return out


# ---------------------------------------------------------------------------- cached evaluations
def _as_expr(answer: Any, variant: "Variant") -> Any:
    from lossedu.spec import render

    if isinstance(answer, str):
        return parse(render(answer, variant.context), variant.problem.variables)
    return answer(variant.params)


def _evaluations(table: "ReferenceTable") -> dict[str, Any]:
    """Catalogue answers, chain factors and the swapped reference, evaluated once per table."""
    cache = getattr(table, "_diagnose_cache", None)
    if cache is not None:
        return cache
    variant, pts, names = table.variant, table.sample.points, table.problem.variables
    problem = table.problem
    mistakes = []
    for mistake in problem.mistakes:
        expr = _as_expr(mistake.answer, variant)
        parts = list(expr) if isinstance(expr, (list, tuple)) else [expr]
        mistakes.append((mistake, [evaluate(e, names, pts) for e in parts]))
    chains = [evaluate(_as_expr(c, variant), names, pts) for c in problem.chain]
    swapped = []
    if problem.swap:
        a, b = problem.swap
        other = {**pts, a: pts[b], b: pts[a]}
        refs = variant.reference
        refs = list(refs) if isinstance(refs, (list, tuple)) else [refs]
        swapped = [evaluate(r, names, other) for r in refs]
    cache = {"mistakes": mistakes, "chains": chains, "swapped": swapped}
    table._diagnose_cache = cache
    return cache


# ---------------------------------------------------------------------------- detectors
def diagnose(variant: "Variant", table: "ReferenceTable", k: int, got: np.ndarray,
             ok: np.ndarray) -> tuple[str | None, str]:
    """``(tag, message)`` for a wrong answer to component ``k`` (tag None when nothing fits)."""
    sample, value = table.sample, table.value[k]
    smooth = (sample.where != AT_KINK) & np.isfinite(value)
    evals = _evaluations(table)

    def matches(other: np.ndarray) -> bool:
        both = smooth & np.isfinite(other)
        return bool(both.sum() >= max(1, smooth.sum() // 2) and table.close(k, got, other)[both].all()
                    and not table.close(k, value, other)[both].all())

    for mistake, values in evals["mistakes"]:
        if k < len(values) and _same(table, k, got, values[k]):
            return mistake.diagnosis, mistake.message
    if ok[sample.where != AT_KINK].all():
        return "kink", _kink_message(table, ok)
    if matches(-value):
        return "sign", ("The sign is flipped: your answer is the negative of the correct one at "
                        "every point checked.")
    factor = _constant_factor(table, k, got, smooth)
    if factor is not None:
        factor, c = factor
        if abs(c) > 1:
            return "factor", (f"Your answer is {factor} times the correct one at every point checked: look "
                              "for a factor too many (a 2 that the ½ of the loss cancels, a sum where a "
                              "mean was asked).")
        return "factor", (f"Your answer is {factor} times the correct one at every point checked: look "
                          "for a forgotten constant (a ½ from the loss, a 1/n from the average, or a 2 "
                          "from a square).")
    for g in evals["chains"]:
        with np.errstate(all="ignore"):
            restored = got * g  # the answer with the missing inner derivative put back
            reduced = got / g   # the answer with an extra inner derivative taken out again
        both = smooth & np.isfinite(restored)
        if both.sum() >= max(1, smooth.sum() // 2) and table.close(k, restored, value)[both].all():
            return "chain-rule", ("A chain-rule factor is missing: you differentiated the outer "
                                  "function but did not multiply by the derivative of the inner one.")
        both = smooth & np.isfinite(reduced)
        if both.sum() >= max(1, smooth.sum() // 2) and table.close(k, reduced, value)[both].all():
            return "extra-factor", ("Your answer has one chain-rule factor too many: the inner "
                                    "derivative is already accounted for (for cross-entropy from a "
                                    "logit, σ′(z) cancels against ∂L/∂p), so do not multiply it in again.")
    if evals["swapped"] and matches_swapped(table, k, got, evals["swapped"][k], smooth):
        a, b = table.problem.swap
        return "swap", f"It looks as if {a} and {b} were exchanged somewhere in your answer."
    label = _label_message(table, ok, smooth)
    if label:
        return "label", label
    branch = _branch_message(table, ok)
    if branch:
        return "branch", branch
    return None, GENERIC


def _same(table: "ReferenceTable", k: int, got: np.ndarray, wrong: np.ndarray) -> bool:
    """``got`` equals a catalogued wrong answer at every point (kinks included, NaN where it is
    NaN) and that wrong answer is not itself accepted everywhere."""
    finite = np.isfinite(got) & np.isfinite(wrong)
    if not (np.isfinite(got) == np.isfinite(wrong)).all():
        return False
    return bool(table.close(k, got, wrong)[finite].all() and not table.accepts(k, wrong).all())


def matches_swapped(table: "ReferenceTable", k: int, got: np.ndarray, other: np.ndarray,
                    smooth: np.ndarray) -> bool:
    both = smooth & np.isfinite(other)
    if both.sum() < max(1, smooth.sum() // 2):
        return False
    return bool(table.close(k, got, other)[both].all() and not table.close(k, table.value[k], other)[both].all())


def _constant_factor(table: "ReferenceTable", k: int, got: np.ndarray,
                     smooth: np.ndarray) -> tuple[str, float] | None:
    """``(text, c)`` when ``got`` is ``c`` times the reference at every smooth point (c ≠ ±1)."""
    value = table.value[k]
    nz = smooth & (np.abs(value) > 1e-3) & np.isfinite(got)
    if nz.sum() < 3:
        return None
    c = float(np.median(got[nz] / value[nz]))
    if not np.isfinite(c) or abs(c) < 1e-9 or abs(c - 1) < 1e-6 or abs(c + 1) < 1e-6:
        return None
    with np.errstate(all="ignore"):
        if not table.close(k, got, c * value)[smooth].all():
            return None
    frac = Fraction(c).limit_denominator(24)
    return (str(frac) if abs(float(frac) - c) < 1e-6 else f"{c:.4g}"), c


def _label_message(table: "ReferenceTable", ok: np.ndarray, smooth: np.ndarray) -> str | None:
    problem, pts = table.problem, table.sample.points
    for var in problem.variables:
        if problem.domains[var] not in ("label01", "pm1"):
            continue
        values = (0.0, 1.0) if problem.domains[var] == "label01" else (-1.0, 1.0)
        for v, other in (values, values[::-1]):
            right = smooth & (pts[var] == v)
            wrong = smooth & (pts[var] == other)
            if right.any() and ok[right].all() and not ok[wrong].all():
                return (f"Your answer is right when {var} = {v:g} but wrong when {var} = {other:g}: "
                        "it has to hold for both label values.")
    return None


def _branch_message(table: "ReferenceTable", ok: np.ndarray) -> str | None:
    regions, where = table.problem.regions, table.sample.region
    right = [r.label for i, r in enumerate(regions) if (where == i).any() and ok[where == i].all()]
    wrong = [r.label for i, r in enumerate(regions) if (where == i).any() and not ok[where == i].all()]
    if right and wrong:
        return (f"Your answer is right where {' and where '.join(right)}, but wrong where "
                f"{' and where '.join(wrong)}: check that piece of the function.")
    return None


def _kink_message(table: "ReferenceTable", ok: np.ndarray) -> str:
    bad = np.flatnonzero(~ok)
    kinks = table.problem.kinks
    label = kinks[table.sample.kink[bad[0]]].label if len(kinks) else "the kink"
    return (f"Your answer is right away from the kink, but exactly at {label} its value is not a "
            "valid subgradient: there any value between the slopes on the two sides is accepted.")

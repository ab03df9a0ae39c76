"""Far-out probe points: the last numeric check of an answer SymPy could not prove equal.

The comparison sample (:mod:`lossedu.checking.sampling`) draws real variables from [-3, 3]. An
answer that agrees with the reference there but not beyond, such as
``Piecewise((sigmoid(z) - y, abs(z) < 4), (0, True))`` or ``sigmoid(z) - y + exp(z - 50)``,
passes that sample. Such answers are caught here, on points of the same domains at every scale:

* a pool of points whose magnitudes run log-uniformly from 1 to 10^12 (probabilities from 10^-12
  to 1 - 10^-12), drawn once per problem;
* points built from the answer's own numbers: for every number c written in it (and products
  and ratios of two of them), a variable set to ±c (a special case such as ``Eq(z, 1.25)``),
  ±(1.5|c| + 1) and ±(3|c| + 2) (past a threshold such as ``abs(z) < 1e9``), and points at
  distance 1/(2c) from each kink of the reference (inside a band such as ``Min(1, 1e4*r)``).

Floating point breaks down far out (``exp(800)`` overflows), so a value that differs from the
reference is confirmed with 30-digit arithmetic (:func:`sympy.N`) before the answer is called
wrong; points where the reference itself is not finite in floating point are skipped.
"""
from __future__ import annotations

from functools import lru_cache
from itertools import combinations
from typing import Any

import numpy as np
import sympy as sp

from lossedu.checking.compiled import evaluate, exact_value
from lossedu.checking.sampling import Sample, draw_point, problem_rng
from lossedu.spec import Problem, Variant
from lossedu.checking.symbolic import SYMBOLS

N_POOL = 240                         # wide points per problem
MAX_EXPONENT = 12                    # magnitudes up to 10**MAX_EXPONENT
FIXED = (10.0, 30.0, 1e3, 1e6, 1e12)  # each variable alone at ± these values
MAX_CONSTANTS = 12                   # numbers of an answer used to build probe points
MAX_CONFIRM = 6                      # disagreements re-checked with 30 digits
DIGITS = 30


def _wide_value(dom: Any, rng: np.random.Generator, magnitude: float) -> float | None:
    """A value of domain ``dom`` at scale ``magnitude`` (None: the domain has no far-out values)."""
    if dom == "real":
        return magnitude * rng.choice((-1.0, 1.0))
    if dom in ("positive", "nonneg"):
        return magnitude if rng.random() < 0.5 else 1.0 / magnitude
    if dom in ("prob", "eps"):
        tiny = 1.0 / max(magnitude, 2.0)
        return tiny if rng.random() < 0.5 or dom == "eps" and tiny > 0.1 else 1.0 - tiny
    return None  # labels, one-hot, bounded intervals: nothing far out


def _fits(dom: Any, value: float) -> bool:
    if dom == "real":
        return True
    if dom in ("positive",):
        return value > 0
    if dom == "nonneg":
        return value >= 0
    if dom == "prob":
        return 0 < value < 1
    if dom == "eps":
        return 0 <= value < 1
    return False


def _rows_to_sample(rows: list[dict[str, float]], names: tuple[str, ...]) -> Sample:
    pts = {v: np.array([r[v] for r in rows], dtype=float) for v in names}
    n = len(rows)
    return Sample(points=pts, minus=pts, plus=pts, where=np.zeros(n, int),
                  region=np.full(n, -1), kink=np.full(n, -1))


@lru_cache(maxsize=128)
def _pool_rows(problem: Problem) -> tuple[dict[str, float], ...]:
    """The wide pool of ``problem``: random far-out points and each variable alone at ±FIXED."""
    rng = problem_rng(problem.id, salt="wide")
    rows = []
    wide = [v for v in problem.variables if _wide_value(problem.domains[v], rng, 10.0) is not None]
    for i in range(N_POOL):
        pt = draw_point(problem, rng, i)
        for var in wide:
            if rng.random() < 0.6:
                pt[var] = _wide_value(problem.domains[var], rng, 10 ** rng.uniform(0, MAX_EXPONENT))
        rows.append(pt)
    for j, var in enumerate(wide):
        for k, scale in enumerate(FIXED):
            for sign in (-1.0, 1.0):
                pt = draw_point(problem, rng, j + k)
                value = _wide_value(problem.domains[var], rng, scale)
                pt[var] = sign * abs(value) if problem.domains[var] == "real" else value
                rows.append(pt)
    return tuple(rows)


def constants(expr: sp.Expr) -> list[float]:
    """Magnitudes of the numbers written in ``expr`` (and of products and ratios of two)."""
    found: set[float] = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Number) or (node.is_number and not node.is_Atom):
            try:
                value = abs(float(node))
            except (TypeError, ValueError, OverflowError):
                continue
            if np.isfinite(value) and value > 0:
                found.add(value)
    base = sorted(found, key=lambda c: -abs(np.log10(c)))[:MAX_CONSTANTS]
    mixed = {a * b for a, b in combinations(base, 2)} | {a / b for a, b in combinations(base, 2)}
    mixed |= {b / a for a, b in combinations(base, 2)}
    return sorted(c for c in set(base) | mixed if np.isfinite(c) and c > 0)


def _values(dom: Any, c: float) -> tuple[float, ...]:
    """Probe values of a domain just past the number ``c`` (and well past it)."""
    if dom == "real":
        return (c, -c, 1.5 * c + 1, 3 * c + 2, -(1.5 * c + 1), -(3 * c + 2))
    if dom in ("positive", "nonneg"):
        return (c, 1.5 * c + 1, 3 * c + 2, c / 2)
    return (c, 1 - c, c / 2, 1 - c / 2)  # prob, eps: inside (0, 1) only (filtered by _fits)


def _constant_rows(problem: Problem, expr: sp.Expr) -> list[dict[str, float]]:
    """Points past each number of the answer, and at distance 1/(2c), 1/(4c) from each kink."""
    rng = problem_rng(problem.id, salt="constants")
    rows = []
    names = [v for v in problem.variables if _wide_value(problem.domains[v], rng, 10.0) is not None]
    found = constants(expr)
    for i, c in enumerate(found):
        for var in names:
            for value in _values(problem.domains[var], c):
                if _fits(problem.domains[var], value) and np.isfinite(value):
                    pt = draw_point(problem, rng, i)
                    pt[var] = value
                    rows.append(pt)
    steps = {1e-6, 1e-9} | {f / c for c in found if c > 1 for f in (0.5, 0.25)}
    for k, kink in enumerate(problem.kinks):
        for j, t in enumerate(sorted(steps)):
            base = draw_point(problem, rng, k + j)
            rows += [kink.place(base, t), kink.place(base, -t)]
    return rows


def _precise(expr: sp.Expr, point: dict[str, float]) -> complex | float:
    """``expr`` at ``point`` with :data:`DIGITS` digits (NaN when undefined there)."""
    subs = {SYMBOLS[k]: sp.Float(v, DIGITS) for k, v in point.items()}
    return exact_value(expr, subs, DIGITS, infinite_ok=True)


def _nudged(problem: Problem, point: dict[str, float], sign: float) -> dict[str, float]:
    """``point`` moved by a relative 1e-12 (a different step per variable, so no kink is tangent)."""
    out = dict(point)
    for k, var in enumerate(problem.variables):
        if _wide_value(problem.domains[var], np.random.default_rng(0), 10.0) is not None:
            out[var] = point[var] + sign * 1e-12 * (k + 1) * max(abs(point[var]), 1.0)
    return out


def far_mismatch(variant: Variant, expr: sp.Expr, reference: sp.Expr) -> dict[str, Any] | None:
    """A counterexample where ``expr`` differs from ``reference`` far out, or None.

    A disagreement found in floating point counts only if it survives 30-digit arithmetic, where
    any value between the reference's one-sided limits is accepted (the point may lie on a kink).
    """
    problem = variant.problem
    names = problem.variables
    rows = list(_pool_rows(problem)) + _constant_rows(problem, expr)
    if not rows:
        return None
    sample = _rows_to_sample(rows, names)
    rtol, atol = problem.tolerance
    want = evaluate(reference, names, sample.points)
    got = evaluate(expr, names, sample.points)
    with np.errstate(all="ignore"):
        tol = atol + rtol * np.maximum(np.abs(want), 1.0)
        gap = np.where(np.isfinite(got), np.abs(got - want), np.inf)
    suspect = np.isfinite(want) & ~(gap <= tol)
    for i in sorted(np.flatnonzero(suspect), key=lambda i: -gap[i])[:MAX_CONFIRM]:
        exact = {k: float(v[i]) for k, v in sample.points.items()}
        truth = [_precise(reference, p) for p in
                 (exact, _nudged(problem, exact, -1.0), _nudged(problem, exact, 1.0))]
        if not all(np.isfinite(truth)):
            continue
        mine, lo, hi = _precise(expr, exact), min(truth), max(truth)
        slack = atol + rtol * max(abs(lo), abs(hi), 1.0)
        if not (np.isfinite(mine) and lo - slack <= mine <= hi + slack):
            shown = {k: int(v) if v.is_integer() and abs(v) < 1e6 else float(f"{v:.12g}")
                     for k, v in exact.items()}
            return {"point": shown, "expected": _num(truth[0]), "got": _num(mine)}
    return None


def _num(v: float) -> float | str:
    return float(f"{v:.6g}") if np.isfinite(v) else str(v)

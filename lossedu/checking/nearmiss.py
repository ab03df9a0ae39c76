"""Near-misses the ordinary sample cannot see, and disagreements that are only rounding.

Three checks the judge runs around its numeric comparison:

* **Points the answer singles out.** An answer such as ``Piecewise((7, Eq(z, 0)), (σ(z) - y,
  True))`` differs from the reference on a set of measure zero, which random points never hit.
  Every condition in the answer (of ``Piecewise``, ``Eq``, ``Heaviside``, ``sign``, ``Abs``,
  ``Max``, ``Min``) is solved for each variable it contains (when it is linear or quadratic in
  it), and the answer is compared with the reference *exactly* there, in rational arithmetic, so
  ``Eq(yhat, y/3)`` holds at the point as written. At a kink of the reference any value between
  its one-sided limits (the subdifferential) is accepted.
* **Numerical safeguards.** ``σ(z) - y + 1e-9`` or ``(p - y)/(p(1 - p) + 1e-12)`` agree with the
  reference to many digits, but a safeguard is not the derivative. An answer with a number
  within :data:`TINY` (relative) of an integer but not equal to it (``1e-9``, or ``1.00000001``
  where SymPy folded ``1 + 1e-8``) that becomes right when each such number is replaced by its
  integer is diagnosed ``"safeguard"``.
* **Rounding.** An algebraically exact answer can cancel catastrophically in float64 (a
  polynomial of high degree, expanded) or overflow where the reference does not
  (``exp(z)/(1 + exp(z))`` at z = 800). Values that disagree are recomputed with :data:`DIGITS`
  significant digits (SymPy's ``evalf``, i.e. mpmath) before they count.
"""
from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp

from lossedu.checking.compiled import evaluate, exact_value
from lossedu.checking.sampling import draw_point, problem_rng
from lossedu.checking.symbols import SYMBOLS
from lossedu.spec import Variant

TINY = 1e-4         # numbers at most this large (and not 0) may be a safeguard
DIGITS = 50         # significant digits for settling a rounding question
MAX_ROWS = 24       # exact points from the answer's conditions
MAX_RECHECK = 64    # float disagreements recomputed in high precision
NUDGE = sp.Rational(1, 10**12)
BUDGET = 0.25       # seconds for the exact points of one answer
_REAL_DOMAINS = ("real", "positive", "nonneg", "prob", "eps")

SAFEGUARD = ("Your answer has a tiny extra number ({c}) that the derivative does not have: without "
             "it your answer is right. A numerical safeguard (a small constant added to avoid a "
             "division by zero or a log of 0) belongs in code, not in the derivative; remove it.")


# ---------------------------------------------------------------------------- safeguards
def tiny_numbers(expr: sp.Expr) -> dict[sp.Number, sp.Integer]:
    """Numbers of ``expr`` that differ from an integer ``r`` by at most :data:`TINY` times
    max(1, |r|), but are not ``r`` (``1e-9``, ``1.00000001``), each with its ``r``."""
    found: dict[sp.Number, sp.Integer] = {}
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Float) or (isinstance(node, sp.Rational) and not node.is_Integer):
            value = float(node)
            r = round(value)
            if value != r and abs(value - r) <= TINY * max(1.0, abs(r)):
                found[node] = sp.Integer(r)
    return found


def without_tiny(expr: sp.Expr) -> sp.Expr | None:
    """``expr`` with every tiny deviation removed (each number replaced by its integer), or None
    when it has none (or the result is not a finite expression)."""
    tiny = tiny_numbers(expr)
    if not tiny:
        return None
    out = expr.xreplace(tiny)
    if out.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or not isinstance(out, sp.Expr):
        return None
    return out


def safeguard_message(expr: sp.Expr) -> str:
    shown = ", ".join(sorted({f"{float(c):.12g}" for c in tiny_numbers(expr)}))
    return SAFEGUARD.format(c=shown)


# ---------------------------------------------------------------------------- rounding
def precise(expr: sp.Expr, point: dict[str, Any], digits: int = DIGITS) -> float:
    """``expr`` at ``point`` with ``digits`` significant digits (NaN when undefined or complex).

    Values of ``point`` may be floats (taken exactly, as binary fractions) or SymPy numbers."""
    subs = {SYMBOLS[k]: (v if isinstance(v, sp.Basic) else sp.Rational(float(v)))
            for k, v in point.items()}
    return exact_value(expr, subs, digits)


def settle_rounding(expr: sp.Expr, points: dict[str, np.ndarray], got: np.ndarray,
                    ok: np.ndarray, accepts: Any) -> np.ndarray:
    """``ok`` after recomputing the learner's failing values in high precision.

    ``accepts(values) -> bool array`` is the table's test. The first three failures are
    recomputed; if any of them is really wrong the answer is wrong and ``ok`` comes back
    unchanged (cheap for ordinary wrong answers). Otherwise up to :data:`MAX_RECHECK` failures
    are recomputed; the rest stay failures.
    """
    bad = np.flatnonzero(~ok)
    fixed = got.copy()
    for n, i in enumerate(bad[:MAX_RECHECK]):
        fixed[i] = precise(expr, {k: float(v[i]) for k, v in points.items()})
        if n == 2 and not accepts(fixed)[bad[:3]].all():
            return ok
    if not accepts(fixed)[bad[:3]].all():
        return ok
    return accepts(fixed)


# ---------------------------------------------------------------------------- singled-out points
def _conditions(expr: sp.Expr) -> list[tuple[sp.Expr, bool]]:
    """(f, single) for each condition of the answer: f = lhs - rhs, whose zero set the answer
    singles out; ``single`` when it is an equation (``Eq``/``Ne``: one point, not a boundary)."""
    found = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Eq, sp.Ne)):
            found.append((node.lhs - node.rhs, True))
        elif isinstance(node, (sp.Lt, sp.Le, sp.Gt, sp.Ge)):
            found.append((node.lhs - node.rhs, False))
        elif isinstance(node, (sp.Heaviside, sp.sign, sp.Abs)):
            found.append((node.args[0], False))
        elif isinstance(node, (sp.Max, sp.Min)) and len(node.args) == 2:
            found.append((node.args[0] - node.args[1], False))
    out: list[tuple[sp.Expr, bool]] = []
    for f, single in found:
        syms = sorted(f.free_symbols, key=str)
        if syms and (f, single) not in out and f.is_polynomial(*syms):
            out.append((f, single))
    return out


def _exact_value(dom: Any, x: float) -> sp.Rational:
    """A short binary fraction near ``x`` (exact in float64 too)."""
    return sp.Rational(round(x * 8), 8)


def _roots(f: sp.Expr, var: sp.Symbol) -> list[sp.Expr]:
    try:
        poly = sp.Poly(f, var)
    except (sp.PolynomialError, sp.GeneratorsNeeded, ValueError, TypeError):
        return []
    if poly.degree() == 1:
        a, b = poly.all_coeffs()
        return [-b / a] if a != 0 else []
    if poly.degree() == 2:
        a, b, c = poly.all_coeffs()
        disc = b * b - 4 * a * c
        if a == 0 or not (disc.is_number and disc >= 0):
            return []
        return [(-b - sp.sqrt(disc)) / (2 * a), (-b + sp.sqrt(disc)) / (2 * a)]
    return []


def _fits(dom: Any, v: sp.Expr) -> bool:
    if not (v.is_number and v.is_real):
        return False
    if dom == "real":
        return True
    if dom == "positive":
        return bool(v > 0)
    if dom == "nonneg":
        return bool(v >= 0)
    if dom == "prob":
        return bool(0 < v < 1)
    if dom == "eps":
        return bool(0 <= v < 1)
    return False


def condition_rows(variant: Variant, expr: sp.Expr) -> list[tuple[dict[str, sp.Expr], bool]]:
    """Exact points on the conditions of ``expr`` (see the module docstring), each with a flag
    saying whether it lies on an equation (where only exact arithmetic can be trusted)."""
    return list(_condition_rows(variant.problem, expr))


@lru_cache(maxsize=512)
def _condition_rows(problem: Any, expr: sp.Expr) -> tuple[tuple[dict[str, sp.Expr], bool], ...]:
    conds = _conditions(expr)
    if not conds:
        return ()
    rng = problem_rng(problem.id, salt="conditions")
    rows: list[tuple[dict[str, sp.Expr], bool]] = []
    for f, single in conds:
        for var in problem.variables:
            sym = SYMBOLS[var]
            if sym not in f.free_symbols or problem.domains[var] not in _REAL_DOMAINS:
                continue
            for i in range(3):
                base = draw_point(problem, rng, i)
                exact = {k: _exact_value(problem.domains[k], v) for k, v in base.items()}
                g = f.xreplace({SYMBOLS[k]: v for k, v in exact.items() if k != var})
                for root in _roots(g, sym):
                    if _fits(problem.domains[var], root):
                        rows.append(({**exact, var: root}, single))
                if len(rows) >= MAX_ROWS:
                    return tuple(rows)
    return tuple(rows)


def _nudged(variant: Variant, row: dict[str, sp.Expr], sign: int) -> dict[str, sp.Expr]:
    out = dict(row)
    for k, var in enumerate(variant.problem.variables):
        if variant.problem.domains[var] in _REAL_DOMAINS:
            out[var] = row[var] + sign * NUDGE * (k + 1) * max(abs(row[var]), 1)
    return out


def singled_out_mismatch(variant: Variant, expr: sp.Expr, reference: sp.Expr) -> dict[str, Any] | None:
    """A counterexample on a point the answer's own conditions single out, or None.

    All points are compared in floating point first; those where the two disagree, and those on
    an equation (``Eq(yhat, y/3)`` may hold only in exact arithmetic), are compared exactly."""
    problem = variant.problem
    rtol, atol = problem.tolerance
    rows = condition_rows(variant, expr)
    if not rows:
        return None
    names = problem.variables
    pts = {k: np.array([float(r[k]) for r, _ in rows]) for k in names}
    with np.errstate(all="ignore"):
        got, want = evaluate(expr, names, pts), evaluate(reference, names, pts)
        close = np.isfinite(got) & (np.abs(got - want) <= atol + rtol * np.maximum(np.abs(want), 1.0))
    stop = time.monotonic() + BUDGET
    for i, (row, single) in enumerate(rows):
        if close[i] and not single:
            continue
        if time.monotonic() > stop:
            break
        mine, want_i = precise(expr, row), precise(reference, row)
        if not np.isfinite(want_i):
            continue
        if np.isfinite(mine) and abs(mine - want_i) <= atol + rtol * max(abs(want_i), 1.0):
            continue
        truth = [want_i] + [precise(reference, _nudged(variant, row, s)) for s in (-1, 1)]
        if not all(np.isfinite(truth)):
            continue
        lo, hi = min(truth), max(truth)
        slack = atol + rtol * max(abs(lo), abs(hi), 1.0)
        if np.isfinite(mine) and lo - slack <= mine <= hi + slack:
            continue  # on a kink: a member of the subdifferential
        point = {k: _shown(v) for k, v in row.items()}
        expected: Any = _num(want_i) if hi - lo <= slack else f"any value in [{_num(lo)}, {_num(hi)}]"
        return {"point": point, "expected": expected, "got": _num(mine)}
    return None


def _shown(v: sp.Expr) -> float | int:
    f = float(v)
    return int(f) if f.is_integer() and abs(f) < 1e6 else float(f"{f:.12g}")


def _num(v: float) -> float | str:
    return float(f"{v:.6g}") if np.isfinite(v) else str(v)

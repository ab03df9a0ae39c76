"""Vetted expressions evaluated on arrays of points, compiled once.

:func:`evaluate` is :func:`lossedu.checking.diagnose.evaluate` with the NumPy function built
by :func:`sympy.lambdify` kept in a small cache (keyed by the expression and the variable
names), so an answer checked again, or evaluated on several sets of points in one check, is
compiled once. Only expressions that passed the safe parser or ``vet`` come here.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import sympy as sp

from lossedu.checking.symbols import SYMBOLS

CACHE_SIZE = 512


@lru_cache(maxsize=CACHE_SIZE)
def compiled(expr: sp.Expr, names: tuple[str, ...]) -> Callable[..., Any]:
    """The NumPy function of ``expr`` with arguments ``names`` (cached)."""
    return sp.lambdify([SYMBOLS[v] for v in names], expr, modules="numpy")


def evaluate(expr: sp.Expr, names: Iterable[str], points: Mapping[str, np.ndarray]) -> np.ndarray:
    """Values of a vetted expression at the points (NaN where undefined), shape (N,)."""
    names = tuple(names)
    n = len(next(iter(points.values()))) if points else 1
    try:
        fn = compiled(expr, names)
        with np.errstate(all="ignore"):
            out = np.asarray(fn(*(points[v] for v in names)))
            if np.iscomplexobj(out):
                out = np.where(np.abs(out.imag) < 1e-12, out.real, np.nan)
            out = np.broadcast_to(out.astype(float), (n,)).copy()
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, AttributeError, KeyError,
            NameError, SyntaxError):
        out = np.full(n, np.nan)
    return out


def exact_value(expr: sp.Expr, subs: Mapping[sp.Symbol, sp.Basic], digits: int,
                infinite_ok: bool = False) -> float:
    """``expr`` with ``subs`` evaluated to ``digits`` significant digits, as a real float.

    NaN where it is undefined, complex, or (unless ``infinite_ok``, which gives ±inf) infinite.
    """
    try:
        value = sp.N(expr.xreplace(subs), digits)
        undefined = (sp.nan, sp.zoo) if infinite_ok else (sp.nan, sp.zoo, sp.oo, -sp.oo)
        if value.has(*undefined) or not value.is_number:
            return np.nan
        real, imag = value.as_real_imag()
        if abs(imag) > 1e-20 * max(1, abs(real)):
            return np.nan
        return float(real)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError, AttributeError):
        return np.nan

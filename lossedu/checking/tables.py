"""The reference answer evaluated on the comparison points, cached per variant.

A :class:`ReferenceTable` holds, for each component of the reference, its value at every point of
the problem's :class:`~lossedu.checking.sampling.Sample` and the interval of accepted values
``[lo, hi]`` (a single value away from kinks; the one-sided limits on a kink).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp

from lossedu.checking.diagnose import evaluate
from lossedu.checking.sampling import AT_KINK, Sample, build_sample, draw_point, problem_rng
from lossedu.spec import Variant

N_DENSE = 400  # extra points when SymPy can neither prove nor refute equality


def reference_exprs(variant: Variant) -> list[sp.Expr]:
    ref = variant.reference
    return list(ref) if isinstance(ref, (list, tuple)) else [ref]


class ReferenceTable:
    """The reference evaluated on a sample: accepted interval ``[lo, hi]`` per point and component."""

    def __init__(self, variant: Variant, sample: Sample) -> None:
        self.variant, self.sample = variant, sample
        self.problem = variant.problem
        rtol, atol = self.problem.tolerance
        names = self.problem.variables
        self.value, self.lo, self.hi, self.tol = [], [], [], []
        for ref in reference_exprs(variant):
            at = evaluate(ref, names, sample.points)
            minus = evaluate(ref, names, sample.minus)
            plus = evaluate(ref, names, sample.plus)
            lo, hi = np.fmin(np.fmin(minus, plus), at), np.fmax(np.fmax(minus, plus), at)
            self.value.append(at)
            self.lo.append(lo)
            self.hi.append(hi)
            self.tol.append(atol + rtol * np.maximum(np.maximum(abs(lo), abs(hi)), 1.0))

    def accepts(self, k: int, got: np.ndarray) -> np.ndarray:
        """Boolean (N,): is ``got`` an accepted value at each point for component ``k``?"""
        with np.errstate(invalid="ignore"):
            return (got >= self.lo[k] - self.tol[k]) & (got <= self.hi[k] + self.tol[k])

    def close(self, k: int, got: np.ndarray, other: np.ndarray) -> np.ndarray:
        """Boolean (N,): does ``got`` equal ``other`` within this problem's tolerance?"""
        with np.errstate(invalid="ignore"):
            return np.abs(got - other) <= self.tol[k]

    def counterexample(self, k: int, got: np.ndarray, ok: np.ndarray) -> dict[str, Any]:
        """One failing point (smooth points first), with the expected and the learner's value."""
        bad = np.flatnonzero(~ok)
        order = sorted(bad, key=lambda i: (self.sample.where[i] == AT_KINK, i))
        i = int(order[0])
        lo, hi = float(self.lo[k][i]), float(self.hi[k][i])
        expected: Any = _num(lo) if hi - lo <= self.tol[k][i] else f"any value in [{_num(lo)}, {_num(hi)}]"
        return {"point": self.sample.point(i), "expected": expected, "got": _num(float(got[i]))}


def _num(v: float) -> float | str:
    return float(f"{v:.6g}") if np.isfinite(v) else str(v)


def _key(variant: Variant) -> tuple:
    return (variant.id, tuple(sorted((k, repr(v)) for k, v in variant.params.items())))


_TABLES: dict[tuple, ReferenceTable] = {}
_DENSE: dict[tuple, ReferenceTable] = {}


def reference_table(variant: Variant) -> ReferenceTable:
    """The (cached) reference table of a variant on the problem's sample."""
    key = _key(variant)
    if key not in _TABLES:
        _TABLES[key] = ReferenceTable(variant, _sample(variant.problem))
    return _TABLES[key]


def dense_table(variant: Variant) -> ReferenceTable:
    """A second, larger table on fresh random points (used when SymPy cannot decide)."""
    key = _key(variant)
    if key not in _DENSE:
        problem = variant.problem
        rng = problem_rng(problem.id, salt="dense")
        rows = [draw_point(problem, rng, i) for i in range(N_DENSE)]
        pts = {v: np.array([r[v] for r in rows]) for v in problem.variables}
        sample = Sample(points=pts, minus=pts, plus=pts, where=np.zeros(N_DENSE, int),
                        region=np.full(N_DENSE, -1), kink=np.full(N_DENSE, -1))
        _DENSE[key] = ReferenceTable(variant, sample)
    return _DENSE[key]


@lru_cache(maxsize=256)
def _sample(problem: Any) -> Sample:
    """The sample points of ``problem`` (problems are immutable and hashed by identity)."""
    return build_sample(problem)

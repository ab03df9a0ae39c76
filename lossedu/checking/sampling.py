"""Points at which answers are compared: drawn from each variable's domain.

A :class:`Sample` holds random points from every domain, points placed inside every region of a
piecewise reference, points just either side of each kink, and points exactly on each kink
(with the one-sided neighbours that define the accepted interval there). The generator is
seeded from the problem id, so a check is deterministic.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from lossedu.spec import Problem

N_RANDOM = 32       # points drawn from the domains
N_REGION = 8        # points placed inside each region
N_KINK = 6          # base points per kink (each gives 3 compared points)
NEAR = 1e-3         # "just either side" of a kink
LIMIT = 1e-7        # one-sided limits at a kink

RANDOM, REGION, NEAR_KINK, AT_KINK = 0, 1, 2, 3

_SINGLE = {
    "real": lambda rng: rng.uniform(-3.0, 3.0),
    "positive": lambda rng: rng.uniform(0.3, 3.0),
    "prob": lambda rng: rng.uniform(0.05, 0.95),
    "nonneg": lambda rng: rng.uniform(0.0, 3.0),
    "eps": lambda rng: rng.uniform(0.0, 0.9),
}


@dataclass(frozen=True)
class Sample:
    """Comparison points, as one array per variable.

    Attributes
    ----------
    points : variable -> array (N,)
    where : array (N,) of RANDOM / REGION / NEAR_KINK / AT_KINK
    region : array (N,) index into ``problem.regions`` (-1 when the point was not placed)
    kink : array (N,) index into ``problem.kinks`` for points near or on a kink (-1 otherwise)
    minus, plus : variable -> array (N,): the one-sided neighbours of each point (equal to the
        point itself away from kinks); the reference is evaluated at both to get the interval of
        accepted values at a kink.
    """

    points: dict[str, np.ndarray]
    where: np.ndarray
    region: np.ndarray
    kink: np.ndarray
    minus: dict[str, np.ndarray]
    plus: dict[str, np.ndarray]

    @property
    def size(self) -> int:
        return len(self.where)

    def point(self, i: int) -> dict[str, float]:
        """Point ``i`` as plain Python numbers (labels as ints), for a counterexample."""
        return {k: _plain(v[i]) for k, v in self.points.items()}


def _plain(v: Any) -> float | int:
    f = float(v)
    return int(f) if f.is_integer() and abs(f) < 1e6 else round(f, 6)


def problem_rng(problem_id: str, salt: str = "sample") -> np.random.Generator:
    """A generator seeded from the problem id (the same points on every run)."""
    digest = hashlib.sha256(f"{salt}|{problem_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def draw_point(problem: Problem, rng: np.random.Generator, i: int) -> dict[str, float]:
    """One point from the domains; labels and one-hot classes cycle with ``i`` so all occur."""
    pt: dict[str, float] = {}
    onehot = [v for v in problem.variables if problem.domains[v] == "onehot"]
    for var in problem.variables:
        dom = problem.domains[var]
        if dom == "label01":
            pt[var] = float(i % 2)
        elif dom == "pm1":
            pt[var] = 1.0 if i % 2 else -1.0
        elif dom == "onehot":
            pt[var] = 1.0 if onehot.index(var) == i % len(onehot) else 0.0
        elif isinstance(dom, tuple):
            pt[var] = rng.uniform(*dom)
        else:
            pt[var] = _SINGLE[dom](rng)
            if dom in ("nonneg", "eps") and i % 7 == 3:
                pt[var] = 0.0  # the edge of the domain is a legal value too
    return pt


def build_sample(problem: Problem, n_random: int = N_RANDOM) -> Sample:
    """All comparison points of ``problem`` (the same for every variant of it)."""
    rng = problem_rng(problem.id)
    rows: list[tuple[dict, dict, dict, int, int, int]] = []  # point, minus, plus, where, region, kink
    i = 0
    for _ in range(n_random):
        pt = draw_point(problem, rng, i)
        rows.append((pt, pt, pt, RANDOM, -1, -1))
        i += 1
    for r, region in enumerate(problem.regions):
        for _ in range(N_REGION):
            pt = region.place(draw_point(problem, rng, i), rng)
            rows.append((pt, pt, pt, REGION, r, -1))
            i += 1
    for k, kink in enumerate(problem.kinks):
        for _ in range(N_KINK):
            base = draw_point(problem, rng, i)
            i += 1
            for t in (-NEAR, NEAR):
                pt = kink.place(base, t)
                rows.append((pt, pt, pt, NEAR_KINK, -1, k))
            rows.append((kink.place(base, 0.0), kink.place(base, -LIMIT), kink.place(base, LIMIT),
                         AT_KINK, -1, k))
    names = list(problem.variables)

    def column(k: int) -> dict[str, np.ndarray]:
        return {v: np.array([row[k][v] for row in rows], dtype=float) for v in names}

    return Sample(points=column(0), minus=column(1), plus=column(2),
                  where=np.array([row[3] for row in rows]), region=np.array([row[4] for row in rows]),
                  kink=np.array([row[5] for row in rows]))

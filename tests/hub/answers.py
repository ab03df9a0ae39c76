"""Answers for a learner's own variant of session 1's first questions (each learner's loss carries
an example weight a drawn from their id, so the right gradient is a·(ŷ − y))."""
from __future__ import annotations

from lossedu import problems


def weighted(learner: str, problem_id: str, expression: str) -> str:
    """``a*(expression)`` with the weight ``a`` of ``learner``'s first variant of ``problem_id``."""
    a = problems.get(problem_id).variant(learner, 0).params["a"]
    return f"{a}*({expression})"


def mse(learner: str, right: bool = True) -> str:
    """The gradient of the weighted squared error (or its sign mistake) for ``learner``."""
    return weighted(learner, "grad.mse", "yhat - y" if right else "y - yhat")


def mae(learner: str) -> str:
    """A subgradient of the weighted absolute error for ``learner``."""
    return weighted(learner, "grad.mae", "sign(yhat - y)")

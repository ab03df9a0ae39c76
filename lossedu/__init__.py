"""lossedu: a mastery-gated Jupyter curriculum on machine-learning loss functions.

Light to import: only NumPy is loaded here. The checker (SymPy), the notebook API and the
progress store load on first use.

>>> import lossedu
>>> float(lossedu.losses.bce_with_logits(1, -1.0))  # doctest: +ELLIPSIS
1.3132...
"""
from __future__ import annotations

from typing import Any

from lossedu import losses
from lossedu.result import Result

__version__ = "0.1.0"
__all__ = ["losses", "Result", "check", "check_steps", "session", "progress", "__version__"]


def check(problem_id: str, answer: Any, student: str | None = None, attempt: int = 0) -> Result:
    """Check ``answer`` to problem ``problem_id`` (canonical variant when ``student`` is None)."""
    from lossedu.problems import check as _check

    return _check(problem_id, answer, student=student, attempt=attempt)


def check_steps(problem_id: str, steps: Any, student: str | None = None, attempt: int = 0) -> Result:
    """Check a step-by-step derivation: every step must equal the gradient; the first broken one is reported."""
    from lossedu.problems import check_steps as _check_steps

    return _check_steps(problem_id, steps, student=student, attempt=attempt)


def session(k: int, student: str | None = None, **kwargs: Any) -> Any:
    """The exercise set of session ``k`` for this learner: ``ex.q1 ... ex.qN``."""
    from lossedu.exercise import session as _session

    return _session(k, student=student, **kwargs)


def progress(student: str | None = None, **kwargs: Any) -> Any:
    """Draw this learner's mastery per session and per concept."""
    from lossedu.progress_view import figure as _progress

    return _progress(student=student, **kwargs)

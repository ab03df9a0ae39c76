"""Finite-difference gradient checking, in the style of CS231n's ``gradient_check.py``.

The idea: an analytic gradient is only trusted once it agrees with the slope measured directly,

    df/dx_i  ~  (f(x + h e_i) - f(x - h e_i)) / (2h)        (central difference, error O(h^2))

compared with the relative error |a - b| / max(1e-12, |a| + |b|), which is scale free: about 1e-7
or less means agreement, 1e-2 or more means a bug. Near a kink (hinge at y*s = 1, |r| = 0 for
MAE) the two sides of the difference straddle the corner and the check is meaningless there.

>>> import numpy as np
>>> from lossedu import losses
>>> bool(check_elementwise_grad(losses.mse, losses.mse_grad, np.array([1.0]), np.array([3.0])))
True
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["numerical_gradient", "rel_error", "check_gradient", "check_elementwise_grad",
           "GradCheckReport"]

_FLOOR = 1e-12  # denominator floor, so two zero gradients agree instead of dividing by zero


def _relative(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise |a - b| / max(1e-12, |a| + |b|)."""
    return np.abs(a - b) / np.maximum(_FLOOR, np.abs(a) + np.abs(b))


def numerical_gradient(f: Callable[[np.ndarray], float], x: Any, h: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at ``x`` (any shape).

    grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h), one coordinate at a time; ``x`` is not modified.

    Parameters
    ----------
    f : callable taking an array shaped like ``x`` and returning a scalar.
    x : array_like, the point.
    h : float > 0, the step.

    Returns
    -------
    ndarray, float64, same shape as ``x``.
    """
    if not h > 0:
        raise ValueError(f"h must be > 0 for numerical_gradient; got {h!r}")
    x = np.array(x, dtype=np.float64)  # a private copy we can nudge
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x[i] = old - h
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def rel_error(a: Any, b: Any) -> float:
    """Largest elementwise relative error max_i |a_i - b_i| / max(1e-12, |a_i| + |b_i|)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.size == 0 and b.size == 0:
        return 0.0
    return float(np.max(_relative(a, b)))


def _short(x: float) -> str:
    """Six significant digits, printed as a float: 1.0, 0.5, 3.14159, 1e-08."""
    return str(float(f"{x:.6g}"))


@dataclass(frozen=True)
class GradCheckReport:
    """Outcome of a gradient check; ``bool(report)`` is ``report.ok``.

    ``worst_index`` is the coordinate with the largest relative error, ``analytic`` and
    ``numeric`` the two gradient values there.
    """

    ok: bool
    max_rel_error: float
    worst_index: tuple
    analytic: float
    numeric: float

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            return f"gradient check passed: max relative error {self.max_rel_error:.1e}"
        return (f"gradient check FAILED at index {self.worst_index}: analytic {_short(self.analytic)} "
                f"vs numeric {_short(self.numeric)} (relative error {self.max_rel_error:.1e})")


def _report(analytic: np.ndarray, numeric: np.ndarray, tol: float) -> GradCheckReport:
    errors = _relative(analytic, numeric)
    if errors.size == 0:
        return GradCheckReport(True, 0.0, (), float("nan"), float("nan"))
    worst = np.unravel_index(int(np.argmax(errors)), errors.shape)
    worst = tuple(int(i) for i in worst)
    max_err = float(errors[worst])
    return GradCheckReport(ok=bool(max_err <= tol), max_rel_error=max_err, worst_index=worst,
                           analytic=float(analytic[worst]), numeric=float(numeric[worst]))


def check_gradient(f: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], Any], x: Any,
                   tol: float = 1e-6, h: float = 1e-6) -> GradCheckReport:
    """Compare ``grad(x)`` with the central-difference gradient of scalar ``f`` at ``x``.

    Passes when the largest elementwise relative error is at most ``tol``.
    """
    x = np.array(x, dtype=np.float64)
    analytic = np.asarray(grad(x.copy()), dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"grad must return an array shaped like x {x.shape}; got {analytic.shape}")
    return _report(analytic, numerical_gradient(f, x, h=h), tol)


def check_elementwise_grad(loss: Callable[..., Any], loss_grad: Callable[..., Any], y: Any,
                           pred: Any, tol: float = 1e-6, h: float = 1e-6,
                           **params: Any) -> GradCheckReport:
    """Check a per-example loss: ``loss_grad(y, pred)`` against d loss(y, pred) / d pred.

    Each pred_i only affects example i, so the whole gradient comes from two calls:
    (loss(y, pred + h) - loss(y, pred - h)) / (2h), elementwise. For losses over class scores
    (pred of shape (n, K), loss of shape (n,)) the columns are nudged one at a time.
    """
    pred = np.array(pred, dtype=np.float64)
    analytic = np.asarray(loss_grad(y, pred, **params), dtype=np.float64)
    base = np.asarray(loss(y, pred, **params))
    if base.ndim != pred.ndim - 1:  # one score per example
        numeric = (np.asarray(loss(y, pred + h, **params)) - loss(y, pred - h, **params)) / (2 * h)
    else:  # class scores (n, K) -> loss (n,): nudge one column at a time
        numeric = np.zeros_like(pred)
        for j in range(pred.shape[-1]):
            step = np.zeros_like(pred)
            step[..., j] = h
            numeric[..., j] = (loss(y, pred + step, **params) - loss(y, pred - step, **params)) / (2 * h)
    numeric = np.broadcast_to(numeric, analytic.shape)
    return _report(analytic, numeric, tol)

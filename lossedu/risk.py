"""Empirical risk, regularized linear-model objectives and tiny optimization loops for lessons.

    empirical risk          R(theta) = (1/n) sum_i L(y_i, f(x_i; theta))
    linear model            f(x; w) = x . w,  so  dR/dw = (1/n) X^T L'(y, X w)   (chain rule)
    regularized objective   J(w) = R(w) + (lam/2) ||w||_2^2   or   R(w) + lam ||w||_1
    bias left out           J(w) = R(w) + (lam/2) sum_{j not in U} w_j^2   (unpenalized=U, e.g. the
                            index of the column of ones: the SVM objective does not shrink b)

A mini-batch B of size m gives R_B(w) = (1/m) sum_{i in B} L(y_i, x_i . w). Over a uniformly drawn
batch its gradient is, in expectation, the full gradient; the plain average over the batches of a
partition equals the full gradient only when the batches have equal sizes (in general the full
gradient is sum_k (m_k / n) grad R_{B_k}).

>>> import numpy as np
>>> X, y = np.array([[1.0], [2.0]]), np.array([2.0, 3.0])
>>> float(regularized_objective(np.array([1.0]), X, y)), float(regularized_objective_grad(np.array([1.0]), X, y)[0])
(0.5, -1.5)
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from lossedu import _validate as v
from lossedu import losses

__all__ = ["empirical_risk", "regularized_objective", "regularized_objective_grad",
           "gradient_descent", "minibatch_sgd", "minibatch_gradient", "SCORE_LOSSES", "DIVERGED"]

#: Losses whose prediction is a real score, so they fit a linear model f(x) = x . w.
SCORE_LOSSES = ("mse", "mae", "huber", "zero_one", "hinge", "bce_with_logits",
                "weighted_bce_with_logits")
_ALL_LOSSES = SCORE_LOSSES + ("bce", "multiclass_hinge", "softmax_cross_entropy")

#: A run whose weights exceed this size is declared diverged (long before float64 overflows).
DIVERGED = 1e100

LossSpec = Any  # a name in lossedu.losses, a lossedu.losses function, or a (loss, loss_grad) pair


def _loss_fn(loss: LossSpec, where: str) -> Callable[..., Any]:
    """The per-example loss function named or given by ``loss``."""
    if callable(loss):
        return loss
    if isinstance(loss, str) and loss in _ALL_LOSSES:
        return getattr(losses, loss)
    raise ValueError(f"loss must be a callable or one of {', '.join(_ALL_LOSSES)} for {where}; "
                     f"got {loss!r}")


def _loss_pair(loss: LossSpec, where: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """(loss, loss_grad) for a linear model: a SCORE_LOSSES name, its function, or a pair."""
    if isinstance(loss, tuple) and len(loss) == 2 and all(callable(f) for f in loss):
        return loss
    by_function = {getattr(losses, name): name for name in SCORE_LOSSES}
    name = loss if isinstance(loss, str) else by_function.get(loss) if callable(loss) else None
    if name in SCORE_LOSSES:
        return getattr(losses, name), getattr(losses, name + "_grad")
    raise ValueError(f"loss must be one of {', '.join(SCORE_LOSSES)} (a loss on a real score) or a "
                     f"(loss, loss_grad) pair for {where}; got {loss!r}")


def empirical_risk(loss: LossSpec, y: Any, pred: Any, sample_weight: Any = None, **params: Any) -> float:
    """Average loss R = (1/n) sum_i L(y_i, pred_i); with weights w_i >= 0, sum_i w_i L_i / sum_i w_i.

    ``loss`` is a callable ``loss(y, pred, **params)`` or the name of a loss in ``lossedu.losses``;
    ``sample_weight`` has one entry per example (per entry of the loss array).
    """
    values = np.asarray(_loss_fn(loss, "empirical_risk")(y, pred, **params), dtype=np.float64)
    if values.size == 0:
        raise ValueError("y and pred must hold at least one example for empirical_risk; got none")
    if sample_weight is None:
        return float(np.mean(values))
    w = v.as_float("sample_weight", sample_weight, "empirical_risk")
    if w.shape != values.shape:
        raise ValueError(f"sample_weight must have one entry per example, shape {values.shape}, for "
                         f"empirical_risk; got shape {w.shape}")
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError("sample_weight must be >= 0 with a positive sum for empirical_risk")
    return float(np.sum(w * values) / np.sum(w))


def _penalty_mask(unpenalized: Any, d: int, where: str) -> np.ndarray:
    """A (d,) array of 1.0 (penalised) and 0.0 (left out) from the indices in ``unpenalized``."""
    idx = np.asarray(() if unpenalized is None else unpenalized)
    if idx.ndim == 0:
        idx = idx.reshape(1)
    if idx.ndim != 1 or (idx.size and (idx.dtype.kind not in "iu" or idx.dtype == bool)):
        raise ValueError(f"unpenalized must be a sequence of integer column indices for {where}; "
                         f"got {unpenalized!r}")
    if idx.size and ((idx < -d) | (idx >= d)).any():
        raise ValueError(f"unpenalized must hold column indices in 0..{d - 1} for {where}; "
                         f"got {unpenalized!r}")
    mask = np.ones(d)
    if idx.size:
        mask[idx] = 0.0
    return mask


def _linear_inputs(w: Any, X: Any, y: Any, lam: float, penalty: str, where: str):
    """Check shapes w (d,), X (n, d), y (n,), lam >= 0 and the penalty name."""
    w = v.as_float("w", w, where)
    X = v.as_float("X", X, where)
    y = v.as_float("y", y, where)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a 2-d array of shape (n, d) with n >= 1 for {where}; got shape {X.shape}")
    if w.shape != (X.shape[1],):
        raise ValueError(f"w must have shape ({X.shape[1]},), one weight per column of X, for {where}; "
                         f"got shape {w.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), one target per row of X, for {where}; "
                         f"got shape {y.shape}")
    lam = float(v.as_float("lam", lam, where))
    if lam < 0:
        raise ValueError(f"lam must be >= 0 for {where}; got {lam:g}")
    if penalty not in ("l2", "l1"):
        raise ValueError(f"penalty must be 'l2' or 'l1' for {where}; got {penalty!r}")
    return w, X, y, lam


def regularized_objective(w: Any, X: Any, y: Any, loss: LossSpec = "mse", lam: float = 0.0,
                          penalty: str = "l2", unpenalized: Any = None, **loss_params: Any) -> float:
    """J(w) = (1/n) sum_i L(y_i, x_i . w) + (lam/2) ||w||^2  (l2)  or  + lam ||w||_1  (l1).

    w: (d,), X: (n, d), y: (n,). ``loss_params`` go to the loss (e.g. ``delta`` for huber).
    ``unpenalized``: column indices whose weights the penalty leaves out, e.g. ``[0]`` when column
    0 of X is the column of ones, so the bias b is not shrunk (the SVM objective
    mean hinge + (lam/2)||w||^2 penalises the slopes only). Default: every weight is penalised.
    """
    w, X, y, lam = _linear_inputs(w, X, y, lam, penalty, "regularized_objective")
    loss_fn, _ = _loss_pair(loss, "regularized_objective")
    wp = w * _penalty_mask(unpenalized, w.size, "regularized_objective")
    risk = float(np.mean(loss_fn(y, X @ w, **loss_params)))
    reg = 0.5 * lam * float(wp @ wp) if penalty == "l2" else lam * float(np.sum(np.abs(wp)))
    return risk + reg


def regularized_objective_grad(w: Any, X: Any, y: Any, loss: LossSpec = "mse", lam: float = 0.0,
                               penalty: str = "l2", unpenalized: Any = None,
                               **loss_params: Any) -> np.ndarray:
    """dJ/dw = (1/n) X^T L'(y, X w) + lam w  (l2)  or  + lam sign(w)  (l1), shape (d,).

    The l1 term uses the subgradient sign(w) with 0 at w_j = 0; the loss part uses the loss's own
    (sub)gradient convention. Weights listed in ``unpenalized`` (column indices, e.g. ``[0]`` for
    a bias column of ones) get no penalty term: their entry is the data gradient alone.
    """
    w, X, y, lam = _linear_inputs(w, X, y, lam, penalty, "regularized_objective_grad")
    _, grad_fn = _loss_pair(loss, "regularized_objective_grad")
    mask = _penalty_mask(unpenalized, w.size, "regularized_objective_grad")
    data_grad = X.T @ np.asarray(grad_fn(y, X @ w, **loss_params), dtype=np.float64) / X.shape[0]
    reg_grad = lam * w if penalty == "l2" else lam * np.sign(w)
    return data_grad + mask * reg_grad


def _check_lr(lr: float, where: str) -> float:
    lr_arr = v.positive("lr", lr, where)
    if lr_arr.ndim != 0:
        raise ValueError(f"lr must be a single positive number for {where}; got shape {lr_arr.shape}")
    return float(lr_arr)


def _step(w: np.ndarray, g: Any, lr: float, k: int, where: str) -> np.ndarray:
    """One update w - lr g, refusing shape changes and stopping with a clear error on divergence."""
    g = np.asarray(g, dtype=np.float64)
    if g.shape != w.shape:
        raise ValueError(f"the gradient must have the shape of w {w.shape} for {where}; got {g.shape}")
    new = w - lr * g
    if not np.all(np.abs(new) < DIVERGED):  # also catches inf and NaN
        raise ValueError(f"{where} diverged at step {k}: |w| exceeded {DIVERGED:g}; lr={lr:g} is "
                         f"too large for this objective")
    return new


def gradient_descent(grad_fn: Callable[[np.ndarray], Any], w0: Any, lr: float,
                     steps: int) -> np.ndarray:
    """Full-batch gradient descent w_{k+1} = w_k - lr * grad_fn(w_k).

    Returns the trajectory, shape (steps + 1, d): row 0 is w0 (a scalar w0 counts as d = 1).
    Raises ValueError once some |w_j| exceeds ``DIVERGED`` (the step size is too large).
    """
    w = np.atleast_1d(v.as_float("w0", w0, "gradient_descent")).copy()
    if w.ndim != 1:
        raise ValueError(f"w0 must be a scalar or a 1-d array for gradient_descent; got shape {w.shape}")
    lr = _check_lr(lr, "gradient_descent")
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer for gradient_descent; got {steps!r}")
    path = np.empty((steps + 1, w.size))
    path[0] = w
    for k in range(1, steps + 1):
        w = _step(w, grad_fn(w.copy()), lr, k, "gradient_descent")
        path[k] = w
    return path


def minibatch_gradient(w: Any, X: Any, y: Any, batch_idx: Any, loss: LossSpec = "mse",
                       lam: float = 0.0, penalty: str = "l2", unpenalized: Any = None,
                       **loss_params: Any) -> np.ndarray:
    """Gradient of the objective on the rows ``batch_idx`` only: (1/m) X_B^T L'(y_B, X_B w) + reg.

    For a uniformly drawn batch this is an unbiased estimate of ``regularized_objective_grad``.
    Averaging it over the batches of a partition gives the full gradient only when all batches
    have the same size (otherwise weight batch k by m_k / n).
    """
    X_arr = np.asarray(X)
    idx = np.asarray(batch_idx)
    if idx.ndim != 1 or idx.size == 0 or idx.dtype.kind not in "iu":
        raise ValueError(f"batch_idx must be a non-empty 1-d array of integer row indices for "
                         f"minibatch_gradient; got {batch_idx!r}")
    n = X_arr.shape[0] if X_arr.ndim else 0
    if (idx < 0).any() or (idx >= n).any():
        raise ValueError(f"batch_idx must contain row indices 0..{n - 1} for minibatch_gradient; "
                         f"got {int(idx[(idx < 0) | (idx >= n)][0])}")
    return regularized_objective_grad(w, X_arr[idx], np.asarray(y)[idx], loss=loss, lam=lam,
                                      penalty=penalty, unpenalized=unpenalized, **loss_params)


def minibatch_sgd(X: Any, y: Any, w0: Any, loss: LossSpec = "mse", lr: float = 0.1,
                  batch_size: int | None = None, epochs: int = 1, seed: int = 0, lam: float = 0.0,
                  penalty: str = "l2", unpenalized: Any = None, **loss_params: Any) -> np.ndarray:
    """Mini-batch stochastic gradient descent on ``regularized_objective``.

    Each epoch reshuffles the rows with ``np.random.default_rng(seed)`` and steps once per batch
    of ``batch_size`` rows (the last batch may be smaller). ``batch_size=None`` or n is full-batch
    gradient descent; 1 is per-sample SGD.

    Returns the trajectory, shape (1 + epochs * ceil(n / batch_size), d): w0, then w after each step.
    """
    w, X, y, _ = _linear_inputs(w0, X, y, lam, penalty, "minibatch_sgd")
    _loss_pair(loss, "minibatch_sgd")
    n = X.shape[0]
    m = n if batch_size is None else batch_size
    if not isinstance(m, (int, np.integer)) or isinstance(m, bool) or not 1 <= m <= n:
        raise ValueError(f"batch_size must be None or an integer in 1..{n} for minibatch_sgd; "
                         f"got {batch_size!r}")
    if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer for minibatch_sgd; got {epochs!r}")
    lr = _check_lr(lr, "minibatch_sgd")
    rng = np.random.default_rng(seed)
    path = [w]
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, m):
            g = minibatch_gradient(w, X, y, order[start:start + m], loss=loss, lam=lam,
                                   penalty=penalty, unpenalized=unpenalized, **loss_params)
            w = _step(w, g, lr, len(path), "minibatch_sgd")
            path.append(w)
    return np.array(path)

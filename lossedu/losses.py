"""Pointwise losses and their (sub)gradients, in NumPy (float64, vectorized, numerically stable).

Every loss follows one flat contract::

    NAME(y, pred, **params)       -> per-example loss   (NumPy broadcasting of y and pred)
    NAME_grad(y, pred, **params)  -> d(per-example loss) / d(pred), same shape

``pred`` is called ``s`` for a margin score, ``p`` for a probability and ``z`` for a logit.
Invalid input raises ``ValueError`` naming the argument and the allowed domain.

Identities worth checking by hand (the tests check all of them):

- ``bce_with_logits(y, z) == bce(y, sigmoid(z))``  (the logit form never computes log(sigmoid(z)))
- ``weighted_bce_with_logits(y, z, alpha=1, beta=1) == bce_with_logits(y, z)``
- ``softmax_cross_entropy(c, [z0, z1]) == bce_with_logits(c, z1 - z0)`` for K = 2, c in {0, 1}
- ``hinge(y, s) >= zero_one(y, s)``: hinge is a convex upper bound (a surrogate) of the 0-1 loss
- ``huber`` equals ``mse`` for |r| <= delta and ``delta * mae - delta**2 / 2`` beyond it
- ``mse(y, yhat)`` is the Gaussian negative log-likelihood -log N(y; yhat, 1) minus log(2 pi)/2
- ``log_softmax(z) == z - logsumexp(z)`` and ``log_sigmoid(z) == -bce_with_logits(1, z)``
"""
from __future__ import annotations

from typing import Any

import numpy as np

from lossedu import _validate as v

ArrayLike = Any  # numbers, nested lists or ndarrays
__all__ = [
    "sigmoid", "log_sigmoid", "logsumexp", "softmax", "log_softmax",
    "mse", "mse_grad", "mae", "mae_grad", "huber", "huber_grad",
    "zero_one", "zero_one_grad", "hinge", "hinge_grad", "multiclass_hinge", "multiclass_hinge_grad",
    "bce", "bce_grad", "bce_with_logits", "bce_with_logits_grad",
    "weighted_bce_with_logits", "weighted_bce_with_logits_grad",
    "softmax_cross_entropy", "softmax_cross_entropy_grad",
]


def _pair(y: ArrayLike, pred: ArrayLike, where: str, pred_name: str = "pred"):
    """Both arguments as float64 arrays, checked finite and broadcastable."""
    y = v.as_float("y", y, where)
    pred = v.as_float(pred_name, pred, where)
    v.broadcast_shape(("y", pred_name), y, pred, where)
    return y, pred


# ----------------------------------------------------------------------------- stable helpers
def sigmoid(z: ArrayLike) -> np.ndarray:
    """Logistic function sigma(z) = 1 / (1 + exp(-z)), z real, value in [0, 1].

    Stable form: with e = exp(-|z|) (never overflows), sigma(z) = 1/(1+e) for z >= 0 and e/(1+e)
    for z < 0.
    """
    z = v.as_float("z", z, "sigmoid")
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def log_sigmoid(z: ArrayLike) -> np.ndarray:
    """log sigma(z) = -log(1 + exp(-z)) = min(z, 0) - log1p(exp(-|z|)), finite for every real z."""
    z = v.as_float("z", z, "log_sigmoid")
    return np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))


def logsumexp(z: ArrayLike, axis: int = -1) -> np.ndarray:
    """log sum_j exp(z_j) along ``axis`` with the max trick: a + log sum_j exp(z_j - a), a = max_j z_j.

    Every exp(z_j - a) is at most 1, so nothing overflows. The max term is exactly 1, so we write
    the sum as 1 + rest and use log1p(rest), which stays accurate when the rest is tiny.
    ``z`` has at least one dimension; the result drops ``axis``.
    """
    z = v.as_float("z", z, "logsumexp")
    if z.ndim == 0:
        raise ValueError("z must have at least one dimension for logsumexp; got a scalar")
    top = np.argmax(z, axis=axis, keepdims=True)
    a = np.take_along_axis(z, top, axis=axis)
    e = np.exp(z - a)
    np.put_along_axis(e, top, 0.0, axis=axis)  # leave the max term out of the rest
    return np.squeeze(a + np.log1p(np.sum(e, axis=axis, keepdims=True)), axis=axis)


def log_softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    """log softmax(z)_j = z_j - logsumexp(z), same shape as z; finite for all finite z.

    Computed as u - logsumexp(u) with u = z - max(z): the largest u is exactly 0, so log p stays
    accurate even when p is within 1e-9 of 1 (subtracting two large nearly equal numbers would not).
    """
    z = v.as_float("z", z, "log_softmax")
    u = z - np.max(z, axis=axis, keepdims=True)
    return u - np.expand_dims(logsumexp(u, axis=axis), axis)


def softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    """softmax(z)_j = exp(z_j - a) / sum_k exp(z_k - a) with a = max z; rows of the result sum to 1."""
    z = v.as_float("z", z, "softmax")
    if z.ndim == 0:
        raise ValueError("z must have at least one dimension for softmax; got a scalar")
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


# ----------------------------------------------------------------------------- regression
def mse(y: ArrayLike, pred: ArrayLike) -> np.ndarray:
    """Squared error L = (1/2)(yhat - y)^2, y and yhat real.

    The 1/2 makes the gradient the plain residual.
    """
    y, pred = _pair(y, pred, "mse")
    return 0.5 * (pred - y) ** 2


def mse_grad(y: ArrayLike, pred: ArrayLike) -> np.ndarray:
    """dL/dyhat = yhat - y ("prediction minus truth")."""
    y, pred = _pair(y, pred, "mse_grad")
    return pred - y


def mae(y: ArrayLike, pred: ArrayLike) -> np.ndarray:
    """Absolute error L = |yhat - y|, y and yhat real. Robust to outliers (fits the median)."""
    y, pred = _pair(y, pred, "mae")
    return np.abs(pred - y)


def mae_grad(y: ArrayLike, pred: ArrayLike) -> np.ndarray:
    """Subgradient sign(yhat - y): +1 above, -1 below.

    At a tie (yhat == y) the subdifferential is [-1, 1]; we return 0.
    """
    y, pred = _pair(y, pred, "mae_grad")
    return np.sign(pred - y)


def huber(y: ArrayLike, pred: ArrayLike, delta: float = 1.0) -> np.ndarray:
    """Huber loss with r = yhat - y and threshold delta > 0.

    L = (1/2) r^2             if |r| <= delta  (quadratic, like MSE)
    L = delta (|r| - delta/2) if |r| >  delta  (linear, like MAE; the pieces meet smoothly)
    """
    y, pred = _pair(y, pred, "huber")
    delta = v.positive("delta", delta, "huber")
    r = pred - y
    return np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))


def huber_grad(y: ArrayLike, pred: ArrayLike, delta: float = 1.0) -> np.ndarray:
    """dL/dyhat = r if |r| <= delta else delta * sign(r), i.e. r clipped to [-delta, delta].

    Huber is differentiable everywhere, so there is no convention to choose.
    """
    y, pred = _pair(y, pred, "huber_grad")
    delta = v.positive("delta", delta, "huber_grad")
    return np.clip(pred - y, -delta, delta)


# ----------------------------------------------------------------------------- margin losses
def zero_one(y: ArrayLike, s: ArrayLike) -> np.ndarray:
    """0-1 loss for labels y in {-1, +1} and a real score s: 1 if y*s <= 0 else 0.

    A score of exactly 0 sits on the decision boundary and counts as an error.
    """
    y, s = _pair(y, s, "zero_one", "s")
    v.pm1_labels(y, "zero_one")
    return (y * s <= 0).astype(np.float64)


def zero_one_grad(y: ArrayLike, s: ArrayLike) -> np.ndarray:
    """Zero: the 0-1 loss is flat almost everywhere (and jumps at y*s = 0).

    A gradient of zero carries no information about which way to move s, which is exactly why we
    train with surrogate losses (hinge, logistic) instead of the 0-1 loss.
    """
    y, s = _pair(y, s, "zero_one_grad", "s")
    v.pm1_labels(y, "zero_one_grad")
    return np.zeros(np.broadcast_shapes(y.shape, s.shape))


def hinge(y: ArrayLike, s: ArrayLike) -> np.ndarray:
    """Hinge loss L = max(0, 1 - y*s) for labels y in {-1, +1} and a real score s.

    Zero once the margin y*s reaches 1; grows linearly inside the margin and on the wrong side.
    """
    y, s = _pair(y, s, "hinge", "s")
    v.pm1_labels(y, "hinge")
    return np.maximum(0.0, 1.0 - y * s)


def hinge_grad(y: ArrayLike, s: ArrayLike) -> np.ndarray:
    """Subgradient dL/ds = -y where y*s < 1, 0 where y*s > 1.

    At the kink y*s = 1 any value between -y and 0 is a valid subgradient; we return 0 (the point
    already meets the margin, so it exerts no pull).
    """
    y, s = _pair(y, s, "hinge_grad", "s")
    v.pm1_labels(y, "hinge_grad")
    return np.where(y * s < 1.0, -y, 0.0)


def _multiclass_parts(y: ArrayLike, s: ArrayLike, where: str):
    """(labels (n,), scores (n, K), single-example flag, rows, runner-up index j*, loss (n,))."""
    s2, single = v.scores_2d("s", s, where)
    labels = np.atleast_1d(v.as_float("y", y, where))
    if labels.shape != (s2.shape[0],):
        raise ValueError(f"y must be integer labels of shape ({s2.shape[0]},) to match s of shape "
                         f"{np.shape(s)} for {where}; got shape {np.shape(y)}")
    labels = v.class_labels(labels, s2.shape[1], where)
    rows = np.arange(s2.shape[0])
    others = s2.copy()
    others[rows, labels] = -np.inf  # exclude the true class from the max
    runner_up = np.argmax(others, axis=1)  # first index among ties
    loss = np.maximum(0.0, 1.0 + others[rows, runner_up] - s2[rows, labels])
    return labels, s2, single, rows, runner_up, loss


def multiclass_hinge(y: ArrayLike, s: ArrayLike) -> np.ndarray:
    """Crammer-Singer multiclass hinge L = max(0, 1 + max_{j != y} s_j - s_y).

    y: integer labels 0..K-1, shape (n,); s: scores, shape (n, K), or (K,) for one example.
    Returns shape (n,) (a scalar for one example).
    """
    *_, single, _, _, loss = _multiclass_parts(y, s, "multiclass_hinge")
    return loss[0] if single else loss


def multiclass_hinge_grad(y: ArrayLike, s: ArrayLike) -> np.ndarray:
    """Subgradient dL/ds, shape (n, K): +1 at the runner-up j*, -1 at the true class y, 0 elsewhere,
    wherever the loss is positive; all zeros where it is 0.

    Conventions (any choice is a valid subgradient): if several wrong classes tie for the max, j* is
    the lowest index; at the kink 1 + s_j* - s_y = 0 the gradient is 0, as for ``hinge_grad``.
    """
    labels, s2, single, rows, runner_up, loss = _multiclass_parts(y, s, "multiclass_hinge_grad")
    grad = np.zeros_like(s2)
    active = loss > 0
    grad[rows[active], runner_up[active]] = 1.0
    grad[rows[active], labels[active]] = -1.0
    return grad[0] if single else grad


# ----------------------------------------------------------------------------- cross-entropy
def _xlogy(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """x * log(p) with 0 * log(0) = 0 (and x * log(0) = -inf for x > 0), without warnings."""
    x, p = np.broadcast_arrays(x, p)
    log_p = np.full(p.shape, -np.inf)
    np.log(p, out=log_p, where=p > 0)
    return np.multiply(x, log_p, out=np.zeros(p.shape), where=x != 0)


def bce(y: ArrayLike, p: ArrayLike) -> np.ndarray:
    """Binary cross-entropy from a probability: L = -[y log p + (1 - y) log(1 - p)].

    y in [0, 1] (hard or soft labels), p in [0, 1]. Uses 0 log 0 = 0, so a confident and correct
    p (p = 1 for y = 1) costs 0, while p = 0 or 1 against the label costs +inf (no warning).
    Prefer ``bce_with_logits`` when the model outputs a logit.
    """
    y, p = _pair(y, p, "bce", "p")
    v.unit_interval("y", y, "bce")
    v.unit_interval("p", p, "bce")
    return 0.0 - (_xlogy(y, p) + _xlogy(1.0 - y, 1.0 - p))  # 0.0 - x: a perfect fit prints 0, not -0


def bce_grad(y: ArrayLike, p: ArrayLike) -> np.ndarray:
    """dL/dp = -y/p + (1 - y)/(1 - p) = (p - y) / (p (1 - p)).

    At the endpoints only the term with a nonzero numerator remains: bce_grad(0, 0) = 1 and
    bce_grad(1, 1) = -1, while against the label (y > 0 at p = 0, y < 1 at p = 1) the result is
    -inf or +inf, the one-sided slope of an infinite loss.
    """
    y, p = _pair(y, p, "bce_grad", "p")
    v.unit_interval("y", y, "bce_grad")
    v.unit_interval("p", p, "bce_grad")
    y, p = np.broadcast_arrays(y, p)
    denom = p * (1.0 - p)
    grad = np.divide(p - y, denom, out=np.zeros(p.shape), where=denom > 0)
    if (denom == 0).any():  # endpoints p = 0 or 1: only the term with a nonzero numerator remains
        grad = np.where(p == 0, np.where(y > 0, -np.inf, 1.0), grad)
        grad = np.where(p == 1, np.where(y < 1, np.inf, -1.0), grad)
    return grad


def bce_with_logits(y: ArrayLike, z: ArrayLike) -> np.ndarray:
    """Binary cross-entropy from a logit z (p = sigma(z)): L = log(1 + e^z) - y z.

    Stable softplus form: max(z, 0) - y z + log1p(exp(-|z|)); never log(sigmoid(z)), which
    underflows to log(0) for z << 0. y in [0, 1], z real; e.g. bce_with_logits(1, -1000) = 1000.
    """
    y, z = _pair(y, z, "bce_with_logits", "z")
    v.unit_interval("y", y, "bce_with_logits")
    return np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))


def bce_with_logits_grad(y: ArrayLike, z: ArrayLike) -> np.ndarray:
    """dL/dz = sigma(z) - y: the predicted probability minus the label."""
    y, z = _pair(y, z, "bce_with_logits_grad", "z")
    v.unit_interval("y", y, "bce_with_logits_grad")
    return sigmoid(z) - y


def weighted_bce_with_logits(y: ArrayLike, z: ArrayLike, alpha: float = 1.0,
                             beta: float = 1.0) -> np.ndarray:
    """Cost-sensitive BCE from a logit: L = -[alpha y log sigma(z) + beta (1 - y) log(1 - sigma(z))].

    alpha > 0 weighs the positives (alpha > beta favours recall), beta > 0 the negatives.
    Stable via log(1 - sigma(z)) = log_sigmoid(-z). alpha = beta = 1 gives ``bce_with_logits``.
    """
    y, z = _pair(y, z, "weighted_bce_with_logits", "z")
    v.unit_interval("y", y, "weighted_bce_with_logits")
    alpha = v.positive("alpha", alpha, "weighted_bce_with_logits")
    beta = v.positive("beta", beta, "weighted_bce_with_logits")
    return -(alpha * y * log_sigmoid(z) + beta * (1.0 - y) * log_sigmoid(-z))


def weighted_bce_with_logits_grad(y: ArrayLike, z: ArrayLike, alpha: float = 1.0,
                                  beta: float = 1.0) -> np.ndarray:
    """dL/dz = -alpha y (1 - sigma(z)) + beta (1 - y) sigma(z), using 1 - sigma(z) = sigma(-z)."""
    y, z = _pair(y, z, "weighted_bce_with_logits_grad", "z")
    v.unit_interval("y", y, "weighted_bce_with_logits_grad")
    alpha = v.positive("alpha", alpha, "weighted_bce_with_logits_grad")
    beta = v.positive("beta", beta, "weighted_bce_with_logits_grad")
    return -alpha * y * sigmoid(-z) + beta * (1.0 - y) * sigmoid(z)


def _ce_parts(y: ArrayLike, z: ArrayLike, class_weight: ArrayLike | None,
              label_smoothing: float, where: str):
    """(log p (n, K), target y~ (n, K), weights w (K,), single-example flag), all checked."""
    z2, single = v.scores_2d("z", z, where)
    n, k = z2.shape
    y_arr = v.as_float("y", y, where)
    if single:  # a scalar label or one probability row
        y_arr = y_arr.reshape((1,) + y_arr.shape)
    if y_arr.shape == (n,):  # integer labels -> one-hot rows
        target = np.eye(k)[v.class_labels(y_arr, k, where)]
    elif y_arr.shape == (n, k):  # probability rows
        v.unit_interval("y", y_arr, where)
        bad = np.abs(y_arr.sum(axis=1) - 1.0) > 1e-6
        if bad.any():
            raise ValueError(f"y must be probability rows that sum to 1 for {where}; row "
                             f"{int(np.argmax(bad))} sums to {y_arr.sum(axis=1)[bad][0]:g}")
        target = y_arr
    else:
        expect = "a label or a length-K row" if single else f"labels ({n},) or probabilities ({n}, {k})"
        raise ValueError(f"y must be {expect} to match z of shape {np.shape(z)} for {where}; "
                         f"got shape {np.shape(y)}")
    eps = float(v.as_float("label_smoothing", label_smoothing, where))
    if not 0.0 <= eps < 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1) for {where}; got {eps:g}")
    w = np.ones(k)
    if class_weight is not None:
        w = v.as_float("class_weight", class_weight, where)
        if w.shape != (k,):
            raise ValueError(f"class_weight must have shape ({k},), one weight per class, for "
                             f"{where}; got shape {w.shape}")
        if (w < 0).any():
            raise ValueError(f"class_weight must be >= 0 for {where}; got {w[w < 0][0]:g} at "
                             f"index {int(np.argmax(w < 0))}")
    smoothed = (1.0 - eps) * target + eps / k
    return log_softmax(z2), smoothed, w, single


def softmax_cross_entropy(y: ArrayLike, z: ArrayLike, class_weight: ArrayLike | None = None,
                          label_smoothing: float = 0.0) -> np.ndarray:
    """Softmax cross-entropy from logits: L_i = -sum_j w_j y~_ij log p_ij with p = softmax(z_i).

    z: logits, shape (n, K) or (K,) for one example. y: integer labels 0..K-1, shape (n,) (a
    scalar for one example), or probability rows, shape like z. Label smoothing eps in [0, 1) uses
    the target y~ = (1 - eps) onehot(y) + eps / K. class_weight w >= 0, shape (K,) (default all 1);
    for a one-hot target L = -w_c log p_c. log p comes from ``log_softmax`` (log-sum-exp trick).
    Returns shape (n,) (a scalar for one example).
    """
    log_p, target, w, single = _ce_parts(y, z, class_weight, label_smoothing, "softmax_cross_entropy")
    loss = -np.sum(w * target * log_p, axis=1)
    return loss[0] if single else loss


def softmax_cross_entropy_grad(y: ArrayLike, z: ArrayLike, class_weight: ArrayLike | None = None,
                               label_smoothing: float = 0.0) -> np.ndarray:
    """dL/dz = (sum_j w_j y~_j) p - w * y~, shape like z; without weights simply p - y~.

    "Predicted distribution minus target distribution", rescaled per class by the weights.
    """
    log_p, target, w, single = _ce_parts(y, z, class_weight, label_smoothing,
                                         "softmax_cross_entropy_grad")
    grad = np.sum(w * target, axis=1, keepdims=True) * np.exp(log_p) - w * target
    return grad[0] if single else grad

"""Session 4 figures: designing a loss moves what the model predicts.

* :func:`class_weight_threshold` -- weighted binary cross-entropy
  ``L = -[alpha y log p + beta (1 - y) log(1 - p)]`` on an imbalanced 1-D problem. The fitted
  logistic model's decision threshold moves with alpha and beta; the readout gives the
  threshold, precision and recall. In the population limit the weighted optimum predicts the
  positive class where P(y = 1 | x) > beta / (alpha + beta).
* :func:`label_smoothing_target` -- cross-entropy against the smoothed target
  ``y_tilde = (1 - eps) y + eps / K`` as a function of the logit gap; the minimum sits at the
  finite gap ``log((1 - eps + eps/K) / (eps/K))``.

>>> live = class_weight_threshold()
>>> live.update(alpha=1.0, beta=1.0)["threshold"] > live.update(alpha=5.0, beta=1.0)["threshold"]
True
"""
from __future__ import annotations

import numpy as np

from lossedu import losses
from lossedu.viz._common import PALETTE, LiveFigure, new_figure, slider, style_axes

__all__ = [
    "imbalanced_data",
    "fit_weighted_logistic",
    "precision_recall",
    "class_weight_threshold",
    "smoothed_target",
    "optimal_logit_gap",
    "label_smoothing_target",
]


def imbalanced_data(n_neg: int = 180, n_pos: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded 1-D imbalanced problem: x ~ N(-1, 1) for y = 0 and x ~ N(1, 1) for y = 1.

    Returns
    -------
    x : (n_neg + n_pos,) float array
    y : (n_neg + n_pos,) float array of 0/1 labels
    """
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(-1.0, 1.0, n_neg), rng.normal(1.0, 1.0, n_pos)])
    y = np.concatenate([np.zeros(n_neg), np.ones(n_pos)])
    return x, y


def fit_weighted_logistic(
    x: np.ndarray, y: np.ndarray, alpha: float = 1.0, beta: float = 1.0, iters: int = 50
) -> tuple[float, float]:
    """Minimise the mean weighted BCE of ``p = sigmoid(w x + b)`` over (w, b) by Newton's method.

    Gradient per example (with respect to the logit z): ``alpha y (p - 1) + beta (1 - y) p``;
    curvature: ``(alpha y + beta (1 - y)) p (1 - p)``.

    Returns
    -------
    (w, b) : the fitted slope and intercept.
    """
    if alpha <= 0 or beta <= 0:
        raise ValueError(f"alpha and beta must be > 0, got alpha={alpha}, beta={beta}")
    A = np.column_stack([x, np.ones_like(x)])
    theta = np.zeros(2)
    for _ in range(iters):
        z = A @ theta
        g = losses.weighted_bce_with_logits_grad(y, z, alpha, beta)
        p = losses.sigmoid(z)
        h = (alpha * y + beta * (1.0 - y)) * p * (1.0 - p)
        grad = A.T @ g / len(x)
        hess = (A * h[:, None]).T @ A / len(x) + 1e-12 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        theta = theta - step
        if np.max(np.abs(step)) < 1e-12:
            break
    return float(theta[0]), float(theta[1])


def precision_recall(y: np.ndarray, predicted: np.ndarray) -> tuple[float, float]:
    """Precision TP / (TP + FP) and recall TP / (TP + FN) of 0/1 predictions (0 when undefined)."""
    tp = float(np.sum((predicted == 1) & (y == 1)))
    fp = float(np.sum((predicted == 1) & (y == 0)))
    fn = float(np.sum((predicted == 0) & (y == 1)))
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    return precision, recall


def class_weight_threshold(alpha: float = 1.0, beta: float = 1.0, seed: int = 0) -> LiveFigure:
    """Weighted BCE on an imbalanced 1-D problem: alpha and beta sliders move the threshold.

    Controls: ``alpha`` (weight of the positive-class term) and ``beta`` (negative-class term),
    both on [0.1, 10]. The fitted curve sigmoid(w x + b) and the threshold x* = -b / w (where the
    fitted probability is 1/2) move in place.

    Returns
    -------
    LiveFigure
        ``.values``: ``alpha, beta, w, b, threshold, precision, recall, eta_threshold``
        (the last is beta / (alpha + beta), the population threshold on P(y = 1 | x)).
    """
    x, y = imbalanced_data(seed=seed)
    jitter = np.random.default_rng(seed + 1).uniform(-0.04, 0.04, len(x))
    grid = np.linspace(-4.0, 4.0, 401)

    fig, ax = new_figure(figsize=(6.4, 3.8))
    style_axes(ax, "feature x", "predicted P(y = 1 | x)", "Class weights move the decision threshold")
    neg, pos = y == 0, y == 1
    ax.plot(x[neg], y[neg] + jitter[neg], "o", ms=4, alpha=0.5, color=PALETTE["blue"], label="y = 0 (180)")
    ax.plot(x[pos], y[pos] + jitter[pos], "^", ms=6, color=PALETTE["vermillion"], label="y = 1 (20)")
    (curve,) = ax.plot(grid, np.zeros_like(grid), color=PALETTE["black"], lw=2, label="fitted sigmoid(wx+b)")
    threshold_line = ax.axvline(0.0, color=PALETTE["green"], lw=2, ls="--", label="threshold")
    ax.axhline(0.5, color="#999999", lw=0.8, ls=":")
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylim(-0.1, 1.1)
    ax.legend(loc="center left", fontsize=8)

    def draw(alpha: float, beta: float) -> dict[str, float]:
        w, b = fit_weighted_logistic(x, y, alpha, beta)
        threshold = -b / w
        curve.set_ydata(losses.sigmoid(w * grid + b))
        threshold_line.set_xdata([threshold, threshold])
        precision, recall = precision_recall(y, (x > threshold).astype(float))
        return {
            "alpha": float(alpha),
            "beta": float(beta),
            "w": w,
            "b": b,
            "threshold": threshold,
            "precision": precision,
            "recall": recall,
            "eta_threshold": beta / (alpha + beta),
        }

    controls = {
        "alpha": slider(alpha, 0.1, 10.0, 0.1, "alpha (positives)"),
        "beta": slider(beta, 0.1, 10.0, 0.1, "beta (negatives)"),
    }
    return LiveFigure(fig, controls, draw, digits=3)


def smoothed_target(label: int, K: int, eps: float) -> np.ndarray:
    """The smoothed target ``(1 - eps) onehot(label) + eps / K``, shape (K,)."""
    if not 0.0 <= eps < 1.0:
        raise ValueError(f"eps must lie in [0, 1), got {eps}")
    target = np.full(K, eps / K)
    target[label] += 1.0 - eps
    return target


def optimal_logit_gap(K: int, eps: float) -> float:
    """The logit gap z_true - z_other that minimises CE against the smoothed target.

    At the optimum softmax(z) equals the target, so the gap is
    ``log((1 - eps + eps / K) / (eps / K))``; it is infinite when eps = 0.
    """
    if eps == 0.0:
        return float("inf")
    return float(np.log((1.0 - eps + eps / K) / (eps / K)))


def label_smoothing_target(eps: float = 0.1, K: int = 3) -> LiveFigure:
    """Cross-entropy against a smoothed target as a function of the logit gap, with an eps slider.

    Logits are ``z = (g, 0, ..., 0)`` with the true class first; the curve is
    ``softmax_cross_entropy(0, z, label_smoothing=eps)`` over the gap g, the grey curve is eps = 0.

    Returns
    -------
    LiveFigure
        ``.values``: ``eps, target_true, target_other, optimal_gap, min_loss``.
    """
    gaps = np.linspace(-2.0, 10.0, 481)
    Z = np.zeros((len(gaps), K))
    Z[:, 0] = gaps
    labels = np.zeros(len(gaps), dtype=int)

    fig, ax = new_figure(figsize=(6.4, 3.8))
    style_axes(ax, "logit gap g = z_true - z_other", "cross-entropy", f"Label smoothing (K = {K})")
    ax.plot(gaps, losses.softmax_cross_entropy(labels, Z), color=PALETTE["grey"], lw=1.5, label="eps = 0 (one-hot)")
    (curve,) = ax.plot(gaps, np.zeros_like(gaps), color=PALETTE["blue"], lw=2, label="smoothed target")
    (marker,) = ax.plot([0.0], [0.0], "o", color=PALETTE["vermillion"], ms=9, label="minimum")
    ax.set_xlim(gaps[0], gaps[-1])
    ax.set_ylim(0.0, 3.6)  # the eps = 0.5 curve reaches 3.33 at the right edge
    ax.legend(loc="upper center", fontsize=8)

    def draw(eps: float) -> dict[str, float]:
        curve.set_ydata(losses.softmax_cross_entropy(labels, Z, label_smoothing=eps))
        gap = optimal_logit_gap(K, eps)
        z_best = np.zeros((1, K))
        z_best[0, 0] = gap
        min_loss = float(losses.softmax_cross_entropy(np.array([0]), z_best, label_smoothing=eps)[0])
        marker.set_data([min(gap, gaps[-1])], [min_loss])
        target = smoothed_target(0, K, eps)
        return {
            "eps": float(eps),
            "target_true": float(target[0]),
            "target_other": float(target[1]),
            "optimal_gap": gap,
            "min_loss": min_loss,
        }

    controls = {"eps": slider(eps, 0.01, 0.5, 0.01, "epsilon")}
    return LiveFigure(fig, controls, draw, digits=4)

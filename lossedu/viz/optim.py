"""Session 5 figure: full-batch, mini-batch and per-sample gradient descent on one empirical risk.

The model is a line ``yhat = w x + b`` fitted with squared error ``L = (1/2)(yhat - y)^2`` to a
seeded 1-D dataset, so the empirical risk R_hat(w, b) = (1/n) sum_i L(y_i, w x_i + b) has
elliptical contours. Every path takes the same number of updates with the same step size; only
the examples behind each gradient differ:

    theta <- theta - lr * (1/|B|) sum_{i in B} grad_theta L(y_i, w x_i + b)

with B = all n examples (full batch), a mini-batch, or a single example (per-sample SGD).
Mini-batches are drawn without replacement from a fresh permutation every epoch
(:func:`lossedu.risk.minibatch_sgd`).

>>> live = descent_paths()
>>> v = live.update(step=40)
>>> v["risk_full_batch"] < v["risk_start"]
True
"""
from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from lossedu import losses
from lossedu.risk import minibatch_sgd
from lossedu.viz._common import COLORS, LiveFigure, new_figure, slider, style_axes

__all__ = ["line_data", "risk_grid", "descent_trajectory", "descent_paths", "PATHS"]

#: path id -> (legend label, batch size or None for the full batch)
PATHS: dict[str, tuple[str, int | None]] = {
    "full_batch": ("full batch (n = 64)", None),
    "minibatch": ("mini-batch (8)", 8),
    "per_sample": ("per-sample (1)", 1),
}

START = (-1.5, 2.5)
W_RANGE = (-2.5, 3.0)
B_RANGE = (-2.5, 3.5)  # every path stays inside, up to step size 0.5


def line_data(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded data for a line fit: x ~ U(-2, 2), y = 1.5 x - 0.5 + N(0, 0.5^2).

    Returns
    -------
    X : (n, 2) array, columns (x, 1) so that X @ (w, b) = w x + b
    y : (n,) array
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, n)
    y = 1.5 * x - 0.5 + rng.normal(0.0, 0.5, n)
    return np.column_stack([x, np.ones(n)]), y


def risk_grid(X: np.ndarray, y: np.ndarray, W: np.ndarray, B: np.ndarray) -> np.ndarray:
    """R_hat(w, b) = mean_i (1/2)(w x_i + b - y_i)^2 at every grid point (W, B), shape of W."""
    pred = W[..., None] * X[:, 0] + B[..., None]
    return losses.mse(y, pred).mean(axis=-1)


def descent_trajectory(
    X: np.ndarray,
    y: np.ndarray,
    theta0: tuple[float, float],
    lr: float,
    steps: int,
    batch_size: int | None,
    seed: int = 0,
) -> np.ndarray:
    """Parameters after 0, 1, ..., ``steps`` updates of (mini-)batch gradient descent on MSE.

    ``batch_size=None`` (or n) is full-batch gradient descent, 1 is per-sample SGD. The updates
    are those of :func:`lossedu.risk.minibatch_sgd` (a fresh seeded permutation every epoch),
    run for enough epochs and cut after ``steps`` updates.

    Returns
    -------
    (steps + 1, 2) array of (w, b).
    """
    n = len(y)
    m = n if batch_size is None else batch_size
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or not 1 <= m <= n:
        raise ValueError(f"batch_size must be None or an integer in [1, {n}], got {batch_size!r}")
    steps_per_epoch = -(-n // m)
    epochs = -(-steps // steps_per_epoch)
    path = minibatch_sgd(X, y, np.asarray(theta0, dtype=float), loss="mse", lr=lr,
                         batch_size=batch_size, epochs=epochs, seed=seed)
    return path[: steps + 1]


def descent_paths(step: int = 10, lr: float = 0.1, max_steps: int = 80, seed: int = 0) -> LiveFigure:
    """Three descent paths on the contour of R_hat(w, b), revealed one update at a time.

    Controls: ``step`` (integer slider 0..max_steps: how many updates to show) and ``lr`` (step
    size on [0.01, 0.5]; changing it recomputes the paths with the same batches).

    Returns
    -------
    LiveFigure
        ``.values``: ``step, lr, risk_start``, ``risk_<path>`` for each path (R_hat at the
        shown step) and ``risk_min`` (the least-squares optimum).
    """
    X, y = line_data(seed=seed)
    W, B = np.meshgrid(np.linspace(*W_RANGE, 121), np.linspace(*B_RANGE, 121))
    theta_star = np.linalg.lstsq(X, y, rcond=None)[0]
    risk_min = float(losses.mse(y, X @ theta_star).mean())

    fig, ax = new_figure(figsize=(6.0, 4.8))
    style_axes(ax, "slope w", "intercept b", "Gradient descent on the empirical risk")
    levels = risk_min + np.array([0.02, 0.1, 0.3, 0.7, 1.5, 3.0, 5.0, 8.0])
    ax.contour(W, B, risk_grid(X, y, W, B), levels=levels, colors="#aaaaaa", linewidths=0.8)
    ax.plot(*theta_star, "*", color="black", ms=12, label="minimum of R̂(w, b)")
    lines, heads = {}, {}
    for i, (name, (label, _)) in enumerate(PATHS.items()):
        (lines[name],) = ax.plot([], [], "-", color=COLORS[i], lw=1.6, alpha=0.9, label=label)
        (heads[name],) = ax.plot([], [], "o", color=COLORS[i], ms=7)
    ax.set_xlim(*W_RANGE)
    ax.set_ylim(*B_RANGE)
    ax.legend(loc="lower right", fontsize=8)

    cache: dict[float, dict[str, np.ndarray]] = {}

    def paths_for(lr: float) -> dict[str, np.ndarray]:
        key = round(float(lr), 6)
        if key not in cache:
            cache.clear()
            cache[key] = {
                name: descent_trajectory(X, y, START, key, max_steps, size, seed=seed)
                for name, (_, size) in PATHS.items()
            }
        return cache[key]

    def draw(step: int, lr: float) -> dict[str, float]:
        paths = paths_for(lr)
        values: dict[str, float] = {"step": int(step), "lr": float(lr)}
        values["risk_start"] = float(losses.mse(y, X @ np.array(START)).mean())
        for name, path in paths.items():
            shown = path[: int(step) + 1]
            lines[name].set_data(shown[:, 0], shown[:, 1])
            heads[name].set_data([shown[-1, 0]], [shown[-1, 1]])
            values[f"risk_{name}"] = float(losses.mse(y, X @ shown[-1]).mean())
        values["risk_min"] = risk_min
        return values

    controls = {
        "step": widgets.IntSlider(value=step, min=0, max=max_steps, step=1, description="updates"),
        "lr": slider(lr, 0.01, 0.5, 0.01, "step size"),
    }
    return LiveFigure(fig, controls, draw, digits=4)

"""Interactive figures of session 1: regression losses, outliers and the empirical risk curve.

* :func:`outlier_fit` — a line fitted under MSE, MAE and Huber while one point is dragged away.
* :func:`risk_curve` — the empirical risk R̂(w) of the model ŷ = w·x, with the tangent at w.

The fits are small, exact and readable: least squares in closed form, the L1 line through the
best pair of data points, Huber by iteratively reweighted least squares.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.collections import LineCollection

from lossedu import losses
from lossedu.viz._common import (
    COLORS,
    LINESTYLES,
    PALETTE,
    LiveFigure,
    dropdown,
    new_figure,
    slider,
    style_axes,
    tangent_inside,
)

__all__ = [
    "fit_line_mse",
    "fit_line_mae",
    "fit_line_huber",
    "outlier_data",
    "outlier_fit",
    "risk_curve",
]

#: Losses a line can be fitted under in :func:`outlier_fit`.
FIT_LOSSES = ("mse", "mae", "huber")
#: Range of the movable point's height: y = 30 (the lesson's outlier) leaves room to drag it up.
OUTLIER_Y_RANGE = (-10.0, 45.0)


# -- fitting a line y ≈ a + b·x under one loss -------------------------------------------------
def _design(x: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones_like(x), x])


def fit_line_mse(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares line: argmin over (a, b) of mean ½(a + b·xᵢ − yᵢ)². Returns ``[a, b]``."""
    coef, *_ = np.linalg.lstsq(_design(np.asarray(x, float)), np.asarray(y, float), rcond=None)
    return coef


def fit_line_mae(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-absolute-deviations line: argmin over (a, b) of mean |a + b·xᵢ − yᵢ|.

    The objective is convex and piecewise linear, so a minimiser sits at a vertex: a line
    through two of the data points (with distinct x). With a dozen points, trying every pair
    is exact and fast. Ties go to the first pair found. Returns ``[a, b]``.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    i, j = np.triu_indices(len(x), k=1)  # every pair, in the order combinations() gives
    keep = x[i] != x[j]
    if not keep.any():
        raise ValueError("x needs at least two distinct values to fit a line")
    i, j = i[keep], j[keep]
    b = (y[j] - y[i]) / (x[j] - x[i])
    a = y[i] - b * x[i]
    risks = np.mean(np.abs(a[:, None] + b[:, None] * x - y), axis=1)
    best = int(np.flatnonzero(risks <= risks.min() + 1e-12)[0])  # ties: the first pair
    return np.array([a[best], b[best]])


def fit_line_huber(
    x: np.ndarray, y: np.ndarray, delta: float = 1.0, n_iter: int = 200
) -> np.ndarray:
    """Huber line by iteratively reweighted least squares.

    Each step solves a weighted least-squares problem with weights
    wᵢ = min(1, δ / |rᵢ|) from the current residuals rᵢ: points inside the δ-band count
    fully (MSE-like), points outside count with a bounded pull (MAE-like). Returns ``[a, b]``.
    """
    if not delta > 0:
        raise ValueError(f"delta must be positive, got {delta}")
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    A = _design(x)
    coef = fit_line_mse(x, y)
    for _ in range(n_iter):
        r = A @ coef - y
        weight = np.minimum(1.0, delta / np.maximum(np.abs(r), 1e-12))
        sw = np.sqrt(weight)
        new, *_ = np.linalg.lstsq(A * sw[:, None], y * sw, rcond=None)
        if np.max(np.abs(new - coef)) < 1e-12:
            return new
        coef = new
    return coef


def _risk(loss: str, y: np.ndarray, pred: np.ndarray, delta: float) -> float:
    if loss == "huber":
        return float(np.mean(losses.huber(y, pred, delta=delta)))
    return float(np.mean(getattr(losses, loss)(y, pred)))


def _fit(loss: str, x: np.ndarray, y: np.ndarray, delta: float) -> np.ndarray:
    if loss == "mse":
        return fit_line_mse(x, y)
    if loss == "mae":
        return fit_line_mae(x, y)
    return fit_line_huber(x, y, delta)


# -- figure 1: a movable outlier ------------------------------------------------------------------
def outlier_data(n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Inliers of the outlier figure: x on [0, 10], y = 1 + 0.5·x + N(0, 0.5²) noise, seeded."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 10.0, n)
    y = 1.0 + 0.5 * x + rng.normal(0.0, 0.5, size=n)
    return x, y


def outlier_fit(
    outlier_y: float = 6.0,
    delta: float = 1.0,
    outlier_x: float = 9.0,
    x: Sequence[float] | None = None,
    y: Sequence[float] | None = None,
) -> LiveFigure:
    """Fit a line under MSE, MAE and Huber(δ) while one point (the outlier) moves.

    Parameters
    ----------
    outlier_y : float
        Starting height of the movable point (slider from −10 to 45).
    delta : float
        Huber threshold δ (slider from 0.1 to 5).
    outlier_x : float
        Horizontal position of the movable point.
    x, y : arrays of shape (n,), optional
        The fixed points; default :func:`outlier_data`.

    Returns
    -------
    LiveFigure
        Controls ``outlier_y`` and ``delta``. Reports the slope of each fitted line
        (``slope_mse``, ``slope_mae``, ``slope_huber``) and the empirical risk at each fit,
        measured with its own loss over all n + 1 points (``risk_mse``, ``risk_mae``,
        ``risk_huber``).
    """
    if x is None or y is None:
        x_in, y_in = outlier_data()
    else:
        x_in, y_in = np.asarray(x, float), np.asarray(y, float)
        if x_in.shape != y_in.shape or x_in.ndim != 1:
            raise ValueError("x and y must be 1-D arrays of the same length")
    fig, ax = new_figure(figsize=(7.0, 4.4))
    style_axes(ax, "x", "y", "One point moves: which fitted line follows it?")
    ax.scatter(x_in, y_in, color=PALETTE["grey"], edgecolor="black", zorder=3, label="data")
    outlier = ax.scatter([outlier_x], [outlier_y], s=110, marker="D", color=PALETTE["orange"],
                         edgecolor="black", zorder=4, label="movable point")
    grid = np.linspace(min(x_in.min(), outlier_x) - 0.5, max(x_in.max(), outlier_x) + 0.5, 50)
    names = {"mse": "MSE", "mae": "MAE", "huber": "Huber"}
    lines = {}
    for k, loss in enumerate(FIT_LOSSES):
        (lines[loss],) = ax.plot(grid, np.zeros_like(grid), color=COLORS[k],
                                 linestyle=LINESTYLES[k], linewidth=2.2, label=names[loss])
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylim(OUTLIER_Y_RANGE[0] - 1.0, OUTLIER_Y_RANGE[1] + 1.0)
    legend = ax.legend(loc="upper left", fontsize=9)
    huber_label = legend.get_texts()[-1]
    def draw(outlier_y: float, delta: float) -> dict[str, float]:
        xs = np.append(x_in, outlier_x)
        ys = np.append(y_in, outlier_y)
        outlier.set_offsets([[outlier_x, outlier_y]])
        coefs = {loss: _fit(loss, xs, ys, delta) for loss in FIT_LOSSES}
        for loss, (a, b) in coefs.items():
            lines[loss].set_ydata(a + b * grid)
        values = {f"slope_{loss}": float(b) for loss, (a, b) in coefs.items()}
        for loss, (a, b) in coefs.items():
            values[f"risk_{loss}"] = _risk(loss, ys, a + b * xs, delta)
        huber_label.set_text(f"Huber (δ = {delta:.2f})")
        return values

    controls = {
        "outlier_y": slider(outlier_y, *OUTLIER_Y_RANGE, 0.5, "outlier y"),
        "delta": slider(delta, 0.1, 5.0, 0.1, "Huber δ"),
    }
    labels = {f"slope_{l}": f"slope {names[l]}" for l in FIT_LOSSES}
    labels.update({f"risk_{l}": f"R̂ {names[l]}" for l in FIT_LOSSES})
    return LiveFigure(fig, controls, draw, labels=labels)


# -- figure 2: the empirical risk curve and its tangent -----------------------------------------
def risk_curve(
    w: float = 1.0,
    loss: str = "mse",
    x: Sequence[float] = (1.0, 2.0),
    y: Sequence[float] = (2.0, 3.0),
) -> LiveFigure:
    """The empirical risk R̂(w) = (1/n) Σᵢ L(yᵢ, w·xᵢ) of ŷ = w·x, with the tangent at ``w``.

    Left: the data, the line ŷ = w·x and the residuals. Right: R̂ over w, the current point and
    a tangent of slope dR̂/dw = (1/n) Σᵢ ∂L/∂ŷᵢ · xᵢ (a subgradient for MAE at a kink: the
    library's choice sign(0) = 0).

    Parameters
    ----------
    w : float
        Starting weight (slider from −1 to 4).
    loss : {"mse", "mae"}
        Pointwise loss (drop-down).
    x, y : sequences of shape (n,)
        The data; the default is the two-point example (1, 2), (2, 3).

    Returns
    -------
    LiveFigure
        Controls ``w`` and ``loss``; reports ``w``, ``risk`` (R̂(w)) and ``grad`` (dR̂/dw).
    """
    if loss not in ("mse", "mae"):
        raise ValueError(f"loss must be 'mse' or 'mae', got {loss!r}")
    xs = np.asarray(x, float)
    ys = np.asarray(y, float)
    if xs.shape != ys.shape or xs.ndim != 1 or xs.size == 0:
        raise ValueError("x and y must be non-empty 1-D sequences of the same length")

    def risk_of(w_value: float | np.ndarray, name: str) -> np.ndarray:
        w_col = np.asarray(w_value, float)[..., None]
        return np.mean(getattr(losses, name)(ys, w_col * xs), axis=-1)

    def grad_of(w_value: float, name: str) -> float:
        return float(np.mean(getattr(losses, name + "_grad")(ys, w_value * xs) * xs))

    fig, (ax_data, ax_risk) = new_figure(1, 2, figsize=(10.0, 4.2))
    style_axes(ax_data, "x", "y", "Data and the model ŷ = w·x")
    style_axes(ax_risk, "w", "empirical risk R̂(w)", "R̂(w) and its tangent at w")
    ax_data.scatter(xs, ys, color=PALETTE["black"], zorder=3, label="data (xᵢ, yᵢ)")
    x_grid = np.linspace(0.0, xs.max() * 1.15, 20)
    (model_line,) = ax_data.plot(x_grid, w * x_grid, color=COLORS[0], lw=2, label="ŷ = w·x",
                                 gid="may-leave-axes")  # a line, not a path: for far-off w it
                                 # leaves the window zoomed on the data
    residuals = LineCollection([], colors=PALETTE["vermillion"], linestyles="-", lw=2.5,
                               label="residual ŷ − y")
    ax_data.add_collection(residuals)
    (predictions,) = ax_data.plot([], [], "o", mfc="white", mec=PALETTE["vermillion"], mew=2,
                                  ms=7, zorder=4, label="prediction ŷᵢ", gid="may-leave-axes")
    ax_data.set_xlim(0, x_grid[-1])
    # Zoomed on the data, so residuals near the minimum (w = 1.6: 0.4 and 0.2) are plain to see;
    # for far-off w the line leaves the window.
    span = ys.max() - min(0.0, ys.min())
    ax_data.set_ylim(min(0.0, ys.min()) - 0.15 * span, ys.max() + 0.5 * span)
    # Lines through the origin with w in [-1, 4] sweep most of the window: the legend goes below.
    ax_data.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=9)

    w_grid = np.linspace(-1.0, 4.0, 201)
    (curve,) = ax_risk.plot(w_grid, risk_of(w_grid, loss), color=COLORS[0], lw=2, label="R̂(w)")
    (tangent,) = ax_risk.plot([], [], color=COLORS[1], ls="--", lw=2, label="tangent")
    (point,) = ax_risk.plot([], [], "o", color=COLORS[1], ms=8, zorder=4)
    ax_risk.set_xlim(w_grid[0], w_grid[-1])
    ax_risk.legend(loc="upper center", fontsize=9)
    shown = {"loss": None}

    def draw(w: float, loss: str) -> dict[str, float]:
        if shown["loss"] != loss:  # new curve and limits only when the loss changes
            curve_y = risk_of(w_grid, loss)
            curve.set_ydata(curve_y)
            ax_risk.set_ylim(-0.05 * curve_y.max(), curve_y.max() * 1.05)
            shown["loss"] = loss
        r, g = float(risk_of(w, loss)), grad_of(w, loss)
        tangent.set_data(*tangent_inside(ax_risk, w, r, g, half=0.75))
        point.set_data([w], [r])
        model_line.set_ydata(w * x_grid)
        residuals.set_segments([[(xi, yi), (xi, w * xi)] for xi, yi in zip(xs, ys)])
        predictions.set_data(xs, w * xs)
        return {"w": float(w), "risk": r, "grad": g}

    controls = {
        "w": slider(w, -1.0, 4.0, 0.05, "w"),
        "loss": dropdown(["mse", "mae"], loss, "loss"),
    }
    description = ("Figure with 2 panels. Left: the data points, the line ŷ = w·x and the "
                   "residuals. Right: the empirical risk R̂ over w, with the point and tangent at "
                   "the current w.")
    return LiveFigure(fig, controls, draw, labels={"risk": "R̂(w)", "grad": "dR̂/dw"},
                      description=description)

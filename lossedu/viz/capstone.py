"""Capstone figures: the cost threshold and the loss moving the decision boundary; reliability.

* :func:`threshold_explorer` -- on a design scenario (:mod:`lossedu.checking.scenario`), a linear
  model trained with one of three losses (plain BCE, cost-weighted BCE, the noise-aware
  likelihood) is cut at a threshold t on its own probability. Left: the data, the model's
  boundary and the Bayes boundary; right: expected cost per example against t, for the chosen
  loss, with the Bayes cost. Both move in place.
* :func:`reliability_diagram` -- a static reliability diagram with 90 % binomial bands for the
  output of :func:`lossedu.calibration.compare`.
* :func:`describe` -- the text alternative of the explorer's current state.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from lossedu import calibration, losses
from lossedu.checking import scenario
from lossedu.viz._common import COLORS, PALETTE, LiveFigure, dropdown, new_figure, slider, style_axes

__all__ = ["fit_models", "threshold_explorer", "describe", "reliability_diagram", "LOSS_NAMES"]

LOSS_NAMES = ("plain BCE", "cost-weighted BCE", "noise-aware")
_GRID = np.round(np.linspace(0.02, 0.98, 97), 2)


def _noise_aware_fit(X: np.ndarray, y: np.ndarray, rho: float, start: np.ndarray, steps: int = 800) -> np.ndarray:
    """Gradient descent on the mean of -[y log q + (1-y) log(1-q)], q = rho + (1-2rho) sigma(z)."""
    A = np.column_stack([X, np.ones(len(X))])
    theta = start.copy()
    for _ in range(steps):
        z = A @ theta
        s, s_neg = losses.sigmoid(z), losses.sigmoid(-z)
        q, not_q = rho + (1 - 2 * rho) * s, rho + (1 - 2 * rho) * s_neg
        g = -(y / q - (1 - y) / not_q) * (1 - 2 * rho) * s * s_neg
        theta = theta - 2.0 * (A.T @ g / len(y) + 1e-3 * np.r_[theta[:2], 0.0])
    return theta


def fit_models(params: dict) -> dict[str, tuple[np.ndarray, Any]]:
    """loss name -> ((w1, w2, b), prob) where prob(z) maps the logit to P(recorded y = 1) as the
    model sees it (sigma(z) for BCE and weighted BCE, rho + (1 - 2 rho) sigma(z) for noise-aware)."""
    X, y, rho = np.asarray(params["X"], float), np.asarray(params["y"], float), params["rho"]
    plain = scenario.fit_logistic(X, y, lam=1e-3)
    weighted = scenario.fit_logistic(X, y, weights=np.where(y == 1, params["c_fn"], params["c_fp"]), lam=1e-3)
    aware = _noise_aware_fit(X, y, rho, plain)
    return {"plain BCE": (plain, losses.sigmoid), "cost-weighted BCE": (weighted, losses.sigmoid),
            "noise-aware": (aware, lambda z: rho + (1 - 2 * rho) * losses.sigmoid(z))}


def _cut_logit(name: str, t: float, rho: float) -> float:
    """The logit at which the model's probability equals t (inf when it never does)."""
    if name == "noise-aware":
        s = (t - rho) / (1 - 2 * rho)
        return float("inf") if s >= 1 else float("-inf") if s <= 0 else float(np.log(s / (1 - s)))
    return float(np.log(t / (1 - t)))


def threshold_explorer(params: dict, loss: str = "plain BCE", threshold: float = 0.5,
                       n_eval: int = 20_000, seed: int = 0) -> LiveFigure:
    """Interactive: choose the loss and the threshold t; see the boundary and the expected cost move.

    Costs are exact expectations over ``n_eval`` seeded points of the scenario (from its posterior).

    Returns
    -------
    LiveFigure
        ``.values``: ``threshold, expected_cost, bayes_cost, regret_percent, best_threshold,
        best_cost`` (the last two: the threshold on the grid with the lowest cost for this loss).
    """
    models = fit_models(params)
    rho = params["rho"]
    X_eval, _ = scenario.draw(params, n_eval, np.random.default_rng(seed))
    bayes = scenario.bayes_cost(params, X_eval)
    curves = {}
    for name, (theta, prob) in models.items():
        p_eval = prob(X_eval @ theta[:2] + theta[2])
        curves[name] = np.array([scenario.expected_cost(params, X_eval, (p_eval > t).astype(float)) for t in _GRID])

    X, y = np.asarray(params["X"], float), np.asarray(params["y"], float)
    show = np.random.default_rng(seed + 1).choice(len(y), size=min(400, len(y)), replace=False)
    # the window holds every point shown (with a margin), so no marker is cut off at the edge
    lo, hi = X[show].min(axis=0) - 0.5, X[show].max(axis=0) + 0.5
    box = (lo[0], hi[0], lo[1], hi[1])

    fig, (left, right) = new_figure(1, 2, figsize=(9.6, 4.6))
    style_axes(left, "feature x₁", "feature x₂", "Training data and decision boundaries")
    style_axes(right, "threshold t on the model's probability", "expected cost per example",
               "Expected cost against the threshold")
    for label, marker, colour in ((0, "o", PALETTE["blue"]), (1, "^", PALETTE["vermillion"])):
        pick = show[y[show] == label]
        left.plot(X[pick, 0], X[pick, 1], marker, ms=3.5, alpha=0.45, color=colour, label=f"recorded y = {label}")
    a = np.asarray(params["mu1"]) - np.asarray(params["mu0"])
    a0 = scenario.log_odds(params, np.zeros((1, 2)))[0]
    logit_star = _cut_logit("noise-aware", scenario.cost_threshold(params), rho)
    left.plot(*_segment(a, a0, logit_star, box), color=PALETTE["black"], lw=1.5, ls="--", label="Bayes boundary")
    (boundary,) = left.plot([], [], color=PALETTE["green"], lw=2.5,
                            label="your model at t")
    left.set_xlim(lo[0], hi[0])
    left.set_ylim(lo[1], hi[1])
    # legends below the axes: inside they would cover points, the boundary or the cost curve
    below = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.2), "ncol": 2, "fontsize": 8, "frameon": False}
    left.legend(**below)
    # the static Bayes cost first, so it lies under the moving curve in every frame
    right.axhline(bayes, color=PALETTE["black"], lw=1.2, ls="--", label="Bayes cost")
    (curve,) = right.plot(_GRID, curves[loss], color=COLORS[0], lw=2, label="this loss, cut at t")
    (marker,) = right.plot([threshold], [0.0], "o", color=PALETTE["vermillion"], ms=8, label="current t")
    right.set_xlim(0.0, 1.0)
    right.set_ylim(0.0, 1.05 * max(float(c.max()) for c in curves.values()))
    right.legend(**{**below, "ncol": 3})

    def draw(loss: str, threshold: float) -> dict[str, float]:
        theta, _ = models[loss]
        k = int(np.argmin(np.abs(_GRID - threshold)))
        curve.set_ydata(curves[loss])
        marker.set_data([_GRID[k]], [curves[loss][k]])
        cut = _cut_logit(loss, float(threshold), rho)
        boundary.set_data(*_segment(theta[:2], theta[2], cut, box))
        best = int(np.argmin(curves[loss]))
        return {"threshold": float(_GRID[k]), "expected_cost": float(curves[loss][k]), "bayes_cost": bayes,
                "regret_percent": 100 * (float(curves[loss][k]) / bayes - 1),
                "best_threshold": float(_GRID[best]), "best_cost": float(curves[loss][best])}

    controls = {"loss": dropdown(list(LOSS_NAMES), loss, "loss"),
                "threshold": slider(float(threshold), 0.02, 0.98, 0.01, "threshold t")}
    return LiveFigure(fig, controls, draw, digits=3)


def _segment(w: np.ndarray, b: float, cut: float, box: tuple[float, float, float, float]) -> tuple[list, list]:
    """The part of the line w₁ x₁ + w₂ x₂ + b = cut inside ``box = (x₁ min, x₁ max, x₂ min, x₂ max)``.

    Returns the two end points as ``([x₁, x₁'], [x₂, x₂'])``; no points (nothing drawn) when the
    line misses the box or ``cut`` is infinite (a threshold the model's probability never reaches).
    """
    nothing: tuple[list, list] = ([], [])
    if not np.isfinite(cut) or max(abs(w[0]), abs(w[1])) < 1e-12:
        return nothing
    x_lo, x_hi, y_lo, y_hi = box
    ends = []  # where the line crosses the four edges (within the edge)
    if abs(w[1]) > 1e-12:
        for x in (x_lo, x_hi):
            y = (cut - b - w[0] * x) / w[1]
            if y_lo <= y <= y_hi:
                ends.append((x, y))
    if abs(w[0]) > 1e-12:
        for y in (y_lo, y_hi):
            x = (cut - b - w[1] * y) / w[0]
            if x_lo <= x <= x_hi:
                ends.append((x, y))
    if len(ends) < 2:
        return nothing
    ends.sort()
    (xa, ya), (xb, yb) = ends[0], ends[-1]
    return [float(xa), float(xb)], [float(ya), float(yb)]


def describe(live: LiveFigure, loss: str) -> str:
    """Text alternative of the explorer's current state (what the figure shows, in words)."""
    v = live.values
    return (f"With the {loss} model cut at t = {v['threshold']:.2f}, the expected cost is {v['expected_cost']:.3f} "
            f"per example, {v['regret_percent']:.1f} % above the Bayes cost {v['bayes_cost']:.3f}. For this loss the "
            f"cheapest threshold on the grid is t = {v['best_threshold']:.2f} (cost {v['best_cost']:.3f}).")


def reliability_diagram(result: dict, bins: int = 10, keys: tuple[str, ...] = ("ce", "hinge", "platt")) -> Any:
    """Reliability diagram with 90 % Wilson bands (one panel per model); returns the figure."""
    names = {"ce": "cross-entropy σ(s)", "hinge": "hinge σ(s)", "platt": "hinge, Platt-scaled", "bayes": "Bayes posterior"}
    fig, axes = new_figure(1, len(keys), figsize=(3.3 * len(keys), 3.4), sharey=True)
    for i, (ax, key) in enumerate(zip(np.atleast_1d(axes), keys)):
        rows = calibration.reliability(result["probs"][key], result["y01"], bins)
        pred = [r["predicted"] for r in rows]
        ax.plot([0, 1], [0, 1], color=PALETTE["grey"], lw=1, ls=":", label="perfect calibration")
        ax.fill_between(pred, [r["band_low"] for r in rows], [r["band_high"] for r in rows],
                        color=COLORS[i], alpha=0.25, label="90 % binomial band")
        ax.plot(pred, [r["observed"] for r in rows], "o-", color=COLORS[i], ms=4, label="observed share")
        style_axes(ax, "mean predicted probability", "observed share of positives" if i == 0 else "",
                   f"{names[key]}\nECE {result['ece'][key]:.3f}")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    np.atleast_1d(axes)[0].legend(loc="upper left", fontsize=7)
    return fig

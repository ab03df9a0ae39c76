"""Calibration of a classifier's probabilities, measured against a known Bayes posterior.

The capstone compares cross-entropy and hinge models on data whose posterior is known exactly:

    y = +1 or -1 with prior pi, x | y ~ N(y mu, I_d)   (two Gaussians, shared covariance)
    P(y = +1 | x) = sigma(2 mu . x + log(pi / (1 - pi)))          exactly logistic

(the quadratic terms of the two log-densities cancel). Tools:

* :func:`fit_linear` trains f(x) = w . x + b with cross-entropy or hinge and the same L2 penalty;
* :func:`reliability` bins predictions and gives each bin's observed share of positives with a
  90 % Wilson (binomial) interval; :func:`ece` is the expected calibration error;
* :func:`platt` fits sigma(A s + B) to held-out scores (Platt scaling);
* :func:`compare` runs the whole comparison for one seed, with bootstrap intervals.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from lossedu import losses

Z90 = 1.6448536269514722  # standard normal quantile of 0.95: two-sided 90 % intervals


def gaussian_pair(n: int, rng: np.random.Generator, mu: tuple[float, ...] = (0.9, 0.6),
                  pi: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """n points: X of shape (n, d) and labels y in {-1, +1} of shape (n,), x | y ~ N(y mu, I)."""
    y = np.where(rng.random(n) < pi, 1.0, -1.0)
    X = rng.normal(size=(n, len(mu))) + y[:, None] * np.asarray(mu)
    return X, y


def bayes_posterior(X: np.ndarray, mu: tuple[float, ...] = (0.9, 0.6), pi: float = 0.5) -> np.ndarray:
    """P(y = +1 | x) = sigma(2 mu . x + log(pi/(1 - pi))), shape (n,)."""
    return losses.sigmoid(2 * X @ np.asarray(mu) + np.log(pi / (1 - pi)))


def fit_linear(X: np.ndarray, y: np.ndarray, loss: str, lam: float = 0.01, steps: int = 3000) -> np.ndarray:
    """(w, b) minimising mean loss(y, X w + b) + (lam/2)|w|^2; y in {-1, +1}; returns shape (d + 1,).

    ``loss="ce"``: logistic loss log(1 + e^(-y f)), by Newton's method. ``loss="hinge"``:
    max(0, 1 - y f), by full-batch subgradient descent with steps 1/(lam (t + 10)) and the
    average of the second half of the iterates (the hinge is not differentiable at margin 1).
    """
    A = np.column_stack([X, np.ones(len(X))])
    reg = lam * np.diag([1.0] * X.shape[1] + [0.0])
    theta = np.zeros(A.shape[1])
    if loss == "ce":
        y01 = (y + 1) / 2
        for _ in range(100):
            p = losses.sigmoid(A @ theta)
            grad = A.T @ (p - y01) / len(y) + reg @ theta
            hess = (A * (p * (1 - p))[:, None]).T @ A / len(y) + reg + 1e-10 * np.eye(len(theta))
            step = np.linalg.solve(hess, grad)
            theta -= step
            if np.max(np.abs(step)) < 1e-12:
                break
        return theta
    if loss != "hinge":
        raise ValueError(f"loss must be 'ce' or 'hinge', got {loss!r}")
    total, count = np.zeros_like(theta), 0
    for t in range(steps):
        active = y * (A @ theta) < 1
        grad = -(A[active].T @ y[active]) / len(y) + reg @ theta
        theta = theta - grad / (lam * (t + 10))
        if t >= steps // 2:
            total, count = total + theta, count + 1
    return total / count


def platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(A, B) of Platt scaling: P(y = +1 | s) = sigma(A s + B), fitted by cross-entropy (Newton)."""
    theta = fit_linear(np.asarray(scores, float)[:, None], y, "ce", lam=0.0)
    return float(theta[0]), float(theta[1])


def reliability(p: np.ndarray, y01: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Per bin of predicted probability: count, mean prediction, observed share and its 90 % band.

    The band is the Wilson interval of a binomial proportion with the bin's count; a calibrated
    model's mean prediction lies inside it about 90 % of the time. Empty bins are left out.
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    rows = []
    for k in range(bins):
        inside = which == k
        n = int(inside.sum())
        if n == 0:
            continue
        share = float(y01[inside].mean())
        centre = (share + Z90**2 / (2 * n)) / (1 + Z90**2 / n)
        half = Z90 * np.sqrt(share * (1 - share) / n + Z90**2 / (4 * n * n)) / (1 + Z90**2 / n)
        rows.append({"low": float(edges[k]), "high": float(edges[k + 1]), "count": n,
                     "predicted": float(p[inside].mean()), "observed": share,
                     "band_low": float(centre - half), "band_high": float(centre + half)})
    return rows


def ece(p: np.ndarray, y01: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: count-weighted mean |mean prediction - observed share| over bins."""
    return float(sum(r["count"] * abs(r["predicted"] - r["observed"]) for r in reliability(p, y01, bins)) / len(p))


def compare(seed: int, n_train: int = 500, n_calib: int = 1000, n_test: int = 5000, lam: float = 0.01,
            n_boot: int = 300) -> dict[str, Any]:
    """Cross-entropy versus hinge (same penalty ``lam``), with Platt scaling, for one seed.

    Returns, for each of ``ce`` (sigma of the CE score), ``hinge`` (sigma of the hinge score),
    ``platt`` (Platt-scaled hinge score, fitted on ``n_calib`` separate points) and ``bayes`` (the
    true posterior): the ECE on ``n_test`` fresh points, and the mean distance to the Bayes
    posterior, mean |p(x) - P(y = 1 | x)|, which needs no labels and no bins. ``*_ci`` are 90 %
    bootstrap intervals (resampling the test points) of the differences named.
    """
    rng = np.random.default_rng(seed)
    X_tr, y_tr = gaussian_pair(n_train, rng)
    X_cal, y_cal = gaussian_pair(n_calib, rng)
    X_te, y_te = gaussian_pair(n_test, rng)
    w_ce, w_hinge = fit_linear(X_tr, y_tr, "ce", lam), fit_linear(X_tr, y_tr, "hinge", lam)
    score = lambda w, X: X @ w[:-1] + w[-1]  # noqa: E731
    a, b = platt(score(w_hinge, X_cal), y_cal)
    probs = {"ce": losses.sigmoid(score(w_ce, X_te)), "hinge": losses.sigmoid(score(w_hinge, X_te)),
             "platt": losses.sigmoid(a * score(w_hinge, X_te) + b), "bayes": bayes_posterior(X_te)}
    eta, y01 = probs["bayes"], (y_te + 1) / 2
    out: dict[str, Any] = {"seed": seed, "n_test": n_test, "lam": lam, "platt": (a, b),
                           "accuracy": {k: float(np.mean((p > 0.5) == (y01 == 1))) for k, p in probs.items()}}
    out["ece"] = {k: ece(p, y01) for k, p in probs.items()}
    out["distance"] = {k: float(np.mean(np.abs(p - eta))) for k, p in probs.items()}
    boot = np.random.default_rng(seed + 1)
    diffs = {"distance_hinge_minus_ce": [], "distance_platt_minus_ce": [], "ece_hinge_minus_ce": []}
    for _ in range(n_boot):
        i = boot.integers(0, n_test, n_test)
        gap = {k: np.abs(probs[k][i] - eta[i]).mean() for k in ("ce", "hinge", "platt")}
        diffs["distance_hinge_minus_ce"].append(gap["hinge"] - gap["ce"])
        diffs["distance_platt_minus_ce"].append(gap["platt"] - gap["ce"])
        diffs["ece_hinge_minus_ce"].append(ece(probs["hinge"][i], y01[i]) - ece(probs["ce"][i], y01[i]))
    for name, values in diffs.items():
        out[name + "_ci"] = tuple(float(v) for v in np.quantile(values, [0.05, 0.95]))
    out["probs"], out["y01"] = probs, y01
    return out

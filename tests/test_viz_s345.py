"""The interactive figures of sessions 3-5: they build, move their artists correctly, and stay lean.

Expected values come from closed forms, finite differences, SciPy or NumPy's own least squares,
not from the figure code.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.optimize import minimize  # noqa: E402

from lossedu import losses  # noqa: E402
from lossedu.gradcheck import numerical_gradient  # noqa: E402
from lossedu.viz import design, margins, optim  # noqa: E402


def artist_counts(fig):
    """Number of artists of each kind on every axes, plus the number of axes and open figures."""
    counts = [len(fig.axes), len(plt.get_fignums())]
    for ax in fig.axes:
        counts += [len(ax.lines), len(ax.collections), len(ax.texts), len(ax.patches), len(ax.images)]
    return counts


# ------------------------------------------------------------------------------ session 3
MARGIN_ORACLES = {
    "zero_one": (lambda m: float(m <= 0), lambda m: 0.0),
    "hinge": (lambda m: max(0.0, 1.0 - m), lambda m: -1.0 if m < 1 else 0.0),
    "logistic": (lambda m: float(np.log1p(np.exp(-m))), lambda m: float(-1.0 / (1.0 + np.exp(m)))),
    "squared": (lambda m: 0.5 * (1.0 - m) ** 2, lambda m: -(1.0 - m)),
}


@pytest.mark.parametrize("m", [-1.5, -0.3, 0.0, 0.2, 1.0, 2.5])
def test_loss_vs_margin_markers_follow_the_margin(m):
    live = margins.loss_vs_margin()
    values = live.update(margin=m)
    fig = live.fig
    ax = fig.axes[0]
    for i, (name, (loss, grad)) in enumerate(MARGIN_ORACLES.items()):
        marker = ax.lines[2 * i + 1]
        assert marker.get_xdata()[0] == pytest.approx(m)
        assert marker.get_ydata()[0] == pytest.approx(loss(m), abs=1e-12), name
        assert values[name] == pytest.approx(loss(m), abs=1e-12), name
        assert values[f"{name}_grad"] == pytest.approx(grad(m), abs=1e-12), name
    assert values["margin"] == pytest.approx(m)
    # the seed's worked example: margin 0.2 -> hinge 0.8 with subgradient -1
    if m == 0.2:
        assert values["hinge"] == pytest.approx(0.8) and values["hinge_grad"] == -1.0


def test_loss_vs_margin_smooth_gradients_match_finite_differences():
    for m in (-1.2, 0.4, 1.7):  # away from every kink
        for name in ("logistic", "squared", "hinge"):
            numeric = numerical_gradient(lambda v: margins.margin_loss(name, v).sum(), np.array([m]))[0]
            assert margins.margin_loss_grad(name, np.array([m]))[0] == pytest.approx(numeric, abs=1e-6)


def test_loss_vs_margin_curves_are_the_library_losses():
    live = margins.loss_vs_margin()
    ax = live.fig.axes[0]
    hinge_curve = ax.lines[2]
    x = np.asarray(hinge_curve.get_xdata())
    np.testing.assert_allclose(hinge_curve.get_ydata(), losses.hinge(np.ones_like(x), x))
    np.testing.assert_allclose(ax.lines[4].get_ydata(), np.log1p(np.exp(-x)), rtol=1e-12)


def test_loss_vs_margin_toggles_hide_and_show_a_loss():
    live = margins.loss_vs_margin()
    ax = live.fig.axes[0]
    hinge_curve, hinge_marker = ax.lines[2], ax.lines[3]
    live.update(hinge=False)
    assert not hinge_curve.get_visible() and not hinge_marker.get_visible()
    assert all(ax.lines[k].get_visible() for k in (0, 1, 4, 5, 6, 7))
    live.update(hinge=True, squared=False)
    assert hinge_curve.get_visible() and hinge_marker.get_visible()
    assert not ax.lines[6].get_visible() and not ax.lines[7].get_visible()


def test_loss_vs_margin_readout_and_no_artist_growth():
    live = margins.loss_vs_margin()
    before = artist_counts(live.fig)
    for m in np.linspace(-2, 3, 15):
        live.update(margin=float(m), zero_one=bool(m > 0))
    assert artist_counts(live.fig) == before
    assert "lossedu-readout" in live.readout._dom_classes
    assert 'data-key="hinge_grad"' in live.readout.value


def test_margin_loss_rejects_unknown_names():
    with pytest.raises(ValueError, match="name must be one of"):
        margins.margin_loss("exponential", np.zeros(3))
    with pytest.raises(ValueError, match="unknown control"):
        margins.loss_vs_margin().update(alpha=1.0)


# ------------------------------------------------------------------------------ session 4
def weighted_objective(theta, x, y, alpha, beta):
    """Mean weighted BCE written out from its formula (the oracle, independent of the figure)."""
    p = 1.0 / (1.0 + np.exp(-(theta[0] * x + theta[1])))
    return float(np.mean(-(alpha * y * np.log(p) + beta * (1 - y) * np.log(1 - p))))


@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (4.0, 1.0), (1.0, 3.0)])
def test_class_weight_threshold_fits_the_weighted_optimum(alpha, beta):
    live = design.class_weight_threshold()
    values = live.update(alpha=alpha, beta=beta)
    x, y = design.imbalanced_data()
    best = minimize(weighted_objective, np.zeros(2), args=(x, y, alpha, beta), method="BFGS", options={"gtol": 1e-10})
    assert values["w"] == pytest.approx(best.x[0], abs=1e-4)
    assert values["b"] == pytest.approx(best.x[1], abs=1e-4)
    threshold = -best.x[1] / best.x[0]
    assert values["threshold"] == pytest.approx(threshold, abs=1e-4)
    assert values["eta_threshold"] == pytest.approx(beta / (alpha + beta))

    ax = live.fig.axes[0]
    curve, threshold_line = ax.lines[2], ax.lines[3]
    assert threshold_line.get_xdata()[0] == pytest.approx(threshold, abs=1e-4)
    grid = np.asarray(curve.get_xdata())
    np.testing.assert_allclose(curve.get_ydata(), 1 / (1 + np.exp(-(best.x[0] * grid + best.x[1]))), atol=1e-5)

    flagged = x > values["threshold"]
    tp = np.sum(flagged & (y == 1))
    assert values["precision"] == pytest.approx(tp / flagged.sum())
    assert values["recall"] == pytest.approx(tp / np.sum(y == 1))


def test_raising_alpha_lowers_the_threshold_and_raises_recall():
    live = design.class_weight_threshold()
    runs = [dict(live.update(alpha=a, beta=1.0)) for a in (1.0, 2.0, 5.0, 9.0)]
    thresholds = [r["threshold"] for r in runs]
    recalls = [r["recall"] for r in runs]
    assert thresholds == sorted(thresholds, reverse=True)
    assert recalls == sorted(recalls) and recalls[-1] > recalls[0]
    # raising beta instead moves it the other way
    assert live.update(alpha=1.0, beta=5.0)["threshold"] > thresholds[0]


def test_class_weight_threshold_no_artist_growth_and_bad_weights():
    live = design.class_weight_threshold()
    before = artist_counts(live.fig)
    for a in (0.5, 2.0, 7.5):
        live.update(alpha=a, beta=10.0 - a)
    assert artist_counts(live.fig) == before
    with pytest.raises(ValueError, match="alpha and beta must be > 0"):
        design.fit_weighted_logistic(np.zeros(3), np.array([0.0, 1.0, 1.0]), alpha=0.0)


@pytest.mark.parametrize("eps", [0.05, 0.2, 0.5])
def test_label_smoothing_marker_sits_at_the_closed_form_optimum(eps):
    K = 3
    live = design.label_smoothing_target(K=K)
    values = live.update(eps=eps)
    target = np.array([1 - eps + eps / K] + [eps / K] * (K - 1))
    assert values["target_true"] == pytest.approx(target[0])
    assert values["optimal_gap"] == pytest.approx(np.log(1 + K * (1 - eps) / eps))
    entropy = -np.sum(target * np.log(target))  # CE at its optimum is the entropy of the target
    assert values["min_loss"] == pytest.approx(entropy, abs=1e-10)

    ax = live.fig.axes[0]
    curve, marker = ax.lines[1], ax.lines[2]
    gaps, ce = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
    z = np.zeros((len(gaps), K))
    z[:, 0] = gaps
    expected = -(target[0] * z[:, 0] - np.log(np.exp(z).sum(axis=1)))  # other logits are 0
    np.testing.assert_allclose(ce, expected, rtol=1e-10)
    step = gaps[1] - gaps[0]
    assert abs(gaps[np.argmin(ce)] - values["optimal_gap"]) <= step
    assert marker.get_ydata()[0] == pytest.approx(entropy, abs=1e-10)


def test_label_smoothing_rejects_bad_eps():
    with pytest.raises(ValueError, match="eps must lie in"):
        design.smoothed_target(0, 3, 1.0)


# ------------------------------------------------------------------------------ session 5
def explicit_minibatch_path(X, y, theta0, lr, steps, m, seed):
    """Mini-batch GD on (1/2)(x.theta - y)^2 written out: fresh permutation each epoch."""
    n = len(y)
    rng = np.random.default_rng(seed)
    theta = np.array(theta0, dtype=float)
    path = [theta.copy()]
    while len(path) <= steps:
        order = rng.permutation(n)
        for start in range(0, n, m):
            idx = order[start : start + m]
            theta = theta - lr * X[idx].T @ (X[idx] @ theta - y[idx]) / len(idx)
            path.append(theta.copy())
    return np.array(path[: steps + 1])


def test_descent_trajectories_match_explicit_loops():
    X, y = optim.line_data()
    full = optim.descent_trajectory(X, y, optim.START, 0.1, 30, None)
    theta = np.array(optim.START)
    for k in range(1, 31):
        theta = theta - 0.1 * X.T @ (X @ theta - y) / len(y)
        np.testing.assert_allclose(full[k], theta, rtol=1e-12)
    for m in (8, 1):
        got = optim.descent_trajectory(X, y, optim.START, 0.1, 70, m, seed=0)
        np.testing.assert_allclose(got, explicit_minibatch_path(X, y, optim.START, 0.1, 70, m, 0), rtol=1e-12)
    with pytest.raises(ValueError, match="batch_size"):
        optim.descent_trajectory(X, y, optim.START, 0.1, 5, 0)


@pytest.mark.parametrize("step,lr", [(0, 0.1), (7, 0.1), (40, 0.25)])
def test_descent_paths_show_the_first_k_updates(step, lr):
    live = optim.descent_paths()
    values = live.update(step=step, lr=lr)
    X, y = optim.line_data()
    ax = live.fig.axes[0]
    risk = lambda th: float(np.mean(0.5 * (X @ th - y) ** 2))
    for i, (name, (_, size)) in enumerate(optim.PATHS.items()):
        line, head = ax.lines[1 + 2 * i], ax.lines[2 + 2 * i]
        m = len(y) if size is None else size
        expected = explicit_minibatch_path(X, y, optim.START, lr, step, m, 0)
        assert len(line.get_xdata()) == step + 1
        np.testing.assert_allclose(line.get_xdata(), expected[:, 0], rtol=1e-12)
        np.testing.assert_allclose(line.get_ydata(), expected[:, 1], rtol=1e-12)
        assert head.get_xdata()[0] == pytest.approx(expected[-1, 0])
        assert values[f"risk_{name}"] == pytest.approx(risk(expected[-1]))
    slope, intercept = np.polyfit(X[:, 0], y, 1)
    assert values["risk_min"] == pytest.approx(risk(np.array([slope, intercept])))
    assert values["risk_start"] == pytest.approx(risk(np.array(optim.START)))


def test_descent_paths_full_batch_risk_decreases_and_no_artist_growth():
    live = optim.descent_paths()
    before = artist_counts(live.fig)
    risks = [live.update(step=k)["risk_full_batch"] for k in range(0, 81, 8)]
    assert all(a > b for a, b in zip(risks, risks[1:]))
    live.update(lr=0.4)
    assert artist_counts(live.fig) == before

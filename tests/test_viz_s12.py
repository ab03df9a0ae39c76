"""The interactive figures of sessions 1 and 2 (lossedu.viz.regression, .classification, ._common).

Oracles are independent of the figure code: the seed text's hand-computed numbers, closed-form
formulas written out here, SciPy (softmax, expit, linear programming, minimisation) and finite
differences.
"""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import optimize, special

from lossedu.viz import _common
from lossedu.viz.classification import bce_curve, softmax_explorer
from lossedu.viz.regression import (
    fit_line_huber,
    fit_line_mae,
    fit_line_mse,
    outlier_data,
    outlier_fit,
    risk_curve,
)

FIGURES = {
    "outlier_fit": (outlier_fit, [{"outlier_y": 25.0}, {"delta": 0.3}, {"outlier_y": -8.0}]),
    "risk_curve": (risk_curve, [{"w": 2.0}, {"loss": "mae"}, {"w": 0.3, "loss": "mse"}]),
    "softmax_explorer": (softmax_explorer, [{"z1": -1.0}, {"true_class": 3}, {"z3": 4.0}]),
    "bce_curve": (bce_curve, [{"z": 3.0}, {"y": 0}, {"z": -5.0, "y": 1}]),
}


def _artist_census(fig):
    """Counts and identities of everything drawn, to prove updates move artists, not add them."""
    census = []
    for ax in fig.axes:
        census.append((
            tuple(id(a) for a in ax.lines),
            tuple(id(a) for a in ax.patches),
            tuple(id(a) for a in ax.collections),
            tuple(id(a) for a in ax.texts),
        ))
    return len(fig.axes), census


def _ce(z, c):
    """Cross-entropy −log softmax(z)_c via SciPy."""
    return -math.log(special.softmax(np.asarray(z, float))[c])


# ---------------------------------------------------------------- the in-place update pattern
@pytest.mark.parametrize("name", sorted(FIGURES))
def test_updates_move_artists_and_never_add_figures(name):
    make, updates = FIGURES[name]
    figs_before = plt.get_fignums()
    live = make()
    assert plt.get_fignums() == figs_before, "the figure must be closed in pyplot"
    census = _artist_census(live.fig)
    children = len(live.widget.children)
    for values in updates * 3:
        live.update(**values)
        assert _artist_census(live.fig) == census
    assert plt.get_fignums() == figs_before
    assert len(live.widget.children) == children
    assert live.n_updates == 1 + 3 * len(updates)
    assert math.isfinite(live.last_update_ms) and live.last_update_ms > 0


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_moving_a_control_redraws_once(name):
    make, updates = FIGURES[name]
    live = make()
    before = dict(live.values)
    control, value = next(iter(updates[0].items()))
    live.controls[control].value = value  # what a learner's slider does
    assert live.n_updates == 2
    assert live.values != before
    live.update(**updates[-1])  # several controls at once: still one redraw
    assert live.n_updates == 3


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_readout_html_shows_every_value(name):
    make, updates = FIGURES[name]
    live = make()
    live.update(**updates[0])
    assert "lossedu-readout" in live.readout._dom_classes
    for key, value in live.values.items():
        assert f'data-key="{key}"' in live.readout.value
        assert f"<b>{value:.4f}</b>" in live.readout.value
    assert live.readout_text().splitlines()[0] == f"{next(iter(live.values))} = " + \
        f"{next(iter(live.values.values())):.4f}"


def test_unknown_control_is_refused_with_the_names():
    live = risk_curve()
    with pytest.raises(ValueError, match=r"unknown control\(s\) \['W'\].*\['loss', 'w'\]"):
        live.update(W=1.0)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="loss must be 'mse' or 'mae'"):
        risk_curve(loss="hinge")
    with pytest.raises(ValueError, match="true_class must be 1, 2 or 3"):
        softmax_explorer(true_class=0)
    with pytest.raises(ValueError, match="z must have 3 logits"):
        softmax_explorer(z=(1.0, 2.0))
    with pytest.raises(ValueError, match="y must be 0 or 1"):
        bce_curve(y=-1)
    with pytest.raises(ValueError, match="slider value must lie in"):
        _common.slider(5.0, 0.0, 1.0, 0.1, "a")
    with pytest.raises(ValueError, match="delta must be positive"):
        fit_line_huber([0, 1], [0, 1], delta=0.0)


def test_format_value():
    assert _common.format_value(0.123456) == "0.1235"
    assert _common.format_value(3) == "3"
    assert _common.format_value(float("nan")) == "nan"
    assert _common.format_value(float("-inf")) == "-inf"
    assert _common.format_value("mse") == "mse"


def test_palette_is_okabe_ito():
    assert _common.PALETTE["blue"] == "#0072B2" and _common.PALETTE["vermillion"] == "#D55E00"
    assert len(set(_common.COLORS)) == len(_common.COLORS)


# ---------------------------------------------------------------- session 1: risk curve
def test_risk_curve_reproduces_the_two_point_example():
    live = risk_curve()  # data (1, 2), (2, 3), w = 1, MSE with the 1/2
    assert live.values["risk"] == pytest.approx(0.5, abs=1e-12)
    assert live.values["grad"] == pytest.approx(-1.5, abs=1e-12)
    live.update(w=2.0)  # by hand: R = ½·½(0² + 1²) = 0.25, dR/dw = ½(0·1 + 1·2) = 1
    assert live.values["risk"] == pytest.approx(0.25, abs=1e-12)
    assert live.values["grad"] == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("loss, w", [("mse", -0.4), ("mse", 2.7), ("mae", 0.8), ("mae", 3.1)])
def test_risk_curve_artists_match_the_formula(loss, w):
    x, y = np.array([1.0, 2.0]), np.array([2.0, 3.0])
    pointwise = {"mse": lambda r: 0.5 * r**2, "mae": np.abs}[loss]

    def risk(w_value):
        return float(np.mean(pointwise(w_value * x - y)))

    live = risk_curve()
    curve = live.fig.axes[1].lines[0]
    old_curve = np.array(curve.get_ydata(), copy=True)
    live.update(w=w, loss=loss)
    w_grid = np.asarray(curve.get_xdata())
    expected = np.array([risk(v) for v in w_grid])
    np.testing.assert_allclose(curve.get_ydata(), expected, rtol=1e-12)
    if loss == "mae":
        assert not np.allclose(curve.get_ydata(), old_curve)
    h = 1e-6  # w is away from the kinks of the MAE risk (at w = 1.5 and w = 2)
    numeric = (risk(w + h) - risk(w - h)) / (2 * h)
    assert live.values["risk"] == pytest.approx(risk(w), abs=1e-12)
    assert live.values["grad"] == pytest.approx(numeric, abs=1e-6)
    tangent = live.fig.axes[1].lines[1]
    tx, ty = tangent.get_data()
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(numeric, abs=1e-6)
    model_line = live.fig.axes[0].lines[0]
    mx, my = model_line.get_data()
    np.testing.assert_allclose(my, w * np.asarray(mx))


# ---------------------------------------------------------------- session 1: outliers
def _lad_line(x, y):
    """Least-absolute-deviations line by linear programming (SciPy), independent of the pairs."""
    n = len(x)
    # variables: a, b, t_1..t_n; minimise Σ t_i with -t_i <= a + b x_i - y_i <= t_i
    c = np.r_[0.0, 0.0, np.ones(n)]
    A = np.block([[np.ones((n, 1)), x[:, None], -np.eye(n)],
                  [-np.ones((n, 1)), -x[:, None], -np.eye(n)]])
    b_ub = np.r_[y, -y]
    res = optimize.linprog(c, A_ub=A, b_ub=b_ub, bounds=[(None, None)] * 2 + [(0, None)] * n)
    assert res.success
    return res.x[:2], res.fun / n


def _huber_objective(coef, x, y, delta):
    r = coef[0] + coef[1] * x - y
    a = np.abs(r)
    return np.mean(np.where(a <= delta, 0.5 * r**2, delta * a - 0.5 * delta**2))


@pytest.mark.parametrize("outlier_y, delta", [(6.0, 1.0), (25.0, 1.0), (-9.0, 0.4), (30.0, 3.0)])
def test_outlier_fit_lines_and_risks_match_independent_fits(outlier_y, delta):
    live = outlier_fit()
    ax = live.fig.axes[0]
    old = [np.array(line.get_ydata(), copy=True) for line in ax.lines]
    live.update(outlier_y=outlier_y, delta=delta)
    x_in, y_in = outlier_data()
    x, y = np.append(x_in, 9.0), np.append(y_in, outlier_y)

    ls = np.polyfit(x, y, 1)  # [b, a]
    lad, lad_risk = _lad_line(x, y)
    hub = optimize.minimize(_huber_objective, ls[::-1], args=(x, y, delta), method="BFGS",
                            options={"gtol": 1e-12}).x

    assert live.values["slope_mse"] == pytest.approx(ls[0], abs=1e-9)
    assert live.values["slope_mae"] == pytest.approx(lad[1], abs=1e-6)
    assert live.values["slope_huber"] == pytest.approx(hub[1], abs=1e-5)
    assert live.values["risk_mse"] == pytest.approx(np.mean(0.5 * (np.polyval(ls, x) - y) ** 2))
    assert live.values["risk_mae"] == pytest.approx(lad_risk, abs=1e-7)
    assert live.values["risk_huber"] == pytest.approx(_huber_objective(hub, x, y, delta), abs=1e-8)

    grid = np.asarray(ax.lines[0].get_xdata())
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.polyval(ls, grid), atol=1e-8)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), lad[0] + lad[1] * grid, atol=1e-5)
    np.testing.assert_allclose(ax.lines[2].get_ydata(), hub[0] + hub[1] * grid, atol=1e-4)
    np.testing.assert_allclose(ax.collections[1].get_offsets(), [[9.0, outlier_y]])
    if outlier_y != 6.0:
        assert not np.allclose(ax.lines[0].get_ydata(), old[0])


def test_mse_line_follows_the_outlier_and_mae_line_barely_moves():
    live = outlier_fit(outlier_y=5.0)
    low = dict(live.values)
    live.update(outlier_y=30.0)
    high = live.values
    assert high["slope_mse"] - low["slope_mse"] > 0.5
    assert abs(high["slope_mae"] - low["slope_mae"]) < 0.05
    assert abs(high["slope_huber"] - low["slope_huber"]) < 0.1


def test_line_fits_on_exact_data():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    y = 2.0 - 0.5 * x
    for fit in (fit_line_mse, fit_line_mae, lambda a, b: fit_line_huber(a, b, 0.5)):
        np.testing.assert_allclose(fit(x, y), [2.0, -0.5], atol=1e-10)
    with pytest.raises(ValueError, match="two distinct values"):
        fit_line_mae([1.0, 1.0], [0.0, 2.0])


# ---------------------------------------------------------------- session 2: softmax
def test_softmax_explorer_reproduces_practice_problem_2():
    live = softmax_explorer()  # z = (2, 0, −1), true class 2 (counted from 1)
    assert [round(live.values[f"p{j}"], 4) for j in (1, 2, 3)] == [0.8438, 0.1142, 0.0420]
    assert round(live.values["loss"], 3) == 2.170


@pytest.mark.parametrize("z, c", [((-1.0, 0.5, 3.0), 1), ((0.0, 0.0, 0.0), 2), ((6.0, -6.0, 1.0), 3)])
def test_softmax_explorer_bars_and_readout(z, c):
    live = softmax_explorer()
    ax_p, ax_g = live.fig.axes
    old = [bar.get_height() for bar in ax_p.patches]
    live.update(z1=z[0], z2=z[1], z3=z[2], true_class=c)
    p = special.softmax(np.asarray(z))
    onehot = np.eye(3)[c - 1]
    heights = [bar.get_height() for bar in ax_p.patches]
    np.testing.assert_allclose(heights, p, rtol=1e-12)
    np.testing.assert_allclose([bar.get_height() for bar in ax_g.patches], p - onehot, atol=1e-12)
    assert not np.allclose(heights, old)
    assert live.values["loss"] == pytest.approx(_ce(z, c - 1), rel=1e-12)
    for j in range(3):
        assert live.values[f"grad{j + 1}"] == pytest.approx(p[j] - onehot[j], abs=1e-12)
    highlighted = [bar.get_facecolor() for bar in ax_p.patches]
    assert highlighted[c - 1] != highlighted[c % 3]  # the true class stands out
    # the gradient readout is the finite difference of the loss
    for j in range(3):
        e = np.eye(3)[j] * 1e-6
        numeric = (_ce(np.asarray(z) + e, c - 1) - _ce(np.asarray(z) - e, c - 1)) / 2e-6
        assert live.values[f"grad{j + 1}"] == pytest.approx(numeric, abs=1e-6)


# ---------------------------------------------------------------- session 2: BCE curve
def test_bce_curve_reproduces_worked_example_2():
    live = bce_curve()  # y = 1, z = −1
    assert round(live.values["p"], 4) == 0.2689
    assert round(live.values["bce"], 4) == 1.3133
    assert round(live.values["grad_bce"], 4) == -0.7311


@pytest.mark.parametrize("z, y", [(3.0, 0), (-5.0, 1), (0.0, 0), (5.5, 1)])
def test_bce_curve_artists_match_the_formula(z, y):
    live = bce_curve()
    ax_l, ax_g = live.fig.axes
    old = np.array(ax_l.lines[0].get_ydata(), copy=True)
    live.update(z=z, y=y)
    grid = np.asarray(ax_l.lines[0].get_xdata())
    # −log σ(z) = log(1 + e^{−z}); −log(1 − σ(z)) = log(1 + e^{z})
    expected = np.logaddexp(0.0, -grid) if y == 1 else np.logaddexp(0.0, grid)
    np.testing.assert_allclose(ax_l.lines[0].get_ydata(), expected, rtol=1e-12)
    p_grid = special.expit(grid)
    np.testing.assert_allclose(ax_l.lines[1].get_ydata(), 0.5 * (p_grid - y) ** 2, atol=1e-15)
    np.testing.assert_allclose(ax_g.lines[0].get_ydata(), p_grid - y, atol=1e-15)
    np.testing.assert_allclose(ax_g.lines[1].get_ydata(),
                               (p_grid - y) * p_grid * (1 - p_grid), atol=1e-15)
    if y == 0:
        assert not np.allclose(ax_l.lines[0].get_ydata(), old)
    p = special.expit(z)
    bce = -math.log(p) if y == 1 else -math.log(1 - p)
    assert live.values["p"] == pytest.approx(p, rel=1e-12)
    assert live.values["bce"] == pytest.approx(bce, rel=1e-12)
    h = 1e-6
    f = (lambda t: np.logaddexp(0, -t)) if y == 1 else (lambda t: np.logaddexp(0, t))
    assert live.values["grad_bce"] == pytest.approx((f(z + h) - f(z - h)) / (2 * h), abs=1e-6)
    sq = lambda t: 0.5 * (special.expit(t) - y) ** 2  # noqa: E731
    assert live.values["grad_sq_prob"] == pytest.approx((sq(z + h) - sq(z - h)) / (2 * h), abs=1e-7)
    assert ax_l.lines[3].get_data()[1][0] == pytest.approx(bce)  # the marker sits on the curve


def test_squared_error_on_probabilities_goes_flat_when_confidently_wrong():
    live = bce_curve(z=-6.0, y=1)
    assert abs(live.values["grad_sq_prob"]) < 0.01 < 0.99 < abs(live.values["grad_bce"])


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_output_area_holds_one_fresh_image(name):
    make, updates = FIGURES[name]
    live = make()

    def shown_png(outputs):
        assert len(outputs) == 1 and outputs[0]["output_type"] == "display_data"
        html = outputs[0]["data"]["text/html"]  # an <img> with alt text, the PNG inline
        assert "alt=" in html
        return html.split('src="data:image/png;base64,')[1].split('"')[0]

    png = shown_png(live.output.outputs)
    assert png.startswith("iVBORw0KGgo")  # base64 of the PNG signature
    live.update(**updates[0])
    assert shown_png(live.output.outputs) != png

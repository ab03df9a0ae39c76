"""lossedu.losses against independent oracles: hand-computed seed numbers, scipy.special,
central differences, and the identities listed in the module docstring."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special as sp
import scipy.stats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lossedu import losses as L

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
H = 1e-6  # central-difference step


def reals(lo: float, hi: float) -> st.SearchStrategy:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def vectors(lo: float, hi: float, n: int) -> st.SearchStrategy:
    return hnp.arrays(np.float64, n, elements=reals(lo, hi))


def central_diff(loss, y, pred, **params):
    """Elementwise (loss(pred + h) - loss(pred - h)) / 2h: each pred_i only moves loss_i."""
    return (loss(y, pred + H, **params) - loss(y, pred - H, **params)) / (2 * H)


def central_diff_columns(loss, y, z, **params):
    """For losses over class scores z (n, K) -> (n,): nudge one column at a time."""
    out = np.zeros_like(z)
    for j in range(z.shape[1]):
        step = np.zeros_like(z)
        step[:, j] = H
        out[:, j] = (loss(y, z + step, **params) - loss(y, z - step, **params)) / (2 * H)
    return out


def assert_grad_close(analytic, numeric, keep=None):
    analytic, numeric = np.broadcast_arrays(analytic, numeric)
    if keep is not None:
        analytic, numeric = analytic[keep], numeric[keep]
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ----------------------------------------------------------------------------- seed numbers
def test_bce_worked_example():
    assert round(float(L.bce_with_logits(1, -1.0)), 4) == 1.3133
    assert round(float(L.bce_with_logits_grad(1, -1.0)), 4) == -0.7311
    assert round(float(L.sigmoid(-1.0)), 4) == 0.2689
    assert round(float(L.bce(1, L.sigmoid(-1.0))), 3) == 1.313


def test_softmax_practice_example():
    z = np.array([2.0, 0.0, -1.0])
    np.testing.assert_array_equal(np.round(L.softmax(z), 4), [0.8438, 0.1142, 0.0420])
    # true class c = 2 in 1-indexed terms, index 1 here
    assert round(float(L.softmax_cross_entropy(1, z)), 3) == 2.170
    assert round(float(L.softmax_cross_entropy([1], z[None, :])[0]), 3) == 2.170


def test_hinge_worked_example_and_practice():
    y, s = np.array([1, 1, -1]), np.array([2.0, 0.2, 0.3])
    np.testing.assert_allclose(L.hinge(y, s), [0.0, 0.8, 1.3], atol=1e-15)
    np.testing.assert_array_equal(L.hinge_grad(y, s), [0.0, -1.0, 1.0])
    y, s = np.array([1, -1, -1]), np.array([1.2, -0.4, 2.0])
    np.testing.assert_allclose(L.hinge(y, s), [0.0, 0.6, 3.0], atol=1e-15)
    np.testing.assert_array_equal(L.hinge_grad(y, s) != 0, [False, True, True])


def test_regression_hand_values():
    assert L.mse(2.0, 1.0) == 0.5 and L.mse_grad(2.0, 1.0) == -1.0
    np.testing.assert_array_equal(L.mae([0, 0, 0], [-2.0, 0.0, 3.0]), [2.0, 0.0, 3.0])
    np.testing.assert_array_equal(L.mae_grad([0, 0, 0], [-2.0, 0.0, 3.0]), [-1.0, 0.0, 1.0])
    r = np.array([-3.0, -1.0, 0.5, 3.0])
    np.testing.assert_allclose(L.huber(0.0, r), [2.5, 0.5, 0.125, 2.5])
    np.testing.assert_array_equal(L.huber_grad(0.0, r), [-1.0, -1.0, 0.5, 1.0])
    assert L.huber(0.0, 3.0, delta=2.0) == 4.0 and L.huber_grad(0.0, 3.0, delta=2.0) == 2.0


def test_zero_one_counts_boundary_as_error():
    y, s = np.array([1, -1, 1, -1, 1]), np.array([0.5, 0.5, 0.0, 0.0, -2.0])
    np.testing.assert_array_equal(L.zero_one(y, s), [0, 1, 1, 1, 1])
    grad = L.zero_one_grad(y, s)
    assert grad.shape == (5,) and not grad.any()


def test_hinge_kink_convention():
    np.testing.assert_array_equal(L.hinge_grad([1, -1], [1.0, -1.0]), [0.0, 0.0])
    np.testing.assert_array_equal(L.hinge([1, -1], [1.0, -1.0]), [0.0, 0.0])


def test_multiclass_hinge_hand_values():
    y = np.array([0, 1, 0, 0])
    s = np.array([[1.0, 2.0, 2.0], [0.0, 0.0, 0.0], [3.0, 1.0, 2.0], [5.0, 1.0, 2.0]])
    np.testing.assert_array_equal(L.multiclass_hinge(y, s), [2.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(L.multiclass_hinge_grad(y, s), [
        [-1.0, 1.0, 0.0],   # tie between classes 1 and 2: the lower index takes the +1
        [1.0, -1.0, 0.0],
        [0.0, 0.0, 0.0],    # exactly at the kink 1 + 2 - 3 = 0: gradient 0
        [0.0, 0.0, 0.0],
    ])
    assert L.multiclass_hinge(2, [0.0, 0.5, 0.0]) == 1.5
    np.testing.assert_array_equal(L.multiclass_hinge_grad(2, [0.0, 0.5, 0.0]), [0.0, 1.0, -1.0])


def test_bce_edges_are_infinite_without_warnings(no_warnings):
    np.testing.assert_array_equal(L.bce([1, 0, 1, 0], [0.0, 1.0, 1.0, 0.0]), [np.inf, np.inf, 0.0, 0.0])
    np.testing.assert_array_equal(L.bce_grad([1, 0, 1, 0], [0.0, 1.0, 1.0, 0.0]), [-np.inf, np.inf, -1.0, 1.0])
    assert L.bce(0.3, 0.0) == np.inf and L.bce(0.3, 1.0) == np.inf
    # why logits: sigmoid(40) rounds to 1.0, so the probability form is infinite, the logit form exact
    assert L.bce(0, L.sigmoid(40.0)) == np.inf
    assert L.bce_with_logits(0, 40.0) == pytest.approx(40.0, rel=1e-15)


# ----------------------------------------------------------------------------- stability
@pytest.mark.parametrize("big", [1e3, 1e4, 1e6])
def test_extreme_logits_are_finite_and_exact(big, no_warnings):
    assert L.bce_with_logits(1, -big) == big
    assert L.bce_with_logits(0, big) == big
    assert L.bce_with_logits(1, big) == 0.0 and L.bce_with_logits(0, -big) == 0.0
    np.testing.assert_array_equal(L.bce_with_logits_grad([1, 0, 1], [-big, big, big]), [-1.0, 1.0, 0.0])
    assert L.weighted_bce_with_logits(1, -big, alpha=3.0, beta=0.5) == 3.0 * big
    assert L.weighted_bce_with_logits(0, big, alpha=3.0, beta=0.5) == 0.5 * big
    np.testing.assert_array_equal(L.sigmoid([-big, 0.0, big]), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(L.log_sigmoid([-big, big]), [-big, 0.0])
    assert L.logsumexp([big, big]) == pytest.approx(big + np.log(2), rel=1e-15)
    assert L.logsumexp([-big, -big]) == pytest.approx(-big + np.log(2), rel=1e-15)
    np.testing.assert_array_equal(L.softmax([big, -big]), [1.0, 0.0])
    np.testing.assert_array_equal(L.log_softmax([big, -big]), [0.0, -2 * big])
    np.testing.assert_array_equal(L.softmax_cross_entropy([0, 1], [[big, -big], [big, -big]]), [0.0, 2 * big])
    np.testing.assert_array_equal(L.softmax_cross_entropy_grad(1, [big, -big]), [1.0, -1.0])
    assert L.multiclass_hinge(0, [big, -big, 0.0]) == 0.0


def test_large_random_arrays_raise_no_warnings(no_warnings):
    rng = np.random.default_rng(0)
    z = rng.normal(scale=1e4, size=(1000, 5))
    y01 = rng.integers(0, 2, size=z.shape).astype(float)
    for fn in (L.bce_with_logits, L.bce_with_logits_grad, L.weighted_bce_with_logits,
               L.weighted_bce_with_logits_grad):
        assert np.isfinite(fn(y01, z)).all()
    for fn in (L.sigmoid, L.log_sigmoid, L.logsumexp, L.softmax, L.log_softmax):
        assert np.isfinite(fn(z)).all()
    labels = rng.integers(0, 5, size=1000)
    for fn in (L.softmax_cross_entropy, L.softmax_cross_entropy_grad):
        assert np.isfinite(fn(labels, z, class_weight=np.arange(1.0, 6.0), label_smoothing=0.1)).all()


# ----------------------------------------------------------------------------- scipy oracles
@given(vectors(-800, 800, 30))
@SETTINGS
def test_helpers_match_scipy(z):
    np.testing.assert_allclose(L.sigmoid(z), sp.expit(z), rtol=1e-12, atol=1e-300)  # scipy flushes subnormals
    np.testing.assert_allclose(L.log_sigmoid(z), sp.log_expit(z), rtol=1e-12, atol=0)
    zz = z.reshape(5, 6)
    np.testing.assert_allclose(L.logsumexp(zz), sp.logsumexp(zz, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(L.logsumexp(zz, axis=0), sp.logsumexp(zz, axis=0), rtol=1e-12)
    np.testing.assert_allclose(L.softmax(zz), sp.softmax(zz, axis=-1), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(L.softmax(zz, axis=0), sp.softmax(zz, axis=0), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(L.log_softmax(zz), sp.log_softmax(zz, axis=-1), rtol=1e-12, atol=1e-12)


@given(vectors(-800, 800, 20), st.lists(st.sampled_from([0.0, 1.0]), min_size=20, max_size=20))
@SETTINGS
def test_logit_losses_match_scipy(z, y):
    y = np.array(y)
    ref = -(y * sp.log_expit(z) + (1 - y) * sp.log_expit(-z))
    np.testing.assert_allclose(L.bce_with_logits(y, z), ref, rtol=1e-12, atol=1e-300)
    ref_w = -(2.5 * y * sp.log_expit(z) + 0.3 * (1 - y) * sp.log_expit(-z))
    np.testing.assert_allclose(L.weighted_bce_with_logits(y, z, alpha=2.5, beta=0.3), ref_w,
                               rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(L.bce_with_logits_grad(y, z), sp.expit(z) - y, rtol=1e-12, atol=1e-300)


@given(vectors(0, 1, 25), vectors(0, 1, 25))
@SETTINGS
def test_bce_matches_scipy_xlogy(y, p):
    ref = -(sp.xlogy(y, p) + sp.xlogy(1 - y, 1 - p))
    with np.errstate(divide="ignore"):  # scipy's own xlogy(y > 0, 0) = -inf
        np.testing.assert_allclose(L.bce(y, p), ref, rtol=1e-12, atol=1e-300)


@given(hnp.arrays(np.float64, (6, 4), elements=reals(-700, 700)),
       st.lists(st.integers(0, 3), min_size=6, max_size=6))
@SETTINGS
def test_softmax_cross_entropy_matches_scipy_log_softmax(z, labels):
    labels = np.array(labels)
    ref = -sp.log_softmax(z, axis=1)[np.arange(6), labels]
    np.testing.assert_allclose(L.softmax_cross_entropy(labels, z), ref, rtol=1e-12, atol=1e-12)
    w = np.array([0.5, 1.0, 2.0, 4.0])
    np.testing.assert_allclose(L.softmax_cross_entropy(labels, z, class_weight=w), w[labels] * ref,
                               rtol=1e-12, atol=1e-12)
    eps = 0.2  # smoothing: (1 - eps) CE(true class) + eps/K sum_j -log p_j
    smooth_ref = (1 - eps) * ref + eps / 4 * -sp.log_softmax(z, axis=1).sum(axis=1)
    np.testing.assert_allclose(L.softmax_cross_entropy(labels, z, label_smoothing=eps), smooth_ref,
                               rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(L.softmax_cross_entropy_grad(labels, z),
                               sp.softmax(z, axis=1) - np.eye(4)[labels], atol=1e-15)


# ----------------------------------------------------------------------------- identities
@given(vectors(-10, 10, 20), vectors(0, 1, 20))
@SETTINGS
def test_bce_with_logits_equals_bce_of_sigmoid(z, y):
    np.testing.assert_allclose(L.bce_with_logits(y, z), L.bce(y, L.sigmoid(z)), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(L.weighted_bce_with_logits(y, z, alpha=1.0, beta=1.0),
                               L.bce_with_logits(y, z), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(L.weighted_bce_with_logits_grad(y, z), L.bce_with_logits_grad(y, z),
                               rtol=1e-12, atol=1e-15)


@given(hnp.arrays(np.float64, (8, 2), elements=reals(-50, 50)),
       st.lists(st.integers(0, 1), min_size=8, max_size=8))
@SETTINGS
def test_two_class_softmax_is_logistic(z, labels):
    c = np.array(labels)
    diff = z[:, 1] - z[:, 0]
    np.testing.assert_allclose(L.softmax_cross_entropy(c, z), L.bce_with_logits(c, diff),
                               rtol=1e-10, atol=1e-12)
    g = L.softmax_cross_entropy_grad(c, z)
    np.testing.assert_allclose(g[:, 1], L.bce_with_logits_grad(c, diff), atol=1e-12)
    np.testing.assert_allclose(g[:, 0], -g[:, 1], atol=1e-14)  # p0 - 1 cancels when p0 ~ 1


@given(vectors(-5, 5, 30), st.lists(st.sampled_from([-1.0, 1.0]), min_size=30, max_size=30))
@SETTINGS
def test_hinge_upper_bounds_zero_one(s, y):
    assert (L.hinge(y, s) >= L.zero_one(y, s)).all()


@given(vectors(-10, 10, 20), vectors(-10, 10, 20), reals(0.1, 5))
@SETTINGS
def test_huber_between_mse_and_mae(y, pred, delta):
    r = np.abs(pred - y)
    expect = np.where(r <= delta, L.mse(y, pred), delta * L.mae(y, pred) - delta**2 / 2)
    np.testing.assert_allclose(L.huber(y, pred, delta=delta), expect, rtol=1e-12, atol=1e-12)


def test_mse_is_gaussian_nll_up_to_a_constant():
    rng = np.random.default_rng(1)
    y, yhat = rng.normal(size=50), rng.normal(size=50)
    nll = -scipy.stats.norm.logpdf(y, loc=yhat, scale=1.0)
    np.testing.assert_allclose(L.mse(y, yhat), nll - 0.5 * np.log(2 * np.pi), rtol=1e-12, atol=1e-14)


def test_probability_targets_and_single_examples():
    z = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]])
    labels = np.array([2, 1])
    onehot = np.eye(3)[labels]
    np.testing.assert_allclose(L.softmax_cross_entropy(onehot, z), L.softmax_cross_entropy(labels, z))
    np.testing.assert_allclose(L.softmax_cross_entropy_grad(onehot, z), L.softmax_cross_entropy_grad(labels, z))
    soft = np.array([[0.2, 0.3, 0.5], [0.0, 0.9, 0.1]])
    np.testing.assert_allclose(L.softmax_cross_entropy(soft, z),
                               -(soft * sp.log_softmax(z, axis=1)).sum(axis=1), rtol=1e-12)
    assert L.softmax_cross_entropy(soft[0], z[0]) == pytest.approx(L.softmax_cross_entropy(soft, z)[0])
    assert L.softmax_cross_entropy_grad(2, z[0]).shape == (3,)
    assert L.multiclass_hinge_grad(labels, z).shape == (2, 3)


def test_broadcasting_and_scalars():
    assert L.mse(np.zeros((3, 1)), np.arange(4.0)).shape == (3, 4)
    assert L.hinge_grad(1, np.array([0.0, 2.0])).shape == (2,)
    assert float(L.mae(1, 4)) == 3.0
    assert L.bce_with_logits([1, 0], 0.0).shape == (2,)


# ----------------------------------------------------------------------------- gradients
KINK = 1e-4


@given(vectors(-10, 10, 20), vectors(-10, 10, 20), reals(0.1, 5))
@SETTINGS
def test_regression_gradients(y, pred, delta):
    assert_grad_close(L.mse_grad(y, pred), central_diff(L.mse, y, pred))
    r = pred - y
    assert_grad_close(L.mae_grad(y, pred), central_diff(L.mae, y, pred), keep=np.abs(r) > KINK)
    assert_grad_close(L.huber_grad(y, pred, delta=delta), central_diff(L.huber, y, pred, delta=delta),
                      keep=np.abs(np.abs(r) - delta) > KINK)


@given(vectors(-5, 5, 20), st.lists(st.sampled_from([-1.0, 1.0]), min_size=20, max_size=20))
@SETTINGS
def test_margin_gradients(s, y):
    y = np.array(y)
    assert_grad_close(L.hinge_grad(y, s), central_diff(L.hinge, y, s), keep=np.abs(y * s - 1) > KINK)
    assert_grad_close(L.zero_one_grad(y, s), central_diff(L.zero_one, y, s), keep=np.abs(s) > KINK)


@given(hnp.arrays(np.float64, (6, 4), elements=reals(-5, 5)),
       st.lists(st.integers(0, 3), min_size=6, max_size=6))
@SETTINGS
def test_multiclass_hinge_gradient(s, labels):
    y = np.array(labels)
    rows = np.arange(6)
    others = s.copy()
    others[rows, y] = -np.inf
    top2 = np.sort(others, axis=1)[:, -2:]
    keep = (np.abs(1 + top2[:, 1] - s[rows, y]) > KINK) & (top2[:, 1] - top2[:, 0] > KINK)
    assert_grad_close(L.multiclass_hinge_grad(y, s), central_diff_columns(L.multiclass_hinge, y, s),
                      keep=keep)


@given(vectors(-20, 20, 20), vectors(0, 1, 20), reals(0.1, 10), reals(0.1, 10))
@SETTINGS
def test_logit_gradients(z, y, alpha, beta):
    assert_grad_close(L.bce_with_logits_grad(y, z), central_diff(L.bce_with_logits, y, z))
    assert_grad_close(L.weighted_bce_with_logits_grad(y, z, alpha=alpha, beta=beta),
                      central_diff(L.weighted_bce_with_logits, y, z, alpha=alpha, beta=beta))


@given(vectors(0.05, 0.95, 20), vectors(0, 1, 20))
@SETTINGS
def test_bce_probability_gradient(p, y):
    assert_grad_close(L.bce_grad(y, p), central_diff(L.bce, y, p))


@given(hnp.arrays(np.float64, (5, 3), elements=reals(-10, 10)),
       st.lists(st.integers(0, 2), min_size=5, max_size=5),
       hnp.arrays(np.float64, 3, elements=reals(0, 4)),
       reals(0, 0.9), st.booleans())
@SETTINGS
def test_softmax_cross_entropy_gradient(z, labels, weights, eps, soft_targets):
    y = np.array(labels)
    if soft_targets:
        y = L.softmax(np.arange(15.0).reshape(5, 3) % 4)  # valid probability rows
    params = dict(class_weight=weights, label_smoothing=eps)
    assert_grad_close(L.softmax_cross_entropy_grad(y, z, **params),
                      central_diff_columns(L.softmax_cross_entropy, y, z, **params))


# ----------------------------------------------------------------------------- validation
Z3 = np.zeros((2, 3))
INVALID = [
    (lambda: L.hinge([1, 1, -1, 0.5], [0, 0, 0, 0]), r"^y must contain only labels -1 or \+1 for hinge; got 0.5 at index 3$"),
    (lambda: L.hinge_grad([[1, 0]], [[0, 0]]), r"y must contain only labels -1 or \+1 for hinge_grad; got 0 at index \(0, 1\)"),
    (lambda: L.zero_one(0, 1.0), r"y must contain only labels -1 or \+1 for zero_one"),
    (lambda: L.zero_one_grad(2, 1.0), r"y must contain only labels -1 or \+1"),
    (lambda: L.multiclass_hinge([0, 3], Z3), r"y must contain integer class labels 0..2 for multiclass_hinge; got 3 at index 1"),
    (lambda: L.multiclass_hinge([0, 1.5], Z3), r"y must contain integer class labels 0..2"),
    (lambda: L.multiclass_hinge_grad([0, 1, 2], Z3), r"y must be integer labels of shape \(2,\)"),
    (lambda: L.multiclass_hinge([0], [[1.0]]), r"s must have shape \(n, K\) or \(K,\) with K >= 2"),
    (lambda: L.bce([0.5, 2.0], [0.5, 0.5]), r"y must lie in \[0, 1\] for bce; got 2 at index 1"),
    (lambda: L.bce(1, 1.5), r"p must lie in \[0, 1\] for bce; got 1.5"),
    (lambda: L.bce_grad(1, -0.1), r"p must lie in \[0, 1\] for bce_grad"),
    (lambda: L.bce_with_logits(-1, 0.0), r"y must lie in \[0, 1\] for bce_with_logits"),
    (lambda: L.bce_with_logits_grad(2, 0.0), r"y must lie in \[0, 1\]"),
    (lambda: L.weighted_bce_with_logits(1, 0.0, alpha=0.0), r"alpha must be > 0 for weighted_bce_with_logits; got 0"),
    (lambda: L.weighted_bce_with_logits_grad(1, 0.0, beta=-1.0), r"beta must be > 0"),
    (lambda: L.huber(0, 1, delta=0), r"delta must be > 0 for huber; got 0"),
    (lambda: L.huber_grad(0, 1, delta=-2.0), r"delta must be > 0 for huber_grad"),
    (lambda: L.mse([1, 2, 3], [1, 2]), r"y and pred must have broadcastable shapes for mse; got \(3,\) and \(2,\)"),
    (lambda: L.hinge([1, 1, 1], [1, 2]), r"y and s must have broadcastable shapes"),
    (lambda: L.bce_with_logits([1, 0], [0.0, 0.0, 0.0]), r"y and z must have broadcastable shapes"),
    (lambda: L.mse([1.0, np.nan], [0.0, 0.0]), r"y must be finite \(no NaN or inf\) for mse; got nan at index 1"),
    (lambda: L.mae(1.0, np.inf), r"pred must be finite"),
    (lambda: L.bce_with_logits(1, np.nan), r"z must be finite"),
    (lambda: L.sigmoid([0.0, np.nan]), r"z must be finite .* for sigmoid"),
    (lambda: L.logsumexp([np.nan, 1.0]), r"z must be finite .* for logsumexp"),
    (lambda: L.logsumexp(1.0), r"z must have at least one dimension for logsumexp"),
    (lambda: L.softmax(1.0), r"z must have at least one dimension for softmax"),
    (lambda: L.softmax_cross_entropy([0, 1], [[0.0, np.nan], [0.0, 0.0]]), r"z must be finite"),
    (lambda: L.mse("abc", 1.0), r"y must be a real number or an array of real numbers for mse"),
    (lambda: L.mse(1.0, [1.0, [2.0, 3.0]]), r"pred must be a real number or an array"),
    (lambda: L.mse(1.0, 1j), r"pred must be a real number"),
    (lambda: L.softmax_cross_entropy([0, 3], Z3), r"y must contain integer class labels 0..2 for softmax_cross_entropy"),
    (lambda: L.softmax_cross_entropy([0, 1, 2], Z3), r"y must be labels \(2,\) or probabilities \(2, 3\)"),
    (lambda: L.softmax_cross_entropy([[0.5, 0.6, 0.0]] * 2, Z3), r"y must be probability rows that sum to 1"),
    (lambda: L.softmax_cross_entropy([[1.5, -0.5, 0.0]] * 2, Z3), r"y must lie in \[0, 1\]"),
    (lambda: L.softmax_cross_entropy([0, 1], Z3, label_smoothing=1.0), r"label_smoothing must lie in \[0, 1\) for softmax_cross_entropy; got 1"),
    (lambda: L.softmax_cross_entropy_grad([0, 1], Z3, label_smoothing=-0.1), r"label_smoothing must lie in \[0, 1\)"),
    (lambda: L.softmax_cross_entropy([0, 1], Z3, class_weight=[1.0, 2.0]), r"class_weight must have shape \(3,\)"),
    (lambda: L.softmax_cross_entropy_grad([0, 1], Z3, class_weight=[1.0, -2.0, 1.0]), r"class_weight must be >= 0 .*; got -2 at index 1"),
    (lambda: L.softmax_cross_entropy(0, 1.0), r"z must have shape \(n, K\) or \(K,\)"),
    (lambda: L.softmax_cross_entropy([0, 1, 0], [1.0, 2.0]), r"y must be a label or a length-K row"),
]


@pytest.mark.parametrize("call, message", INVALID, ids=[m[:40] for _, m in INVALID])
def test_invalid_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()

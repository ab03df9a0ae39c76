"""lossedu.risk: empirical risk, regularized objectives and the lesson loops."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lossedu import losses as L
from lossedu.risk import (SCORE_LOSSES, empirical_risk, gradient_descent, minibatch_gradient,
                          minibatch_sgd, regularized_objective, regularized_objective_grad)

X2 = np.array([[1.0], [2.0]])  # the seed's two-point regression: (x, y) = (1, 2), (2, 3)
Y2 = np.array([2.0, 3.0])
W_STAR = 8 / 5  # least squares: sum(x y) / sum(x^2) = (2 + 6) / (1 + 4)


def central_diff(f, w, h=1e-6):
    out = np.zeros_like(w)
    for j in range(w.size):
        e = np.zeros_like(w)
        e[j] = h
        out[j] = (f(w + e) - f(w - e)) / (2 * h)
    return out


# ----------------------------------------------------------------------------- seed numbers
def test_two_point_regression_risk_and_gradient():
    w = np.array([1.0])
    assert empirical_risk("mse", Y2, X2 @ w) == 0.5
    assert empirical_risk(L.mse, Y2, X2 @ w) == 0.5
    assert regularized_objective(w, X2, Y2) == 0.5
    np.testing.assert_array_equal(regularized_objective_grad(w, X2, Y2), [-1.5])
    np.testing.assert_allclose(regularized_objective_grad([W_STAR], X2, Y2), [0.0], atol=1e-15)


def test_empirical_risk_weights_and_params():
    y, pred = np.array([0.0, 0.0]), np.array([1.0, 2.0])  # mse losses 0.5 and 2
    assert empirical_risk("mse", y, pred, sample_weight=[3.0, 1.0]) == pytest.approx(3.5 / 4)
    assert empirical_risk("mse", y, pred, sample_weight=[1.0, 1.0]) == empirical_risk("mse", y, pred)
    assert empirical_risk("huber", y, pred, delta=0.5) == pytest.approx((0.375 + 0.875) / 2)
    assert empirical_risk("hinge", [1, 1, -1], [2.0, 0.2, 0.3]) == pytest.approx(2.1 / 3)
    assert empirical_risk("softmax_cross_entropy", [1], [[2.0, 0.0, -1.0]]) == pytest.approx(2.1698, abs=1e-4)
    assert isinstance(empirical_risk("mae", 1.0, 3.0), float)


def test_regularizers_by_hand():
    w, X, y = np.array([1.0, -2.0]), np.zeros((3, 2)), np.zeros(3)  # data term is 0
    assert regularized_objective(w, X, y, lam=0.5) == pytest.approx(0.25 * 5)
    assert regularized_objective(w, X, y, lam=0.5, penalty="l1") == pytest.approx(1.5)
    np.testing.assert_allclose(regularized_objective_grad(w, X, y, lam=0.5), [0.5, -1.0])
    np.testing.assert_allclose(regularized_objective_grad(w, X, y, lam=0.5, penalty="l1"), [0.5, -0.5])
    # l1 subgradient convention: 0 at w_j = 0
    np.testing.assert_array_equal(regularized_objective_grad([0.0, 3.0], X, y, lam=2.0, penalty="l1"), [0.0, 2.0])


def test_unpenalized_bias_by_hand():
    # column 0 is the bias column of ones; the data term is 0 at w = 0 rows, so only the penalty shows
    w, X, y = np.array([4.0, 1.0, -2.0]), np.zeros((3, 3)), np.zeros(3)
    assert regularized_objective(w, X, y, lam=0.5, unpenalized=[0]) == pytest.approx(0.25 * 5)
    assert regularized_objective(w, X, y, lam=0.5) == pytest.approx(0.25 * 21)
    np.testing.assert_allclose(regularized_objective_grad(w, X, y, lam=0.5, unpenalized=[0]), [0.0, 0.5, -1.0])
    np.testing.assert_allclose(regularized_objective_grad(w, X, y, lam=0.5, penalty="l1", unpenalized=[0]),
                               [0.0, 0.5, -0.5])
    assert regularized_objective(w, X, y, lam=0.5, penalty="l1", unpenalized=(0, 2)) == pytest.approx(0.5)
    # an empty list or None penalises everything, as before
    assert regularized_objective(w, X, y, lam=0.5, unpenalized=[]) == regularized_objective(w, X, y, lam=0.5)


def test_svm_bias_is_not_shrunk():
    """With a huge lam the unpenalised bias still fits the class balance; a penalised one goes to 0."""
    X = np.column_stack([np.ones(4), [0.5, 1.0, 1.5, 2.0]])
    y = np.array([1.0, 1.0, 1.0, -1.0])
    grad = lambda v, **kw: regularized_objective_grad(v, X, y, loss="hinge", lam=100.0, **kw)
    free = gradient_descent(lambda v: grad(v, unpenalized=[0]), [0.0, 0.0], lr=0.002, steps=3000)[-1]
    tied = gradient_descent(grad, [0.0, 0.0], lr=0.002, steps=3000)[-1]
    assert free[0] > 0.4 and abs(tied[0]) < 0.02


@pytest.mark.parametrize("bad, message", [
    (["0"], "unpenalized must be a sequence of integer column indices"),
    ([0.5], "unpenalized must be a sequence of integer column indices"),
    ([[0]], "unpenalized must be a sequence of integer column indices"),
    ([2], r"unpenalized must hold column indices in 0\.\.1"),
])
def test_unpenalized_bad_input(bad, message):
    with pytest.raises(ValueError, match=message):
        regularized_objective_grad([1.0, 1.0], np.ones((2, 2)), [0.0, 1.0], lam=1.0, unpenalized=bad)


def test_minibatch_partition_average_needs_equal_sizes():
    rng = np.random.default_rng(3)
    X, y, w = rng.normal(size=(5, 2)), rng.normal(size=5), np.array([0.3, -0.7])
    full = regularized_objective_grad(w, X, y)
    sizes = [np.arange(0, 4), np.arange(4, 5)]  # 4 + 1 rows
    grads = [minibatch_gradient(w, X, y, b) for b in sizes]
    assert not np.allclose(np.mean(grads, axis=0), full)
    np.testing.assert_allclose(sum(len(b) / 5 * g for b, g in zip(sizes, grads)), full)


def test_hinge_linear_model_and_custom_pair():
    X = np.array([[2.0], [0.2], [0.3]])
    y = np.array([1.0, 1.0, -1.0])
    w = np.array([1.0])  # scores = the hinge worked example
    assert regularized_objective(w, X, y, loss="hinge") == pytest.approx(2.1 / 3)
    np.testing.assert_allclose(regularized_objective_grad(w, X, y, loss="hinge"), [(0 - 0.2 + 0.3) / 3])
    pair = (lambda t, s: (s - t) ** 4, lambda t, s: 4 * (s - t) ** 3)
    assert regularized_objective([1.0], X2, Y2, loss=pair) == pytest.approx(1.0)
    np.testing.assert_allclose(regularized_objective_grad([1.0], X2, Y2, loss=pair), [-6.0])


# ----------------------------------------------------------------------------- gradients
@st.composite
def linear_problems(draw):
    n, d = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    X = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-3, 3)))
    w = draw(hnp.arrays(np.float64, d, elements=st.floats(-3, 3)))
    signs = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([-1.0, 1.0])))
    targets = draw(hnp.arrays(np.float64, n, elements=st.floats(-3, 3)))
    return X, w, signs, targets


@given(linear_problems(), st.sampled_from(SCORE_LOSSES), st.sampled_from(["l2", "l1"]),
       st.floats(0, 2), st.booleans())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_objective_gradient_matches_central_differences(problem, loss, penalty, lam, free_first):
    X, w, signs, targets = problem
    if loss in ("hinge", "zero_one"):
        y = signs
    elif loss in ("bce_with_logits", "weighted_bce_with_logits"):
        y = (signs + 1) / 2
    else:
        y = targets
    params = {"huber": {"delta": 0.7}, "weighted_bce_with_logits": {"alpha": 3.0, "beta": 0.5}}.get(loss, {})
    score = X @ w
    # stay 1e-4 away from every kink: of the loss (in the score) and of |w_j| (l1)
    kinks = {"mae": [score - y], "huber": [np.abs(score - y) - 0.7], "hinge": [y * score - 1],
             "zero_one": [score]}.get(loss, [])
    for k in kinks:
        assume(np.all(np.abs(k) > 1e-4))
    if penalty == "l1":
        assume(np.all(np.abs(w) > 1e-4))

    def f(v):
        return regularized_objective(v, X, y, loss=loss, lam=lam, penalty=penalty, unpenalized=free, **params)

    free = [0] if free_first else None  # leave the first weight (a bias) out of the penalty
    analytic = regularized_objective_grad(w, X, y, loss=loss, lam=lam, penalty=penalty,
                                          unpenalized=free, **params)
    np.testing.assert_allclose(analytic, central_diff(f, w), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- loops
def test_gradient_descent_converges_to_least_squares():
    path = gradient_descent(lambda w: regularized_objective_grad(w, X2, Y2), [1.0], lr=0.2, steps=60)
    assert path.shape == (61, 1)
    assert path[0, 0] == 1.0
    assert path[1, 0] == pytest.approx(1.0 + 0.2 * 1.5)  # w1 = w0 - lr * (-1.5)
    assert path[-1, 0] == pytest.approx(W_STAR, abs=1e-10)
    assert gradient_descent(lambda w: 2 * w, 3.0, lr=0.1, steps=0).shape == (1, 1)


def test_gradient_descent_reports_divergence():
    with pytest.raises(ValueError, match=r"gradient_descent diverged at step \d+.*lr=10 is too large"):
        gradient_descent(lambda w: regularized_objective_grad(w, X2, Y2), [1.0], lr=10.0, steps=2000)


def test_full_batch_sgd_is_gradient_descent():
    gd = gradient_descent(lambda w: regularized_objective_grad(w, X2, Y2), [0.0], lr=0.2, steps=40)
    sgd = minibatch_sgd(X2, Y2, [0.0], lr=0.2, batch_size=None, epochs=40)
    np.testing.assert_allclose(sgd, gd, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(minibatch_sgd(X2, Y2, [0.0], lr=0.2, batch_size=2, epochs=40), gd,
                               rtol=1e-12, atol=1e-15)
    assert sgd[-1, 0] == pytest.approx(W_STAR, abs=1e-6)


def test_minibatch_sgd_shapes_seed_and_progress():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(10, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=10)
    path = minibatch_sgd(X, y, np.zeros(3), lr=0.05, batch_size=3, epochs=4, seed=7)
    assert path.shape == (1 + 4 * 4, 3)  # ceil(10 / 3) = 4 steps per epoch
    np.testing.assert_array_equal(path, minibatch_sgd(X, y, np.zeros(3), lr=0.05, batch_size=3, epochs=4, seed=7))
    assert not np.array_equal(path, minibatch_sgd(X, y, np.zeros(3), lr=0.05, batch_size=3, epochs=4, seed=8))
    per_sample = minibatch_sgd(X, y, np.zeros(3), lr=0.05, batch_size=1, epochs=30, seed=0)
    assert per_sample.shape == (301, 3)
    assert regularized_objective(per_sample[-1], X, y) < 0.1 * regularized_objective(np.zeros(3), X, y)


def test_minibatch_gradients_average_to_the_full_gradient():
    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(6, 2)), rng.normal(size=6), rng.normal(size=2)
    full = regularized_objective_grad(w, X, y, loss="huber", lam=0.3, delta=0.5)
    batches = [np.array(b) for b in itertools.combinations(range(6), 2)]  # every batch of size 2
    mean = np.mean([minibatch_gradient(w, X, y, b, loss="huber", lam=0.3, delta=0.5) for b in batches], axis=0)
    np.testing.assert_allclose(mean, full, rtol=1e-12)
    partition = np.array_split(rng.permutation(6), 3)  # equal-size batches of one epoch
    mean = np.mean([minibatch_gradient(w, X, y, b, loss="huber", lam=0.3, delta=0.5) for b in partition], axis=0)
    np.testing.assert_allclose(mean, full, rtol=1e-12)
    one = minibatch_gradient(w, X, y, np.array([4]), loss="huber", lam=0.3, delta=0.5)
    assert not np.allclose(one, full)  # a single batch is only an estimate


# ----------------------------------------------------------------------------- validation
W1 = np.array([1.0])
INVALID = [
    (lambda: empirical_risk("nope", Y2, Y2), r"loss must be a callable or one of mse"),
    (lambda: empirical_risk("mse", Y2, Y2, sample_weight=[1.0]), r"sample_weight must have one entry per example, shape \(2,\)"),
    (lambda: empirical_risk("mse", Y2, Y2, sample_weight=[1.0, -1.0]), r"sample_weight must be >= 0"),
    (lambda: empirical_risk("mse", Y2, Y2, sample_weight=[0.0, 0.0]), r"sample_weight must be >= 0 with a positive sum"),
    (lambda: empirical_risk("mse", [], []), r"at least one example"),
    (lambda: regularized_objective(W1, np.array([1.0, 2.0]), Y2), r"X must be a 2-d array of shape \(n, d\)"),
    (lambda: regularized_objective([1.0, 2.0], X2, Y2), r"w must have shape \(1,\)"),
    (lambda: regularized_objective_grad(W1, X2, [1.0, 2.0, 3.0]), r"y must have shape \(2,\)"),
    (lambda: regularized_objective(W1, X2, Y2, lam=-1.0), r"lam must be >= 0"),
    (lambda: regularized_objective_grad(W1, X2, Y2, penalty="l3"), r"penalty must be 'l2' or 'l1'"),
    (lambda: regularized_objective(W1, X2, Y2, loss="bce"), r"loss must be one of mse, mae, huber"),
    (lambda: regularized_objective(W1, X2, Y2, loss=np.sin), r"loss must be one of"),
    (lambda: regularized_objective(W1, X2, Y2, loss="hinge"), r"y must contain only labels -1 or \+1 for hinge"),
    (lambda: regularized_objective([np.nan], X2, Y2), r"w must be finite"),
    (lambda: gradient_descent(lambda w: w, [1.0], lr=0.0, steps=3), r"lr must be > 0"),
    (lambda: gradient_descent(lambda w: w, [1.0], lr=0.1, steps=-1), r"steps must be a non-negative integer"),
    (lambda: gradient_descent(lambda w: np.ones(2), [1.0], lr=0.1, steps=1), r"the gradient must have the shape of w \(1,\)"),
    (lambda: minibatch_sgd(X2, Y2, W1, batch_size=0), r"batch_size must be None or an integer in 1..2"),
    (lambda: minibatch_sgd(X2, Y2, W1, batch_size=3), r"batch_size must be None or an integer in 1..2"),
    (lambda: minibatch_sgd(X2, Y2, W1, epochs=-1), r"epochs must be a non-negative integer"),
    (lambda: minibatch_sgd(X2, Y2, W1, loss="softmax_cross_entropy"), r"loss must be one of"),
    (lambda: minibatch_gradient(W1, X2, Y2, np.array([0, 2])), r"batch_idx must contain row indices 0..1"),
    (lambda: minibatch_gradient(W1, X2, Y2, np.array([], dtype=int)), r"batch_idx must be a non-empty 1-d array"),
    (lambda: minibatch_gradient(W1, X2, Y2, np.array([0.5])), r"batch_idx must be a non-empty 1-d array of integer"),
]


@pytest.mark.parametrize("call, message", INVALID, ids=[m[:40] for _, m in INVALID])
def test_invalid_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()

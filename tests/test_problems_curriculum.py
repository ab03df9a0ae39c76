"""The problems added with the curriculum rework (sessions 2-5), against independent oracles.

The generic contract (reference accepted for several learners, every catalogued mistake diagnosed,
templates filled, no answer leaked) is in ``test_problems.py``. Here each reference is recomputed
another way: by hand for the canonical numbers, with SciPy, by finite differences of the loss, or by
brute-force minimisation.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import softmax
from scipy.stats import entropy

from lossedu import problems
from lossedu.gradcheck import numerical_gradient

STUDENTS = [None] + [f"learner-{k}" for k in range(10)]
NEW = {2: ["example.ce_entropy_kl", "example.heteroscedastic_nll", "choice.separable_logistic"],
       3: ["example.geometric_margin", "choice.svm_support_vectors", "example.multiclass_init_loss",
           "choice.fixed_step_subgradient"],
       4: ["example.label_smoothing_optimum", "example.reweighted_probability", "choice.imbalance",
           "choice.map_prior"],
       5: ["example.loss_scale_lr", "choice.early_stopping"]}


def variants(pid):
    return [problems.get(pid).variant(s) for s in STUDENTS]


@pytest.mark.parametrize("session", sorted(NEW))
def test_new_problems_are_appended_at_the_end_of_their_set(session):
    ids = [p.id for p in problems.session_problems(session)]
    assert ids[-len(NEW[session]):] == NEW[session]


@pytest.mark.parametrize("pid, answer", [
    # p = (0.8, 0.1, 0.1), q = softmax(1, 0.5, -0.5): H(p) = 0.6390, CE = 0.8041
    ("example.ce_entropy_kl", [0.6390, 0.1651, 0.8041]),
    # y = 2, mu = 0.5, s = 0.5: r^2 = 2.25, e^{2s} = e
    ("example.heteroscedastic_nll", [2.25 / (2 * np.e) + 0.5 + 0.5 * np.log(2 * np.pi), -1.5 / np.e, 1 - 2.25 / np.e]),
    ("choice.separable_logistic", "b"),
    # w = (3, -4), b = 0.5, x = (0.5, -0.25): f = 3, |w| = 5
    ("example.geometric_margin", [3, 0.6, 0]),
    ("choice.svm_support_vectors", "b"),
    ("example.multiclass_init_loss", [np.log(10), 1, 9]),
    ("choice.fixed_step_subgradient", "b"),
    ("example.label_smoothing_optimum", [0.9 * 0.7 + 0.1 / 3, 0.9 * 0.2 + 0.1 / 3, 0.9 * 0.1 + 0.1 / 3]),
    # alpha = 9, beta = 1, p_w = 0.5: shift log 9, eta = 0.5 / (0.5 + 4.5)
    ("example.reweighted_probability", [np.log(9), 0.1]),
    ("choice.imbalance", "b"), ("choice.map_prior", "a"),
    # x = (1, 2, 3), y = (2, 1, 4), w = 0.5: residuals (-1.5, 0, -2.5); (1/3)(-1.5 - 7.5) = -3
    ("example.loss_scale_lr", [-3, -6, 0.1]),
    ("choice.early_stopping", "b"),
])
def test_canonical_answers_by_hand(pid, answer):
    r = problems.check(pid, answer)
    assert r.status == "correct", r


def test_entropy_kl_against_scipy():
    for v in variants("example.ce_entropy_kl"):
        p, q = np.array(v.params["p"]), softmax(np.array(v.params["z"]))
        assert abs(sum(p) - 1) < 1e-12 and (p > 0).all(), v.params
        assert np.allclose(v.reference, [entropy(p), entropy(p, q), entropy(p) + entropy(p, q)])


def test_heteroscedastic_gradients_match_finite_differences():
    for v in variants("example.heteroscedastic_nll"):
        y = v.params["y"]
        nll = lambda t: (y - t[0]) ** 2 / (2 * np.exp(2 * t[1])) + t[1] + 0.5 * np.log(2 * np.pi)
        point = np.array([v.params["mu"], v.params["s"]])
        assert np.isclose(v.reference[0], nll(point))
        np.testing.assert_allclose(v.reference[1:], numerical_gradient(nll, point), rtol=1e-6, atol=1e-8)


def test_geometric_margin_is_the_distance_to_the_boundary():
    for v in variants("example.geometric_margin"):
        w, b, x, y = np.array(v.params["w"]), v.params["b"], np.array(v.params["x"]), v.params["y"]
        # closest point of the boundary w.z + b = 0, found numerically
        res = minimize(lambda z: np.sum((z - x) ** 2), x, constraints=[{"type": "eq", "fun": lambda z: w @ z + b}])
        distance = np.sqrt(res.fun) * np.sign(y * (w @ x + b))
        assert np.isclose(v.reference[1], distance, atol=1e-5), (v.params, v.reference)
        assert np.isclose(v.reference[2], max(0.0, 1 - y * (w @ x + b)))


def test_initial_losses_match_tiny_random_scores():
    rng = np.random.default_rng(0)
    for v in variants("example.multiclass_init_loss"):
        k = v.params["K"]
        s = 1e-6 * rng.normal(size=(200, k))
        y = rng.integers(0, k, 200)
        ce = np.mean(-np.log(softmax(s, axis=1)[np.arange(200), y]))
        margins = 1 + s - s[np.arange(200), y][:, None]
        margins[np.arange(200), y] = -np.inf
        cs = np.mean(np.maximum(0, margins.max(axis=1)))
        ww = np.mean(np.sum(np.maximum(0, margins), axis=1))
        np.testing.assert_allclose(v.reference, [ce, cs, ww], atol=1e-4)


def test_smoothing_optimum_minimises_the_expected_loss():
    for v in variants("example.label_smoothing_optimum"):
        eta, eps = np.array(v.params["eta"]), v.params["eps"]

        def expected(z):
            logq = z - np.log(np.sum(np.exp(z)))
            return sum(eta[c] * -np.sum(((1 - eps) * np.eye(3)[c] + eps / 3) * logq) for c in range(3))

        z = minimize(expected, np.zeros(3), method="BFGS", options={"gtol": 1e-10}).x
        np.testing.assert_allclose(v.reference, softmax(z), atol=1e-5)


def test_reweighted_probability_inverts_the_weighted_optimum():
    for v in variants("example.reweighted_probability"):
        a, b, pw = v.params["alpha"], v.params["beta"], v.params["pw"]
        eta = v.reference[1]
        # the weighted expected loss at this eta is minimised at p_w (brute force over p)
        grid = np.linspace(1e-4, 1 - 1e-4, 200001)
        best = grid[np.argmin(-(a * eta * np.log(grid) + b * (1 - eta) * np.log(1 - grid)))]
        assert abs(best - pw) < 1e-4, (v.params, v.reference)
        # and its logit is shifted by the first answer
        assert np.isclose(np.log(pw / (1 - pw)) - np.log(eta / (1 - eta)), v.reference[0])


def test_loss_scale_gradients_match_finite_differences():
    for v in variants("example.loss_scale_lr"):
        x, y = np.array(v.params["x"]), np.array(v.params["y"])
        course = lambda t: np.mean(0.5 * (t[0] * x - y) ** 2)
        torch_mse = lambda t: np.mean((t[0] * x - y) ** 2)
        point = np.array([v.params["w"]])
        np.testing.assert_allclose(v.reference[:2], [numerical_gradient(course, point)[0],
                                                     numerical_gradient(torch_mse, point)[0]], rtol=1e-6, atol=1e-8)
        # the same step: lr_course * g_course == lr_torch * g_torch
        assert np.isclose(v.params["lr"] * v.reference[0], v.reference[2] * v.reference[1])

"""lossedu.gradcheck: finite differences, relative error, and a checker that names the worst index."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lossedu import losses as L
from lossedu.gradcheck import (GradCheckReport, check_elementwise_grad, check_gradient,
                               numerical_gradient, rel_error)


def test_numerical_gradient_of_a_cubic_any_shape():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])
    before = x.copy()
    grad = numerical_gradient(lambda t: np.sum(t**3), x)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(x, before)  # the point is not modified
    assert grad.shape == (2, 3)


def test_numerical_gradient_of_a_scalar_point_and_step():
    assert numerical_gradient(np.sin, 0.3) == pytest.approx(np.cos(0.3), rel=1e-9)
    coarse = numerical_gradient(lambda t: float(np.exp(t).sum()), np.array([1.0]), h=1e-2)
    assert abs(coarse[0] - np.e) == pytest.approx(np.e * 1e-4 / 6, rel=1e-2)  # O(h^2) error term
    with pytest.raises(ValueError, match="h must be > 0"):
        numerical_gradient(np.sin, 0.3, h=0.0)


def test_rel_error_hand_values():
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error([1.0], [3.0]) == 0.5
    assert rel_error([1.0, 0.5], [1.0, 1.0]) == pytest.approx(1 / 3)
    assert rel_error(0.0, 0.0) == 0.0  # the 1e-12 floor avoids 0/0
    assert rel_error([0.0], [1e-13]) == pytest.approx(0.1)
    assert isinstance(rel_error([1.0], [2.0]), float)


def test_check_gradient_passes_on_a_correct_gradient():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    report = check_gradient(lambda x: 0.5 * x @ A @ x + np.sin(x).sum(), lambda x: A @ x + np.cos(x),
                            np.array([0.7, -1.2]))
    assert report.ok and bool(report)
    assert report.max_rel_error < 1e-8
    assert str(report).startswith("gradient check passed: max relative error ")


def test_check_gradient_names_the_wrong_coordinate():
    def wrong_grad(x):
        g = 2 * x
        g[1, 2] += 0.5
        return g

    x = np.arange(12.0).reshape(3, 4) / 4 + 0.1
    report = check_gradient(lambda t: np.sum(t**2), wrong_grad, x)
    assert not report.ok and not bool(report)
    assert report.worst_index == (1, 2)
    assert report.analytic == pytest.approx(2 * x[1, 2] + 0.5)
    assert report.numeric == pytest.approx(2 * x[1, 2], rel=1e-8)
    assert str(report).startswith("gradient check FAILED at index (1, 2): analytic ")


def test_failure_message_format():
    def half_at_two(x):
        g = np.ones_like(x)
        g[2] = 0.5
        return g

    report = check_gradient(np.sum, half_at_two, np.zeros(4))
    assert str(report) == ("gradient check FAILED at index (2,): analytic 0.5 vs numeric 1.0 "
                           "(relative error 3.3e-01)")


def test_tolerance_and_report_is_frozen():
    report = check_gradient(lambda x: np.sum(x**2), lambda x: 2 * x * (1 + 1e-5), np.ones(3))
    assert not report.ok  # relative error 5e-6 > default 1e-6
    assert check_gradient(lambda x: np.sum(x**2), lambda x: 2 * x * (1 + 1e-5), np.ones(3), tol=1e-4).ok
    assert isinstance(report, GradCheckReport)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.ok = True


def test_check_gradient_rejects_a_misshapen_gradient():
    with pytest.raises(ValueError, match=r"grad must return an array shaped like x \(3,\)"):
        check_gradient(np.sum, lambda x: np.ones(2), np.zeros(3))


@pytest.mark.parametrize("name, y, pred, params", [
    ("mse", [1.0, -2.0, 0.5], [0.3, 0.1, 4.0], {}),
    ("mae", [1.0, -2.0, 0.5], [0.3, 0.1, 4.0], {}),
    ("huber", [1.0, -2.0, 0.5], [0.3, 0.1, 4.0], {"delta": 1.5}),
    ("hinge", [1.0, -1.0, 1.0], [0.3, 0.1, 4.0], {}),
    ("bce", [1.0, 0.0, 0.3], [0.2, 0.6, 0.9], {}),
    ("bce_with_logits", [1.0, 0.0, 0.3], [-3.0, 0.6, 9.0], {}),
    ("weighted_bce_with_logits", [1.0, 0.0, 0.3], [-3.0, 0.6, 9.0], {"alpha": 4.0, "beta": 0.5}),
    ("multiclass_hinge", [0, 2], [[0.5, 1.0, -1.0], [0.0, 2.0, 1.8]], {}),
    ("softmax_cross_entropy", [0, 2], [[0.5, 1.0, -1.0], [0.0, 2.0, 1.8]],
     {"class_weight": [1.0, 2.0, 0.5], "label_smoothing": 0.1}),
])
def test_elementwise_check_passes_for_every_loss(name, y, pred, params):
    report = check_elementwise_grad(getattr(L, name), getattr(L, name + "_grad"), np.array(y),
                                    np.array(pred), **params)
    assert report.ok, str(report)


def test_elementwise_check_catches_wrong_gradients():
    y, pred = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.1, 4.0])
    flipped = check_elementwise_grad(L.mse, lambda a, b: a - b, y, pred)  # sign error
    assert not flipped.ok and flipped.worst_index in {(0,), (1,), (2,)}
    # forgetting the chain rule through sigma: (y - p) would be wrong; so is p alone
    report = check_elementwise_grad(L.bce_with_logits, lambda a, z: L.sigmoid(z), y=np.array([0.0, 1.0]),
                                    pred=np.array([0.5, 0.5]))
    assert not report.ok and report.worst_index == (1,)

    def one_column_off(y, z):
        g = L.softmax_cross_entropy_grad(y, z).copy()
        g[1, 0] *= 2
        return g

    report = check_elementwise_grad(L.softmax_cross_entropy, one_column_off, np.array([0, 2]),
                                    np.array([[0.5, 1.0, -1.0], [0.0, 2.0, 1.8]]))
    assert not report.ok and report.worst_index == (1, 0)

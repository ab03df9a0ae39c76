"""The capstone's calibration comparison: its conclusion holds at two seeds, and its tools are right.

Conclusion (lessons/06_capstone.ipynb): with a matched L2 penalty, cross-entropy and hinge reach the
same accuracy, but sigma(hinge score) is farther from the exact Bayes posterior than the cross-entropy
model's probability, the 90 % bootstrap interval of the difference excluding zero; Platt scaling
brings the hinge model at least halfway back.
"""
from __future__ import annotations

import numpy as np
import pytest

from lossedu import calibration


@pytest.fixture(scope="module", params=[0, 1])
def comparison(request):
    return calibration.compare(seed=request.param, n_boot=100)


def test_the_conclusion_survives_a_change_of_seed(comparison):
    r = comparison
    assert r["n_test"] >= 5000
    assert abs(r["accuracy"]["ce"] - r["accuracy"]["hinge"]) < 0.01
    lo, _ = r["distance_hinge_minus_ce_ci"]
    assert lo > 0, r["distance"]
    assert r["ece_hinge_minus_ce_ci"][0] > 0, r["ece"]
    assert r["distance"]["platt"] < 0.5 * r["distance"]["hinge"]


def test_the_posterior_of_two_gaussians_is_exactly_logistic():
    rng = np.random.default_rng(3)
    X, y = calibration.gaussian_pair(300_000, rng, mu=(0.5, -1.0), pi=0.3)
    eta = calibration.bayes_posterior(X, mu=(0.5, -1.0), pi=0.3)
    for lo in np.arange(0.0, 1.0, 0.1):
        inside = (eta >= lo) & (eta < lo + 0.1)
        share, mean = np.mean(y[inside] == 1), eta[inside].mean()
        assert abs(share - mean) < 4 * np.sqrt(mean * (1 - mean) / inside.sum()) + 1e-3


def test_reliability_bands_cover_a_calibrated_model_about_nine_times_in_ten():
    rng = np.random.default_rng(4)
    covered, total = 0, 0
    for _ in range(40):
        p = rng.uniform(0, 1, 2000)
        y01 = (rng.random(2000) < p).astype(float)
        for row in calibration.reliability(p, y01, bins=10):
            truth = row["predicted"]
            covered += row["band_low"] <= truth <= row["band_high"]
            total += 1
    assert 0.85 <= covered / total <= 0.95


def test_ece_is_zero_for_perfect_frequencies_and_large_for_a_flipped_model():
    p = np.repeat([0.2, 0.8], 10)
    y01 = np.array([1] * 2 + [0] * 8 + [1] * 8 + [0] * 2, dtype=float)
    assert calibration.ece(p, y01) == pytest.approx(0.0)
    assert calibration.ece(1 - p, y01) == pytest.approx(0.6)


def test_platt_scaling_recovers_a_known_scale():
    rng = np.random.default_rng(5)
    s = rng.normal(0, 2, 50_000)
    y = np.where(rng.random(50_000) < 1 / (1 + np.exp(-(2.0 * s - 0.5))), 1.0, -1.0)
    a, b = calibration.platt(s, y)
    assert a == pytest.approx(2.0, abs=0.1) and b == pytest.approx(-0.5, abs=0.1)


def test_fit_linear_minimises_its_objectives():
    rng = np.random.default_rng(6)
    X, y = calibration.gaussian_pair(400, rng)
    A = np.column_stack([X, np.ones(len(y))])
    for loss, value in (("ce", lambda t: np.mean(np.logaddexp(0, -y * (A @ t)))),
                        ("hinge", lambda t: np.mean(np.maximum(0, 1 - y * (A @ t))))):
        theta = calibration.fit_linear(X, y, loss, lam=0.01)
        objective = lambda t: value(t) + 0.005 * t[:2] @ t[:2]  # noqa: E731
        for _ in range(20):
            assert objective(theta) <= objective(theta + rng.normal(0, 0.05, 3)) + 1e-4
    with pytest.raises(ValueError, match="'ce' or 'hinge'"):
        calibration.fit_linear(X, y, "mse")

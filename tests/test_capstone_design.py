"""The design task in the notebook: the scenario's posterior, the designed-loss judge and the
classifier judge (through ``problems.check``, as ``ex.qN.check`` does)."""
from __future__ import annotations

import numpy as np
import pytest

from lossedu import problems
from lossedu.checking import design, scenario
from capstone_answers import classifier, noise_aware_pair, sigmoid, train

STUDENTS = ("ana", "ben", None)


def params(student):
    return problems.get("cap.design_classifier").variant(student).params


# ---------------------------------------------------------------------------- the scenario
def test_the_posterior_matches_label_frequencies():
    """eta(x) = rho + (1 - 2 rho) sigma(a(x)) agrees with the share of recorded 1s, bin by bin."""
    p = params("ana")
    X, y = scenario.draw(p, 200_000, np.random.default_rng(1))
    eta = scenario.posterior(p, X)
    bins = np.quantile(eta, np.linspace(0, 1, 11))
    which = np.clip(np.digitize(eta, bins[1:-1]), 0, 9)
    for k in range(10):
        inside = which == k
        share, mean = y[inside].mean(), eta[inside].mean()
        se = np.sqrt(mean * (1 - mean) / inside.sum())
        assert abs(share - mean) < 4 * se + 1e-3, (k, share, mean)


def test_the_bayes_rule_has_the_smallest_cost():
    p = params("ben")
    X, _ = scenario.draw(p, 20_000, np.random.default_rng(2))
    best = scenario.bayes_cost(p, X)
    assert scenario.expected_cost(p, X, scenario.bayes_decisions(p, X)) == pytest.approx(best)
    a = scenario.log_odds(p, X)
    for cut in np.linspace(-4, 4, 17):
        assert scenario.expected_cost(p, X, (a > cut).astype(float)) >= best - 1e-12
    assert scenario.expected_cost(p, X, scenario.baseline_decisions(p, X)) > 1.1 * best


def test_one_learner_sees_one_scenario_and_learners_differ():
    ids = ("cap.design_threshold", "cap.design_loss", "cap.design_classifier", "cap.weighted_threshold")
    same = [problems.get(pid).variant("ana").params for pid in ids]
    for other in same[1:]:
        assert np.array_equal(other["X"], same[0]["X"]) and other["c_fn"] == same[0]["c_fn"]
    assert not np.array_equal(params("ana")["X"], params("ben")["X"])


def test_the_hidden_test_set_depends_on_the_graders_seed():
    problem = problems.get("cap.design_classifier")
    v = problem.variant("ana")
    first = problem.draw_inputs(v, np.random.default_rng(1))[0]["X"]
    second = problem.draw_inputs(v, np.random.default_rng(2))[0]["X"]
    assert first.shape == (design.N_TEST, 2) and not np.allclose(first, second)


# ---------------------------------------------------------------------------- the designed loss
@pytest.mark.parametrize("student", STUDENTS)
def test_a_sound_designed_loss_is_correct(student):
    rho = params(student)["rho"]
    assert problems.check("cap.design_loss", noise_aware_pair(rho), student=student).correct
    bce = (lambda y, z: np.logaddexp(0.0, z) - y * z, lambda y, z: sigmoid(z) - y)
    assert problems.check("cap.design_loss", bce, student=student).correct  # any sound loss counts


def test_the_reference_gradient_matches_finite_differences():
    loss, grad = problems.get("cap.design_loss").variant("ana").reference
    y = np.tile([0.0, 1.0], 20)
    z = np.linspace(-6, 6, 40)
    h = 1e-6
    assert np.allclose(grad(y, z), (loss(y, z + h) - loss(y, z - h)) / (2 * h), rtol=1e-5, atol=1e-8)


def test_a_wrong_gradient_is_caught_by_the_learners_own_loss():
    rho = params("ana")["rho"]
    loss, grad = noise_aware_pair(rho)
    r = problems.check("cap.design_loss", (loss, lambda y, z: grad(y, z) / (1 - 2 * rho)), student="ana")
    assert r.status == "incorrect" and r.diagnosis == "factor" and r.counterexample["function"] == "grad"
    assert "slope of your own loss" in r.message
    tails = lambda y, z: np.where(np.abs(z) > 6, 0.0, grad(y, z))  # right only near 0
    r = problems.check("cap.design_loss", (loss, tails), student="ana")
    assert r.status == "incorrect" and "in the tails" in r.message


def test_an_overflowing_pair_is_unstable():
    rho = params("ana")["rho"]

    def naive_sig(z):
        return 1 / (1 + np.exp(-z))

    loss = lambda y, z: -(y * np.log(rho + (1 - 2 * rho) * naive_sig(z)) + (1 - y) * np.log(1 - rho - (1 - 2 * rho) * naive_sig(z)))
    grad = lambda y, z: -(y / (rho + (1 - 2 * rho) * naive_sig(z)) - (1 - y) / (1 - rho - (1 - 2 * rho) * naive_sig(z))) \
        * (1 - 2 * rho) * naive_sig(z) * (1 - naive_sig(z))
    r = problems.check("cap.design_loss", (loss, grad), student="ana")
    assert r.status == "incorrect" and r.diagnosis == "unstable" and "±800" in r.message


def test_a_loss_that_rewards_the_wrong_class_or_ignores_z_is_refused():
    backwards = (lambda y, z: -(np.logaddexp(0.0, z) - y * z), lambda y, z: -(sigmoid(z) - y))
    r = problems.check("cap.design_loss", backwards, student="ana")
    assert r.status == "incorrect" and r.diagnosis == "sign"
    flat = (lambda y, z: 0.0 * z + 1.0, lambda y, z: 0.0 * z)
    r = problems.check("cap.design_loss", flat, student="ana")
    assert r.status == "incorrect" and "does not depend on z" in r.message


def test_stubs_and_wrong_forms_of_the_pair():
    def stub(y, z):
        ...

    assert problems.check("cap.design_loss", (stub, stub), student="ana").status == "unattempted"
    assert problems.check("cap.design_loss", lambda y, z: z, student="ana").status == "invalid"
    crash = (lambda y, z: z.sum(), lambda y, z: z)
    r = problems.check("cap.design_loss", crash, student="ana")
    assert r.status == "incorrect" and r.diagnosis == "shape"


# ---------------------------------------------------------------------------- the classifier
@pytest.mark.parametrize("student", STUDENTS)
def test_a_trained_noise_aware_classifier_gets_full_credit(student):
    r = problems.check("cap.design_classifier", classifier(params(student)), student=student)
    assert r.correct and r.score == 1.0
    assert r.details["cost"] <= (1 + design.BAYES_MARGIN) * r.details["bayes_cost"]


def test_plain_bce_at_one_half_gets_nothing_and_is_told_about_the_threshold():
    p = params("ana")
    theta = scenario.fit_logistic(p["X"], p["y"])
    r = problems.check("cap.design_classifier", lambda X: (X @ theta[:2] + theta[2] > 0).astype(float), student="ana")
    assert r.status == "incorrect" and r.score == 0.0
    assert "threshold is off" in r.message and "more" in r.message


def test_half_credit_between_the_margins():
    p = params("ben")
    theta = train(p["X"], p["y"], noise_aware_pair(p["rho"])[1])
    found = 0
    for cut in np.linspace(0.05, 0.6, 23):
        r = problems.check("cap.design_classifier", classifier(p, threshold=cut, theta=theta), student="ben")
        d = r.details
        if d["cost"] > d["full_credit_below"] and d["cost"] <= d["half_credit_below"]:
            assert r.status == "incorrect" and r.score == 0.5 and "half credit" in r.message
            found += 1
        elif d["cost"] <= d["full_credit_below"]:
            assert r.correct
        else:
            assert r.score == 0.0
    assert found >= 2


def test_a_tilted_boundary_and_a_constant_answer_are_named():
    p = params("ana")
    direction = np.asarray(p["mu1"]) - np.asarray(p["mu0"])
    tilted = np.array([-direction[1], direction[0]])  # at right angles to the best boundary
    r = problems.check("cap.design_classifier", lambda X: (X @ tilted > 0).astype(float), student="ana")
    assert r.score == 0.0 and "tilted" in r.message
    r = problems.check("cap.design_classifier", lambda X: np.ones(len(X)), student="ana")
    assert "for every point" in r.message


def test_scores_instead_of_decisions_are_invalid():
    r = problems.check("cap.design_classifier", lambda X: sigmoid(X[:, 0]), student="ana")
    assert r.status == "invalid" and "0 or 1" in r.message
    def stub(X):
        pass
    assert problems.check("cap.design_classifier", stub, student="ana").status == "unattempted"


def test_a_kinked_loss_is_judged_by_its_slopes_away_from_the_kink():
    """Hinge on 0/1 labels, max(0, 1 - (2y - 1) z), with a subgradient: a sound design too."""
    hinge = (lambda y, z: np.maximum(0.0, 1 - (2 * y - 1) * z),
             lambda y, z: np.where((2 * y - 1) * z < 1, -(2 * y - 1), 0.0))
    for student in STUDENTS + ("cy", "dee", "eve"):
        assert problems.check("cap.design_loss", hinge, student=student).correct, student

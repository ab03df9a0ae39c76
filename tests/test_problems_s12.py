"""The exercise sets of sessions 1 and 2: order, seed numbers, independent oracles, variants.

Oracles are independent of the bank's own formulas: numbers worked by hand from the source text
and the lessons, brute-force minimisation over a grid, a Monte-Carlo simulation, and the library's
loss functions.
"""
from __future__ import annotations

import numpy as np
import pytest

from lossedu import losses, problems, risk

STUDENTS = [None] + [f"learner{i}" for i in range(40)]
SESSION1 = ["grad.mse", "grad.mae", "example.linreg_risk", "grad.linreg_risk", "example.linreg_grad",
            "practice.per_example_risk", "practice.monte_carlo_risk", "practice.outlier_fit",
            "choice.loss_vs_metric"]
SESSION2 = ["grad.bce_prob", "grad.bce_logit", "example.bce_logit", "grad.softmax_ce", "example.softmax_ce",
            "impl.bce_with_logits", "impl.softmax_cross_entropy", "choice.nll", "impl.bce_with_logits_grad",
            "choice.output_type"]


def test_exercise_sets_keep_their_order_and_size():
    assert [p.id for p in problems.session_problems(1)] == SESSION1
    assert [p.id for p in problems.session_problems(2)] == SESSION2
    for k, ids in ((1, SESSION1), (2, SESSION2)):
        qs = problems.session_problems(k)
        assert 6 <= len(qs) <= 10
        assert {"expression", "value", "choice"} <= {p.kind for p in qs}
    assert "function" in {p.kind for p in problems.session_problems(2)}


def test_session_1_covers_its_concepts():
    concepts = {c for p in problems.session_problems(1) for c in p.concepts}
    assert {"loss-function", "per-example-vs-aggregate", "empirical-risk", "expected-risk", "erm", "mse",
            "mae", "subgradients", "robustness", "metric-gap", "differentiability"} <= concepts


# ---------------------------------------------------------------------------- seed and lesson numbers
@pytest.mark.parametrize("pid, answer", [
    # the lesson's table: y = (2, 3, 5, 4), ŷ = (2.5, 2, 5, 7): losses 0.125, 0.5, 0, 4.5; sum 5.125
    ("practice.per_example_risk", [0.125, 0.5, 0.0, 4.5, 5.125 / 4]),
    # 100 times more samples: the standard error 0.05 shrinks tenfold
    ("practice.monte_carlo_risk", 0.005),
    # the lesson's readings 2.1, 1.9, 2.0, 2.2 and the outlier 50: mean 58.2 / 5, median 2.1
    ("practice.outlier_fit", [11.64, 2.1]),
    ("choice.loss_vs_metric", "b"),
    ("choice.output_type", "b"),
])
def test_canonical_variants_keep_the_worked_numbers(pid, answer):
    assert problems.check(pid, answer).status == "correct"


def test_mae_subgradient_at_a_tie_accepts_the_whole_interval():
    for answer in ("sign(yhat - y)", "Piecewise((1, yhat > y), (-1, yhat < y), (0.5, True))",
                   "Piecewise((1, yhat > y), (-1, yhat < y), (-1, True))"):
        assert problems.check("grad.mae", answer).status == "correct", answer
    r = problems.check("grad.mae", "Piecewise((1, yhat > y), (-1, yhat < y), (2, True))")
    assert r.status == "incorrect" and r.diagnosis == "kink"


# ---------------------------------------------------------------------------- independent oracles
@pytest.mark.parametrize("student", STUDENTS[:12])
def test_per_example_risk_against_the_library(student):
    v = problems.get("practice.per_example_risk").variant(student)
    y, pred = np.asarray(v.params["ys"], float), np.asarray(v.params["preds"], float)
    expected = list(losses.mse(y, pred)) + [risk.empirical_risk("mse", y, pred)]
    assert problems.check("practice.per_example_risk", expected, student=student).correct
    assert np.allclose(v.reference, expected)
    r = problems.check("practice.per_example_risk", expected[:4] + [float(np.sum(expected[:4]))], student=student)
    assert r.status == "incorrect" and r.score == pytest.approx(0.8) and "sum of the losses" in r.message


@pytest.mark.parametrize("student", STUDENTS[:12])
def test_outlier_fit_against_brute_force_minimisation(student):
    v = problems.get("practice.outlier_fit").variant(student)
    t = np.asarray(v.params["targets"], float)
    grid = np.round(np.arange(0.0, 60.0, 0.001), 3)
    sq = ((grid[:, None] - t[None, :]) ** 2).mean(axis=1)
    ab = np.abs(grid[:, None] - t[None, :]).mean(axis=1)
    c_mse, c_mae = grid[np.argmin(sq)], grid[np.argmin(ab)]
    assert np.allclose(v.reference, [c_mse, c_mae], atol=1.5e-3)
    assert problems.check("practice.outlier_fit", [c_mse, c_mae], student=student).correct
    swapped = problems.check("practice.outlier_fit", [c_mae, c_mse], student=student)
    assert swapped.status == "incorrect" and "swapped" in swapped.message


def test_monte_carlo_standard_error_against_a_simulation():
    """Simulate many risk estimates at n0 and n1 and measure how their spread shrinks."""
    rng = np.random.default_rng(0)
    for student in (None, "learner1", "learner2"):
        v = problems.get("practice.monte_carlo_risk").variant(student)
        n0, n1, se0 = v.params["n0"], v.params["n1"], v.params["se0"]
        # squared errors of a fixed model on Gaussian noise: L = ½ e², e ~ N(0, 1)
        spread = {}
        for n in (n0, n1):
            estimates = [np.mean(0.5 * rng.normal(size=n) ** 2) for _ in range(400)]
            spread[n] = np.std(estimates)
        measured = se0 * spread[n1] / spread[n0]
        assert v.reference == pytest.approx(measured, rel=0.2), (v.params, measured)
        wrong = problems.check("practice.monte_carlo_risk", se0 * n0 / n1, student=student)
        assert wrong.status == "incorrect" and "standard error" in wrong.message and "√" not in wrong.message


def test_canonical_regression_numbers_from_the_seed():
    """Worked example 1: (1, 2), (2, 3), w = 1: R = 0.5 and dR/dw = -1.5."""
    assert problems.check("example.linreg_risk", 0.5).correct
    assert problems.check("example.linreg_grad", -1.5).correct


# ---------------------------------------------------------------------------- variants
@pytest.mark.parametrize("pid", ["practice.per_example_risk", "practice.monte_carlo_risk", "practice.outlier_fit"])
def test_learner_variants_differ_and_keep_every_mistake_distinct(pid):
    problem = problems.get(pid)
    seen = set()
    for student in STUDENTS:
        v = problem.variant(student)
        seen.add(repr(v.params))
        ref = np.asarray(v.reference, float)
        wrong = [np.asarray(m.answer(v.params), float) for m in problem.mistakes]
        for k, w in enumerate(wrong):
            assert not np.allclose(w, ref, rtol=1e-2, atol=2e-3), (student, problem.mistakes[k].message)
            for other in wrong[k + 1:]:
                assert not np.allclose(w, other, rtol=1e-2, atol=2e-3), student
        for text in (v.prompt(), v.solution(), *v.hints):
            assert "([" not in text and "])" not in text, text  # numbers listed, not a Python list
    assert len(seen) > 10
    assert problem.variant("learner3").params == problem.variant("learner3").params
    retried = [problem.variant(s, attempt=1).params != problem.variant(s).params for s in STUDENTS[1:]]
    assert sum(retried) > len(retried) // 2


def test_outlier_variants_have_one_far_reading():
    for student in STUDENTS:
        t = np.asarray(problems.get("practice.outlier_fit").variant(student).params["targets"], float)
        clean = t[:-1]
        assert np.ptp(clean) <= 0.6 + 1e-9 and t[-1] - clean.max() >= 20


@pytest.mark.parametrize("pid, wrong", [("choice.loss_vs_metric", "c"), ("choice.output_type", "d")])
def test_choice_explanations_are_targeted(pid, wrong):
    problem = problems.get(pid)
    r = problems.check(pid, wrong)
    assert r.status == "incorrect"
    assert r.message.endswith(next(o.explanation for o in problem.options if o.key == wrong))
    assert r.message.startswith(f"You picked ({wrong}):")   # the canonical variant keeps the written order
    assert problems.check(pid, "z").status == "invalid"

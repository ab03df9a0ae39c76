"""The judge: equivalent forms accepted, subgradients at kinks, generic diagnoses, steps, vectors."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from lossedu import check, check_steps
from lossedu.checking.symbolic import SYMBOLS

y, z, s, yhat = (SYMBOLS[n] for n in ("y", "z", "s", "yhat"))


def status(pid, answer):
    return check(pid, answer).status


# ---------------------------------------------------------------------------- equivalent forms
@pytest.mark.parametrize("answer", [
    "sigmoid(z) - y", "1/(1 + exp(-z)) - y", "exp(z)/(1 + exp(z)) - y", "σ(z) − y",
    "(1 - y)*sigmoid(z) - y*(1 - sigmoid(z))", 1 / (1 + sp.exp(-z)) - y,
    sp.Symbol("z") - sp.Symbol("z") + sp.exp(sp.Symbol("z")) / (1 + sp.exp(sp.Symbol("z"))) - sp.Symbol("y"),
    "Piecewise((sigmoid(z) - 1, Eq(y, 1)), (sigmoid(z), True))",
])
def test_bce_logit_rewritings_are_accepted(answer):
    assert status("grad.bce_logit", answer) == "correct"


@pytest.mark.parametrize("answer", [
    "sign(yhat - y)", "Piecewise((1, yhat > y), (-1, yhat < y), (0, True))",
    "Piecewise((1, yhat >= y), (-1, True))", "2*Heaviside(yhat - y) - 1",
    "Piecewise((1, yhat > y), (-1, yhat < y), (0.5, True))",  # 0.5 is in [-1, 1] at a tie
    "-sign(y - yhat)",
])
def test_mae_forms_and_any_subgradient_at_the_tie(answer):
    assert status("grad.mae", answer) == "correct"


@pytest.mark.parametrize("answer", [
    "Piecewise((-y, y*s < 1), (0, True))", "Piecewise((-y, y*s <= 1), (0, True))",
    "-y*Heaviside(1 - y*s)", "-y*(1 + sign(1 - y*s))/2",
    "Piecewise((-y/2, Eq(y*s, 1)), (-y, y*s < 1), (0, True))",
    sp.Piecewise((-y, y * s < 1), (0, True)),
])
def test_hinge_forms_and_any_subgradient_at_the_kink(answer):
    assert status("grad.hinge", answer) == "correct"


def test_not_a_subgradient_at_the_kink_is_diagnosed():
    r = check("grad.hinge", "Piecewise((3, Eq(y*s, 1)), (-y, y*s < 1), (0, True))")
    assert r.status == "incorrect" and r.diagnosis == "kink"
    assert r.counterexample["point"]["y"] * r.counterexample["point"]["s"] == 1
    assert "any value in" in str(r.counterexample["expected"])
    assert check("grad.mae", "Piecewise((2, Eq(yhat, y)), (sign(yhat - y), True))").diagnosis == "kink"


@pytest.mark.parametrize("answer", [
    "Max(-delta, Min(delta, yhat - y))",
    "Piecewise((yhat - y, Abs(yhat - y) <= delta), (delta*sign(yhat - y), True))",
    "Piecewise((delta, yhat - y > delta), (-delta, yhat - y < -delta), (yhat - y, True))",
])
def test_huber_forms(answer):
    assert status("grad.huber", answer) == "correct"


def test_mse_unicode_and_sympy():
    for answer in ("ŷ − y", "-(y - yhat)", yhat - y, "yhat - y + 0"):
        assert status("grad.mse", answer) == "correct"


# ---------------------------------------------------------------------------- generic detectors
@pytest.mark.parametrize("pid, answer, tag", [
    ("grad.weighted_bce_logit", "3*(-alpha*y*(1 - sigmoid(z)) + beta*(1 - y)*sigmoid(z))", "factor"),
    ("grad.huber", "-Max(-delta, Min(delta, yhat - y))", "sign"),
    ("grad.l2_objective", "-(w*x - y)*x - lam*w", "sign"),
    ("grad.weighted_bce_logit",
     "(-alpha*y*(1 - sigmoid(z)) + beta*(1 - y)*sigmoid(z))/(sigmoid(z)*(1 - sigmoid(z)))", "chain-rule"),
    ("grad.huber", "yhat - y", "branch"),
    ("grad.hinge", "-y", "branch"),
    ("grad.hinge", "Piecewise((-1, y*s < 1), (0, True))", "label"),
    ("grad.bce_logit", "sigmoid(z) - 1", "label"),
    ("grad.asymmetric_abs", "Piecewise((alpha, y > yhat), (-beta, True))", "swap"),
])
def test_generic_detectors(pid, answer, tag):
    r = check(pid, answer)
    assert r.status == "incorrect"
    assert r.diagnosis == tag, r


def test_branch_message_names_the_regions():
    r = check("grad.huber", "yhat - y")
    assert "right where |yhat - y| < delta" in r.message
    assert "wrong where yhat - y > delta" in r.message


def test_counterexample_is_a_real_disagreement_and_never_the_reference():
    r = check("grad.bce_logit", "y - sigmoid(z)")
    ce = r.counterexample
    expected = float(1 / (1 + np.exp(-ce["point"]["z"])) - ce["point"]["y"])
    assert ce["expected"] == pytest.approx(expected, rel=1e-5)
    assert ce["got"] == pytest.approx(-expected, rel=1e-5)
    assert "sigmoid(z) - y" not in r.message and "exp" not in r.message


def test_result_fields():
    r = check("grad.mse", "2*(yhat - y)")
    assert r.problem_id == "grad.mse" and r.score == 0.0
    assert r.interpreted and "\\hat{y}" in r.interpreted
    assert check("grad.mse", None).status == "unattempted"
    assert check("grad.mse", ...).status == "unattempted"
    bad = check("grad.mse", "yhat -* ")
    assert bad.status == "invalid" and "column" in bad.message


# ---------------------------------------------------------------------------- vectors and steps
SOFTMAX = ["exp(z{j})/(exp(z1) + exp(z2) + exp(z3)) - y{j}".format(j=j) for j in (1, 2, 3)]


def test_vector_partial_credit_and_component_report():
    r = check("grad.softmax_ce", SOFTMAX[:2] + ["0"])
    assert r.status == "incorrect" and r.score == pytest.approx(2 / 3)
    assert "component 3" in r.message and r.counterexample["component"] == "dL/dz3"
    assert check("grad.softmax_ce", sp.Matrix([sp.sympify(0)] * 3)).score == 0.0
    assert check("grad.softmax_ce", SOFTMAX).correct
    assert check("grad.softmax_ce", SOFTMAX[:2]).diagnosis == "shape"


def test_vector_accepts_sympy_matrix():
    zs = [SYMBOLS[f"z{j}"] for j in (1, 2, 3)]
    ys = [SYMBOLS[f"y{j}"] for j in (1, 2, 3)]
    total = sum(sp.exp(v) for v in zs)
    assert check("grad.softmax_ce", sp.Matrix([sp.exp(zj) / total - yj for zj, yj in zip(zs, ys)])).correct


def test_steps_report_the_first_broken_step():
    good = ["-(y/sigmoid(z) - (1 - y)/(1 - sigmoid(z)))*sigmoid(z)*(1 - sigmoid(z))",
            "-(y*(1 - sigmoid(z)) - (1 - y)*sigmoid(z))", "sigmoid(z) - y"]
    assert check_steps("grad.bce_logit", good).correct
    broken = [good[0], "-(y*(1 - sigmoid(z)) + (1 - y)*sigmoid(z))", good[2]]
    r = check_steps("grad.bce_logit", broken)
    assert r.status == "incorrect" and r.details["step"] == 2 and "Step 2" in r.message
    r = check_steps("grad.bce_logit", [good[0], "sigmoid(z) -* y"])
    assert r.status == "invalid" and r.details["step"] == 2
    assert check_steps("grad.bce_logit", None).status == "unattempted"
    assert check_steps("example.bce_logit", ["1"]).status == "invalid"


# ---------------------------------------------------------------------------- values and choices
def test_values_with_tolerance_and_diagnosis():
    assert check("example.bce_logit", [1.313, -0.731]).correct
    assert check("example.bce_logit", ["1.3133", "-0.7311"]).correct
    assert check("example.bce_logit", np.array([1.3133, -0.7311])).correct
    assert check("example.linreg_grad", "-3/2").correct
    r = check("example.linreg_grad", 1.5)
    assert r.diagnosis == "sign" and r.counterexample is None
    assert check("example.bce_logit", 1.3133).diagnosis == "shape"
    assert check("example.linreg_grad", float("nan")).status == "invalid"


def test_choice_explains_each_option():
    right, wrong = check("choice.nll", "b"), check("choice.nll", "A")
    assert right.correct and "Gaussian" not in wrong.message and wrong.diagnosis == "concept"
    assert "Bernoulli" in wrong.message
    assert check("choice.nll", "e").status == "invalid"


# ---------------------------------------------------------------------------- determinism
def test_checks_are_deterministic():
    a, b = check("grad.hinge", "-y"), check("grad.hinge", "-y")
    assert a.to_dict() == b.to_dict()

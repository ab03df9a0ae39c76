"""Equivalence that a near-miss cannot fool, and that rounding cannot break.

Wrong answers here agree with the reference almost everywhere: far from the sampled region, at
one point, beyond a cut-off, or up to a tiny safeguard. Right answers here are written in forms
whose float64 evaluation cancels or overflows. Inputs that cannot be judged are "invalid" with a
reason; "undecided" is left for a symbolic time-out.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy

from lossedu import problems
from lossedu.checking.symbolic import SYMBOLS

y, yhat, z, p = (SYMBOLS[n] for n in ("y", "yhat", "z", "p"))


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + np.exp(-v))


# ---------------------------------------------------------------------------- wrong, almost everywhere
@pytest.mark.parametrize("answer, where", [
    ("Piecewise((7, Eq(z, 0)), (sigmoid(z) - y, True))", {"z": 0.0}),            # at 0: no constant to see
    ("Piecewise((0, Eq(z, 0.3)), (sigmoid(z) - y, True))", {"z": 0.3}),
    ("Piecewise((1, Eq(2*z, 3)), (sigmoid(z) - y, True))", {"z": 1.5}),
    ("Piecewise((sigmoid(z) - y, z < 12345), (0, True))", None),                  # cut-off far out
    ("Piecewise((sigmoid(z) - y, Abs(z) < 1e7), (1 - y, True))", None),
    ("sigmoid(z) - y + exp(-(z - 37)**2)", None),                                 # a bump far away
    ("sigmoid(z) - y + exp(z - 60)", None),                                      # grows far out
    ("sigmoid(z) - y + Heaviside(z - 25)/1000", None),
])
def test_bce_logit_near_misses_are_incorrect_with_a_counterexample(answer, where):
    r = problems.check("grad.bce_logit", answer)
    assert r.status == "incorrect", (answer, r)
    ce = r.counterexample
    assert ce and "point" in ce
    if where is not None:
        for name, value in where.items():
            assert ce["point"][name] == pytest.approx(value)
    # the counterexample is true: the reference at that point is what it says
    zz, yy = ce["point"]["z"], ce["point"]["y"]
    if isinstance(ce["expected"], float) and abs(zz) < 700:
        assert ce["expected"] == pytest.approx(_sigmoid(zz) - yy, rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("answer", [
    "Piecewise((0, Eq(yhat, y + 1)), (yhat - y, True))",      # a line, no number of its own
    "Piecewise((0, Eq(yhat, y/3)), (yhat - y, True))",        # exact only in rational arithmetic
    "Piecewise((0, Eq(yhat, 2*y)), (yhat - y, True))",
    "Piecewise((5, Eq(yhat**2, y**2 + 1)), (yhat - y, True))",  # a quadratic condition
])
def test_single_point_on_a_condition_of_the_answer_is_found(answer):
    r = problems.check("grad.mse", answer)
    assert r.status == "incorrect", (answer, r)
    pt = r.counterexample["point"]
    assert r.counterexample["expected"] == pytest.approx(pt["yhat"] - pt["y"], rel=1e-5, abs=1e-9)


def test_at_a_kink_any_subgradient_is_right_and_nothing_else():
    assert problems.check("grad.mae", "Piecewise((0.5, Eq(yhat, y)), (sign(yhat - y), True))").correct
    assert problems.check("grad.mae", "Piecewise((-1, Eq(yhat, y)), (sign(yhat - y), True))").correct
    r = problems.check("grad.mae", "Piecewise((3, Eq(yhat, y)), (sign(yhat - y), True))")
    assert r.status == "incorrect" and r.diagnosis == "kink"
    assert r.counterexample["point"]["y"] == r.counterexample["point"]["yhat"]
    assert problems.check("grad.hinge", "Piecewise((-y/2, Eq(y*s, 1)), (-y*1[y*s < 1], True))").correct
    r = problems.check("grad.hinge", "Piecewise((5, Eq(y*s, 1)), (-y*1[y*s < 1], True))")
    assert r.status == "incorrect"
    assert r.counterexample["point"]["y"] * r.counterexample["point"]["s"] == 1


# ---------------------------------------------------------------------------- numerical safeguards
@pytest.mark.parametrize("pid, answer", [
    ("grad.bce_logit", "sigmoid(z) - y + 1e-9"),
    ("grad.bce_logit", "sigmoid(z) - y - 3e-12"),
    ("grad.bce_prob", "(p - y)/(p*(1 - p) + 1e-12)"),
    ("grad.bce_prob", "(p - y)/(p*(1 - p) + 1e-7)"),
    ("grad.bce_prob", "-y/(p + 1e-8) + (1 - y)/(1 - p + 1e-8)"),
    ("grad.mse", "(yhat - y)*(1 + 1e-10)"),
])
def test_a_numerical_safeguard_is_not_the_derivative(pid, answer):
    r = problems.check(pid, answer)
    assert r.status == "incorrect" and r.diagnosis == "safeguard", (answer, r)
    assert "safeguard" in r.message
    assert r.counterexample["expected"] != r.counterexample["got"]


def test_a_legitimate_small_coefficient_is_not_called_a_safeguard():
    r = problems.check("grad.bce_logit", "sigmoid(z) - y + 0.01")
    assert r.status == "incorrect" and r.diagnosis != "safeguard"


# ---------------------------------------------------------------------------- rounding never decides
def test_catastrophic_cancellation_does_not_reject_an_exact_identity():
    expanded = sympy.expand((yhat - y) ** 24)
    answer = (yhat - y) + (yhat - y) ** 24 - expanded          # exactly yhat - y
    text = f"yhat - y + (yhat - y)**24 - ({expanded})"
    # float64 really does break down on this form at ordinary points:
    f = sympy.lambdify((y, yhat), answer, "numpy")
    assert abs(f(-2.9, 2.8) - 5.7) > 1e-3
    assert problems.check("grad.mse", text).status == "correct"
    assert problems.check("grad.mse", text + " + 1/1000").status == "incorrect"


@pytest.mark.parametrize("form", [
    "sigmoid(z) - y", "exp(z)/(1 + exp(z)) - y", "1/(1 + exp(-z)) - y", "1 - y - 1/(1 + exp(z))",
    "(exp(z) - y*exp(z) - y)/(1 + exp(z))",
])
def test_sigmoid_spelling_never_changes_the_verdict(form):
    assert problems.check("grad.bce_logit", form).status == "correct", form


@pytest.mark.parametrize("forms", [
    ("sigmoid(z)", "exp(z)/(1 + exp(z))"),
    ("y - sigmoid(z)", "y - exp(z)/(1 + exp(z))"),
    ("sigmoid(z)*(1 - sigmoid(z)) - y", "exp(z)/(1 + exp(z))**2 - y"),
])
def test_sigmoid_spelling_never_changes_a_wrong_verdict(forms):
    a, b = (problems.check("grad.bce_logit", f) for f in forms)
    assert a.status == b.status == "incorrect"
    assert a.diagnosis == b.diagnosis


# ---------------------------------------------------------------------------- invalid, never undecided
@pytest.mark.parametrize("pid, answer, says", [
    ("grad.bce_logit", "exp(exp(exp(1000)))", "too large"),
    ("grad.bce_logit", "sigmoid(z) - y + exp(710)", "too large"),
    ("grad.bce_logit", "np.exp(1e5)*z", "too large"),
    ("grad.bce_logit", "10**400", "too large"),
    ("grad.bce_logit", "log(0)", "not finite"),
    ("grad.softmax_ce", "[z1, z2", "never closed"),
    ("grad.softmax_ce", "(z1, z2, z3))", "no opening one"),
    ("grad.softmax_ce", "[z1, , z3]", "component 2 is empty"),
    ("grad.softmax_ce", "[z1; z2; z3]", "write the list as"),
    ("grad.softmax_ce", [None, "z2", "z3"], "Component 1"),
    ("grad.softmax_ce", [["z1"], ["z2"], ["z3"]], "Component 1"),
    ("grad.softmax_ce", {"a": 1}, "Expected a list"),
])
def test_unjudgeable_input_is_invalid_with_a_reason(pid, answer, says):
    r = problems.check(pid, answer)
    assert r.status == "invalid", (answer, r)
    assert says in r.message
    assert "Error" not in r.message  # no internal exception names


def test_a_list_without_brackets_is_read():
    text = ", ".join(f"exp(z{j})/(exp(z1) + exp(z2) + exp(z3)) - y{j}" for j in (1, 2, 3))
    assert problems.check("grad.softmax_ce", text).status == "correct"


def test_an_internal_failure_is_invalid_without_internal_names(monkeypatch):
    from lossedu.checking import judge

    def broken(*args, **kwargs):
        raise TypeError("unsupported operand type(s)")
    monkeypatch.setattr(judge, "compare", broken)
    r = problems.check("grad.bce_logit", "sigmoid(z) - y")
    assert r.status == "invalid" and "not marked wrong" in r.message
    assert "TypeError" not in r.message and "operand" not in r.message


@pytest.mark.parametrize("pid", ["grad.bce_logit", "grad.softmax_ce", "grad.hinge"])
def test_junk_is_never_undecided(pid):
    junk = ["", "(", ")(", "[[[", "exp(exp(exp(1000)))", "1e400", "nan", "oo", "zoo", "I", "2j",
            "y.__class__", "\\frac{", "1[", "sum_k", "$$", "\\", "e^", "np.", "lambda", 10**400,
            float("nan"), 1j, object(), b"z", ["z1"] * 3 + ["("], {"z": 1}, sympy.Matrix([[1, 2], [3, 4]]),
            sympy.Function("f")(z), sympy.Integral(z, z), np.array(["a"]), (x for x in ())]
    for answer in junk:
        r = problems.check(pid, answer)
        assert r.status in ("invalid", "incorrect"), (pid, answer, r)
        assert "Error" not in r.message, (answer, r.message)

"""Answers written the way learners write them are read, and read as what they mean.

Each spelling is compared with the same answer in the plain grammar (parsed, never evaluated),
and the common ones are checked end to end against the bank's reference.
"""
from __future__ import annotations

import pytest
import sympy

from lossedu import problems
from lossedu.checking.symbolic import SYMBOLS, ParseError, latex, parse

REG = ["y", "yhat"]
PROB = ["y", "p"]
LOGIT = ["y", "z"]
HINGE = ["y", "s"]
SOFTMAX = ["z1", "z2", "z3", "y1", "y2", "y3"]
RIDGE = ["w", "x", "y", "lam"]


@pytest.mark.parametrize("text, variables, plain", [
    # implicit multiplication: number, variable, closing and opening bracket
    ("2(yhat - y)", REG, "2*(yhat - y)"),
    ("2 (yhat - y)", REG, "2*(yhat - y)"),
    ("5w - 8", ["w"], "5*w - 8"),
    ("3.5w", ["w"], "3.5*w"),
    ("p(1 - p)", PROB, "p*(1 - p)"),
    ("(p - y)/(p(1 - p))", PROB, "(p - y)/(p*(1 - p))"),
    ("(1 - p)(1 + p)", PROB, "(1 - p)*(1 + p)"),
    ("(yhat - y)yhat", REG, "(yhat - y)*yhat"),
    ("y yhat", REG, "y*yhat"),
    ("-ys", HINGE, "-y*s"),
    ("2exp(z)", LOGIT, "2*exp(z)"),
    ("y sigmoid(z)", LOGIT, "y*sigmoid(z)"),
    ("2 lam w", RIDGE, "2*lam*w"),
    ("1e-3 z", LOGIT, "0.001*z"),
    # LaTeX
    (r"\frac{p - y}{p(1 - p)}", PROB, "(p - y)/(p*(1 - p))"),
    (r"\dfrac{1}{2}(\hat{y} - y)", REG, "(yhat - y)/2"),
    (r"\hat{y} - y", REG, "yhat - y"),
    (r"\hat y - y", REG, "yhat - y"),
    (r"\sigma(z) - y", LOGIT, "sigmoid(z) - y"),
    (r"\exp(-z) \cdot y", LOGIT, "exp(-z)*y"),
    (r"y \times \log p", PROB, "y*log(p)"),
    (r"\ln(p) - \ln(1 - p)", PROB, "log(p) - log(1 - p)"),
    (r"\sqrt{p}", PROB, "sqrt(p)"),
    (r"\left( \hat{y} - y \right)^{2}", REG, "(yhat - y)**2"),
    (r"e^{-z}", LOGIT, "exp(-z)"),
    (r"2\lambda w", RIDGE, "2*lam*w"),
    (r"\max(0, 1 - y s)", HINGE, "Max(0, 1 - y*s)"),
    (r"\tanh(z)", LOGIT, "tanh(z)"),
    (r"\operatorname{softplus}(z)", LOGIT, "log(1 + exp(z))"),
    (r"$\hat{y} - y$", REG, "yhat - y"),
    (r"\frac{e^{z_1}}{e^{z_1} + e^{z_2} + e^{z_3}} - y_1", SOFTMAX,
     "exp(z1)/(exp(z1) + exp(z2) + exp(z3)) - y1"),
    # variable aliases
    ("y_hat - y", REG, "yhat - y"),
    ("ŷ - y", REG, "yhat - y"),
    ("y\u0302 - y", REG, "yhat - y"),
    ("lambda*w", RIDGE, "lam*w"),
    ("λw", RIDGE, "lam*w"),
    ("z_1 - y_1", SOFTMAX, "z1 - y1"),
    ("z_{2} - y_{2}", SOFTMAX, "z2 - y2"),
    # e, prefixes
    ("e^z/(1 + e^z)", LOGIT, "exp(z)/(1 + exp(z))"),
    ("e**(-z)", LOGIT, "exp(-z)"),
    ("np.exp(z)/(1 + np.exp(z))", LOGIT, "exp(z)/(1 + exp(z))"),
    ("numpy.log(p)", PROB, "log(p)"),
    ("math.exp(-z)", LOGIT, "exp(-z)"),
    ("np.maximum(0, 1 - y*s)", HINGE, "Max(0, 1 - y*s)"),
    ("math.e**z", LOGIT, "exp(z)"),
    ("np.pi*z", LOGIT, "pi*z"),
    # more functions
    ("softplus(z)", LOGIT, "log(1 + exp(z))"),
    ("log1p(exp(-z))", LOGIT, "log(1 + exp(-z))"),
    ("expm1(z)", LOGIT, "exp(z) - 1"),
    ("logaddexp(0, z)", LOGIT, "log(1 + exp(z))"),
    ("expit(z) - y", LOGIT, "sigmoid(z) - y"),
    ("logistic(z) - y", LOGIT, "sigmoid(z) - y"),
    ("sgn(yhat - y)", REG, "sign(yhat - y)"),
    ("clip(z, -1, 1)", LOGIT, "Min(Max(z, -1), 1)"),
    ("heaviside(z, 0.5)", LOGIT, "Heaviside(z, 0.5)"),
    ("relu(1 - y*s)", HINGE, "Max(0, 1 - y*s)"),
    ("max(0, 1 - y*s)", HINGE, "Max(0, 1 - y*s)"),
    # indicators
    ("-y*1[y*s < 1]", HINGE, "Piecewise((-y, y*s < 1), (0, True))"),
    ("-y 𝟙(y s < 1)", HINGE, "Piecewise((-y, y*s < 1), (0, True))"),
    (r"-y \mathbb{1}[y s < 1]", HINGE, "Piecewise((-y, y*s < 1), (0, True))"),
    (r"-y\,\mathbb{1}_{y s < 1}", HINGE, "Piecewise((-y, y*s < 1), (0, True))"),
    # a sum over the problem's index
    ("exp(z1)/sum_k exp(z_k) - y1", SOFTMAX, "exp(z1)/(exp(z1) + exp(z2) + exp(z3)) - y1"),
    (r"\frac{e^{z_2}}{\sum_k e^{z_k}} - y_2", SOFTMAX, "exp(z2)/(exp(z1) + exp(z2) + exp(z3)) - y2"),
    (r"\frac{e^{z_3}}{\sum_{j=1}^{3} e^{z_j}} - y_3", SOFTMAX,
     "exp(z3)/(exp(z1) + exp(z2) + exp(z3)) - y3"),
    ("exp(z1)/Σ_k exp(z_k)", SOFTMAX, "exp(z1)/(exp(z1) + exp(z2) + exp(z3))"),
])
def test_notation_is_read_as_the_plain_answer(text, variables, plain):
    got = parse(text, variables)
    want = parse(plain, variables)
    assert sympy.simplify(got - want) == 0, (text, got, want)


@pytest.mark.parametrize("text, variables, message", [
    ("f(z)", LOGIT, r"unknown name 'f'"),              # an unknown name before '(' is not a product
    ("y z1", LOGIT, r"unknown name 'z1'|not a variable"),
    ("2 3", LOGIT, r"not a valid expression"),
    ("(z - 1)2", LOGIT, r"not a valid expression"),
    ("yq", LOGIT, r"unknown name 'yq'"),                # not a run of variables
    (r"\frac{1}{2", LOGIT, r"never closed"),
])
def test_ambiguous_or_unknown_spellings_are_refused(text, variables, message):
    with pytest.raises(ParseError, match=message):
        parse(text, variables)


def test_run_of_variables_reads_as_a_product_only_when_unambiguous():
    assert parse("ys", HINGE) == parse("y*s", HINGE)
    # 'yhat' is a variable itself, so it is never split into y*h*a*t
    assert parse("yhat", REG) == SYMBOLS["yhat"]
    # 'yy' with only y: unambiguous
    assert parse("yy", ["y"]) == SYMBOLS["y"] ** 2


def test_function_name_before_a_bracket_is_a_call_variable_is_a_product():
    assert parse("exp(z)", LOGIT) == sympy.exp(SYMBOLS["z"])
    assert parse("z(z + 1)", LOGIT) == SYMBOLS["z"] * (SYMBOLS["z"] + 1)
    assert parse("sigmoid (z)", LOGIT) == parse("sigmoid(z)", LOGIT)


def test_interpreted_as_shows_the_reading_of_implicit_products():
    r = problems.check("grad.bce_prob", r"\frac{p - y}{p(1 - p)}")
    assert r.status == "correct", r
    assert "p" in r.interpreted and "1 - p" in r.interpreted.replace(" ", " ")
    r = problems.check("grad.mse", "2(yhat - y)")  # read, then judged (twice the gradient)
    assert r.status == "incorrect" and r.diagnosis == "factor"
    assert r.interpreted and "2" in r.interpreted


def test_display_mode_keeps_sigma_unexpanded():
    shown = parse("sigmoid(z) - y", LOGIT, display=True)
    assert "sigma" in latex(shown) and "e^" not in latex(shown)
    judged = parse("sigmoid(z) - y", LOGIT)
    assert "sigma" not in str(judged)


@pytest.mark.parametrize("pid, answer", [
    ("grad.mse", "y_hat - y"),
    ("grad.mse", r"\hat{y} - y"),
    ("grad.mse", "ŷ − y"),
    ("grad.bce_prob", r"\frac{p - y}{p(1 - p)}"),
    ("grad.bce_prob", "(p - y)/(p(1 - p))"),
    ("grad.bce_logit", r"\sigma(z) - y"),
    ("grad.bce_logit", "np.exp(z)/(1 + np.exp(z)) - y"),
    ("grad.bce_logit", "e^z/(1 + e^z) - y"),
    ("grad.bce_logit", "expit(z) - y"),
    ("grad.bce_logit", "1/(1 + math.exp(-z)) - y"),
    ("grad.bce_logit", "(tanh(z/2) + 1)/2 - y"),
    ("grad.hinge", "-y*1[y*s < 1]"),
    ("grad.hinge", r"-y \mathbb{1}[ys < 1]"),
    ("grad.hinge", "-y 𝟙(y s < 1)"),
])
def test_correct_answers_in_learner_notation_are_correct(pid, answer):
    r = problems.check(pid, answer)
    assert r.status == "correct", (answer, r)


def test_softmax_gradient_with_a_sum_over_the_index():
    answer = [r"\frac{e^{z_%d}}{\sum_k e^{z_k}} - y_%d" % (j, j) for j in (1, 2, 3)]
    assert problems.check("grad.softmax_ce", answer).status == "correct"
    text = "[exp(z1)/sum_k exp(z_k) - y1, exp(z2)/sum_k exp(z_k) - y2, exp(z3)/sum_k exp(z_k) - y3]"
    assert problems.check("grad.softmax_ce", text).status == "correct"
    wrong = [r"\frac{e^{z_%d}}{\sum_k e^{z_k}}" % j for j in (1, 2, 3)]
    assert problems.check("grad.softmax_ce", wrong).status == "incorrect"

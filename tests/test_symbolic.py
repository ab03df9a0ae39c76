"""The answer parser accepts the course's notation and SymPy's own printed form."""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lossedu.checking.symbolic import SYMBOLS, ParseError, latex, parse, sigmoid, to_expr, vet

y, yhat, z, s, x, p = (SYMBOLS[n] for n in ("y", "yhat", "z", "s", "x", "p"))
delta, lam, eps = SYMBOLS["delta"], SYMBOLS["lam"], SYMBOLS["eps"]
ALL = list(SYMBOLS)


def same(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Structurally equal, or equal after simplification."""
    return a == b or sympy.simplify(a - b) == 0


# --- symbols ---------------------------------------------------------------------------------

def test_symbols_have_course_assumptions():
    assert set(SYMBOLS) >= {"y", "yhat", "p", "z", "s", "r", "w", "x", "eps", "lam", "z1", "z2",
                            "z3", "y1", "y2", "y3", "b", "t", "delta", "alpha", "beta"}
    for name, sym in SYMBOLS.items():
        assert sym.name == name and sym.is_real
    for name in ("delta", "alpha", "beta"):
        assert SYMBOLS[name].is_positive
    assert SYMBOLS["z"].is_positive is None  # real, sign unknown


# --- accepted forms --------------------------------------------------------------------------

@pytest.mark.parametrize("text, variables, expected", [
    ("2*(yhat - y)", ["y", "yhat"], 2 * (yhat - y)),
    ("(yhat - y)^2", ["y", "yhat"], (yhat - y) ** 2),
    ("x^2*y", ["x", "y"], x**2 * y),                 # ^ binds like **, before *
    ("-x**2", ["x"], -(x**2)),
    ("exp(-z)", ["z"], sympy.exp(-z)),
    ("log(p)", ["p"], sympy.log(p)),
    ("sqrt(z**2 + 1)", ["z"], sympy.sqrt(z**2 + 1)),
    ("abs(yhat - y)", ["y", "yhat"], sympy.Abs(yhat - y)),
    ("Abs(yhat - y)", ["y", "yhat"], sympy.Abs(yhat - y)),
    ("sign(z)", ["z"], sympy.sign(z)),
    ("sigmoid(z) - y", ["y", "z"], 1 / (1 + sympy.exp(-z)) - y),
    ("Heaviside(z)", ["z"], sympy.Heaviside(z)),
    ("Heaviside(z, 0)", ["z"], sympy.Heaviside(z, 0)),
    ("max(0, 1 - s*y)", ["s", "y"], sympy.Max(0, 1 - s * y)),
    ("Max(0, 1 - s*y)", ["s", "y"], sympy.Max(0, 1 - s * y)),
    ("min(z, y, 1)", ["y", "z"], sympy.Min(z, y, 1)),
    ("1/2*z", ["z"], sympy.Rational(1, 2) * z),
    ("1.0e-5*z", ["z"], sympy.Float(1e-5) * z),
    ("pi*E", [], sympy.pi * sympy.E),
    ("+z", ["z"], z),
    # Unicode spellings
    ("ŷ − y", ["y", "yhat"], yhat - y),
    ("2·(ŷ − y)", ["y", "yhat"], 2 * (yhat - y)),
    ("2×z", ["z"], 2 * z),
    ("σ(z)", ["z"], 1 / (1 + sympy.exp(-z))),
    ("δ²/2", ["delta"], delta**2 / 2),
    ("z³", ["z"], z**3),
    ("λ·ε", ["lam", "eps"], lam * eps),
    ("  y  ", ["y"], y),
])
def test_accepted_forms(text, variables, expected):
    assert parse(text, variables) == expected


def test_piecewise_with_chained_and_combined_conditions():
    got = parse("Piecewise((z, 0 < z < 1), (1, z >= 1), (0, True))", ["z"])
    want = sympy.Piecewise((z, (z > 0) & (z < 1)), (1, z >= 1), (0, True))
    assert got == want
    got = parse("Piecewise((delta*z, (z > delta) | (z < -delta)), (z**2/2, True))",
                ["z", "delta"])
    assert got.subs(z, 3).subs(delta, 1) == 3 and got.subs(z, 0.5).subs(delta, 1) == 0.125
    eq = parse("Piecewise((1, z == 0), (2, z != 1), (0, True))", ["z"])
    assert eq.subs(z, 0) == 1 and eq.subs(z, 1) == 0 and eq.subs(z, 5) == 2


def test_sigmoid_matches_reference_form():
    assert parse("sigmoid(z)", ["z"]) == sigmoid(z) == 1 / (1 + sympy.exp(-z))
    assert sigmoid(0) == sympy.Rational(1, 2)


def test_parsed_value_matches_hand_computed_number():
    # Huber at z = 3, delta = 1: delta*(|z| - delta/2) = 2.5
    e = parse("Piecewise((z**2/2, abs(z) <= delta), (delta*(abs(z) - delta/2), True))",
              ["z", "delta"])
    assert e.subs({z: 3, delta: 1}) == sympy.Rational(5, 2)
    assert math.isclose(float(parse("log(1 + exp(-z))", ["z"]).subs(z, 0)), math.log(2))


# --- round trip of str() ---------------------------------------------------------------------

CURATED = [
    sympy.Piecewise((x, x > 0), (0, True)),
    sympy.Piecewise((1, sympy.Eq(z, 0)), (z, (z > 0) & (z < 1)), (2, (z > 2) | (y < 0)),
                    (0, True)),
    sympy.Piecewise((z, sympy.Ne(z, 0)), (0, True)),
    sympy.Piecewise((z, sympy.Not((z > 0) & (y > 0))), (0, True)),
    sympy.Heaviside(z), sympy.Heaviside(z, 0), sympy.Heaviside(z - 1, 1),
    sympy.Max(0, 1 - s * y), sympy.Min(z, y, 0),
    -y * (1 - 1 / (1 + sympy.exp(-z))),
    sympy.Abs(yhat - y), sympy.sign(yhat - y), -y * sympy.Heaviside(1 - s * y),
    sympy.Float(1e-5) * z, sympy.Float("1.5e20") * y, sympy.Rational(1, 2) * (yhat - y) ** 2,
    sympy.log(1 + sympy.exp(-z)), sympy.sqrt(z**2 + 1) - 1, z ** sympy.Rational(1, 3),
    2 * (yhat - y) / 3, -(y * sympy.log(p) + (1 - y) * sympy.log(1 - p)),
    -y / p + (1 - y) / (1 - p), sympy.pi * sympy.E * z, sympy.exp(2) * z,
    sympy.sqrt(2) / 2 * z, delta**2 * (sympy.sqrt(1 + (z / delta) ** 2) - 1),
    sympy.log(sympy.cosh(z)).rewrite(sympy.exp), SYMBOLS["alpha"] * SYMBOLS["beta"] * lam,
    sympy.Piecewise((delta * (sympy.Abs(z) - delta / 2), sympy.Abs(z) > delta),
                    (z**2 / 2, True)),
    sympy.Max(0, z) - z * y + sympy.log(1 + sympy.exp(-sympy.Abs(z))),
    SYMBOLS["z1"] - SYMBOLS["y1"] + SYMBOLS["z2"] ** 2 * SYMBOLS["t"] - SYMBOLS["b"],
    sympy.Integer(-7) * eps / 10**15,
]


@pytest.mark.parametrize("expr", CURATED, ids=str)
def test_str_round_trip_curated(expr):
    back = parse(str(expr), ALL)
    assert same(back, expr), (str(expr), back)


_leaves = st.sampled_from([y, yhat, z, s, p, delta, sympy.Integer(2), sympy.Integer(-3),
                           sympy.Rational(1, 3), sympy.Float(0.25), sympy.pi])


def _grow(children):
    two = st.tuples(children, children)
    return st.one_of(
        two.map(lambda t: t[0] + t[1]), two.map(lambda t: t[0] * t[1]),
        two.map(lambda t: t[0] - t[1]), children.map(lambda a: a**2),
        children.map(sympy.exp), children.map(sympy.Abs), children.map(sympy.sign),
        children.map(sympy.Heaviside), children.map(sigmoid), two.map(lambda t: sympy.Max(*t)),
        two.map(lambda t: sympy.Min(*t)),
        two.map(lambda t: sympy.Piecewise((t[0], t[1] > 0), (t[1], True))),
    )


def _beyond_float(expr) -> bool:
    """True when ``expr`` holds exp of a constant above 709 (no float can hold it; the parser refuses it)."""
    return any(a.args[0].is_number and bool(a.args[0] > 709) for a in expr.atoms(sympy.exp))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.recursive(_leaves, _grow, max_leaves=8))
@example(sympy.exp(sympy.exp(sympy.pi**2)))
def test_str_round_trip_generated(expr):
    if _beyond_float(expr):
        with pytest.raises(ParseError, match="number too large"):
            parse(str(expr), ALL)
        return
    back = parse(str(expr), ALL)
    if back != expr:  # printed floats carry 15 digits: compare values instead
        point = {sym: sympy.Rational(k + 2, 7) for k, sym in enumerate([y, yhat, z, s, p, delta])}
        a, b = complex(back.evalf(subs=point)), complex(expr.evalf(subs=point))
        assert abs(a - b) <= 1e-9 * (1 + abs(b)), (str(expr), back)


# --- error messages --------------------------------------------------------------------------

@pytest.mark.parametrize("text, variables, message", [
    ("", ["y"], "empty answer"),
    ("   ", ["y"], "empty answer"),
    ("foo + 1", ["y", "yhat"], r"unknown name 'foo'.*allowed names: y, yhat, exp, log"),
    ("p - y", ["y", "z"], r"'p' is not a variable of this problem; use: y, z"),
    ("2foo", ["y"], r"unknown name 'foo'"),
    ("(y - 1)2", ["y"], r"not a valid expression"),
    ("\\frac{y}", ["y"], r"missing its argument"),
    ("\\sqrt[3]{y}", ["y"], r"only square roots"),
    ("\\mathbb{R}", ["y"], r"only allowed for the indicator"),
    ("\\gamma", ["y"], r"LaTeX command \\gamma is not supported"),
    ("sum_k y", ["y"], r"no indexed variables"),
    ("sum_k z1", ["z1", "z2"], r"never uses the index k"),
    ("exp(exp(exp(1000)))", ["y"], r"number too large: exp of a number above 709"),
    ("y + exp(800)", ["y"], r"number too large"),
    ("exp(y, 2)", ["y"], r"exp\(\) takes 1 argument, got 2"),
    ("Max(y)", ["y"], r"Max\(\) takes at least 2 arguments, got 1"),
    ("Heaviside(y, 0, 1)", ["y"], r"Heaviside\(\) takes 1 or 2 arguments, got 3"),
    ("Piecewise(y, True)", ["y"], r"Piecewise takes pairs"),
    ("exp", ["y"], r"function 'exp' needs an argument"),
    ("y > 0", ["y"], r"comparison outside Piecewise"),
    ("y & 1", ["y"], r"only allowed in Piecewise conditions"),
    ("1/(y - y)", ["y"], r"division by zero"),
    ("log(0)", ["y"], r"not finite"),
    ("(y + 1", ["y"], r"not a valid expression"),
    ("9**9**9", ["y"], r"number too large"),
    ("10**20", ["y"], r"number too large"),
    ("True", ["y"], r"'True' outside a Piecewise condition"),
])
def test_error_messages_name_the_problem(text, variables, message):
    with pytest.raises(ParseError, match=message):
        parse(text, variables)


def test_parse_error_carries_message_and_column():
    with pytest.raises(ParseError) as info:
        parse("y + foo", ["y"])
    err = info.value
    assert err.position == 4 and "foo" in err.message
    assert str(err).startswith("unknown name 'foo'") and str(err).endswith("at column 4")
    assert isinstance(err, ValueError)
    with pytest.raises(ParseError) as info:
        parse("", ["y"])
    assert info.value.position is None and str(info.value) == "empty answer"


def test_unknown_variable_list_is_a_programming_error():
    with pytest.raises(ValueError, match="'q' is not a course symbol"):
        parse("y", ["q"])


# --- vet -------------------------------------------------------------------------------------

def test_vet_renames_plain_symbols_onto_course_symbols():
    plain_z, plain_y = sympy.symbols("z y")  # no assumptions
    got = vet(-plain_y * (1 - sigmoid(plain_z)), ["y", "z"])
    assert got.free_symbols == {y, z}
    assert got == -y * (1 - sigmoid(z))
    assert vet(sympy.Abs(sympy.Symbol("delta")), ["delta"]) == delta  # positive: |delta| = delta


def test_vet_accepts_allowed_structures():
    e = sympy.Piecewise((sympy.Max(0, z), sympy.Eq(y, 1) & (z > 0)), (sympy.Heaviside(z), True))
    assert vet(e, ["y", "z"]) == e


@pytest.mark.parametrize("bad, message", [
    (sympy.Symbol("q") + 1, r"unknown name 'q'"),
    (sympy.Symbol("p") + 1, r"'p' is not a variable of this problem; use: y, z"),
    (sympy.Function("f")(sympy.Symbol("z")), r"f is not allowed"),
    (sympy.sin(sympy.Symbol("z")), r"sin is not allowed"),
    (sympy.Derivative(sympy.Symbol("z") ** 2, sympy.Symbol("z")), r"Derivative is not allowed"),
    (sympy.Integral(sympy.Symbol("z"), sympy.Symbol("z")), r"Integral is not allowed"),
    (sympy.ImmutableMatrix([[1, 2]]), r"is not allowed"),
    (sympy.Integer(10) ** 20, r"number too large"),
    (sympy.oo, r"not finite"),
    (sympy.I * sympy.Symbol("z"), r"complex numbers are not allowed"),
    (sympy.Symbol("z") > 0, r"got a condition"),
])
def test_vet_rejects(bad, message):
    with pytest.raises(ParseError, match=message):
        vet(bad, ["y", "z"])


# --- to_expr ---------------------------------------------------------------------------------

def test_to_expr_dispatches():
    assert to_expr("2*z", ["z"]) == 2 * z
    assert to_expr(sympy.Symbol("z") * 2, ["z"]) == 2 * z
    assert to_expr(3, ["z"]) == sympy.Integer(3) and isinstance(to_expr(3, []), sympy.Integer)
    assert to_expr(0.5, ["z"]) == sympy.Float(0.5)
    assert to_expr(np.float64(0.25), []) == sympy.Float(0.25)
    assert to_expr(np.int64(4), []) == sympy.Integer(4)


@pytest.mark.parametrize("bad, message", [
    ([1, 2], r"expected an expression as text or a SymPy expression, got list"),
    (None, r"got NoneType"),
    (True, r"got bool"),
    (np.bool_(True), r"got bool"),
    (float("nan"), r"not finite"),
    (float("inf"), r"not finite"),
    (np.float64("inf"), r"not finite"),
    (sympy.Matrix([1, 2]), r"got MutableDenseMatrix"),
    (np.array([1.0, 2.0]), r"got ndarray"),
    (b"z", r"got bytes"),
])
def test_to_expr_rejects(bad, message):
    with pytest.raises(ParseError, match=message):
        to_expr(bad, ["z"])


# --- latex -----------------------------------------------------------------------------------

def test_latex_uses_course_notation():
    out = latex(parse("(yhat - y)**2 + lam*eps + delta", ["y", "yhat", "lam", "eps", "delta"]))
    assert r"\hat{y}" in out and r"\lambda" in out and r"\varepsilon" in out
    assert r"\delta" in out and "yhat" not in out and out.count("lam") == out.count(r"\lambda")
    assert latex(sympy.Symbol("yhat")) == r"\hat{y}"

"""Attacks on the answer checker: wrong answers that must not pass, right answers in unusual
forms that must, and inputs that must neither hang, raise nor leak the reference."""
from __future__ import annotations

import contextlib
import io
import time
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from scipy.special import expit, log_expit

import lossedu
from lossedu import check, check_steps, losses
from lossedu.checking.judge import HARD_LIMIT
from lossedu.result import CORRECT, INCORRECT, INVALID, STATUSES
from lossedu.checking.symbolic import SYMBOLS


def status(pid, answer):
    return check(pid, answer).status


# ---------------------------------------------------------------------------- far-out cheats
# Each answer equals the reference on [-3, 3] (and just around the kinks), but not everywhere.
FAR_CHEATS = [
    ("grad.bce_logit", "Piecewise((sigmoid(z) - y, abs(z) < 3.01), (0, True))"),
    ("grad.bce_logit", "Piecewise((sigmoid(z) - y, z > -5), (7, True))"),
    ("grad.bce_logit", "Piecewise((sigmoid(z) - y, abs(z) < 1e9), (0, True))"),
    ("grad.bce_logit", "Piecewise((sigmoid(z) - y, abs(z/7) < 3), (0, True))"),
    ("grad.bce_logit", "sigmoid(z) - y + exp(z - 50)"),
    ("grad.bce_logit", "sigmoid(z) - y + exp(z**2 - 100)"),
    ("grad.bce_logit", "sigmoid(z) - y + 1e-300*exp(z**2)"),
    ("grad.hinge", "Piecewise((-y, (s*y < 1) & (s > -29)), (0, True))"),
    ("grad.hinge", "-y*Heaviside(1 - s*y)*Heaviside(s + 100)"),
    ("grad.mae", "Max(-1, Min(1, 1e4*(yhat - y)))"),          # wrong within 1e-4 of the tie
    ("grad.mae", "Max(-1, Min(1, 1e9*(yhat - y)))"),
    ("grad.huber", "Piecewise((yhat - y, Abs(yhat - y) <= delta), (delta*sign(yhat - y), delta < 1e7), (0, True))"),
    ("grad.bce_prob", "Piecewise(((p - y)/(p*(1 - p)), p > 0.01), (0, True))"),
    ("grad.bce_prob", "Piecewise(((p - y)/(p*(1 - p)), p < 0.999999), (0, True))"),
    ("grad.l2_objective", "Piecewise((lam*w + x*(w*x - y), lam < 1e5), (0, True))"),
    ("grad.asymmetric_abs", "Piecewise((alpha, (yhat > y) & (alpha < 1e8)), (-beta, yhat < y), (0, True))"),
    ("grad.pairwise_preference", "Piecewise((sigmoid(s - t) - 1, s - t < 40), (1, True))"),
    ("grad.bce_logit", "Piecewise((7, Eq(z, 1.25)), (sigmoid(z) - y, True))"),   # one special point
    ("grad.hinge", "Piecewise((5, Eq(s, 2.5)), (-y*Heaviside(1 - s*y), True))"),
]


@pytest.mark.parametrize("pid, answer", FAR_CHEATS)
def test_answers_right_only_near_the_sample_are_rejected(pid, answer):
    r = check(pid, answer)
    assert r.status == INCORRECT, (answer, r.status, r.message)
    assert r.counterexample and "point" in r.counterexample


def test_far_out_counterexample_is_a_real_disagreement():
    r = check("grad.bce_logit", "Piecewise((sigmoid(z) - y, abs(z) < 1e9), (0, True))")
    point, got = r.counterexample["point"], r.counterexample["got"]
    assert abs(point["z"]) >= 1e9 and got == 0.0
    assert r.counterexample["expected"] == pytest.approx(float(expit(point["z"])) - point["y"])


def test_far_out_cheat_in_one_component_of_a_vector():
    good = [f"exp(z{i})/(exp(z1) + exp(z2) + exp(z3)) - (1 - eps)*y{i} - eps/3" for i in (1, 2, 3)]
    assert status("grad.label_smoothing_ce", good) == CORRECT
    cheat = [f"Piecewise(({good[0]}, eps < 0.95), (0, True))"] + good[1:]
    r = check("grad.label_smoothing_ce", cheat)
    assert r.status == INCORRECT and r.details["wrong_components"] == [1]


# Right everywhere, though SymPy cannot prove it or floating point overflows far out.
RIGHT_UNUSUAL = [
    ("grad.bce_logit", "Piecewise((exp(z)/(1 + exp(z)) - y, z > 0), (1/(1 + exp(-z)) - y, True))"),
    ("grad.bce_logit", "sigmoid(z) - Heaviside(y - 1/2)"),      # y is a label: y = H(y - 1/2)
    ("grad.bce_logit", "sigmoid(z) - y**2"),
    ("grad.hinge", "-y*Heaviside(1 - s*y)*y**2"),               # y = ±1: y**2 = 1
    ("grad.hinge", "-y*Heaviside(1 - s*y) + (y**2 - 1)*s**5"),
    ("grad.hinge", "Piecewise((-y, s*y <= 1), (0, True))"),
    ("grad.hinge", "-y*Heaviside(1 - s*y, 1)"),
    ("grad.mae", "2*Heaviside(yhat - y) - 1"),
    ("grad.mae", "Heaviside(yhat - y) - Heaviside(y - yhat)"),
    ("grad.huber", "Max(-delta, Min(delta, yhat - y))"),
    ("grad.asymmetric_abs", "alpha*Heaviside(yhat - y) - beta*Heaviside(y - yhat)"),
    ("grad.weighted_bce_logit", "Piecewise((beta*(1 - y)*exp(z)/(1 + exp(z)) - alpha*y/(1 + exp(z)), z > 0), "
                                "(beta*(1 - y)*sigmoid(z) - alpha*y*(1 - sigmoid(z)), True))"),
    ("grad.l2_objective", "Max(lam*w + x*(w*x - y), -1e9*(1 + w**2 + x**2 + y**2)**2)"),
]


@pytest.mark.parametrize("pid, answer", RIGHT_UNUSUAL)
def test_right_answers_in_unusual_forms_are_accepted(pid, answer):
    r = check(pid, answer)
    assert r.status == CORRECT, (answer, r.status, r.message, r.counterexample)


def test_nested_max_min_is_read_quickly():
    answer = "sign(yhat - y)"
    for i in range(20):
        answer = f"Max(Min({answer}, {i + 1}), -{i + 1})"
    check("grad.mae", "sign(yhat - y)")  # tables built
    start = time.perf_counter()
    r = check("grad.mae", answer)
    assert time.perf_counter() - start < 1.5
    assert r.status == CORRECT


# ---------------------------------------------------------------------------- value answers
VALUE_RIGHT = [0.5, "0.5", "1/2", Fraction(1, 2), Decimal("0.5"), sp.Rational(1, 2), sp.Float(0.5),
               np.float32(0.5), np.float64(0.5), np.array(0.5), np.array([0.5]), [0.5], (0.5,), [[0.5]]]


@pytest.mark.parametrize("answer", VALUE_RIGHT, ids=lambda a: f"{type(a).__name__}:{a!r}"[:40])
def test_a_number_in_any_reasonable_form_is_accepted(answer):
    assert status("example.linreg_risk", answer) == CORRECT


PER_EXAMPLE = [0.125, 0.5, 0.0, 4.5, 1.28125]


@pytest.mark.parametrize("answer", [
    PER_EXAMPLE, tuple(PER_EXAMPLE), np.array(PER_EXAMPLE), np.array([PER_EXAMPLE]),
    np.array(PER_EXAMPLE).reshape(5, 1), sp.Matrix(PER_EXAMPLE), np.array(PER_EXAMPLE, dtype=object),
    [Fraction(1, 8), "1/2", 0, Decimal("4.5"), sp.Rational(41, 32)], "[0.125, 0.5, 0, 4.5, 1.28125]",
    "(1/8, 1/2, 0, 9/2, 41/32)", [[v] for v in PER_EXAMPLE],
], ids=range(11))
def test_several_numbers_in_any_reasonable_form_are_accepted(answer):
    assert status("practice.per_example_risk", answer) == CORRECT


class _AlwaysEqual:
    def __eq__(self, other):
        return True

    def __float__(self):
        return 0.5


class _Lies:
    def __array__(self, dtype=None, copy=None):
        return np.array(0.5)


def _nested(depth):
    out = [0.5]
    for _ in range(depth):
        out = [out]
    return out


@pytest.mark.parametrize("answer, words", [
    (True, "True/False"), (np.bool_(True), "True/False"), (np.float64("nan"), "not finite"),
    (float("inf"), "not finite"), (0.5 + 0j, "complex"), (np.array([0.5 + 0j]), "complex"),
    (_AlwaysEqual(), "expected a number"), (_Lies(), "expected a number"), ({"a": 0.5}, "dict"),
    ((x for x in [0.5]), "generator"), (b"0.5", "bytes"), (sp.nan, "not finite"), (sp.zoo, "not finite"),
    (_nested(5000), "nested"), (np.zeros(10**7), "too many"), ([[1.0] * 1000] * 1000, "too many"),
    ([0.5, [0.5, 0.5]], "different lengths"), (sp.Symbol("z"), "not a variable"),
], ids=range(18))
def test_nonsense_values_are_invalid_with_a_clear_message(answer, words):
    start = time.perf_counter()
    r = check("example.linreg_risk", answer)
    assert time.perf_counter() - start < 1.0
    assert r.status == INVALID and words in r.message, (r.status, r.message)


def test_value_results_never_give_the_expected_value():
    secrets = {"example.linreg_risk": ["0.5"], "practice.per_example_risk": ["0.125", "4.5", "1.28125"]}
    for answer in (0.75, [0.1] * 5, "1/3", [0.1, 0.2, 0.3, 0.4, 0.6]):
        for pid, hidden in secrets.items():
            r = check(pid, answer)
            assert r.counterexample is None
            text = str(r) + r._repr_html_()
            assert not any(h in text for h in hidden), text


# ---------------------------------------------------------------------------- vectors and steps
SOFTMAX = [f"exp(z{i})/(exp(z1) + exp(z2) + exp(z3)) - y{i}" for i in (1, 2, 3)]


def test_a_vector_written_as_one_text_is_read():
    assert status("grad.softmax_ce", "[" + ", ".join(SOFTMAX) + "]") == CORRECT
    assert status("grad.softmax_ce", "(" + ", ".join(SOFTMAX) + ")") == CORRECT
    assert check("grad.softmax_ce", "[" + ", ".join(SOFTMAX[:2]) + "]").diagnosis == "shape"


def test_a_derivation_has_a_bounded_number_of_steps():
    r = check_steps("grad.mse", ["yhat - y"] * 10_000)
    assert r.status == INVALID and "at most" in r.message


# ---------------------------------------------------------------------------- function answers
def _good(y, z):
    return np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))


def _raises(kind):
    def f(y, z):
        raise kind()
    return f


class _Custom(BaseException):
    pass


@pytest.mark.parametrize("kind", [SystemExit, GeneratorExit, _Custom])
def test_a_function_raising_a_base_exception_is_reported_not_raised(kind):
    r = check("impl.bce_with_logits", _raises(kind))
    assert r.status == INCORRECT and kind.__name__ in r.message


def test_keyboard_interrupt_still_stops_the_check():
    """A learner pressing "interrupt" must stop a running check; it is not swallowed."""
    with pytest.raises(KeyboardInterrupt):
        check("impl.bce_with_logits", _raises(KeyboardInterrupt))


def test_a_function_that_swallows_the_time_limit_is_still_stopped():
    def stubborn(y, z):
        for _ in range(20):
            try:
                time.sleep(0.5)
            except BaseException:  # noqa: BLE001 - the attack
                pass
        return _good(y, z)

    start = time.perf_counter()
    r = check("impl.bce_with_logits", stubborn)
    assert time.perf_counter() - start < HARD_LIMIT + 2.5
    assert r.status in STATUSES


def test_what_a_function_prints_is_capped():
    def chatty(y, z):
        print("x" * 100_000)
        return _good(y, z)

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        r = check("impl.bce_with_logits", chatty)
    assert r.status == CORRECT
    assert 2000 <= len(buf.getvalue()) < 3000 and "not shown" in buf.getvalue()


def _numpy_grad(y, z):
    return np.exp(-np.logaddexp(0.0, -z)) - y


def _reference_use(pid, fn):
    """Assert ``fn`` gets no credit for calling a ready-made loss; return the Result."""
    r = check(pid, fn)
    assert (r.status, r.score, r.diagnosis) == (INCORRECT, 0.0, "reference"), (fn, r)
    assert r.details["reference_use"] and "NumPy" in r.message, r.message
    return r


def test_ready_made_losses_get_no_credit_in_every_spelling():
    """An implementation that calls lossedu.losses is "incorrect" (diagnosis "reference", score
    0) whatever the spelling; the message names what was called and says the values are right."""
    from lossedu.losses import bce_with_logits as ready
    import lossedu.losses as L

    def direct(y, z):
        return losses.bce_with_logits(y, z)

    def aliased(y, z):
        return L.bce_with_logits(y, z)

    def imported(y, z):
        return ready(y, z)

    def via_package(y, z):
        return lossedu.losses.bce_with_logits(y, z)

    def helper(y, z):
        return direct(y, z)

    def make():
        f = ready
        return lambda y, z: f(y, z)

    scope = {"np": np}
    exec("from lossedu.losses import *\n"                                    # noqa: S102
         "f = bce_with_logits\n"
         "def star(y, z):\n    return bce_with_logits(y, z)\n"
         "def alias(y, z):\n    return f(y, z)\n"
         "def inner(y, z):\n    return sigmoid(z) * 0 + np.logaddexp(0.0, z) - y * z\n"
         "def outer(y, z):\n    return inner(y, z)\n", scope)
    spellings = (direct, aliased, imported, via_package, helper, make(), losses.bce_with_logits,
                 scope["star"], scope["alias"], scope["outer"])
    for fn in spellings:
        r = _reference_use("impl.bce_with_logits", fn)
        assert "right values" in r.message and r.details["values"] == CORRECT and r.counterexample is None
    assert "lossedu.losses.bce_with_logits" in check("impl.bce_with_logits", direct).message
    assert "lossedu.losses.sigmoid" in check("impl.bce_with_logits", scope["outer"]).message
    pair = _reference_use("impl.bce_with_logits_grad", (_good, lambda y, z: losses.bce_with_logits_grad(y, z)))
    assert "your gradient function calls lossedu.losses.bce_with_logits_grad" in pair.message
    assert "loss function calls" not in pair.message
    wrong = _reference_use("impl.bce_with_logits", lambda y, z: 2 * losses.bce_with_logits(y, z))
    assert wrong.details["values"] == INCORRECT and "right values" not in wrong.message
    assert "2 times" in wrong.message and wrong.counterexample


def test_scipy_ready_made_losses_get_no_credit_but_numpy_is_allowed(monkeypatch):
    import sys
    import types

    import scipy
    import scipy.special as sc
    from scipy.special import logsumexp, xlogy

    for fn in (lambda y, z: -sc.log_expit(z) + (1 - y) * z,
               lambda y, z: np.logaddexp(0.0, z) - y * z + 0 * xlogy(y, 1.0),
               lambda y, z: scipy.special.logsumexp(np.stack([np.zeros_like(z), z]), axis=0) - y * z):
        _reference_use("impl.bce_with_logits", fn)
    r = _reference_use("impl.softmax_cross_entropy", lambda y, z: logsumexp(z, axis=1) - z[np.arange(len(y)), y])
    assert "scipy.special.logsumexp" in r.message
    # NumPy stays allowed, even where a library re-exports it (SciPy's array-API layer does)
    compat = types.ModuleType("scipy._fake_array_api_compat")
    compat.numpy, compat.logaddexp, compat.exp = np, np.logaddexp, np.exp
    monkeypatch.setitem(sys.modules, compat.__name__, compat)
    from_compat = compat.logaddexp
    assert check("impl.bce_with_logits", lambda y, z: from_compat(0.0, z) - y * z).status == CORRECT
    numpy_again = compat.numpy
    assert check("impl.bce_with_logits", lambda y, z: numpy_again.logaddexp(0.0, z) - y * z).status == CORRECT


def test_numpy_implementations_are_accepted_whatever_they_are_called():
    scope = {"np": np}
    exec("from lossedu.losses import *\n"                                    # noqa: S102
         "def bce_with_logits(y, z):\n    return np.logaddexp(0.0, z) - y * z\n"
         "def sigmoid(z):\n    return np.exp(-np.logaddexp(0.0, -z))\n"
         "def grad(y, z):\n    return sigmoid(z) - y\n", scope)
    for fn in (scope["bce_with_logits"], _good, lambda y, z: np.logaddexp(0.0, z) - y * z):
        r = check("impl.bce_with_logits", fn)
        assert r.status == CORRECT and "reference_use" not in r.details, r
    r = check("impl.bce_with_logits_grad", (scope["bce_with_logits"], scope["grad"]))
    assert r.status == CORRECT, r
    assert check("impl.bce_with_logits_grad", (_good, _numpy_grad)).status == CORRECT


def test_the_notebook_and_the_grader_flag_the_same_names():
    """The grader's rule (lossedu.grading.harness) and the notebook's agree on every spelling."""
    import scipy.special as sc

    from lossedu.grading.harness import reference_names
    from lossedu.checking.coerce import library_names

    scope = {"np": np, "losses": losses, "lossedu": lossedu, "sc": sc, "expit": sc.expit,
             "ready": losses.bce_with_logits}
    exec("def mine(y, z):\n    return np.logaddexp(0.0, z) - y * z\n"          # noqa: S102
         "def direct(y, z):\n    return losses.bce_with_logits(y, z)\n"
         "def package(y, z):\n    return lossedu.losses.bce_with_logits(y, z)\n"
         "def helper(y, z):\n    return direct(y, z) + mine(y, z)\n"
         "def alias(y, z):\n    return ready(y, z)\n"
         "def ufunc(y, z):\n    return expit(z) - y\n"
         "def module(y, z):\n    return sc.log_expit(z)\n", scope)
    for name in ("mine", "direct", "package", "helper", "alias", "ufunc", "module"):
        assert library_names(scope[name]) == reference_names(scope[name]), name
    assert library_names(scope["mine"]) == [] and library_names(losses.bce_with_logits)


@pytest.mark.parametrize("returns, words", [
    (lambda y, z: _good(y, z) + 0j, "complex"),
    (lambda y, z: [str(v) for v in _good(y, z)], "not of numbers"),
    (lambda y, z: (v for v in _good(y, z)), "returned generator"),
    (lambda y, z: {"loss": 1.0}, "returned dict"),
    (lambda y, z: sp.Symbol("z"), "returned Symbol"),
], ids=["complex", "strings", "generator", "dict", "sympy"])
def test_outputs_that_are_not_real_arrays_are_named(returns, words):
    r = check("impl.bce_with_logits", returns)
    assert r.status == INCORRECT and words in r.message and "raised" not in r.message, r.message


def test_inputs_mutated_by_the_function_do_not_corrupt_the_check():
    def mutates(y, z):
        out = _good(y, z)
        y[:] = 5.0
        z[:] = 0.0
        return out

    assert status("impl.bce_with_logits", mutates) == CORRECT
    assert status("impl.bce_with_logits", lambda y, z: 2 * _good(y, z)) == INCORRECT


# ---------------------------------------------------------------------------- reference far out
def _grad_fd(loss, q, var, h=1e-6):
    def at(t):
        return float(loss({**q, var: t}))
    return (at(q[var] + h) - at(q[var] - h)) / (2 * h)


FAR_ORACLES = {  # id -> (loss from SciPy/NumPy, differentiated variable, point generator)
    "grad.bce_logit": (lambda q: -q["y"] * log_expit(q["z"]) - (1 - q["y"]) * log_expit(-q["z"]), "z",
                       lambda rng, i: {"y": float(i % 2), "z": rng.uniform(-30, 30)}),
    "grad.weighted_bce_logit": (lambda q: -q["alpha"] * q["y"] * log_expit(q["z"])
                                - q["beta"] * (1 - q["y"]) * log_expit(-q["z"]), "z",
                                lambda rng, i: {"y": float(i % 2), "z": rng.uniform(-30, 30),
                                                "alpha": rng.uniform(0.1, 5), "beta": rng.uniform(0.1, 5)}),
    "grad.pairwise_preference": (lambda q: -log_expit(q["s"] - q["t"]), "s",
                                 lambda rng, i: {"s": rng.uniform(-30, 30), "t": rng.uniform(-30, 30)}),
    "grad.hinge": (lambda q: max(0.0, 1 - q["y"] * q["s"]), "s",
                   lambda rng, i: {"y": 1.0 if i % 2 else -1.0, "s": rng.uniform(-30, 30)}),
    "grad.huber": (lambda q: (0.5 * (q["yhat"] - q["y"]) ** 2 if abs(q["yhat"] - q["y"]) <= q["delta"]
                              else q["delta"] * (abs(q["yhat"] - q["y"]) - q["delta"] / 2)), "yhat",
                   lambda rng, i: {"y": rng.uniform(-30, 30), "yhat": rng.uniform(-30, 30),
                                   "delta": rng.uniform(0.1, 10)}),
    "grad.mae": (lambda q: abs(q["yhat"] - q["y"]), "yhat",
                 lambda rng, i: {"y": rng.uniform(-30, 30), "yhat": rng.uniform(-30, 30)}),
    "grad.asymmetric_abs": (lambda q: q["alpha"] * max(q["yhat"] - q["y"], 0) + q["beta"] * max(q["y"] - q["yhat"], 0),
                            "yhat", lambda rng, i: {"y": rng.uniform(-30, 30), "yhat": rng.uniform(-30, 30),
                                                    "alpha": rng.uniform(0.1, 5), "beta": rng.uniform(0.1, 5)}),
    "grad.bce_prob": (lambda q: -q["y"] * np.log(q["p"]) - (1 - q["y"]) * np.log1p(-q["p"]), "p",
                      lambda rng, i: {"y": float(i % 2), "p": 10 ** rng.uniform(-6, -1) if i % 4 < 2
                                      else 1 - 10 ** rng.uniform(-6, -1)}),
    "grad.l2_objective": (lambda q: 0.5 * (q["w"] * q["x"] - q["y"]) ** 2 + q["lam"] / 2 * q["w"] ** 2, "w",
                          lambda rng, i: {"w": rng.uniform(-30, 30), "x": rng.uniform(-30, 30),
                                          "y": rng.uniform(-30, 30), "lam": rng.uniform(0, 30)}),
}


@pytest.mark.parametrize("pid", sorted(FAR_ORACLES))
def test_reference_gradients_hold_far_out(pid):
    loss, var, draw = FAR_ORACLES[pid]
    ref = lossedu.problems.get(pid).variant(None).reference
    rng = np.random.default_rng(7)
    for i in range(40):
        q = draw(rng, i)
        if pid in ("grad.hinge",) and abs(1 - q["y"] * q["s"]) < 1e-3:
            continue
        h = 1e-6 * max(1.0, abs(q[var])) if pid != "grad.bce_prob" else 1e-3 * min(q["p"], 1 - q["p"])
        fd = _grad_fd(loss, q, var, h)
        got = float(ref.subs({SYMBOLS[k]: sp.Float(v, 30) for k, v in q.items()}).evalf(30))
        assert abs(got - fd) <= 1e-4 * max(1.0, abs(fd)), (q, got, fd)


# ---------------------------------------------------------------------------- the time limit
@pytest.mark.parametrize("pid, answer", [
    ("grad.hinge", "+".join(f"Max(s*y - {i}, Min(s, y*{i}))" for i in range(30))),
    ("grad.huber", "Max(-delta, Min(delta, yhat - y)) + " + "+".join(f"(Abs(yhat - {k}) - Abs(yhat - {k}))"
                                                                     for k in range(25))),
    ("grad.bce_prob", "((1 - y)/(1 - p) - y/p)*" + "*".join(f"(p + {k})/(p + {k})" for k in range(1, 40))),
    ("grad.bce_logit", "sqrt(" * 45 + "z**2" + ")" * 45),
], ids=["max-min", "abs", "rational", "sqrt"])
def test_heavy_answers_stay_within_the_hard_limit(pid, answer):
    check(pid, "0")  # tables built
    start = time.perf_counter()
    r = check(pid, answer)
    assert time.perf_counter() - start < HARD_LIMIT + 0.3
    assert r.status in STATUSES

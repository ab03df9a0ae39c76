"""A gradient implementation judged against finite differences of the learner's own loss.

Problem ``impl.bce_with_logits_grad`` takes a pair (loss_fn, grad_fn). The oracles here are
independent of the bank: SciPy's ``expit``/``log_expit`` and hand-written NumPy functions.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import expit, log_expit

import lossedu
from lossedu import exercise, problems
from lossedu.checking import functions
from lossedu.checking.functions import CALL_KEY, FD_STEP, PAIR, call_all, split_call
from lossedu.checking.sampling import problem_rng

PID = "impl.bce_with_logits_grad"


# ---------------------------------------------------------------------------- learner answers
def stable_loss(y, z):
    return np.logaddexp(0.0, z) - y * z


def stable_grad(y, z):
    return np.exp(-np.logaddexp(0.0, -z)) - y


def sigmoid(z):
    """σ(z) in NumPy (an answer may not call SciPy's expit; the tests use it as the oracle)."""
    return np.exp(-np.logaddexp(0.0, -z))


def log_sigmoid(z):
    return -np.logaddexp(0.0, -z)


def naive_loss(y, z):
    p = 1 / (1 + np.exp(-z))
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def naive_grad(y, z):
    return 1 / (1 + np.exp(-z)) - y


def check(loss, grad, student=None):
    return problems.check(PID, (loss, grad), student=student)


def weighted_pair(student):
    """The stable pair for a learner's variant, whose positive term carries the weight alpha."""
    a = problems.get(PID).variant(student).params["alpha"]
    return (lambda y, z: a * y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z),
            lambda y, z: a * y * (sigmoid(z) - 1) + (1 - y) * sigmoid(z))


# ---------------------------------------------------------------------------- the reference itself
def test_reference_pair_agrees_with_scipy_and_with_its_own_finite_differences():
    loss, grad = problems.get(PID).variant(None).reference
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0])
    z = np.array([-3.2, -0.7, 0.0, 0.4, 2.5, 6.0])
    assert np.allclose(loss(y, z), -(y * log_expit(z) + (1 - y) * log_expit(-z)), atol=1e-12)
    assert np.allclose(grad(y, z), expit(z) - y, atol=1e-12)
    h = 1e-6
    assert np.allclose(grad(y, z), (loss(y, z + h) - loss(y, z - h)) / (2 * h), atol=1e-7)


def test_the_reference_pair_itself_gets_no_credit():
    """Handing in lossedu.losses' own functions is calling a ready-made loss, not an answer."""
    r = problems.check(PID, problems.get(PID).variant(None).reference)
    assert (r.status, r.score, r.diagnosis) == ("incorrect", 0.0, "reference"), r
    assert "loss function calls lossedu.losses.bce_with_logits" in r.message
    assert "gradient function calls lossedu.losses.bce_with_logits_grad" in r.message


def test_inputs_cover_extremes_ties_and_finite_difference_triples():
    p = problems.get(PID)
    inputs = p.draw_inputs(p.variant("ana"), np.random.default_rng(3))
    names = [split_call(kw)[0] for kw in inputs]
    assert set(names) == set(PAIR)
    assert any(np.abs(kw["z"]).max() >= 800 for kw, n in zip(inputs, names) if n == "grad")
    assert any(np.abs(kw["z"]).max() >= 800 for kw, n in zip(inputs, names) if n == "loss")
    assert any(np.any(kw["z"] == 0.0) for kw in inputs)
    grads = [kw for kw, n in zip(inputs, names) if n == "grad"]
    losses_ = [kw for kw, n in zip(inputs, names) if n == "loss"]
    triples = [g for g in grads if any(np.array_equal(l["z"], g["z"] + FD_STEP) for l in losses_)
               and any(np.array_equal(l["z"], g["z"] - FD_STEP) for l in losses_)]
    assert triples and np.abs(triples[0]["z"]).max() < 10


# ---------------------------------------------------------------------------- verdicts
@pytest.mark.parametrize("student", [None, "ana", "ben"])
def test_correct_stable_pair_passes(student):
    if student is not None:   # a learner's variant weights the positive term by alpha
        assert check(*weighted_pair(student), student).correct
        return
    r = check(stable_loss, stable_grad, student)
    assert r.status == "correct" and r.score == 1.0, r
    tanh_grad = lambda y, z: 0.5 * (1 + np.tanh(z / 2)) - y  # another stable sigmoid
    assert check(lambda y, z: -(y * log_sigmoid(z) + (1 - y) * log_sigmoid(-z)), tanh_grad, student).correct


def test_gradient_consistent_with_a_wrong_loss_blames_the_loss():
    """Both missing the sign: the gradient is the true derivative of the learner's (wrong) loss."""
    r = check(lambda y, z: -stable_loss(y, z), lambda y, z: -stable_grad(y, z))
    assert r.status == "incorrect" and r.diagnosis == "sign", r
    assert "consistent with your loss" in r.message and "your loss is not binary cross-entropy" in r.message
    assert r.counterexample["function"] == "loss"
    y, z = r.counterexample["point"]["y"], r.counterexample["point"]["z"]
    assert r.counterexample["expected"] == pytest.approx(float(-(y * log_expit(z) + (1 - y) * log_expit(-z))), rel=1e-5)
    r = check(lambda y, z: 2 * stable_loss(y, z), lambda y, z: 2 * stable_grad(y, z))
    assert r.diagnosis == "factor" and "consistent with your loss" in r.message


def test_gradient_inconsistent_with_own_loss_names_the_point():
    r = check(stable_loss, lambda y, z: y - sigmoid(z))  # right loss, gradient with the sign flipped
    assert r.status == "incorrect" and r.diagnosis == "sign", r
    assert "Your loss is right, but your gradient does not match its derivative" in r.message
    assert "finite difference" in r.message and "z = " in r.message
    point = r.counterexample["point"]
    assert r.counterexample["got"] == pytest.approx(point["y"] - expit(point["z"]), rel=1e-5)
    assert r.counterexample["expected"] == pytest.approx(expit(point["z"]) - point["y"], rel=1e-5)

    r = check(lambda y, z: 2 * stable_loss(y, z), lambda y, z: y - sigmoid(z))  # both wrong, differently
    assert "does not match the derivative of your own loss" in r.message

    r = check(lambda y, z: 2 * stable_loss(y, z), stable_grad)  # right gradient, wrong loss
    assert r.status == "incorrect" and r.diagnosis == "factor"
    assert r.message.startswith("Your gradient is right, but it does not match the derivative of your own loss")


@pytest.mark.parametrize("grad, tag, words", [
    (lambda y, z: sigmoid(z) * (1 - sigmoid(z)), "chain-rule", "∂p̂/∂z alone"),
    (lambda y, z: -(y / sigmoid(z) - (1 - y) / (1 - sigmoid(z))), "chain-rule", "That is ∂L/∂p̂"),
    (lambda y, z: (sigmoid(z) - y) * sigmoid(z) * (1 - sigmoid(z)), "extra-factor", "squared error on the probability"),
])
def test_catalogued_gradient_mistakes_get_their_message(grad, tag, words):
    r = check(stable_loss, grad)
    assert r.status == "incorrect" and r.diagnosis == tag and words in r.message, r


def test_unstable_pairs():
    r = check(naive_loss, naive_grad)
    assert r.diagnosis == "unstable" and "overflow" in r.message, r
    r = check(stable_loss, naive_grad)
    assert r.diagnosis == "unstable" and "gradient function" in r.message
    r = check(naive_loss, stable_grad)
    assert r.diagnosis == "unstable" and "loss function" in r.message

    def raises_on_big(y, z):
        if np.abs(z).max() > 100:
            raise OverflowError("too big")
        return stable_grad(y, z)

    r = check(stable_loss, raises_on_big)
    assert r.diagnosis == "unstable" and "OverflowError" in r.message


def test_shape_errors_and_invalid_answers():
    r = check(stable_loss, lambda y, z: stable_grad(y, z).mean())
    assert r.diagnosis == "shape" and "gradient function" in r.message
    r = check(lambda y, z: stable_loss(y, z)[:, None], stable_grad)
    assert r.diagnosis == "shape" and "loss function" in r.message
    r = check(stable_loss, lambda y, z: y.no_such_attribute)
    assert r.status == "incorrect" and "AttributeError" in r.message
    for answer in (stable_grad, (stable_loss,), (stable_loss, stable_grad, stable_grad), "p - y"):
        r = problems.check(PID, answer)
        assert r.status == "invalid" and "check((my_loss, my_grad))" in r.message, (answer, r)
    r = problems.check(PID, (stable_loss, "sigmoid(z) - y"))
    assert r.status == "invalid" and "Item 2" in r.message


def test_unattempted_stubs():
    def stub(y, z):
        ...

    for answer in (None, ..., (..., ...), (None, None), (stub, stub), (stable_loss, ...)):
        r = problems.check(PID, answer)
        assert r.status == "unattempted", (answer, r)
    assert "gradient function returns nothing" in problems.check(PID, (stable_loss, stub)).message


def test_notebook_api_takes_the_pair():
    ex = lossedu.session(2)
    q = ex[PID]
    assert q.check(weighted_pair(q.variant.student)).status == "correct"
    a = q.params["alpha"]
    naive_weighted = (lambda y, z: -(a * y * np.log(1 / (1 + np.exp(-z))) + (1 - y) * np.log(1 - 1 / (1 + np.exp(-z)))),
                      lambda y, z: a * y * (1 / (1 + np.exp(-z)) - 1) + (1 - y) / (1 + np.exp(-z)))
    assert q.check(naive_weighted).diagnosis == "unstable"


# ---------------------------------------------------------------------------- across processes
def _as_data(values):
    """What crosses a process boundary: plain JSON, read back into arrays by the grader."""
    return [v if isinstance(v, str) else np.asarray(json.loads(json.dumps(np.asarray(v).tolist())), float)
            for v in values]


@pytest.mark.parametrize("pair", [
    (stable_loss, stable_grad), (naive_loss, naive_grad), (lambda y, z: -stable_loss(y, z), lambda y, z: -stable_grad(y, z)),
    (stable_loss, lambda y, z: y - sigmoid(z)), (stable_loss, lambda y, z: stable_grad(y, z).mean()),
], ids=["correct", "unstable", "consistent-wrong-loss", "inconsistent", "shape"])
def test_protocol_per_callable_gives_the_in_process_result(pair):
    p = problems.get(PID)
    v = p.variant("ana")
    in_process = problems.check(PID, pair, student="ana")
    inputs = p.draw_inputs(v, problem_rng(PID, salt="inputs"))   # the inputs the notebook check uses
    outputs, warned = [None] * len(inputs), [None] * len(inputs)
    for k, name in enumerate(PAIR):                               # the grader calls the named callable
        idx = [i for i, kw in enumerate(inputs) if kw[CALL_KEY] == name]
        outs, warns = call_all(pair[k], [inputs[i] for i in idx])
        for i, o, w in zip(idx, outs, warns):
            outputs[i], warned[i] = o, w
    across = functions.judge_outputs(v, inputs, _as_data(outputs), warned)
    assert across == in_process, (across, in_process)
    assert across.counterexample == in_process.counterexample
    together = functions.judge_outputs(v, inputs, *call_all(pair, inputs))  # call_all dispatches a pair too
    assert together == in_process


def test_protocol_with_grader_drawn_inputs_and_stub_outputs():
    p = problems.get(PID)
    v = p.variant("ben")
    inputs = p.draw_inputs(v, np.random.default_rng(12345))       # secret inputs, drawn at grading time
    outputs, warned = call_all(weighted_pair("ben"), inputs)
    assert functions.judge_outputs(v, inputs, outputs, warned).correct
    nothing = [functions.NOTHING] * len(inputs)
    assert functions.judge_outputs(v, inputs, nothing, None).status == "unattempted"
    assert functions.judge_outputs(v, inputs, outputs[:-1], warned[:-1]).status == "invalid"
    overflow = [list(w) for w in warned]
    last_grad = max(i for i, kw in enumerate(inputs) if kw[CALL_KEY] == "grad")
    overflow[last_grad] = ["RuntimeWarning: overflow encountered in exp"]
    r = functions.judge_outputs(v, inputs, outputs, overflow)
    assert r.diagnosis == "unstable" and "overflow" in r.message


def test_capture_hook_receives_the_pair():
    seen = []
    exercise.set_capture(lambda pid, answer: seen.append((pid, answer)))
    try:
        lossedu.session(2, homework=True)[PID].check((stable_loss, stable_grad))
    finally:
        exercise.set_capture(None)
    assert seen == [(PID, (stable_loss, stable_grad))]

"""Feedback that fits (issue #13, points 3-5): meaningful tags, the lessons' key mistakes named
wherever they can occur, detectors for extra factors and for values, messages that agree with their
counterexample, "interpreted as" showing the answer as written, one precision policy."""
from __future__ import annotations

import numpy as np
import pytest

from lossedu import problems
from lossedu.problems.s5 import _numbers
from lossedu.result import DIAGNOSES, LEARNER_DIAGNOSES, Result
from lossedu.spec import ambiguous

BANK = problems.all_problems()


# ---------------------------------------------------------------------------- tags
@pytest.mark.parametrize("problem", [p for p in BANK if p.mistakes], ids=lambda p: p.id)
def test_every_catalogued_mistake_has_a_meaningful_tag(problem):
    for mistake in problem.mistakes:
        assert mistake.diagnosis in LEARNER_DIAGNOSES, (problem.id, mistake.message)


def test_known_is_only_a_legacy_tag_and_never_shown():
    assert "known" in DIAGNOSES and "known" not in LEARNER_DIAGNOSES
    legacy = Result("incorrect", message="old record", diagnosis="known")
    assert "known" not in str(legacy) and "known" not in legacy._repr_html_()
    tagged = Result("incorrect", message="x", diagnosis="aggregation")
    assert "diagnosis: aggregation" in str(tagged)


def test_choice_mistakes_are_concepts_unless_catalogued():
    v = problems.get("choice.nll").variant(None)
    assert problems.check("choice.nll", "a").diagnosis == "concept"
    kink = problems.get("choice.hinge_kink")
    assert problems.check(kink.id, "b").diagnosis == "sign"   # written key b: the set of y = +1
    assert v.reference == "b"


# ---------------------------------------------------------------------------- the lessons' key mistakes
@pytest.mark.parametrize("pid, answer, tag", [
    ("grad.bce_logit", "(sigmoid(z) - y)*sigmoid(z)*(1 - sigmoid(z))", "extra-factor"),
    ("grad.weighted_bce_logit", "(-alpha*y*(1 - sigmoid(z)) + beta*(1 - y)*sigmoid(z))*sigmoid(z)*(1 - sigmoid(z))",
     "extra-factor"),
    ("grad.asymmetric_abs", "Piecewise((beta, yhat > y), (-alpha, True))", "swap"),
    ("grad.weighted_bce_logit", "-beta*y*(1 - sigmoid(z)) + alpha*(1 - y)*sigmoid(z)", "swap"),
    ("grad.huber", "Piecewise((delta*sign(yhat - y), Abs(yhat - y) <= delta), (yhat - y, True))", "branch"),
    ("grad.mse", "yhat - y", None),   # right on the canonical variant
])
def test_key_expression_mistakes_are_named(pid, answer, tag):
    r = problems.check(pid, answer)
    assert r.diagnosis == tag, r


def test_generic_detector_finds_an_extra_chain_factor_not_in_the_catalogue():
    # the preference loss, with σ'(s - t) multiplied into the right answer
    r = problems.check("grad.pairwise_preference", "(sigmoid(s - t) - 1)*sigmoid(s - t)*(1 - sigmoid(s - t))")
    assert r.diagnosis == "extra-factor" and "too many" in r.message, r
    r = problems.check("grad.pairwise_preference", "-1")   # the outer derivative with σ' missing: still wrong
    assert not r.correct


def test_generic_factor_says_which_way():
    too_big = problems.check("grad.mse", "3*(yhat - y)")
    assert too_big.diagnosis == "factor" and "too many" in too_big.message
    too_small = problems.check("grad.mse", "(yhat - y)/3")
    assert too_small.diagnosis == "factor" and "forgotten" in too_small.message


def test_value_detectors_sign_factor_and_swapped_entries():
    v = problems.get("example.linreg_risk").variant(None)
    assert problems.check(v.id, -v.reference).diagnosis == "sign"
    assert problems.check(v.id, 4 * v.reference).diagnosis == "factor"
    c = problems.get("example.class_weight").variant(None)
    assert problems.check(c.id, list(c.reference[::-1])).diagnosis == "swap"


@pytest.mark.parametrize("student", [None, "ana", "bo"])
def test_key_value_mistakes_are_named(student):
    def value(pid, fn):
        v = problems.get(pid).variant(student)
        return problems.check(pid, np.asarray(fn(v.params), dtype=float).tolist(), student)

    assert value("example.minibatch_grad", lambda p: _numbers(p)["full"]).diagnosis == "batch"
    assert value("example.fullbatch_grad", lambda p: -_numbers(p)["full"]).diagnosis == "sign"
    assert value("example.linreg_grad", lambda p: -problems.get("example.linreg_grad").reference(p)).diagnosis == "sign"
    from lossedu.problems.s1 import _regression_numbers
    assert value("example.linreg_grad", lambda p: (_regression_numbers(p)["r1"] + _regression_numbers(p)["r2"]) / 2
                 ).diagnosis == "chain-rule"   # the x factor left out of a value
    from lossedu.problems.s4 import _soft
    assert value("example.l1_soft_threshold", lambda p: np.abs(_soft(p)["w"])).diagnosis == "sign"
    from lossedu.problems.s5 import _confident
    no_dp = value("example.confident_mistake", lambda p: _confident(p)["no_dp"])
    assert no_dp.diagnosis == "chain-rule" and "σ′(z)" in no_dp.message
    one_entry = value("example.confident_mistake",
                      lambda p: [_confident(p)["grads"][0], _confident(p)["no_dp"][1], _confident(p)["grads"][2]])
    assert one_entry.diagnosis == "chain-rule" and "entry 2" in one_entry.message   # missing σ′ in one entry


def test_off_by_one_batch_is_named():
    pid = "example.minibatch_grad"
    for k in range(40):
        v = problems.get(pid).variant(f"s{k}")
        if 6 not in v.params["batch"]:
            r = problems.check(pid, float(_numbers(v.params)["shifted"]), f"s{k}")
            assert r.diagnosis == "indexing" and "numbers count from 1" in r.message
            return
    pytest.fail("no variant without example 6 in the batch")


def test_label_message_agrees_with_its_counterexample():
    r = problems.check("grad.bce_logit", "sigmoid(z) - 1")   # right for y = 1 only
    assert r.diagnosis == "label"
    assert "wrong when y = 0" in r.message and r.counterexample["point"]["y"] == 0


def test_no_mistake_message_names_a_label_its_counterexample_may_not_have():
    for problem in BANK:
        for mistake in problem.mistakes:
            assert "when y = 1" not in mistake.message and "when y = 0" not in mistake.message, problem.id


def test_samplers_never_make_two_mistakes_share_numbers():
    for pid in ("example.minibatch_grad", "example.linreg_grad", "practice.outlier_fit", "example.class_weight"):
        problem = problems.get(pid)
        for k in range(15):
            assert not ambiguous(problem, problem.variant(f"s{k}", k % 3).params)


# ---------------------------------------------------------------------------- interpreted as
def test_interpreted_as_shows_the_answer_as_written():
    r = problems.check("grad.mse", "2*(yhat - y)")
    assert r.interpreted == r"2 \left(\hat{y} - y\right)"
    assert r.details["simplified"] != r.interpreted            # SymPy's reading is still available
    r = problems.check("grad.bce_logit", "-y*(1 - sigmoid(z)) + (1 - y)*sigmoid(z)")
    assert r.correct and r"\sigma\left(z\right)" in r.interpreted and "e^{" not in r.interpreted
    assert r.interpreted.index("y") < r.interpreted.index(r"\sigma")   # same order as typed
    r = problems.check("grad.softmax_ce", "[exp(z1)/(exp(z1)+exp(z2)+exp(z3)) - y1, 0, 0]")
    assert r.interpreted.startswith(r"\left(\frac{\exp") and r.interpreted.endswith(r", 0, 0\right)")


# ---------------------------------------------------------------------------- precision
def test_one_precision_policy_with_a_rounding_diagnosis():
    pid = "example.zero_one_risk"   # 4 mistakes in 6: 2/3
    assert problems.get(pid).variant(None).reference == pytest.approx(2 / 3)
    coarse = problems.check(pid, 0.67)
    assert coarse.status == "incorrect" and coarse.diagnosis == "rounding"
    assert "three significant digits" in coarse.message
    assert problems.check(pid, 0.667).correct and problems.check(pid, "2/3").correct
    assert problems.check(pid, 0.7).diagnosis == "rounding"   # one significant digit
    assert problems.check(pid, 0.5).diagnosis != "rounding"

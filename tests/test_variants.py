"""Every problem varies: a revealed solution never answers the next variant (issue #13, point 1).

Also: choice options are shuffled per variant, samplers never draw a variant on which a catalogued
wrong answer passes as right, and prompts name the numbers and conventions the learner needs.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp

from lossedu import problems
from lossedu.checking.symbolic import SYMBOLS
from lossedu.spec import Problem, ambiguous, split_options

LEARNERS = [f"learner-{k}" for k in range(12)]
BANK = problems.all_problems()


def _values(problem: Problem, variant, inputs) -> np.ndarray:
    """The reference of ``variant`` as numbers: expressions at fixed points, functions on fixed inputs."""
    ref = variant.reference
    if problem.kind == "choice":
        return np.array([ord(ref)], dtype=float)
    if problem.kind == "function":
        fn = ref[1] if isinstance(ref, tuple) else ref
        kwargs = [{k: v for k, v in call.items() if not k.startswith("_")} for call in inputs]
        return np.concatenate([np.ravel(fn(**kw)) for kw in kwargs])
    if problem.kind in ("expression", "vector", "steps"):
        exprs = ref if isinstance(ref, (list, tuple)) else [ref]
        rng = np.random.default_rng(7)
        out = []
        for _ in range(6):
            point = {SYMBOLS[v]: sp.Float(rng.uniform(0.2, 0.9)) for v in problem.variables}
            out += [float(sp.N(sp.sympify(e).subs(point))) for e in exprs]
        return np.array(out)
    return np.ravel(np.asarray(ref, dtype=float))


@pytest.mark.parametrize("problem", BANK, ids=lambda p: p.id)
def test_attempt_one_never_shares_the_reference_of_attempt_zero(problem: Problem) -> None:
    differ = 0
    for student in LEARNERS:
        v0, v1 = problem.variant(student, 0), problem.variant(student, 1)
        # a function problem: the revealed function of attempt 0, run on attempt 1's inputs
        inputs = problem.draw_inputs(v1, np.random.default_rng(0)) if problem.kind == "function" else None
        try:
            a = _values(problem, v0, inputs)
        except ValueError:
            differ += 1   # attempt 0's function refuses attempt 1's inputs (another label encoding)
            continue
        b = _values(problem, v1, inputs)
        differ += a.shape != b.shape or not np.allclose(a, b, rtol=1e-9, atol=1e-12)
    assert differ >= 0.9 * len(LEARNERS), f"{problem.id}: only {differ} of {len(LEARNERS)} retries change the answer"


@pytest.mark.parametrize("problem", BANK, ids=lambda p: p.id)
def test_learners_do_not_all_share_one_variant(problem: Problem) -> None:
    seen = {repr(sorted(problem.variant(s, 0).params.items())) for s in LEARNERS}
    assert len(seen) >= 2, f"{problem.id}: every learner gets the same numbers"


@pytest.mark.parametrize("problem", BANK, ids=lambda p: p.id)
def test_canonical_variant_keeps_the_seed_numbers(problem: Problem) -> None:
    params = problem.variant(None).params
    for key, value in problem.canonical.items():
        assert np.array_equal(params[key], value), key   # arrays too (the capstone's training set)
    if problem.kind == "choice":
        assert params["order"] == list(range(len(problem.options)))


def test_retries_keep_changing_over_many_attempts() -> None:
    problem = problems.get("grad.asymmetric_abs")   # only two variants: they must alternate
    refs = [str(problem.variant("ann", a).reference) for a in range(8)]
    assert all(refs[k] != refs[k + 1] for k in range(7))


# ---------------------------------------------------------------------------- choice problems
CHOICES = [p for p in BANK if p.kind == "choice"]


@pytest.mark.parametrize("problem", CHOICES, ids=lambda p: p.id)
def test_choice_options_are_shuffled_and_listed_once(problem: Problem) -> None:
    orders = {tuple(problem.variant(s, 0).params["order"]) for s in LEARNERS}
    assert len(orders) >= 3
    for student in LEARNERS[:4]:
        variant = problem.variant(student, 0)
        stem, texts = split_options(variant.prompt())
        assert sorted(texts) == list("abcd"[:len(problem.options)])
        assert len(set(texts.values())) == len(problem.options)
        right = variant.shown_key(next(o for o in problem.options if o.correct))
        assert right == variant.reference
        assert f"**{right}**" in variant.solution()[:12]


@pytest.mark.parametrize("problem", CHOICES, ids=lambda p: p.id)
def test_choice_feedback_names_the_option_picked(problem: Problem) -> None:
    variant = problem.variant("learner-3", 0)
    right = variant.reference
    assert problems.check(problem.id, right.upper(), "learner-3").correct
    wrong = next(k for k, _ in variant.shown_options() if k != right)
    result = problems.check(problem.id, f"({wrong})", "learner-3")
    assert not result.correct and f"You picked ({wrong})" in result.message
    assert variant.option_text(variant.option(wrong)) in result.message
    assert result.diagnosis not in (None, "known")


# ---------------------------------------------------------------------------- samplers
VALUES = [p for p in BANK if p.kind == "value"]


@pytest.mark.parametrize("problem", VALUES, ids=lambda p: p.id)
def test_no_catalogued_mistake_passes_as_right(problem: Problem) -> None:
    for student in LEARNERS:
        for attempt in (0, 1, 2):
            variant = problem.variant(student, attempt)
            for mistake in problem.mistakes:
                wrong = mistake.answer(variant.params)
                result = problems.check(problem.id, np.asarray(wrong, dtype=float).tolist(), student, attempt)
                assert not result.correct, (problem.id, student, attempt, mistake.message)


def test_a_batch_that_reads_the_same_off_by_one_is_never_drawn() -> None:
    problem = problems.get("example.minibatch_grad")
    # batch {1, 2, 6}; read as 0-based rows it is rows {1, 2, 0} (6 wraps to 0)
    params = {"xs": [2.0, 2.0, 2.0, -1.0, 3.0, 2.0], "ys": [1, 1, 1, 0, 2, 1], "w0": 1.0,
              "batch": [1, 2, 6], "i": 1, "eta": 0.1}
    assert ambiguous(problem, params)        # example 6 equals example 3: the off-by-one gives the same mean
    params["xs"][5], params["ys"][5] = 0.5, 3
    assert not ambiguous(problem, params)
    for student in LEARNERS:                 # and no learner is ever given such a variant
        for attempt in range(3):
            assert not ambiguous(problem, problem.variant(student, attempt).params)


# ---------------------------------------------------------------------------- prompts
@pytest.mark.parametrize("problem", [p for p in BANK if p.kind in ("value", "function")], ids=lambda p: p.id)
def test_prompt_names_every_number_the_learner_uses(problem: Problem) -> None:
    variant = problem.variant("learner-1", 0)
    text = variant.prompt()
    for key in variant.params:
        assert f'p["{key}"]' in text, (problem.id, key)


@pytest.mark.parametrize("problem", VALUES, ids=lambda p: p.id)
def test_value_prompts_state_one_precision_policy(problem: Problem) -> None:
    text = problem.variant("learner-1", 0).prompt()
    assert "three significant digits" in text
    assert "three decimals" not in text
    assert problem.tolerance == (5e-3, 1e-6)


@pytest.mark.parametrize("pid", ["example.minibatch_grad", "example.sgd_step", "example.partition_average",
                                 "example.softmax_ce"])
def test_index_conventions_are_stated(pid: str) -> None:
    assert "numbered from 1" in problems.get(pid).variant("learner-1", 0).prompt()


def test_questions_ask_for_what_they_accept() -> None:
    text = problems.get("example.linreg_grad").variant("learner-1", 0).prompt()
    assert not re.search(r"Which way should \$w\$ move\?", text)

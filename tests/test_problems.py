"""The problem bank: contract, references against independent oracles, catalogues, variants."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.special import expit, log_expit, logsumexp

from lossedu import derivations as D
from lossedu import losses, problems
from lossedu.concepts import CONCEPTS
from lossedu.diagnose import evaluate
from lossedu.gradcheck import numerical_gradient
from lossedu.problems.sampling import AT_KINK, NEAR_KINK, build_sample
from lossedu.result import DIAGNOSES
from lossedu.symbolic import SYMBOLS

ALL = problems.all_problems()
IDS = [p.id for p in ALL]
REQUIRED = {
    "grad.mse": ("y", "yhat"), "grad.mae": ("y", "yhat"), "grad.huber": ("y", "yhat", "delta"),
    "grad.bce_prob": ("y", "p"), "grad.bce_logit": ("y", "z"),
    "grad.weighted_bce_logit": ("y", "z", "alpha", "beta"), "grad.hinge": ("y", "s"),
    "grad.softmax_ce": ("z1", "z2", "z3", "y1", "y2", "y3"),
    "grad.label_smoothing_ce": ("z1", "z2", "z3", "y1", "y2", "y3", "eps"),
    "grad.linreg_risk": ("w",), "grad.l2_objective": ("w", "x", "y", "lam"),
}


def answer_of(variant):
    """The reference written the way a learner would hand it in (text, list, numbers, key)."""
    ref, kind = variant.reference, variant.problem.kind
    if kind == "expression":
        return str(ref)
    if kind == "vector":
        return [str(e) for e in ref]
    if kind == "value":
        return np.asarray(ref).tolist()
    return ref


# ---------------------------------------------------------------------------- contract
def test_required_ids_and_variables():
    for pid, variables in REQUIRED.items():
        assert set(problems.get(pid).variables) == set(variables), pid


def test_sessions_and_order():
    assert problems.sessions() == [1, 2, 3, 4, 5]
    for k in problems.sessions():
        qs = problems.session_problems(k)
        assert 6 <= len(qs) <= 10 and all(p.session == k for p in qs)
    assert problems.session_problems(1)[0].id == "grad.mse"
    assert sorted(IDS) == sorted(set(IDS))
    with pytest.raises(KeyError, match="unknown problem id"):
        problems.get("nope")


@pytest.mark.parametrize("problem", ALL, ids=IDS)
def test_problem_is_complete(problem):
    assert problem.concepts and set(problem.concepts) <= set(CONCEPTS)
    assert 1 <= len(problem.hints) <= 3 and problem.solution and problem.points > 0
    for m in problem.mistakes:
        assert m.diagnosis in DIAGNOSES
    for student in (None, "ana", "ben"):
        v = problem.variant(student)
        for text in (v.prompt(), v.solution(), *v.hints):
            assert "{{" not in text and "}}" not in text


def test_every_concept_is_exercised():
    used = {c for p in ALL for c in p.concepts}
    assert used == set(CONCEPTS)


def test_variants_are_seeded_and_differ():
    p = problems.get("example.linreg_grad")
    assert p.variant("ana").params == p.variant("ana").params
    assert p.variant("ana").seed != p.variant("ana", attempt=1).seed
    seen = {tuple(sorted(p.variant(f"s{i}").params.items())) for i in range(12)}
    assert len(seen) > 3
    import hashlib
    digest = hashlib.sha256(b"ana|example.linreg_grad|0").digest()
    assert p.variant("ana").seed == int.from_bytes(digest[:8], "big")


# ---------------------------------------------------------------------------- references accepted
@pytest.mark.parametrize("problem", ALL, ids=IDS)
@pytest.mark.parametrize("student", [None, "ana", "ben"])
def test_reference_is_accepted(problem, student):
    v = problem.variant(student)
    r = problems.check(problem.id, answer_of(v), student=student)
    assert r.status == "correct", r
    assert r.score == 1.0 and r.problem_id == problem.id


@pytest.mark.parametrize("problem", [p for p in ALL if p.mistakes and p.kind != "function"],
                         ids=[p.id for p in ALL if p.mistakes and p.kind != "function"])
def test_every_catalogued_mistake_gets_its_diagnosis(problem):
    for mistake in problem.mistakes:
        tried = 0
        for student in (None, "ana", "ben", "cy", "dee"):
            v = problem.variant(student)
            wrong = mistake.answer
            if callable(wrong):
                wrong = wrong(v.params)
                if problem.kind == "vector":
                    wrong = [str(e) for e in wrong]
                elif problem.kind == "value":
                    wrong = np.asarray(wrong, dtype=float).tolist()
                    if np.allclose(wrong, v.reference, atol=2e-3):
                        continue  # this variant's numbers make the mistake coincide with the answer
                else:
                    wrong = str(wrong)
            tried += 1
            r = problems.check(problem.id, wrong, student=student)
            assert r.status == "incorrect", (mistake, student, r)
            assert r.diagnosis == mistake.diagnosis, (mistake, student, r)
            assert mistake.message in r.message
        assert tried >= 2, mistake


# ---------------------------------------------------------------------------- seed numbers
@pytest.mark.parametrize("pid, answer", [
    ("example.linreg_risk", 0.5), ("example.linreg_grad", -1.5), ("grad.linreg_risk", "5*w/2 - 4"),
    ("example.bce_logit", [1.3133, -0.7311]), ("example.softmax_ce", 2.170),
    ("example.hinge", [0, -1, 1]), ("practice.hinge", [0, 0.6, 3.0]), ("choice.support_vectors", "b"),
])
def test_canonical_variants_keep_the_seed_numbers(pid, answer):
    assert problems.check(pid, answer).status == "correct"


def test_seed_numbers_against_scipy():
    v = problems.get("example.bce_logit").variant(None)
    assert np.allclose(v.reference, [-log_expit(-1.0), expit(-1.0) - 1.0])
    v = problems.get("example.softmax_ce").variant(None)
    assert np.isclose(v.reference, logsumexp([2.0, 0.0, -1.0]) - 0.0)


# ---------------------------------------------------------------------------- gradients vs finite differences
def _scalar_oracles():
    """Problem id -> (loss as a NumPy function of the point, variable differentiated)."""
    return {
        "grad.mse": (lambda q: losses.mse(q["y"], q["yhat"]), "yhat"),
        "grad.mae": (lambda q: losses.mae(q["y"], q["yhat"]), "yhat"),
        "grad.huber": (lambda q: losses.huber(q["y"], q["yhat"], delta=q["delta"]), "yhat"),
        "grad.bce_prob": (lambda q: losses.bce(q["y"], q["p"]), "p"),
        "grad.bce_logit": (lambda q: losses.bce_with_logits(q["y"], q["z"]), "z"),
        "grad.weighted_bce_logit": (lambda q: losses.weighted_bce_with_logits(
            q["y"], q["z"], alpha=q["alpha"], beta=q["beta"]), "z"),
        "grad.hinge": (lambda q: losses.hinge(q["y"], q["s"]), "s"),
        "grad.asymmetric_abs": (lambda q: q["alpha"] * max(q["yhat"] - q["y"], 0)
                                + q["beta"] * max(q["y"] - q["yhat"], 0), "yhat"),
        "grad.l2_objective": (lambda q: 0.5 * (q["w"] * q["x"] - q["y"]) ** 2 + q["lam"] / 2 * q["w"] ** 2, "w"),
    }


def _smooth_points(problem, n=12):
    sample = build_sample(problem)
    keep = np.flatnonzero((sample.where != AT_KINK) & (sample.where != NEAR_KINK))[:n]
    return [{k: float(v[i]) for k, v in sample.points.items()} for i in keep]


@pytest.mark.parametrize("pid", sorted(_scalar_oracles()))
def test_reference_gradient_matches_finite_differences(pid):
    loss, var = _scalar_oracles()[pid]
    problem = problems.get(pid)
    ref = problem.variant(None).reference
    for q in _smooth_points(problem):
        fd = numerical_gradient(lambda t: float(loss({**q, var: float(t[0])})), np.array([q[var]]))[0]
        got = float(ref.subs({SYMBOLS[k]: v for k, v in q.items()}))
        assert abs(got - fd) < 1e-5 * max(1, abs(fd)), (q, got, fd)


def test_linreg_gradient_matches_finite_differences():
    for student in (None, "ana", "ben"):
        v = problems.get("grad.linreg_risk").variant(student)
        x = np.array([v.params["x1"], v.params["x2"]], float)
        y = np.array([v.params["y1"], v.params["y2"]], float)
        for w0 in (-1.0, 0.3, 2.0):
            fd = numerical_gradient(lambda t: float(np.mean(losses.mse(y, t[0] * x))), np.array([w0]))[0]
            assert abs(float(v.reference.subs(SYMBOLS["w"], w0)) - fd) < 1e-5


@pytest.mark.parametrize("pid, smoothing", [("grad.softmax_ce", False), ("grad.label_smoothing_ce", True)])
def test_vector_gradients_match_finite_differences(pid, smoothing):
    problem = problems.get(pid)
    ref = problem.variant(None).reference
    for q in _smooth_points(problem):
        z = np.array([q["z1"], q["z2"], q["z3"]])
        c = int(np.argmax([q["y1"], q["y2"], q["y3"]]))
        eps = q.get("eps", 0.0)
        fd = numerical_gradient(lambda t: float(losses.softmax_cross_entropy(c, t, label_smoothing=eps)), z)
        got = [float(e.subs({SYMBOLS[k]: v for k, v in q.items()})) for e in ref]
        assert np.allclose(got, fd, atol=1e-5), (q, got, fd)


def test_stated_gradients_equal_sympy_derivatives():
    assert sp.simplify(sp.diff(D.bce_logit_loss(), D.z) - D.bce_logit_grad()) == 0
    assert sp.simplify(sp.diff(D.weighted_bce_logit_loss(), D.z) - D.weighted_bce_logit_grad()) == 0
    for j in range(3):
        onehot = {D.YS[0]: 1, D.YS[1]: 0, D.YS[2]: 0}
        d = sp.diff(D.label_smoothing_ce_loss(), D.ZS[j]) - D.label_smoothing_ce_grad()[j]
        assert sp.simplify(d.subs(onehot)) == 0


# ---------------------------------------------------------------------------- function problems
def stable_bce(y, z):
    return np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))


def naive_bce(y, z):
    p = 1 / (1 + np.exp(-z))
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def stable_softmax_ce(y, z):
    a = z.max(axis=1, keepdims=True)
    return a[:, 0] + np.log(np.exp(z - a).sum(axis=1)) - z[np.arange(len(y)), y]


def naive_softmax_ce(y, z):
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return -np.log(p[np.arange(len(y)), y])


def test_function_problems():
    assert problems.check("impl.bce_with_logits", stable_bce).status == "correct"
    assert problems.check("impl.bce_with_logits", lambda y, z: -y * log_expit(z) - (1 - y) * log_expit(-z)).correct
    assert problems.check("impl.bce_with_logits", naive_bce).diagnosis == "unstable"
    assert problems.check("impl.bce_with_logits", lambda y, z: stable_bce(y, z).mean()).diagnosis == "shape"
    assert problems.check("impl.softmax_cross_entropy", stable_softmax_ce).status == "correct"
    assert problems.check("impl.softmax_cross_entropy", naive_softmax_ce).diagnosis == "unstable"
    r = problems.check("impl.bce_with_logits", lambda y, z: y.undefined_attribute)
    assert r.status == "incorrect" and "AttributeError" in r.message
    r = problems.check("impl.bce_with_logits", lambda y, z: -stable_bce(y, z))
    assert r.diagnosis == "sign" and r.counterexample["expected"] != r.counterexample["got"]
    assert problems.check("impl.bce_with_logits", "not a function").status == "invalid"


def test_function_protocol_across_processes():
    """draw_inputs + judge_outputs judge plain data (what a grading process sends back)."""
    p = problems.get("impl.bce_with_logits")
    v = p.variant("ana")
    inputs = p.draw_inputs(v, np.random.default_rng(0))
    assert any(np.abs(inp["z"]).max() >= 800 for inp in inputs)
    good = [stable_bce(**inp) for inp in inputs]
    assert p.judge_outputs(v, inputs, good).correct
    raised = ["ZeroDivisionError: division by zero"] + good[1:]
    assert "ZeroDivisionError" in p.judge_outputs(v, inputs, raised).message
    warned = [[] for _ in inputs]
    warned[-1] = ["RuntimeWarning: overflow encountered in exp"]
    assert p.judge_outputs(v, inputs, good, warned).diagnosis == "unstable"

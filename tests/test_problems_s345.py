"""Sessions 3-5 of the problem bank against independent oracles.

The generic contract (references accepted, every catalogued mistake diagnosed, templates filled)
is in ``test_problems.py``; here each new problem's reference is recomputed another way: finite
differences of a loss written with SciPy, brute-force minimisation, hand-computed numbers, the
definition of a subgradient, or the library's own risk functions.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit, logsumexp

from lossedu import losses, problems
from lossedu.gradcheck import numerical_gradient
from lossedu.problems import s5
from lossedu.checking.sampling import build_sample
from lossedu.risk import minibatch_gradient, regularized_objective_grad
from lossedu.checking.symbolic import SYMBOLS

STUDENTS = [None] + [f"learner-{k}" for k in range(12)]


def variants(pid: str):
    problem = problems.get(pid)
    return [problem.variant(student) for student in STUDENTS]


# ---------------------------------------------------------------------------- set sizes and order
@pytest.mark.parametrize("session, low, high", [(3, 7, 8), (4, 7, 9), (5, 7, 9)])
def test_session_sizes(session, low, high):
    ids = [p.id for p in problems.session_problems(session)]
    assert low <= len(ids) <= high, ids
    kinds = {p.kind for p in problems.session_problems(session)}
    assert {"value", "choice"} <= kinds and kinds & {"expression", "vector"}, kinds


def test_session_titles():
    from lossedu.problems import session_title

    assert session_title(3) == "Session 3: Margins and non-smooth losses"
    assert session_title(4) == "Session 4: Designing losses"
    assert session_title(5) == "Session 5: Optimizing with losses"


# ---------------------------------------------------------------------------- canonical numbers by hand
@pytest.mark.parametrize("pid, answer", [
    # lesson 3's five points plus (-1, 0.7): mistakes at s = -0.5, 0.1, 0.0 (boundary), 0.7
    ("example.zero_one_risk", 4 / 6),
    ("example.zero_one_risk", "2/3"),
    # w = 0.5, x = 2: price residual 1000 - 2000, times 1000 * 2; stars residual 1 - 3, times 2
    ("example.multitask_grad", [-2_000_000, -4]),
    # soft threshold at 0.5 of (-2, 0.4, 1.5)
    ("example.l1_soft_threshold", [-1.5, 0, 1]),
    # lesson 4's counts (8, 3, 1): w_3 = 12 / (3 * 1); -log softmax((1, 0, -1))_3
    ("example.class_weight", [4.0, 4 * (logsumexp([1.0, 0.0, -1.0]) + 1.0)]),
    ("example.class_weight", [4, 9.630]),
    # per-example gradients at w = 1: -1, -2, -6, -1, -0.25, -6
    ("example.partition_average", [-1, -1.125, -6, -16.25 / 6]),
    ("example.confident_mistake", [-0.982, -0.01735, -0.01766]),
    ("choice.hinge_kink", "c"), ("choice.metric_gap", "b"), ("choice.calibration_vs_margin", "a"),
])
def test_canonical_answers(pid, answer):
    r = problems.check(pid, answer)
    assert r.status == "correct", r


def test_three_significant_digits_are_not_enough_to_confuse_the_two_probability_losses():
    """Squared and absolute error on p̂ differ by a factor |p̂ − y|; the tolerance keeps them apart."""
    for v in variants("example.confident_mistake"):
        se, ae = v.reference[1], v.reference[2]
        swapped = [v.reference[0], ae, se]
        assert problems.check(v.id, swapped, student=v.student).status == "incorrect", v.params


# ---------------------------------------------------------------------------- value references vs oracles
def test_zero_one_risk_matches_the_library_and_keeps_a_boundary_point():
    for v in variants("example.zero_one_risk"):
        y, s = np.array(v.params["ys"]), np.array(v.params["ss"])
        assert np.isclose(v.reference, losses.zero_one(y, s).mean())
        assert (s == 0).sum() == 1, v.params              # the y·s = 0 trap is always there
        assert round(v.reference * 6) not in (0, 3, 6), v.params


def test_class_weight_matches_the_library():
    for v in variants("example.class_weight"):
        counts, c = np.array(v.params["counts"]), v.params["c"] - 1
        weights = counts.sum() / (3 * counts)
        assert np.isclose(np.sum(weights * counts), counts.sum())    # every class carries n/K
        loss = losses.softmax_cross_entropy(c, np.array(v.params["z"]), class_weight=weights)
        assert np.allclose(v.reference, [weights[c], loss]), (v.params, v.reference)


def test_multitask_contributions_match_finite_differences():
    for v in variants("example.multitask_grad"):
        q = v.params

        def task(k: int, w: float) -> float:
            pred = q["c"] * w * q["x"] if k == 1 else w * q["x"]
            return q[f"lam{k}"] * 0.5 * (pred - q[f"y{k}"]) ** 2

        fd = [numerical_gradient(lambda t: task(k, float(t[0])), np.array([q["w0"]]))[0] for k in (1, 2)]
        assert np.allclose(v.reference, fd, rtol=1e-6), (q, v.reference, fd)


def test_l1_minimisers_match_brute_force():
    for v in variants("example.l1_soft_threshold"):
        lam = v.params["lam"]
        for a, w in zip(v.params["a"], v.reference):
            best = minimize_scalar(lambda u: 0.5 * (u - a) ** 2 + lam * abs(u), bounds=(-10, 10),
                                   method="bounded", options={"xatol": 1e-10}).x
            assert abs(best - w) < 1e-5, (a, lam, w, best)
        assert (v.reference == 0).sum() == 1, v.params    # one weight is cut to exactly zero


def test_partition_batches_average_to_the_full_gradient():
    for v in variants("example.partition_average"):
        q = v.params
        X, y = np.array(q["xs"])[:, None], np.array(q["ys"], dtype=float)
        w = np.array([q["w0"]])
        assert sorted(i for part in q["parts"] for i in part) == [1, 2, 3, 4, 5, 6]
        batch = [minibatch_gradient(w, X, y, np.array(part) - 1)[0] for part in q["parts"]]
        full = regularized_objective_grad(w, X, y)[0]
        assert np.allclose(v.reference, batch + [full]), (q, v.reference, batch, full)


def test_confident_mistake_gradients_match_finite_differences():
    for v in variants("example.confident_mistake"):
        y, z = v.params["y"], v.params["z"]
        assert (y == 1 and z < 0) or (y == 0 and z > 0)   # always a confident mistake
        loss_fns = [lambda u: -(y * log_expit(u) + (1 - y) * log_expit(-u)),
                    lambda u: 0.5 * (expit(u) - y) ** 2,
                    lambda u: abs(expit(u) - y)]
        fd = [numerical_gradient(lambda t: float(f(t[0])), np.array([z]))[0] for f in loss_fns]
        assert np.allclose(v.reference, fd, rtol=1e-6, atol=1e-9), (v.params, v.reference, fd)
        assert abs(v.reference[0]) > 10 * abs(v.reference[1])  # cross-entropy keeps pulling


# ---------------------------------------------------------------------------- the preference gradient
def test_preference_gradient_matches_finite_differences():
    problem = problems.get("grad.pairwise_preference")
    ref = problem.variant(None).reference
    sample = build_sample(problem)
    for i in range(sample.size):
        s, t = float(sample.points["s"][i]), float(sample.points["t"][i])
        fd = numerical_gradient(lambda u: float(-log_expit(u[0] - t)), np.array([s]))[0]
        got = float(ref.subs({SYMBOLS["s"]: s, SYMBOLS["t"]: t}))
        assert abs(got - fd) < 1e-6, (s, t, got, fd)


def test_preference_gradient_is_the_sympy_derivative():
    assert sp.simplify(sp.diff(s5.preference_loss(), SYMBOLS["s"]) - s5.preference_grad()) == 0


@pytest.mark.parametrize("answer", ["sigmoid(s - t) - 1", "-sigmoid(t - s)", "-exp(t - s)/(1 + exp(t - s))",
                                    "-1/(1 + exp(s - t))"])
def test_preference_accepts_equivalent_forms(answer):
    assert problems.check("grad.pairwise_preference", answer).status == "correct"


@pytest.mark.parametrize("answer, tag", [
    ("1 - sigmoid(s - t)", "sign"), ("sigmoid(t - s) - 1", "swap"),
    ("-1/sigmoid(s - t)", "chain-rule"), ("2*(sigmoid(s - t) - 1)", "factor"),
    ("-exp(t - s)/(1 + exp(t - s))**2", "chain-rule"),             # -σ'(s - t), written out: the outer step is missing
])
def test_preference_diagnoses(answer, tag):
    r = problems.check("grad.pairwise_preference", answer)
    assert r.status == "incorrect" and r.diagnosis == tag, r
    assert "sigmoid(s - t) - 1" not in r.message and r.counterexample is not None


# ---------------------------------------------------------------------------- the kink question
def test_hinge_kink_option_is_the_subdifferential():
    """g is a subgradient of max(0, 1 + s) at s = -1 iff the line of slope g stays below the graph."""
    grid = np.linspace(-6, 4, 2001)
    hinge = losses.hinge(-1, grid)

    def supports(g: float) -> bool:
        return bool(np.all(hinge >= losses.hinge(-1, -1.0) + g * (grid + 1) - 1e-12))

    inside = [g for g in np.linspace(-1.5, 1.5, 61) if supports(g)]
    assert np.isclose(min(inside), 0.0) and np.isclose(max(inside), 1.0)
    r = problems.check("choice.hinge_kink", "b")
    assert r.status == "incorrect" and r.diagnosis == "sign"


def test_choice_explanations_are_shown():
    r = problems.check("choice.metric_gap", "c")
    assert r.status == "incorrect" and "surrogate" in r.message
    assert problems.check("choice.calibration_vs_margin", "(A)").status == "correct"
    assert problems.check("choice.calibration_vs_margin", "e").status == "invalid"


# ---------------------------------------------------------------------------- targeted value diagnoses
@pytest.mark.parametrize("pid, wrong, words", [
    ("example.zero_one_risk", 0.5, "decision boundary"),            # s = 0 counted as right
    ("example.zero_one_risk", 2 / 6, "accuracy"),
    ("example.multitask_grad", [-2000, -4], "scale c"),
    ("example.class_weight", [1 / 12, 9.630 / 48], "class frequency"),
    ("example.class_weight", [4, 2.408], "plain cross-entropy"),              # chain rule without the 1000
    ("example.l1_soft_threshold", [-2 / 1.5, 0.4 / 1.5, 1.5 / 1.5], "L2 penalty"),
    ("example.l1_soft_threshold", [-1.5, -0.1, 1.0], "|a| ≤ λ"),
    ("example.partition_average", [-2, -2.25, -12, -16.25 / 3], "m = 2"),
    ("example.confident_mistake", [-1 / expit(-4.0), expit(-4.0) - 1, -1], "chain them"),
])
def test_value_mistakes_get_their_messages(pid, wrong, words):
    r = problems.check(pid, wrong)
    assert r.status == "incorrect" and words in r.message, r
    assert r.counterexample is None                                  # never the expected value


def test_variants_differ_between_learners_and_are_stable():
    for pid in ("example.zero_one_risk", "example.class_weight", "example.multitask_grad", "example.l1_soft_threshold",
                "example.partition_average", "example.confident_mistake"):
        problem = problems.get(pid)
        seen = {repr(problem.variant(f"learner-{k}").params) for k in range(12)}
        assert len(seen) >= 4, pid
        assert problem.variant("ana").params == problem.variant("ana").params

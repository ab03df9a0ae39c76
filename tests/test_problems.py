"""The problem bank: contract, references against independent oracles, catalogues, variants."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.special import expit, log_expit, logsumexp

from lossedu import derivations as D
from lossedu import losses, problems
from lossedu.checking import functions
from lossedu.concepts import CONCEPTS
from lossedu.checking.diagnose import evaluate
from lossedu.gradcheck import numerical_gradient
from lossedu.checking.sampling import AT_KINK, NEAR_KINK, build_sample
from lossedu.spec import render
from lossedu.result import DIAGNOSES
from lossedu.checking.symbolic import SYMBOLS, to_expr

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


from capstone_answers import IDS as CAPSTONE_IDS, answer_for as capstone_answer  # noqa: E402


def answer_of(variant):
    """The reference written the way a learner would hand it in (text, list, numbers, key); for
    an implementation, a NumPy one written independently of the bank (the bank's reference calls
    lossedu.losses, which an implementation answer must not)."""
    ref, kind = variant.reference, variant.problem.kind
    if kind == "expression":
        return str(ref)
    if kind == "vector":
        return [str(e) for e in ref]
    if kind == "value":
        return np.asarray(ref).tolist()
    if kind == "function":
        if variant.id in CAPSTONE_IDS:
            return capstone_answer(variant)
        return NUMPY_ANSWERS[variant.id](variant.params)
    return ref


# ---------------------------------------------------------------------------- contract
def test_required_ids_and_variables():
    for pid, variables in REQUIRED.items():
        assert set(problems.get(pid).variables) == set(variables), pid


def test_sessions_and_order():
    assert problems.sessions() == [1, 2, 3, 4, 5, 6]
    for k in problems.sessions():
        qs = problems.session_problems(k)
        assert 6 <= len(qs) <= 14 and all(p.session == k for p in qs)
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
            if isinstance(wrong, str):
                wrong = render(wrong, v.context)   # "{{a}}*(y - yhat)": this variant's numbers
                if problem.kind == "choice":         # the option written with that key, as this variant shows it
                    wrong = v.shown_key(next(o for o in problem.options if o.key == mistake.answer))
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
            r = problems.check(problem.id, wrong, student=student)
            if r.status == "correct":
                continue  # e.g. "the weight a is missing" on the canonical variant, whose a is 1
            tried += 1
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


def numpy_bce_grad(y, z):
    return np.exp(-np.logaddexp(0.0, -z)) - y


def variant_bce(params):
    """Stable BCE for the variant's label encoding (0/1, or ±1 as log(1 + exp(-y z)))."""
    if params.get("labels") == "pm1":
        return lambda y, z: np.logaddexp(0.0, -y * z)
    return stable_bce


def variant_softmax_ce(params):
    """Stable softmax cross-entropy at the variant's temperature T."""
    return lambda y, z: stable_softmax_ce(y, z / params["T"])


def variant_weighted_pair(params):
    """Cross-entropy with weight alpha on the positive term, and its derivative."""
    a = params["alpha"]

    def loss(y, z):
        return a * y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)

    def grad(y, z):
        s = np.exp(-np.logaddexp(0.0, -z))
        return a * y * (s - 1) + (1 - y) * s

    return loss, grad


#: A NumPy answer to every implementation problem, built from the variant's parameters (a new
#: function problem needs one here).
NUMPY_ANSWERS = {"impl.bce_with_logits": variant_bce, "impl.softmax_cross_entropy": variant_softmax_ce,
                 "impl.bce_with_logits_grad": variant_weighted_pair}


def test_every_function_problem_has_a_numpy_answer():
    assert set(NUMPY_ANSWERS) | CAPSTONE_IDS == {p.id for p in ALL if p.kind == "function"}


def test_function_problems():
    assert problems.check("impl.bce_with_logits", stable_bce).status == "correct"
    assert problems.check("impl.bce_with_logits", lambda y, z: np.logaddexp(0.0, z) - y * z).correct
    assert problems.check("impl.bce_with_logits_grad", (stable_bce, numpy_bce_grad)).correct
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
    assert functions.judge_outputs(v, inputs, good).correct
    raised = ["ZeroDivisionError: division by zero"] + good[1:]
    assert "ZeroDivisionError" in functions.judge_outputs(v, inputs, raised).message
    warned = [[] for _ in inputs]
    warned[-1] = ["RuntimeWarning: overflow encountered in exp"]
    assert functions.judge_outputs(v, inputs, good, warned).diagnosis == "unstable"


# ---------------------------------------------------------------------------- messages never give the answer away
# A learner reads a Mistake message when an answer is wrong and the hints one at a time; only the
# last hint may come close to the answer. The texts are compared with the reference written in
# many ways: SymPy's text and LaTeX, the usual Unicode spellings (σ(z) − y, p̂ − y, ŷ − y, −y, the
# factors in any order), ± the reference, and for a Mistake also the correction it would need
# (reference − mistake, reference / mistake) and any chain-rule factor the problem lists.
_S = {name: sp.Symbol(name) for name in ("phat", "p", "u", "r", "phat_j", "y_j", "ytilde_j")}
_TEXT = [  # (LaTeX or Unicode, normalised spelling)
    (r"\left", ""), (r"\right", ""), (r"\hat{y}", " yhat "), (r"\hat y", " yhat "), (r"\hat{p}", " phat "),
    (r"\hat p", " phat "), (r"\tilde y", " ytilde "), (r"\tilde{y}", " ytilde "), (r"\sigma", " sigmoid "),
    (r"\delta", " delta "), (r"\alpha", " alpha "), (r"\beta", " beta "), (r"\lambda", " lam "),
    (r"\varepsilon", " eps "), (r"\epsilon", " eps "), (r"\cdot", "*"), (r"\operatorname{sign}", " sign "),
    (r"\mathrm{sign}", " sign "), (r"\frac", " "), (r"\,", " "), (r"\;", " "), (r"\!", ""), ("$", " "),
    ("p̂", " phat "), ("ŷ", " yhat "), ("ỹ", " ytilde "), ("σ", " sigmoid "), ("δ", " delta "),
    ("α", " alpha "), ("β", " beta "), ("λ", " lam "), ("ε", " eps "), ("−", "-"), ("·", "*"), ("×", "*"),
    ("ⱼ", "_j"), ("ᵢ", "_i"), ("²", "^2"), ("½", "1/2"), ("**", "^"), ("divided by", "/"),
]
_MATH_WORDS = {"sigmoid", "yhat", "phat", "ytilde", "exp", "log", "sign", "delta", "alpha", "beta", "lam",
               "eps", "Abs", "Max", "Min", "Piecewise", "Heaviside"}


def _tokens(text: str) -> list[str]:
    import re

    text = re.sub(r"_\{(\w+)\}", r"_\1", text)
    for old, new in _TEXT:
        text = text.replace(old, new)
    text = re.sub(r"\s+_", "_", text.replace("{", " ").replace("}", " "))
    return [t for t in re.findall(r"\d+(?:\.\d+)?|\w+|[^\s\w]", text) if t != "*"]


def _operand(tok: str) -> bool:
    return (tok in _MATH_WORDS or tok[0].isdigit() or "_" in tok or tok in (")", "^", "/", "'")
            or (len(tok) == 1 and tok.isalpha()) or (len(tok) <= 3 and tok[0].isalpha() and tok[-1].isdigit()))


def _contains(text: str, form: list[str]) -> bool:
    """``form`` occurs in ``text`` as a whole expression (not inside a longer product or sum)."""
    toks, n = _tokens(text), len(form)
    for i in range(len(toks) - n + 1):
        if toks[i:i + n] != form:
            continue
        start, end = i, i + n
        while start and end < len(toks) and toks[start - 1] == "(" and toks[end] == ")":
            start, end = start - 1, end + 1  # "(σ(z) − y)²": judge the brackets' surroundings
        before, after = (toks[start - 1] if start else None), (toks[end] if end < len(toks) else None)
        if before is not None and (_operand(before) or before in ("-", "+")) and form[0] not in ("/",):
            continue
        if after is not None and (_operand(after) or after in ("(", "_")) and after != ")":
            continue
        return True
    return False


_SIGMOID = sp.Function("sigmoid")  # printed as such; lossedu's sigmoid is 1/(1 + exp(−u))


def _readable(expr: sp.Expr) -> sp.Expr:
    """1/(1 + exp(−u)) written σ(u), 1 + exp(−u) written 1/σ(u), and softmax written p̂ⱼ."""
    def is_sigmoid(e):
        return (e.is_Pow and e.exp == -1 and e.base.is_Add and len(e.base.args) == 2 and 1 in e.base.args
                and any(isinstance(a, sp.exp) for a in e.base.args))

    def to_sigmoid(e):
        arg = next(a for a in e.base.args if isinstance(a, sp.exp)).args[0]
        return _SIGMOID(-arg)

    def is_inverse(e):  # 1 + exp(−u) = 1/σ(u)
        return e.is_Add and len(e.args) == 2 and 1 in e.args and any(isinstance(a, sp.exp) for a in e.args)

    def to_inverse(e):
        return 1 / _SIGMOID(-next(a for a in e.args if isinstance(a, sp.exp)).args[0])

    expr = expr.replace(is_sigmoid, to_sigmoid).replace(is_inverse, to_inverse)
    for j in range(3):
        expr = expr.xreplace({D.softmax(j): sp.Symbol(f"phat{j + 1}")})
    return expr


def _aliases(expr: sp.Expr) -> list[sp.Expr]:
    """The expression in the names a text would use (p̂ for σ(z), u for s − t, r for ŷ − y, ...)."""
    sigmoid = _SIGMOID
    z, s, t, y, yhat = (SYMBOLS[n] for n in ("z", "s", "t", "y", "yhat"))
    out = [expr, expr.subs(sigmoid(z), _S["phat"]), expr.subs(sigmoid(z), _S["p"]),
           expr.subs(s - t, _S["u"]), expr.subs(yhat - y, _S["r"]).subs(y - yhat, -_S["r"])]
    for j in range(3):
        generic = {sp.Symbol(f"phat{j + 1}"): _S["phat_j"], D.YS[j]: _S["y_j"]}
        out.append(expr.xreplace(generic))
    return list(dict.fromkeys(out))


def _spellings(e: sp.Expr, cap: int = 48) -> set[str]:
    """Texts of ``e``: every order of the terms of a sum and of the factors of a product."""
    import itertools

    if e.is_Add:
        parts = [sorted(_spellings(a, 6)) for a in e.args]
        out = set()
        for order in itertools.permutations(range(len(parts))) if len(parts) <= 4 else [range(len(parts))]:
            for pick in itertools.islice(itertools.product(*(parts[k] for k in order)), 8):
                text = pick[0] + "".join(f" - {p[1:]}" if p.startswith("-") else f" + {p}" for p in pick[1:])
                out.add(text)
            if len(out) >= cap:
                break
        return out
    if e.is_Mul:
        num, den = e.as_numer_denom()
        if den != 1:
            d = sorted(_spellings(den, 6))
            return {f"({n})/({q})" if q.count(" ") else f"({n})/{q}" for n in sorted(_spellings(num, 6))
                    for q in d} | {f"{n}/{q}" for n in sorted(_spellings(num, 6)) for q in d if " " not in n}
        coeff, factors = e.as_coeff_mul()
        sign = "-" if coeff == -1 else ""
        factors = ([] if abs(coeff) == 1 else [sp.Abs(coeff)]) + list(factors)
        parts = [[f"({x})" if f.is_Add else x for x in sorted(_spellings(f, 6))] for f in factors]
        out = set()
        for order in itertools.permutations(range(len(parts))) if len(parts) <= 4 else [range(len(parts))]:
            for pick in itertools.islice(itertools.product(*(parts[k] for k in order)), 8):
                out.add(sign + "*".join(pick))
        return out
    if e.is_Pow and e.exp == -1:
        return {f"1/({b})" if " " in b else f"1/{b}" for b in _spellings(e.base, 6)}
    if isinstance(e, sp.Function) and len(e.args) == 1:
        return {f"{type(e).__name__}({a})" for a in _spellings(e.args[0], 6)}
    return {str(e)}


def _forms(exprs) -> list[list[str]]:
    """Token lists of every spelling of ± each expression (at least two tokens: '−y' counts)."""
    from lossedu.checking.symbolic import latex

    forms = []
    for expr in exprs:
        expr = _readable(sp.sympify(expr))
        if expr.is_number or sp.count_ops(expr) > 12:
            continue
        texts = {str(expr), latex(expr), sp.latex(expr)}
        for alias in _aliases(expr):
            for signed in (alias, -alias):
                texts |= _spellings(signed)
        for text in texts:
            toks = _tokens(text)
            if len(toks) >= 2:
                forms.append(toks)
                if toks[:2] == ["1", "/"]:
                    forms.append(toks[1:])  # "divided by σ(u)"
    return forms


def _pieces(ref) -> list[sp.Expr]:
    """The reference itself, each component of a vector and each piece of a piecewise answer."""
    out = []
    for e in (ref if isinstance(ref, (list, tuple)) else [ref]):
        out.append(e)
        if isinstance(e, sp.Piecewise):
            out += [piece for piece, _ in e.args]
    return out


def _corrections(ref, wrong) -> list[sp.Expr]:
    """What a mistake would need to become the answer: ref − wrong and ref / wrong."""
    out = []
    for r, w in zip(_pieces(ref), _pieces(wrong)):
        if isinstance(r, sp.Piecewise) or isinstance(w, sp.Piecewise):
            continue
        for c in (sp.simplify(r - w), sp.simplify(r / w) if w != 0 else sp.S.Zero):
            if not c.is_number:
                out.append(c)
    return out


def _leaks(text: str, forms) -> list[str]:
    return [" ".join(f) for f in forms if _contains(text, f)]


#: Value problems whose mistake messages must not state the formula of the answer.
VALUE_FORMULAS = {"example.bce_logit": ["p̂ − y", "σ(z) − y", "sigmoid(z) - y"],
                  "example.confident_mistake": ["p̂ − y", "σ(z) − y"]}


def test_the_leak_detector_sees_the_usual_spellings():
    forms = _forms([D.bce_logit_grad()])
    for text in ("it is p̂ − y.", "it is σ(z) − y", "so the answer is $\\sigma(z) - y$", "(y − σ(z))",
                 "gives -y + sigmoid(z) there"):
        assert _leaks(text, forms), text
    for text in ("p̂ − y²", "1 − σ(z) − y·s", "differentiate p̂ = σ(z) and multiply it in",
                 "σ(z)(1 − σ(z))", "½(σ(z) − y)²", "2(p̂ − y)"):
        assert not _leaks(text, forms), text
    hinge = _forms(_pieces(D.hinge_grad()))
    assert _leaks("s disappears and −y remains", hinge) and not _leaks("L = 1 − y·s", hinge)
    chain = _forms([symbolic_expr("sigmoid(z)*(1 - sigmoid(z))")])
    assert _leaks("multiply by ∂p/∂z = σ(z)(1 − σ(z)) to", chain)


def symbolic_expr(text: str, variables=("z", "s", "t", "y")) -> sp.Expr:
    return to_expr(text, variables)


def _mistake_answer(variant, mistake):
    """A catalogued wrong answer of an expression or vector problem as SymPy."""
    wrong = mistake.answer(variant.params) if callable(mistake.answer) else mistake.answer
    if variant.problem.kind == "vector":
        return [sp.sympify(e) for e in wrong]
    if isinstance(wrong, sp.Basic):
        return wrong
    return symbolic_expr(render(str(wrong), variant.context), variant.problem.variables)


SYMBOLIC = [p for p in ALL if p.kind in ("expression", "vector")]


@pytest.mark.parametrize("problem", SYMBOLIC, ids=[p.id for p in SYMBOLIC])
def test_messages_and_early_hints_do_not_give_the_answer_away(problem):
    for student in (None, "ana"):
        v = problem.variant(student)
        answer = _forms(_pieces(v.reference))
        for k, hint in enumerate(v.hints[:-1], start=1):
            assert not _leaks(hint, answer), (problem.id, f"hint {k}", hint, _leaks(hint, answer))
        chain = _forms([to_expr(render(c, v.context), problem.variables) for c in problem.chain])
        for mistake in problem.mistakes:
            wrong = _mistake_answer(v, mistake)
            forms = answer + chain + _forms(_corrections(v.reference, wrong))
            assert not _leaks(mistake.message, forms), (problem.id, mistake.message, _leaks(mistake.message, forms))


VALUES = [p for p in ALL if p.kind == "value"]


@pytest.mark.parametrize("problem", VALUES, ids=[p.id for p in VALUES])
def test_value_messages_and_early_hints_do_not_state_the_answer(problem):
    """No Mistake message and no hint but the last prints an answer's number (to 2-4 decimals),
    and no Mistake message states the formula that gives it."""
    formulas = [_tokens(f) for f in VALUE_FORMULAS.get(problem.id, [])]
    for student in (None, "ana", "ben"):
        v = problem.variant(student)
        numbers = {abs(float(x)) for x in np.ravel(v.reference) if round(float(x), 1) != float(x)}
        printed = [[f"{x:.{d}f}"] for x in numbers for d in (2, 3, 4)] + [[f"{x:g}"] for x in numbers]
        for k, hint in enumerate(v.hints[:-1], start=1):
            assert not _leaks(hint, printed), (problem.id, f"hint {k}", hint)
        for mistake in problem.mistakes:
            assert not _leaks(mistake.message, printed + formulas), (problem.id, mistake.message)


CHOICES = [p for p in ALL if p.kind == "choice"]


@pytest.mark.parametrize("problem", CHOICES, ids=[p.id for p in CHOICES])
def test_a_wrong_option_does_not_name_the_right_one(problem):
    right = next(o for o in problem.options if o.correct)
    for text in [o.explanation for o in problem.options if not o.correct] + [m.message for m in problem.mistakes]:
        assert right.text.lower() not in text.lower() and f"**{right.key}**" not in text, (problem.id, text)


#: Function problems whose mistake messages must not state the gradient or the factor it needs.
FUNCTION_FORMULAS = {"impl.bce_with_logits_grad": ["σ(z) − y", "p̂ − y", "σ(z)(1 − σ(z))", "p̂(1 − p̂)"]}


@pytest.mark.parametrize("pid", sorted(FUNCTION_FORMULAS))
def test_function_mistake_messages_do_not_state_the_gradient(pid):
    formulas = [_tokens(f) for f in FUNCTION_FORMULAS[pid]]
    for mistake in problems.get(pid).mistakes:
        assert not _leaks(mistake.message, formulas), (pid, mistake.message)

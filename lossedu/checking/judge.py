"""The judge: is a learner's answer equal to the reference, and if not, what went wrong?

Expressions are compared numerically first: both are evaluated on points drawn from every
variable's domain, inside every region of a piecewise reference, just either side of each kink
and exactly on it, where any value between the one-sided limits (the subdifferential of a
convex loss) is accepted. A smooth answer that passes is then confirmed symbolically with SymPy
under a time limit; a time-out gives ``undecided``, never ``incorrect``. An answer SymPy cannot
prove equal (a piecewise one, say) is compared on a denser sample and then on far-out points and
points built from its own numbers (:mod:`lossedu.checking.probes`), so that
``Piecewise((sigmoid(z) - y, abs(z) < 4), (0, True))`` is not taken for the gradient.

Time limits. One check takes at most :data:`HARD_LIMIT` seconds. On the main thread (a notebook
kernel, a script) the limit is an interval timer (``signal.setitimer`` + ``SIGALRM``) that
interrupts the work; it repeats every :data:`REPEAT` seconds until the block ends, so code that
swallows one interruption (a learner's ``except BaseException: pass``) is interrupted again as
soon as it returns. On any other thread the work runs in a daemon worker thread; when the
limit passes the caller gets ``undecided`` and the worker is abandoned.

Only expressions that passed :func:`lossedu.checking.symbolic.to_expr` (the safe parser or ``vet``) are
turned into NumPy functions with :func:`sympy.lambdify`.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import sympy as sp

from lossedu.checking import functions, symbolic, values
from lossedu.checking.budget import CheckTimeout, bounded, expired, time_limit  # noqa: F401 - re-exported
from lossedu.checking.compiled import evaluate
from lossedu.checking.diagnose import diagnose
from lossedu.checking.coerce import split_list_text
from lossedu.checking.nearmiss import (safeguard_message, settle_rounding, singled_out_mismatch,
                                      without_tiny)
from lossedu.checking.probes import far_mismatch
from lossedu.spec import Variant
from lossedu.checking.tables import dense_table, reference_exprs, reference_table
from lossedu.result import CORRECT, INCORRECT, INVALID, UNATTEMPTED, UNDECIDED, Result

HARD_LIMIT = 2.0       # seconds for one whole check
SYMBOLIC_LIMIT = 1.0   # seconds for the symbolic confirmation of one expression
MAX_STEPS = 50         # steps of one derivation

FAR_OUT = ("Your answer matches the correct one on the usual test points, but not at other values of "
           "the variables (far from 0, very close to a kink, or near the ends of a probability's "
           "range): it has to hold for every value.")

SINGLE_POINT = ("Your answer matches the correct one almost everywhere, but not at a point it singles "
                "out itself (a special case or a boundary in its conditions): it has to hold at every "
                "point, and at a kink it must be a valid (sub)gradient.")

_NONSMOOTH = (sp.Piecewise, sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min)


# ---------------------------------------------------------------------------- entry points
def judge(variant: Variant, answer: Any) -> Result:
    """Judge ``answer`` to ``variant`` within :data:`HARD_LIMIT` seconds; never raises."""
    pid = variant.id
    if answer is None or answer is Ellipsis:
        return Result(UNATTEMPTED, message="No answer yet: replace ... with your answer.", problem_id=pid)

    def work() -> Result:
        kind = variant.problem.kind
        if kind == "expression":
            return judge_expression(variant, answer)
        if kind == "vector":
            return judge_vector(variant, answer)
        if kind == "steps":
            return judge_steps(variant, answer, bounded_=False)
        if kind == "value":
            return values.judge_value(variant, answer)
        if kind == "choice":
            return values.judge_choice(variant, answer)
        return functions.judge_function(variant, answer)

    _prepare(variant)
    return bounded(_guard(work, pid), HARD_LIMIT, lambda: _timeout(pid))


def _prepare(variant: Variant) -> None:
    """Build the answer-independent parts (bank, reference tables) before the clock starts."""
    if variant.problem.kind in ("expression", "vector", "steps"):
        reference_table(variant)
    else:
        variant.reference  # noqa: B018 - computed and cached


def judge_steps(variant: Variant, steps: Any, bounded_: bool = True) -> Result:
    """Judge a derivation: every step must equal the answer; report the first that does not."""
    pid = variant.id
    if steps is None or steps is Ellipsis:
        return Result(UNATTEMPTED, message="No derivation yet: give a list of steps.", problem_id=pid)
    if variant.problem.kind not in ("expression", "steps"):
        return Result(INVALID, message=f"{pid} takes one answer, not a list of steps.", problem_id=pid)
    if isinstance(steps, (str, sp.Basic)):
        steps = [steps]
    if not isinstance(steps, (list, tuple)) or not steps:
        return Result(INVALID, message="Give the derivation as a non-empty list of expressions, "
                      "one per step.", problem_id=pid)
    if len(steps) > MAX_STEPS:
        return Result(INVALID, message=f"A derivation may have at most {MAX_STEPS} steps, got "
                      f"{len(steps)}.", problem_id=pid)

    def work() -> Result:
        exprs, latexes = [], []
        for k, step in enumerate(steps, start=1):
            expr = read_expression(variant, step)
            if isinstance(expr, str):
                return Result(INVALID, message=f"Step {k}: {expr}", problem_id=pid,
                              interpreted=" = ".join(latexes) or None, details={"step": k})
            exprs.append(expr)
            latexes.append(symbolic.latex(expr))
        interpreted = " = ".join(latexes)
        for k, expr in enumerate(exprs, start=1):
            verdict = compare(variant, expr, 0)
            if verdict.status != CORRECT:
                text = f"Step {k} of {len(exprs)} is not equal to the answer: {verdict.message}"
                return Result(verdict.status, 0.0, text, verdict.diagnosis, verdict.counterexample,
                              interpreted, pid, {"step": k})
        return Result(CORRECT, 1.0, f"All {len(exprs)} steps are correct.", interpreted=interpreted,
                      problem_id=pid)

    if not bounded_:
        return work()
    _prepare(variant)
    return bounded(_guard(work, pid), HARD_LIMIT, lambda: _timeout(pid))


def _guard(work: Callable[[], Result], pid: str) -> Callable[[], Result]:
    def run() -> Result:
        try:
            return work()
        except (CheckTimeout, KeyboardInterrupt):
            raise
        except BaseException as err:  # noqa: BLE001 - a check never raises (GeneratorExit, SystemExit...)
            return Result(INVALID, message="This answer could not be checked in the form it was given "
                          "(it was not marked wrong). Write it more simply, with the variables of the "
                          "problem and the functions listed in docs/notation.md.", problem_id=pid,
                          details={"internal": type(err).__name__})
    return run


def _timeout(pid: str) -> Result:
    return Result(UNDECIDED, message=f"The check took longer than {HARD_LIMIT:g} s and was stopped; "
                  "your answer was not marked wrong. Try writing it in a simpler form.", problem_id=pid)


# ---------------------------------------------------------------------------- reading answers
def read_expression(variant: Variant, answer: Any) -> sp.Expr | str:
    """The vetted SymPy expression of ``answer``, or a message saying why it cannot be read."""
    variables = variant.problem.variables
    if isinstance(answer, bool) or (callable(answer) and not isinstance(answer, sp.Basic)):
        return (f"expected an expression such as {_example(variables)} (text or SymPy), "
                f"got {type(answer).__name__}")
    try:
        expr = symbolic.to_expr(answer, variables)
    except symbolic.ParseError as err:
        return str(err)
    except (ValueError, TypeError, AttributeError, RecursionError, OverflowError, MemoryError) as err:
        return f"could not read the answer ({type(err).__name__})"
    if not isinstance(expr, sp.Expr):
        return f"expected an expression, got {type(expr).__name__}"
    return expr


def _example(variables: tuple[str, ...]) -> str:
    return "'" + " - ".join(variables[::-1][:2]) + "'" if variables else "'1/2'"


# ---------------------------------------------------------------------------- expressions
def judge_expression(variant: Variant, answer: Any) -> Result:
    """Judge one expression answer against the variant's reference."""
    expr = read_expression(variant, answer)
    if isinstance(expr, str):
        return Result(INVALID, message=f"Could not read your answer: {expr}", problem_id=variant.id)
    verdict = compare(variant, expr, 0)
    return _with(verdict, interpreted=symbolic.latex(expr), problem_id=variant.id)


def judge_vector(variant: Variant, answer: Any) -> Result:
    """Judge a vector of expressions component by component (partial credit per component)."""
    pid, names = variant.id, variant.problem.components
    size = len(variant.reference)
    if isinstance(answer, str):
        answer = vector_items(answer)
        if isinstance(answer, Malformed):
            return Result(INVALID, message=f"Could not read your list of {size} expressions "
                          f"({', '.join(names)}): {answer.why}", problem_id=pid)
    if isinstance(answer, sp.MatrixBase):
        answer = list(answer)
    elif isinstance(answer, np.ndarray):
        answer = answer.ravel().tolist() if answer.size <= 100 else None
    if not isinstance(answer, (list, tuple)):
        got = ("one expression, not a list; write the list as [a, b, c]" if isinstance(answer, str)
               else type(answer).__name__)
        return Result(INVALID, message=f"Expected a list of {size} expressions "
                      f"({', '.join(names)}), got {got}.", problem_id=pid)
    if len(answer) != size:
        return Result(INCORRECT, message=f"Expected {size} components ({', '.join(names)}), "
                      f"got {len(answer)}.", diagnosis="shape", problem_id=pid)
    exprs = []
    for k, item in enumerate(answer):
        expr = read_expression(variant, item)
        if isinstance(expr, str):
            return Result(INVALID, message=f"Component {k + 1} ({names[k]}): {expr}", problem_id=pid)
        exprs.append(expr)
    interpreted = r"\left(" + ", ".join(symbolic.latex(e) for e in exprs) + r"\right)"
    verdicts = [compare(variant, e, k) for k, e in enumerate(exprs)]
    right = [v.status == CORRECT for v in verdicts]
    if all(right):
        return Result(CORRECT, 1.0, "Correct: every component matches.", interpreted=interpreted,
                      problem_id=pid)
    undecided = [k for k, v in enumerate(verdicts) if v.status == UNDECIDED]
    wrong = [k for k, v in enumerate(verdicts) if v.status == INCORRECT]
    score = sum(right) / size
    if not wrong:
        v = verdicts[undecided[0]]
        return Result(UNDECIDED, score, f"Component {undecided[0] + 1}: {v.message}",
                      interpreted=interpreted, problem_id=pid)
    first = verdicts[wrong[0]]
    listed = ", ".join(f"{k + 1} ({names[k]})" for k in wrong)
    message = (f"{sum(right)} of {size} components are right; wrong: component {listed}. "
               f"Component {wrong[0] + 1}: {first.message}")
    counter = dict(first.counterexample or {}, component=names[wrong[0]])
    return Result(INCORRECT, score, message, first.diagnosis, counter, interpreted, pid,
                  {"wrong_components": [k + 1 for k in wrong]})


class Malformed(str):
    """Why a text list cannot be read (a ``str``, so it prints as the message)."""

    @property
    def why(self) -> str:
        return str(self)


def vector_items(text: str) -> list[str] | str:
    """``"[a, b, c]"``, ``"(a, b, c)"`` or ``"a, b, c"`` -> ``["a", "b", "c"]``; one expression
    comes back as the text; unreadable lists as :class:`Malformed` (a message)."""
    body = text.strip()
    depth, commas = 0, 0
    for i, ch in enumerate(body):
        depth += (ch in "([{") - (ch in ")]}")
        if depth < 0:
            return Malformed(f"a closing bracket at column {i} has no opening one")
        commas += ch == "," and depth == (1 if body[:1] in "[(" and body[-1:] in "])" else 0)
    if depth > 0:
        return Malformed("a bracket is opened and never closed")
    items = split_list_text(body)
    if items is None and commas and body[:1] not in "[(":
        items = split_list_text(f"[{body}]")
    if items is None:
        return text
    raw = [part.strip() for part in _top_level_split(body[1:-1] if body[:1] in "[(" and body[-1:] in "])"
                                                     else body)]
    if raw and not raw[-1]:
        raw = raw[:-1]  # a trailing comma, as Python allows
    empty = [k + 1 for k, part in enumerate(raw) if not part]
    if empty:
        return Malformed(f"component {empty[0]} is empty (two commas in a row?)")
    return raw


def _top_level_split(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "([{") - (ch in ")]}")
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _with(result: Result, **changes: Any) -> Result:
    return Result(**{**result.to_dict(), "details": result.details, **changes})


def _numeric(table: Any, expr: sp.Expr, names: tuple[str, ...], component: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """(learner's values, accepted?) on a table's points; float disagreements that are only
    rounding are settled in high precision (:func:`lossedu.checking.nearmiss.settle_rounding`)."""
    got = evaluate(expr, names, table.sample.points)
    ok = table.accepts(component, got)
    if not ok.all():
        ok = settle_rounding(expr, table.sample.points, got, ok, lambda v: table.accepts(component, v))
    return got, ok


def compare(variant: Variant, expr: sp.Expr, component: int) -> Result:
    """Numeric comparison with component ``component`` of the reference, then symbolic proof,
    then the near-miss probes (far-out points, points the answer singles out, safeguards)."""
    table = reference_table(variant)
    sample, names = table.sample, variant.problem.variables
    plain = without_tiny(expr)
    if plain is not None and compare(variant, plain, component).status == CORRECT:
        return _safeguard(table, expr, names, component)
    got, ok = _numeric(table, expr, names, component)
    if not ok.all():
        tag, message = diagnose(variant, table, component, got, ok)
        counter = table.counterexample(component, got, ok)
        return Result(INCORRECT, 0.0, message, tag, counter)
    reference = reference_exprs(variant)[component]
    proved = symbolic_equal(expr, reference, variant)
    if proved is True:
        return Result(CORRECT, 1.0, "Correct.", details={"confirmed": "symbolic"})
    if proved != "timeout":
        dense = dense_table(variant)
        got, ok = _numeric(dense, expr, names, component)
        if not ok.all():
            tag, message = diagnose(variant, dense, component, got, ok)
            return Result(INCORRECT, 0.0, message, tag, dense.counterexample(component, got, ok))
    single = singled_out_mismatch(variant, expr, reference)
    if single is not None:
        return Result(INCORRECT, 0.0, SINGLE_POINT, "kink" if "any value" in str(single["expected"])
                      else None, single)
    far = far_mismatch(variant, expr, reference)
    if far is not None:
        return Result(INCORRECT, 0.0, FAR_OUT, None, far)
    if proved == "timeout":
        return Result(UNDECIDED, 0.0, f"Your answer agrees with the reference at {sample.size} "
                      f"points, but proving it equal took longer than {SYMBOLIC_LIMIT:g} s. It was not "
                      "marked wrong; simplifying it may help.")
    return Result(CORRECT, 1.0, "Correct.", details={"confirmed": "numeric",
                                                     "points": sample.size + dense.sample.size})


def _safeguard(table: Any, expr: sp.Expr, names: tuple[str, ...], component: int) -> Result:
    """"incorrect" (diagnosis ``safeguard``) with the point where the safeguard shows most."""
    got = evaluate(expr, names, table.sample.points)
    want = table.value[component]
    with np.errstate(all="ignore"):
        gap = np.where(np.isfinite(got) & np.isfinite(want), np.abs(got - want), -1.0)
    i = int(np.argmax(gap))
    counter = {"point": table.sample.point(i), "expected": float(f"{want[i]:.12g}"),
               "got": float(f"{got[i]:.12g}") if np.isfinite(got[i]) else str(got[i])}
    return Result(INCORRECT, 0.0, safeguard_message(expr), "safeguard", counter)


# ---------------------------------------------------------------------------- symbolic proof
def _discrete_cases(variant: Variant) -> list[dict[sp.Symbol, int]]:
    """Every assignment of the label-like variables (y ∈ {0, 1}, one-hot y, ...)."""
    cases: list[dict[sp.Symbol, int]] = [{}]
    problem = variant.problem
    onehot = [symbolic.SYMBOLS[v] for v in problem.variables if problem.domains[v] == "onehot"]
    for var in problem.variables:
        values = {"label01": (0, 1), "pm1": (-1, 1)}.get(problem.domains[var])
        if values:
            cases = [{**c, symbolic.SYMBOLS[var]: v} for c in cases for v in values]
    if onehot:
        cases = [{**c, **{s: int(i == j) for j, s in enumerate(onehot)}}
                 for c in cases for i in range(len(onehot))]
    return cases


def _is_zero(d: sp.Expr, steps: tuple = (sp.cancel,)) -> bool | None:
    if d == 0:
        return True
    for step in steps:
        out = step(d)
        if out == 0:
            return True
    return None


_PROVED: dict[tuple, bool | None] = {}   # (answer, reference, label cases) -> verdict
MAX_PROVED = 2048


def symbolic_equal(expr: sp.Expr, reference: sp.Expr, variant: Variant) -> bool | str | None:
    """True if SymPy proves ``expr == reference`` on the domain, ``"timeout"`` if it ran out of
    time, None if it could not decide (non-smooth answers are left to the numeric check).
    Verdicts that finished in time are remembered, so a repeated answer is not proved again."""
    if expr.has(*_NONSMOOTH) or reference.has(*_NONSMOOTH):
        return None
    key = (expr, reference, tuple(variant.problem.domains.get(v) for v in variant.problem.variables))
    if key in _PROVED:
        return _PROVED[key]
    verdict = _prove(expr, reference, variant)
    if verdict != "timeout":
        if len(_PROVED) >= MAX_PROVED:
            _PROVED.clear()
        _PROVED[key] = verdict
    return verdict


def _prove(expr: sp.Expr, reference: sp.Expr, variant: Variant) -> bool | str | None:
    try:
        with time_limit(SYMBOLIC_LIMIT):
            diff = expr - reference
            if diff.has(sp.tanh):
                diff = diff.rewrite(sp.exp)  # tanh(u) = (e^u - e^-u)/(e^u + e^-u): one kind of function
            if _is_zero(diff):
                return True  # equal for every value, not only on the domain
            for case in _discrete_cases(variant):
                if _is_zero(diff.xreplace(case), (sp.cancel, sp.simplify)) is not True:
                    return None
            return True
    except CheckTimeout:
        if not expired():
            return "timeout"
        raise  # the whole check is out of time

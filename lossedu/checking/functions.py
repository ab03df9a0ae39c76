"""Judging a learner's Python function (a loss or a gradient implementation).

The protocol has two halves so that homework grading can run learner code in another process:

1. ``Problem.draw_inputs(variant, rng)`` chooses the calls: ordinary inputs, ties, and extreme
   logits (±800) where a naive ``log(sigmoid(z))`` overflows.
2. ``judge_outputs(variant, inputs, outputs, warnings)`` judges what came back:
   ``outputs[i]`` is the returned array or a str describing the exception, ``warnings[i]`` the
   warnings the call emitted (optional).

Ready-made losses. A function that uses :mod:`lossedu.losses` or a library of ready-made losses
(SciPy, PyTorch, scikit-learn, ...; directly, through an alias, a helper, a closure or a
``from ... import *``; see :func:`lossedu.checking.coerce.library_names`) computes nothing itself:
it is "incorrect" with score 0 and diagnosis ``"reference"``, as in homework grading. The message
names what was called and still says whether the values were right; ``details["reference_use"]``
lists the names and ``details["values"]`` the status the values alone would have had. NumPy is
always allowed.

Verdicts, in order: an exception on ordinary inputs; a wrong shape (``"shape"``); wrong values on
ordinary inputs (``"sign"``, ``"factor"``, ``"label"`` or no tag, with a counterexample); right on
ordinary inputs but inf, NaN, a warning, an exception or a wrong value on extreme ones
(``"unstable"``); otherwise correct.

Pair answers: a loss and its gradient
-------------------------------------
A problem may ask for two functions at once, the pair ``(loss_fn, grad_fn)``
(``impl.bce_with_logits_grad``): ``loss_fn(y, z)`` returns the per-example loss and
``grad_fn(y, z)`` its derivative dL/dz, both of shape (n,). Every input dict of such a problem
carries the extra key :data:`CALL_KEY` (``"__call__"``) whose value, ``"loss"`` or ``"grad"``
(:data:`PAIR`), names the callable the input is for. It is not an argument: the caller removes
it and calls ``answer[0]`` for ``"loss"``, ``answer[1]`` for ``"grad"`` (:func:`split_call`,
:func:`pick`; :func:`call_all` does both, for a pair or for one callable given only its own
inputs). Outputs and warnings come back in input order, as for one function, so a pair crosses a
process boundary as plain data. The inputs hold ``grad`` calls at ordinary logits, at z = 0 and
at ±800; ``loss`` calls at ±800; and, for a few moderate points, ``loss`` at z − h, z, z + h
(h = :data:`FD_STEP`) next to ``grad`` at z. The judge then compares the gradient both with the
reference and with central finite differences of the learner's *own* loss, so it can say whether
the derivative or the loss is wrong. A callable whose every call returned nothing (``None``,
reported as :data:`NOTHING`) makes the answer "unattempted".
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import sympy as sp

from lossedu.checking.calling import (CALL_KEY, MAX_PRINTED, PAIR, WATCHED, call_all, pick,  # noqa: F401
                                     split_call)
from lossedu.checking.coerce import library_calls, library_names
from lossedu.checking.sampling import problem_rng
from lossedu.spec import Variant
from lossedu.result import CORRECT, INCORRECT, INVALID, UNATTEMPTED, Result

EXTREME = 100.0  # an input with |value| above this is an "extreme" case
FD_STEP = 1e-5           # h of the central difference (L(z + h) - L(z - h)) / 2h
FD_TOL = (1e-4, 1e-6)    # (rtol, atol) between a gradient and finite differences of the loss
#: How a call that returned None is reported.
NOTHING = "returned NoneType, not an array of numbers"
_ROLE = {"loss": "loss function", "grad": "gradient function"}


def _is_function(fn: Any) -> bool:
    return callable(fn) and not isinstance(fn, (str, sp.Basic, type))


def _pair_answer_problem(variant: Variant, answer: Any) -> Result | None:
    """A Result when ``answer`` is not a usable pair (unattempted or invalid), else None."""
    pid, how = variant.id, "Pass both functions as one pair: check((my_loss, my_grad))."
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        got = ("one function" if _is_function(answer) else f"{len(answer)} items"
               if isinstance(answer, (tuple, list)) else type(answer).__name__)
        return Result(INVALID, message=f"This problem takes two functions, {variant.problem.signature}; "
                      f"got {got}. {how}", problem_id=pid)
    missing = [_ROLE[n] for n, f in zip(PAIR, answer) if f is None or f is Ellipsis]
    if missing:
        return Result(UNATTEMPTED, message=f"Not attempted yet: write the {' and the '.join(missing)}.",
                      problem_id=pid)
    for k, (name, f) in enumerate(zip(PAIR, answer), start=1):
        if not _is_function(f):
            return Result(INVALID, message=f"Item {k} of the pair must be your {_ROLE[name]}, a Python "
                          f"function; got {type(f).__name__}. {how}", problem_id=pid)
    return None


def judge_function(variant: Variant, fn: Any) -> Result:
    """Call the learner's function (or pair of functions) on the drawn inputs and judge the outputs."""
    problem = variant.problem
    inputs = problem.draw_inputs(variant, problem_rng(problem.id, salt="inputs"))
    if is_pair(inputs):
        refused = _pair_answer_problem(variant, fn)
        if refused is not None:
            return refused
    elif not _is_function(fn):
        return Result(INVALID, message=f"Expected a Python function {problem.signature}, got "
                      f"{type(fn).__name__}.", problem_id=problem.id)
    outputs, caught = call_all(fn, inputs)
    result = judge_outputs(variant, inputs, outputs, caught)
    return _refuse_library_use(fn, result)


def _refuse_library_use(fn: Any, result: Result) -> Result:
    """``result`` unchanged, or "incorrect" (diagnosis ``"reference"``) when the answer calls a
    ready-made loss; the message names what was called and whether the values were right."""
    pair = isinstance(fn, (tuple, list))
    parts = list(zip(PAIR, fn)) if pair else [("", fn)]
    used = sorted({n for _, f in parts for n in library_names(f)})
    if not used:
        return result
    said = "; ".join((f"your {_ROLE[role]} calls " if pair else "it calls ") + ", ".join(calls)
                     for role, calls in ((role, library_calls(f)) for role, f in parts) if calls)
    ask = ("write it with NumPy operations (np.exp, np.log1p, np.logaddexp, ...) instead of calling a "
           "ready-made loss.")
    if result.status == CORRECT:
        message = f"Your {'functions give' if pair else 'function gives'} the right values, but {said}; {ask}"
    else:
        message = f"{said[0].upper()}{said[1:]}; {ask}"
        if result.status == INCORRECT:
            message += f" The values are not right either: {result.message}"
    return Result(INCORRECT, 0.0, message, "reference",
                  result.counterexample if result.status == INCORRECT else None, None, result.problem_id,
                  {**result.details, "reference_use": used, "values": result.status})


def is_pair(inputs: Sequence[dict[str, Any]]) -> bool:
    """True when the inputs name their callable, i.e. the answer is a pair (loss_fn, grad_fn)."""
    return any(CALL_KEY in kwargs for kwargs in inputs)


# ---------------------------------------------------------------------------- one function
def _extreme(kwargs: dict[str, np.ndarray]) -> bool:
    return any(np.max(np.abs(np.asarray(v, dtype=float)), initial=0.0) > EXTREME
               for k, v in kwargs.items() if k != CALL_KEY)


def _describe(kwargs: dict[str, np.ndarray]) -> str:
    return ", ".join(f"{k} of shape {np.shape(v)}" for k, v in kwargs.items() if k != CALL_KEY)


def _point(kwargs: dict[str, np.ndarray], j: int) -> dict[str, Any]:
    out = {}
    for k, v in kwargs.items():
        if k == CALL_KEY:
            continue
        item = np.asarray(v)[j]
        out[k] = item.tolist() if np.ndim(item) else (int(item) if float(item).is_integer() else float(item))
    return out


def _close(a: np.ndarray, b: np.ndarray, tol: tuple[float, float]) -> np.ndarray:
    rtol, atol = tol
    with np.errstate(all="ignore"):
        return np.isfinite(a) & (np.abs(a - b) <= atol + rtol * np.abs(b))


def judge_outputs(variant: Variant, inputs: Sequence[dict[str, np.ndarray]], outputs: Sequence[Any],
                  warnings: Sequence[Sequence[str]] | None = None) -> Result:
    """Judge the outputs of a learner's function on ``inputs`` (see the module docstring)."""
    problem, pid = variant.problem, variant.id
    if len(outputs) != len(inputs):
        return Result(INVALID, message=f"Expected {len(inputs)} outputs, one per input, got "
                      f"{len(outputs)}.", problem_id=pid)
    if problem.outputs_judge is not None:  # a problem with its own rule (e.g. lossedu.checking.design)
        return problem.outputs_judge(variant, inputs, outputs, warnings)
    if is_pair(inputs):
        return judge_pair_outputs(variant, inputs, outputs, warnings)
    warnings = list(warnings) if warnings is not None else [[] for _ in inputs]
    reference = variant.reference
    unstable: list[str] = []
    for i, (kwargs, out) in enumerate(zip(inputs, outputs)):
        extreme = _extreme(kwargs)
        if isinstance(out, str):
            if extreme:
                unstable.append(f"with extreme inputs ({_describe(kwargs)}) it raised {out}")
                continue
            what = out if out.startswith("returned") else f"raised an error: {out}"
            return Result(INCORRECT, message=f"Called with {_describe(kwargs)}, your function {what}",
                          diagnosis="other", problem_id=pid)
        expected = np.asarray(reference(**kwargs), dtype=float)
        got = np.asarray(out, dtype=float)
        if got.shape != expected.shape:
            return Result(INCORRECT, message=f"Called with {_describe(kwargs)}, your function returned "
                          f"shape {got.shape}; expected shape {expected.shape} (one value per example).",
                          diagnosis="shape", problem_id=pid)
        ok = _close(got, expected, problem.tolerance)
        if extreme:
            if not ok.all():
                j = int(np.flatnonzero(~ok)[0])
                unstable.append(f"at {_point(kwargs, j)} it returns {got[j]:.6g} instead of "
                                f"{expected[j]:.6g}")
            elif warnings[i]:
                unstable.append(f"on extreme inputs it emits {warnings[i][0]}")
            continue
        if not ok.all():
            tag, message = diagnose_values(kwargs, got, expected, problem.tolerance)
            return Result(INCORRECT, 0.0, message, tag, counterexample(kwargs, got, expected, ok),
                          None, pid)
        if warnings[i]:
            unstable.append(f"on ordinary inputs it emits {warnings[i][0]}")
    if unstable:
        return Result(INCORRECT, 0.0, "Right on ordinary inputs, but not numerically stable: "
                      + unstable[0] + ". Compute from the logits without exponentiating large "
                      "numbers (np.logaddexp, log1p(exp(-|z|)) or the log-sum-exp trick).",
                      diagnosis="unstable", problem_id=pid, details={"unstable": unstable})
    return Result(CORRECT, 1.0, f"Correct on all {len(inputs)} test calls, including extreme inputs.",
                  problem_id=pid)


def counterexample(kwargs: dict[str, np.ndarray], got: np.ndarray, expected: np.ndarray,
                   ok: np.ndarray) -> dict[str, Any]:
    """The first wrong entry: its point (or index), the expected and the returned value."""
    j = int(np.flatnonzero(~ok.ravel())[0])
    flat_got, flat_exp = got.ravel(), expected.ravel()
    return {"point": _point(kwargs, j) if got.ndim == 1 else {"index": j},
            "expected": float(f"{flat_exp[j]:.6g}"),
            "got": float(f"{flat_got[j]:.6g}") if np.isfinite(flat_got[j]) else str(flat_got[j])}


def diagnose_values(kwargs: dict[str, np.ndarray], got: np.ndarray, expected: np.ndarray,
                    tol: tuple[float, float], who: str = "Your function") -> tuple[str | None, str]:
    """(tag, message) for wrong outputs: ``sign``, ``factor``, ``label`` or no tag."""
    tag, message = None, f"{who} returns wrong values."
    nz = np.abs(expected) > 1e-9
    with np.errstate(all="ignore"):
        c = float(np.median(got[nz] / expected[nz])) if nz.any() else np.nan
    if _close(got, -expected, tol).all() and nz.any():
        tag, message = "sign", f"{who} returns the negative of the correct values."
    elif np.isfinite(c) and abs(c - 1) > 1e-6 and abs(c) > 1e-9 and _close(got, c * expected, tol).all():
        tag, message = "factor", f"{who} returns {c:.4g} times the correct values."
    elif "y" in kwargs and np.ndim(kwargs["y"]) == 1 and got.ndim == 1:
        labels = np.asarray(kwargs["y"])
        for v in np.unique(labels):
            right = _close(got, expected, tol)
            if right[labels == v].all() and not right[labels != v].all():
                tag, message = "label", (f"{who} is right for examples with y = {v:g} and wrong for "
                                         "the others.")
                break
    return tag, message


# ---------------------------------------------------------------------------- a pair (loss, grad)
class _Call:
    """One call of a pair answer: which callable, its arguments, what came back, the truth."""

    def __init__(self, kwargs: dict[str, Any], out: Any, warned: Sequence[str]) -> None:
        self.name, self.args = split_call(kwargs)
        self.out, self.warned, self.extreme = out, list(warned), _extreme(self.args)
        self.expected: np.ndarray = np.empty(0)

    def at(self, j: int) -> str:
        return ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
                         for k, v in _point(self.args, j).items())

    def bad(self, reference: np.ndarray, tol: tuple[float, float]) -> int | None:
        """Index of the first entry not close to ``reference`` (None when all are)."""
        ok = _close(np.asarray(self.out, dtype=float), reference, tol)
        return None if ok.all() else int(np.flatnonzero(~ok)[0])


def _same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.array_equal(a, b))


def _finite_differences(calls: list[_Call]) -> list[tuple[_Call, np.ndarray]]:
    """(grad call at z, (L(z + h) - L(z - h)) / 2h of the learner's loss) wherever both were called."""
    found = []
    for g in (c for c in calls if c.name == "grad" and not c.extreme):
        y, z = g.args.get("y"), np.asarray(g.args.get("z"), dtype=float)
        side = [next((c for c in calls if c.name == "loss" and _same(c.args.get("y"), y)
                      and _same(c.args.get("z"), z + s)), None) for s in (FD_STEP, -FD_STEP)]
        if all(c is not None for c in side):
            with np.errstate(all="ignore"):
                fd = (np.asarray(side[0].out, float) - np.asarray(side[1].out, float)) / (2 * FD_STEP)
            found.append((g, fd))
    return found


def _known_gradient_mistake(variant: Variant, grads: list[_Call]):
    """The catalogued mistake whose gradient function the learner's gradient matches, or None."""
    for mistake in variant.problem.mistakes:
        wrong = mistake.answer(variant.params) if callable(mistake.answer) else None
        if wrong is None or not grads:
            continue
        with np.errstate(all="ignore"):
            if all(c.bad(np.asarray(wrong(**c.args), dtype=float), variant.problem.tolerance) is None
                   for c in grads):
                return mistake
    return None


def _pair_result(variant: Variant, call: _Call, j: int, message: str, tag: str | None) -> Result:
    """Incorrect, with entry ``j`` of ``call`` as the counterexample (named in the message)."""
    got = np.asarray(call.out, dtype=float)
    ok = np.ones(got.shape, dtype=bool)
    ok.ravel()[j] = False
    counter = {**counterexample(call.args, got, call.expected, ok), "function": call.name}
    message = f"{message.rstrip()} (The counterexample is a value of your {_ROLE[call.name]}.)"
    return Result(INCORRECT, 0.0, message, tag, counter, None, variant.id)


def judge_pair_outputs(variant: Variant, inputs: Sequence[dict[str, Any]], outputs: Sequence[Any],
                       warnings: Sequence[Sequence[str]] | None = None) -> Result:
    """Judge a pair ``(loss_fn, grad_fn)`` from its outputs (see "Pair answers" above).

    The gradient is compared with the reference gradient and with central finite differences of
    the learner's own loss; the message says which of the two functions is wrong.
    """
    pid, tol = variant.id, variant.problem.tolerance
    what = (list(variant.problem.components) + ["the loss asked for"])[0]
    warnings = list(warnings) if warnings is not None else [[] for _ in inputs]
    calls = [_Call(kwargs, out, warned) for kwargs, out, warned in zip(inputs, outputs, warnings)]
    if any(c.name not in PAIR for c in calls):
        return Result(INVALID, message=f"Every input must name its callable ({CALL_KEY} in {PAIR}).",
                      problem_id=pid)
    blank = [_ROLE[n] for n in PAIR if all(c.out is None or (isinstance(c.out, str) and c.out == NOTHING)
                                           for c in calls if c.name == n)]
    if blank:
        verb = "returns" if len(blank) == 1 else "return"
        return Result(UNATTEMPTED, message=f"Not attempted yet: your {' and your '.join(blank)} "
                      f"{verb} nothing.", problem_id=pid)
    reference = dict(zip(PAIR, variant.reference))
    for c in calls:
        with np.errstate(all="ignore"):
            c.expected = np.asarray(reference[c.name](**c.args), dtype=float)
        if c.extreme:
            continue
        if isinstance(c.out, str):
            what = c.out if c.out.startswith("returned") else f"raised an error: {c.out}"
            return Result(INCORRECT, message=f"Called with {_describe(c.args)}, your {_ROLE[c.name]} "
                          f"{what}", diagnosis="other", problem_id=pid)
        if np.shape(c.out) != c.expected.shape:
            return Result(INCORRECT, message=f"Called with {_describe(c.args)}, your {_ROLE[c.name]} "
                          f"returned shape {np.shape(c.out)}; expected shape {c.expected.shape} (one "
                          "value per example).", diagnosis="shape", problem_id=pid)
    ordinary = [c for c in calls if not c.extreme]
    grads = [c for c in ordinary if c.name == "grad"]
    wrong_grad = next((c for c in grads if c.bad(c.expected, tol) is not None), None)
    wrong_loss = next((c for c in ordinary if c.name == "loss" and c.bad(c.expected, tol) is not None), None)
    mismatch = next(((g, fd) for g, fd in _finite_differences(calls) if g.bad(fd, FD_TOL) is not None), None)
    if wrong_grad is None and wrong_loss is None and mismatch is None:
        return _stability(variant, calls)
    loss_tag, loss_text = diagnose_values(wrong_loss.args, np.asarray(wrong_loss.out, float), wrong_loss.expected,
                                          tol, "your loss function") if wrong_loss else ("other", "")
    if mismatch is not None:
        g, fd = mismatch
        k = g.bad(fd, FD_TOL)
        slope = (f"at {g.at(k)} the finite difference (L(z + h) − L(z − h))/2h of your loss is "
                 f"{fd[k]:.6g} but your gradient returns {float(np.ravel(g.out)[k]):.6g}")
    if wrong_grad is None:
        if mismatch is None:
            text = (f"Your gradient is right and matches the slope of your own loss, but your loss values "
                    f"are not {what}: {loss_text}")
        else:
            text = (f"Your gradient is right, but it does not match the derivative of your own loss "
                    f"({slope}), so your loss is not {what}{': ' + loss_text if wrong_loss else '.'}")
        shown = wrong_loss or g
        return _pair_result(variant, shown, shown.bad(shown.expected, tol) or 0, text, loss_tag)
    if mismatch is None and wrong_loss is not None:
        return _pair_result(variant, wrong_loss, wrong_loss.bad(wrong_loss.expected, tol), "Your gradient is "
                            "consistent with your loss (it matches the finite differences of your own loss "
                            f"function), but your loss is not {what}: {loss_text} Fix the loss, and its "
                            "derivative with it.", loss_tag)
    known = _known_gradient_mistake(variant, grads)
    tag, text = (known.diagnosis, known.message) if known else diagnose_values(
        wrong_grad.args, np.asarray(wrong_grad.out, float), wrong_grad.expected, tol, "Your gradient")
    if mismatch is None:
        return _pair_result(variant, wrong_grad, wrong_grad.bad(wrong_grad.expected, tol), text, tag)
    head = ("Your loss is right, but your gradient does not match its derivative" if wrong_loss is None
            else "Your gradient does not match the derivative of your own loss")
    return _pair_result(variant, g, k, f"{head}: {slope}. {text}", tag)


def _stability(variant: Variant, calls: list[_Call]) -> Result:
    """Correct, or "unstable" when a call at ±800 fails or any call emits a warning."""
    tol, unstable = variant.problem.tolerance, []
    for c in calls:
        role = _ROLE[c.name]
        if c.extreme and isinstance(c.out, str):
            unstable.append(f"your {role} raised {c.out} at extreme inputs")
        elif c.extreme and np.shape(c.out) != c.expected.shape:
            unstable.append(f"your {role} returned shape {np.shape(c.out)} at extreme inputs")
        elif c.extreme and c.bad(c.expected, tol) is not None:
            j = c.bad(c.expected, tol)
            unstable.append(f"at {c.at(j)} your {role} returns {float(np.ravel(c.out)[j]):.6g} instead "
                            f"of {float(c.expected.ravel()[j]):.6g}")
        elif c.warned:
            unstable.append(f"your {role} emits {c.warned[0]} on {'extreme' if c.extreme else 'ordinary'} inputs")
    if unstable:
        return Result(INCORRECT, 0.0, "Right on ordinary inputs, and your gradient matches your loss, "
                      f"but not numerically stable: {unstable[0]}. Never exponentiate a large positive "
                      "number: use np.logaddexp(0, -z) for log(1 + e^(−z)) and build σ(z) from it.",
                      diagnosis="unstable", problem_id=variant.id, details={"unstable": unstable})
    return Result(CORRECT, 1.0, f"Correct on all {len(calls)} test calls, including logits of ±800: your "
                  "gradient is right and agrees with finite differences of your own loss.",
                  problem_id=variant.id)

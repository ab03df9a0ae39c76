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

from lossedu.checking.batches import (EXTREME, FD_STEP, FD_STEP_32, FD_TOL, _close, _describe,  # noqa: F401
                                      _extreme, _point, batch_text, counterexample, diagnose_values, for_dtype,
                                      test_inputs)
from lossedu.checking.calling import (CALL_KEY, MAX_PRINTED, PAIR, WATCHED, call_all, call_watched,  # noqa: F401
                                     pick, split_call)
from lossedu.checking.coerce import library_calls, library_names
from lossedu.checking.pairs import NOTHING, _ROLE, judge_pair_outputs  # noqa: F401
from lossedu.spec import Variant
from lossedu.result import CORRECT, INCORRECT, INVALID, UNATTEMPTED, Result


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
    inputs = test_inputs(variant)
    if is_pair(inputs):
        refused = _pair_answer_problem(variant, fn)
        if refused is not None:
            return refused
    elif not _is_function(fn):
        return Result(INVALID, message=f"Expected a Python function {problem.signature}, got "
                      f"{type(fn).__name__}.", problem_id=problem.id)
    outputs, caught, reached = call_watched(fn, inputs)
    result = judge_outputs(variant, inputs, outputs, caught)
    return _refuse_library_use(fn, result, reached)


def _refuse_library_use(fn: Any, result: Result, reached: list[str] = ()) -> Result:
    """``result`` unchanged, or "incorrect" (diagnosis ``"reference"``) when the answer calls a
    ready-made loss, seen in its code (:func:`lossedu.checking.coerce.library_names`) or reached
    while it ran (``reached``, from :func:`lossedu.checking.calling.call_watched`); the message
    names what was called and whether the values were right."""
    pair = isinstance(fn, (tuple, list))
    parts = list(zip(PAIR, fn)) if pair else [("", fn)]
    public = [r for r in reached if not r.rsplit(".", 1)[-1].startswith("_")]
    reached = public or list(reached)
    used = sorted({n for _, f in parts for n in library_names(f)} | set(reached))
    if not used:
        return result
    said = "; ".join((f"your {_ROLE[role]} calls " if pair else "it calls ") + ", ".join(calls)
                     for role, calls in ((role, library_calls(f)) for role, f in parts) if calls)
    if not said:
        said = f"{'your functions reach' if pair else 'it reaches'} {', '.join(reached)} while running"
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
        ok = _close(got, expected, for_dtype(problem.tolerance, got))
        if extreme:
            if not ok.all():
                j = int(np.flatnonzero(~ok)[0])
                unstable.append(f"at {_point(kwargs, j)} it returns {got[j]:.6g} instead of "
                                f"{expected[j]:.6g}{batch_text(kwargs, j)}")
            elif warnings[i]:
                unstable.append(f"on extreme inputs it emits {warnings[i][0]}")
            continue
        if not ok.all():
            tag, message = diagnose_values(kwargs, got, expected, problem.tolerance)
            j = int(np.flatnonzero(~ok.ravel())[0]) // max(1, got.size // max(1, got.shape[0] if got.ndim else 1))
            return Result(INCORRECT, 0.0, message + batch_text(kwargs, j),
                          tag, counterexample(kwargs, got, expected, ok), None, pid)
        if warnings[i]:
            unstable.append(f"on ordinary inputs it emits {warnings[i][0]}")
    if unstable:
        return Result(INCORRECT, 0.0, "Right on ordinary inputs, but not numerically stable: "
                      + unstable[0] + ". Compute from the logits without exponentiating large "
                      "numbers (np.logaddexp, log1p(exp(-|z|)) or the log-sum-exp trick).",
                      diagnosis="unstable", problem_id=pid, details={"unstable": unstable})
    return Result(CORRECT, 1.0, f"Correct on all {len(inputs)} test calls, including extreme inputs.",
                  problem_id=pid)

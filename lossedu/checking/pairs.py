"""Judging a pair answer ``(loss_fn, grad_fn)`` from its outputs (see "Pair answers" in
:mod:`lossedu.checking.functions`).

The gradient is compared with the reference and with central finite differences of the
learner's *own* loss, with a step suited to the precision the loss is computed in
(:data:`~lossedu.checking.batches.FD_STEP` for float64; :data:`~lossedu.checking.batches.FD_STEP_32`
when every loss value is a float32 number), so the message can say which function is wrong.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from lossedu.checking.batches import (FD_STEP, FD_STEP_32, FD_TOL, FD_TOL_32, _close, _describe,
                                      _extreme, _point, counterexample, diagnose_values, for_dtype,
                                      is_float32)
from lossedu.checking.calling import CALL_KEY, PAIR, split_call
from lossedu.spec import Variant
from lossedu.result import CORRECT, INCORRECT, INVALID, UNATTEMPTED, Result

#: How a call that returned None is reported.
NOTHING = "returned NoneType, not an array of numbers"
_ROLE = {"loss": "loss function", "grad": "gradient function"}


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
        ok = _close(np.asarray(self.out, dtype=float), reference, for_dtype(tol, self.out))
        return None if ok.all() else int(np.flatnonzero(~ok)[0])


def _same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.array_equal(a, b))


def _finite_differences(calls: list[_Call]) -> list[tuple[_Call, np.ndarray, tuple[float, float]]]:
    """(grad call at z, (L(z + h) - L(z - h)) / 2h of the learner's loss, tolerance) wherever
    both were called; h = FD_STEP, or FD_STEP_32 when the learner's loss values are float32."""
    found = []
    for g in (c for c in calls if c.name == "grad" and not c.extreme):
        y, z = g.args.get("y"), np.asarray(g.args.get("z"), dtype=float)
        single = next((c for c in calls if c.name == "loss" and _same(c.args.get("y"), y)
                       and _same(c.args.get("z"), z + FD_STEP) and not isinstance(c.out, str)), None)
        h, tol = FD_STEP, FD_TOL
        if single is not None and is_float32(single.out):
            h, tol = FD_STEP_32, FD_TOL_32
        side = [next((c for c in calls if c.name == "loss" and _same(c.args.get("y"), y)
                      and _same(c.args.get("z"), z + s)), None) for s in (h, -h)]
        if all(c is not None for c in side):
            with np.errstate(all="ignore"):
                fd = (np.asarray(side[0].out, float) - np.asarray(side[1].out, float)) / (2 * h)
            found.append((g, fd, tol))
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
    mismatch = next(((g, fd, t) for g, fd, t in _finite_differences(calls) if g.bad(fd, t) is not None),
                    None)
    if wrong_grad is None and wrong_loss is None and mismatch is None:
        return _stability(variant, calls)
    loss_tag, loss_text = diagnose_values(wrong_loss.args, np.asarray(wrong_loss.out, float), wrong_loss.expected,
                                          tol, "your loss function") if wrong_loss else ("other", "")
    if mismatch is not None:
        g, fd, fd_tol = mismatch
        k = g.bad(fd, fd_tol)
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

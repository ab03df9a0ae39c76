"""Judging a learner's Python function (a loss or a gradient implementation).

The protocol has two halves so that homework grading can run learner code in another process:

1. ``Problem.draw_inputs(variant, rng)`` chooses the calls: ordinary inputs, ties, and extreme
   logits (±800) where a naive ``log(sigmoid(z))`` overflows.
2. ``Problem.judge_outputs(variant, inputs, outputs, warnings)`` judges what came back:
   ``outputs[i]`` is the returned array or a str describing the exception, ``warnings[i]`` the
   warnings the call emitted (optional).

Verdicts, in order: an exception on ordinary inputs; a wrong shape (``"shape"``); wrong values on
ordinary inputs (``"sign"``, ``"factor"``, ``"label"`` or no tag, with a counterexample); right on
ordinary inputs but inf, NaN, a warning, an exception or a wrong value on extreme ones
(``"unstable"``); otherwise correct.
"""
from __future__ import annotations

import warnings as _warnings
from typing import Any, Callable, Sequence

import numpy as np
import sympy as sp

from lossedu.problems.sampling import problem_rng
from lossedu.problems.spec import Variant
from lossedu.result import CORRECT, INCORRECT, INVALID, Result

EXTREME = 100.0  # an input with |value| above this is an "extreme" case
#: Floating-point events that count as instability (underflow to 0 is harmless).
WATCHED = {"over": "warn", "divide": "warn", "invalid": "warn", "under": "ignore"}


def call_all(fn: Callable[..., Any], inputs: Sequence[dict[str, np.ndarray]]) -> tuple[list, list]:
    """Call ``fn(**inputs[i])`` for each i; returns (outputs, warnings) as the protocol wants.

    Each call gets fresh copies of the arrays. Exceptions become a description string;
    warnings (overflow in ``exp``, division by zero, ...) are recorded, not printed.
    """
    outputs, caught = [], []
    for kwargs in inputs:
        with _warnings.catch_warnings(record=True) as record, np.errstate(**WATCHED):
            _warnings.simplefilter("always")
            try:
                out: Any = fn(**{k: np.array(v, copy=True) for k, v in kwargs.items()})
                out = _as_array(out)
            except (Exception, SystemExit) as err:  # noqa: BLE001 - reported to the learner
                out = f"{type(err).__name__}: {str(err)[:200]}"
        outputs.append(out)
        caught.append([f"{w.category.__name__}: {str(w.message)[:120]}" for w in record])
    return outputs, caught


def _as_array(out: Any) -> np.ndarray | str:
    if isinstance(out, (str, bytes, sp.Basic)) or out is None:
        return f"returned {type(out).__name__}, not an array of numbers"
    try:
        arr = np.asarray(out, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return f"returned {type(out).__name__}, not an array of numbers"
    return arr


def judge_function(variant: Variant, fn: Any) -> Result:
    """Call the learner's function on the drawn inputs and judge the outputs."""
    problem = variant.problem
    if not callable(fn) or isinstance(fn, (str, sp.Basic, type)):
        return Result(INVALID, message=f"Expected a Python function {problem.signature}, got "
                      f"{type(fn).__name__}.", problem_id=problem.id)
    inputs = problem.draw_inputs(variant, problem_rng(problem.id, salt="inputs"))
    outputs, caught = call_all(fn, inputs)
    return judge_outputs(variant, inputs, outputs, caught)


def _extreme(kwargs: dict[str, np.ndarray]) -> bool:
    return any(np.max(np.abs(np.asarray(v, dtype=float)), initial=0.0) > EXTREME for v in kwargs.values())


def _describe(kwargs: dict[str, np.ndarray]) -> str:
    return ", ".join(f"{k} of shape {np.shape(v)}" for k, v in kwargs.items())


def _point(kwargs: dict[str, np.ndarray], j: int) -> dict[str, Any]:
    out = {}
    for k, v in kwargs.items():
        item = np.asarray(v)[j]
        out[k] = item.tolist() if np.ndim(item) else (int(item) if float(item).is_integer() else float(item))
    return out


def judge_outputs(variant: Variant, inputs: Sequence[dict[str, np.ndarray]], outputs: Sequence[Any],
                  warnings: Sequence[Sequence[str]] | None = None) -> Result:
    """Judge the outputs of a learner's function on ``inputs`` (see the module docstring)."""
    problem, pid = variant.problem, variant.id
    if len(outputs) != len(inputs):
        return Result(INVALID, message=f"Expected {len(inputs)} outputs, one per input, got "
                      f"{len(outputs)}.", problem_id=pid)
    warnings = list(warnings) if warnings is not None else [[] for _ in inputs]
    reference = variant.reference
    rtol, atol = problem.tolerance
    unstable: list[str] = []
    for i, (kwargs, out) in enumerate(zip(inputs, outputs)):
        extreme = _extreme(kwargs)
        if isinstance(out, str):
            if extreme:
                unstable.append(f"with extreme inputs ({_describe(kwargs)}) it raised {out}")
                continue
            return Result(INCORRECT, message=f"Your function raised an error when called with "
                          f"{_describe(kwargs)}: {out}", diagnosis="other", problem_id=pid)
        expected = np.asarray(reference(**kwargs), dtype=float)
        got = np.asarray(out, dtype=float)
        if got.shape != expected.shape:
            return Result(INCORRECT, message=f"Called with {_describe(kwargs)}, your function returned "
                          f"shape {got.shape}; expected shape {expected.shape} (one value per example).",
                          diagnosis="shape", problem_id=pid)
        with np.errstate(all="ignore"):
            ok = np.isfinite(got) & (np.abs(got - expected) <= atol + rtol * np.abs(expected))
        if extreme:
            if not ok.all():
                j = int(np.flatnonzero(~ok)[0])
                unstable.append(f"at {_point(kwargs, j)} it returns {got[j]:.6g} instead of "
                                f"{expected[j]:.6g}")
            elif warnings[i]:
                unstable.append(f"on extreme inputs it emits {warnings[i][0]}")
            continue
        if not ok.all():
            return _wrong(variant, kwargs, got, expected, ok)
        if warnings[i]:
            unstable.append(f"on ordinary inputs it emits {warnings[i][0]}")
    if unstable:
        return Result(INCORRECT, 0.0, "Right on ordinary inputs, but not numerically stable: "
                      + unstable[0] + ". Compute from the logits without exponentiating large "
                      "numbers (np.logaddexp, log1p(exp(-|z|)) or the log-sum-exp trick).",
                      diagnosis="unstable", problem_id=pid, details={"unstable": unstable})
    return Result(CORRECT, 1.0, f"Correct on all {len(inputs)} test calls, including extreme inputs.",
                  problem_id=pid)


def _wrong(variant: Variant, kwargs: dict[str, np.ndarray], got: np.ndarray, expected: np.ndarray,
           ok: np.ndarray) -> Result:
    rtol, atol = variant.problem.tolerance
    j = int(np.flatnonzero(~ok.ravel())[0])
    flat_got, flat_exp = got.ravel(), expected.ravel()
    counter = {"point": _point(kwargs, j) if got.ndim == 1 else {"index": j},
               "expected": float(f"{flat_exp[j]:.6g}"),
               "got": float(f"{flat_got[j]:.6g}") if np.isfinite(flat_got[j]) else str(flat_got[j])}

    def close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.abs(a - b) <= atol + rtol * np.abs(b)

    tag, message = None, "Your function returns wrong values."
    nz = np.abs(expected) > 1e-9
    c = float(np.median(got[nz] / expected[nz])) if nz.any() else np.nan
    if close(got, -expected).all() and nz.any():
        tag, message = "sign", "Your function returns the negative of the correct values."
    elif np.isfinite(c) and abs(c - 1) > 1e-6 and abs(c) > 1e-9 and close(got, c * expected).all():
        tag, message = "factor", f"Your function returns {c:.4g} times the correct values."
    elif "y" in kwargs and np.ndim(kwargs["y"]) == 1 and got.ndim == 1:
        labels = np.asarray(kwargs["y"])
        for v in np.unique(labels):
            right, wrong = close(got, expected)[labels == v], close(got, expected)[labels != v]
            if right.all() and not wrong.all():
                tag, message = "label", (f"Your function is right for examples with y = {v:g} and "
                                         "wrong for the others.")
                break
    return Result(INCORRECT, 0.0, message, tag, counter, None, variant.id)

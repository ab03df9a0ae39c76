"""Batches for a learner's function: the test inputs, and reading what came back.

:func:`test_inputs` is what a learner's function is called on: the problem's own inputs
(``Problem.draw_inputs``) and, added here for every problem,

* a *mixed-scale batch* for every input holding a 2-D array of logits: its rows shifted by very
  different amounts (0, +900, -900, ...), so that an implementation subtracting the maximum of
  the whole batch instead of each row's maximum underflows on some row;
* for pair problems, loss calls at z +- :data:`FD_STEP_32` next to those at z +- :data:`FD_STEP`,
  so that finite differences of a float32 loss use a step float32 can resolve.

The helpers below read the outputs: which inputs are extreme, the counterexample (one row of
the batch that failed; the message shows the whole batch, since a function that reduces over
the array is wrong on the batch, not on the row alone) and the generic diagnosis of wrong values.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from lossedu.checking.calling import CALL_KEY
from lossedu.checking.sampling import problem_rng
from lossedu.spec import Variant

EXTREME = 100.0          # an input with |value| above this is an "extreme" case
FD_STEP = 1e-5           # h of the central difference (L(z + h) - L(z - h)) / 2h for float64
FD_STEP_32 = 1e-2        # the same for a loss computed in float32 (about eps32 ** (1/3))
FD_TOL = (1e-4, 1e-6)    # (rtol, atol) between a gradient and finite differences of the loss
FD_TOL_32 = (2e-3, 2e-4)  # the same for float32: truncation (h^2 times L''' / 6) plus rounding
TOL_32 = (2e-5, 1e-6)    # (rtol, atol) for values a learner's function returns in float32
SHIFTS = (0.0, 900.0, -900.0, 450.0, -450.0, 30.0)  # row offsets of a mixed-scale batch
MAX_SHOWN = 24           # numbers of a batch written into a message


def test_inputs(variant: Variant, rng: np.random.Generator | None = None) -> list[dict[str, Any]]:
    """The inputs a learner's function is called on (see the module docstring).

    ``rng`` defaults to the problem's own generator, so a notebook check is reproducible; the
    homework grader passes a secret one.
    """
    problem = variant.problem
    if rng is None:
        rng = problem_rng(problem.id, salt="inputs")
    inputs = list(problem.draw_inputs(variant, rng))
    extra: list[dict[str, Any]] = []
    for kwargs in inputs:
        if _extreme(kwargs):
            continue
        for key, value in kwargs.items():
            arr = np.asarray(value)
            if key != CALL_KEY and arr.ndim == 2 and arr.dtype.kind == "f" and arr.shape[0] > 1:
                shifts = np.resize(np.array(SHIFTS), arr.shape[0])[:, None]
                extra.append({**kwargs, key: arr + shifts})
                break
    for g in [k for k in inputs if k.get(CALL_KEY) == "grad" and not _extreme(k)]:
        z = np.asarray(g.get("z"), dtype=float)
        has_fd = any(k.get(CALL_KEY) == "loss" and np.shape(k.get("z")) == z.shape
                     and np.allclose(np.asarray(k.get("z"), dtype=float), z + FD_STEP) for k in inputs)
        if has_fd:
            extra += [{**g, CALL_KEY: "loss", "z": z + FD_STEP_32},
                      {**g, CALL_KEY: "loss", "z": z - FD_STEP_32}]
    return inputs + extra


def _extreme(kwargs: dict[str, np.ndarray]) -> bool:
    return any(np.max(np.abs(np.asarray(v, dtype=float)), initial=0.0) > EXTREME
               for k, v in kwargs.items() if k != CALL_KEY)


def is_float32(values: Any) -> bool:
    """True when every value is exactly a float32 number and not all are integers (a float64
    computation almost never lands on float32 numbers only)."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0 or not np.isfinite(arr).all() or np.all(arr == np.round(arr)):
        return False
    return bool(np.array_equal(arr, arr.astype(np.float32).astype(float)))


def for_dtype(tol: tuple[float, float], values: Any) -> tuple[float, float]:
    """``tol``, widened to :data:`TOL_32` when the values were computed in float32 (7 digits)."""
    if isinstance(values, str) or not is_float32(values):
        return tol
    return max(tol[0], TOL_32[0]), max(tol[1], TOL_32[1])


def batch_text(kwargs: dict[str, np.ndarray], j: int) -> str:
    """`` (row j of the batch y = [...], z = [...]; ...)`` for a batch of several rows, else ""."""
    args = {k: np.asarray(v) for k, v in kwargs.items() if k != CALL_KEY}
    rows = max((a.shape[0] for a in args.values() if a.ndim), default=1)
    if rows < 2 or sum(a.size for a in args.values()) > MAX_SHOWN:
        return ""
    shown = ", ".join(f"{k} = {_rounded(a)}" for k, a in args.items())
    return f" (row {j} of the batch {shown}; call your function on that whole batch to see it)"


def _rounded(a: np.ndarray) -> Any:
    if a.dtype.kind in "iub":
        return a.tolist()
    return np.vectorize(lambda v: float(f"{v:.4g}"), otypes=[float])(a).tolist()


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

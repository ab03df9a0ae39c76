"""Reading answers: numbers, arrays and function outputs, in every reasonable spelling.

A number may be a Python or NumPy number, a :class:`fractions.Fraction`, a
:class:`decimal.Decimal`, a SymPy number or text (``"-3/2"``). Several numbers may be a list, a
tuple, a NumPy array (any shape whose non-trivial axes fit), a SymPy ``Matrix`` or text such as
``"[0.5, 1/4]"``. Everything else is refused with a message saying what was expected; nothing
here raises for a learner's input.

>>> read_values("[1/2, 0.25]")
array([0.5 , 0.25])
>>> read_values(True)
'True/False is not a number'
"""
from __future__ import annotations

import numbers
from decimal import Decimal
from typing import Any

import numpy as np
import sympy as sp

from lossedu import symbolic

MAX_ENTRIES = 1000
MAX_DEPTH = 3  # a list of lists of lists at most


def number(item: Any) -> float | str:
    """A finite float, or a message saying why ``item`` is not one."""
    if isinstance(item, (bool, np.bool_)):
        return "True/False is not a number"
    if isinstance(item, (numbers.Real, np.floating, np.integer, Decimal)):
        try:
            v = float(item)
        except (OverflowError, ValueError, TypeError, ArithmeticError):
            return "the number is too large"
        return v if np.isfinite(v) else f"the number is not finite ({item})"
    if isinstance(item, (numbers.Complex, np.complexfloating)):
        return "complex numbers are not allowed"
    if isinstance(item, (str, sp.Basic)):
        try:
            expr = symbolic.to_expr(item, [])
        except symbolic.ParseError as err:
            return f"{err}"
        except (ValueError, TypeError, RecursionError, OverflowError) as err:
            return f"could not read a number ({type(err).__name__})"
        try:
            v = float(sp.N(expr, 15))
        except (TypeError, ValueError, OverflowError):
            return "expected a plain number"
        return v if np.isfinite(v) else "the number is not finite"
    return f"expected a number, got {type(item).__name__}"


def split_list_text(text: str) -> list[str] | None:
    """``"[a, b]"`` or ``"(a, b)"`` -> ``["a", "b"]`` (top-level commas only); None otherwise."""
    text = text.strip()
    if len(text) < 2 or (text[0], text[-1]) not in (("[", "]"), ("(", ")")):
        return None
    items, depth, start = [], 0, 1
    for i, ch in enumerate(text[1:-1], start=1):
        depth += (ch in "([{") - (ch in ")]}")
        if depth < 0:
            return None  # "(a)*(b)": the outer brackets are not a pair
        if ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:-1])
    if len(items) == 1:
        return None  # "(a + b)" is one expression in brackets, not a list
    return [s.strip() for s in items if s.strip()] if items[-1].strip() else [s.strip() for s in items[:-1]]


def read_values(answer: Any, _depth: int = 1) -> np.ndarray | str:
    """The answer as a float array (0-d for one number), or a message saying why it is not one."""
    if isinstance(answer, sp.MatrixBase):
        answer = list(answer) if len(answer) <= MAX_ENTRIES else np.zeros(len(answer))
    if isinstance(answer, str):
        items = split_list_text(answer)
        if items is not None:
            answer = items
    if isinstance(answer, np.ndarray):
        if answer.size > MAX_ENTRIES:
            return f"too many entries ({answer.size}; at most {MAX_ENTRIES})"
        if answer.dtype == object:
            flat = read_values(answer.ravel().tolist(), MAX_DEPTH)
            return flat if isinstance(flat, str) else flat.reshape(answer.shape)
        if answer.dtype.kind == "c":
            return "complex numbers are not allowed"
        if answer.dtype.kind not in "iuf":
            return f"expected numbers, got an array of {answer.dtype}"
        arr = np.array(answer, dtype=float)  # a plain copy, whatever subclass came in
        return arr if np.isfinite(arr).all() else "the array contains inf or NaN"
    if isinstance(answer, (list, tuple)):
        if len(answer) > MAX_ENTRIES:
            return f"too many entries ({len(answer)}; at most {MAX_ENTRIES})"
        rows, count = [], 0
        for k, item in enumerate(answer, start=1):
            if isinstance(item, (list, tuple, np.ndarray, sp.MatrixBase)):
                if _depth >= MAX_DEPTH:
                    return f"lists nested more than {MAX_DEPTH} deep"
                v = read_values(item, _depth + 1)
            else:
                v = number(item)
            if isinstance(v, str):
                return f"entry {k}: {v}"
            rows.append(np.asarray(v))
            count += rows[-1].size
            if count > MAX_ENTRIES:
                return f"too many entries (more than {MAX_ENTRIES})"
        if len({r.shape for r in rows}) > 1:
            return "the rows have different lengths"
        out = np.array(rows, dtype=float)
        return out if out.size <= MAX_ENTRIES else f"too many entries ({out.size})"
    v = number(answer)
    return v if isinstance(v, str) else np.array(v)


def fit_shape(got: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``got`` reshaped to ``expected``'s shape when they differ only by axes of length 1
    (``[[a, b]]`` for ``[a, b]``, ``[a]`` for ``a``); otherwise ``got`` unchanged."""
    if got.shape != expected.shape and got.size == expected.size and \
            tuple(d for d in got.shape if d != 1) == tuple(d for d in expected.shape if d != 1):
        return got.reshape(expected.shape)
    return got


def as_output_array(out: Any) -> np.ndarray | str:
    """What a learner's function returned, as a float array, or a description of why it is not
    an array of real numbers (None, text, complex numbers, a generator, a SymPy object, ...)."""
    if out is None:
        return "returned NoneType, not an array of numbers"
    what = f"returned {type(out).__name__}, not an array of numbers"
    if isinstance(out, (str, bytes, sp.Basic, dict, set)) or not _array_like(out):
        return what
    try:
        arr = np.asarray(out)
        if arr.dtype.kind == "c":
            return "returned complex numbers, not real ones"
        if arr.dtype.kind in "USVM" or arr.dtype.kind == "m":
            return f"returned an array of {arr.dtype}, not of numbers"
        if arr.dtype == object and any(isinstance(v, (str, bytes, complex)) for v in arr.ravel()[:10000]):
            return "returned text or complex numbers, not real numbers"
        return np.array(arr, dtype=float)
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        return what


def _array_like(out: Any) -> bool:
    return isinstance(out, (numbers.Number, np.generic, np.ndarray, list, tuple, Decimal)) or \
        hasattr(out, "__array__") or hasattr(out, "__array_interface__")


# ---------------------------------------------------------------------------- ready-made losses
LIBRARY = "lossedu.losses"


def library_names(fn: Any, _seen: set[int] | None = None) -> list[str]:
    """Names a function uses that are ready-made losses from :mod:`lossedu.losses`.

    Follows the learner's own helpers (functions defined in the same namespace) and closure
    variables, so ``def f(y, z): return helper(y, z)`` is seen through. Only the code is read;
    nothing is called.
    """
    import types

    seen = _seen if _seen is not None else set()
    if id(fn) in seen:
        return []
    seen.add(id(fn))
    if getattr(fn, "__module__", None) == LIBRARY:
        return [getattr(fn, "__name__", "?")]
    code = getattr(fn, "__code__", None)
    if not isinstance(code, types.CodeType):
        return []
    scope = getattr(fn, "__globals__", {}) or {}
    names = _code_names(code)
    values = [(n, scope.get(n)) for n in names]
    values += [(f"closure {i}", _cell(c)) for i, c in enumerate(getattr(fn, "__closure__", None) or ())]
    found = []
    for name, obj in values:
        if isinstance(obj, types.ModuleType):
            if obj.__name__ == LIBRARY or (obj.__name__ == "lossedu" and "losses" in names):
                found.append(f"{name} ({LIBRARY})")
        elif isinstance(obj, types.FunctionType):
            if obj.__module__ == LIBRARY:
                found.append(f"{name} ({LIBRARY})")
            elif obj.__globals__ is scope:
                found += library_names(obj, seen)
    return sorted(set(found))


def _code_names(code: Any) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _code_names(const)
    return names


def _cell(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:
        return None


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

from lossedu.checking import symbolic

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
#: Modules whose functions are ready-made losses (or their building blocks): an implementation
#: answer that uses one of them, or anything inside them, computes nothing itself.
LIBRARY_PREFIXES = ("lossedu.losses", "scipy", "torch", "tensorflow", "jax", "sklearn", "keras")
#: Top-level packages whose functions are building blocks, never a ready-made loss.
ALLOWED_ROOTS = frozenset({"numpy", "math", "builtins", "cmath"})
LIBRARY = LIBRARY_PREFIXES[0]


def _in_library(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in LIBRARY_PREFIXES)


def library_source(obj: Any) -> str | None:
    """The library of ready-made losses ``obj`` comes from (a module name), or None.

    A module counts by its own name. A function counts by its own ``__module__``; one without
    (a SciPy ufunc such as ``expit``) counts when a library module exports it under its name,
    unless NumPy itself does: libraries re-export NumPy, and ``np.exp`` or ``np.logaddexp`` stay
    allowed wherever they were imported from. ``functools.partial`` is seen through.

    >>> import numpy as np
    >>> from lossedu import losses
    >>> library_source(losses.bce_with_logits), library_source(np.logaddexp)
    ('lossedu.losses', None)
    """
    import functools
    import sys
    import types

    try:
        if isinstance(obj, functools.partial):
            return library_source(obj.func)
        if isinstance(obj, types.ModuleType):
            return obj.__name__ if _in_library(obj.__name__) else None
        module = getattr(obj, "__module__", None)
        if isinstance(module, str):
            if _in_library(module):
                return module
            if module.split(".")[0] in ALLOWED_ROOTS:
                return None
        name = getattr(obj, "__name__", None)
        if not isinstance(name, str):
            return None
        numpy = sys.modules.get("numpy")
        if numpy is not None and vars(numpy).get(name) is obj:
            return None
        for modname, mod in list(sys.modules.items()):
            if mod is not None and _in_library(modname) and getattr(mod, "__dict__", {}).get(name) is obj:
                return modname
    except Exception:  # noqa: BLE001 - a learner's object with a hostile __getattr__ is not a library
        return None
    return None


def library_names(fn: Any, _seen: set[int] | None = None) -> list[str]:
    """Names a function uses that resolve to a library of ready-made losses, as ``"name (module)"``.

    ``fn`` itself may be library code; otherwise its code is read (nothing is called): the global
    names it uses (``losses``, an alias ``f = losses.bce_with_logits``, a ``from ... import *``),
    its closure variables and default arguments, and, recursively, the learner's own helper
    functions (those defined in the same namespace). ``lossedu`` itself counts when its
    ``losses`` module is used. The homework grader applies the same rule.

    >>> from lossedu import losses
    >>> library_names(lambda y, z: losses.bce_with_logits(y, z))
    ['losses (lossedu.losses)']
    """
    return sorted({f"{name} ({source})" for name, source, _ in _library_uses(fn, _seen)})


def library_calls(fn: Any) -> list[str]:
    """What :func:`library_names` found, as qualified names (``lossedu.losses.bce_with_logits``)
    where the attribute used can be told, else the module (``scipy.special``)."""
    return sorted({call for _, _, call in _library_uses(fn, None)})


def _library_uses(fn: Any, _seen: set[int] | None) -> list[tuple[str, str, str]]:
    """(name in the code, library module, qualified name) of every library use of ``fn``."""
    import types

    seen = _seen if _seen is not None else set()
    if id(fn) in seen:
        return []
    seen.add(id(fn))
    found = library_source(fn)
    code = getattr(fn, "__code__", None)
    if found or not isinstance(code, types.CodeType):
        return [(getattr(fn, "__name__", "?"), found, _qualified(fn, found))] if found else []
    names = _code_names(code)
    scope = getattr(fn, "__globals__", None) or {}
    builtins = scope.get("__builtins__", {})
    builtins = vars(builtins) if isinstance(builtins, types.ModuleType) else builtins
    values = [(n, scope[n] if n in scope else builtins.get(n) if isinstance(builtins, dict) else None)
              for n in sorted(names)]
    values += [(f"closure {i}", _cell(c)) for i, c in enumerate(getattr(fn, "__closure__", None) or ())]
    defaults = list(getattr(fn, "__defaults__", None) or ())
    defaults += list((getattr(fn, "__kwdefaults__", None) or {}).values())
    values += [(f"default {i}", v) for i, v in enumerate(defaults)]
    uses = []
    for name, obj in values:
        if obj is None:
            continue
        if isinstance(obj, types.ModuleType) and obj.__name__ == "lossedu" and "losses" in names:
            uses.append((name, LIBRARY, _attributes(vars(obj).get("losses"), names) or LIBRARY))
        elif isinstance(obj, types.FunctionType) and obj.__globals__ is scope:
            uses += _library_uses(obj, seen)
        elif callable(obj) or isinstance(obj, types.ModuleType):
            source = library_source(obj)
            if source:
                uses.append((name, source, _qualified(obj, source, names)))
    return uses


def _qualified(obj: Any, source: str, names: set[str] = frozenset()) -> str:
    """``module.function`` for a library function (its public module when one exports it), or
    the attributes of a library module the code uses."""
    import sys
    import types

    if isinstance(obj, types.ModuleType):
        return _attributes(obj, names) or obj.__name__
    name = getattr(getattr(obj, "func", obj), "__name__", None)
    if not isinstance(name, str):
        return source
    public = [m for m, mod in list(sys.modules.items()) if mod is not None and _in_library(m)
              and getattr(mod, "__dict__", {}).get(name) is getattr(obj, "func", obj)]
    best = min(public, key=lambda m: (sum(part.startswith("_") for part in m.split(".")), len(m)),
               default=source)
    return f"{best}.{name}"


def _attributes(module: Any, names: set[str], depth: int = 2) -> str:
    """``module.attr`` for the attributes of ``module`` named in the code that are library
    functions (one level of submodules deep: ``scipy.special.xlogy``), joined by ", "."""
    import types

    if not isinstance(module, types.ModuleType) or depth == 0:
        return ""
    found = []
    for attr in sorted(names):
        value = getattr(module, "__dict__", {}).get(attr)
        if isinstance(value, types.ModuleType) and _in_library(value.__name__):
            found.append(_attributes(value, names, depth - 1))
        elif value is not None and callable(value) and library_source(value):
            found.append(f"{module.__name__}.{attr}")
    return ", ".join(f for f in found if f)


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

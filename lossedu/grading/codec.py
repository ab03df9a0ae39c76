"""The data format that carries answers out of a sandboxed submission.

Only plain data crosses the process boundary: every answer is turned into a small JSON value
with a type tag, and the grading process turns it back into numbers, arrays, text or option
keys. Nothing is pickled and nothing is evaluated: an expression travels as its ``str()`` text
and is read back by the safe parser of :mod:`lossedu.checking.symbolic`.

==========  ===========================================  ==================================
tag         JSON                                         decoded as
==========  ===========================================  ==================================
none        ``{"t": "none"}``                            ``None``
ellipsis    ``{"t": "ellipsis"}``                        ``...``
bool        ``{"t": "bool", "v": true}``                 ``bool``
int         ``{"t": "int", "v": 3}``                     ``int``
float       ``{"t": "float", "v": 0.5 | "nan" | "inf"}`` ``float`` (non-finite spelled out)
str         ``{"t": "str", "v": "yhat - y"}``            ``str``
expr        ``{"t": "expr", "v": "-y + yhat"}``          :class:`ExprText` (parsed later)
array       ``{"t": "array", "shape": [2], "v": [...]}`` ``numpy.ndarray`` of float64
list/tuple  ``{"t": "list", "v": [...]}``                ``list`` / ``tuple``
dict        ``{"t": "dict", "v": [[k, v], ...]}``        ``dict``
error       ``{"t": "error", "v": "ValueError: ..."}``   :class:`RaisedError`
unsupported ``{"t": "unsupported", "type": "complex"}``  :class:`Unsupported`
==========  ===========================================  ==================================
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_TEXT = 20_000        # characters of one string or expression
MAX_ITEMS = 10_000       # elements of one list, tuple or dict
MAX_ARRAY = 200_000      # elements of one array
MAX_DEPTH = 16           # nesting of lists / dicts
MAX_INT_DIGITS = 300

_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class CodecError(ValueError):
    """A message value that does not follow the format above."""


@dataclass(frozen=True)
class ExprText:
    """A SymPy expression as its ``str()`` text, to be read back with :func:`lossedu.checking.symbolic.to_expr`."""

    text: str


@dataclass(frozen=True)
class RaisedError:
    """The exception a learner's function raised, as ``"TypeName: message"``."""

    text: str


@dataclass(frozen=True)
class Unsupported:
    """An answer of a type that cannot be graded (its type name and why)."""

    type: str
    why: str = ""


# --------------------------------------------------------------------------- encode (sandbox side)
def _float(x: float) -> float | str:
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _is_sympy(value: Any) -> bool:
    sympy = __import__("sys").modules.get("sympy")
    return sympy is not None and isinstance(value, (sympy.Basic, sympy.MatrixBase))


def encode(value: Any, depth: int = 0) -> dict[str, Any]:
    """Turn an answer into tagged JSON data (the sandbox side of the channel)."""
    if depth > MAX_DEPTH:
        return {"t": "unsupported", "type": type(value).__name__, "why": f"nested deeper than {MAX_DEPTH} levels"}
    if value is None:
        return {"t": "none"}
    if value is Ellipsis:
        return {"t": "ellipsis"}
    if isinstance(value, (bool, np.bool_)):
        return {"t": "bool", "v": bool(value)}
    if isinstance(value, (int, np.integer)):
        number = int(value)
        if len(str(abs(number))) > MAX_INT_DIGITS:
            return {"t": "unsupported", "type": "int", "why": f"more than {MAX_INT_DIGITS} digits"}
        return {"t": "int", "v": number}
    if isinstance(value, (float, np.floating)):
        return {"t": "float", "v": _float(float(value))}
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            return {"t": "unsupported", "type": "str", "why": f"longer than {MAX_TEXT} characters"}
        return {"t": "str", "v": value}
    if _is_sympy(value):
        if getattr(value, "is_Matrix", False):
            return encode([v for v in value], depth + 1)
        text = str(value)
        if len(text) > MAX_TEXT:
            return {"t": "unsupported", "type": "expression", "why": f"longer than {MAX_TEXT} characters"}
        return {"t": "expr", "v": text}
    if isinstance(value, np.ndarray):
        return _encode_array(value, depth)
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_ITEMS:
            return {"t": "unsupported", "type": type(value).__name__, "why": f"more than {MAX_ITEMS} items"}
        tag = "tuple" if isinstance(value, tuple) else "list"
        return {"t": tag, "v": [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            return {"t": "unsupported", "type": "dict", "why": f"more than {MAX_ITEMS} items"}
        return {"t": "dict", "v": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    return {"t": "unsupported", "type": type(value).__name__}


def _encode_array(value: np.ndarray, depth: int) -> dict[str, Any]:
    if value.size > MAX_ARRAY:
        return {"t": "unsupported", "type": "ndarray", "why": f"more than {MAX_ARRAY} elements"}
    if value.dtype.kind in "biuf":
        flat = value.astype(np.float64).ravel().tolist()
        return {"t": "array", "shape": list(value.shape), "v": [_float(x) for x in flat]}
    return encode(value.tolist(), depth + 1)


def encode_output(value: Any) -> dict[str, Any]:
    """A learner function's return value as a float array, ``none`` for None, or the reason it is
    not numbers (the same rules as :func:`lossedu.checking.functions.call_all`)."""
    if value is None:
        return {"t": "none"}
    not_numbers = {"t": "error", "v": f"returned {type(value).__name__}, not an array of numbers"[:500]}
    if isinstance(value, (str, bytes)) or _is_sympy(value):
        return not_numbers
    try:
        array = np.asarray(value, dtype=np.float64)
    except Exception:  # noqa: BLE001 - any failure is the learner's
        return not_numbers
    return _encode_array(array, 0)


def encode_error(exc: BaseException) -> dict[str, Any]:
    """An exception raised by a learner's function, as ``"TypeName: message"`` (message cut at 200)."""
    try:
        text = str(exc)[:200]
    except Exception:  # noqa: BLE001 - a hostile __str__
        text = "(the message could not be shown)"
    return {"t": "error", "v": f"{type(exc).__name__}: {text}"}


# --------------------------------------------------------------------------- decode (grader side)
def _need(cond: bool, what: str) -> None:
    if not cond:
        raise CodecError(what)


def _to_float(x: Any) -> float:
    if isinstance(x, str):
        _need(x in _NONFINITE, f"a float must be a number or one of {sorted(_NONFINITE)}, got {x[:20]!r}")
        return _NONFINITE[x]
    _need(isinstance(x, (int, float)) and not isinstance(x, bool), f"expected a number, got {type(x).__name__}")
    return float(x)


def decode(data: Any, depth: int = 0) -> Any:
    """Turn tagged JSON data back into a value; raises :class:`CodecError` on anything malformed."""
    _need(depth <= MAX_DEPTH + 1, "value nested too deeply")
    _need(isinstance(data, dict) and isinstance(data.get("t"), str), "a value must be an object with a tag 't'")
    tag, v = data["t"], data.get("v")
    if tag == "none":
        return None
    if tag == "ellipsis":
        return ...
    if tag == "bool":
        _need(isinstance(v, bool), "bool value must be true or false")
        return v
    if tag == "int":
        _need(isinstance(v, int) and not isinstance(v, bool) and len(str(abs(v))) <= MAX_INT_DIGITS, "bad int")
        return v
    if tag == "float":
        return _to_float(v)
    if tag in ("str", "expr", "error"):
        _need(isinstance(v, str) and len(v) <= MAX_TEXT, f"{tag} value must be text of at most {MAX_TEXT} characters")
        return {"str": str, "expr": ExprText, "error": RaisedError}[tag](v)
    if tag == "array":
        return _decode_array(data)
    if tag in ("list", "tuple"):
        _need(isinstance(v, list) and len(v) <= MAX_ITEMS, f"{tag} value must be a list of at most {MAX_ITEMS}")
        items = [decode(x, depth + 1) for x in v]
        return tuple(items) if tag == "tuple" else items
    if tag == "dict":
        _need(isinstance(v, list) and len(v) <= MAX_ITEMS, "dict value must be a list of pairs")
        out = {}
        for pair in v:
            _need(isinstance(pair, list) and len(pair) == 2, "dict items must be [key, value] pairs")
            key = decode(pair[0], depth + 1)
            _need(isinstance(key, (str, int, float, bool, type(None))), "dict keys must be plain values")
            out[key] = decode(pair[1], depth + 1)
        return out
    if tag == "unsupported":
        name, why = data.get("type", "?"), data.get("why", "")
        return Unsupported(str(name)[:80], str(why)[:200])
    raise CodecError(f"unknown value tag {tag[:20]!r}")


def _decode_array(data: dict[str, Any]) -> np.ndarray:
    shape, v = data.get("shape"), data.get("v")
    _need(isinstance(shape, list) and len(shape) <= 8, "array shape must be a list of at most 8 sizes")
    _need(all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_ARRAY for n in shape), "bad array shape")
    _need(isinstance(v, list) and len(v) <= MAX_ARRAY, f"array values must be a list of at most {MAX_ARRAY}")
    _need(math.prod(shape) == len(v), "array shape does not match the number of values")
    return np.array([_to_float(x) for x in v], dtype=np.float64).reshape(shape)

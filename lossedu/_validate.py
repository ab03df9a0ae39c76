"""Input checks shared by :mod:`lossedu.losses` and :mod:`lossedu.risk` (private).

Every check is one vectorized pass over the array and builds its message only when something is
wrong, so validating 10^6 elements costs about as much as one extra ufunc. Messages name the
argument, the function and the allowed domain, and point at the first offending entry.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def _at(bad: np.ndarray) -> str:
    """``" at index i"`` for the first True entry of ``bad`` (empty for a 0-d array)."""
    if bad.ndim == 0:
        return ""
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    return f" at index {index[0] if len(index) == 1 else index}"


def _first(x: np.ndarray, bad: np.ndarray) -> str:
    """The first offending value of ``x`` followed by where it is."""
    return f"{np.broadcast_to(x, bad.shape)[bad][0]:g}{_at(bad)}"


def as_float(name: str, x: Any, where: str) -> np.ndarray:
    """``x`` as a float64 array; reject text, complex numbers, ragged lists, NaN and inf."""
    try:
        raw = np.asarray(x)
        if raw.dtype.kind in "cSUVM":
            raise TypeError
        arr = raw.astype(np.float64, copy=False)
    except (TypeError, ValueError):
        text = repr(x)
        text = text if len(text) <= 60 else text[:57] + "..."
        raise ValueError(f"{name} must be a real number or an array of real numbers for {where}; "
                         f"got {text}") from None
    if np.isfinite(np.sum(arr)):  # fast path: a finite sum means no NaN or inf anywhere
        return arr
    bad = ~np.isfinite(arr)  # (a sum can also overflow to inf with every entry finite)
    if bad.any():
        raise ValueError(f"{name} must be finite (no NaN or inf) for {where}; got {_first(arr, bad)}")
    return arr


def broadcast_shape(names: tuple[str, str], a: np.ndarray, b: np.ndarray, where: str) -> tuple:
    """The broadcast shape of ``a`` and ``b``, or a ValueError naming both arguments."""
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{names[0]} and {names[1]} must have broadcastable shapes for {where}; "
                         f"got {a.shape} and {b.shape}") from None


def pm1_labels(y: np.ndarray, where: str) -> None:
    """Binary margin labels: every entry exactly -1 or +1."""
    if np.all(np.abs(y) == 1.0):
        return
    bad = (y != 1.0) & (y != -1.0)
    if bad.any():
        raise ValueError(f"y must contain only labels -1 or +1 for {where}; got {_first(y, bad)}")


def unit_interval(name: str, x: np.ndarray, where: str) -> None:
    """Probabilities (or soft labels): every entry in [0, 1]."""
    if x.size == 0 or (x.min() >= 0.0 and x.max() <= 1.0):
        return
    bad = (x < 0.0) | (x > 1.0)
    if bad.any():
        raise ValueError(f"{name} must lie in [0, 1] for {where}; got {_first(x, bad)}")


def positive(name: str, value: Any, where: str) -> np.ndarray:
    """A strictly positive, finite parameter (scalar or broadcastable array)."""
    arr = as_float(name, value, where)
    bad = arr <= 0.0
    if bad.any():
        raise ValueError(f"{name} must be > 0 for {where}; got {_first(arr, bad)}")
    return arr


def class_labels(y: np.ndarray, n_classes: int, where: str) -> np.ndarray:
    """Integer class labels 0..K-1, returned as an index array."""
    bad = (y != np.floor(y)) | (y < 0) | (y >= n_classes)
    if bad.any():
        raise ValueError(f"y must contain integer class labels 0..{n_classes - 1} for {where}; "
                         f"got {_first(y, bad)}")
    return y.astype(np.intp)


def scores_2d(name: str, s: Any, where: str) -> tuple[np.ndarray, bool]:
    """Scores of shape (n, K) with K >= 2; a single example (K,) becomes (1, K).

    Returns the 2-d array and whether the input was a single example.
    """
    arr = as_float(name, s, where)
    if arr.ndim not in (1, 2) or arr.shape[-1] < 2:
        raise ValueError(f"{name} must have shape (n, K) or (K,) with K >= 2 classes for {where}; "
                         f"got shape {arr.shape}")
    return np.atleast_2d(arr), arr.ndim == 1

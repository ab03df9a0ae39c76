"""The course's SymPy symbols, the parser's error type and its size limits.

The bottom of the parser: :mod:`lossedu.checking.builder` and :mod:`lossedu.checking.symbolic`
build on these (and re-export them).
"""
from __future__ import annotations

from typing import Any

import sympy

__all__ = ["SYMBOLS", "ParseError", "sigmoid", "SIGMA", "MAX_CHARS", "MAX_DEPTH", "MAX_NODES",
           "MAX_INT", "MAX_EXPONENT", "MAX_DIGITS"]

_REAL = ["y", "yhat", "p", "z", "s", "r", "w", "x", "eps", "lam",
         "z1", "z2", "z3", "y1", "y2", "y3", "b", "t"]
_POSITIVE = ["delta", "alpha", "beta"]

SYMBOLS: dict[str, sympy.Symbol] = {
    **{n: sympy.Symbol(n, real=True) for n in _REAL},
    **{n: sympy.Symbol(n, positive=True) for n in _POSITIVE},
}

MAX_CHARS = 2000
MAX_DEPTH = 50
MAX_NODES = 500
MAX_INT = 10**15
MAX_EXPONENT = 1000
MAX_DIGITS = 1000

#: σ kept as a function of its own, for showing an answer as it was typed (never judged).
SIGMA = sympy.Function("sigma")


class ParseError(ValueError):
    """An answer that is not an allowed expression.

    Attributes
    ----------
    message : str
        What is wrong, in words meant for the learner.
    position : int or None
        0-based column in the (normalised) text, or None when there is no single place.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        self.message = message
        self.position = position
        super().__init__(message if position is None else f"{message} at column {position}")


def sigmoid(u: Any) -> sympy.Expr:
    """Logistic function :math:`\\sigma(u) = 1 / (1 + e^{-u})` as a SymPy expression."""
    return 1 / (1 + sympy.exp(-u))

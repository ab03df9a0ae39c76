"""Course symbols and a safe parser for learner answers.

A learner's answer arrives as text (``"-y*(1 - sigmoid(z))"``, ``"2(ŷ - y)"``,
``"\\frac{p - y}{p(1 - p)}"``) or as a SymPy object. Neither is trusted: text is never given to
``eval``, ``sympify`` or ``parse_expr`` (they execute Python). Instead:

1. Unicode spellings are rewritten to ASCII and the text is screened (no quotes, comments,
   control characters or deep brackets);
2. :mod:`lossedu.checking.notation` rewrites the notation learners use (implicit
   multiplication, LaTeX, aliases such as ``y_hat``, ``np.`` prefixes, indicators, sums over an
   index) into a plain grammar; it only moves tokens, it evaluates nothing;
3. Python's own parser (``ast.parse``, which executes nothing) reads the plain text, and
   :mod:`lossedu.checking.builder` walks the tree node by node, building SymPy nodes only for the
   allow-listed grammar.

Size, nesting depth and number magnitude are capped so that no answer can hang the checker.
``sigmoid(u)`` is read as ``1/(1 + exp(-u))`` (``parse(..., display=True)`` keeps it as
σ(u), for showing an answer as it was typed).

>>> parse("-y*(1 - sigmoid(z))", ["y", "z"])
-y*(1 - 1/(1 + exp(-z)))
>>> parse("2(yhat - y)", ["y", "yhat"])
-2*y + 2*yhat
"""
from __future__ import annotations

import ast
import math
from functools import lru_cache
from collections.abc import Iterable
from typing import Any

import sympy

from lossedu.checking import notation
from lossedu.checking.builder import Builder, checked_names, finish, screen, unknown
from lossedu.checking.symbols import (MAX_CHARS, MAX_DEPTH, MAX_DIGITS, MAX_EXPONENT,  # noqa: F401
                                      MAX_INT, MAX_NODES, SIGMA, SYMBOLS, ParseError, sigmoid)

__all__ = ["SYMBOLS", "ParseError", "parse", "vet", "to_expr", "latex", "sigmoid"]


# --- Text normalisation and pre-checks -----------------------------------------------------

def _normalise(text: str) -> str:
    return notation.unicode_to_ascii(text).strip()


def _precheck(text: str) -> None:
    """Refuse what ``ast.parse`` should never see: odd characters, quotes, deep brackets."""
    if len(text) > MAX_CHARS:
        raise ParseError(f"answer too long ({len(text)} characters; at most {MAX_CHARS})")
    depth = 0
    for i, ch in enumerate(text):
        if not (ch.isascii() and (ch.isprintable() or ch == "\t")):
            raise ParseError(f"character {ch!r} is not allowed", i)
        if ch in "'\"#;" and not (ch == ";" and text[i - 1:i] == "\\"):  # \; is LaTeX spacing
            what = "a comment ('#')" if ch == "#" else "';'" if ch == ";" else "text in quotes"
            raise ParseError(f"{what} is not allowed", i)
        depth += (ch in "([{") - (ch in ")]}")
        if depth > MAX_DEPTH:
            raise ParseError(f"brackets nested too deeply (more than {MAX_DEPTH})", i)


def parse(text: str, variables: Iterable[str], display: bool = False) -> sympy.Expr:
    """Read an answer written as text into a SymPy expression, safely.

    Parameters
    ----------
    text : str
        The answer, e.g. ``"2*(yhat - y)"``, ``"2(ŷ − y)"`` or ``"\\hat{y} - y"`` (notation:
        :mod:`lossedu.checking.notation`; grammar: :mod:`lossedu.checking.builder`).
    variables : iterable of str
        Names in :data:`SYMBOLS` that this problem's answer may use.
    display : bool
        Keep ``sigmoid(u)`` as σ(u) (for showing the answer as typed; not for judging).

    Raises
    ------
    ParseError
        Anything outside the grammar, with the column (in the normalised text) where it starts.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    text, names = str.__str__(text), checked_names(variables)
    if len(text) > MAX_CHARS:
        raise ParseError(f"answer too long ({len(text)} characters; at most {MAX_CHARS})")
    text = _normalise(text)
    if not text:
        raise ParseError("empty answer")
    _precheck(text)
    try:
        text = notation.rewrite(text, names, frozenset(SYMBOLS))
    except notation.NotationError as err:
        raise ParseError(err.message, err.position) from None
    except RecursionError:
        raise ParseError("answer nested too deeply") from None
    try:
        tree = ast.parse(text, mode="eval")  # builds a syntax tree; executes nothing
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        col = err.offset - 1 if getattr(err, "offset", None) else None
        raise ParseError(f"not a valid expression ({getattr(err, 'msg', err)})", col) from None
    try:
        result = Builder(names, display).expr(tree.body)
    except RecursionError:
        raise ParseError("answer nested too deeply") from None
    except ParseError:
        raise
    except (TypeError, ValueError, AttributeError) as err:
        raise ParseError(f"not a valid expression ({err})") from None
    return finish(result, (SIGMA,) if display else ())



def vet(expr: sympy.Basic, variables: Iterable[str]) -> sympy.Expr:
    """Apply the parser's checks to a SymPy object given directly.

    Free symbols are renamed onto :data:`SYMBOLS` by name (``sympy.Symbol('z')`` becomes the real
    ``z``). Raises :class:`ParseError` for unknown symbols, functions that are not allowed
    (undefined ``f``, ``Derivative``, ``Integral``, matrices), huge numbers or too many parts.
    """
    names = checked_names(variables)
    if not isinstance(expr, sympy.Basic):
        raise ParseError(f"expected a SymPy expression, got {type(expr).__name__}")
    symbols = screen(expr)
    for sym in symbols:
        if sym.name not in names:
            raise unknown(sym.name, names)
    return finish(expr.xreplace({sym: SYMBOLS[sym.name] for sym in symbols}))


def to_expr(answer: Any, variables: Iterable[str]) -> sympy.Expr:
    """Any answer as a checked SymPy expression: text -> :func:`parse`, SymPy -> :func:`vet`,
    ``int``/``float``/NumPy scalar -> SymPy number; anything else raises :class:`ParseError`."""
    if isinstance(answer, str):
        return parse(answer, variables)
    if isinstance(answer, sympy.Basic):
        return vet(answer, variables)
    if type(answer).__module__ == "numpy" and getattr(answer, "shape", None) == ():
        answer = answer.item()
    if type(answer) is int:
        return vet(sympy.Integer(answer), variables)
    if type(answer) is float:
        if not math.isfinite(answer):
            raise ParseError(f"number is not finite ({answer})")
        return sympy.Float(answer)
    raise ParseError("expected an expression as text or a SymPy expression, "
                     f"got {type(answer).__name__}")


_LATEX_NAMES = {"yhat": r"\hat{y}", "lam": r"\lambda", "eps": r"\varepsilon", "delta": r"\delta",
                "alpha": r"\alpha", "beta": r"\beta"}


def latex(expr: sympy.Basic) -> str:
    r"""LaTeX for an expression, in the course's notation (``yhat`` as :math:`\hat{y}`, ...)."""
    try:
        return _latex(expr)
    except TypeError:  # unhashable
        return _latex.__wrapped__(expr)


@lru_cache(maxsize=512)
def _latex(expr: sympy.Basic) -> str:
    names = {s: _LATEX_NAMES[s.name] for s in getattr(expr, "free_symbols", ())
             if getattr(s, "name", None) in _LATEX_NAMES}
    return sympy.latex(expr, symbol_names=names)

"""Course symbols and a safe parser for learner answers.

A learner's answer arrives as text (``"-y*(1 - sigmoid(z))"``) or as a SymPy object. Neither is
trusted: text is never given to ``eval``, ``sympify`` or ``parse_expr`` (they execute Python).
Instead the text is read by Python's own parser (``ast.parse``, which executes nothing) and the
tree is walked node by node; only the grammar below is accepted, and SymPy nodes are built
directly from it.

Grammar (after Unicode spellings are rewritten to ASCII and ``^`` to ``**``)::

    expr     := number | variable | pi | E
              | expr (+ | - | * | / | **) expr | (- | +) expr | ( expr )
              | func ( expr, ... )
              | Piecewise( (expr, cond), ..., (expr, True) )
    cond     := True | expr cmp expr [cmp expr ...] | cond & cond | cond | cond
    cmp      := <  <=  >  >=  ==  !=
    func     := exp log sqrt abs Abs sign sigmoid Heaviside max Max min Min

``sigmoid(u)`` is read as ``1/(1 + exp(-u))``. Implicit multiplication (``2y``) is refused.
Size, nesting depth and number magnitude are capped so that no answer can hang the checker.

>>> parse("-y*(1 - sigmoid(z))", ["y", "z"])
-y*(1 - 1/(1 + exp(-z)))
"""
from __future__ import annotations

import ast
import keyword
import math
import operator
import re
from collections.abc import Iterable
from typing import Any, Callable

import sympy
from sympy.functions.elementary.piecewise import ExprCondPair

__all__ = ["SYMBOLS", "ParseError", "parse", "vet", "to_expr", "latex", "sigmoid"]

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


# --- Text normalisation and pre-checks -----------------------------------------------------

_UNICODE = {
    "\u2212": "-", "\u2013": "-", "\u00b7": "*", "\u22c5": "*", "\u00d7": "*", "\u2217": "*",
    "\u00f7": "/", "\u0177": "yhat", "y\u0302": "yhat", "\u03c3": "sigmoid", "\u03b4": "delta",
    "\u03bb": "lam", "\u03b5": "eps", "\u03f5": "eps", "\u03b1": "alpha", "\u03b2": "beta",
    "\u03c0": "pi", "\u00b2": "**2", "\u00b3": "**3", "\u2264": "<=", "\u2265": ">=",
    "\u2260": "!=", "\u2227": "&", "\u2228": "|",
}
_IMPLICIT = re.compile(r"(?<![\w.])(\d+\.?\d*(?:[eE][+-]?\d+)?)(?![eE][+-]?\d)[ \t]*([A-Za-z_]\w*|\()")


def _normalise(text: str) -> str:
    for uni, plain in _UNICODE.items():
        text = text.replace(uni, plain)
    return text.replace("^", "**").strip()


def _precheck(text: str) -> None:
    """Refuse what ``ast.parse`` should never see: odd characters, quotes, deep brackets."""
    if len(text) > MAX_CHARS:
        raise ParseError(f"answer too long ({len(text)} characters; at most {MAX_CHARS})")
    depth = 0
    for i, ch in enumerate(text):
        if not (ch.isascii() and (ch.isprintable() or ch == "\t")):
            raise ParseError(f"character {ch!r} is not allowed", i)
        if ch in "'\"#;":
            what = "a comment ('#')" if ch == "#" else "';'" if ch == ";" else "text in quotes"
            raise ParseError(f"{what} is not allowed", i)
        depth += (ch in "([{") - (ch in ")]}")
        if depth > MAX_DEPTH:
            raise ParseError(f"brackets nested too deeply (more than {MAX_DEPTH})", i)
    for m in _IMPLICIT.finditer(text):
        word = m.group(2)
        if not keyword.iskeyword(word):
            shown = "(...)" if word == "(" else word
            raise ParseError(f"missing '*' between {m.group(1)} and {shown}: write "
                             f"{m.group(1)}*{shown}", m.start())


# --- Names, functions and numbers ----------------------------------------------------------

def _lattice(op: Any) -> Callable[..., Any]:
    """``Max``/``Min`` that skips SymPy's simplification of nested ``Max``/``Min`` arguments
    (it compares every pair of arguments symbolically, which takes seconds for a few levels)."""

    def build(*args: Any) -> Any:
        nested = any(a.has(sympy.Max, sympy.Min) for a in args if isinstance(a, sympy.Basic))
        return op(*args, evaluate=not nested)

    build.__name__ = op.__name__
    return build


# name -> (builder, fewest arguments, most arguments or None for any number)
_FUNCS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "exp": (sympy.exp, 1, 1), "log": (sympy.log, 1, 1), "sqrt": (sympy.sqrt, 1, 1),
    "abs": (sympy.Abs, 1, 1), "Abs": (sympy.Abs, 1, 1), "sign": (sympy.sign, 1, 1),
    "sigmoid": (sigmoid, 1, 1), "Heaviside": (sympy.Heaviside, 1, 2),
    "max": (_lattice(sympy.Max), 2, None), "Max": (_lattice(sympy.Max), 2, None),
    "min": (_lattice(sympy.Min), 2, None), "Min": (_lattice(sympy.Min), 2, None),
    "Piecewise": (sympy.Piecewise, 1, None),
}
_COND_FUNCS = {"Eq": sympy.Eq, "Ne": sympy.Ne}  # as str() writes them inside Piecewise
_CONSTANTS = {"pi": sympy.pi, "E": sympy.E}
_SHOWN_FUNCS = ["exp", "log", "sqrt", "abs", "sign", "sigmoid", "Heaviside", "max", "min",
                "Piecewise", "pi", "E"]


def _names(variables: Iterable[str]) -> list[str]:
    names = [variables] if isinstance(variables, str) else list(variables)
    for n in names:
        if n not in SYMBOLS:
            raise ValueError(f"variables: {n!r} is not a course symbol; allowed: "
                             f"{', '.join(SYMBOLS)}")
    return names


def _unknown(name: str, names: list[str], pos: int | None = None) -> ParseError:
    if name in SYMBOLS:
        return ParseError(f"'{name}' is not a variable of this problem; use: "
                          f"{', '.join(names) or '(no variables)'}", pos)
    return ParseError(f"unknown name '{name}'; allowed names: "
                      f"{', '.join(names + _SHOWN_FUNCS)}", pos)


_TOO_LARGE = f"number too large (integers and fractions are limited to {MAX_INT:.0e})"
_INFINITE = (type(sympy.oo), type(-sympy.oo), type(sympy.zoo), type(sympy.nan))


def _check_number(v: sympy.Basic, pos: int | None = None) -> None:
    """Refuse infinities, NaN and exact numbers beyond ``MAX_INT`` (so ``str()`` reparses)."""
    if type(v) in _INFINITE or (isinstance(v, sympy.Float) and not math.isfinite(float(v))):
        raise ParseError("number is not finite (division by zero or an infinite value)", pos)
    if v is sympy.I:
        raise ParseError("complex numbers are not allowed (root or log of a negative?)", pos)
    if isinstance(v, sympy.Rational) and (abs(v.p) > MAX_INT or v.q > MAX_INT):
        raise ParseError(_TOO_LARGE, pos)


def _abs_float(x: sympy.Expr) -> float:
    try:
        return abs(float(x))
    except (TypeError, ValueError, OverflowError):
        return math.inf


def _digits(x: sympy.Expr) -> float:
    """Decimal digits needed to write the number ``x`` exactly (cheap, never evaluates big)."""
    if isinstance(x, sympy.Rational):
        return max(abs(int(x.p)).bit_length(), int(x.q).bit_length()) * math.log10(2)
    f = _abs_float(x)
    return 0.0 if f == 0 else abs(math.log10(f)) if math.isfinite(f) else math.inf


def _check_power(base: sympy.Expr, expo: sympy.Expr, pos: int | None = None) -> None:
    """Refuse ``base**expo`` when both are numbers and the result would be huge."""
    if not (base.is_number and expo.is_number):
        return
    e = _abs_float(expo)
    if not e <= MAX_EXPONENT:
        raise ParseError(f"number too large (exponent above {MAX_EXPONENT})", pos)
    if _digits(base) * e > MAX_DIGITS:
        raise ParseError(f"number too large (more than {MAX_DIGITS} digits)", pos)


# --- Text -> SymPy -------------------------------------------------------------------------

_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
          ast.Div: operator.truediv}
_CMPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: sympy.Lt, ast.LtE: sympy.Le, ast.Gt: sympy.Gt, ast.GtE: sympy.Ge,
    ast.Eq: sympy.Eq, ast.NotEq: sympy.Ne,
}
_DESCRIBE = {  # syntax node -> how the learner would call it (others: the node's name)
    "Attribute": "attribute access ('.')", "Subscript": "indexing ('[...]')", "Set": "a set",
    "ListComp": "a comprehension", "GeneratorExp": "a comprehension", "Dict": "a dict",
    "List": "a list ('[...]')", "Starred": "'*' unpacking", "NamedExpr": "':='",
    "IfExp": "'if ... else'", "Tuple": "a tuple outside Piecewise", "Lambda": "'lambda'",
    "Compare": "a comparison outside Piecewise", "BoolOp": "'and'/'or' outside Piecewise",
}


class _Builder:
    """Walks the Python syntax tree of an answer and builds the SymPy expression."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.nodes = 0

    def expr(self, node: ast.AST, cond: bool = False) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ParseError(f"answer too large (more than {MAX_NODES} parts)")
        pos = getattr(node, "col_offset", None)
        if cond:
            return self.condition(node, pos)
        if isinstance(node, ast.Constant):
            return self.constant(node.value, pos)
        if isinstance(node, ast.Name):
            return self.name(node.id, pos)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.expr(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            a, b = self.expr(node.left), self.expr(node.right)
            if isinstance(node.op, ast.Div) and b == 0:
                raise ParseError("division by zero", pos)
            return _ARITH[type(node.op)](a, b)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            base, expo = self.expr(node.left), self.expr(node.right)
            _check_power(base, expo, pos)
            return sympy.Pow(base, expo)
        if isinstance(node, ast.Call):
            return self.call(node, pos)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            raise ParseError("'&' and '|' are only allowed in Piecewise conditions", pos)
        kind = type(node).__name__
        raise ParseError(f"{_DESCRIBE.get(kind, repr(kind))} is not allowed in an answer", pos)

    def condition(self, node: ast.AST, pos: int | None) -> Any:
        if isinstance(node, ast.Constant) and type(node.value) is bool:
            return sympy.true if node.value else sympy.false
        if isinstance(node, ast.Compare):
            if not all(type(op) in _CMPS for op in node.ops):
                raise ParseError("only < <= > >= == != comparisons are allowed", pos)
            terms = [self.expr(node.left)] + [self.expr(c) for c in node.comparators]
            return sympy.And(*(_CMPS[type(op)](a, b)
                               for op, a, b in zip(node.ops, terms, terms[1:])))
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            node = ast.BoolOp(ast.And() if isinstance(node.op, ast.BitAnd) else ast.Or(),
                              [node.left, node.right])
        if isinstance(node, ast.BoolOp):
            join = sympy.And if isinstance(node.op, ast.And) else sympy.Or
            return join(*(self.expr(v, True) for v in node.values))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Invert, ast.Not)):
            return sympy.Not(self.expr(node.operand, True))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in _COND_FUNCS):
            return self.call(node, pos)
        raise ParseError("a Piecewise condition must be a comparison such as z > 0, "
                         "combined with & or |, or True", pos)

    def constant(self, v: Any, pos: int | None) -> Any:
        if type(v) is int:
            if abs(v) > MAX_INT:
                raise ParseError(_TOO_LARGE, pos)
            return sympy.Integer(v)
        if type(v) is float:
            if not math.isfinite(v):
                raise ParseError("number is not finite", pos)
            return sympy.Float(v)
        what = {str: "text in quotes", bytes: "bytes", complex: "a complex number",
                bool: f"'{v}' outside a Piecewise condition"}.get(type(v), repr(v))
        raise ParseError(f"{what} is not allowed in an answer", pos)

    def name(self, n: str, pos: int | None) -> sympy.Expr:
        if n in self.names:
            return SYMBOLS[n]
        if n in _CONSTANTS:
            return _CONSTANTS[n]
        if n in _FUNCS:
            raise ParseError(f"function '{n}' needs an argument, e.g. {n}(z)", pos)
        raise _unknown(n, self.names, pos)

    def call(self, node: ast.Call, pos: int | None) -> Any:
        if not isinstance(node.func, ast.Name):
            raise ParseError("only the allowed functions can be called, by name", pos)
        fname = node.func.id
        if fname in _COND_FUNCS:
            build, lo, hi = _COND_FUNCS[fname], 2, 2
        elif fname in _FUNCS:
            build, lo, hi = _FUNCS[fname]
        elif fname in self.names or fname in _CONSTANTS:
            raise ParseError(f"missing '*' after {fname}: write {fname}*(...)", pos)
        else:
            raise _unknown(fname, self.names, pos)
        if node.keywords:
            raise ParseError(f"{fname}() takes no keyword arguments", pos)
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise ParseError(f"'*' unpacking is not allowed in {fname}()", pos)
        n = len(node.args)
        if n < lo or (hi is not None and n > hi):
            want = str(lo) if lo == hi else f"{lo} or {hi}" if hi else f"at least {lo}"
            raise ParseError(f"{fname}() takes {want} argument{'s' * (want != '1')}, "
                             f"got {n}", pos)
        if fname == "Piecewise":
            return sympy.Piecewise(*(self.pair(a) for a in node.args))
        return build(*(self.expr(a) for a in node.args))

    def pair(self, arg: ast.AST) -> tuple[Any, Any]:
        if not (isinstance(arg, ast.Tuple) and len(arg.elts) == 2):
            raise ParseError("Piecewise takes pairs (expression, condition), e.g. "
                             "Piecewise((z, z > 0), (0, True))", arg.col_offset)
        return self.expr(arg.elts[0]), self.expr(arg.elts[1], cond=True)


def parse(text: str, variables: Iterable[str]) -> sympy.Expr:
    """Read an answer written as text into a SymPy expression, safely.

    Parameters
    ----------
    text : str
        The answer, e.g. ``"2*(yhat - y)"`` or ``"ŷ − y"`` (grammar: module docstring).
    variables : iterable of str
        Names in :data:`SYMBOLS` that this problem's answer may use.

    Raises
    ------
    ParseError
        Anything outside the grammar, with the column (in the normalised text) where it starts.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    text, names = str.__str__(text), _names(variables)
    if len(text) > MAX_CHARS:
        raise ParseError(f"answer too long ({len(text)} characters; at most {MAX_CHARS})")
    text = _normalise(text)
    if not text:
        raise ParseError("empty answer")
    _precheck(text)
    try:
        tree = ast.parse(text, mode="eval")  # builds a syntax tree; executes nothing
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        col = err.offset - 1 if getattr(err, "offset", None) else None
        raise ParseError(f"not a valid expression ({getattr(err, 'msg', err)})", col) from None
    try:
        result = _Builder(names).expr(tree.body)
    except RecursionError:
        raise ParseError("answer nested too deeply") from None
    except ParseError:
        raise
    except (TypeError, ValueError, AttributeError) as err:
        raise ParseError(f"not a valid expression ({err})") from None
    return _finish(result)


# --- SymPy objects given directly ----------------------------------------------------------

_ALLOWED_TYPES = {
    sympy.Add, sympy.Mul, sympy.Pow, sympy.exp, sympy.log, sympy.Abs, sympy.sign,
    sympy.Heaviside, sympy.Max, sympy.Min, sympy.Piecewise, ExprCondPair,
    sympy.Eq, sympy.Ne, sympy.Lt, sympy.Le, sympy.Gt, sympy.Ge, sympy.And, sympy.Or, sympy.Not,
    type(sympy.true), type(sympy.false), type(sympy.pi), type(sympy.E), sympy.Symbol,
}


def _allowed(node: Any) -> bool:
    if isinstance(node, (sympy.Rational, sympy.Float)):
        return type(node).__module__ == "sympy.core.numbers"
    return type(node) in _ALLOWED_TYPES


def _screen(expr: sympy.Basic) -> list[sympy.Symbol]:
    """Check every node's type (before reading its ``args``) and every number; powers are
    checked innermost first, so an inner bomb is refused before an outer one evaluates it."""
    nodes, stack = [], [expr]
    while stack:
        node = stack.pop()
        if node.is_Atom:
            _check_number(node)
        if not _allowed(node):
            raise ParseError(f"{type(node).__name__} is not allowed in an answer; allowed "
                             f"functions: {', '.join(_SHOWN_FUNCS)}")
        nodes.append(node)
        if len(nodes) > MAX_NODES:
            raise ParseError(f"expression too large (more than {MAX_NODES} parts)")
        stack.extend(reversed(node.args))
    for node in reversed(nodes):
        if type(node) is sympy.Pow:
            _check_power(*node.args)
    return [node for node in nodes if type(node) is sympy.Symbol]


def _finish(result: Any) -> sympy.Expr:
    if not isinstance(result, sympy.Expr):
        raise ParseError(f"expected an expression, got a condition ({result}); "
                         "conditions belong inside Piecewise")
    _screen(result)
    return result


def vet(expr: sympy.Basic, variables: Iterable[str]) -> sympy.Expr:
    """Apply the parser's checks to a SymPy object given directly.

    Free symbols are renamed onto :data:`SYMBOLS` by name (``sympy.Symbol('z')`` becomes the real
    ``z``). Raises :class:`ParseError` for unknown symbols, functions that are not allowed
    (undefined ``f``, ``Derivative``, ``Integral``, matrices), huge numbers or too many parts.
    """
    names = _names(variables)
    if not isinstance(expr, sympy.Basic):
        raise ParseError(f"expected a SymPy expression, got {type(expr).__name__}")
    symbols = _screen(expr)
    for sym in symbols:
        if sym.name not in names:
            raise _unknown(sym.name, names)
    return _finish(expr.xreplace({sym: SYMBOLS[sym.name] for sym in symbols}))


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
    names = {s: _LATEX_NAMES[s.name] for s in getattr(expr, "free_symbols", ())
             if getattr(s, "name", None) in _LATEX_NAMES}
    return sympy.latex(expr, symbol_names=names)

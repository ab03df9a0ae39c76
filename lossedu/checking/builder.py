"""Building SymPy nodes from the syntax tree of an answer, and screening SymPy objects.

Used by :mod:`lossedu.checking.symbolic` (the public face of the parser). The tree comes from
``ast.parse`` of text already rewritten by :mod:`lossedu.checking.notation`; it is walked node
by node and only the grammar below becomes SymPy nodes::

    expr     := number | variable | pi | E
              | expr (+ | - | * | / | **) expr | (- | +) expr | ( expr )
              | func ( expr, ... ) | Indicator( cond )
              | Piecewise( (expr, cond), ..., (expr, True) )
    cond     := True | expr cmp expr [cmp expr ...] | cond & cond | cond | cond
    cmp      := <  <=  >  >=  ==  !=
    func     := exp log sqrt abs Abs sign sigmoid Heaviside max Max min Min tanh softplus
                log1p expm1 logaddexp clip relu

Numbers are screened as they are built: no infinity, no NaN, no exact number beyond
``MAX_INT``, no power or exponential too large for a floating-point number.
"""
from __future__ import annotations

import ast
import math
import operator
from collections.abc import Iterable
from typing import Any, Callable

import sympy
from sympy.functions.elementary.piecewise import ExprCondPair

from lossedu.checking.symbols import (MAX_DIGITS, MAX_EXPONENT, MAX_INT, MAX_NODES, SIGMA, SYMBOLS,
                                      ParseError, sigmoid)

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
    "tanh": (sympy.tanh, 1, 1),
    "softplus": (lambda u: sympy.log(1 + sympy.exp(u)), 1, 1),
    "log1p": (lambda u: sympy.log(1 + u), 1, 1),
    "expm1": (lambda u: sympy.exp(u) - 1, 1, 1),
    "logaddexp": (lambda a, b: sympy.log(sympy.exp(a) + sympy.exp(b)), 2, 2),
    "clip": (lambda u, lo, hi: _lattice(sympy.Min)(_lattice(sympy.Max)(u, lo), hi), 3, 3),
    "relu": (lambda u: _lattice(sympy.Max)(0, u), 1, 1),
    "Indicator": (None, 1, 1),  # takes a condition: built in Builder.call
}
_COND_FUNCS = {"Eq": sympy.Eq, "Ne": sympy.Ne}  # as str() writes them inside Piecewise
_CONSTANTS = {"pi": sympy.pi, "E": sympy.E}
_SHOWN_FUNCS = ["exp", "log", "sqrt", "abs", "sign", "sigmoid", "tanh", "softplus", "log1p",
                "expm1", "logaddexp", "relu", "clip", "Heaviside", "max", "min", "Piecewise", "pi",
                "E"]


def checked_names(variables: Iterable[str]) -> list[str]:
    names = [variables] if isinstance(variables, str) else list(variables)
    for n in names:
        if n not in SYMBOLS:
            raise ValueError(f"variables: {n!r} is not a course symbol; allowed: "
                             f"{', '.join(SYMBOLS)}")
    return names


def unknown(name: str, names: list[str], pos: int | None = None) -> ParseError:
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




_EXPONENTIALS = frozenset({"exp", "softplus", "expm1", "logaddexp"})


def _approx(node: sympy.Basic) -> float:
    """A float estimate of a constant built from numbers, +, *, powers, exp and log (inf when it
    is beyond floating point; NaN when it cannot be estimated cheaply)."""
    try:
        if isinstance(node, (sympy.Rational, sympy.Float)):
            return float(node)
        if node in (sympy.pi, sympy.E):
            return float(node)
        args = [_approx(a) for a in node.args]
        if isinstance(node, sympy.Add):
            return math.fsum(args)
        if isinstance(node, sympy.Mul):
            return math.prod(args)
        if isinstance(node, sympy.exp):
            return math.inf if args[0] > 709 else math.exp(args[0])
        if isinstance(node, sympy.Pow):
            return math.inf if abs(args[1]) > 1e3 and abs(args[0]) > 1 else math.pow(*args)
    except (OverflowError, ValueError, ZeroDivisionError, TypeError):
        return math.inf
    return math.nan


def check_exponential(node: sympy.Basic, pos: int | None = None) -> None:
    """Refuse ``exp(c)`` of a constant ``c`` whose value is beyond floating point."""
    if isinstance(node, sympy.exp) and node.args[0].is_number:
        value = _approx(node.args[0])
        if value == math.inf or value > 709:
            raise ParseError("number too large: exp of a number above 709 is beyond any "
                             "floating-point number (about 1.8e308)", pos)


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


class Builder:
    """Walks the Python syntax tree of an answer and builds the SymPy expression."""

    def __init__(self, names: list[str], display: bool = False) -> None:
        self.names = names
        self.nodes = 0
        self.display = display  # keep sigmoid as sigma(.) for showing the answer as typed

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
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "ITE"
                and len(node.args) == 3 and not node.keywords):  # as str() writes some conditions
            return sympy.ITE(*(self.expr(a, True) for a in node.args))
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
        raise unknown(n, self.names, pos)

    def call(self, node: ast.Call, pos: int | None) -> Any:
        if not isinstance(node.func, ast.Name):
            raise ParseError("only the allowed functions can be called, by name", pos)
        fname = node.func.id
        if fname in _COND_FUNCS:
            build, lo, hi = _COND_FUNCS[fname], 2, 2
        elif fname in _FUNCS:
            build, lo, hi = _FUNCS[fname]
        else:
            raise unknown(fname, self.names, pos)
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
        if fname == "Indicator":
            return sympy.Piecewise((1, self.expr(node.args[0], cond=True)), (0, True))
        if fname == "sigmoid" and self.display:
            return SIGMA(self.expr(node.args[0]))
        args = [self.expr(a) for a in node.args]
        if fname in _EXPONENTIALS:
            for a in args:
                check_exponential(sympy.exp(a, evaluate=False), pos)
        value = build(*args)
        check_exponential(value, pos)
        return value

    def pair(self, arg: ast.AST) -> tuple[Any, Any]:
        if not (isinstance(arg, ast.Tuple) and len(arg.elts) == 2):
            raise ParseError("Piecewise takes pairs (expression, condition), e.g. "
                             "Piecewise((z, z > 0), (0, True))", arg.col_offset)
        return self.expr(arg.elts[0]), self.expr(arg.elts[1], cond=True)



# --- SymPy objects given directly ----------------------------------------------------------

_ALLOWED_TYPES = {
    sympy.Add, sympy.Mul, sympy.Pow, sympy.exp, sympy.tanh, sympy.log, sympy.Abs, sympy.sign,
    sympy.Heaviside, sympy.Max, sympy.Min, sympy.Piecewise, ExprCondPair,
    sympy.Eq, sympy.Ne, sympy.Lt, sympy.Le, sympy.Gt, sympy.Ge, sympy.And, sympy.Or, sympy.Not,
    type(sympy.true), type(sympy.false), sympy.ITE, type(sympy.pi), type(sympy.E), sympy.Symbol,
}


def _allowed(node: Any) -> bool:
    if isinstance(node, (sympy.Rational, sympy.Float)):
        return type(node).__module__ == "sympy.core.numbers"
    return type(node) in _ALLOWED_TYPES


def screen(expr: sympy.Basic, extra: tuple = ()) -> list[sympy.Symbol]:
    """Check every node's type (before reading its ``args``) and every number; powers are
    checked innermost first, so an inner bomb is refused before an outer one evaluates it."""
    nodes, stack = [], [expr]
    while stack:
        node = stack.pop()
        if node.is_Atom:
            _check_number(node)
        if not (_allowed(node) or type(node) in extra):
            raise ParseError(f"{type(node).__name__} is not allowed in an answer; allowed "
                             f"functions: {', '.join(_SHOWN_FUNCS)}")
        nodes.append(node)
        if len(nodes) > MAX_NODES:
            raise ParseError(f"expression too large (more than {MAX_NODES} parts)")
        stack.extend(reversed(node.args))
    for node in reversed(nodes):
        if type(node) is sympy.Pow:
            _check_power(*node.args)
        elif type(node) is sympy.exp:
            check_exponential(node)
    return [node for node in nodes if type(node) is sympy.Symbol]


def finish(result: Any, extra: tuple = ()) -> sympy.Expr:
    if not isinstance(result, sympy.Expr):
        raise ParseError(f"expected an expression, got a condition ({result}); "
                         "conditions belong inside Piecewise")
    screen(result, extra)
    return result



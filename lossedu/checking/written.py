"""LaTeX of a text answer *as the learner wrote it*: same order, same grouping, ``sigmoid`` as σ(·).

The judge works on the parsed SymPy expression, which SymPy reorders and expands
(``2*(yhat - y)`` becomes ``-2y + 2ŷ``, ``sigmoid(z)`` a nested fraction). For the "interpreted
as" line the learner should recognise their own input, so this module renders the text's syntax
tree directly. It only reads the tree (``ast.parse``; nothing is evaluated) and is used for
display only: whether the answer is right is decided on the parsed expression.

>>> as_written("2*(yhat - y)")
'2 \\left(\\hat{y} - y\\right)'
>>> as_written("sigmoid(z) - y")
'\\sigma\\left(z\\right) - y'
"""
from __future__ import annotations

import ast
import dataclasses
from typing import Any

from lossedu.checking.coerce import split_list_text
from lossedu.result import Result

MAX_TEXT = 2000

_NAMES = {"yhat": r"\hat{y}", "alpha": r"\alpha", "beta": r"\beta", "delta": r"\delta",
          "lam": r"\lambda", "eps": r"\varepsilon", "sigma": r"\sigma", "pi": r"\pi", "E": "e"}
_FUNCS = {"sigmoid": r"\sigma", "exp": r"\exp", "log": r"\log", "sqrt": r"\sqrt", "sign": r"\operatorname{sign}",
          "Heaviside": r"\theta", "max": r"\max", "Max": r"\max", "min": r"\min", "Min": r"\min"}
_UNICODE = {"ŷ": "yhat", "ŷ": "yhat", "σ": "sigmoid", "δ": "delta", "α": "alpha", "β": "beta",
            "λ": "lam", "ε": "eps", "−": "-", "·": "*", "×": "*", "÷": "/", "^": "**"}
_PREC = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.Pow: 4}
_COMPARE = {ast.Lt: "<", ast.LtE: r"\le", ast.Gt: ">", ast.GtE: r"\ge", ast.Eq: "=", ast.NotEq: r"\ne"}


def _name(n: str) -> str:
    if n in _NAMES:
        return _NAMES[n]
    if len(n) > 1 and n[:-1].isalpha() and n[-1].isdigit():
        return f"{_NAMES.get(n[:-1], n[:-1])}_{{{n[-1]}}}"
    return n if len(n) == 1 else rf"\mathrm{{{n}}}"


def _wrap(node: ast.AST, text: str, parent: int, right: bool = False) -> str:
    own = _prec(node)
    if own < parent or (right and own == parent):
        return rf"\left({text}\right)"
    return text


def _prec(node: ast.AST) -> int:
    if isinstance(node, ast.BinOp):
        return _PREC.get(type(node.op), 5)
    if isinstance(node, ast.UnaryOp):
        return 3
    return 6


def _tex(node: ast.AST) -> str:
    if isinstance(node, ast.Expression):
        return _tex(node.body)
    if isinstance(node, ast.Constant):
        return "" if node.value is True else str(node.value)
    if isinstance(node, ast.Name):
        return _name(node.id)
    if isinstance(node, ast.UnaryOp):
        inner = _wrap(node.operand, _tex(node.operand), 3)
        return f"- {inner}" if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        op, p = type(node.op), _PREC.get(type(node.op), 5)
        left, right = _tex(node.left), _tex(node.right)
        if op is ast.Div:
            return rf"\frac{{{left}}}{{{right}}}"
        if op is ast.Pow:
            return f"{_wrap(node.left, left, 5)}^{{{right}}}"
        left, right = _wrap(node.left, left, p), _wrap(node.right, right, p, right=op is ast.Sub)
        if op is ast.Mult:
            return f"{left} \\cdot {right}" if isinstance(node.right, ast.Constant) else f"{left} {right}"
        return f"{left} {'+' if op is ast.Add else '-'} {right}"
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        return f"{_tex(node.left)} {_COMPARE.get(type(node.ops[0]), '?')} {_tex(node.comparators[0])}"
    if isinstance(node, ast.BoolOp):
        joiner = r" \wedge " if isinstance(node.op, ast.And) else r" \vee "
        return joiner.join(_tex(v) for v in node.values)
    if isinstance(node, ast.Tuple):
        return ", ".join(_tex(e) for e in node.elts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        f, args = node.func.id, [_tex(a) for a in node.args]
        if f in ("abs", "Abs") and len(args) == 1:
            return rf"\left|{args[0]}\right|"
        if f == "sqrt" and len(args) == 1:
            return rf"\sqrt{{{args[0]}}}"
        if f == "Piecewise":
            rows = []
            for arg in node.args:
                if isinstance(arg, ast.Tuple) and len(arg.elts) == 2:
                    cond = arg.elts[1]
                    when = r"\text{otherwise}" if isinstance(cond, ast.Constant) and cond.value is True \
                        else rf"\text{{if }} {_tex(cond)}"
                    rows.append(f"{_tex(arg.elts[0])} & {when}")
            return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"
        return rf"{_FUNCS.get(f, _name(f))}\left({', '.join(args)}\right)"
    raise ValueError(type(node).__name__)


def as_written(text: str) -> str | None:
    """LaTeX of ``text`` in the order written, or None when it cannot be shown that way."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return None
    for old, new in _UNICODE.items():
        text = text.replace(old, new)
    try:
        return _tex(ast.parse(text.strip(), mode="eval"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def with_written(result: Result, kind: str, answer: Any) -> Result:
    """``result`` whose ``interpreted`` shows a text answer as written (SymPy's reading, simplified
    and reordered, moves to ``details["simplified"]``). Other answers are left as they are."""
    if not result.interpreted or kind not in ("expression", "vector", "steps"):
        return result
    if isinstance(answer, str) and kind == "vector":
        answer = split_list_text(answer) or answer
    items = [answer] if isinstance(answer, str) else list(answer) if isinstance(answer, (list, tuple)) else None
    if not items or not all(isinstance(t, str) for t in items):
        return result
    shown = [as_written(t) for t in items]
    if any(s is None for s in shown):
        return result
    if kind == "vector":
        text = r"\left(" + ", ".join(shown) + r"\right)"
    elif kind == "steps" or len(shown) > 1:
        text = " = ".join(shown)
    else:
        text = shown[0]
    return dataclasses.replace(result, interpreted=text,
                               details={**result.details, "simplified": result.interpreted})

"""The notation front end: how learners write maths, rewritten into the parser's plain grammar.

Learners write ``2(yhat - y)``, ``\\frac{p - y}{p(1 - p)}``, ``np.exp(-z)``, ``y_hat``, ``λ w``
or ``1[y*s < 1]``. This module turns such text into the plain grammar that
:func:`lossedu.checking.symbolic.parse` reads (``2*(yhat - y)``, ``((p - y)/(p*(1 - p)))``, ...).
It only moves tokens around: nothing is evaluated, and the result still goes through the
allow-listed parser, which builds SymPy nodes itself.

Accepted notation (see ``docs/notation.md`` for the learner's table):

* implicit multiplication between a number, a variable, a closing and an opening bracket:
  ``2y``, ``2(yhat - y)``, ``p(1 - p)``, ``(1 - p)(1 + p)``, ``y z``. A known *function* name
  followed by ``(`` is a call (``exp(z)``); a *variable* followed by ``(`` is a product.
* LaTeX: ``\\frac{a}{b}``, ``\\sqrt{a}``, ``\\hat{y}``/``\\hat y``, ``\\sigma``, ``\\exp``,
  ``\\log``, ``\\ln``, ``\\tanh``, ``\\max``, ``\\min``, ``\\cdot``, ``\\times``,
  ``\\left( \\right)``, ``^{...}``, ``_{...}``, ``\\lambda``, ``\\varepsilon``, ``\\delta``,
  ``\\alpha``, ``\\beta``, ``\\pi``, ``\\mathbb{1}``, ``\\sum_k`` / ``\\sum_{k=1}^{K}`` over the
  problem's index, ``\\operatorname{...}``, ``\\mathrm{...}``, spacing commands and ``$...$``.
* aliases: ``y_hat``/``ŷ``/``\\hat y`` for ``yhat``; ``lambda``/``λ``/``\\lambda`` for ``lam``;
  ``epsilon``/``ε`` for ``eps``; ``z_1``/``z_{1}`` for ``z1``; ``e`` for Euler's number
  (``e^z`` is ``exp(z)``), unless ``e`` is a variable of the problem.
* ``np.``, ``numpy.`` and ``math.`` prefixes (``np.exp``, ``np.maximum``, ``math.e``, ``np.pi``).
* indicators ``1[cond]``, ``𝟙(cond)``, ``\\mathbb{1}[cond]`` or ``\\mathbb{1}_{cond}``: 1 where
  ``cond`` holds, else 0.
* a sum over the problem's index: ``sum_k exp(z_k)``, ``Σ_k exp(z_k)`` or LaTeX ``\\sum_k``; the
  summand runs to the next ``+`` or ``-`` outside brackets (put brackets round a longer one).
"""
from __future__ import annotations

import keyword
import re

from lossedu.checking.tokens import (NotationError, Tok, braces_after_scripts, closing, latex_to_plain,
                                     lex, unicode_to_ascii)

__all__ = ["NotationError", "rewrite", "unicode_to_ascii", "UNARY", "FUNCTION_NAMES"]


FUNCTION_NAMES = frozenset({
    "exp", "log", "ln", "sqrt", "abs", "Abs", "sign", "sgn", "sigmoid", "expit", "logistic",
    "Heaviside", "heaviside", "max", "Max", "min", "Min", "maximum", "minimum", "Piecewise",
    "tanh", "softplus", "log1p", "expm1", "logaddexp", "clip", "relu", "Indicator", "Eq", "Ne",
})
#: One-argument functions that LaTeX writes without brackets (``\log p``).
UNARY = frozenset({"exp", "log", "ln", "sqrt", "sigmoid", "tanh", "abs", "sign"})
_PREFIXES = frozenset({"np", "numpy", "math"})
MAX_TOKENS = 4000  # tokens of an answer once its sums are written out


def _plain_name(name: str) -> str:
    """``y_hat`` -> ``yhat``, ``z_1`` -> ``z1``; names starting with ``_`` stay as they are."""
    return name if name.startswith("_") else name.replace("_", "")


def _join_subscripts(toks: list[Tok]) -> list[Tok]:
    """Join a name and its subscript: ``z_1``, ``z_{1}``, ``y_hat``, ``\\sum_k`` (``sumk``)."""
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        prev = out[-1] if out else None
        glued = prev is not None and prev.kind == "name" and not t.space \
            and not prev.text.startswith("_")
        if glued and t.kind == "name" and t.text.startswith("_") and not t.text.startswith("__"):
            out[-1] = Tok(prev.text + t.text, "name", prev.pos, prev.space)
            i += 1
            continue
        if glued and prev.text.endswith("_") and t.kind == "op" and t.text == "(":
            j = closing(toks, i, ("(", ")"))
            inner = toks[i + 1:j]
            if inner and all(x.kind in ("name", "number") for x in inner):
                out[-1] = Tok(prev.text + "".join(x.text for x in inner), "name", prev.pos, prev.space)
                i = j + 1
                continue
        if glued and prev.text.endswith("_") and t.kind == "number" and t.text.isdigit():
            out[-1] = Tok(prev.text + t.text, "name", prev.pos, prev.space)
            i += 1
            continue
        out.append(t)
        i += 1
    return [Tok(_plain_name(t.text), t.kind, t.pos, t.space) if t.kind == "name" else t for t in out]


_ALIASES = {"yhat": "yhat", "ypred": "yhat", "lambda": "lam", "lam": "lam", "epsilon": "eps",
            "varepsilon": "eps", "sigma": "sigmoid", "ln": "log", "sgn": "sign",
            "heaviside": "Heaviside", "maximum": "max", "minimum": "min", "expit": "sigmoid",
            "logistic": "sigmoid", "absolute": "abs", "fabs": "abs"}


def _names(toks: list[Tok], variables: list[str]) -> list[Tok]:
    """Prefixes (``np.``), aliases, and ``e`` as Euler's number."""
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if (t.kind == "name" and t.text in _PREFIXES and i + 2 < len(toks)
                and toks[i + 1].text == "." and toks[i + 2].kind == "name"):
            nxt = toks[i + 2]
            toks[i + 2] = Tok(nxt.text, nxt.kind, t.pos, t.space)
            i += 2
            continue
        if t.kind == "name":
            text = t.text
            if text not in variables:
                text = _ALIASES.get(text, text)
                if text == "e":
                    text = "E"
                if text == "inf":
                    raise NotationError("inf is not allowed: every value must be finite", t.pos)
            t = Tok(text, "name", t.pos, t.space)
        out.append(t)
        i += 1
    return out


def _indicators(toks: list[Tok]) -> list[Tok]:
    """``1[cond]`` and ``Indicator[cond]`` -> ``Indicator(cond)``."""
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        is_one = t.kind == "number" and t.text == "1" and not (out and out[-1].text in (".",))
        if (is_one or (t.kind == "name" and t.text == "Indicator")) and i + 1 < len(toks) \
                and toks[i + 1].kind == "op" and toks[i + 1].text == "[":
            j = closing(toks, i + 1, ("[", "]"))
            out += [Tok("Indicator", "name", t.pos, t.space), Tok("(", "op", toks[i + 1].pos)]
            out += _indicators(toks[i + 2:j]) + [Tok(")", "op", toks[j].pos)]
            i = j + 1
            continue
        out.append(t)
        i += 1
    return out


_STOP = frozenset({"+", "-", ")", ",", "]", "<", ">", "<=", ">=", "==", "!=", "&", "|"})


def _sums(toks: list[Tok], variables: list[str]) -> list[Tok]:
    """``sum k summand`` (from ``\\sum_k``, ``sum_k``, ``Σ_k``) -> ``(s_1 + ... + s_K)``."""
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "name" and (t.text == "sum" or re.fullmatch(r"sum[a-z]", t.text)):
            index, j = _sum_index(toks, i)
            start = j
            depth = 0
            while j < len(toks):
                x = toks[j]
                if x.kind == "op" and x.text in "([":
                    depth += 1
                elif x.kind == "op" and x.text in ")]":
                    if depth == 0:
                        break
                    depth -= 1
                elif depth == 0 and x.kind == "op" and x.text in _STOP and j > start:
                    break
                j += 1
            summand = _sums(toks[start:j], variables)
            if not summand:
                raise NotationError("the sum has nothing to add up", t.pos)
            terms = _expand(summand, index, variables, t.pos)
            out += [Tok("(", "op", t.pos, t.space)] + terms + [Tok(")", "op", t.pos)]
            i = j
            continue
        out.append(t)
        i += 1
    return out


def _sum_index(toks: list[Tok], i: int) -> tuple[str, int]:
    """The index letter of the sum at ``i`` and where its summand starts."""
    t = toks[i]
    if t.text != "sum":
        return t.text[3:], i + 1
    j = i + 1
    if j < len(toks) and toks[j].kind == "op" and toks[j].text == "_":
        j += 1
    if j < len(toks) and toks[j].kind == "op" and toks[j].text == "(":
        close = closing(toks, j, ("(", ")"))
        inner = toks[j + 1:close]
        j = close + 1
    elif j < len(toks) and toks[j].kind == "name":
        inner = [toks[j]]
        j += 1
    else:
        raise NotationError("write the index of the sum, e.g. sum_k exp(z_k)", t.pos)
    if not inner or inner[0].kind != "name" or len(inner[0].text) != 1:
        raise NotationError("the index of a sum must be one letter, e.g. sum_k", t.pos)
    if j < len(toks) and toks[j].kind == "op" and toks[j].text in ("^", "**"):
        _, j = j, j + 1
        if j < len(toks) and toks[j].text == "(":
            j = closing(toks, j, ("(", ")")) + 1
        else:
            j += 1  # ^K or ^3: the problem's own range is used
    return inner[0].text, j


def _expand(summand: list[Tok], index: str, variables: list[str], pos: int) -> list[Tok]:
    """``summand`` written once for each value of ``index`` that the problem's variables use."""
    values = sorted({v[len(v.rstrip("0123456789")):] for v in variables
                     if v.rstrip("0123456789") != v})
    if not values:
        raise NotationError("this problem has no indexed variables (such as z1, z2, z3) to sum over",
                            pos)
    used = False
    copies: list[Tok] = []
    for n, value in enumerate(values):
        copy = [Tok("+", "op", pos, " ")] if n else []
        copy.append(Tok("(", "op", pos))
        for x in summand:
            if x.kind == "name" and len(x.text) > 1 and x.text.endswith(index) \
                    and x.text[:-1] + value in variables:
                copy.append(Tok(x.text[:-1] + value, "name", x.pos, x.space))
                used = True
            else:
                copy.append(x)
        copy.append(Tok(")", "op", pos))
        copies += copy
    if not used:
        raise NotationError(f"the summand never uses the index {index} (write z_{index})", pos)
    if len(copies) > MAX_TOKENS:
        raise NotationError("answer too large once its sums are written out", pos)
    return copies


def _operand_end(t: Tok, known: frozenset[str]) -> bool:
    return (t.kind == "number" or (t.kind == "op" and t.text == ")")
            or (t.kind == "name" and t.text in known))


def _operand_start(t: Tok, known: frozenset[str], after_number: bool = False) -> bool:
    if t.kind == "name" and keyword.iskeyword(t.text):
        return False
    return (t.kind == "number" or (t.kind == "op" and t.text == "(")
            or (t.kind == "name" and (after_number or t.text in known or t.text in FUNCTION_NAMES)))


def _split(name: str, variables: list[str]) -> list[str] | None:
    """``ys`` -> ``["y", "s"]`` when ``name`` is, in exactly one way, a run of two or more of
    the problem's variables; None otherwise."""
    ways: list[list[str]] = []
    if len(name) > 40:
        return None

    def walk(rest: str, parts: list[str]) -> None:
        if len(ways) > 1:
            return
        if not rest:
            if len(parts) > 1:
                ways.append(parts)
            return
        for v in variables:
            if rest.startswith(v):
                walk(rest[len(v):], parts + [v])

    walk(name, [])
    return ways[0] if len(ways) == 1 else None


def _products(toks: list[Tok], variables: list[str], known: frozenset[str]) -> list[Tok]:
    """Unknown names that are runs of variables (``ys``, ``lamw``) become their product."""
    out: list[Tok] = []
    for t in toks:
        parts = None
        if t.kind == "name" and t.text not in known and t.text not in FUNCTION_NAMES:
            parts = _split(t.text, variables)
        if parts:
            out.append(Tok(parts[0], "name", t.pos, t.space))
            out += [Tok(v, "name", t.pos, " ") for v in parts[1:]]
        else:
            out.append(t)
    return out


def _implicit(toks: list[Tok], known: frozenset[str]) -> list[Tok]:
    """Insert ``*`` where two operands meet, and brackets round a bare argument (``log p``).

    Operands are numbers, bracketed groups and *known* names (the course's symbols and
    constants); an unknown name is left alone so that the parser names it in its message.
    """
    out: list[Tok] = []
    for t in toks:
        if out:
            prev = out[-1]
            if prev.kind == "number" and t.kind == "number":
                pass  # "2 3" stays an error
            elif prev.kind == "op" and prev.text == ")" and t.kind == "number":
                pass  # "(y - 1)2" stays an error
            elif _operand_end(prev, known) and _operand_start(t, known, prev.kind == "number"):
                out.append(Tok("*", "op", t.pos, ""))
        out.append(t)
    fixed: list[Tok] = []
    i = 0
    while i < len(out):
        t = out[i]
        if (t.kind == "name" and t.text in UNARY and i + 1 < len(out)
                and out[i + 1].kind in ("name", "number") and out[i + 1].text not in FUNCTION_NAMES
                and not (i + 2 < len(out) and out[i + 2].text in ("**", "^", "("))):
            fixed += [t, Tok("(", "op", t.pos), out[i + 1], Tok(")", "op", t.pos)]
            i += 2
            continue
        fixed.append(t)
        i += 1
    return fixed


def _join(toks: list[Tok]) -> str:
    return "".join(t.space + t.text for t in toks).strip()


def rewrite(text: str, variables: list[str], symbols: frozenset[str] = frozenset()) -> str:
    """``text`` in the parser's plain grammar (see the module docstring).

    ``variables`` are the problem's variable names; ``symbols`` every course symbol (both count
    as operands for implicit multiplication). Plain text comes back with its spacing unchanged.

    >>> rewrite(r"\\frac{p - y}{p(1 - p)}", ["y", "p"])
    '((p - y)/(p*(1 - p)))'
    >>> rewrite("2(yhat - y)", ["y", "yhat"])
    '2*(yhat - y)'
    """
    text = text.strip()
    if len(text) >= 2 and text[0] == "$" and text[-1] == "$":
        text = text.strip("$").strip()
    toks = lex(text)
    toks = latex_to_plain(toks) if "\\" in text else braces_after_scripts(toks)
    toks = _join_subscripts(toks)
    toks = _names(toks, list(variables))
    toks = _indicators(toks)
    toks = _sums(toks, list(variables))
    known = frozenset(variables) | frozenset(symbols) | {"pi", "E"}
    toks = _products(toks, list(variables), known)
    toks = _implicit(toks, known)
    for t in toks:
        if t.kind == "op" and t.text == "^":
            t.text = "**"
    return _join(toks)

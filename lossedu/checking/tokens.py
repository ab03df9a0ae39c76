"""Tokens of a learner's answer, and LaTeX read into the plain grammar.

The bottom of the notation front end (:mod:`lossedu.checking.notation`): Unicode spellings in
ASCII, a lexer that keeps each token's column and the spacing before it, and the rewriting of
LaTeX commands and brace groups into plain tokens (``\\frac{a}{b}`` -> ``((a)/(b))``,
``\\hat{y}`` -> ``yhat``, ``\\mathbb{1}`` -> ``Indicator``, ...). Nothing is evaluated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["NotationError", "Tok", "lex", "unicode_to_ascii", "closing", "paren", "latex_to_plain",
           "braces_after_scripts"]


class NotationError(ValueError):
    """Text that cannot be rewritten; ``position`` is a 0-based column or None."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.message, self.position = message, position
        super().__init__(message)


#: Function names the parser knows (so ``name(`` is a call, not a product).


_UNICODE = {
    "\u2212": "-", "\u2013": "-", "\u00b7": "*", "\u22c5": "*", "\u00d7": "*", "\u2217": "*",
    "\u00f7": "/", "\u0177": "yhat", "y\u0302": "yhat", "\u03c3": "sigmoid", "\u03b4": "delta",
    "\u03bb": "lam", "\u03b5": "eps", "\u03f5": "eps", "\u03b1": "alpha", "\u03b2": "beta",
    "\u03c0": "pi", "\u00b2": "**2", "\u00b3": "**3", "\u2264": "<=", "\u2265": ">=",
    "\u2260": "!=", "\u2227": "&", "\u2228": "|", "\U0001d7d9": " Indicator", "\u2211": "sum", "\u03a3": "sum",
    "\u2081": "_1", "\u2082": "_2", "\u2083": "_3", "\u2096": "_k", "\u2c7c": "_j",
}

#: LaTeX commands -> plain-grammar text (names, operators); None = dropped.
_LATEX = {
    "cdot": "*", "times": "*", "div": "/", "sigma": "sigmoid", "exp": "exp", "log": "log",
    "ln": "log", "tanh": "tanh", "max": "max", "min": "min", "lambda": "lam", "delta": "delta",
    "alpha": "alpha", "beta": "beta", "varepsilon": "eps", "epsilon": "eps", "pi": "pi",
    "le": "<=", "leq": "<=", "ge": ">=", "geq": ">=", "ne": "!=", "neq": "!=", "lt": "<", "gt": ">",
    "sum": "sum", "left": None, "right": None, "big": None, "Big": None, "bigg": None,
    "Bigg": None, "bigl": None, "bigr": None, "Bigl": None, "Bigr": None, ",": None, ";": None,
    "!": None, ":": None, " ": None, "quad": None, "qquad": None, "displaystyle": None,
    "land": "&", "wedge": "&", "lor": "|", "vee": "|", "{": "(", "}": ")",
}
#: LaTeX commands whose brace argument is kept as text (``\operatorname{softplus}``).
_WRAPPERS = frozenset({"operatorname", "mathrm", "text", "mathit", "textrm", "mathbf", "boldsymbol"})

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<command>\\(?:[A-Za-z]+|.))
  | (?P<op>\*\*|<=|>=|==|!=|[-+*/^(),<>\[\]{}&|~=.:@%])
""", re.VERBOSE)


@dataclass
class Tok:
    text: str
    kind: str          # number, name, command, op
    pos: int
    space: str = ""    # whitespace before the token in the input


def lex(text: str) -> list[Tok]:
    out, pos, space = [], 0, ""
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise NotationError(f"character {text[pos]!r} is not allowed", pos)
        kind = m.lastgroup or "op"
        if kind == "space":
            space = m.group()
        else:
            out.append(Tok(m.group(), kind, pos, space))
            space = ""
        pos = m.end()
    return out


def unicode_to_ascii(text: str) -> str:
    """Unicode spellings (− · × ŷ σ λ ε ² 𝟙 Σ ...) in ASCII."""
    for uni, plain in _UNICODE.items():
        text = text.replace(uni, plain)
    return text


def closing(toks: list[Tok], i: int, pair: tuple[str, str] = ("{", "}")) -> int:
    """Index of the bracket closing the one at ``i``."""
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].kind == "op" and toks[j].text == pair[0]:
            depth += 1
        elif toks[j].kind == "op" and toks[j].text == pair[1]:
            depth -= 1
            if depth == 0:
                return j
    raise NotationError(f"'{pair[0]}' is never closed", toks[i].pos)


def _arg(toks: list[Tok], i: int) -> tuple[list[Tok], int]:
    """The LaTeX argument starting at ``i`` (a brace group or one token): (tokens, next index)."""
    if i >= len(toks):
        raise NotationError("a LaTeX command is missing its argument", toks[-1].pos if toks else None)
    if toks[i].text == "{" and toks[i].kind == "op":
        j = closing(toks, i)
        return toks[i + 1:j], j + 1
    return [toks[i]], i + 1


def paren(inner: list[Tok], pos: int, space: str = "") -> list[Tok]:
    return [Tok("(", "op", pos, space)] + inner + [Tok(")", "op", pos)]


def latex_to_plain(toks: list[Tok]) -> list[Tok]:
    """Rewrite LaTeX commands and brace groups into plain tokens (recursively)."""
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "command":
            name = t.text[1:]
            if name == "frac" or name == "dfrac" or name == "tfrac":
                num, i = _arg(toks, i + 1)
                den, i = _arg(toks, i)
                out += paren(paren(latex_to_plain(num), t.pos) + [Tok("/", "op", t.pos)]
                              + paren(latex_to_plain(den), t.pos), t.pos, t.space)
                continue
            if name == "sqrt":
                if i + 1 < len(toks) and toks[i + 1].text == "[":
                    raise NotationError("only square roots are allowed (\\sqrt{...})", t.pos)
                arg, i = _arg(toks, i + 1)
                out += [Tok("sqrt", "name", t.pos, t.space)] + paren(latex_to_plain(arg), t.pos)
                continue
            if name in ("hat", "widehat"):
                arg, i = _arg(toks, i + 1)
                base = "".join(a.text for a in arg)
                out.append(Tok(base + "hat", "name", t.pos, t.space))
                continue
            if name == "mathbb" or (name == "mathbf" and toks[i + 1:i + 2]
                                    and toks[i + 1].text in ("1", "{")):
                arg, i = _arg(toks, i + 1)
                if "".join(a.text for a in arg) != "1":
                    raise NotationError(f"\\{name}{{...}} is only allowed for the indicator "
                                        f"\\{name}{{1}}", t.pos)
                out.append(Tok("Indicator", "name", t.pos, t.space))
                continue
            if name in _WRAPPERS:
                arg, i = _arg(toks, i + 1)
                word = "".join(a.text for a in arg)
                out.append(Tok(word, "name" if re.fullmatch(r"\w+", word) else "op", t.pos, t.space))
                continue
            if name not in _LATEX:
                raise NotationError(f"LaTeX command {t.text} is not supported here", t.pos)
            plain = _LATEX[name]
            if plain is not None:
                kind = "name" if plain.isidentifier() else "op"
                out.append(Tok(plain, kind, t.pos, t.space))
            i += 1
            continue
        if t.kind == "op" and t.text == "{":
            j = closing(toks, i)
            out += paren(latex_to_plain(toks[i + 1:j]), t.pos)
            i = j + 1
            continue
        out.append(t)
        i += 1
    return out


def braces_after_scripts(toks: list[Tok]) -> list[Tok]:
    """Without LaTeX commands, braces are only read right after ``^`` or ``_`` (``e^{-z}``)."""
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "op" and t.text == "{" and out and (out[-1].text == "^" or (
                out[-1].kind == "name" and out[-1].text.endswith("_"))):
            j = closing(toks, i)
            out += paren(braces_after_scripts(toks[i + 1:j]), t.pos)
            i = j + 1
            continue
        out.append(t)
        i += 1
    return out

"""Did a notebook answer come from a ready-made function for the very quantity asked?

An implementation answer that calls a ready-made loss earns nothing (see
:func:`lossedu.checking.coerce.library_calls`). The same rule holds for numbers, vectors and
expressions: ``risk.empirical_risk(...)`` as the answer to "compute the empirical risk", or
``losses.hinge_grad(...)`` for "compute the subgradients", earns practice only. This module reads
the code that calls ``check`` (the notebook cell, or the learner's function that calls it) and
the learner's own helper functions it uses, without running anything, and names the ready-made
functions found.

What counts as ready-made: everything :func:`~lossedu.checking.coerce.library_calls` counts
(``lossedu.losses``, SciPy, scikit-learn, PyTorch, ...), plus the course's own helpers for
risks, gradients and answers: ``lossedu.risk``, ``lossedu.derivations``, ``lossedu.gradcheck``,
the bank (``lossedu.problems``, ``lossedu.spec``, ``lossedu.checking``) and any ``.reference``
attribute (a variant's reference answer).

Limits, honestly: this is a convenience in the learner's own kernel, not security. Only the
calling cell is read: an answer computed in an *earlier* cell and checked in a later one is not
traced back, and code run through ``exec`` or obtained by ``getattr`` with a computed name is
not seen. A name that merely refers to the library without being used for the answer (an
unused import in the same cell) still counts, so keep answer cells to the computation itself.
Homework grading applies its own rule on the grader's side.
"""
from __future__ import annotations

import dis
import sys
import types
from typing import Any


#: Course modules whose functions compute the quantities the exercises ask for.
COURSE_HELPERS = ("lossedu.risk", "lossedu.derivations", "lossedu.gradcheck", "lossedu.problems",
                  "lossedu.spec", "lossedu.checking", "lossedu.losses")
#: Attribute names that read a reference answer.
REFERENCE_ATTRIBUTES = frozenset({"reference", "reference_of"})


def _helper_module(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in COURSE_HELPERS)


def _code_objects(code: types.CodeType) -> list[types.CodeType]:
    found = [code]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found += _code_objects(const)
    return found


def _names(code: types.CodeType) -> set[str]:
    return {n for c in _code_objects(code) for n in c.co_names}


def _attributes_read(code: types.CodeType) -> set[str]:
    out = set()
    for c in _code_objects(code):
        for ins in dis.get_instructions(c):
            if ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and isinstance(ins.argval, str):
                out.add(ins.argval)
    return out


def shortcuts_in(code: types.CodeType, scope: dict[str, Any], _seen: set[int] | None = None) -> list[str]:
    """Ready-made functions the code uses, as qualified names (``lossedu.risk.empirical_risk``).

    ``scope`` is the namespace the code runs in (a notebook's globals). The learner's own
    functions defined in that namespace are read too, recursively. Nothing is called.
    """
    from lossedu.checking.coerce import library_calls  # SymPy-backed: loaded when a check runs

    seen = _seen if _seen is not None else set()
    if id(code) in seen:
        return []
    seen.add(id(code))
    names = _names(code)
    found: set[str] = set()
    try:
        found |= set(library_calls(types.FunctionType(code, scope)))
    except (TypeError, ValueError):  # a code object that cannot be wrapped: read the names alone
        pass
    if _attributes_read(code) & REFERENCE_ATTRIBUTES:
        found.add("a reference answer (.reference)")
    for name in sorted(names):
        obj = scope.get(name)
        if isinstance(obj, types.ModuleType):
            if _helper_module(obj.__name__):
                used = sorted(a for a in names if callable(getattr(obj, a, None)) and a != name)
                found |= {f"{obj.__name__}.{a}" for a in used} or {obj.__name__}
            elif obj.__name__ == "lossedu":
                for attr in names:
                    sub = getattr(obj, attr, None)
                    if isinstance(sub, types.ModuleType) and _helper_module(sub.__name__):
                        found.add(sub.__name__)
        elif isinstance(obj, types.FunctionType) and obj.__globals__ is scope:
            found |= set(shortcuts_in(obj.__code__, scope, seen))
        elif callable(obj):
            module = getattr(obj, "__module__", None)
            if isinstance(module, str) and _helper_module(module):
                found.add(f"{module}.{getattr(obj, '__name__', name)}")
    return sorted(found)


def _cell_code(frame: types.FrameType) -> types.CodeType | None:
    """The whole notebook cell being run, compiled (not run), when ``frame`` runs in IPython.

    IPython runs a cell statement by statement, so the frame that calls ``check`` holds only
    the last statement; the cell's source is the last entry of the input history.
    """
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    if shell is None or frame.f_globals is not getattr(shell, "user_ns", None):
        return None
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None) or []
    if not history:
        return None
    source = shell.transform_cell(history[-1])
    return compile(source, "<cell>", "exec", dont_inherit=True)


def caller_shortcuts(frame: types.FrameType | None) -> list[str]:
    """:func:`shortcuts_in` for the notebook cell that calls ``check`` (empty outside a notebook:
    a script or a test module is one long piece of code, not an answer cell)."""
    if frame is None:
        return []
    try:
        code = _cell_code(frame)
        return shortcuts_in(code, frame.f_globals) if code is not None else []
    except Exception:  # noqa: BLE001 - reading code must never break a check
        return []

"""The problem bank: every exercise of the course, defined once, as data.

One module per session (``s1`` ... ``s5``); each defines its problems and ``EXERCISES``, the ids
of its exercise set in question order (``q1``, ``q2``, ...). ``README.md`` in this folder lists
every problem and shows the pattern for adding one.

>>> from lossedu import problems
>>> problems.get("grad.mse").variables
('y', 'yhat')
>>> bool(problems.check("grad.mse", "yhat - y"))
True
"""
from __future__ import annotations

import importlib
import re
import sys
import numbers
from functools import lru_cache
from typing import Any

from lossedu.spec import Kink, Mistake, Option, Problem, Region, Variant, variant_seed
from lossedu.result import INVALID, UNDECIDED, Result

__all__ = ["Problem", "Variant", "Mistake", "Option", "Region", "Kink", "variant_seed",
           "get", "add_session", "all_problems", "session_problems", "sessions", "session_title", "check", "check_steps"]

#: Session number -> module holding that session's problems.
SESSION_MODULES: dict[int, str] = {k: f"lossedu.problems.s{k}" for k in range(1, 7)}


@lru_cache(maxsize=1)
def _bank() -> tuple[dict[str, Problem], dict[int, tuple[str, ...]]]:
    by_id: dict[str, Problem] = {}
    order: dict[int, tuple[str, ...]] = {}
    for k, name in SESSION_MODULES.items():
        module = importlib.import_module(name)
        for problem in module.PROBLEMS:
            if problem.id in by_id:
                raise ValueError(f"duplicate problem id {problem.id!r} in {name}")
            if problem.session != k:
                raise ValueError(f"{problem.id} says session {problem.session} but lives in {name}")
            by_id[problem.id] = problem
        missing = [pid for pid in module.EXERCISES if pid not in by_id]
        if missing:
            raise ValueError(f"{name}.EXERCISES names unknown problems: {missing}")
        order[k] = tuple(module.EXERCISES)
    return by_id, order


def add_session(k: int, problems: list[Problem], exercises: list[str], source: str) -> None:
    """Register an instructor's private session ``k`` (a course pack, see ``docs/homework.md``).

    Used by the grader on the instructor's machine only; the problems never ship to students.
    Registering the same problems again is a no-op; a clash with the bank is an error.
    """
    by_id, order = _bank()
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"{source}: SESSION must be a positive whole number, got {k!r}")
    if k in order and order[k] != tuple(exercises):
        raise ValueError(f"{source}: session {k} already exists; give the pack another SESSION number")
    for problem in problems:
        if problem.id in by_id and by_id[problem.id] is not problem:
            raise ValueError(f"{source}: problem id {problem.id!r} is already in the bank")
        if problem.session != k:
            raise ValueError(f"{source}: {problem.id} says session {problem.session}, the pack is session {k}")
    known = {p.id for p in problems}
    missing = [pid for pid in exercises if pid not in known]
    if missing:
        raise ValueError(f"{source}: EXERCISES names unknown problems: {missing}")
    for problem in problems:
        by_id[problem.id] = problem
    order[k] = tuple(exercises)


def get(problem_id: str) -> Problem:
    """The problem with id ``problem_id``; ``KeyError`` listing the known ids otherwise."""
    by_id, _ = _bank()
    if not isinstance(problem_id, str) or problem_id not in by_id:
        raise KeyError(f"unknown problem id {problem_id!r}; known ids: {', '.join(sorted(by_id))}")
    return by_id[problem_id]


def all_problems() -> list[Problem]:
    """Every problem of the bank, session by session, in question order."""
    by_id, order = _bank()
    listed = [by_id[pid] for k in sorted(order) for pid in order[k]]
    extra = [p for p in by_id.values() if p not in listed]
    return listed + extra


def session_problems(k: int) -> list[Problem]:
    """The exercise set of session ``k`` in question order (``q1`` first)."""
    by_id, order = _bank()
    if k not in order:
        raise KeyError(f"unknown session {k!r}; sessions are {sorted(order)}")
    return [by_id[pid] for pid in order[k]]


def sessions() -> list[int]:
    """The session numbers, in order."""
    return sorted(_bank()[1])


def session_title(k: int) -> str:
    """``Session k: <title>``: the session module's ``TITLE``, else the first line of its docstring."""
    module_name = SESSION_MODULES.get(k)
    module = importlib.import_module(module_name) if module_name else None
    doc = ((module.__doc__ if module else None) or "").strip().splitlines()
    name = getattr(module, "TITLE", "") or (doc[0] if doc else "")
    name = re.sub(rf"^Session {k}\b\s*[—:-]?\s*", "", name).rstrip(".")
    return f"Session {k}: {name}" if name else f"Session {k}"


def _variant_or_result(problem_id: Any, student: Any, attempt: Any) -> Variant | Result:
    pid = problem_id if isinstance(problem_id, str) else None
    try:
        problem = get(problem_id)
    except KeyError as err:
        return Result(INVALID, message=str(err.args[0]), problem_id=pid)
    if student is not None and not isinstance(student, str):
        return Result(INVALID, message=f"student must be a str or None, got {type(student).__name__}",
                      problem_id=pid)
    if isinstance(attempt, bool) or not isinstance(attempt, numbers.Integral) or attempt < 0:
        return Result(INVALID, message=f"attempt must be a whole number >= 0, got {attempt!r}",
                      problem_id=pid)
    return problem.variant(student, int(attempt))


def check(problem_id: str, answer: Any, student: str | None = None, attempt: int = 0) -> Result:
    """Check ``answer`` to problem ``problem_id`` for this learner's variant.

    ``answer`` may be text or a SymPy expression (expression problems), a list of them (vector
    problems; a list of steps for step problems), a number or array (value problems), a Python
    function (function problems) or an option key (choice problems). ``None`` or ``...`` is
    "unattempted". Never raises: whatever the input, a :class:`~lossedu.result.Result` comes back.
    """
    from lossedu.checking.judge import judge

    return _judged(judge, problem_id, answer, student, attempt)


def check_steps(problem_id: str, steps: Any, student: str | None = None, attempt: int = 0) -> Result:
    """Check a derivation written as a list of expressions, each equal to the answer.

    The first step that is not equal to the answer is reported (1-indexed) with a counterexample.
    """
    from lossedu.checking.judge import judge_steps

    return _judged(judge_steps, problem_id, steps, student, attempt)


def _judged(judge_fn: Any, problem_id: Any, answer: Any, student: Any, attempt: Any) -> Result:
    """``judge_fn(variant, answer)``, turning anything unexpected into an "undecided" Result."""
    variant = _variant_or_result(problem_id, student, attempt)
    if isinstance(variant, Result):
        return variant
    try:
        from lossedu.checking.written import with_written  # the learner's text, shown as written

        return with_written(judge_fn(variant, answer), variant.problem.kind, answer)
    except Exception as err:  # noqa: BLE001 - a check must never raise
        return Result(UNDECIDED, message=f"the checker could not decide ({type(err).__name__}: "
                      f"{err}); your answer was not marked wrong", problem_id=variant.id)

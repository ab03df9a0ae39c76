"""Form-only checks for the released notebooks of a course pack (the student's side).

The student's package does not hold the pack's problems, so ``check()`` here cannot say whether
an answer is right; it says whether the answer has the form the grader needs (an expression the
safe parser reads in the allowed variables, a finite number, one of the options, a function
that returns finite numbers of the right shape on a sample input). ``lossedu grade`` judges the
answers with the pack. Inside the grading sandbox, :func:`pack_session` is the capture-only
exercise set of the same session.

>>> ex = pack_session('{"session": 11, "title": "t", "questions": [{"id": "a.b", "kind": "value",'
...                   ' "title": "t", "prompt": "p", "params": {}, "variables": [], "points": 1}]}')
>>> ex.q1.check(0.5).status
'undecided'
"""
from __future__ import annotations

import json
import math
from typing import Any

from lossedu.result import INVALID, UNATTEMPTED, UNDECIDED, Result

LATER = "graded after the deadline"


class FormQuestion:
    """One question of a pack notebook: ``params``, ``show()`` and a form-only ``check()``."""

    def __init__(self, spec: dict[str, Any], number: int) -> None:
        self.spec, self.number = spec, number
        self.id, self.params = spec["id"], spec.get("params", {})

    def show(self) -> None:
        """Print the prompt."""
        print(f"q{self.number} · {self.spec['title']}\n\n{self.spec['prompt']}")

    def check(self, answer: Any) -> Result:
        """Whether ``answer`` has the form the grader needs (not whether it is right)."""
        import lossedu.exercise as exercise

        hook = exercise.get_capture()
        if hook is not None:
            hook(self.id, answer)
        if answer is None or answer is Ellipsis:
            return Result(UNATTEMPTED, message="Not attempted yet.", problem_id=self.id)
        try:
            what = _form(self.spec, answer)
        except (TypeError, ValueError, ArithmeticError) as err:
            return Result(INVALID, message=f"The grader could not read this answer: {err}", problem_id=self.id)
        return Result(UNDECIDED, message=f"Form OK ({what}); it will be {LATER}.", problem_id=self.id)

    def __repr__(self) -> str:
        return f"<question q{self.number} ({self.id}), form check only>"


def _finite(x: Any) -> float:
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    return value


def _form(spec: dict[str, Any], answer: Any) -> str:
    kind = spec["kind"]
    if kind in ("expression", "steps"):
        from lossedu.checking.symbolic import ParseError, to_expr

        items = answer if kind == "steps" and isinstance(answer, (list, tuple)) else [answer]
        try:
            for item in items:
                to_expr(item, spec.get("variables", []))
        except ParseError as err:
            raise ValueError(err.message) from None
        return f"an expression in {', '.join(spec.get('variables', [])) or 'numbers'}"
    if kind == "value":
        _finite(answer)
        return "a number"
    if kind == "vector":
        values = [_finite(x) for x in answer]
        if spec.get("length") and len(values) != spec["length"]:
            raise ValueError(f"expected {spec['length']} numbers, got {len(values)}")
        return f"{len(values)} numbers"
    if kind == "choice":
        if str(answer).strip().lower() not in [str(o).lower() for o in spec.get("options", [])]:
            raise ValueError(f"the answer must be one of {', '.join(spec.get('options', []))}")
        return "an option"
    if kind == "function":
        import numpy as np

        if not callable(answer):
            raise TypeError(f"expected a function {spec.get('signature', '')}, got {type(answer).__name__}")
        for kwargs in spec.get("sample", []):
            args = {k: np.asarray(v, dtype=float) for k, v in kwargs.items() if k != "__call__"}
            out = np.asarray(answer(**args), dtype=float)
            if not np.all(np.isfinite(out)):
                raise ValueError("the function returns non-finite numbers on a sample input")
        return "a function that returns finite numbers on a sample input"
    return "an answer"


class FormSet:
    """The questions of one pack session, ``ex.q1 ... ex.qN``."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.session, self.title = spec["session"], spec.get("title", "")
        self._questions = [FormQuestion(q, i) for i, q in enumerate(spec["questions"], 1)]

    def __getattr__(self, name: str) -> FormQuestion:
        if name.startswith("q") and name[1:].isdigit() and 1 <= int(name[1:]) <= len(self._questions):
            return self._questions[int(name[1:]) - 1]
        raise AttributeError(f"this homework has questions q1 ... q{len(self._questions)}, not {name!r}")

    def __getitem__(self, problem_id: str) -> FormQuestion:
        for question in self._questions:
            if question.id == problem_id:
                return question
        raise KeyError(problem_id)


def pack_session(spec: str | dict[str, Any]) -> FormSet:
    """The exercise set of a released pack notebook (``spec`` as :func:`lossedu.grading.pack.form_spec` wrote it)."""
    return FormSet(json.loads(spec) if isinstance(spec, str) else spec)

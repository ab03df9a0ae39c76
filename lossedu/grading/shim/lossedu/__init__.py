"""lossedu as seen from inside the grading sandbox: capture-only.

``lossedu.session(k, homework=True)`` gives ``ex.q1 ... ex.qN``; ``qN.params`` holds this
student's numbers (sent in by the grader) and ``qN.check(answer)`` records the answer for the
grader. There is no problem bank, no reference answer and no checker here: the grader judges
outside the sandbox. ``qN.options()`` lists a choice question's options in the order this
student is shown them (sent by the grader too); an answer by key is judged against that order.
No ready-made losses either: ``lossedu.losses`` and ``lossedu.risk`` do not exist here, so
answers are computed from the definitions (NumPy, SymPy).
"""
from __future__ import annotations

from typing import Any

__version__ = "sandbox"
__all__ = ["session"]

#: what a notebook may not use while grading, and why (the message of its error)
NOT_HERE = ("lossedu.{name} is not available while grading homework: no ready-made losses; compute the "
            "answer from the definitions with NumPy (or SymPy)")

_catalog: dict[int, list[dict[str, Any]]] = {}
_capture: Any = None


def _set_capture(hook: Any) -> None:
    global _capture
    _capture = hook


class Question:
    """One question of a homework notebook: ``params`` and a recording ``check``."""

    def __init__(self, pid: str, params: Any, number: int, session: int,
                 options: list[tuple[str, str]] | None = None) -> None:
        self.id, self.params, self.number, self.session = pid, params, number, session
        self._options = options

    def options(self) -> dict[str, str]:
        """A choice question's options as ``{key: text}``, in the order shown to this student."""
        if self._options is None:
            raise TypeError(f"q{self.number} ({self.id}) is not a choice question; it has no options")
        return dict(self._options)

    def check(self, answer: Any = None, *args: Any, **kwargs: Any) -> None:
        """Record ``answer`` for the grader (nothing is judged here)."""
        if _capture is not None:
            _capture(self.id, answer)

    def show(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to show while grading."""

    def hint(self, *args: Any, **kwargs: Any) -> None:
        """No hints while grading."""

    def __repr__(self) -> str:
        return f"<question q{self.number} ({self.id})>"


class ExerciseSet:
    """The questions of one session, ``ex.q1 ... ex.qN``."""

    def __init__(self, k: int) -> None:
        self.session = k
        self._questions = [Question(q["pid"], q.get("params", {}), i + 1, k, q.get("options"))
                           for i, q in enumerate(_catalog.get(k, []))]

    def __getattr__(self, name: str) -> Question:
        if name.startswith("q") and name[1:].isdigit() and 1 <= int(name[1:]) <= len(self._questions):
            return self._questions[int(name[1:]) - 1]
        raise AttributeError(f"session {self.session} has no question {name!r} while grading")

    def __getitem__(self, problem_id: str) -> Question:
        for question in self._questions:
            if question.id == problem_id:
                return question
        raise KeyError(problem_id)

    def __iter__(self) -> Any:
        return iter(self._questions)

    def __len__(self) -> int:
        return len(self._questions)


def session(k: int, student: str | None = None, homework: bool = True, **kwargs: Any) -> ExerciseSet:
    """The exercise set of session ``k`` (capture-only while grading)."""
    if isinstance(k, bool) or not isinstance(k, int) or k not in _catalog:
        raise ValueError(f"k must be a session being graded, one of {sorted(_catalog)}, got {k!r}")
    return ExerciseSet(k)


def __getattr__(name: str) -> Any:
    if name in ("losses", "risk"):
        raise AttributeError(NOT_HERE.format(name=name))
    raise AttributeError(f"lossedu has no attribute {name!r} while grading (only session)")

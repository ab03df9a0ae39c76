"""The notebook face of the course: an exercise set per session, three verbs per question.

::

    ex = lossedu.session(2)          # ex.q1 ... ex.qN, also ex["grad.bce_prob"]
    ex.q1.show()                     # the question, with this learner's numbers
    ex.q1.check("p - y")             # a Result: correct / incorrect (with a diagnosis) / ...
    ex.q1.hint()                     # the next hint (tiered)
    ex.q1.solution()                 # the worked solution (this variant then needs a retry)
    ex.q1.retry()                    # fresh numbers: the next variant

Every learner gets their own numbers, derived from (learner id, problem id, attempt); the
current attempt of each problem lives in the progress store, so numbers survive restarts.
Session k + 1 counts toward mastery only once session k is mastered; until then checks are
practice (see :mod:`lossedu.store`). In homework mode nothing is stored, ``solution()`` is
refused, and hints and feedback follow the course configuration. Homework grading installs a
capture hook (:func:`set_capture`) that records answers instead of judging them.
"""
from __future__ import annotations

import dataclasses
import dis
import html
import re
import sys
from typing import Any, Callable, Iterator

from lossedu import config, problems
from lossedu.display import emit, in_ipython
from lossedu.shortcuts import caller_shortcuts
from lossedu.problems import session_title
from lossedu.store import (Gate, ProgressDatabaseError, ProgressStore, VariantState, required_count,
                           session_gates)
from lossedu.result import CORRECT, INCORRECT, UNATTEMPTED, UNDECIDED, Result

CaptureHook = Callable[[str, Any], Any]
_capture: CaptureHook | None = None
_QUESTION_NAME = re.compile(r"q([1-9][0-9]*)")
_BANNER_COLOURS = {"open": "#1b7837", "unlocked": "#1b7837", "mastered": "#1b7837", "lifted": "#2166ac", "locked": "#b2182b",
                   "homework": "#4d4d4d", "unavailable": "#8c510a"}


# --------------------------------------------------------------------------- capture hook
def set_capture(hook: CaptureHook | None) -> None:
    """Install (or, with None, remove) the capture hook used by homework grading.

    While a hook is set, ``Question.check(answer)`` calls ``hook(problem_id, answer)`` and
    returns a neutral Result (status ``undecided``, message ``recorded for grading``) without
    judging the answer and without touching the progress store.
    """
    global _capture
    if hook is not None and not callable(hook):
        raise TypeError(f"hook must be a callable hook(problem_id, answer) or None, got {type(hook).__name__}")
    _capture = hook


def get_capture() -> CaptureHook | None:
    """The capture hook currently installed, or None."""
    return _capture


# --------------------------------------------------------------------------- helpers
def is_unattempted(answer: Any) -> bool:
    """True for an answer left as generated: ``None``, ``...``, or a function that returns nothing.

    A function "returns nothing" when its code has no ``return`` with a value and no ``yield``
    (a stub ``def f(y, p): ...``, a body of ``pass``, or ``raise NotImplementedError``).
    """
    if answer is None or answer is Ellipsis:
        return True
    code = getattr(answer, "__code__", None)
    if code is None or not callable(answer):
        return False
    if code.co_flags & 0x20:  # generator function
        return False
    previous = None
    for ins in dis.get_instructions(code):
        if ins.opname == "RETURN_CONST" and ins.argval is not None:
            return False
        if ins.opname == "RETURN_VALUE" and not (
                previous is not None and previous.opname == "LOAD_CONST" and previous.argval is None):
            return False
        previous = ins
    return True


def _refuse_shortcut(result: Result, used: list[str]) -> Result:
    """``result``, or "incorrect" (diagnosis ``"reference"``) when the answer was computed by a
    ready-made function for the quantity asked (see :mod:`lossedu.shortcuts`); the message says
    whether the value itself was right and what to do."""
    if not used:
        return result
    said = ", ".join(used)
    ask = ("Compute it from the definition with NumPy or SymPy (the formulas in the question) and "
           "check again: only that counts toward mastery.")
    if result.status == CORRECT:
        message = f"The value is right, but the cell computes it by calling {said}, a ready-made function. {ask}"
    else:
        message = f"The cell calls {said}, a ready-made function. {ask} The answer is not right either: {result.message}"
    return Result(INCORRECT, 0.0, message, "reference", result.counterexample, result.interpreted,
                  result.problem_id, {**result.details, "reference_use": used, "values": result.status})


def _with_note(result: Result, note: str) -> Result:
    message = result.message.rstrip()
    message = f"{message}{'' if not message or message[-1] in '.!?' else '.'} {note}".strip()
    return dataclasses.replace(result, message=message, details=dict(result.details))


# --------------------------------------------------------------------------- one question
class Question:
    """One problem of an exercise set, bound to this learner's current variant."""

    def __init__(self, owner: "ExerciseSet", problem: problems.Problem, number: int) -> None:
        self._owner = owner
        self.problem = problem
        self.number = number

    @property
    def id(self) -> str:
        """The problem id, e.g. ``"grad.mse"``."""
        return self.problem.id

    @property
    def attempt(self) -> int:
        """Number of the current variant (0 for the first; ``retry()`` adds one)."""
        return self._owner._state(self.id).attempt

    @property
    def variant(self) -> problems.Variant:
        """This learner's current variant of the problem."""
        return self.problem.variant(self._owner.student, self.attempt)

    @property
    def params(self) -> dict[str, Any]:
        """This learner's parameters of the current variant (a copy)."""
        return dict(self.variant.params)

    @property
    def mastered(self) -> bool:
        """True once this problem counts as mastered for this learner."""
        return self.id in self._owner.mastered()

    def prompt(self) -> str:
        """The question text (Markdown + LaTeX) with this learner's numbers."""
        return self.variant.prompt().replace("ex.qN.", f"ex.q{self.number}.")

    def options(self) -> dict[str, str]:
        """A choice question's options as ``{key: text}``, in the (shuffled) order shown to this learner."""
        variant = self.variant
        if self.problem.kind != "choice":
            raise TypeError(f"q{self.number} ({self.id}) is a {self.problem.kind} question; it has no options")
        return {key: variant.option_text(option) for key, option in variant.shown_options()}

    def show(self) -> None:
        """Show the question: rendered Markdown in a notebook, text elsewhere."""
        emit(f"**q{self.number} · {self.problem.title}** (`{self.id}`)\n\n{self.prompt()}")

    def check(self, answer: Any) -> Result:
        """Check ``answer`` against the current variant and record the attempt.

        An answer left as generated (``...``, None, a stub function) gives ``unattempted``.
        Never raises for any answer.
        """
        if _capture is not None:
            _capture(self.id, answer)
            return Result(UNDECIDED, message="recorded for grading", problem_id=self.id)
        if is_unattempted(answer):
            return Result(UNATTEMPTED, message="Not attempted yet: replace the ... with your answer.",
                          problem_id=self.id)
        owner = self._owner
        if owner.homework and not owner.course.homework_feedback:
            return Result(UNDECIDED, message="recorded; feedback after grading", problem_id=self.id)
        state = owner._state(self.id)
        result = problems.check(self.id, answer, student=owner.student, attempt=state.attempt)
        if self.problem.kind not in ("function", "choice") and result.status != UNATTEMPTED:
            result = _refuse_shortcut(result, caller_shortcuts(sys._getframe(1)))
        if owner.homework or result.status == UNATTEMPTED:
            return result
        return owner._record(self, result, state)

    def hint(self) -> None:
        """Show the next hint (each call reveals one more; says when none are left)."""
        owner = self._owner
        if owner.homework and not owner.course.homework_hints:
            emit("Hints are turned off for homework in this course.")
            return
        hints = self.variant.hints
        seen = owner._state(self.id).hints_seen
        if not hints:
            emit("This problem has no hints.")
        elif seen >= len(hints):
            emit(f"No more hints: you have seen all {len(hints)}. `solution()` shows the worked answer "
                  "(this variant then stops counting toward mastery; `retry()` gives fresh numbers).")
        else:
            n = min(owner._note_hint(self.id), len(hints))
            emit(f"**Hint {n} of {len(hints)}:** {hints[n - 1]}")

    def solution(self) -> None:
        """Show the worked solution of the current variant.

        Afterwards a correct answer on this variant no longer counts toward mastery; ``retry()``
        gives a fresh variant that does. Refused in homework mode.
        """
        if self._owner.homework:
            emit("`solution()` is not available in homework: solutions are released after grading.")
            return
        self._owner._note_solution(self.id)
        emit(f"**Solution (variant {self.attempt}):**\n\n{self.variant.solution()}\n\n"
              "_This variant no longer counts toward mastery: call `retry()` for fresh numbers._")

    def retry(self) -> None:
        """Move to a fresh variant (new numbers, hints from the first) and show it."""
        if self._owner.homework:
            emit("`retry()` is not available in homework: each learner has one fixed variant.")
            return
        attempt = self._owner._new_variant(self.id)
        emit(f"**New numbers (variant {attempt})**\n\n{self.prompt()}")

    def __repr__(self) -> str:
        return f"<Question q{self.number} {self.id}: {self.problem.title}>"


# --------------------------------------------------------------------------- the set
class ExerciseSet:
    """The exercise set of one session for one learner: ``ex.q1 ... ex.qN`` and ``ex["id"]``."""

    def __init__(self, session: int, student: str, *, homework: bool = False,
                 course: config.CourseConfig | None = None, store: ProgressStore | None = None,
                 store_error: ProgressDatabaseError | None = None) -> None:
        self.session = session
        self.student = student
        self.homework = homework
        self.course = course if course is not None else config.load_course()
        self.store = store
        self.store_error = store_error
        self._local: dict[str, VariantState] = {}
        self.questions = [Question(self, p, i) for i, p in enumerate(problems.session_problems(session), 1)]
        self._by_id = {q.id: q for q in self.questions}

    # ----------------------------------------------------------------- access
    def __getattr__(self, name: str) -> Question:
        match = _QUESTION_NAME.fullmatch(name)
        if match and "questions" in self.__dict__:
            n = int(match.group(1))
            if n <= len(self.questions):
                return self.questions[n - 1]
            raise AttributeError(f"session {self.session} has questions q1 to q{len(self.questions)}, not {name}")
        raise AttributeError(name)

    def __getitem__(self, problem_id: str) -> Question:
        if problem_id not in self._by_id:
            raise KeyError(f"{problem_id!r} is not in session {self.session}; its problems are: "
                           f"{', '.join(self._by_id)}")
        return self._by_id[problem_id]

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def __len__(self) -> int:
        return len(self.questions)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | {f"q{q.number}" for q in self.questions})

    @property
    def title(self) -> str:
        """``Session k: <title>`` (the title when the bank provides one)."""
        return session_title(self.session)

    # ----------------------------------------------------------------- store access (never raises)
    def _use_store(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a store method; on a database failure switch to practice-only and return None."""
        if self.store is None:
            return None
        try:
            return getattr(self.store, method)(*args, **kwargs)
        except ProgressDatabaseError as err:
            self.store, self.store_error = None, err
            return None

    def _state(self, problem_id: str) -> VariantState:
        state = self._use_store("variant_state", self.student, problem_id)
        if state is not None:
            self._local[problem_id] = state
            return state
        return self._local.get(problem_id, VariantState())

    def _note_hint(self, problem_id: str) -> int:
        old = self._state(problem_id)
        seen = self._use_store("note_hint", self.student, problem_id)
        seen = seen if seen is not None else old.hints_seen + 1
        self._local[problem_id] = dataclasses.replace(old, hints_seen=seen)
        return seen

    def _note_solution(self, problem_id: str) -> None:
        old = self._state(problem_id)
        self._use_store("note_solution", self.student, problem_id)
        self._local[problem_id] = dataclasses.replace(old, solution_revealed=True)

    def _new_variant(self, problem_id: str) -> int:
        old = self._state(problem_id)
        attempt = self._use_store("new_variant", self.student, problem_id)
        attempt = attempt if attempt is not None else old.attempt + 1
        self._local[problem_id] = VariantState(attempt, 0, False)
        return attempt

    def mastered(self) -> set[str]:
        """Ids of the problems this learner has mastered (empty when nothing is stored)."""
        found = self._use_store("mastered", self.student)
        return found if found is not None else set()

    @property
    def gate(self) -> Gate:
        """The gate of this session, evaluated now."""
        return self._gate(self.mastered())

    def _gate(self, mastered: set[str]) -> Gate:
        if self.homework or self.store is None:
            return Gate(self.session, "homework" if self.homework else "unavailable", share=self.course.mastery_share)
        return session_gates(mastered, self.course)[self.session]

    def _record(self, question: Question, result: Result, state: VariantState) -> Result:
        """Store a checked answer; add a note saying whether (and why not) it counts."""
        before = self.mastered()
        gate = self._gate(before)
        row = self._use_store("record_attempt", self.student, question.id, self.session, state.attempt,
                              result.status, result.score, result.diagnosis, hints_seen=state.hints_seen,
                              solution_revealed=state.solution_revealed, practice_only=gate.locked)
        if row is None:
            note = "Not saved: the progress database cannot be used (practice only)."
        elif gate.locked:
            note = (f"Practice only: session {self.session} is locked, so this answer does not count toward "
                    "mastery, and it will not count later either: once the session unlocks, check it again.")
        elif result.status == CORRECT and state.solution_revealed:
            note = ("The solution of this variant was revealed, so it does not count toward mastery: "
                    "call retry() for fresh numbers.")
        elif result.status == CORRECT and self._just_mastered(before):
            note = f"Session {self.session} is now mastered."
        else:
            return result
        return _with_note(result, note)

    def _just_mastered(self, before: set[str]) -> bool:
        """True when the last answer made this session reach its mastery share."""
        ids = {q.id for q in self.questions}
        need = required_count(len(ids), self.course.mastery_share)
        return len(before & ids) < need <= len(self.mastered() & ids)

    # ----------------------------------------------------------------- display
    def banner_lines(self) -> list[tuple[str, str]]:
        """(kind, text) lines of the banner: ``state`` (the gate state) first, then ``title``, ``gate``,
        ``error`` (when the store cannot be used) and one ``question`` line per question."""
        done = self.mastered()
        gate = self._gate(done)
        lines = [("title", f"{self.title} · learner {self.student}" + (" · homework" if self.homework else "")),
                 ("gate", gate.describe())]
        if self.store_error is not None:
            lines.append(("error", str(self.store_error)))
        lines += [("question", f"{'✔' if q.id in done else '○'} q{q.number}  {q.id}: {q.problem.title}")
                  for q in self.questions]
        return [("state", gate.state)] + lines

    def __repr__(self) -> str:
        return "\n".join(text for kind, text in self.banner_lines() if kind != "state")

    def _repr_html_(self) -> str:
        lines = self.banner_lines()
        state = lines[0][1]
        colour = _BANNER_COLOURS[state]
        out = [f'<div class="lossedu-banner lossedu-gate-{state}" style="border-left:6px solid {colour};'
               f'padding:6px 10px;font-family:sans-serif">']
        items = []
        for kind, text in lines[1:]:
            text = html.escape(text)
            if kind == "title":
                out.append(f"<b>{text}</b>")
            elif kind == "gate":
                out.append(f'<div class="lossedu-gate" style="color:{colour}">{text}</div>')
            elif kind == "error":
                out.append(f'<div class="lossedu-store-error" style="color:#8c510a">{text}</div>')
            else:
                items.append(f"<li>{text}</li>")
        out.append(f'<ul style="list-style:none;padding-left:0;margin:4px 0">{"".join(items)}</ul></div>')
        return "".join(out)


# --------------------------------------------------------------------------- entry points
def session(k: int, student: str | None = None, homework: bool = False,
            course: config.CourseConfig | None = None) -> ExerciseSet:
    """The exercise set of session ``k`` for a learner.

    Parameters
    ----------
    k : a session number from ``lossedu.problems.sessions()``.
    student : learner id; default ``$LOSSEDU_STUDENT`` or the stored id. An instructor passes a
        learner's id to see that learner's numbers.
    homework : homework mode (nothing stored, no solutions, gates not applied).
    course : course configuration; default :func:`lossedu.config.load_course`.
    """
    known = problems.sessions()
    if isinstance(k, bool) or not isinstance(k, int) or k not in known:
        raise ValueError(f"k must be a session number, one of {known}, got {k!r}")
    learner = config.student_id(student)
    course = course if course is not None else config.load_course()
    store, error = None, None
    if not homework:
        try:
            store = ProgressStore()
        except ProgressDatabaseError as err:
            error = err
    return ExerciseSet(k, learner, homework=homework, course=course, store=store, store_error=error)

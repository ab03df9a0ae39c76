"""What runs inside the sandboxed child: the submission's cells, and nothing of the grader's trust.

The child executes the code cells in order in one fresh namespace, records each answer the
notebook checks (through :func:`lossedu.exercise.set_capture`) and streams it to the grading
process at once as one JSON line, so answers recorded before a later crash or endless loop
still count. A function answer is called right away on the inputs the grading process drew
(each call with a time budget) and only its outputs are sent, with the names its code uses.
A pair answer ``(loss_fn, grad_fn)`` is one function message: each input names the callable it
is for (``functions.CALL_KEY``), outputs come back in input order, and the names of both
functions are sent.

Messages (one JSON object per line)::

    {"type": "cell", "i": 3}                                   cell 3 starts
    {"type": "error", "i": 3, "error": "NameError", "message": "..."}
    {"type": "answer", "pid": "grad.mse", "cell": 3, "answer": <codec value>}
    {"type": "function", "pid": "...", "cell": 5, "outputs": [...], "warnings": [[...], ...],
     "names": [...], "reference_names": [...], "reference_calls": 0, "unattempted": false,
     "pair": false, "missing": []}                          missing: blank items of a pair
    {"type": "warning", "message": "..."}
    {"type": "done"}
"""
from __future__ import annotations

import builtins
import functools
import json
import os
import signal
import sys
import types
import warnings
from typing import Any, Callable

from lossedu.grading import codec
from lossedu.checking.coerce import library_names as reference_names  # the one rule the notebook check uses too

MAX_LINE = 1_000_000          # bytes of one message
MAX_ERROR_TEXT = 500
#: modules whose use inside an implementation answer means "called a ready-made loss"
_MAGIC_START = ("%", "!")


class CallBudgetExceeded(BaseException):
    """Raised inside a learner's function that runs longer than its time budget."""


# --------------------------------------------------------------------------- the channel
class Channel:
    """Write JSON lines to the pipe the grading process reads."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, allow_nan=False, separators=(",", ":"), default=str).encode() + b"\n"
        if len(line) > MAX_LINE:
            line = json.dumps({"type": "warning", "message": f"a {message.get('type')} message for "
                               f"{message.get('pid', '?')} was larger than {MAX_LINE} bytes and was dropped"}).encode() + b"\n"
        view = memoryview(line)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]


# --------------------------------------------------------------------------- notebook shims
class _Shell:
    """A stand-in for ``get_ipython()``: magics and shell escapes do nothing while grading."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


def transform(source: str) -> str:
    """IPython syntax (``%magic``, ``!shell``, ``obj?``) turned into plain Python."""
    lines = source.lstrip().splitlines()
    if not any(line.lstrip().startswith(_MAGIC_START) or line.rstrip().endswith("?") for line in lines):
        return source
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def fresh_namespace() -> dict[str, Any]:
    """The namespace the cells run in, with ``get_ipython`` and ``display`` stubs."""
    shell = _Shell()
    return {"__name__": "__main__", "__builtins__": builtins,
            "get_ipython": lambda: shell, "display": lambda *a, **k: None}


# --------------------------------------------------------------------------- function answers
def code_names(code: types.CodeType) -> set[str]:
    """Every global and attribute name a code object uses, through nested code objects."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= code_names(const)
    return names


class ReferenceCounter:
    """Counts calls of :mod:`lossedu.losses` functions while a learner's function runs."""

    def __init__(self) -> None:
        self.active = False
        self.calls = 0

    def install(self) -> None:
        from lossedu import losses

        for name in dir(losses):
            obj = getattr(losses, name)
            if isinstance(obj, types.FunctionType) and obj.__module__ == losses.__name__:
                setattr(losses, name, self._wrap(obj))

    def _wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def counted(*args: Any, **kwargs: Any) -> Any:
            if self.active:
                self.calls += 1
            return fn(*args, **kwargs)
        return counted


def _on_alarm(signum: int, frame: Any) -> None:
    raise CallBudgetExceeded()


def call_outputs(fn: Any, inputs: list[dict[str, Any]], budget: float,
                 counter: ReferenceCounter) -> tuple[list[dict], list[list[str]]]:
    """The learner function's outputs on each input (or the error it raised), encoded, and the
    warnings each call emitted.

    ``fn`` is one callable, or a pair ``(loss_fn, grad_fn)`` whose inputs name their callable
    (:func:`lossedu.checking.functions.split_call` / :func:`~lossedu.checking.functions.pick`).
    Each call has ``budget`` seconds; once a callable has run out of time, its later calls are
    reported as time-outs without running it again.
    """
    import numpy as np

    from lossedu.checking import functions

    outputs, emitted, late = [], [], set()
    signal.signal(signal.SIGALRM, _on_alarm)
    timeout = {"t": "error", "v": f"TimeoutError: the call took longer than {budget:g} s"}
    for kwargs in inputs:
        name, args = functions.split_call(kwargs)
        if name in late:
            outputs.append(timeout)
            emitted.append([])
            continue
        counter.active = True
        with warnings.catch_warnings(record=True) as caught, np.errstate(**functions.WATCHED):
            warnings.simplefilter("always")
            try:
                target = functions.pick(fn, name)
                copies = {k: np.array(v, copy=True) for k, v in args.items()}
                signal.setitimer(signal.ITIMER_REAL, budget)
                value = target(**copies)
                signal.setitimer(signal.ITIMER_REAL, 0)
                outputs.append(codec.encode_output(value))
            except CallBudgetExceeded:
                outputs.append(timeout)
                late.add(name)
            except BaseException as exc:  # noqa: BLE001 - the learner's exception is data
                signal.setitimer(signal.ITIMER_REAL, 0)
                outputs.append(codec.encode_error(exc))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                counter.active = False
        emitted.append([f"{w.category.__name__}: {str(w.message)[:120]}" for w in caught[:5]])
    return outputs, emitted


def _is_function(value: Any) -> bool:
    return callable(value) and not isinstance(value, type) and not codec._is_sympy(value)


def pair_parts(answer: Any) -> tuple[Any, Any] | None:
    """``(loss_fn, grad_fn)`` when ``answer`` is a pair answer, else None.

    A pair is a tuple or list of two items, each a function or left blank (``None``/``...``),
    at least one of them a function.
    """
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return None
    if not any(_is_function(f) for f in answer):
        return None
    if not all(_is_function(f) or f is None or f is Ellipsis for f in answer):
        return None
    return answer[0], answer[1]


# --------------------------------------------------------------------------- the run
class Recorder:
    """The capture hook: turns each checked answer into a message, never raises."""

    def __init__(self, channel: Channel, inputs: dict[str, list[dict]], budget: float) -> None:
        self.channel = channel
        self.inputs = inputs
        self.budget = budget
        self.cell = -1
        self.counter = ReferenceCounter()

    def __call__(self, problem_id: Any, answer: Any) -> None:
        try:
            self._record(str(problem_id)[:200], answer)
        except BaseException as exc:  # noqa: BLE001 - a bad answer must not stop the notebook
            if isinstance(exc, CallBudgetExceeded):
                raise
            self.channel.send({"type": "answer", "pid": str(problem_id)[:200], "cell": self.cell,
                               "answer": {"t": "unsupported", "type": type(answer).__name__,
                                          "why": f"could not be recorded: {type(exc).__name__}"}})

    def _record(self, pid: str, answer: Any) -> None:
        pair = pair_parts(answer)
        if pair is None and not _is_function(answer):
            self.channel.send({"type": "answer", "pid": pid, "cell": self.cell, "answer": codec.encode(answer)})
            return
        from lossedu.exercise import is_unattempted
        from lossedu.checking.functions import PAIR, is_pair

        parts = [f for f in (pair or (answer,)) if _is_function(f)]
        names: set[str] = set()
        for f in parts:
            code = getattr(f, "__code__", None)
            names |= code_names(code) if isinstance(code, types.CodeType) else set()
        message = {"type": "function", "pid": pid, "cell": self.cell, "pair": pair is not None,
                   "names": sorted(names), "reference_names": sorted({n for f in parts for n in reference_names(f)}),
                   "unattempted": all(is_unattempted(f) for f in (pair or (answer,))),
                   "missing": [n for n, f in zip(PAIR, pair) if f is None or f is Ellipsis] if pair else [],
                   "outputs": [], "reference_calls": 0}
        inputs = self.inputs.get(pid)
        callable_now = inputs is not None and (pair is not None) == is_pair(inputs)
        if callable_now and not message["unattempted"] and not message["missing"]:
            self.counter.calls = 0
            message["outputs"], message["warnings"] = call_outputs(pair or answer, inputs, self.budget,
                                                                   self.counter)
            message["reference_calls"] = self.counter.calls
        self.channel.send(message)


class Guard:
    """Notices, after each cell, a notebook that tampered with the grading hook, and undoes it."""

    def __init__(self, recorder: Recorder) -> None:
        import lossedu
        import lossedu.exercise as exercise

        self.recorder = recorder
        self.package, self.exercise = lossedu, exercise
        self.saved = [(exercise, "set_capture", exercise.set_capture),
                      (exercise, "session", exercise.session),
                      (exercise.Question, "check", exercise.Question.__dict__["check"]),
                      (lossedu, "session", lossedu.session)]
        self.warned_name = False

    def restore(self, namespace: dict[str, Any]) -> list[str]:
        """Put everything back; return what had been changed (one sentence each)."""
        problems = []
        if sys.modules.get("lossedu") is not self.package or sys.modules.get("lossedu.exercise") is not self.exercise:
            sys.modules["lossedu"], sys.modules["lossedu.exercise"] = self.package, self.exercise
            problems.append("the lossedu modules were replaced; they were restored")
        for owner, name, value in self.saved:
            if owner.__dict__.get(name) is not value:
                setattr(owner, name, value)
                problems.append(f"{getattr(owner, '__name__', owner)}.{name} was replaced; it was restored")
        if self.exercise.__dict__.get("_capture") is not self.recorder:
            self.exercise.set_capture(self.recorder)
            problems.append("the grading hook was replaced; it was restored")
        name = namespace.get("lossedu", self.package)
        if name is not self.package and not self.warned_name:
            self.warned_name = True
            problems.append("the name 'lossedu' no longer refers to the lossedu package, "
                            "so later checks may not be recorded")
        if problems:
            problems[-1] += " (answers checked meanwhile were not recorded)"
        return problems


def _error_text(exc: BaseException) -> str:
    try:
        return str(exc)[:MAX_ERROR_TEXT]
    except BaseException:  # noqa: BLE001 - a hostile __str__
        return "(the exception could not be shown)"


def run_cells(cells: list[str], channel: Channel, inputs: dict[str, list[dict]], budget: float) -> None:
    """Execute ``cells`` in one namespace, streaming captured answers; then send ``done``."""
    import lossedu.exercise as exercise

    warnings.resetwarnings()
    warnings.simplefilter("ignore")
    recorder = Recorder(channel, inputs, budget)
    recorder.counter.install()
    exercise.set_capture(recorder)
    guard = Guard(recorder)
    namespace = fresh_namespace()
    for index, source in enumerate(cells):
        recorder.cell = index
        channel.send({"type": "cell", "i": index})
        try:
            code = compile(transform(source), f"<cell {index}>", "exec")
            exec(code, namespace)  # noqa: S102 - this is the sandboxed child
        except BaseException as exc:  # noqa: BLE001 - record and go on with the next cell
            channel.send({"type": "error", "i": index, "error": type(exc).__name__, "message": _error_text(exc)})
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        for problem in guard.restore(namespace):
            channel.send({"type": "warning", "message": f"cell {index}: {problem}"})
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close("all")
    channel.send({"type": "done"})

"""Calling a learner's function safely: fresh copies of the inputs, every exception and warning
recorded, printed output capped, the time bounded, and every library function it reaches seen.

Part of the function protocol of :mod:`lossedu.checking.functions` (which re-exports these names).

Bounded time. The learner's function runs in a worker thread while the caller waits at most
the time left (:data:`CALL_LIMIT`, or less when the check's own budget ends sooner). The
learner's code never sees the checker's time-out: a function that catches every exception in a
loop still cannot hold the caller. When the time is up the remaining inputs are reported as
"did not return", the worker is sent :class:`~lossedu.checking.budget.CheckTimeout` repeatedly
(see :func:`_abandon`) and left behind as a daemon thread.

Watched calls. While the learner's function runs, a profile hook of the worker thread records
every Python function it reaches whose module is a library of ready-made losses
(:data:`lossedu.checking.coerce.LIBRARY_PREFIXES`), however it was reached: through
``importlib``, a holder object, a dict, ``getattr``, ``functools.partial``, ``np.vectorize``
or a lambda.
"""
from __future__ import annotations

import ctypes
import io
import sys
import threading
import time
import warnings as _warnings
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from typing import Any, Iterator, Sequence

import numpy as np

from lossedu.checking.budget import CheckTimeout, remaining
from lossedu.checking.coerce import LIBRARY_PREFIXES, as_output_array

#: Floating-point events that count as instability (underflow to 0 is harmless).
WATCHED = {"over": "warn", "divide": "warn", "invalid": "warn", "under": "ignore"}
#: Key of an input dict naming which callable of a pair answer it is for (not an argument).
CALL_KEY = "__call__"
#: The callables of a pair answer, in the order the learner passes them.
PAIR = ("loss", "grad")
#: Characters a learner's function may print during one check (the rest is dropped).
MAX_PRINTED = 2000
#: Seconds all calls of one check may take together when no check budget is running.
CALL_LIMIT = 5.0
#: Seconds kept back from the check's budget for judging what came back.
MARGIN = 0.4
#: What an input that was not answered in time reports.
TOO_SLOW = "TimeoutError: your function did not return within {limit:.1f} s (an endless loop?)"


def split_call(kwargs: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """(name of the callable the input is for, or None; the keyword arguments without it)."""
    name = kwargs.get(CALL_KEY)
    return (None if name is None else str(name)), {k: v for k, v in kwargs.items() if k != CALL_KEY}


def pick(answer: Any, name: str | None) -> Any:
    """The callable an input is for: ``answer`` itself when ``name`` is None, else its item."""
    if name is None:
        return answer
    if name not in PAIR:
        raise ValueError(f"{CALL_KEY} must be one of {PAIR}, got {name!r}")
    return answer[PAIR.index(name)]


def call_all(fn: Any, inputs: Sequence[dict[str, np.ndarray]]) -> tuple[list, list]:
    """Call the learner's function on each input; returns (outputs, warnings) as the protocol wants.

    ``fn`` is one callable, or a pair ``(loss_fn, grad_fn)`` when the inputs name their callable
    (:data:`CALL_KEY`). Each call gets fresh copies of the arrays. Exceptions (any, even
    ``SystemExit`` or ``GeneratorExit``; only ``KeyboardInterrupt`` passes through) become a
    description string; warnings (overflow in ``exp``, division by zero, ...) are recorded, not
    printed. What the function prints is shown up to :data:`MAX_PRINTED` characters in all.
    Inputs not answered within the time limit report :data:`TOO_SLOW`.
    """
    outputs, caught, _ = call_watched(fn, inputs)
    return outputs, caught


def call_watched(fn: Any, inputs: Sequence[dict[str, np.ndarray]],
                 limit: float | None = None) -> tuple[list, list, list[str]]:
    """:func:`call_all`, plus the ready-made-loss functions the calls reached (``module.name``)."""
    left = remaining()
    if limit is None:
        limit = CALL_LIMIT if left is None else max(left - MARGIN, 0.05)
    outputs: list[Any] = []
    caught: list[list[str]] = []
    reached: set[str] = set()
    done, stop = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        sys.setprofile(_watcher(reached))
        try:
            _call_each(fn, inputs, outputs, caught, stop)
        except BaseException as err:  # noqa: BLE001 - handed to the caller below
            failure.append(err)
        finally:
            sys.setprofile(None)
            done.set()

    worker = threading.Thread(target=run, daemon=True, name="lossedu-learner-function")
    with _capped_output(MAX_PRINTED):
        worker.start()
        try:
            finished = done.wait(limit)
        except BaseException:
            stop.set()
            _abandon(worker, done)
            raise
    if not finished:
        n = min(len(outputs), len(caught))  # what came back in time (before any stop request)
        outputs, caught = list(outputs[:n]), list(caught[:n])
        stop.set()
        _abandon(worker, done)
        outputs += [TOO_SLOW.format(limit=limit)] * (len(inputs) - n)
        caught += [[] for _ in range(len(inputs) - n)]
    elif failure and isinstance(failure[0], KeyboardInterrupt):
        raise failure[0]
    elif len(outputs) < len(inputs):  # the function raised the checker's own exception
        what = f"{type(failure[0]).__name__ if failure else 'Error'}: the call did not finish"
        outputs = outputs[:len(caught)] + [what] * (len(inputs) - len(caught))
        caught = caught + [[] for _ in range(len(inputs) - len(caught))]
    return outputs, caught, sorted(reached)


def _call_each(fn: Any, inputs: Sequence[dict[str, np.ndarray]], outputs: list, caught: list,
               stop: threading.Event) -> None:
    for kwargs in inputs:
        if stop.is_set():
            return
        name, args = split_call(kwargs)
        with _warnings.catch_warnings(record=True) as record, np.errstate(**WATCHED):
            _warnings.simplefilter("always")
            try:
                target = pick(fn, name) if isinstance(fn, (tuple, list)) else fn
                out: Any = target(**{k: np.array(v, copy=True) for k, v in args.items()})
                out = as_output_array(out)
            except (KeyboardInterrupt, CheckTimeout):
                raise  # a stop request, or the learner interrupting their own kernel
            except BaseException as err:  # noqa: BLE001 - reported to the learner
                out = f"{type(err).__name__}: {str(err)[:200]}"
        if stop.is_set():
            return
        caught.append([f"{w.category.__name__}: {str(w.message)[:120]}" for w in record])
        outputs.append(out)


def _in_library(module: Any) -> bool:
    return isinstance(module, str) and any(module == p or module.startswith(p + ".")
                                           for p in LIBRARY_PREFIXES)


def _watcher(reached: set[str]) -> Any:
    """A profile hook recording the library functions called (Python ones and C ones)."""

    def watch(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            module = frame.f_globals.get("__name__")
            if _in_library(module):
                reached.add(f"{module}.{frame.f_code.co_name}")
        elif event == "c_call":
            module = getattr(arg, "__module__", None)
            if _in_library(module):
                reached.add(f"{module}.{getattr(arg, '__name__', '?')}")

    return watch


def _abandon(worker: threading.Thread, done: threading.Event, tries: int = 40) -> None:
    """Ask a runaway worker to stop: :class:`CheckTimeout` is raised in it asynchronously, again
    every 50 ms (from a small daemon thread) while it keeps running, up to ``tries`` times. A
    function that swallows every one of them keeps running in the background, but the check
    has already returned."""
    ident = worker.ident
    if ident is None:
        return

    def nag() -> None:
        for _ in range(tries):
            if done.is_set() or not worker.is_alive():
                return
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(CheckTimeout))
            time.sleep(0.05)

    threading.Thread(target=nag, daemon=True, name="lossedu-stop-learner-function").start()


class _Capped(io.TextIOBase):
    """A stream that passes the first ``limit`` characters on and then drops the rest."""

    def __init__(self, target: Any, limit: int) -> None:
        self.target, self.left, self.cut = target, limit, False

    def write(self, text: str) -> int:
        text = str(text)
        if self.left > 0:
            self.target.write(text[:self.left])
            self.left -= len(text[:self.left])
        elif not self.cut:
            self.cut = True
            self.target.write("\n[... more output from your function was not shown]\n")
        return len(text)

    def flush(self) -> None:
        self.target.flush()


@contextmanager
def _capped_output(limit: int) -> Iterator[None]:
    with redirect_stdout(_Capped(sys.stdout, limit)), redirect_stderr(_Capped(sys.stderr, limit)):
        yield

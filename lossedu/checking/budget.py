"""Time budgets for checks: one check never holds its caller longer than its limit.

On the main thread (a notebook kernel, a script) the limit is an interval timer
(``signal.setitimer`` + ``SIGALRM``) that interrupts the work; it repeats every :data:`REPEAT`
seconds until the block ends, so code that swallows one interruption (a learner's
``except BaseException: pass``) is interrupted again as soon as it returns. On any other thread
the work runs in a daemon worker thread; when the limit passes the caller gets the time-out
result and the worker is abandoned.
"""
from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

REPEAT = 0.05          # once a limit has passed, the alarm repeats every REPEAT seconds

T = TypeVar("T")


class CheckTimeout(BaseException):
    """Raised inside a check when its time is up (a BaseException, so no ``except Exception``
    in SymPy or in a learner's function can swallow it)."""


# ---------------------------------------------------------------------------- time limits
_deadlines: list[float] = []


def _on_alarm(signum: int, frame: Any) -> None:
    raise CheckTimeout()


def _can_use_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`CheckTimeout` in the block after ``seconds`` (main thread only; nests).

    Off the main thread this only records the deadline; :func:`bounded` enforces it there.
    """
    if not _can_use_alarm():
        yield
        return
    now = time.monotonic()
    outer = _deadlines[-1] if _deadlines else None
    deadline = now + seconds if outer is None else min(now + seconds, outer)
    previous = signal.signal(signal.SIGALRM, _on_alarm) if outer is None else None
    _deadlines.append(deadline)
    signal.setitimer(signal.ITIMER_REAL, max(deadline - now, 1e-4), REPEAT)
    try:
        yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            _deadlines.pop()
            if outer is None:
                signal.signal(signal.SIGALRM, previous)
            else:
                signal.setitimer(signal.ITIMER_REAL, max(outer - time.monotonic(), 1e-4), REPEAT)


_local = threading.local()  # the deadline of a bounded() worker thread (off the main thread)


def remaining() -> float | None:
    """Seconds left in the innermost :func:`time_limit` block (on the main thread) or in the
    :func:`bounded` call running this worker thread; None outside any."""
    if threading.current_thread() is threading.main_thread():
        return _deadlines[-1] - time.monotonic() if _deadlines else None
    deadline = getattr(_local, "deadline", None)
    return None if deadline is None else deadline - time.monotonic()


def expired() -> bool:
    """True inside a :func:`time_limit` block whose time is up (for code that must stop itself,
    e.g. between calls of a learner's function that may swallow the interruption)."""
    return bool(_deadlines) and time.monotonic() >= _deadlines[-1]


def bounded(work: Callable[[], T], seconds: float, on_timeout: Callable[[], T]) -> T:
    """Run ``work()`` for at most ``seconds``; ``on_timeout()`` if it takes longer."""
    if _can_use_alarm():
        try:
            with time_limit(seconds):
                return work()
        except CheckTimeout:
            return on_timeout()
    box: list[Any] = []
    deadline = time.monotonic() + seconds

    def run() -> None:
        _local.deadline = deadline
        try:
            box.append(work())
        except BaseException as err:  # noqa: BLE001 - handed back to the caller below
            box.append(err)

    worker = threading.Thread(target=run, daemon=True, name="lossedu-check")
    worker.start()
    worker.join(seconds)
    if not box:
        return on_timeout()  # the worker is abandoned; it cannot block the caller
    if isinstance(box[0], CheckTimeout):
        return on_timeout()
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]

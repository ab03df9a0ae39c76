"""Calling a learner's function safely: fresh copies of the inputs, every exception and warning
recorded, printed output capped.

Part of the function protocol of :mod:`lossedu.checking.functions` (which re-exports these names).
"""
from __future__ import annotations

import io
import sys
import warnings as _warnings
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from typing import Any, Iterator, Sequence

import numpy as np

from lossedu.checking.budget import CheckTimeout, expired
from lossedu.checking.coerce import as_output_array

#: Floating-point events that count as instability (underflow to 0 is harmless).
WATCHED = {"over": "warn", "divide": "warn", "invalid": "warn", "under": "ignore"}
#: Key of an input dict naming which callable of a pair answer it is for (not an argument).
CALL_KEY = "__call__"
#: The callables of a pair answer, in the order the learner passes them.
PAIR = ("loss", "grad")
#: Characters a learner's function may print during one check (the rest is dropped).
MAX_PRINTED = 2000


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
    ``SystemExit`` or ``GeneratorExit``; only ``KeyboardInterrupt`` and the checker's own time-out
    pass through) become a description string; warnings (overflow in ``exp``, division by zero,
    ...) are recorded, not printed. What the function prints is shown up to :data:`MAX_PRINTED`
    characters in all.
    """
    outputs, caught = [], []
    with _capped_output(MAX_PRINTED):
        for kwargs in inputs:
            if expired():  # the function swallowed the interruption: stop calling it
                raise CheckTimeout()
            name, args = split_call(kwargs)
            with _warnings.catch_warnings(record=True) as record, np.errstate(**WATCHED):
                _warnings.simplefilter("always")
                try:
                    target = pick(fn, name) if isinstance(fn, (tuple, list)) else fn
                    out: Any = target(**{k: np.array(v, copy=True) for k, v in args.items()})
                    out = as_output_array(out)
                except (KeyboardInterrupt, CheckTimeout):
                    raise
                except BaseException as err:  # noqa: BLE001 - reported to the learner
                    out = f"{type(err).__name__}: {str(err)[:200]}"
            outputs.append(out)
            caught.append([f"{w.category.__name__}: {str(w.message)[:120]}" for w in record])
    return outputs, caught


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

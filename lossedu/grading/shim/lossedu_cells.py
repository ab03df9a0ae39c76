"""The submission's run inside the grading sandbox: its cells, its answers, its functions' outputs.

Imported by :mod:`lossedu_runner` (the zygote) before any submission runs. Each checked answer
becomes one JSON line on the channel (fd 3) at once; a function answer is called here on the
inputs the grader sent and only its outputs travel. Nothing here decides a grade.
"""
from __future__ import annotations

import builtins
import json
import os
import signal
import sys
import types
import warnings
from typing import Any

MAX_LINE = 1_000_000
EXIT_CHANNEL = 75
_exit = os._exit  # kept before the run replaces os._exit
REFERENCE_MODULES = ("lossedu.losses", "lossedu.risk", "lossedu", "scipy", "torch", "tensorflow", "jax", "sklearn",
                     "keras")


class CallBudgetExceeded(BaseException):
    """Raised inside a learner's function that runs longer than its time budget."""


# --------------------------------------------------------------------------- data in
def decode_inputs(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Inputs as the grader sent them: ``{"a": dtype, "s": shape, "v": values}`` or plain text."""
    import numpy as np

    out = []
    for kwargs in items:
        call = {}
        for name, value in kwargs.items():
            if isinstance(value, dict):
                flat = [float(x) if isinstance(x, str) else x for x in value["v"]]
                call[name] = np.array(flat, dtype=value["a"]).reshape(value["s"])
            else:
                call[name] = value
        out.append(call)
    return out


# --------------------------------------------------------------------------- the submission's run
def code_names(code: types.CodeType) -> set[str]:
    """Every global and attribute name a code object uses, through nested code objects."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= code_names(const)
    return names


def reference_names(fn: Any, seen: set[int] | None = None) -> list[str]:
    """Names a function uses that resolve to a library of ready-made losses (through helpers)."""
    seen = set() if seen is None else seen
    if id(fn) in seen:
        return []
    seen.add(id(fn))
    module = getattr(fn, "__module__", None) or ""
    if not isinstance(getattr(fn, "__code__", None), types.CodeType):
        return [f"{getattr(fn, '__name__', '?')} ({module})"] if module.startswith(REFERENCE_MODULES) else []
    if module.startswith(REFERENCE_MODULES) and module != "__main__":
        return [f"{fn.__name__} ({module})"]
    found = []
    scope = getattr(fn, "__globals__", {}) or {}
    values = [(n, scope.get(n)) for n in sorted(code_names(fn.__code__))]
    values += [("closure", c.cell_contents) for c in (fn.__closure__ or ()) if _has_contents(c)]
    values += [("default", v) for v in (fn.__defaults__ or ())]
    for name, obj in values:
        if isinstance(obj, types.ModuleType):
            if obj.__name__ == "lossedu":  # the capture-only package: only its missing losses count
                used = code_names(fn.__code__)
                found += [f"{name}.{sub} (lossedu.{sub})" for sub in ("losses", "risk") if sub in used]
            elif obj.__name__.startswith(REFERENCE_MODULES):
                found.append(f"{name} ({obj.__name__})")
        elif isinstance(obj, types.FunctionType) and obj.__globals__ is scope:
            found += reference_names(obj, seen)
        elif callable(obj):
            owner = getattr(obj, "__module__", None) or ""
            if isinstance(owner, str) and owner.startswith(REFERENCE_MODULES) and owner != "__main__":
                found.append(f"{name} ({owner})")
    return sorted(set(found))


def _has_contents(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:
        return False
    return True


def is_unattempted(answer: Any) -> bool:
    """A function left as generated: no ``return`` with a value and no ``yield``."""
    import dis

    if answer is None or answer is Ellipsis:
        return True
    code = getattr(answer, "__code__", None)
    if code is None or not callable(answer) or code.co_flags & 0x20:
        return False
    previous = None
    for ins in dis.get_instructions(code):
        if ins.opname == "RETURN_CONST" and ins.argval is not None:
            return False
        if ins.opname == "RETURN_VALUE" and not (previous is not None and previous.opname == "LOAD_CONST"
                                                 and previous.argval is None):
            return False
        previous = ins
    return True


class Channel:
    """JSON lines to the grader; a closed channel ends the run at once."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, allow_nan=False, separators=(",", ":"), default=str).encode() + b"\n"
        if len(line) > MAX_LINE:
            line = json.dumps({"type": "warning", "message": f"a {message.get('type')} message for "
                               f"{message.get('pid', '?')} was larger than {MAX_LINE} bytes and was dropped"}).encode() + b"\n"
        view = memoryview(line)
        try:
            while view:
                view = view[os.write(self.fd, view):]
        except OSError:
            _exit(EXIT_CHANNEL)


def _on_alarm(signum: int, frame: Any) -> None:
    raise CallBudgetExceeded()


def _is_function(value: Any) -> bool:
    import lossedu_codec

    return callable(value) and not isinstance(value, type) and not lossedu_codec._is_sympy(value)


def pair_parts(answer: Any) -> tuple[Any, Any] | None:
    if not isinstance(answer, (tuple, list)) or len(answer) != 2 or not any(_is_function(f) for f in answer):
        return None
    if not all(_is_function(f) or f is None or f is Ellipsis for f in answer):
        return None
    return answer[0], answer[1]


class Recorder:
    """The capture hook: each checked answer becomes one message, sent at once."""

    def __init__(self, channel: Channel, inputs: dict[str, list], budget: float) -> None:
        self.channel, self.inputs, self.budget, self.cell = channel, inputs, budget, -1

    def __call__(self, pid: Any, answer: Any) -> None:
        pid = str(pid)[:200]
        try:
            self._record(pid, answer)
        except CallBudgetExceeded:
            raise
        except BaseException as exc:  # noqa: BLE001 - a bad answer must not stop the notebook
            self.channel.send({"type": "answer", "pid": pid, "cell": self.cell, "answer": {
                "t": "unsupported", "type": type(answer).__name__, "why": f"could not be recorded: {type(exc).__name__}"}})

    def _record(self, pid: str, answer: Any) -> None:
        import lossedu_codec

        pair = pair_parts(answer)
        if pair is None and not _is_function(answer):
            self.channel.send({"type": "answer", "pid": pid, "cell": self.cell, "answer": lossedu_codec.encode(answer)})
            return
        parts = [f for f in (pair or (answer,)) if _is_function(f)]
        names: set[str] = set()
        for f in parts:
            code = getattr(f, "__code__", None)
            names |= code_names(code) if isinstance(code, types.CodeType) else set()
        message = {"type": "function", "pid": pid, "cell": self.cell, "pair": pair is not None,
                   "names": sorted(names)[:200], "reference_names": sorted({n for f in parts for n in reference_names(f)}),
                   "unattempted": all(is_unattempted(f) for f in (pair or (answer,))),
                   "missing": [n for n, f in zip(("loss", "grad"), pair) if f is None or f is Ellipsis] if pair else [],
                   "outputs": []}
        inputs = self.inputs.get(pid)
        wants_pair = bool(inputs) and any("__call__" in kw for kw in inputs)
        if inputs and (pair is not None) == wants_pair and not message["unattempted"] and not message["missing"]:
            message["outputs"], message["warnings"] = self._call(pair or answer, inputs)
        self.channel.send(message)

    def _call(self, fn: Any, inputs: list[dict[str, Any]]) -> tuple[list, list]:
        import numpy as np

        import lossedu_codec

        outputs, emitted, late = [], [], set()
        signal.signal(signal.SIGALRM, _on_alarm)
        timeout = {"t": "error", "v": f"TimeoutError: the call took longer than {self.budget:g} s"}
        for kwargs in inputs:
            name = kwargs.get("__call__")
            args = {k: v for k, v in kwargs.items() if k != "__call__"}
            if name in late:
                outputs.append(timeout)
                emitted.append([])
                continue
            with warnings.catch_warnings(record=True) as caught, \
                    np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
                warnings.simplefilter("always")
                try:
                    target = fn if name is None else fn[("loss", "grad").index(name)]
                    copies = {k: np.array(v, copy=True) for k, v in args.items()}
                    signal.setitimer(signal.ITIMER_REAL, self.budget)
                    value = target(**copies)
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    outputs.append(lossedu_codec.encode_output(value))
                except CallBudgetExceeded:
                    outputs.append(timeout)
                    late.add(name)
                except BaseException as exc:  # noqa: BLE001 - the learner's exception is data
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    outputs.append(lossedu_codec.encode_error(exc))
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            emitted.append([f"{w.category.__name__}: {str(w.message)[:120]}" for w in caught[:5]])
        return outputs, emitted


def fresh_namespace() -> dict[str, Any]:
    class Shell:
        def __getattr__(self, name: str) -> Any:
            return lambda *args, **kwargs: None

    shell = Shell()
    return {"__name__": "__main__", "__builtins__": builtins, "get_ipython": lambda: shell,
            "display": lambda *a, **k: None}


def set_catalog(catalog: dict[str, list[dict[str, Any]]]) -> None:
    import lossedu
    import lossedu_codec

    lossedu._catalog.clear()
    for k, questions in catalog.items():
        lossedu._catalog[int(k)] = [{"pid": q["pid"], "params": lossedu_codec.decode(q["params"]),
                                     "options": [(str(key), str(text)) for key, text in q["options"]]
                                     if isinstance(q.get("options"), list) else None} for q in questions]


def run_cells(cells: list[str], channel: Channel, inputs: dict[str, list], budget: float) -> bool:
    """Run the cells in one namespace; returns whether a cell ran out of memory."""
    import lossedu

    warnings.resetwarnings()
    warnings.simplefilter("ignore")
    recorder = Recorder(channel, inputs, budget)
    lossedu._set_capture(recorder)
    saved = (sys.modules.get("lossedu"), lossedu.session, lossedu.Question.__dict__["check"])
    namespace = fresh_namespace()
    memory, warned_name = False, False
    for index, source in enumerate(cells):
        recorder.cell = index
        channel.send({"type": "cell", "i": index})
        try:
            exec(compile(source, f"<cell {index}>", "exec"), namespace)  # noqa: S102 - the sandboxed run
        except BaseException as exc:  # noqa: BLE001 - record and go on with the next cell
            memory = memory or isinstance(exc, MemoryError)
            try:
                text = str(exc)[:500]
            except BaseException:  # noqa: BLE001 - a hostile __str__
                text = "(the exception could not be shown)"
            channel.send({"type": "error", "i": index, "error": type(exc).__name__, "message": text})
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        changed = []
        if sys.modules.get("lossedu") is not saved[0]:
            sys.modules["lossedu"] = saved[0]
            changed.append("the lossedu module was replaced")
        if saved[0].session is not saved[1] or saved[0].Question.__dict__.get("check") is not saved[2]:
            saved[0].session, saved[0].Question.check = saved[1], saved[2]
            changed.append("lossedu.session or check was replaced")
        if saved[0]._capture is not recorder:
            saved[0]._set_capture(recorder)
            changed.append("the grading hook was replaced")
        if "lossedu" in namespace and namespace["lossedu"] is not saved[0] and not warned_name:
            warned_name = True
            changed.append("the name 'lossedu' no longer refers to the lossedu package, so later checks may not "
                           "be recorded")
        if changed:
            channel.send({"type": "warning", "message": f"cell {index}: " + "; ".join(changed)
                          + "; it was restored (answers checked meanwhile were not recorded)"})
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close("all")
    channel.send({"type": "done"})
    return memory



def warm(cells_of_notebooks: list[list[str]], budget: float = 20.0) -> None:
    """Run the course's solution notebooks once (answers discarded) so SymPy's caches are warm."""
    import contextlib
    import io

    import lossedu

    lossedu._set_capture(lambda pid, answer: None)
    signal.signal(signal.SIGALRM, _on_alarm)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for cells in cells_of_notebooks:
            namespace = fresh_namespace()
            signal.setitimer(signal.ITIMER_REAL, budget)
            try:
                for source in cells:
                    try:
                        exec(compile(source, "<warm-up>", "exec"), namespace)  # noqa: S102 - the course's own notebook
                    except Exception:  # noqa: BLE001 - warming is best effort
                        pass
            except CallBudgetExceeded:
                pass
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            namespace.clear()
    lossedu._set_capture(None)
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")

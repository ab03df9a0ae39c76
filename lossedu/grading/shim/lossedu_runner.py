"""The grading sandbox's own program: a warm zygote, a monitor per submission, the submission's run.

Started by the grader as ``python -I -S lossedu_runner.py CONTROL_FD LIB SITE...`` (inside bubblewrap unless the
instructor chose ``--no-sandbox``). It never sees the problem bank, the grader's files or the
course's answers: only what the grader sends over the control socket.

* **zygote** (this process): imports NumPy, SymPy, matplotlib and the capture-only ``lossedu``
  shim once, runs the course's solution notebooks once to warm SymPy's caches (answers
  discarded), then for each job forks a monitor and waits for it. It runs no submission code.
* **monitor** (one per submission): enters new user, mount, PID, IPC and UTS namespaces and forks
  the submission's process, which is PID 1 of its namespace: when it ends, everything it started
  is killed and reaped by the kernel before the monitor's ``wait4`` returns. The monitor enforces
  the wall-clock limit and writes what it observed (wait status, CPU time, peak memory, whether
  it killed the run) to the status pipe. The submission cannot signal it (other PID namespace)
  nor read its memory (not dumpable, other user namespace).
* **submission**: a fresh tmpfs on ``/tmp`` (its only writable place), ``/proc`` hidden, then a
  second user namespace so the mounts are locked; rlimits; the Python fences
  (:mod:`lossedu_confine`); then its cells, with ``check()`` streamed to fd 3 as JSON lines.

Job (JSON after an 8-byte length, with four descriptors: messages, stdout, stderr, status)::

    {"cells": [...plain Python...], "student": "alice", "catalog": {"1": [{"pid", "params"}]},
     "inputs": {"pid": [{name: encoded array}, ...]}, "budget": 2.0, "limits": {...}, "isolate": true}
"""
from __future__ import annotations

import sys

if __name__ == "__main__":
    sys.path[:0] = [p for p in sys.argv[2:] if p]

import builtins  # noqa: E402
import ctypes  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import select  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import types  # noqa: E402
import warnings  # noqa: E402
from typing import Any  # noqa: E402

CONTROL_FD = int(sys.argv[1]) if __name__ == "__main__" else 3
CHANNEL_FD = 3
MAX_LINE = 1_000_000
EXIT_MEMORY, EXIT_HARNESS, EXIT_ENDED, EXIT_CHANNEL = 3, 70, 71, 75
_exit = os._exit
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID = 0x10000000, 0x20000000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 2, 4, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
BLOCKED_MODULES = ("scipy", "torch", "tensorflow", "jax", "jaxlib", "sklearn", "keras", "lossedu.problems",
                   "lossedu.checking")
REFERENCE_MODULES = ("lossedu.losses", "lossedu.risk", "lossedu", "scipy", "torch", "tensorflow", "jax", "sklearn",
                     "keras")
_libc = ctypes.CDLL(None, use_errno=True)


class CallBudgetExceeded(BaseException):
    """Raised inside a learner's function that runs longer than its time budget."""


class _Blocker:
    """Import hook: modules with ready-made losses or answers do not exist while grading."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if any(name == m or name.startswith(m + ".") for m in BLOCKED_MODULES):
            raise ModuleNotFoundError(f"No module named {name!r} (not available while grading)", name=name)
        return None


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


# --------------------------------------------------------------------------- control socket
def recv_job(sock: socket.socket) -> tuple[dict[str, Any] | None, list[int]]:
    """One length-prefixed JSON job and the descriptors sent with it (None at end of stream)."""
    head, fds, _, _ = socket.recv_fds(sock, 8, 8)
    if not head:
        return None, fds
    while len(head) < 8:
        more = sock.recv(8 - len(head))
        if not more:
            return None, fds
        head += more
    (size,) = struct.unpack("!Q", head)
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(min(1 << 20, size - len(data)))
        if not chunk:
            return None, fds
        data += chunk
    return json.loads(bytes(data)), fds


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
            if obj.__name__.startswith(REFERENCE_MODULES) and (obj.__name__ != "lossedu" or "losses" in
                                                                code_names(fn.__code__) or "risk" in code_names(fn.__code__)):
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


class Counter:
    """Counts calls of ``lossedu.losses`` / ``lossedu.risk`` functions while a learner's function runs."""

    def __init__(self) -> None:
        self.active, self.calls = False, 0

    def install(self) -> None:
        import functools
        import importlib

        for name in ("lossedu.losses", "lossedu.risk"):
            module = importlib.import_module(name)
            for attr, obj in list(vars(module).items()):
                if isinstance(obj, types.FunctionType) and obj.__module__ == name:
                    def counted(*args: Any, _fn: Any = obj, **kwargs: Any) -> Any:
                        if self.active:
                            self.calls += 1
                        return _fn(*args, **kwargs)
                    setattr(module, attr, functools.wraps(obj)(counted))


class Recorder:
    """The capture hook: each checked answer becomes one message, sent at once."""

    def __init__(self, channel: Channel, inputs: dict[str, list], budget: float) -> None:
        self.channel, self.inputs, self.budget, self.cell = channel, inputs, budget, -1
        self.counter = Counter()

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
                   "outputs": [], "reference_calls": 0}
        inputs = self.inputs.get(pid)
        wants_pair = bool(inputs) and any("__call__" in kw for kw in inputs)
        if inputs and (pair is not None) == wants_pair and not message["unattempted"] and not message["missing"]:
            self.counter.calls = 0
            message["outputs"], message["warnings"] = self._call(pair or answer, inputs)
            message["reference_calls"] = self.counter.calls
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
            self.counter.active = True
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
                    self.counter.active = False
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
        lossedu._catalog[int(k)] = [{"pid": q["pid"], "params": lossedu_codec.decode(q["params"])} for q in questions]


def run_cells(cells: list[str], channel: Channel, inputs: dict[str, list], budget: float) -> bool:
    """Run the cells in one namespace; returns whether a cell ran out of memory."""
    import lossedu

    warnings.resetwarnings()
    warnings.simplefilter("ignore")
    recorder = Recorder(channel, inputs, budget)
    recorder.counter.install()
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


# --------------------------------------------------------------------------- processes
def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _enter_namespaces() -> None:
    """New user (same ids), mount, PID, IPC and UTS namespaces for the next child."""
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")  # the group first: the kernel refuses it after the user map
    _write("/proc/self/uid_map", f"{uid} {uid} 1")


def _private_mounts(limits: dict[str, Any]) -> str:
    """A fresh tmpfs on /tmp, /proc and /dev/shm hidden, mounts locked; returns the work folder."""
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    size = f"size={int(limits.get('file_mb', 16)) * 4}m,mode=0700".encode()
    _check(_libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, size), "mount tmpfs /tmp")
    for hidden in (b"/proc", b"/dev/shm"):
        if os.path.isdir(hidden):
            _check(_libc.mount(b"tmpfs", hidden, b"tmpfs", MS_NOSUID | MS_NODEV, b"size=4k,mode=0555"),
                   f"mount tmpfs {hidden.decode()}")
    _check(_libc.unshare(CLONE_NEWUSER), "unshare (lock mounts)")
    return "/tmp"


def _set_limits(limits: dict[str, Any], address_space: int) -> None:
    cpu = int(limits["timeout"]) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    fsize = int(limits.get("file_mb", 16)) * 2**20
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # no effect for the real root user: the PID namespace is the fence
    memory = address_space + int(limits["memory_mb"]) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _address_space() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[0]) * resource.getpagesize()


def submission(job: dict[str, Any], msg: int, out: int, err: int) -> None:
    """The submission's process (PID 1 of its namespace when isolated); never returns."""
    code = EXIT_HARNESS
    try:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        address_space = _address_space()
        os.setsid()  # its own session and process group: kill(0, ...) reaches only what it started
        if job["isolate"]:
            workdir = _private_mounts(job["limits"])
        else:
            import tempfile

            workdir = tempfile.mkdtemp(prefix="lossedu-grade-")
        null = os.open(os.devnull, os.O_RDONLY)
        for fd, target in ((null, 0), (out, 1), (err, 2), (msg, CHANNEL_FD)):
            os.dup2(fd, target)
        os.closerange(CHANNEL_FD + 1, 65536)
        sys.stdin = open(0, "r", closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", closefd=False, buffering=1, errors="backslashreplace")  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False, buffering=1, errors="backslashreplace")  # noqa: SIM115
        os.chdir(workdir)
        os.environ.clear()
        os.environ.update(LOSSEDU_STUDENT=job["student"], HOME=workdir, MPLCONFIGDIR=os.path.join(workdir, "mpl"),
                          MPLBACKEND="Agg", PATH="/nonexistent", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        _set_limits(job["limits"], address_space)
        _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        set_catalog(job["catalog"])
        inputs = {pid: decode_inputs(items) for pid, items in job["inputs"].items()}
        import lossedu_confine

        lossedu_confine.block_processes()
        lossedu_confine.confine_writes(workdir)
        os._exit = lambda status=0: _exit(EXIT_ENDED)  # the notebook may not end the run as if it were done
        memory = run_cells(job["cells"], Channel(CHANNEL_FD), inputs, float(job["budget"]))
        code = EXIT_MEMORY if memory else 0
    except BaseException:  # noqa: BLE001 - report and leave with a failure code
        import traceback

        try:
            os.write(2, traceback.format_exc()[-4000:].encode())
        except BaseException:  # noqa: BLE001
            pass
    _exit(code)


def monitor(job: dict[str, Any], fds: list[int]) -> None:
    """Run one submission in new namespaces; report what happened to the status pipe; never returns."""
    msg, out, err, status = fds
    report: dict[str, Any] = {"timed_out": False}
    try:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        os.close(CONTROL_FD)
        if job["isolate"]:
            _enter_namespaces()
        child = os.fork()
        if child == 0:
            os.close(status)
            submission(job, msg, out, err)
        for fd in (msg, out, err):
            os.close(fd)
        pidfd = os.pidfd_open(child)
        ready, _, _ = select.select([pidfd], [], [], float(job["limits"]["timeout"]))
        if not ready:
            report["timed_out"] = True
            if not job["isolate"]:
                _kill_group(child)
            os.kill(child, signal.SIGKILL)
        _, wait_status, usage = os.wait4(child, 0)
        if not job["isolate"]:
            _kill_group(child)
        report.update(status=wait_status, cpu=usage.ru_utime + usage.ru_stime, maxrss_kb=usage.ru_maxrss)
    except BaseException as exc:  # noqa: BLE001 - the grader refuses the run with this reason
        report["error"] = f"{type(exc).__name__}: {exc}"[:500]
    try:
        os.write(status, json.dumps(report).encode())
    finally:
        os._exit(0)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


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


def main() -> int:
    sys.meta_path.insert(0, _Blocker())
    sock = socket.socket(fileno=CONTROL_FD)
    setup, _ = recv_job(sock)
    if setup is None:
        return 1
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    os.environ.update(MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLCONFIGDIR="/nonexistent")
    import numpy  # noqa: F401
    import lossedu
    import lossedu.losses  # noqa: F401
    import lossedu.risk  # noqa: F401
    import lossedu_codec  # noqa: F401
    import lossedu_confine  # noqa: F401

    try:
        import sympy  # noqa: F401
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except Exception:  # noqa: BLE001 - optional for the run; a notebook that needs them reports the error
        pass
    set_catalog(setup.get("catalog", {}))
    warm(setup.get("warm", []))
    import gc

    gc.collect()
    gc.freeze()
    sock.sendall(b"ready\n")
    while True:
        job, fds = recv_job(sock)
        if job is None:
            return 0
        pid = os.fork()
        if pid == 0:
            monitor(job, fds)
        for fd in fds:
            os.close(fd)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    sys.exit(main())

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

import ctypes  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import select  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
from typing import Any  # noqa: E402

import lossedu_cells  # noqa: E402 - the submission's run (cells, answers, function calls)
from lossedu_cells import EXIT_CHANNEL, _exit  # noqa: E402,F401

CONTROL_FD = int(sys.argv[1]) if __name__ == "__main__" else 3
CHANNEL_FD = 3
EXIT_MEMORY, EXIT_HARNESS, EXIT_ENDED = 3, 70, 71
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID = 0x10000000, 0x20000000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 2, 4, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
BLOCKED_MODULES = ("scipy", "torch", "tensorflow", "jax", "jaxlib", "sklearn", "keras", "lossedu.problems",
                   "lossedu.checking")
#: lossedu's own ready-made losses: not in the sandbox either (the error says what to do instead)
READY_MADE = ("lossedu.losses", "lossedu.risk")
NOT_HERE = ("lossedu.{name} is not available while grading homework: no ready-made losses; compute the "
            "answer from the definitions with NumPy (or SymPy)")
_libc = ctypes.CDLL(None, use_errno=True)


class _Blocker:
    """Import hook: modules with ready-made losses or answers do not exist while grading."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if any(name == m or name.startswith(m + ".") for m in READY_MADE):
            raise ModuleNotFoundError(f"No module named {name!r}: " + NOT_HERE.format(name=name.split(".")[1]),
                                      name=name)
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
        lossedu_cells.set_catalog(job["catalog"])
        inputs = {pid: lossedu_cells.decode_inputs(items) for pid, items in job["inputs"].items()}
        import lossedu_confine

        lossedu_confine.block_processes()
        lossedu_confine.confine_writes(workdir)
        os._exit = lambda status=0: _exit(EXIT_ENDED)  # the notebook may not end the run as if it were done
        memory = lossedu_cells.run_cells(job["cells"], lossedu_cells.Channel(CHANNEL_FD), inputs, float(job["budget"]))
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
    import lossedu_codec  # noqa: F401
    import lossedu_confine  # noqa: F401

    try:
        import sympy  # noqa: F401
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except Exception:  # noqa: BLE001 - optional for the run; a notebook that needs them reports the error
        pass
    lossedu_cells.set_catalog(setup.get("catalog", {}))
    lossedu_cells.warm(setup.get("warm", []))
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

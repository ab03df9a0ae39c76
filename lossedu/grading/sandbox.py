"""The grader's scheduler: sandboxed runs in the warm runners, and forked children for the judge.

Submissions run in the OS sandbox of :mod:`lossedu.grading.isolation`: ``submit_job`` hands a job
to an idle runner and the scheduler drains its four pipes (messages, stdout, stderr, the
monitor's status) in one ``select`` loop. Only JSON objects are accepted on the message pipe and
their total size is capped; stdout and stderr are kept up to a limit and the rest is read and
dropped; nothing from a run is ever unpickled or executed. A runner whose monitor does not report
within the time limit plus 20 s is killed as a whole and restarted.

Trusted grader code (the judge) runs in plain forked children of the grading process
(``submit(target, ..., limits=None)``), warm and with a wall-time limit. ``submit`` with
``limits`` runs a target in a forked child behind the Python-level fences only (its own process
group, rlimits, no new processes or signals, writes confined to a temporary folder, ``nobody``
when root): the grader itself no longer uses it for submissions.
"""
from __future__ import annotations

import io
import json
import os
import resource
import selectors
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lossedu.grading.confine import block_processes, can_drop_privileges, confine_writes, drop_privileges

CHANNEL_FD = 199
_READ_CHUNK = 1 << 16
_POLL = 0.005


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed child.

    timeout : wall-clock seconds before the child is killed.
    memory_mb : memory (address space) the child may add to the grader's own.
    output_bytes : bytes of stdout and of stderr kept for the report.
    message_bytes : total bytes of messages accepted from the child.
    file_mb : size limit of any file the child writes (stdout/stderr included).
    drop_privileges : when running as root, run the child as ``nobody``; the grader sets this
        only when :func:`can_drop_privileges` says Python stays importable for ``nobody``.
    """

    timeout: float = 10.0
    memory_mb: int = 1024
    output_bytes: int = 20_000
    message_bytes: int = 8_000_000
    file_mb: int = 16
    drop_privileges: bool = True


@dataclass
class ChildReport:
    """What a finished child left behind."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    exit_code: int | None = None
    signal: int | None = None
    timed_out: bool = False
    overflow: bool = False
    bad_lines: int = 0
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    cpu: float = 0.0
    maxrss_kb: int = 0
    sandbox_error: str = ""


# --------------------------------------------------------------------------- inside the child
def _address_space() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[0]) * resource.getpagesize()


def _set_limits(limits: Limits) -> None:
    cpu = int(limits.timeout) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    fsize = limits.file_mb * 2**20
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_NOFILE, (CHANNEL_FD + 57, CHANNEL_FD + 57))
    try:
        memory = _address_space() + limits.memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (OSError, ValueError):  # pragma: no cover - no /proc
        pass


def _redirect_stdio(workdir: str) -> None:
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, name in ((1, "stdout.txt"), (2, "stderr.txt")):
        handle = os.open(os.path.join(workdir, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(handle, fd)
        os.close(handle)


def _child_main(target: Callable[[int], None], write_fd: int, workdir: str | None, limits: Limits | None) -> None:
    """Prepare the forked child and run ``target(CHANNEL_FD)``; never returns."""
    code = 0
    try:
        os.setpgid(0, 0)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        if write_fd != CHANNEL_FD:
            os.dup2(write_fd, CHANNEL_FD)
        if workdir is not None:
            _redirect_stdio(workdir)
            os.chdir(workdir)
        else:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
        os.closerange(3, CHANNEL_FD)
        os.closerange(CHANNEL_FD + 1, 65536)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True, errors="backslashreplace")
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True, errors="backslashreplace")
        if limits is not None:
            _set_limits(limits)
            if limits.drop_privileges and workdir is not None and os.geteuid() == 0:
                drop_privileges(workdir)
            block_processes()
            if workdir is not None:
                confine_writes(workdir)
        target(CHANNEL_FD)
    except BaseException:  # noqa: BLE001 - report and leave with a failure code
        code = 70
        try:
            sys.stderr.write(traceback.format_exc()[-4000:])
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
    os._exit(code)


# --------------------------------------------------------------------------- in the parent
@dataclass
class _Running:
    pid: int
    fd: int | None
    started: float
    deadline: float
    limits: Limits | None
    workdir: str | None
    on_done: Callable[[ChildReport], None]
    buffer: bytearray = field(default_factory=bytearray)
    report: ChildReport = field(default_factory=ChildReport)
    received: int = 0


@dataclass
class _Task:
    target: Callable[[int], None]
    on_done: Callable[[ChildReport], None]
    limits: Limits | None
    timeout: float
    priority: bool


@dataclass
class _JobRun:
    """A submission running in a zygote: four pipes to drain, then the monitor's status."""

    zygote: Any
    fds: dict[str, int]
    started: float
    deadline: float
    limits: Limits
    on_done: Callable[[ChildReport], None]
    buffer: bytearray = field(default_factory=bytearray)
    heads: dict[str, bytearray] = field(default_factory=lambda: {"out": bytearray(), "err": bytearray(),
                                                                 "status": bytearray()})
    cut: dict[str, bool] = field(default_factory=lambda: {"out": False, "err": False})
    report: ChildReport = field(default_factory=ChildReport)
    received: int = 0


class Scheduler:
    """Run up to ``jobs`` children at once; call ``on_done(report)`` in the parent as each ends.

    ``submit_job(job, ...)`` runs a submission in one of ``zygotes`` (the OS sandbox of
    :mod:`lossedu.grading.isolation`); ``submit(..., limits=None)`` runs trusted grader code
    (the judge) in a plain forked child with only a wall-time limit; ``submit(..., limits=...)``
    runs ``target`` in a forked child with the Python-level fences only. Callbacks may submit more work.
    """

    def __init__(self, jobs: int, workroot: str | None = None, zygotes: list[Any] | None = None,
                 restart: Callable[[Any], None] | None = None) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {jobs}")
        self.jobs = jobs
        self.workroot = workroot
        self.queue: list[_Task] = []
        self.jobs_queue: list[tuple[dict[str, Any], Callable[[ChildReport], None], Limits]] = []
        self.running: dict[int, _Running] = {}
        self.job_runs: list[_JobRun] = []
        self.zygotes = list(zygotes or [])
        self.restart = restart or (lambda zygote: zygote.start() or zygote.wait_ready())
        self.selector = selectors.DefaultSelector()

    def submit_job(self, job: dict[str, Any], on_done: Callable[[ChildReport], None], limits: Limits) -> None:
        """Queue one submission for the sandboxed zygotes (``job`` as the runner reads it)."""
        if not self.zygotes:
            raise RuntimeError("no sandbox runner was started for this batch")
        self.jobs_queue.append((job, on_done, limits))

    # ----------------------------------------------------------------- sandboxed jobs
    def _start_job(self, zygote: Any, job: dict[str, Any], on_done: Callable[[ChildReport], None],
                   limits: Limits) -> None:
        if zygote.proc is None:
            self.restart(zygote)
        job = {**job, "limits": {"timeout": limits.timeout, "memory_mb": limits.memory_mb, "file_mb": limits.file_mb}}
        msg, out, err, status = zygote.run(job)
        now = time.monotonic()
        run = _JobRun(zygote, {"msg": msg, "out": out, "err": err, "status": status}, now,
                      now + limits.timeout + 20.0, limits, on_done)
        for kind, fd in run.fds.items():
            os.set_blocking(fd, False)
            self.selector.register(fd, selectors.EVENT_READ, (run, kind))
        self.job_runs.append(run)

    def _read_job(self, run: _JobRun, kind: str) -> None:
        fd = run.fds.get(kind)
        while fd is not None:
            try:
                chunk = os.read(fd, _READ_CHUNK)
            except BlockingIOError:
                return
            if not chunk:
                self._close_job_fd(run, kind)
                break
            if kind == "msg":
                run.received += len(chunk)
                if run.received > run.limits.message_bytes:
                    run.report.overflow = True  # the runner ends itself on the closed pipe
                    self._close_job_fd(run, kind)
                    break
                run.buffer += chunk
                *lines, rest = run.buffer.split(b"\n")
                run.buffer = bytearray(rest)
                for line in lines:
                    self._accept(run, line)  # type: ignore[arg-type]
            else:
                keep = 4096 if kind == "status" else run.limits.output_bytes + 1
                room = keep - len(run.heads[kind])
                run.heads[kind] += chunk[:max(room, 0)]
                if room < len(chunk) and kind in run.cut:
                    run.cut[kind] = True
        if not run.fds:
            self._finish_job(run)

    def _close_job_fd(self, run: _JobRun, kind: str) -> None:
        fd = run.fds.pop(kind, None)
        if fd is not None:
            self.selector.unregister(fd)
            os.close(fd)

    def _finish_job(self, run: _JobRun, lost: str = "") -> None:
        from lossedu.grading.isolation import RunStatus, parse_status

        for kind in list(run.fds):
            self._close_job_fd(run, kind)
        self.job_runs.remove(run)
        run.zygote.busy = False
        status = RunStatus(error=lost, timed_out=bool(lost)) if lost else parse_status(bytes(run.heads["status"]))
        report = run.report
        report.duration = time.monotonic() - run.started
        report.exit_code, report.signal, report.timed_out = status.exit_code, status.signal, status.timed_out
        report.cpu, report.maxrss_kb, report.sandbox_error = status.cpu, status.maxrss_kb, status.error
        for kind in ("out", "err"):
            data = bytes(run.heads[kind])
            text = data[:run.limits.output_bytes].decode("utf-8", errors="replace")
            if run.cut[kind] or len(data) > run.limits.output_bytes:
                text += "\n[... output truncated]"
            setattr(report, "stdout" if kind == "out" else "stderr", text)
        run.on_done(report)

    def _check_jobs(self) -> None:
        now = time.monotonic()
        for run in list(self.job_runs):
            if now >= run.deadline:  # the monitor did not report: the whole zygote goes
                run.zygote.stop()
                self._finish_job(run, lost=f"the sandbox did not report within {run.limits.timeout + 20:g} s; "
                                           "its runner was restarted")

    def submit(self, target: Callable[[int], None], on_done: Callable[[ChildReport], None],
               limits: Limits | None = None, timeout: float | None = None, priority: bool = False) -> None:
        wall = limits.timeout if limits is not None else (timeout or 60.0)
        task = _Task(target, on_done, limits, wall, priority)
        if priority:
            self.queue.insert(0, task)
        else:
            self.queue.append(task)

    # ----------------------------------------------------------------- lifecycle
    def _start(self, task: _Task) -> None:
        workdir = tempfile.mkdtemp(prefix="lossedu-grade-", dir=self.workroot) if task.limits else None
        read_fd, write_fd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - measured through the child's messages
            _child_main(task.target, write_fd, workdir, task.limits)
        os.close(write_fd)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
        os.set_blocking(read_fd, False)
        now = time.monotonic()
        run = _Running(pid, read_fd, now, now + task.timeout, task.limits, workdir, task.on_done)
        self.running[pid] = run
        self.selector.register(read_fd, selectors.EVENT_READ, run)

    def _read(self, run: _Running) -> None:
        while run.fd is not None:
            try:
                chunk = os.read(run.fd, _READ_CHUNK)
            except BlockingIOError:
                return
            if not chunk:
                self._close_channel(run)
                return
            run.received += len(chunk)
            cap = run.limits.message_bytes if run.limits else 64 * 2**20
            if run.received > cap:
                run.report.overflow = True
                self._kill(run)
                self._close_channel(run)
                return
            run.buffer += chunk
            *lines, rest = run.buffer.split(b"\n")
            run.buffer = bytearray(rest)
            for line in lines:
                self._accept(run, line)

    def _accept(self, run: _Running, line: bytes) -> None:
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            run.report.bad_lines += 1
            return
        if isinstance(message, dict) and isinstance(message.get("type"), str):
            run.report.messages.append(message)
        else:
            run.report.bad_lines += 1

    def _close_channel(self, run: _Running) -> None:
        if run.fd is not None:
            self.selector.unregister(run.fd)
            os.close(run.fd)
            run.fd = None

    def _kill(self, run: _Running) -> None:
        for kill in (os.killpg, os.kill):
            try:
                kill(run.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def _reap(self, run: _Running, status: int) -> None:
        self._read(run)  # what is left in the pipe
        self._close_channel(run)
        self._kill(run)  # grandchildren in the same process group
        report = run.report
        report.duration = time.monotonic() - run.started
        if os.WIFEXITED(status):
            report.exit_code = os.WEXITSTATUS(status)
        elif os.WIFSIGNALED(status):
            report.signal = os.WTERMSIG(status)
        if run.workdir is not None:
            report.stdout = _head(Path(run.workdir) / "stdout.txt", run.limits.output_bytes)
            report.stderr = _head(Path(run.workdir) / "stderr.txt", run.limits.output_bytes)
            shutil.rmtree(run.workdir, ignore_errors=True)
        del self.running[run.pid]
        run.on_done(report)

    def _check_children(self) -> None:
        now = time.monotonic()
        for run in list(self.running.values()):
            pid, status = os.waitpid(run.pid, os.WNOHANG)
            if pid:
                self._reap(run, status)
            elif now >= run.deadline:
                run.report.timed_out = True
                self._kill(run)
                _, status = os.waitpid(run.pid, 0)
                self._reap(run, status)

    def run(self) -> None:
        """Work until the queue is empty and every child has been reaped."""
        try:
            while self.queue or self.running or self.jobs_queue or self.job_runs:
                while self.queue and len(self.running) + len(self.job_runs) < self.jobs:
                    self._start(self.queue.pop(0))
                while self.jobs_queue and len(self.running) + len(self.job_runs) < self.jobs:
                    idle = next((z for z in self.zygotes if not z.busy), None)
                    if idle is None:
                        break
                    self._start_job(idle, *self.jobs_queue.pop(0))
                waits = [r.deadline for r in self.running.values()] + [r.deadline for r in self.job_runs]
                idle = any(r.fd is None for r in self.running.values())
                timeout = _POLL if idle else max(0.0, min(waits, default=time.monotonic()) - time.monotonic())
                for key, _ in self.selector.select(timeout=min(timeout, 0.25)):
                    if isinstance(key.data, tuple):
                        self._read_job(*key.data)
                    else:
                        self._read(key.data)
                self._check_children()
                self._check_jobs()
        finally:
            for run in list(self.job_runs):
                run.zygote.stop()
                for kind in list(run.fds):
                    self._close_job_fd(run, kind)
            self.job_runs.clear()
            for run in list(self.running.values()):
                self._kill(run)
                os.waitpid(run.pid, 0)
                self._close_channel(run)
                if run.workdir:
                    shutil.rmtree(run.workdir, ignore_errors=True)
            self.running.clear()


def _head(path: Path, limit: int) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return ""
    text = data[:limit].decode("utf-8", errors="replace")
    return text + ("\n[... output truncated]" if len(data) > limit else "")

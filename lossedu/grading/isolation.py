"""The OS sandbox of each submission: bubblewrap, a warm zygote per worker, a monitor per run.

The grader starts one zygote per worker (``--jobs``), each inside its own bubblewrap sandbox:
new user, PID, mount, network, IPC, UTS and cgroup namespaces (``--unshare-all``), no
capabilities, ``--die-with-parent``, ``--new-session``, a read-only root that holds only

* the Python interpreter, its standard library and ``libpython`` (read-only, at their paths),
* the system's shared libraries (``/usr/lib`` and the ``/lib*`` links) and ``/etc/ld.so.cache``,
* the environment's ``site-packages`` at ``/sandbox/site``, with ``lossedu``, SciPy, torch,
  TensorFlow, JAX and scikit-learn masked by empty read-only folders,
* the capture-only ``lossedu`` shim and the runner at ``/sandbox/lib`` (a copy made per run),

and no home folder, no checkout, no submission but the one sent, no grader output. The zygote
imports NumPy, SymPy and matplotlib once and warms SymPy's caches on the course's own solution
notebooks; for each submission it forks a monitor that enters new user, mount, PID, IPC and UTS
namespaces and forks the submission as PID 1 there, on a fresh tmpfs (``/tmp``, its only writable
place; ``/proc`` hidden). When that process ends, the kernel kills and reaps everything it started
before the monitor reports, so no process of one submission meets the next one.

What crosses: the job (cells as plain Python, this student's parameters, the function inputs)
and four pipes per run (messages, stdout, stderr, the monitor's status). See
:mod:`lossedu.grading.shim.lossedu_runner`.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import struct
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SHIM = HERE / "shim"
#: folders of site-packages hidden inside the sandbox (answers, or ready-made losses)
MASKED = ("lossedu", "scipy", "scipy.libs", "torch", "tensorflow", "jax", "jaxlib", "sklearn", "scikit_learn.libs",
          "keras")
ENABLE_HELP = ("The grader runs each submission in an OS sandbox (bubblewrap) and could not create one: {why}. "
               "To enable it: install bubblewrap (apt-get install bubblewrap, or dnf install bubblewrap) and allow "
               "unprivileged user namespaces (sysctl -w kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 and later "
               "also sysctl -w kernel.apparmor_restrict_unprivileged_userns=0; in a container, run it with "
               "--security-opt seccomp=unconfined or use a VM). To grade without the OS sandbox anyway, pass "
               "--no-sandbox (only the Python-level fences remain; see docs/homework.md, 'Threat model').")


#: user and group id inside the sandbox when the grader runs as root
SANDBOX_ID = 1000


class SandboxUnavailable(RuntimeError):
    """The OS sandbox cannot be created here; the message says why and how to enable it."""


def runtime_folder(root: Path) -> Path:
    """Lay out what the sandbox imports in ``root/lib``: the shim package and the runner."""
    lib = Path(root) / "lib"
    (lib / "lossedu").mkdir(parents=True, exist_ok=True)
    (lib / "lossedu" / "grading").mkdir(exist_ok=True)
    for name in ("__init__.py", "grading/__init__.py", "grading/forms.py"):
        shutil.copyfile(SHIM / "lossedu" / name, lib / "lossedu" / name)
    shutil.copyfile(SHIM / "lossedu_runner.py", lib / "lossedu_runner.py")
    shutil.copyfile(SHIM / "lossedu_cells.py", lib / "lossedu_cells.py")
    shutil.copyfile(HERE / "codec.py", lib / "lossedu_codec.py")
    shutil.copyfile(HERE / "confine.py", lib / "lossedu_confine.py")
    return lib


def site_folders() -> list[str]:
    """The environment's site-packages folders (where NumPy, SymPy and matplotlib live)."""
    found = []
    for key in ("purelib", "platlib"):
        path = os.path.realpath(sysconfig.get_path(key))
        if os.path.isdir(path) and path not in found:
            found.append(path)
    import numpy

    numpy_site = os.path.dirname(os.path.dirname(os.path.realpath(numpy.__file__)))
    if numpy_site not in found:
        found.append(numpy_site)
    return found


def _python_binds() -> list[tuple[str, str]]:
    exe = os.path.realpath(sys.executable)
    binds = [(exe, exe)]
    for path in {sysconfig.get_path("stdlib"), sysconfig.get_config_var("DESTSHARED") or ""}:
        real = os.path.realpath(path) if path else ""
        if real and os.path.isdir(real):
            binds.append((real, real))
    libdir = sysconfig.get_config_var("LIBDIR")
    if libdir and os.path.isdir(libdir):
        for entry in os.scandir(libdir):
            if entry.name.startswith("libpython") and ".so" in entry.name:
                binds.append((entry.path, entry.path))
    return binds


def bwrap_command(lib: Path, bwrap: str = "bwrap") -> list[str]:
    """The bubblewrap command line that starts one zygote (the runner's arguments follow it)."""
    cmd = [bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
           "--clearenv", "--setenv", "PATH", "/nonexistent"]
    if os.geteuid() == 0:  # root of the host cannot be mapped again in the nested namespaces: be 1000 in here
        cmd += ["--uid", str(SANDBOX_ID), "--gid", str(SANDBOX_ID)]
    for system in ("/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/lib32"):
        if os.path.islink(system):
            cmd += ["--symlink", os.readlink(system), system]
        elif os.path.isdir(system):
            cmd += ["--ro-bind", system, system]
    if os.path.exists("/etc/ld.so.cache"):
        cmd += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    for source, dest in _python_binds():
        cmd += ["--ro-bind", source, dest]
    for i, site in enumerate(site_folders()):
        dest = f"/sandbox/site{i or ''}"
        cmd += ["--ro-bind", site, dest]
        for name in sorted(os.listdir(site)):
            if name in MASKED or (name.startswith(MASKED) and name.endswith(".dist-info")) \
                    or name.startswith("__editable__"):
                if os.path.isdir(os.path.join(site, name)):
                    cmd += ["--tmpfs", f"{dest}/{name}", "--remount-ro", f"{dest}/{name}"]
    cmd += ["--ro-bind", str(lib), "/sandbox/lib", "--proc", "/proc", "--dev", "/dev", "--dir", "/tmp",
            "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp"]
    return cmd


def runner_command(lib: Path, control_fd: int, sandbox: bool, bwrap: str | None = None) -> list[str]:
    """The full command of one zygote."""
    exe = os.path.realpath(sys.executable)
    if sandbox:
        sites = [f"/sandbox/site{i or ''}" for i in range(len(site_folders()))]
        return bwrap_command(lib, bwrap or "bwrap") + [exe, "-I", "-S", "-B", "/sandbox/lib/lossedu_runner.py",
                                                     str(control_fd), "/sandbox/lib", *sites]
    return [exe, "-I", "-S", "-B", str(lib / "lossedu_runner.py"), str(control_fd), str(lib), *site_folders()]


@lru_cache(maxsize=1)
def unavailable_reason() -> str | None:
    """None when the OS sandbox works here, else why not (one short sentence)."""
    if platform.system() != "Linux":
        return f"it needs Linux namespaces and this is {platform.system()}"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bwrap (bubblewrap) is not installed"
    with tempfile.TemporaryDirectory(prefix="lossedu-probe-") as tmp:
        lib = runtime_folder(Path(tmp))
        probe = ("import ctypes,os,sys; libc=ctypes.CDLL(None,use_errno=True); "
                 "r=libc.unshare(0x10000000|0x00020000|0x20000000); "
                 "sys.exit(0 if r==0 else 40+ctypes.get_errno()%50)")
        cmd = bwrap_command(lib, bwrap) + [os.path.realpath(sys.executable), "-I", "-S", "-c", probe]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"bwrap could not be started ({err})"
    if done.returncode == 0:
        return None
    text = done.stderr.decode(errors="replace").strip().splitlines()
    if done.returncode >= 40 and not text:
        return "user namespaces cannot be nested inside the sandbox (unshare was refused)"
    return f"bwrap failed ({text[-1] if text else f'exit status {done.returncode}'})"


def require_sandbox() -> None:
    """Raise :class:`SandboxUnavailable` with instructions when the OS sandbox cannot be created."""
    why = unavailable_reason()
    if why is not None:
        raise SandboxUnavailable(ENABLE_HELP.format(why=why))


# --------------------------------------------------------------------------- zygotes
@dataclass
class RunStatus:
    """What the monitor observed about one run (or why the run could not happen)."""

    exit_code: int | None = None
    signal: int | None = None
    timed_out: bool = False
    cpu: float = 0.0
    maxrss_kb: int = 0
    error: str = ""


def parse_status(data: bytes) -> RunStatus:
    """The monitor's report; anything malformed is a run the sandbox lost."""
    try:
        raw = json.loads(data.decode())
        if not isinstance(raw, dict):
            raise ValueError("not an object")
        if raw.get("error"):
            return RunStatus(error=str(raw["error"])[:500])
        status = raw["status"]
        if not isinstance(status, int):
            raise ValueError("no status")
        return RunStatus(exit_code=os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else None,
                         signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                         timed_out=raw.get("timed_out") is True, cpu=float(raw.get("cpu", 0.0)),
                         maxrss_kb=int(raw.get("maxrss_kb", 0)))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        return RunStatus(error=f"the sandbox did not report how the run ended ({err})")


@dataclass
class Zygote:
    """One warm runner process (inside bubblewrap unless ``sandbox`` is False)."""

    lib: Path
    sandbox: bool
    setup: dict[str, Any]
    proc: subprocess.Popen | None = None
    sock: socket.socket | None = None
    busy: bool = False
    log: Any = field(default=None, repr=False)

    def start(self) -> None:
        parent, child = socket.socketpair()
        self.log = tempfile.TemporaryFile()
        cmd = runner_command(self.lib, child.fileno(), self.sandbox, shutil.which("bwrap"))
        self.proc = subprocess.Popen(cmd, pass_fds=[child.fileno()], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.log, start_new_session=True)
        child.close()
        self.sock = parent
        self._send(self.setup, [])

    def wait_ready(self, timeout: float = 300.0) -> None:
        assert self.sock is not None and self.proc is not None
        self.sock.settimeout(timeout)
        try:
            line = self.sock.recv(16)
        except OSError:
            line = b""
        self.sock.settimeout(None)
        if line != b"ready\n":
            self.stop()
            self.log.seek(0)
            tail = self.log.read()[-2000:].decode(errors="replace").strip()
            raise SandboxUnavailable(ENABLE_HELP.format(why=f"the sandboxed runner did not start ({tail or 'no output'})")
                                     if self.sandbox else f"the grading runner did not start: {tail or 'no output'}")

    def _send(self, data: dict[str, Any], fds: list[int]) -> None:
        assert self.sock is not None
        payload = json.dumps(data, allow_nan=False, separators=(",", ":")).encode()
        socket.send_fds(self.sock, [struct.pack("!Q", len(payload))], fds)
        self.sock.sendall(payload)

    def run(self, job: dict[str, Any]) -> tuple[int, int, int, int]:
        """Send one job; returns the read ends (messages, stdout, stderr, status)."""
        pipes = [os.pipe() for _ in range(4)]
        try:
            self._send({**job, "isolate": self.sandbox}, [w for _, w in pipes])
        finally:
            for _, w in pipes:
                os.close(w)
        self.busy = True
        return tuple(r for r, _ in pipes)  # type: ignore[return-value]

    def stop(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()
            self.proc = None
        self.busy = False


def start_zygotes(count: int, lib: Path, sandbox: bool, setup: dict[str, Any]) -> list[Zygote]:
    """Start ``count`` zygotes at once and wait until each is warm."""
    zygotes = [Zygote(lib, sandbox, setup) for _ in range(count)]
    started = time.monotonic()
    try:
        for zygote in zygotes:
            zygote.start()
        for zygote in zygotes:
            zygote.wait_ready(max(30.0, 300.0 - (time.monotonic() - started)))
    except BaseException:
        for zygote in zygotes:
            zygote.stop()
        raise
    return zygotes

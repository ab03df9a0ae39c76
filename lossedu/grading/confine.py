"""Fences inside a sandboxed child: no new processes, no signals, no writes outside its folder.

They are installed after the resource limits and before any submission code runs. They stop
what a notebook does through Python (``os.fork``, ``subprocess``, ``os.kill``, ``open`` for
writing, ``os.remove`` ...); the user switch to ``nobody`` (when the grader runs as root) and
the process-group kill stop the rest.
"""
from __future__ import annotations

import io
import os
import resource
from typing import Any, Callable

import _posixsubprocess

NOBODY = 65534


def _refuse(*args: Any, **kwargs: Any) -> None:
    raise PermissionError("creating or signalling processes is not allowed while grading")


def block_processes() -> None:
    names = ["fork", "forkpty", "system", "popen", "posix_spawn", "posix_spawnp", "kill", "killpg",
             "execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "execlpe",
             "spawnv", "spawnve", "spawnvp", "spawnvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe"]
    import posix
    import subprocess

    for module in (os, posix):
        for name in names:
            if hasattr(module, name):
                setattr(module, name, _refuse)
    _posixsubprocess.fork_exec = _refuse
    subprocess.Popen._execute_child = _refuse  # type: ignore[method-assign]
    if hasattr(subprocess, "_fork_exec"):
        subprocess._fork_exec = _refuse


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_PATH_CHANGERS = ["remove", "unlink", "rmdir", "mkdir", "makedirs", "rename", "renames", "replace",
                  "chmod", "chown", "lchown", "symlink", "link", "truncate", "mkfifo", "mknod", "utime"]


def confine_writes(workdir: str) -> None:
    """Refuse writes and file-system changes outside ``workdir`` (a second fence after the user switch)."""
    import builtins

    root = os.path.realpath(workdir)
    allowed = (root + os.sep, os.devnull)

    def inside(path: Any) -> bool:
        if isinstance(path, int):
            return True  # an already open descriptor
        real = os.path.realpath(os.fsdecode(path))
        return real == root or real.startswith(allowed)

    def refuse(path: Any) -> None:
        raise PermissionError(f"writing outside the grading folder is not allowed: {os.fsdecode(path)!r}")

    real_open, real_os_open = builtins.open, os.open

    def guarded_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(ch in str(mode) for ch in "wax+") and not inside(file):
            refuse(file)
        return real_open(file, mode, *args, **kwargs)

    def guarded_os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if (flags & _WRITE_FLAGS or kwargs.get("dir_fd") is not None) and not inside(path):
            refuse(path)
        return real_os_open(path, flags, *args, **kwargs)

    def guard(fn: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(*args: Any, **kwargs: Any) -> Any:
            paths = [a for a in args if isinstance(a, (str, bytes, os.PathLike))]
            if kwargs.get("dir_fd") is not None or any(not inside(p) for p in paths):
                refuse(paths[0] if paths else "?")
            return fn(*args, **kwargs)
        return guarded

    builtins.open = io.open = guarded_open
    os.open = guarded_os_open
    for name in _PATH_CHANGERS:
        if hasattr(os, name):
            setattr(os, name, guard(getattr(os, name)))


def _others_can_read(path: str) -> bool:
    """True when a user other than the owner can reach and read ``path`` (mode bits only)."""
    path = os.path.abspath(path)
    try:
        if not os.stat(path).st_mode & 0o004:
            return False
        while True:
            if not os.stat(path).st_mode & 0o001:
                return False
            parent = os.path.dirname(path)
            if parent == path:
                return True
            path = parent
    except OSError:
        return False


def can_drop_privileges() -> bool:
    """True when running as root and ``nobody`` could still import Python's modules."""
    if os.geteuid() != 0:
        return False
    import sysconfig

    paths = {sysconfig.get_path(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    paths |= {os.path.dirname(os.__file__), os.path.dirname(os.path.dirname(__file__))}
    return all(_others_can_read(p) for p in paths if p and os.path.isdir(p))


def drop_privileges(workdir: str) -> None:
    for root, dirs, files in os.walk(workdir):
        for name in [root] + [os.path.join(root, n) for n in dirs + files]:
            os.chown(name, NOBODY, NOBODY)
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))

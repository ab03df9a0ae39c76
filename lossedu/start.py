"""``lossedu start``: open the course in JupyterLab, in the learner's own workspace.

::

    lossedu start [DIR] [--refresh NAME]... [--no-lab] [JUPYTERLAB OPTIONS...]

DIR (default ``lossedu-course`` in the current folder) receives the learner's copies of the lessons
and exercise sets (see :mod:`lossedu.workspace`); JupyterLab then opens there at the start page.
Options it does not know go to JupyterLab (``--no-browser``, ``--port 8890``, ...).

JupyterLab runs with this environment's ``bin`` folder first on ``PATH``, so ``lossedu progress``
works in JupyterLab's terminals as well.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from lossedu import workspace as ws

__all__ = ["DEFAULT_DIR", "START_PAGE", "lab_command", "lab_environment", "terminal_shell",
           "start_main"]

DEFAULT_DIR = "lossedu-course"
START_PAGE = "lessons/00_start_here.ipynb"
#: JupyterLab configuration written into the workspace (the terminals' shell command).
LAB_CONFIG = ".lossedu-jupyter-config.json"


def lab_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with this Python's ``bin`` folder first on ``PATH``."""
    env = dict(os.environ if env is None else env)
    bin_dir = str(Path(sys.executable).parent)
    parts = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != bin_dir]
    env["PATH"] = os.pathsep.join([bin_dir, *parts])
    return env


def terminal_shell(bin_dir: str | None = None, shell: str | None = None) -> list[str]:
    """The command JupyterLab's terminals run: a login shell that then puts ``bin_dir`` first.

    When JupyterLab is not started from a terminal (a desktop launcher, a hub, a test) it runs
    terminals as login shells, and a login profile may reset ``PATH`` (Debian's does for root),
    dropping the environment ``lossedu`` lives in. So the login shell reads the profile, puts
    ``bin_dir`` back in front and hands over to an interactive shell.
    """
    bin_dir = bin_dir or str(Path(sys.executable).parent)
    shell = shell or os.environ.get("SHELL") or shutil.which("bash") or "/bin/sh"
    script = f'PATH={shlex.quote(bin_dir)}:"$PATH"; export PATH; exec {shlex.quote(shell)} -i'
    return [shell, "-l", "-c", script]


def lab_command(workspace: Path, lab_args: list[str]) -> list[str]:
    """The JupyterLab command line serving ``workspace`` and opening the start page.

    Writes ``workspace/.lossedu-jupyter-config.json`` (the terminals' shell, see
    :func:`terminal_shell`) and points JupyterLab at it.
    """
    args = list(lab_args)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in args:
        args.append("--allow-root")  # containers run as root
    config = workspace / LAB_CONFIG
    settings = {"ServerApp": {"terminado_settings": {"shell_command": terminal_shell()}}}
    config.write_text(json.dumps(settings, indent=1) + "\n")
    return [sys.executable, "-m", "jupyterlab", f"--config={config.resolve()}",
            f"--ServerApp.root_dir={workspace.resolve()}", *args, START_PAGE]


def start_main(argv: list[str] | None = None) -> int:
    """Entry point of ``lossedu start``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="lossedu start",
        description="Copy the course into your own workspace (new notebooks only; your changes "
        "are kept) and open it in JupyterLab. Unknown options go to JupyterLab.",
    )
    parser.add_argument("dir", nargs="?", default=DEFAULT_DIR,
                        help=f"the workspace folder (default: ./{DEFAULT_DIR})")
    parser.add_argument("--refresh", action="append", default=[], metavar="NAME",
                        help="replace your copy of notebook NAME (e.g. 01_from_error_to_objective) "
                        "by the course's version; yours is moved to DIR/backups/ (repeatable)")
    parser.add_argument("--no-lab", action="store_true", help="update the workspace only")
    args, lab_args = parser.parse_known_args(argv)
    if args.dir.startswith("-"):
        parser.error(f"unknown option {args.dir}")
    workspace = Path(args.dir)
    try:
        report = ws.sync(workspace)
        for name in args.refresh:
            fresh, backup = ws.refresh(workspace, name)
            saved = f" (your copy is now {backup})" if backup else ""
            print(f"fresh copy: {fresh}{saved}")
    except (OSError, ValueError) as error:
        print(f"lossedu start: {error}", file=sys.stderr)
        return 2
    print(f"workspace {workspace.resolve()}: {report.summary()}")
    if args.no_lab:
        return 0
    command = lab_command(workspace, lab_args)
    try:
        return subprocess.call(command, env=lab_environment())
    except KeyboardInterrupt:
        return 0

"""The ``lossedu`` command.

Each sub-command lives in the module that owns its work and is imported only when used, so
``lossedu --help`` is instant and ``lossedu progress`` never loads the grader.
"""
from __future__ import annotations

import importlib
import sys

#: sub-command -> (module, function, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "start": ("lossedu.start", "start_main", "copy the course into your workspace and open it in JupyterLab"),
    "progress": ("lossedu.progress_view", "main", "show (or export) a learner's mastery per session and concept"),
    "generate": ("lossedu.authoring", "generate_main", "build exercises/ from solutions/ (--check: fail if out of date)"),
    "execute": ("lossedu.authoring", "execute_main", "re-run notebooks in place in the test environment"),
    "release": ("lossedu.grading.cli", "release_main", "build homework notebooks for chosen sessions"),
    "grade": ("lossedu.grading.cli", "grade_main", "grade a class of submitted notebooks safely, in parallel"),
    "gradescope": ("lossedu.grading.cli", "gradescope_main", "write a Gradescope autograder.zip"),
    "hub-service": ("lossedu.hub.service", "main", "run the class service for JupyterHub (docs/hub.md)"),
    "class": ("lossedu.hub.classview", "main", "the instructor's live view of a session on JupyterHub"),
}


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: lossedu COMMAND [options]   (lossedu COMMAND --help for details)", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, _, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``lossedu COMMAND ...`` to the owning module; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    if args[0] == "--version":
        from lossedu import __version__

        print(f"lossedu {__version__}")
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"lossedu: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, func_name, _ = COMMANDS[name]
    func = getattr(importlib.import_module(module_name), func_name)
    return int(func(rest) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

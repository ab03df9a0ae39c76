"""``lossedu release``, ``lossedu grade`` and ``lossedu gradescope`` (see ``docs/homework.md``).

Each returns 0 on success, also when some submissions failed (their outcomes are in the
outputs), and 2 on a usage error, with a message naming the argument.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def _sessions(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a session is a whole number such as 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"a session number is at least 1, got {value}")
    return value


def _positive(kind: type):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value
    return parse


def _fail(prog: str, message: str) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2


# --------------------------------------------------------------------------- release
def release_main(argv: list[str] | None = None) -> int:
    """``lossedu release --sessions 1 2 --out DIR [--exercises DIR]``."""
    from lossedu.grading.release import ReleaseError, release

    parser = argparse.ArgumentParser(
        prog="lossedu release",
        description="Build the homework notebooks of the chosen sessions from exercises/NN_*.ipynb: setup switched "
                    "to homework mode, a header with instructions and the points of each problem.")
    parser.add_argument("--sessions", type=_sessions, nargs="+", metavar="K", help="session numbers")
    parser.add_argument("--out", type=Path, required=True, help="folder for the student notebooks")
    parser.add_argument("--exercises", type=Path, default=None,
                        help="folder of exercise notebooks (default: exercises/ of this checkout)")
    parser.add_argument("--pack", nargs="?", const="", default=None, metavar="FOLDER",
                        help="release the sessions of a course pack instead (default: the pack named in the "
                             "course configuration): prompts and form-only checks, no references")
    args = parser.parse_args(argv)
    if args.pack is not None:
        from lossedu.grading.pack import PackError, course_pack, release_pack

        folder = Path(args.pack) if args.pack else course_pack()
        if folder is None:
            return _fail(parser.prog, "--pack: no folder given and the course configuration names no [pack] path")
        try:
            written = release_pack(folder, args.out)
        except (PackError, ValueError) as err:
            return _fail(parser.prog, str(err))
        for path in written:
            print(f"wrote {path}")
        return 0
    if not args.sessions:
        return _fail(parser.prog, "--sessions is required (or --pack for a course pack)")
    if args.exercises is None:
        from lossedu.authoring import repo_root

        args.exercises = repo_root() / "exercises"
    if not args.exercises.is_dir():
        return _fail(parser.prog, f"--exercises {args.exercises} is not a folder")
    try:
        written = release(args.sessions, args.out, args.exercises)
    except ReleaseError as err:
        return _fail(parser.prog, str(err))
    for path in written:
        print(f"wrote {path}")
    return 0


# --------------------------------------------------------------------------- grade
class Progress:
    """``graded 120/300 (8.1/s)`` on stderr: rewritten in place on a terminal, a line per 10% otherwise."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.tty = self.stream.isatty()
        self.shown = -1

    def __call__(self, done: int, total: int, reused: int) -> None:
        if done == 0:  # grading starts now (after the grader's warm-up)
            self.start = time.monotonic()
            return
        rate = (done - reused) / max(time.monotonic() - self.start, 1e-9)
        text = f"graded {done}/{total} ({rate:.1f}/s)" + (f", {reused} unchanged" if reused else "")
        step = max(1, total // 10)
        if self.tty:
            self.stream.write("\r" + text + ("\n" if done == total else ""))
        elif done == total or done // step != self.shown:
            self.shown = done // step
            self.stream.write(text + "\n")
        self.stream.flush()


def grade_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lossedu grade",
        description="Grade submitted homework notebooks. Each runs in its own process with time and memory limits; "
                    "only its answers come back. Student ids come from the roster or the file names "
                    "(alice.ipynb or alice/NN_name.ipynb), never from inside a notebook. Re-running skips "
                    "unchanged submissions.")
    parser.add_argument("submissions", nargs="+", type=Path, metavar="SUBMISSIONS",
                        help="notebooks and/or folders of notebooks")
    parser.add_argument("--out", type=Path, required=True,
                        help="output folder: gradebook.csv, results.json, feedback/, report.md, report.png")
    parser.add_argument("--roster", type=Path, help="CSV with a file column and a student id column")
    parser.add_argument("--jobs", type=_positive(int), default=os.cpu_count() or 1,
                        help="submissions graded at once (default: number of CPUs)")
    parser.add_argument("--timeout", type=_positive(float), default=10.0, help="seconds per submission (default 10)")
    parser.add_argument("--memory-mb", type=_positive(int), default=1024,
                        help="memory per submission beyond the grader's own, in MB (default 1024)")
    parser.add_argument("--sessions", type=_sessions, nargs="+", metavar="K",
                        help="sessions to grade (default: every session answered in the batch)")
    parser.add_argument("--seed", type=int, help="secret seed of function inputs, to reproduce a run (see results.json)")
    parser.add_argument("--call-budget", type=_positive(float), default=2.0,
                        help="seconds per call of a student's function (default 2)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="grade without the OS sandbox (bubblewrap) when it cannot be created here; only the "
                             "Python-level fences remain. Recorded in results.json and the report.")
    return parser


def grade_main(argv: list[str] | None = None) -> int:
    """``lossedu grade SUBMISSIONS... --out DIR [options]``."""
    from lossedu.grading import grade
    from lossedu.grading.collect import RosterError
    from lossedu.grading.isolation import SandboxUnavailable

    parser = grade_parser()
    args = parser.parse_args(argv)
    if args.memory_mb < 64:
        return _fail(parser.prog, f"--memory-mb must be at least 64, got {args.memory_mb}")
    try:
        summary = grade(args.submissions, args.out, roster=args.roster, jobs=args.jobs, timeout=args.timeout,
                        memory_mb=args.memory_mb, sessions=tuple(args.sessions) if args.sessions else None,
                        seed=args.seed, call_budget=args.call_budget, sandbox=not args.no_sandbox,
                        progress=Progress())
    except (RosterError, FileNotFoundError, ValueError, SandboxUnavailable) as err:
        return _fail(parser.prog, str(err))
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.counts.items()))
    print(f"{summary.notebooks} notebooks of {summary.students} students ({counts}); "
          f"{summary.reused} unchanged; {summary.seconds:.1f} s. Outputs in {summary.out}/ (seed {summary.seed}).")
    if args.no_sandbox:
        print("WARNING: graded with --no-sandbox: submissions ran without the OS sandbox (no PID, mount or network "
              "isolation); this is recorded in results.json and report.md.")
    return 0


# --------------------------------------------------------------------------- gradescope
def gradescope_main(argv: list[str] | None = None) -> int:
    """``lossedu gradescope --sessions 1 --out autograder.zip``."""
    from lossedu.grading.gradescope import ID_FIELDS, build

    parser = argparse.ArgumentParser(
        prog="lossedu gradescope",
        description="Write a Gradescope autograder zip (setup.sh, run_autograder, the bundled lossedu source) "
                    "that grades an uploaded notebook for the chosen sessions.")
    parser.add_argument("--sessions", type=_sessions, nargs="+", required=True, metavar="K", help="session numbers")
    parser.add_argument("--out", type=Path, required=True, help="the zip file to write, e.g. autograder.zip")
    parser.add_argument("--timeout", type=_positive(float), default=60.0, help="seconds per submission (default 60)")
    parser.add_argument("--memory-mb", type=_positive(int), default=1024, help="memory per submission in MB")
    parser.add_argument("--id-field", choices=ID_FIELDS, default="email",
                        help="which field of the submitter in submission_metadata.json is the student id (default email)")
    args = parser.parse_args(argv)
    if args.out.suffix != ".zip":
        return _fail(parser.prog, f"--out must name a .zip file, got {args.out}")
    try:
        path = build(args.sessions, args.out, args.timeout, args.memory_mb, args.id_field)
    except ValueError as err:
        return _fail(parser.prog, str(err))
    print(f"wrote {path}: upload it as the autograder of a Gradescope programming assignment")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(grade_main())

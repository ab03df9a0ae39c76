"""Grade a batch of submissions: sandbox each one, judge what it sent, keep one record each.

For each submission the grader

1. reads the notebook with :mod:`json` (a broken file is ``invalid-notebook`` at once),
2. draws the inputs for this student's function problems from the run's secret seed,
3. forks a sandboxed child that runs the cells (:mod:`lossedu.grading.harness`),
4. classifies how the child ended (``ok``, ``timeout``, ``memory``, ``crashed``),
5. judges the last answer per problem in a forked judge (trusted grader code, data only),
   reusing earlier Results for identical answers to identical numbers,
6. writes ``submissions/<student>__<hash>.json`` atomically.

A record whose key (SHA-256 of the notebook bytes, the student id, the grader version and the
settings) matches is reused, so re-running a batch grades only new or changed notebooks.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from lossedu import problems
from lossedu.checking.functions import test_inputs
from lossedu.grading import harness, judging
from lossedu.grading.collect import NotebookError, Submission, code_cells
from lossedu.grading.sandbox import ChildReport, Limits, Scheduler
from lossedu.result import UNDECIDED, Result

GRADER_VERSION = "1"
OK, TIMEOUT, MEMORY, CRASHED, INVALID_NOTEBOOK = "ok", "timeout", "memory", "crashed", "invalid-notebook"
OUTCOMES = (OK, TIMEOUT, MEMORY, CRASHED, INVALID_NOTEBOOK)


@dataclass(frozen=True)
class Settings:
    """What a grading run depends on (all of it enters each submission's key)."""

    seed: int
    sessions: tuple[int, ...] | None = None
    timeout: float = 10.0
    memory_mb: int = 1024
    call_budget: float = 2.0
    drop_privileges: bool = True

    def key(self, digest: str, student: str) -> str:
        text = json.dumps({"v": GRADER_VERSION, "sha256": digest, "student": student, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- inputs and warm-up
def function_problems(sessions: tuple[int, ...] | None) -> list[problems.Problem]:
    """The function problems of ``sessions`` (all sessions when None)."""
    chosen = sessions if sessions is not None else tuple(problems.sessions())
    return [p for k in chosen for p in problems.session_problems(k) if p.kind == "function"]


def draw_inputs(seed: int, student: str, sessions: tuple[int, ...] | None) -> dict[str, list[dict]]:
    """Inputs for each function problem, from ``SHA-256(seed|student|problem)``: secret until grading."""
    inputs = {}
    for problem in function_problems(sessions):
        digest = hashlib.sha256(f"{seed}|{student}|{problem.id}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
        inputs[problem.id] = test_inputs(problem.variant(student), rng)  # + mixed-scale batches
    return inputs


def warm_up(sessions: tuple[int, ...] | None = None) -> None:
    """Import and exercise what children use (for ``sessions``, default all), so each fork starts warm."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import lossedu.exercise  # noqa: F401
    import lossedu.checking.judge  # noqa: F401
    from lossedu.checking.symbolic import to_expr

    chosen = sessions if sessions is not None else tuple(problems.sessions())
    for problem in [p for k in chosen for p in problems.session_problems(k)]:
        problem.variant("warm-up").params  # noqa: B018 - samplers import lazily
        if problem.kind in ("expression", "steps"):
            problems.check(problem.id, "0", student="warm-up")
            to_expr("0", problem.variables)
    warm_notebooks(chosen)


def solution_notebooks(sessions: tuple[int, ...], folder: Path | None = None) -> list[Path]:
    """The course's solution notebooks of ``sessions`` (``solutions/NN_*.ipynb``), those that exist."""
    if folder is None:
        from lossedu.authoring import repo_root

        folder = repo_root() / "solutions"
    return [path for k in sessions for path in sorted(Path(folder).glob(f"{k:02d}_*.ipynb"))]


def warm_notebooks(sessions: tuple[int, ...], folder: Path | None = None, budget: float = 20.0) -> int:
    """Run the course's own solution notebooks once in the grading process, answers discarded.

    Submissions repeat the notebooks' work (SymPy derivations, NumPy set-up); SymPy caches its
    intermediate results and imports parts of itself on first use, so a child forked after this
    runs a submission's derivations several times faster. Only the course's notebooks are run here,
    never a submission: in homework mode (nothing stored), in a temporary ``LOSSEDU_HOME``, output
    hidden, each cell's errors ignored, at most ``budget`` seconds per notebook. Returns how many
    notebooks ran (0 when the solutions are not installed, e.g. inside the Gradescope bundle).
    """
    import contextlib
    import io
    import tempfile

    import lossedu.exercise as exercise
    from lossedu.grading.collect import code_cells
    from lossedu.grading.release import homework_setup

    paths = solution_notebooks(sessions, folder)
    if not paths:
        return 0
    saved_env = {k: os.environ.get(k) for k in ("LOSSEDU_HOME", "LOSSEDU_STUDENT")}
    saved_capture = exercise.get_capture()
    timed = threading.current_thread() is threading.main_thread()  # signals work in the main thread only
    previous = signal.signal(signal.SIGALRM, harness._on_alarm) if timed else None
    ran = 0
    try:
        with tempfile.TemporaryDirectory(prefix="lossedu-warm-") as home, \
                contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            os.environ.update(LOSSEDU_HOME=home, LOSSEDU_STUDENT="warm-up")
            exercise.set_capture(lambda problem_id, answer: None)
            for path in paths:
                try:
                    cells = code_cells(path.read_bytes())
                except (OSError, NotebookError):
                    continue
                namespace = harness.fresh_namespace()
                if timed:
                    signal.setitimer(signal.ITIMER_REAL, budget)
                try:
                    for source in cells:
                        try:
                            exec(compile(harness.transform(homework_setup(source)), str(path), "exec"), namespace)  # noqa: S102
                        except Exception:  # noqa: BLE001 - warming is best effort
                            pass
                except harness.CallBudgetExceeded:
                    pass
                finally:
                    if timed:
                        signal.setitimer(signal.ITIMER_REAL, 0)
                namespace.clear()
                ran += 1
    finally:
        if timed:
            signal.signal(signal.SIGALRM, previous)
        exercise.set_capture(saved_capture)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        pyplot = __import__("sys").modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close("all")
    return ran


# --------------------------------------------------------------------------- outcomes
def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def classify(report: ChildReport, limits: Limits) -> tuple[str, str]:
    """(outcome, readable message) of a finished sandboxed child."""
    cells = [m["i"] for m in report.messages if m.get("type") == "cell" and isinstance(m.get("i"), int)]
    where = f" in cell {cells[-1]}" if cells else ""
    errors = [m for m in report.messages if m.get("type") == "error"]
    memory = [m for m in errors if str(m.get("error", "")).endswith("MemoryError")]
    done = any(m.get("type") == "done" for m in report.messages)
    if report.timed_out:
        return TIMEOUT, f"stopped after the time limit of {limits.timeout:g} s{where}; answers checked before then were graded"
    if report.signal == signal.SIGXCPU:
        return TIMEOUT, f"used more than the CPU-time limit{where}; answers checked before then were graded"
    if report.overflow:
        return CRASHED, f"sent more than {limits.message_bytes // 2**20} MB of answers{where} and was stopped"
    if memory:
        cell = memory[0].get("i")
        return MEMORY, f"cell {cell} exceeded the memory limit of {limits.memory_mb} MB; later cells still ran" if done \
            else f"exceeded the memory limit of {limits.memory_mb} MB in cell {cell}"
    if report.signal is not None:
        return CRASHED, f"the process died from {_signal_name(report.signal)}{where}; answers checked before then were graded"
    if not done and report.exit_code == 70:
        return CRASHED, f"the grading harness failed{where}: {report.stderr.strip().splitlines()[-1:] or '?'}"
    if not done:
        return CRASHED, (f"the notebook ended the grading process early{where} (os._exit or a fatal error, exit "
                         f"code {report.exit_code}); answers checked before then were graded")
    return OK, "all cells ran" + (f"; {len(errors)} cell(s) raised an error" if errors else "")


def last_answers(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The last answer or function message per problem id (the one that counts)."""
    found: dict[str, dict[str, Any]] = {}
    for message in messages:
        if message.get("type") in ("answer", "function") and isinstance(message.get("pid"), str):
            found[message["pid"]] = message
    return found


# --------------------------------------------------------------------------- one batch
def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", text)[:80] or "_"


def record_path(out: Path, sub: Submission) -> Path:
    """Where the record of one submission lives inside the output folder."""
    tag = hashlib.sha256(f"{sub.student}\0{sub.label}".encode()).hexdigest()[:10]
    return out / "submissions" / f"{_safe(sub.student)}__{tag}.json"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` via a temporary file and ``os.replace`` (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True, allow_nan=False), encoding="utf-8")
    os.replace(tmp, path)


class Batch:
    """Grade ``subs`` into ``out``; ``run()`` returns the records in submission order."""

    def __init__(self, subs: list[Submission], out: Path, settings: Settings, jobs: int,
                 progress: Callable[[int, int, int], None] | None = None) -> None:
        self.subs, self.out, self.settings, self.jobs = subs, Path(out), settings, jobs
        self.limits = Limits(timeout=settings.timeout, memory_mb=settings.memory_mb,
                             drop_privileges=settings.drop_privileges)
        self.progress = progress or (lambda done, total, skipped: None)
        self.records: dict[int, dict[str, Any]] = {}
        self.cache: dict[str, dict[str, Any]] = {}
        self.skipped = 0

    def _finish(self, index: int, record: dict[str, Any]) -> None:
        write_json_atomic(record_path(self.out, self.subs[index]), record)
        self.records[index] = record
        self.progress(len(self.records), len(self.subs), self.skipped)

    def _base(self, sub: Submission, digest: str, key: str) -> dict[str, Any]:
        return {"student": sub.student, "label": sub.label, "path": str(sub.path), "identity": sub.identity,
                "sha256": digest, "key": key, "grader_version": GRADER_VERSION, "seed": self.settings.seed,
                "cell_errors": [], "warnings": [], "stdout": "", "stderr": "", "answers": {}, "duration": 0.0}

    def run(self) -> list[dict[str, Any]]:
        scheduler = Scheduler(self.jobs)
        self.progress(0, len(self.subs), 0)
        for index, sub in enumerate(self.subs):
            self._prepare(scheduler, index, sub)
        scheduler.run()
        return [self.records[i] for i in range(len(self.subs))]

    def _prepare(self, scheduler: Scheduler, index: int, sub: Submission) -> None:
        data = sub.path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        key = self.settings.key(digest, sub.student)
        previous = _load(record_path(self.out, sub))
        if previous is not None and previous.get("key") == key:
            self.skipped += 1
            self.records[index] = previous
            self.progress(len(self.records), len(self.subs), self.skipped)
            return
        record = self._base(sub, digest, key)
        try:
            cells = code_cells(data)
        except NotebookError as err:
            record.update(outcome=INVALID_NOTEBOOK, message=str(err))
            self._finish(index, record)
            return
        try:
            inputs = draw_inputs(self.settings.seed, sub.student, self.settings.sessions)
        except Exception as err:  # noqa: BLE001 - a bank problem must not stop the batch
            inputs = {}
            record["warnings"].append(f"function inputs could not be drawn ({type(err).__name__}: {err})")
        target = _sandbox_target(cells, inputs, sub.student, self.settings.call_budget)
        scheduler.submit(target, lambda report: self._sandboxed(scheduler, index, record, inputs, report),
                         limits=self.limits)

    def _sandboxed(self, scheduler: Scheduler, index: int, record: dict[str, Any], inputs: dict,
                   report: ChildReport) -> None:
        try:
            self._after_sandbox(scheduler, index, record, inputs, report)
        except Exception as err:  # noqa: BLE001 - a grader fault on one notebook must not stop the batch
            record["warnings"].append(f"the grader failed on this notebook ({type(err).__name__}: {err}); regrade it")
            record.setdefault("outcome", CRASHED)
            record.setdefault("message", "the grader failed on this notebook")
            self._finish(index, record)

    def _after_sandbox(self, scheduler: Scheduler, index: int, record: dict[str, Any], inputs: dict,
                       report: ChildReport) -> None:
        outcome, message = classify(report, self.limits)
        record.update(outcome=outcome, message=message, stdout=report.stdout, stderr=report.stderr,
                      duration=round(report.duration, 3))
        record["cell_errors"] = [{"cell": m.get("i"), "error": str(m.get("error"))[:100], "message": str(m.get("message"))[:500]}
                                 for m in report.messages if m.get("type") == "error"][:50]
        record["warnings"] += [str(m.get("message"))[:300] for m in report.messages if m.get("type") == "warning"][:20]
        if report.bad_lines:
            record["warnings"].append(f"{report.bad_lines} malformed message line(s) from the submission were ignored")
        answers = last_answers(report.messages)
        pending = {}
        for pid, msg in answers.items():
            cached = self.cache.get(judging.cache_key(record["student"], msg) or "")
            record["answers"][pid] = {"cell": msg.get("cell"), "kind": msg["type"], "result": cached}
            if cached is None:
                pending[pid] = msg
        if not pending:
            self._finish(index, record)
            return
        student = record["student"]
        scheduler.submit(_judge_target(student, pending, inputs),
                         lambda rep: self._judged(index, record, pending, rep),
                         timeout=60.0 + 20.0 * len(pending), priority=True)

    def _judged(self, index: int, record: dict[str, Any], pending: dict[str, dict], report: ChildReport) -> None:
        got = {m.get("pid"): m for m in report.messages if m.get("type") == "result"}
        for pid, msg in pending.items():
            result = got.get(pid, {}).get("result")
            if not isinstance(result, dict) or not _valid_result(result):
                why = "took too long" if report.timed_out else "stopped unexpectedly"
                result = judging.result_dict(Result(UNDECIDED, problem_id=pid, message=f"the checker {why} on this "
                                                    "answer; it was not marked wrong and needs a manual look"))
            else:
                key = judging.cache_key(record["student"], msg)
                if key:
                    self.cache[key] = result
            record["answers"][pid]["result"] = result
        self._finish(index, record)


def _valid_result(data: dict[str, Any]) -> bool:
    try:
        Result.from_dict(data)
    except (TypeError, ValueError):
        return False
    return True


def _load(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _course_text() -> str | None:
    """The course configuration file's text, read by the grader (the child may not reach it)."""
    path = os.environ.get("LOSSEDU_COURSE", "").strip()
    try:
        return Path(path).read_text(encoding="utf-8") if path else None
    except OSError:
        return None


def _sandbox_target(cells: list[str], inputs: dict, student: str, budget: float) -> Callable[[int], None]:
    course = _course_text()

    def target(fd: int) -> None:
        here = os.getcwd()
        os.environ.update(LOSSEDU_STUDENT=student, LOSSEDU_HOME=os.path.join(here, "home"),
                          MPLCONFIGDIR=os.path.join(here, "mpl"), MPLBACKEND="Agg")
        if course is not None:
            Path(here, "course.toml").write_text(course, encoding="utf-8")
            os.environ["LOSSEDU_COURSE"] = os.path.join(here, "course.toml")
        harness.run_cells(cells, harness.Channel(fd), inputs, budget)
    return target


def _judge_target(student: str, pending: dict[str, dict], inputs: dict) -> Callable[[int], None]:
    def target(fd: int) -> None:
        channel = harness.Channel(fd)
        for pid, msg in pending.items():
            result = judging.judge_message(student, msg, inputs)
            channel.send({"type": "result", "pid": pid, "result": judging.result_dict(result)})
    return target

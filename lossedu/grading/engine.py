"""Grade a batch of submissions: sandbox each one, judge what it sent, keep one record each.

For each submission the grader

1. reads the notebook with :mod:`json` (a broken file is ``invalid-notebook`` at once),
2. draws the inputs for this student's function problems from the run's secret seed,
3. runs the cells in the OS sandbox, on a warm runner (:mod:`lossedu.grading.isolation`, ``shim/``),
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
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from lossedu import problems
from lossedu.checking.functions import test_inputs
from lossedu.grading import jobs, judging
from lossedu.grading.jobs import solution_notebooks  # noqa: F401 - part of this module's interface
from lossedu.grading.collect import MAX_NOTEBOOK_BYTES, NotebookError, Submission, code_cells, oversized
from lossedu.grading.harness import Channel
from lossedu.grading.sandbox import ChildReport, Limits, Scheduler
from lossedu.result import UNDECIDED, Result

GRADER_VERSION = "1"
OK, TIMEOUT, MEMORY, CRASHED, INVALID_NOTEBOOK = "ok", "timeout", "memory", "crashed", "invalid-notebook"
OUTCOMES = (OK, TIMEOUT, MEMORY, CRASHED, INVALID_NOTEBOOK)
#: exit statuses the sandbox's runner uses (lossedu_runner): a cell ran out of memory, the harness
#: itself failed, the notebook called os._exit, the grader closed the channel
EXIT_MEMORY, EXIT_HARNESS, EXIT_ENDED, EXIT_CHANNEL = 3, 70, 71, 75


@dataclass(frozen=True)
class Settings:
    """What a grading run depends on (all of it enters each submission's key)."""

    seed: int
    sessions: tuple[int, ...] | None = None
    timeout: float = 10.0
    memory_mb: int = 1024
    call_budget: float = 2.0
    sandbox: bool = True

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
    """Import and exercise what the judge uses (for ``sessions``, default all), so each judge fork
    starts warm. Submissions never run in this process: they run in the sandbox's zygotes."""
    import lossedu.checking.judge  # noqa: F401
    from lossedu.checking.symbolic import to_expr

    chosen = sessions if sessions is not None else tuple(problems.sessions())
    for problem in [p for k in chosen for p in problems.session_problems(k)]:
        problem.variant("warm-up").params  # noqa: B018 - samplers import lazily
        if problem.kind in ("expression", "steps"):
            problems.check(problem.id, "0", student="warm-up")
            to_expr("0", problem.variables)


# --------------------------------------------------------------------------- outcomes
def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def classify(report: ChildReport, limits: Limits) -> tuple[str, str]:
    """(outcome, readable message) of a finished run, from what the grader itself observed.

    The outcome comes from the wait status, the signal, the wall clock and the byte count of the
    channel, all seen by the grader or by the sandbox's monitor; never from a message of the
    submission (those only say, for the reader, in which cell it happened).
    """
    cells = [m["i"] for m in report.messages if m.get("type") == "cell" and isinstance(m.get("i"), int)]
    where = f" (last cell started: {cells[-1]})" if cells else ""
    if report.sandbox_error:
        return CRASHED, f"the sandbox could not run this notebook ({report.sandbox_error[:300]}); regrade it"
    if report.timed_out:
        return TIMEOUT, f"stopped after the time limit of {limits.timeout:g} s{where}; answers checked before then were graded"
    if report.signal == signal.SIGXCPU:
        return TIMEOUT, f"used more than the CPU-time limit{where}; answers checked before then were graded"
    if report.overflow:
        return CRASHED, f"sent more than {limits.message_bytes // 2**20} MB of answers{where} and was stopped"
    if report.exit_code == EXIT_MEMORY:
        return MEMORY, f"a cell exceeded the memory limit of {limits.memory_mb} MB; the other cells still ran"
    if report.signal is not None:
        return CRASHED, f"the process died from {_signal_name(report.signal)}{where}; answers checked before then were graded"
    if report.exit_code == EXIT_HARNESS:
        return CRASHED, f"the grading harness failed{where}: {report.stderr.strip().splitlines()[-1:] or '?'}"
    if report.exit_code != 0:
        why = "os._exit" if report.exit_code == EXIT_ENDED else f"exit code {report.exit_code}"
        return CRASHED, f"the notebook ended the grading process early{where} ({why}); answers checked before then were graded"
    errors = sum(1 for m in report.messages if m.get("type") == "error")
    return OK, "all cells ran" + (f"; {errors} cell(s) raised an error" if errors else "")


def clean(text: Any, limit: int, name: bool = False) -> str:
    """A submission's words made safe to quote: one line, no control characters or Markdown/HTML
    markup, at most ``limit`` characters; with ``name``, an identifier (an exception's type name)."""
    text = str(text) if isinstance(text, (str, int, float)) else ""
    if name:
        return re.sub(r"[^A-Za-z0-9_.]", "", text)[:limit] or "?"
    text = re.sub(r"[\x00-\x1f\x7f-\x9f]+", " ", text)
    text = re.sub(r"[`|<>]", "'", text)
    return text[:limit] + (" ..." if len(text) > limit else "")


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
        self.limits = Limits(timeout=settings.timeout, memory_mb=settings.memory_mb, drop_privileges=False)
        self.progress = progress or (lambda done, total, skipped: None)
        self.records: dict[int, dict[str, Any]] = {}
        self.cache: dict[str, dict[str, Any]] = {}
        self.skipped = 0
        self.pending: list[tuple[dict[str, Any], Callable[[ChildReport], None]]] = []

    def _finish(self, index: int, record: dict[str, Any]) -> None:
        write_json_atomic(record_path(self.out, self.subs[index]), record)
        self.records[index] = record
        self.progress(len(self.records), len(self.subs), self.skipped)

    def _base(self, sub: Submission, digest: str, key: str) -> dict[str, Any]:
        return {"student": sub.student, "label": sub.label, "path": str(sub.path), "identity": sub.identity,
                "sha256": digest, "key": key, "grader_version": GRADER_VERSION, "seed": self.settings.seed,
                "cell_errors": [], "warnings": [], "stdout": "", "stderr": "", "answers": {}, "duration": 0.0,
                "sandbox": self.settings.sandbox, "notebook_ids": []}

    def run(self) -> list[dict[str, Any]]:
        import shutil
        import tempfile

        from lossedu.grading import isolation

        self.progress(0, len(self.subs), 0)
        root = tempfile.mkdtemp(prefix="lossedu-runtime-")
        zygotes: list[Any] = []
        try:
            scheduler = Scheduler(self.jobs)
            for index, sub in enumerate(self.subs):
                self._prepare(scheduler, index, sub)
            if self.pending:
                chosen = self.settings.sessions or tuple(problems.sessions())
                setup = {"catalog": jobs.catalog("warm-up", chosen), "warm": jobs.warm_cells(chosen)}
                count = min(self.jobs, len(self.pending))
                zygotes = isolation.start_zygotes(count, isolation.runtime_folder(Path(root)), self.settings.sandbox,
                                                  setup)
                scheduler.zygotes = zygotes
                for job, on_done in self.pending:
                    scheduler.submit_job(job, on_done, self.limits)
                self.pending = []
            scheduler.run()
        finally:
            for zygote in zygotes:
                zygote.stop()
            shutil.rmtree(root, ignore_errors=True)
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
        if oversized(data):
            record["warnings"].append(f"the notebook file is {len(data) / 2**20:.0f} MB, over the "
                                      f"{MAX_NOTEBOOK_BYTES // 2**20} MB limit: it was graded on its code (outputs dropped)")
        try:
            inputs = draw_inputs(self.settings.seed, sub.student, self.settings.sessions)
        except Exception as err:  # noqa: BLE001 - a bank problem must not stop the batch
            inputs = {}
            record["warnings"].append(f"function inputs could not be drawn ({type(err).__name__}: {err})")
        ids = jobs.notebook_ids(cells)
        record["notebook_ids"] = ids
        if any(i != sub.student for i in ids):
            record["warnings"].append(f"the notebook sets LOSSEDU_STUDENT={', '.join(ids)} but is graded as "
                                      f"{sub.student}: its numbers were recomputed for {sub.student}")
        job = {"cells": [jobs.to_python(c) for c in cells], "student": sub.student,
               "catalog": jobs.catalog(sub.student, self.settings.sessions),
               "inputs": jobs.scrambled_inputs(inputs, self.settings.seed, sub.student),
               "budget": self.settings.call_budget}
        self.pending.append(
            (job, lambda report: self._sandboxed(scheduler, index, record, inputs, report)))

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
        record["cell_errors"] = [{"cell": m.get("i") if isinstance(m.get("i"), int) else None,
                                  "error": clean(m.get("error"), 60, name=True), "message": clean(m.get("message"), 300)}
                                 for m in report.messages if m.get("type") == "error"][:50]
        record["warnings"] += [clean(m.get("message"), 300) for m in report.messages if m.get("type") == "warning"][:20]
        if report.bad_lines:
            record["warnings"].append(f"{report.bad_lines} malformed message line(s) from the submission were ignored")
        answers = last_answers(report.messages)
        for pid, msg in answers.items():
            if msg.get("type") == "function" and pid in inputs:
                answers[pid] = jobs.unscramble(msg, len(inputs[pid]), self.settings.seed, record["student"])
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


def merge_stored(out: Path, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """This batch's records plus the stored records of every student it did not grade.

    Grading one student again (``lossedu grade subs/alice --out graded/``) thus replaces that
    student's rows and keeps the rest of the gradebook. Stored records of a regraded student
    that this batch no longer has (a notebook removed since) are deleted.
    """
    graded = {r["student"] for r in records}
    current = {record_path(out, Submission(Path(r["path"]), r["student"], r["label"])) for r in records}
    kept = []
    for path in sorted((Path(out) / "submissions").glob("*.json")):
        if path in current:
            continue
        stored = _load(path)
        if not isinstance(stored, dict) or not isinstance(stored.get("student"), str) or "outcome" not in stored:
            continue
        if stored["student"] in graded:
            path.unlink(missing_ok=True)
        else:
            kept.append(stored)
    return kept + records


def _load(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _judge_target(student: str, pending: dict[str, dict], inputs: dict) -> Callable[[int], None]:
    def target(fd: int) -> None:
        channel = Channel(fd)
        for pid, msg in pending.items():
            result = judging.judge_message(student, msg, inputs)
            channel.send({"type": "result", "pid": pid, "result": judging.result_dict(result)})
    return target

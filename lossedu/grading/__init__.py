"""Homework grading: release notebooks, grade a class safely and fast, export the grades.

>>> from lossedu.grading import grade                              # doctest: +SKIP
>>> summary = grade(["submissions/"], "graded/", sessions=(1,))     # doctest: +SKIP
>>> summary.counts                                                  # doctest: +SKIP
{'ok': 118, 'timeout': 1, 'invalid-notebook': 1}

Modules: :mod:`.collect` (find submissions, identity, roster), :mod:`.isolation` (the OS sandbox:
bubblewrap, warm runners, one set of namespaces per submission), ``shim/`` (what runs inside it:
the capture-only ``lossedu`` and the runner), :mod:`.jobs` (the data sent in: cells, parameters,
scrambled inputs), :mod:`.sandbox` (the scheduler: sandboxed runs and forked judges), :mod:`.codec`
(the data that crosses back), :mod:`.judging` (data -> Results), :mod:`.engine` (one batch,
resumable, outcomes), :mod:`.report` and :mod:`.feedback` (outputs), :mod:`.release`,
:mod:`.pack` and :mod:`.forms` (course packs of private problems), :mod:`.gradescope`, :mod:`.cli`.
"""
from __future__ import annotations

import os
import secrets
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

__all__ = ["grade", "GradingSummary", "limit_blas_threads"]


def limit_blas_threads() -> None:
    """One BLAS/OpenMP thread per process (children run in parallel already).

    Sets ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` for anything imported later and, when
    NumPy's OpenBLAS is already loaded, asks it for one thread through its C API.
    """
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"
    try:
        import ctypes

        with open("/proc/self/maps", encoding="utf-8", errors="replace") as handle:
            libs = {line.split()[-1] for line in handle if "openblas" in line and line.rstrip().endswith(".so")}
        for lib in libs:
            dll = ctypes.CDLL(lib)
            for name in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads"):
                if hasattr(dll, name):
                    getattr(dll, name)(1)
                    break
    except OSError:  # no /proc or no loadable library: the environment variables still apply
        pass


@dataclass(frozen=True)
class GradingSummary:
    """What :func:`grade` did: outcome counts, how many were reused, the seed and the output folder."""

    out: Path
    students: int
    notebooks: int
    reused: int
    counts: dict[str, int]
    seed: int
    seconds: float


def _run_seed(out: Path, seed: int | None) -> int:
    import json

    path = out / "run.json"
    if seed is None:
        try:
            seed = int(json.loads(path.read_text(encoding="utf-8"))["seed"])
        except (OSError, ValueError, KeyError, TypeError):
            seed = secrets.randbits(63)
    return seed


def grade(paths: list[str | Path], out: str | Path, *, roster: str | Path | None = None, jobs: int | None = None,
          timeout: float = 10.0, memory_mb: int = 1024, sessions: tuple[int, ...] | None = None,
          seed: int | None = None, call_budget: float = 2.0, sandbox: bool = True,
          progress: Callable[[int, int, int], None] | None = None) -> GradingSummary:
    """Grade every notebook in ``paths`` into ``out`` (see ``docs/homework.md``).

    Parameters
    ----------
    paths : notebooks and/or folders of notebooks (a folder per student is fine).
    out : output folder: ``gradebook.csv``, ``results.json``, ``feedback/``, ``report.md``/``.png``.
    roster : CSV mapping file or folder names to student ids (default: ids from file names).
    jobs : children run at once (default: the number of CPUs).
    timeout, memory_mb : wall-clock seconds and extra memory (MB) per submission.
    sessions : the sessions whose problems are graded (default: those answered in the batch).
    seed : secret seed of the function-answer inputs; default: the one stored in ``out/run.json``
        by a previous run, else a fresh ``secrets.randbits(63)``.
    call_budget : seconds per call of a learner's function.
    sandbox : run each submission in the OS sandbox (bubblewrap; see
        :mod:`lossedu.grading.isolation`). When it cannot be created, :func:`grade` raises
        :class:`~lossedu.grading.isolation.SandboxUnavailable` with how to enable it; ``False``
        (the CLI's ``--no-sandbox``) grades with the Python-level fences only, and says so in
        ``results.json``, the report and the summary.
    progress : ``progress(done, total, reused)`` called as submissions finish.
    """
    import gc
    import time

    from lossedu.grading import collect, engine, feedback, report
    from lossedu.grading.isolation import require_sandbox

    started = time.monotonic()
    out = Path(out)
    if jobs is not None and jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if timeout <= 0 or memory_mb < 64 or call_budget <= 0:
        raise ValueError(f"timeout and call_budget must be positive and memory_mb at least 64, got "
                         f"timeout={timeout}, memory_mb={memory_mb}, call_budget={call_budget}")
    if sandbox:
        require_sandbox()
    from lossedu.grading.pack import course_pack, load_pack

    pack = course_pack()
    if pack is not None:
        load_pack(pack)  # the instructor's private problems join the registry of this process
    mapping = collect.read_roster(Path(roster)) if roster is not None else None
    subs = collect.find_submissions(list(paths), mapping)
    if sessions is not None:
        from lossedu import problems

        unknown = [k for k in sessions if k not in problems.sessions()]
        if unknown:
            raise ValueError(f"sessions must be among {problems.sessions()}, got {list(sessions)}")
    out.mkdir(parents=True, exist_ok=True)
    seed = _run_seed(out, seed)
    settings = engine.Settings(seed=seed, sessions=tuple(sessions) if sessions else None, timeout=float(timeout),
                               memory_mb=int(memory_mb), call_budget=float(call_budget),
                               sandbox=bool(sandbox))
    engine.write_json_atomic(out / "run.json", {"seed": seed, "grader_version": engine.GRADER_VERSION,
                                                "settings": _settings_dict(settings)})
    limit_blas_threads()
    engine.warm_up(settings.sessions)
    gc.collect()
    gc.freeze()  # children then leave the grader's objects alone: far fewer copy-on-write faults
    try:
        batch = engine.Batch(subs, out, settings, jobs or os.cpu_count() or 1, progress)
        records = batch.run()
    finally:
        gc.unfreeze()
    details = collect.read_roster_details(Path(roster)) if roster is not None else {}
    everyone = engine.merge_stored(out, records)
    for record in everyone:
        if record["student"] in details:
            record["roster"] = details[record["student"]]
    cols = report.columns(everyone, settings.sessions)
    rows = report.grades(everyone, cols)
    isolation = "bubblewrap (an OS sandbox per submission)" if sandbox else \
        "NONE: graded with --no-sandbox (Python-level fences only)"
    run = {"seed": seed, "grader_version": engine.GRADER_VERSION, "settings": _settings_dict(settings),
           "sandbox": isolation}
    report.write_gradebook(out / "gradebook.csv", rows, cols)
    report.write_lms(out / "gradebook_lms.csv", rows, cols)
    engine.write_json_atomic(out / "results.json", report.results_document(rows, cols, run))
    feedback.write_feedback(out, rows, cols)
    report.write_report(out, rows, cols, everyone, notes=[f"Sandbox: {isolation}."])
    counts = dict(Counter(r["outcome"] for r in records))
    return GradingSummary(out, len(rows), len(records), batch.skipped, counts, seed, time.monotonic() - started)


def _settings_dict(settings: Any) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(settings)
    data.pop("seed")
    data["sessions"] = list(settings.sessions) if settings.sessions else None
    return data

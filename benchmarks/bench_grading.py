"""Throughput of homework grading: submissions per second on a synthetic class.

    python benchmarks/bench_grading.py            # N = 200 and N = 1000
    python benchmarks/bench_grading.py 300 --jobs 2
    python benchmarks/bench_grading.py 200 --startup      # bwrap and warm-runner start-up costs too
    python benchmarks/bench_grading.py 200 --no-sandbox   # the same class without the OS sandbox

The class is generated from the course's real solution notebooks, ``solutions/01_*.ipynb`` and
``solutions/02_*.ipynb`` (one notebook per submission, the two sessions alternating; graded as
sessions 1 and 2), with the setup call in homework mode as in a released notebook. 75 % hand in
the solution as it is; 20 % with one wrong answer (a flipped sign, a classmate's number typed in,
an unstable implementation, a wrong pair gradient, an implementation that calls
``lossedu.losses``); 5 % are hostile (an endless loop, a memory bomb, ``os._exit``, corrupt JSON,
a fork bomb, a flood of output).
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = (1, 2)
#: (session, text in the solution, replacement): one wrong answer each
WRONG = [
    (1, 'answer_q1 = "yhat - y"', 'answer_q1 = "y - yhat"'),
    (1, 'answer_q3 = risk.empirical_risk("mse", y_data, p["w0"] * x_data)', "answer_q3 = 0.8125"),
    (1, "answer_q5 = np.mean((p[\"w0\"] * x_data - y_data) * x_data)",
     "answer_q5 = np.sum((p[\"w0\"] * x_data - y_data) * x_data)"),
    (2, 'answer_q1 = "-(y/p - (1 - y)/(1 - p))"', 'answer_q1 = "y/p - (1 - y)/(1 - p)"'),
    (2, "return np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))", "return np.log(1 + np.exp(z)) - y * z"),
    (2, "return np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))", "return losses.bce_with_logits(y, z)"),
    (2, "return np.exp(-np.logaddexp(0.0, -z)) - y", "return y - np.exp(-np.logaddexp(0.0, -z))"),
]
HOSTILE = ["while True:\n    pass", "x = bytearray(8 * 1024**3)", "import os\nos._exit(0)", None,
           "import os\nwhile True:\n    os.fork()", "for _ in range(100):\n    print('x' * 100000)"]


def templates() -> dict[int, dict]:
    """The solution notebook of each benchmarked session, as JSON, with its setup call in homework
    mode as in a released notebook (``lossedu.session(k, homework=True)``)."""
    from lossedu.grading.release import homework_setup

    found = {}
    for k in SESSIONS:
        paths = sorted((ROOT / "solutions").glob(f"{k:02d}_*.ipynb"))
        if not paths:
            raise SystemExit(f"solutions/{k:02d}_*.ipynb not found: the benchmark needs the course's notebooks")
        nb = json.loads(paths[0].read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["source"] = homework_setup("".join(cell["source"]) if isinstance(cell["source"], list)
                                                else cell["source"])
        found[k] = nb
    return found


def _edit(nb: dict, old: str, new: str) -> dict:
    nb = json.loads(json.dumps(nb))
    hits = 0
    for cell in nb["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        hits += source.count(old)
        cell["source"] = source.replace(old, new)
    if hits != 1:
        raise SystemExit(f"the solution notebook changed: {old!r} found {hits} times")
    return nb


def _insert(nb: dict, code: str) -> dict:
    nb = json.loads(json.dumps(nb))
    first = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    nb["cells"].insert(first + 1, {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                                   "source": code})
    return nb


def make_class(folder: Path, n: int, solutions: dict[int, dict], rng: random.Random) -> Counter:
    """Write ``n`` submissions into ``folder``; returns how many of each kind."""
    wrong = {k: [(old, new) for s, old, new in WRONG if s == k] for k in SESSIONS}
    kinds: Counter = Counter()
    for i in range(n):
        k, roll, path = SESSIONS[i % len(SESSIONS)], rng.random(), folder / f"s{i:05d}.ipynb"
        nb = solutions[k]
        if roll < 0.05:
            hostile = rng.choice(HOSTILE)
            kinds["hostile"] += 1
            if hostile is None:
                path.write_text('{"cells": [', encoding="utf-8")
                continue
            nb = _insert(nb, hostile)
        elif roll < 0.25:
            kinds["wrong"] += 1
            nb = _edit(nb, *rng.choice(wrong[k]))
        else:
            kinds["correct"] += 1
        path.write_text(json.dumps(nb), encoding="utf-8")
    return kinds


def startup(sandbox: bool) -> None:
    """Start-up cost of the sandbox: one bare ``bwrap`` + interpreter, and one warm runner."""
    import subprocess

    from lossedu.grading import isolation, jobs

    with tempfile.TemporaryDirectory() as tmp:
        lib = isolation.runtime_folder(Path(tmp))
        if sandbox:
            cmd = isolation.bwrap_command(lib) + [os.path.realpath(sys.executable), "-I", "-S", "-c", "pass"]
            runs = []
            for _ in range(5):
                started = time.perf_counter()
                subprocess.run(cmd, check=True)
                runs.append(time.perf_counter() - started)
            print(f"bwrap + interpreter start (median of 5): {sorted(runs)[2] * 1000:.0f} ms")
        started = time.perf_counter()
        setup = {"catalog": jobs.catalog("warm-up", SESSIONS), "warm": jobs.warm_cells(SESSIONS)}
        [zygote] = isolation.start_zygotes(1, lib, sandbox, setup)
        ready = time.perf_counter() - started
        job = {"cells": ["x = 1"], "student": "bench", "catalog": setup["catalog"], "inputs": {}, "budget": 1.0,
               "limits": {"timeout": 5, "memory_mb": 512, "file_mb": 16}}
        runs = []
        for _ in range(9):
            started = time.perf_counter()
            for fd in zygote.run(job):
                while os.read(fd, 1 << 16):
                    pass
                os.close(fd)
            runs.append(time.perf_counter() - started)
        zygote.stop()
    print(f"warm runner ready: {ready:.1f} s; one empty run in its own namespaces (median of 9): "
          f"{sorted(runs)[4] * 1000:.0f} ms ({'sandbox' if sandbox else 'no sandbox'})")


def bench(n: int, jobs: int, timeout: float, sandbox: bool = True) -> None:
    from lossedu.grading import grade

    solutions = templates()
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "subs"
        subs.mkdir()
        kinds = make_class(subs, n, solutions, random.Random(n))
        started = time.perf_counter()
        summary = grade([subs], Path(tmp) / "out", jobs=jobs, timeout=timeout, memory_mb=512, sessions=SESSIONS,
                        sandbox=sandbox)
        total = time.perf_counter() - started
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.counts.items()))
    made = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    print(f"N = {n:5d}  jobs = {jobs}  {total:6.1f} s  ->  {n / total:5.1f} submissions/s   "
          f"(made: {made}; outcomes: {counts}; from solutions/01 and 02; "
          f"{'OS sandbox' if sandbox else 'no sandbox'})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="*", default=[200, 1000], help="class sizes (default 200 1000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=3.0, help="per-submission limit (default 3 s)")
    parser.add_argument("--no-sandbox", action="store_true", help="grade without the OS sandbox (for comparison)")
    parser.add_argument("--startup", action="store_true", help="also measure the sandbox's start-up costs")
    args = parser.parse_args(argv)
    if args.startup:
        startup(not args.no_sandbox)
    for n in args.n:
        bench(n, args.jobs, args.timeout, sandbox=not args.no_sandbox)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Throughput of homework grading: submissions per second on a synthetic class.

    python benchmarks/bench_grading.py            # N = 200 and N = 1000
    python benchmarks/bench_grading.py 300 --jobs 2

The class is generated from ``solutions/01_*.ipynb`` when it exists (else from a built-in session-1
template): 75 % honest, 20 % with wrong answers (a flipped sign, a missing factor), 5 % hostile
(an endless loop, a memory bomb, ``os._exit``, corrupt JSON, a fork bomb, a flood of output).
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
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = [
    "import lossedu\nex = lossedu.session(1, homework=True)",
    "ex.q1.check('yhat - y')",
    "import sympy\nY, YHAT = sympy.symbols('y yhat', real=True)\nex.q2.check(sympy.sign(YHAT - Y))",
    "p = ex.q3.params\nr1, r2 = p['w0'] * p['x1'] - p['y1'], p['w0'] * p['x2'] - p['y2']\n"
    "ex.q3.check((0.5 * r1**2 + 0.5 * r2**2) / 2)",
    "import sympy\np = ex.q4.params\nw = sympy.Symbol('w')\n"
    "ex.q4.check(((w * p['x1'] - p['y1']) * p['x1'] + (w * p['x2'] - p['y2']) * p['x2']) / 2)",
    "p = ex.q5.params\nr1, r2 = p['w0'] * p['x1'] - p['y1'], p['w0'] * p['x2'] - p['y2']\n"
    "ex.q5.check((r1 * p['x1'] + r2 * p['x2']) / 2)",
]
WRONG = ["ex.q1.check('y - yhat')", "ex.q3.check(2 * (0.5 * r1**2 + 0.5 * r2**2) / 2)" ]
HOSTILE = ["while True:\n    pass", "x = bytearray(8 * 1024**3)", "import os\nos._exit(0)", None,
           "import os\nwhile True:\n    os.fork()", "for _ in range(100):\n    print('x' * 100000)"]


def template() -> tuple[list[str], str]:
    """Code cells of the honest notebook and where they came from."""
    found = sorted((ROOT / "solutions").glob("01_*.ipynb"))
    if found:
        nb = json.loads(found[0].read_text(encoding="utf-8"))
        cells = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                 for c in nb["cells"] if c["cell_type"] == "code"]
        return cells, str(found[0].relative_to(ROOT))
    return TEMPLATE, "built-in session-1 template"


def notebook(cells: list[str]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": c} for c in cells]})


def make_class(folder: Path, n: int, honest: list[str], rng: random.Random) -> None:
    for i in range(n):
        roll = rng.random()
        cells = list(honest)
        if roll < 0.05:
            hostile = HOSTILE[i % len(HOSTILE)]
            if hostile is None:
                (folder / f"s{i:05d}.ipynb").write_text('{"cells": [', encoding="utf-8")
                continue
            cells.insert(2, hostile)
        elif roll < 0.25:
            cells.append(rng.choice(WRONG))
        (folder / f"s{i:05d}.ipynb").write_text(notebook(cells), encoding="utf-8")


def bench(n: int, jobs: int, timeout: float) -> None:
    from lossedu.grading import grade

    honest, source = template()
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "subs"
        subs.mkdir()
        make_class(subs, n, honest, random.Random(n))
        started = time.perf_counter()
        summary = grade([subs], Path(tmp) / "out", jobs=jobs, timeout=timeout, memory_mb=512, sessions=(1,))
        total = time.perf_counter() - started
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.counts.items()))
    print(f"N = {n:5d}  jobs = {jobs}  {total:6.1f} s  ->  {n / total:5.1f} submissions/s   ({counts}; from {source})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="*", default=[200, 1000], help="class sizes (default 200 1000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=3.0, help="per-submission limit (default 3 s)")
    args = parser.parse_args(argv)
    for n in args.n:
        bench(n, args.jobs, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

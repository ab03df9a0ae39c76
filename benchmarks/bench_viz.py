"""Time one update (move the artists and render the image) of every lesson figure.

    .venv/bin/python benchmarks/bench_viz.py [--updates 30]

Each figure is driven through a sweep of its first control's range, the way a learner moves a
slider; the table gives the median and 90th percentile of the wall time per update and where
it goes (``cpu``: the thread's CPU time, which a busy machine inflates less than wall time):
``draw`` (the figure's own computation and artist updates), ``render`` (matplotlib
drawing the figure) and ``encode`` (PNG encoding). Target: median <= 50 ms for every figure.
"""
from __future__ import annotations

import argparse
import statistics
import time

import ipywidgets as widgets
import numpy as np

TARGET_MS = 50.0


def lesson_figures():
    """(name, factory) of every figure the lessons show."""
    from lossedu.problems import s6
    from lossedu.viz import capstone, classification, design, margins, optim, regression

    return [
        ("regression.outlier_fit", regression.outlier_fit),
        ("regression.risk_curve", regression.risk_curve),
        ("classification.bce_curve", classification.bce_curve),
        ("classification.softmax_explorer", classification.softmax_explorer),
        ("margins.loss_vs_margin", margins.loss_vs_margin),
        ("design.class_weight_threshold", design.class_weight_threshold),
        ("design.label_smoothing_target", design.label_smoothing_target),
        ("optim.descent_paths", optim.descent_paths),
        ("capstone.threshold_explorer", lambda: capstone.threshold_explorer(s6.CANONICAL)),
    ]


def sweep(control: widgets.ValueWidget, n: int) -> list:
    """n values across the control's range (a slider) or cycling through its options."""
    if hasattr(control, "min") and hasattr(control, "max"):
        values = np.linspace(control.min, control.max, n)
        return [type(control.value)(v) for v in values]
    options = [o[1] if isinstance(o, tuple) else o for o in control.options]
    return [options[i % len(options)] for i in range(n)]


def bench(factory, updates: int) -> dict[str, float]:
    live = factory()
    name, control = next(iter(live.controls.items()))
    totals, cpu, parts = [], [], {"draw": [], "render": [], "encode": []}
    for value in sweep(control, updates):
        start, start_cpu = time.perf_counter(), time.thread_time()
        live.update(**{name: value})
        totals.append((time.perf_counter() - start) * 1000.0)
        cpu.append((time.thread_time() - start_cpu) * 1000.0)
        for key in parts:
            parts[key].append(getattr(live, "timings", {}).get(key, float("nan")))
    return {
        "median": statistics.median(totals),
        "p90": float(np.percentile(totals, 90)),
        "cpu": statistics.median(cpu),
        **{key: statistics.median(v) for key, v in parts.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=30)
    args = parser.parse_args()
    header = (f"{'figure':34s} {'median':>7s} {'p90':>7s} {'cpu':>6s} {'draw':>6s} {'render':>7s}"
              f" {'encode':>7s}  (ms)")
    print(header)
    print("-" * len(header))
    worst = 0.0
    for name, factory in lesson_figures():
        r = bench(factory, args.updates)
        worst = max(worst, r["median"])
        print(f"{name:34s} {r['median']:7.1f} {r['p90']:7.1f} {r['cpu']:6.1f} {r['draw']:6.1f} "
              f"{r['render']:7.1f} {r['encode']:7.1f}")
    verdict = "meets" if worst <= TARGET_MS else "MISSES"
    print(f"\nworst median {worst:.1f} ms: {verdict} the target of {TARGET_MS:.0f} ms per update")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Latency of ``lossedu.check`` over the whole problem bank, for correct and for wrong answers.

Run:  .venv/bin/python benchmarks/bench_check.py [--repeat N]

The reference tables are built first; one pass over all answers (timed and reported as "first
sight": SymPy has not seen these answers yet) warms SymPy's own caches; then every problem is checked ``N`` times with a
correct answer and with a wrong one (its first catalogued mistake, or a generic wrong answer),
for the canonical variant and for a learner's variant. Targets: median < 50 ms, p99 < 500 ms,
nothing over the hard limit (``lossedu.checking.judge.HARD_LIMIT``).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import lossedu
from lossedu import problems
from lossedu.checking.judge import HARD_LIMIT
from lossedu.checking.tables import reference_table


def _bce(y, z):
    return np.logaddexp(0.0, z) - y * z


def _bce_grad(y, z):
    return np.exp(-np.logaddexp(0.0, -z)) - y


def _softmax_ce(y, z):
    return np.logaddexp.reduce(z, axis=1) - z[np.arange(len(y)), y]


#: NumPy implementations (the bank's references call lossedu.losses, which gets no credit);
#: a pair problem takes (loss, gradient).
IMPLEMENTATIONS = {"impl.bce_with_logits": _bce, "impl.softmax_cross_entropy": _softmax_ce,
                   "impl.bce_with_logits_grad": (_bce, _bce_grad)}


def correct_answer(variant):
    ref, kind = variant.reference, variant.problem.kind
    if kind == "expression":
        return str(ref)
    if kind == "vector":
        return [str(e) for e in ref]
    if kind == "value":
        return np.asarray(ref).tolist()
    if kind == "function":
        return IMPLEMENTATIONS[variant.id]
    return ref


def wrong_answer(variant):
    problem, kind = variant.problem, variant.problem.kind
    if kind == "function":
        right = IMPLEMENTATIONS[variant.id]
        if isinstance(right, tuple):  # the right loss with twice its gradient
            return right[0], lambda y, z: 2 * right[1](y, z)
        return lambda **kw: 2 * right(**kw)
    if kind == "choice":
        return next(o.key for o in problem.options if not o.correct)
    if problem.mistakes:
        wrong = problem.mistakes[0].answer
        if not callable(wrong):
            return wrong
        wrong = wrong(variant.params)
        if kind == "vector":
            return [str(e) for e in wrong]
        if kind == "value":
            return np.asarray(wrong, dtype=float).tolist()
        return str(wrong)
    if kind == "vector":
        return ["0"] * len(variant.reference)
    if kind == "value":
        return (np.asarray(variant.reference) + 1.0).tolist()
    return "0"


def timings(repeat: int) -> dict[str, list[tuple[str, float, str]]]:
    cases = []
    for p in problems.all_problems():
        for student in (None, "bench-learner"):
            v = p.variant(student)
            cases.append(("correct", p.id, student, correct_answer(v)))
            cases.append(("wrong", p.id, student, wrong_answer(v)))
    for p in problems.all_problems():  # reference tables only: answers not seen yet
        for student in (None, "bench-learner"):
            if p.kind in ("expression", "vector", "steps"):
                reference_table(p.variant(student))
    out: dict[str, list[tuple[str, float, str]]] = {"first sight": [], "correct": [], "wrong": []}
    for _, pid, student, answer in cases:  # warm-up pass, timed as "first sight"
        start = time.perf_counter()
        r = lossedu.check(pid, answer, student=student)
        out["first sight"].append((pid, time.perf_counter() - start, r.status))
    for _ in range(repeat):
        for label, pid, student, answer in cases:
            start = time.perf_counter()
            r = lossedu.check(pid, answer, student=student)
            out[label].append((pid, time.perf_counter() - start, r.status))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = timings(args.repeat)
    print(f"{'answers':<10}{'checks':>8}{'median ms':>12}{'p99 ms':>10}{'max ms':>10}  slowest problem")
    for label, rows in results.items():
        ms = np.array([t for _, t, _ in rows]) * 1000
        slowest = rows[int(np.argmax(ms))][0]
        print(f"{label:<10}{len(ms):>8}{np.median(ms):>12.2f}{np.percentile(ms, 99):>10.1f}"
              f"{ms.max():>10.1f}  {slowest}")
        statuses = sorted({s for _, _, s in rows})
        print(f"{'':<10}statuses: {', '.join(statuses)}")
    worst = max(t for rows in results.values() for _, t, _ in rows)
    print(f"hard limit {HARD_LIMIT:g} s; slowest check {worst * 1000:.1f} ms "
          f"({'within' if worst < HARD_LIMIT else 'OVER'} the limit)")
    print("\nper problem (median ms: correct / wrong, warm; first sight of each answer):")
    for p in problems.all_problems():
        med = [np.median([t for pid, t, _ in results[k] if pid == p.id]) * 1000
               for k in ("correct", "wrong", "first sight")]
        print(f"  {p.id:<28}{med[0]:>8.2f}{med[1]:>8.2f}{med[2]:>8.2f}")


if __name__ == "__main__":
    main()

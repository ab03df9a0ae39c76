"""Load on the class service: simulated learners posting attempts against the service + PostgreSQL.

Run:  .venv/bin/python benchmarks/bench_hub.py [--learners 200,400,800,1600] [--think 1.0] [--seconds 10]

Starts, on 127.0.0.1 and stopped by their PIDs at the end: PostgreSQL 15 (a temporary cluster),
a stub of the JupyterHub API (token -> user, as the hub answers the service's token checks, which
the service caches), and ``lossedu hub-service``. Each simulated learner has its own hub token and
posts one attempt, waits ``--think`` seconds (on average), posts the next, like a kernel's sender.
A classroom learner checks an answer about every 30 s. Stages: the classroom rate itself (200
learners, think 30 s); then ``--learners`` at ``--think 1`` (30 times the classroom rate); then
closed loop (think 0) to find saturation, with one attempt per request, and with 20 per request
(a kernel flushing its queue after an outage). Every stage reports throughput (attempts stored per
second), p50/p99 request latency, failed requests, and lost attempts: after a stage, failed
attempts are resent (as the kernel's queue does) and lost = generated - stored in
PostgreSQL, which must be 0.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import signal
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLASSROOM_THINK_S = 30.0  # a learner checks an answer about every half minute
sys.path.insert(0, str(REPO))

from tests.hub import procs  # noqa: E402  (the same real parts the tests start)


def make_attempt(learner: str, n: int, rng: random.Random) -> dict:
    status = rng.choice(["correct", "incorrect", "incorrect", "invalid"])
    return {"attempt_id": f"{learner}-{n}", "learner": learner, "problem_id": rng.choice(["grad.mse", "grad.mae"]),
            "session": 1, "variant": 0, "status": status, "score": 1.0 if status == "correct" else 0.0,
            "diagnosis": None if status == "correct" else "sign", "answer": "y - yhat", "hints_seen": 0,
            "solution_revealed": False, "practice_only": False,
            "created_at": f"2026-01-01T10:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}+00:00"}


async def learner_loop(client, url: str, name: str, think: float, stop_at: float, rng: random.Random,
                       latencies: list[float], failed: list[dict], made: list[int], batch: int = 1) -> None:
    from tornado.httpclient import HTTPClientError

    n = 0
    await asyncio.sleep(rng.uniform(0, think or 0.01))  # learners do not start in lockstep
    while time.monotonic() < stop_at:
        attempts = [make_attempt(name, n + i, rng) for i in range(batch)]
        n += batch
        made[0] += batch
        t0 = time.perf_counter()
        try:
            await client.fetch(url, method="POST", body=json.dumps({"attempts": attempts}),
                               headers={"Authorization": f"token tok-{name}", "Content-Type": "application/json"},
                               request_timeout=30)
            latencies.extend([time.perf_counter() - t0] * batch)
        except (HTTPClientError, OSError, asyncio.TimeoutError):
            failed.extend(attempts)
        if think:  # never past the end of the stage: the stage's duration is the divisor of throughput
            await asyncio.sleep(min(rng.expovariate(1.0 / think), max(0.0, stop_at - time.monotonic())))


async def resend(client, url: str, failed: list[dict]) -> int:
    """Resend failed attempts one by one until each is acknowledged; return the number of rounds."""
    rounds = 0
    while failed and rounds < 20:
        rounds += 1
        still = []
        for a in failed:
            try:
                await client.fetch(url, method="POST", body=json.dumps({"attempts": [a]}),
                                   headers={"Authorization": f"token tok-{a['learner']}"}, request_timeout=30)
            except Exception:
                still.append(a)
        failed[:] = still
        await asyncio.sleep(0.5)
    return rounds


async def stage(url: str, learners: int, think: float, seconds: float, offset: int, batch: int = 1) -> dict:
    from tornado.httpclient import AsyncHTTPClient

    client = AsyncHTTPClient(force_instance=True, max_clients=min(learners, 256))
    rng = random.Random(learners * 1000 + int(think * 10))
    latencies: list[float] = []
    failed: list[dict] = []
    made = [0]
    stop_at = time.monotonic() + seconds
    t0 = time.perf_counter()
    await asyncio.gather(*(learner_loop(client, url, f"l{offset + i}", think, stop_at, random.Random(rng.random()),
                                        latencies, failed, made, batch) for i in range(learners)))
    elapsed = time.perf_counter() - t0
    n_failed = len(failed)
    await resend(client, url, failed)
    client.close()
    latencies.sort()

    def q(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {"learners": learners, "think": think, "batch": batch, "made": made[0], "ok": len(latencies), "failed": n_failed,
            "unsent": len(failed), "throughput": len(latencies) / elapsed, "p50": q(0.50), "p99": q(0.99)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--learners", default="200,400,800,1600")
    p.add_argument("--think", type=float, default=1.0, help="mean seconds between a learner's attempts")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each stage")
    p.add_argument("--classroom-seconds", type=float, default=30.0, help="length of the first stage (classroom rate)")
    args = p.parse_args()
    sizes = [int(x) for x in args.learners.split(",")]
    # last two stages: closed loop (saturation), then every kernel flushing a queue of 20 at once
    # (as after an outage: the sender sends what is queued in one request)
    plan = ([(sizes[0], CLASSROOM_THINK_S, 1)] + [(n, args.think, 1) for n in sizes]
            + [(sizes[-1], 0.0, 1), (sizes[-1], 0.0, 20)])
    tokens = {f"tok-l{i}": f"l{i}" for i in range(sum(n for n, _, _ in plan))}  # fresh learners each stage
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop what we started also on SIGTERM
    pg = procs.Postgres()
    hub = procs.StubHub(tokens, {"instructors": []})
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="lossedu-bench-hub-"))
    service = None
    try:
        pg.start()
        hub.start()
        db_url = pg.new_database("bench")
        service = procs.Service(db_url, hub.api_url, procs.StubHub.SERVICE_TOKEN, scratch, extra={"LOSSEDU_HUB_SESSION": "1"})
        service.start()
        url = service.url + "api/attempts"
        print(f"class service + PostgreSQL 15 on this machine; think time {args.think:g} s "
              f"(classroom: ~30 s), {args.seconds:g} s per stage")
        print(f"{'learners':>8} {'think s':>7} {'batch':>5} {'sent':>7} {'failed':>6} {'lost':>5} {'attempts/s':>10} "
              f"{'p50 ms':>8} {'p99 ms':>8}")
        import psycopg

        offset = 0
        best = 0.0
        for learners, think, batch in plan:
            with psycopg.connect(db_url, autocommit=True) as conn:
                before = conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
            seconds = args.classroom_seconds if think == CLASSROOM_THINK_S else args.seconds
            r = asyncio.run(stage(url, learners, think, seconds, offset, batch))
            offset += learners
            with psycopg.connect(db_url, autocommit=True) as conn:
                stored = conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] - before
            lost = r["made"] - stored
            print(f"{learners:>8} {think:>7g} {batch:>5} {r['made']:>7} {r['failed']:>6} {lost:>5} {r['throughput']:>10.0f} "
                  f"{r['p50']:>8.1f} {r['p99']:>8.1f}", flush=True)
            if lost:
                print(f"LOST {lost} attempts", file=sys.stderr)
                return 1
            if batch == 1:
                best = max(best, r["throughput"])
        print(f"saturation with one attempt per request: about {best:.0f} attempts/s; a classroom of 200 "
              f"learners needs about {200 / 30:.0f} attempts/s")
    finally:
        if service is not None:
            service.stop()
        hub.stop()
        pg.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The progress store: records, mastery rule, concurrency, crashes, corruption, schema, repair."""
from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from lossedu import config, problems, progress_view
from lossedu import store as progress
from lossedu.store import Gate, ProgressDatabaseError, ProgressStore, gate_for, required_count

REPAIR_TEXT = "lossedu progress --repair"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("LOSSEDU_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LOSSEDU_STUDENT", "tester")
    monkeypatch.delenv("LOSSEDU_COURSE", raising=False)


@pytest.fixture
def store() -> ProgressStore:
    return ProgressStore()


def raw_count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]


# --------------------------------------------------------------------------- records and state
def test_store_lives_in_lossedu_home_and_records_every_field(tmp_path, store):
    assert store.path == tmp_path / "home" / "progress.db"
    row_id = store.record_attempt("ann", "grad.mse", 1, 2, "incorrect", 0.0, "sign", hints_seen=2,
                                  solution_revealed=True, practice_only=True)
    [row] = store.attempts("ann")
    assert row["id"] == row_id
    assert {k: row[k] for k in ("student", "problem_id", "session", "attempt", "status", "score", "diagnosis",
                                "hints_seen", "solution_revealed", "practice_only")} == {
        "student": "ann", "problem_id": "grad.mse", "session": 1, "attempt": 2, "status": "incorrect",
        "score": 0.0, "diagnosis": "sign", "hints_seen": 2, "solution_revealed": 1, "practice_only": 1}
    assert row["created_at"].startswith(str(time.gmtime().tm_year))
    assert store.attempts("someone-else") == []


def test_variant_state_retry_hints_solution_and_restart(store):
    assert store.variant_state("ann", "p") == progress.VariantState(0, 0, False)
    assert store.note_hint("ann", "p") == 1 and store.note_hint("ann", "p") == 2
    store.note_solution("ann", "p")
    assert store.variant_state("ann", "p") == progress.VariantState(0, 2, True)
    assert store.new_variant("ann", "p") == 1
    assert store.variant_state("ann", "p") == progress.VariantState(1, 0, False)  # fresh variant
    assert store.variant_state("bob", "p").attempt == 0  # per learner
    assert ProgressStore().variant_state("ann", "p").attempt == 1  # survives a restart


def test_mastery_needs_a_correct_counted_answer_without_a_revealed_solution(store):
    store.record_attempt("ann", "a", 1, 0, "incorrect", 0.0, "sign")
    store.record_attempt("ann", "b", 1, 0, "correct", 1.0, solution_revealed=True)
    store.record_attempt("ann", "c", 2, 0, "correct", 1.0, practice_only=True)
    store.record_attempt("ann", "d", 1, 0, "undecided", 0.0)
    assert store.mastered("ann") == set()
    store.record_attempt("ann", "b", 1, 1, "correct", 1.0)  # a fresh variant after retry()
    store.record_attempt("ann", "a", 1, 0, "correct", 1.0)
    assert store.mastered("ann") == {"a", "b"}
    assert store.mastered("bob") == set()
    assert store.diagnosis_counts("ann") == {"sign": 1}


# --------------------------------------------------------------------------- gates
def test_required_count_is_the_ceiling_of_the_share():
    assert [required_count(5, 0.8), required_count(6, 0.8), required_count(3, 1.0),
            required_count(10, 0.75), required_count(4, 0.01)] == [4, 5, 3, 8, 1]


def test_gate_lists_exactly_what_remains():
    course = config.CourseConfig()
    ids = ["a", "b", "c", "d", "e"]
    gate = gate_for(2, 1, ids, {"a", "c", "e", "zz"}, course)
    assert gate.locked and gate.required == 4
    assert gate.mastered == ("a", "c", "e") and gate.remaining == ("b", "d")
    text = gate.describe()
    assert "q2, q4" in text and "4 of the 5" in text and "80%" in text and "1 more" in text
    assert gate_for(2, 1, ids, {"a", "b", "c", "d"}, course).state == "unlocked"
    assert gate_for(1, None, [], set(), course).state == "open"
    assert gate_for(3, 2, ids, set(), config.CourseConfig(open_sessions=(1, 3))).state == "open"
    assert gate_for(2, 1, ids, set(), config.CourseConfig(gates_enabled=False)).state == "lifted"
    assert not Gate(2, "lifted").locked


# --------------------------------------------------------------------------- concurrency
def _writer(path: str, worker: int, n: int) -> None:
    store = ProgressStore(path)
    for i in range(n):
        store.record_attempt(f"s{worker}", f"p{i % 7}", 1, i, "incorrect", 0.0, "factor")


def test_eight_processes_writing_500_attempts_each_lose_none(tmp_path):
    path = config.ensure_home() / "progress.db"
    assert not path.exists()  # the workers also race to create the schema
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(str(path), w, 500)) for w in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
    assert [w.exitcode for w in workers] == [0] * 8
    store = ProgressStore()
    assert store.count_attempts() == 4000
    assert raw_count(store.path) == 4000
    with sqlite3.connect(store.path) as conn:
        per = dict(conn.execute("SELECT student, COUNT(*) FROM attempts GROUP BY student").fetchall())
    assert per == {f"s{w}": 500 for w in range(8)}


KILL_SCRIPT = """
import sys, time
from lossedu.store import ProgressStore
store = ProgressStore(sys.argv[1])
if sys.argv[2] == "loop":
    i = 0
    while True:
        i = store.record_attempt("k", "p", 1, i, "correct", 1.0)
        print(i, flush=True)
else:
    for i in range(100):
        store.record_attempt("k", "p", 1, i, "correct", 1.0)
    with store._write() as conn:
        for i in range(50):
            conn.execute("INSERT INTO attempts (student, problem_id, session, attempt, status, score,"
                         " created_at) VALUES ('k', 'uncommitted', 1, 0, 'correct', 1.0, 'now')")
        print("inside", flush=True)
        time.sleep(120)
"""


def _run_and_kill(path: Path, mode: str, until) -> list[str]:
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(path), mode], stdout=subprocess.PIPE,
                            text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if until(lines):
            break
    os.kill(proc.pid, signal.SIGKILL)
    lines += [line.strip() for line in proc.stdout.read().splitlines()]
    assert proc.wait(timeout=30) == -signal.SIGKILL
    return lines


def test_a_writer_killed_mid_loop_leaves_every_committed_row(store):
    lines = _run_and_kill(store.path, "loop", lambda seen: len(seen) >= 300)
    committed = [int(x) for x in lines if x]
    assert len(committed) >= 300
    reopened = ProgressStore(store.path)  # integrity check on open
    ids = {row["id"] for row in reopened.attempts("k")}
    assert set(committed) <= ids
    assert len(ids) <= len(committed) + 1  # at most the one row committed before its id was printed
    reopened.record_attempt("k", "p", 1, 0, "correct", 1.0)


def test_a_writer_killed_inside_a_transaction_leaves_no_partial_write_and_no_lock(store):
    lines = _run_and_kill(store.path, "txn", lambda seen: seen[-1] == "inside")
    assert lines[-1] == "inside"
    reopened = ProgressStore(store.path)
    assert reopened.count_attempts() == 100
    assert all(row["problem_id"] == "p" for row in reopened.attempts("k"))
    start = time.perf_counter()
    reopened.record_attempt("k", "p", 1, 0, "correct", 1.0)  # the dead writer's lock is gone
    assert time.perf_counter() - start < 5
    assert reopened.count_attempts() == 101


# --------------------------------------------------------------------------- corruption
def _assert_recoverable(err: ProgressDatabaseError, path: Path) -> None:
    text = str(err)
    assert isinstance(err, RuntimeError)
    assert str(path) in text and REPAIR_TEXT in text and "nothing is deleted" in text
    assert err.path == path


def test_random_bytes_are_a_clear_error(tmp_path):
    path = tmp_path / "home" / "progress.db"
    path.parent.mkdir()
    path.write_bytes(np.random.default_rng(0).bytes(8192))
    with pytest.raises(ProgressDatabaseError) as info:
        ProgressStore()
    _assert_recoverable(info.value, path)


@pytest.mark.parametrize("keep", [0.5, 0.25, 0.001], ids=["half", "quarter", "header-only"])
def test_a_truncated_database_is_a_clear_error(store, keep):
    for i in range(400):
        store.record_attempt("ann", f"p{i}", 1, i, "incorrect", 0.0, "sign" * 20)
    data = store.path.read_bytes()
    assert len(data) > 20 * 4096
    store.path.write_bytes(data[: max(50, int(len(data) * keep))])
    with pytest.raises(ProgressDatabaseError) as info:
        ProgressStore()
    _assert_recoverable(info.value, store.path)


def test_unusable_locations_are_clear_errors(tmp_path, monkeypatch):
    (tmp_path / "home" / "progress.db").mkdir(parents=True)
    with pytest.raises(ProgressDatabaseError, match="is a directory"):
        ProgressStore()
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("LOSSEDU_HOME", str(tmp_path / "file" / "sub"))
    with pytest.raises(ProgressDatabaseError, match="LOSSEDU_HOME"):
        ProgressStore()


def test_an_empty_file_becomes_a_fresh_store(tmp_path):
    path = tmp_path / "home" / "progress.db"
    path.parent.mkdir()
    path.write_bytes(b"")
    assert ProgressStore().count_attempts() == 0


# --------------------------------------------------------------------------- schema
def test_schema_is_versioned(store):
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("1",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_newer_schema_is_refused_with_a_clear_error(store):
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(ProgressDatabaseError, match=r"schema version 99, newer .*upgrade lossedu"):
        ProgressStore()


def test_foreign_or_wrong_schema_is_refused(tmp_path):
    foreign = tmp_path / "home" / "progress.db"
    foreign.parent.mkdir()
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER)")
    with pytest.raises(ProgressDatabaseError, match="wrong schema") as info:
        ProgressStore()
    _assert_recoverable(info.value, foreign)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        conn.execute("CREATE TABLE attempts (id INTEGER)")
    with pytest.raises(ProgressDatabaseError, match="wrong schema .*attempts lacks"):
        ProgressStore(other)


def test_migrations_run_in_order_and_keep_rows(store, monkeypatch):
    store.record_attempt("ann", "a", 1, 0, "correct", 1.0)
    monkeypatch.setattr(progress, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(progress.MIGRATIONS, 2, "ALTER TABLE attempts ADD COLUMN seconds REAL")
    upgraded = ProgressStore()
    [row] = upgraded.attempts("ann")
    assert row["problem_id"] == "a" and "seconds" in row
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("2",)


# --------------------------------------------------------------------------- repair and the CLI
def test_repair_moves_the_corrupt_file_aside_and_keeps_it(tmp_path, capsys):
    path = tmp_path / "home" / "progress.db"
    path.parent.mkdir()
    junk = np.random.default_rng(1).bytes(5000)
    path.write_bytes(junk)
    assert progress_view.main([]) == 1
    assert REPAIR_TEXT in capsys.readouterr().err
    assert progress_view.main(["--repair"]) == 0
    out = capsys.readouterr().out
    moved = sorted(path.parent.glob("progress.db.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == junk  # nothing deleted
    assert str(moved[0]) in out and "Nothing was deleted" in out
    assert not path.exists()
    ProgressStore().record_attempt("ann", "a", 1, 0, "correct", 1.0)  # fresh start works


def test_repair_leaves_a_healthy_database_alone(store, capsys):
    store.record_attempt("ann", "a", 1, 0, "correct", 1.0)
    assert progress_view.main(["--repair"]) == 0
    assert "nothing to repair" in capsys.readouterr().out
    assert store.count_attempts() == 1
    assert list(store.path.parent.glob("*.corrupt-*")) == []


def test_repair_database_moves_wal_files_too_and_never_overwrites(tmp_path):
    path = tmp_path / "x.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").write_text(f"content{suffix}")
    first = progress.repair_database(path)
    path.write_text("second")
    second = progress.repair_database(path)
    assert [p.read_text() for p in first] == ["content", "content-wal", "content-shm"]
    assert second[0].read_text() == "second" and second[0] != first[0]


# --------------------------------------------------------------------------- the progress view
def _master_two_of_session_1() -> list[str]:
    import lossedu

    s1 = lossedu.session(1)
    for q in s1.questions[:2]:
        assert q.check(q.variant.reference).status == "correct"
    wrong = s1.questions[2]
    assert wrong.check(123456.0 if wrong.problem.kind == "value" else "123456").status == "incorrect"
    return [q.id for q in s1.questions[:2]]


def test_summary_counts_sessions_concepts_and_diagnoses():
    from lossedu import concepts, problems

    done = _master_two_of_session_1()
    data = progress_view.summary()
    assert data["student"] == "tester"
    first, second = data["sessions"][:2]
    assert (first["session"], first["mastered"], first["total"], first["state"]) == (
        1, 2, len(problems.session_problems(1)), "open")
    assert second["state"] == "locked" and second["mastered"] == 0
    assert [r["concept"] for r in data["concepts"]] == list(concepts.CONCEPTS)
    for row in data["concepts"]:
        having = [p.id for p in problems.all_problems() if row["concept"] in p.concepts]
        assert row["total"] == len(having) and row["mastered"] == len(set(having) & set(done))
    assert sum(r["count"] for r in data["diagnoses"]) == sum(
        1 for a in ProgressStore().attempts("tester") if a["diagnosis"])


def test_figure_draws_mastery_with_labelled_axes():
    _master_two_of_session_1()
    import lossedu

    fig = lossedu.progress()
    sessions_ax, concepts_ax, diagnoses_ax = fig.axes[:3]
    (bars,) = sessions_ax.containers[:1]
    total = len(lossedu.session(1))
    assert bars[0].get_height() == pytest.approx(2 / total)       # the real share, no full-height frame
    assert all(bar.get_height() == 0 for bar in bars[1:])          # 0 mastered or locked: no bar at all
    ticks = [t.get_text() for t in sessions_ax.get_xticklabels()]
    assert "locked" in ticks[1] and "locked" not in ticks[0]       # session 2 marked locked, 1 open
    assert len(sessions_ax.containers) == 1 and sessions_ax.get_ylim()[1] < 1.2
    for ax in (sessions_ax, concepts_ax, diagnoses_ax):
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert fig._repr_png_().startswith(b"\x89PNG")


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_cli_prints_and_exports(fmt, tmp_path, capsys):
    import csv
    import io
    import json

    _master_two_of_session_1()
    assert progress_view.main(["--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "table":
        total = len(problems.session_problems(1))
        assert "Session 1" in out and f"2/{total}" in out and "locked" in out and "mse" in out
    elif fmt == "csv":
        table = list(csv.DictReader(io.StringIO(out)))
        s1 = next(r for r in table if r["kind"] == "session" and r["id"] == "1")
        assert (s1["mastered"], s1["state"], s1["student"]) == ("2", "open", "tester")
    else:
        assert json.loads(out)["sessions"][0]["mastered"] == 2
    target = tmp_path / f"out.{fmt}"
    assert progress_view.main(["--format", fmt, "--output", str(target), "--student", "tester"]) == 0
    assert target.read_text() == out
    assert f"wrote {target}" in capsys.readouterr().out
    assert progress_view.main(["--student", "nobody", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["sessions"][0]["mastered"] == 0


def test_progress_with_a_corrupt_database_explains_instead_of_failing(tmp_path, monkeypatch):
    import lossedu
    path = tmp_path / "home" / "progress.db"
    path.parent.mkdir()
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(ProgressDatabaseError, match="--repair"):
        lossedu.progress()  # a script gets the error
    shown = []
    monkeypatch.setattr(progress_view, "in_ipython", lambda: True)
    monkeypatch.setattr(progress_view, "emit", shown.append)
    assert lossedu.progress() is None  # a notebook gets the message, no traceback
    assert len(shown) == 1 and str(path) in shown[0] and REPAIR_TEXT in shown[0]


def test_legacy_known_diagnosis_never_reaches_the_figure_or_the_table():
    store = ProgressStore()
    store.record_attempt("tester", "grad.mse", 1, 0, "incorrect", 0.0, "known")
    store.record_attempt("tester", "grad.mse", 1, 0, "incorrect", 0.0, "sign")
    data = progress_view.summary("tester", store)
    assert [r["diagnosis"] for r in data["diagnoses"]] == ["sign"]

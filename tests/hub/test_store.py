"""The class store on a real PostgreSQL and on SQLite: migrations, idempotent writes, validation."""
from __future__ import annotations

from pathlib import Path

import pytest

from lossedu.hub import db

pytestmark = pytest.mark.hub


def attempt(learner: str, n: int, **over) -> dict:
    base = {"attempt_id": f"{learner}-{n}", "learner": learner, "problem_id": "s1_squared_residual",
            "session": 1, "variant": 0, "status": "incorrect", "score": 0.0, "diagnosis": "sign_flipped",
            "answer": "-(y - yhat)**2", "hints_seen": 0, "solution_revealed": False, "practice_only": False,
            "created_at": f"2026-01-01T10:00:{n:02d}+00:00"}
    base.update(over)
    return db.validate_attempt(base)


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'class.db'}"
    return request.getfixturevalue("pg_url")


def test_a_new_store_is_migrated_once_and_reopening_changes_nothing(url: str) -> None:
    store = db.ClassStore(url)
    assert store.schema_version() == db.SCHEMA_VERSION
    store.add("alice", [attempt("alice", 1)])
    again = db.ClassStore(url)  # a second service process, or a restart
    assert again.schema_version() == db.SCHEMA_VERSION
    assert again.count() == 1


def test_an_attempt_sent_twice_is_stored_once(url: str) -> None:
    store = db.ClassStore(url)
    batch = [attempt("alice", 1), attempt("alice", 2, status="correct", score=1.0, diagnosis=None)]
    assert store.add("alice", batch) == 2
    assert store.add("alice", batch + [attempt("alice", 3)]) == 1
    rows = store.attempts("alice")
    assert [r["attempt_id"] for r in rows] == ["alice-1", "alice-2", "alice-3"]
    assert rows[1]["status"] == "correct" and rows[0]["answer"] == "-(y - yhat)**2"


def test_reads_filter_by_learner_and_session(url: str) -> None:
    store = db.ClassStore(url)
    store.add("alice", [attempt("alice", 1), attempt("alice", 2, session=2, problem_id="s2_x")])
    store.add("bob", [attempt("bob", 1)])
    assert store.learners() == ["alice", "bob"]
    assert {r["learner"] for r in store.attempts(sessions=[1])} == {"alice", "bob"}
    assert [r["session"] for r in store.attempts("alice", [2])] == [2]
    assert store.attempts(sessions=[]) == []
    assert store.count("bob") == 1


def test_a_store_refuses_attempts_of_another_learner(url: str) -> None:
    store = db.ClassStore(url)
    with pytest.raises(db.AttemptError, match="sending learner"):
        store.add("alice", [attempt("bob", 1)])
    assert store.count() == 0


def test_a_newer_schema_is_refused_with_the_way_out(url: str) -> None:
    store = db.ClassStore(url)
    store._run([("UPDATE lossedu_schema SET version = %s", (db.SCHEMA_VERSION + 1,))])
    with pytest.raises(RuntimeError, match="newer than this lossedu understands"):
        db.ClassStore(url)


@pytest.mark.parametrize("change, message", [
    ({"status": "great"}, "status must be one of"),
    ({"score": 1.5}, r"score must be in \[0, 1\]"),
    ({"session": "1"}, "'session' must be int"),
    ({"session": True}, "'session' must be int"),
    ({"learner": " "}, "'learner' is empty"),
    ({"attempt_id": None}, "'attempt_id' must be str"),
])
def test_malformed_attempts_name_the_field(change: dict, message: str) -> None:
    data = dict(attempt("alice", 1), **change)
    with pytest.raises(db.AttemptError, match=message):
        db.validate_attempt(data)


def test_missing_field_and_long_text_are_handled() -> None:
    data = dict(attempt("alice", 1))
    del data["problem_id"]
    with pytest.raises(db.AttemptError, match="lacks the field 'problem_id'"):
        db.validate_attempt(data)
    long = db.validate_attempt(dict(attempt("alice", 1), answer="x" * 5000))
    assert len(long["answer"]) == db.MAX_TEXT

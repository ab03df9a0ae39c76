"""Offline-first sync from a learner's kernel: local store first, then the service, nothing lost."""
from __future__ import annotations

import socket
import sqlite3
import time
from pathlib import Path

import pytest

import lossedu
from lossedu.hub import sync
from lossedu.store import ProgressStore

from . import procs
from .answers import mae, mse

pytestmark = pytest.mark.hub
WAIT_S = 60


@pytest.fixture
def learner_env(monkeypatch, tmp_path: Path, service: procs.Service) -> Path:
    """A learner's server as JupyterHub configures it: own store, own token, the service's URL."""
    monkeypatch.setenv("LOSSEDU_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LOSSEDU_STUDENT", "alice")
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "tok-alice")
    monkeypatch.setenv("LOSSEDU_HUB_SERVICE_URL", service.url)
    return tmp_path / "home" / "progress.db"


def on_service(service: procs.Service, token: str = "tok-alice") -> list[dict]:
    status, body = procs.request(service.url + "api/attempts", token)
    assert status == 200, body
    return body["attempts"]


def wait_for(predicate, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def test_a_check_in_the_kernel_reaches_the_service_with_its_answer_and_diagnosis(learner_env, service):
    ex = lossedu.session(1)
    assert ex.q1.check(mse("alice", right=False)).status == "incorrect"
    assert ex.q1.check(mse("alice")).status == "correct"
    wait_for(lambda: len(on_service(service)) == 2, "two attempts on the service")
    first, second = on_service(service)
    assert (first["status"], first["diagnosis"], first["answer"]) == ("incorrect", "sign", mse("alice", right=False))
    assert (second["status"], second["problem_id"], second["session"]) == ("correct", "grad.mse", 1)


def test_while_the_service_is_down_checks_and_gates_work_and_the_queue_is_kept(learner_env, service):
    service.kill()
    ex = lossedu.session(1)
    assert ex.q1.check(mse("alice")).status == "correct"   # never blocked, never broken by the outage
    assert ex.q2.check(mae("alice")).status == "correct"
    assert {"grad.mse", "grad.mae"} <= ex.mastered()         # gates read the local store
    assert len(sync.pending(learner_env, "alice")) == 2
    with pytest.raises(sync.SendError, match="cannot be reached"):
        sync.flush(learner_env)
    service.start()                                          # the sender retries by itself
    wait_for(lambda: len(on_service(service)) == 2, "the queued attempts after the restart")
    wait_for(lambda: not sync.pending(learner_env, "alice"), "an empty queue")


def test_a_resend_after_a_lost_acknowledgement_stores_nothing_twice(learner_env, service):
    store = ProgressStore()
    for n in range(5):
        store.record_attempt("alice", "grad.mse", 1, 0, "incorrect", 0.0, "sign")
    assert sync.flush(learner_env) == 5
    with sqlite3.connect(sync.outbox_path(learner_env)) as conn:  # as if the replies were lost
        conn.execute("DELETE FROM sent")
    assert sync.flush(learner_env) == 5
    assert len(on_service(service)) == 5
    assert sync.flush(learner_env) == 0


def test_only_the_hub_users_own_attempts_are_sent(learner_env, service):
    store = ProgressStore()
    store.record_attempt("alice", "grad.mse", 1, 0, "correct", 1.0)
    store.record_attempt("bob", "grad.mse", 1, 0, "correct", 1.0)  # an instructor looked at bob's numbers here
    assert sync.flush(learner_env) == 1
    assert [a["learner"] for a in on_service(service)] == ["alice"]
    assert on_service(service, "tok-bob") == []


def test_a_service_that_never_answers_does_not_hold_up_a_check(learner_env, monkeypatch):
    with socket.socket() as silent:  # accepts connections, never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        monkeypatch.setenv("LOSSEDU_HUB_SERVICE_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/services/lossedu/")
        monkeypatch.setattr(sync, "TIMEOUT_S", 1.0)
        ex = lossedu.session(1)
        assert ex.q1.check(mse("alice")).status == "correct"   # returns: sending is on another thread
        sender = sync.Sender.get(learner_env)
        wait_for(lambda: sender.last_error is not None, "the sender's time-out")
        assert "timed out" in sender.last_error
        assert len(sync.pending(learner_env, "alice")) == 1


def test_without_a_configured_service_nothing_is_queued(monkeypatch, tmp_path):
    monkeypatch.setenv("LOSSEDU_HOME", str(tmp_path))
    monkeypatch.setenv("LOSSEDU_STUDENT", "alice")
    monkeypatch.delenv("LOSSEDU_HUB_SERVICE_URL", raising=False)
    lossedu.session(1).q1.check(mse("alice"))
    assert (tmp_path / "progress.db").exists() and not (tmp_path / sync.OUTBOX_FILE).exists()


def test_answer_excerpts_are_short_text_and_never_evaluated():
    class Hostile:
        def __repr__(self):
            raise RuntimeError("no")

    assert sync.excerpt("  y -\n yhat ") == "y - yhat"
    assert sync.excerpt(Hostile()) == "<Hostile>"
    assert len(sync.excerpt("x" * 1000)) == sync.MAX_ANSWER
    assert sync.attempt_id("a", 1, "p", "t") == sync.attempt_id("a", 1, "p", "t") != sync.attempt_id("a", 2, "p", "t")

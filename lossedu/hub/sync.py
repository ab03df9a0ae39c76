"""Offline-first sync of a learner's attempts from the kernel to the class service.

The learner's local SQLite store (``progress.db``) is the source of truth and the queue: every
checked answer is written there first (gates keep working from it alone), and this module sends
the rows the service has not acknowledged yet. What was acknowledged is remembered in a small
side file next to it, ``hub_outbox.db`` (with the text of each answer, for the instructor's
anonymised examples). So nothing is lost when the service is down, restarted or slow, when the
kernel restarts, or when a send is interrupted: the next send repeats it, and the service stores
each attempt once, by its stable attempt id (a hash of learner, local row id, problem and time).

Sending happens on a background thread with a bounded time-out per request and growing pauses
between retries; a check never waits for it and never fails because of it. Nothing here runs
unless the hub set ``LOSSEDU_HUB_SERVICE_URL`` (and ``JUPYTERHUB_API_TOKEN``) in the environment.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import os
import sqlite3
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from lossedu.hub import SERVICE_URL_ENV, TOKEN_ENV, USER_ENV

OUTBOX_FILE = "hub_outbox.db"
TIMEOUT_S = 5.0
BATCH = 200
RETRY_MIN_S = 1.0
RETRY_MAX_S = 30.0
IDLE_RECHECK_S = 60.0
MAX_ANSWER = 200


def configured() -> bool:
    """True when the hub configured a class service for this server."""
    return bool(os.environ.get(SERVICE_URL_ENV, "").strip())


def attempt_id(learner: str, local_id: int, problem_id: str, created_at: str) -> str:
    """Stable id of one local attempt: the same row always gets the same id."""
    text = f"{learner}|{local_id}|{problem_id}|{created_at}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def excerpt(answer: Any) -> str:
    """A short text of an answer, for the instructor's anonymised examples (never evaluated)."""
    try:
        if callable(answer) and not isinstance(answer, type):
            import inspect

            try:
                text = inspect.getsource(answer).strip()
            except (OSError, TypeError):
                text = f"function {getattr(answer, '__name__', '?')}"
        else:
            text = answer if isinstance(answer, str) else repr(answer)
    except Exception:  # a hostile __repr__ must not break a check
        text = f"<{type(answer).__name__}>"
    text = " ".join(text.split())
    return text if len(text) <= MAX_ANSWER else text[: MAX_ANSWER - 1] + "…"


# --------------------------------------------------------------------------- the outbox
def outbox_path(store_path: str | os.PathLike[str]) -> Path:
    """The side file next to the local store."""
    return Path(store_path).with_name(OUTBOX_FILE)


def _outbox(store_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(outbox_path(store_path), timeout=10.0, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS sent (local_id INTEGER PRIMARY KEY, attempt_id TEXT NOT NULL,"
                 " outcome TEXT NOT NULL DEFAULT 'stored')")
    conn.execute("CREATE TABLE IF NOT EXISTS answers (local_id INTEGER PRIMARY KEY, answer TEXT NOT NULL)")
    return conn


def note_answer(store_path: str | os.PathLike[str], learner: str, problem_id: str, answer: Any) -> None:
    """Remember the text of the answer just recorded (the newest row of ``learner`` on ``problem_id``)."""
    store_path = Path(store_path)
    progress = sqlite3.connect(store_path, timeout=10.0)
    try:
        row = progress.execute("SELECT MAX(id) FROM attempts WHERE student = ? AND problem_id = ?",
                               (learner, problem_id)).fetchone()
    finally:
        progress.close()
    if not row or row[0] is None:
        return
    conn = _outbox(store_path)
    try:
        conn.execute("INSERT OR REPLACE INTO answers (local_id, answer) VALUES (?, ?)", (int(row[0]), excerpt(answer)))
    finally:
        conn.close()


def pending(store_path: str | os.PathLike[str], learner: str, limit: int = BATCH) -> list[dict[str, Any]]:
    """Local attempts of ``learner`` not yet acknowledged by the service, oldest first."""
    store_path = Path(store_path)
    conn = _outbox(store_path)
    try:
        conn.execute("ATTACH DATABASE ? AS progress", (str(store_path),))
        rows = conn.execute(
            "SELECT a.id, a.problem_id, a.session, a.attempt, a.status, a.score, a.diagnosis, a.hints_seen,"
            " a.solution_revealed, a.practice_only, a.created_at, ans.answer FROM progress.attempts AS a"
            " LEFT JOIN answers AS ans ON ans.local_id = a.id"
            " WHERE a.student = ? AND a.id NOT IN (SELECT local_id FROM sent) ORDER BY a.id LIMIT ?",
            (learner, int(limit))).fetchall()
    finally:
        conn.close()
    return [{"local_id": r[0], "attempt_id": attempt_id(learner, r[0], r[1], r[10]), "learner": learner,
             "problem_id": r[1], "session": int(r[2]), "variant": int(r[3]), "status": r[4], "score": float(r[5]),
             "diagnosis": r[6], "hints_seen": int(r[7]), "solution_revealed": bool(r[8]),
             "practice_only": bool(r[9]), "created_at": r[10], "answer": r[11]} for r in rows]


def _mark(store_path: Path, batch: list[dict[str, Any]], outcome: str) -> None:
    conn = _outbox(store_path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT OR IGNORE INTO sent (local_id, attempt_id, outcome) VALUES (?, ?, ?)",
                         [(a["local_id"], a["attempt_id"], outcome) for a in batch])
        conn.execute("COMMIT")
    finally:
        conn.close()


class SendError(RuntimeError):
    """The service could not be reached or refused a batch."""


def send_batch(url: str, token: str, batch: list[dict[str, Any]], timeout: float = TIMEOUT_S) -> dict[str, Any]:
    """POST one batch to ``{url}/api/attempts``; return the service's JSON answer."""
    body = json.dumps({"attempts": [{k: v for k, v in a.items() if k != "local_id"} for a in batch]}).encode()
    request = urllib.request.Request(url.rstrip("/") + "/api/attempts", data=body, method="POST",
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return json.loads(reply.read().decode("utf-8") or "{}")
    except urllib.error.HTTPError as err:
        raise SendError(f"the class service answered {err.code}: {err.read()[:300].decode('utf-8', 'replace')}",
                        ) from None
    except (OSError, ValueError) as err:
        raise SendError(f"the class service at {url} cannot be reached ({err})") from None


def flush(store_path: str | os.PathLike[str], *, url: str | None = None, token: str | None = None,
          learner: str | None = None, timeout: float = TIMEOUT_S) -> int:
    """Send every pending attempt now; return how many were sent. Raises :class:`SendError`.

    A batch the service rejects as malformed (HTTP 400) is marked ``rejected`` so that it cannot
    block the queue; any other failure leaves the batch queued for the next try.
    """
    store_path = Path(store_path)
    url = url or os.environ.get(SERVICE_URL_ENV, "")
    token = token or os.environ.get(TOKEN_ENV, "")
    learner = learner or os.environ.get(USER_ENV, "")
    if not (url and token and learner):
        raise SendError(f"sync needs {SERVICE_URL_ENV}, {TOKEN_ENV} and {USER_ENV} (set by JupyterHub)")
    sent = 0
    while True:
        batch = pending(store_path, learner)
        if not batch:
            return sent
        try:
            send_batch(url, token, batch, timeout)
        except SendError as err:
            if "answered 400" in str(err):
                _mark(store_path, batch, "rejected")
                print(f"lossedu: the class service rejected {len(batch)} attempts: {err}", file=sys.stderr)
                continue
            raise
        _mark(store_path, batch, "stored")
        sent += len(batch)


# --------------------------------------------------------------------------- the background sender
class Sender:
    """One daemon thread per local store that flushes when kicked and retries with growing pauses."""

    _all: dict[str, "Sender"] = {}
    _lock = threading.Lock()

    def __init__(self, store_path: Path) -> None:
        self.store_path = store_path
        self.wake = threading.Event()
        self.idle = threading.Event()
        self.last_error: str | None = None
        self.thread = threading.Thread(target=self._loop, name="lossedu-hub-sync", daemon=True)
        self.thread.start()

    @classmethod
    def get(cls, store_path: str | os.PathLike[str]) -> "Sender":
        key = str(Path(store_path).resolve())
        with cls._lock:
            if key not in cls._all or not cls._all[key].thread.is_alive():
                cls._all[key] = Sender(Path(key))
            return cls._all[key]

    def kick(self) -> None:
        self.idle.clear()
        self.wake.set()

    def _loop(self) -> None:
        pause = RETRY_MIN_S
        while True:
            self.wake.wait(IDLE_RECHECK_S)
            self.wake.clear()
            try:
                flush(self.store_path)
                self.last_error, pause = None, RETRY_MIN_S
                self.idle.set()
            except Exception as err:  # queued: try again after a pause
                self.last_error = str(err)
                self.wake.wait(pause)
                pause = min(pause * 2, RETRY_MAX_S)
                self.wake.set()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything queued was sent (for tests and at exit)."""
        return self.idle.wait(timeout)


def after_check(store_path: str | os.PathLike[str], learner: str, problem_id: str, answer: Any) -> None:
    """Called after an attempt was recorded locally: note the answer, wake the sender. Never raises."""
    if not configured() or learner != os.environ.get(USER_ENV, learner):
        return
    try:
        note_answer(store_path, learner, problem_id, answer)
        Sender.get(store_path).kick()
    except Exception as err:  # the local store already has the attempt; sync must never break a check
        print(f"lossedu: class sync will retry later ({err})", file=sys.stderr)


@atexit.register
def _flush_at_exit() -> None:  # pragma: no cover - process exit
    for sender in list(Sender._all.values()):
        if not sender.idle.is_set():
            sender.kick()
            sender.wait_idle(2.0)

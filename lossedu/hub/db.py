"""The class store: every synced attempt of every learner, in PostgreSQL (or SQLite).

One table of attempts keyed by a stable ``attempt_id`` chosen by the learner's kernel, so a
retried send stores the attempt once (``INSERT ... ON CONFLICT DO NOTHING``). The schema is
versioned in ``lossedu_schema``; :data:`MIGRATIONS` takes any older version to the newest, under
a PostgreSQL advisory lock so that two service processes starting at once do not race.

Connections are per thread (the service runs database calls in a small thread pool); a broken
connection is dropped and reopened on the next call.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any, Iterable, Sequence

SCHEMA_VERSION = 1
_ADVISORY_LOCK = 7_013_017  # any constant shared by every lossedu service process

#: version reached -> statements that take the previous version there (portable SQL)
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE attempts (
            attempt_id        TEXT PRIMARY KEY,
            learner           TEXT NOT NULL,
            problem_id        TEXT NOT NULL,
            session           INTEGER NOT NULL,
            variant           INTEGER NOT NULL,
            status            TEXT NOT NULL,
            score             DOUBLE PRECISION NOT NULL,
            diagnosis         TEXT,
            answer            TEXT,
            hints_seen        INTEGER NOT NULL DEFAULT 0,
            solution_revealed INTEGER NOT NULL DEFAULT 0,
            practice_only     INTEGER NOT NULL DEFAULT 0,
            created_at        TEXT NOT NULL,
            received_at       DOUBLE PRECISION NOT NULL
        )""",
        "CREATE INDEX attempts_by_session ON attempts (session, learner)",
        "CREATE INDEX attempts_by_learner ON attempts (learner, created_at)",
    ),
}

#: columns a client sends, with the Python type each must have
FIELDS: dict[str, tuple[type, ...]] = {
    "attempt_id": (str,), "learner": (str,), "problem_id": (str,), "session": (int,),
    "variant": (int,), "status": (str,), "score": (int, float), "diagnosis": (str, type(None)),
    "answer": (str, type(None)), "hints_seen": (int,), "solution_revealed": (bool, int),
    "practice_only": (bool, int), "created_at": (str,),
}
STATUSES = {"correct", "incorrect", "invalid", "undecided"}
MAX_TEXT = 500


class AttemptError(ValueError):
    """An attempt sent to the service is malformed; the message names the field."""


def validate_attempt(data: Any) -> dict[str, Any]:
    """Check one attempt sent by a kernel and return it normalised (text fields capped).

    Raises
    ------
    AttemptError
        A field is missing, has the wrong type, or a value is out of range.
    """
    if not isinstance(data, dict):
        raise AttemptError(f"an attempt must be a JSON object, got {type(data).__name__}")
    out: dict[str, Any] = {}
    for name, types in FIELDS.items():
        if name not in data:
            if name in {"diagnosis", "answer"}:
                out[name] = None
                continue
            raise AttemptError(f"attempt lacks the field {name!r}")
        value = data[name]
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            raise AttemptError(f"attempt field {name!r} must be {'/'.join(t.__name__ for t in types)}, "
                               f"got {value!r}")
        if isinstance(value, str):
            if name in {"attempt_id", "learner", "problem_id", "status", "created_at"} and not value.strip():
                raise AttemptError(f"attempt field {name!r} is empty")
            value = value[:MAX_TEXT]
        out[name] = value
    if out["status"] not in STATUSES:
        raise AttemptError(f"attempt status must be one of {sorted(STATUSES)}, got {out['status']!r}")
    if not 0.0 <= float(out["score"]) <= 1.0:
        raise AttemptError(f"attempt score must be in [0, 1], got {out['score']!r}")
    out["score"] = float(out["score"])
    out["solution_revealed"] = int(bool(out["solution_revealed"]))
    out["practice_only"] = int(bool(out["practice_only"]))
    return out


class ClassStore:
    """The shared store of a class.

    Parameters
    ----------
    url : ``postgresql://user@host:port/db`` (or any libpq connection string), or
        ``sqlite:///path/to/file.db`` for a small single-machine hub.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.kind = "sqlite" if url.startswith("sqlite:") else "postgresql"
        self._local = threading.local()
        self._migrate()

    # ----------------------------------------------------------------- connections
    def _connect(self) -> Any:
        if self.kind == "sqlite":
            path = self.url.split("sqlite:///", 1)[1] if "sqlite:///" in self.url else self.url[7:]
            conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            return conn
        import psycopg

        return psycopg.connect(self.url, autocommit=True, connect_timeout=5)

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def _sql(self, text: str) -> str:
        return text.replace("%s", "?") if self.kind == "sqlite" else text

    def _run(self, statements: Sequence[tuple[str, Sequence[Any]]], fetch: bool = False) -> list[tuple]:
        """Run statements in one transaction; retry once on a dropped connection."""
        for attempt in (0, 1):
            conn = self._conn()
            try:
                rows: list[tuple] = []
                if self.kind == "sqlite":
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        for sql, params in statements:
                            cur = conn.execute(self._sql(sql), params)
                            if fetch:
                                rows = cur.fetchall()
                        conn.execute("COMMIT")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                else:
                    with conn.transaction(), conn.cursor() as cur:
                        for sql, params in statements:
                            cur.execute(sql, params)
                            if fetch:
                                rows = cur.fetchall()
                return rows
            except Exception as err:
                if attempt == 0 and self._is_disconnect(err):
                    self.close()
                    continue
                raise
        raise AssertionError("unreachable")

    def _is_disconnect(self, err: Exception) -> bool:
        if self.kind == "sqlite":
            return False
        import psycopg

        return isinstance(err, psycopg.OperationalError) or bool(getattr(self._conn(), "closed", False))

    def close(self) -> None:
        """Close this thread's connection (the next call opens a new one)."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # pragma: no cover - closing a broken connection
                pass

    # ----------------------------------------------------------------- schema
    def _migrate(self) -> None:
        statements: list[tuple[str, Sequence[Any]]] = []
        if self.kind == "postgresql":
            statements.append(("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK,)))
        statements.append(("CREATE TABLE IF NOT EXISTS lossedu_schema (version INTEGER NOT NULL)", ()))
        self._run(statements)
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"the class store {self.url} has schema version {version}, newer than this "
                               f"lossedu understands ({SCHEMA_VERSION}): upgrade lossedu on the service")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            steps: list[tuple[str, Sequence[Any]]] = []
            if self.kind == "postgresql":
                steps.append(("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK,)))
            steps += [(sql, ()) for sql in MIGRATIONS[target]]
            steps += [("DELETE FROM lossedu_schema", ()), ("INSERT INTO lossedu_schema (version) VALUES (%s)", (target,))]
            try:
                self._run(steps)
            except Exception:
                if self.schema_version() >= target:  # another process migrated first
                    continue
                raise

    def schema_version(self) -> int:
        """The stored schema version (0: empty store)."""
        rows = self._run([("SELECT MAX(version) FROM lossedu_schema", ())], fetch=True)
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    # ----------------------------------------------------------------- writes and reads
    def add(self, learner: str, attempts: Iterable[dict[str, Any]]) -> int:
        """Store validated attempts of ``learner``; ones already stored are ignored.

        Returns the number of attempts newly stored.
        """
        cols = list(FIELDS) + ["received_at"]
        now = time.time()
        rows = [tuple(a[c] for c in FIELDS) + (now,) for a in attempts]
        if any(r[1] != learner for r in rows):
            raise AttemptError("every attempt must belong to the sending learner")
        if not rows:
            return 0
        one = "(" + ", ".join(["%s"] * len(cols)) + ")"
        sql = (f"INSERT INTO attempts ({', '.join(cols)}) VALUES {', '.join([one] * len(rows))}"
               " ON CONFLICT (attempt_id) DO NOTHING RETURNING attempt_id")
        stored = self._run([(sql, tuple(v for r in rows for v in r))], fetch=True)
        return len(stored)

    def count(self, learner: str | None = None) -> int:
        """Number of stored attempts (of one learner, or of the class)."""
        if learner is None:
            rows = self._run([("SELECT COUNT(*) FROM attempts", ())], fetch=True)
        else:
            rows = self._run([("SELECT COUNT(*) FROM attempts WHERE learner = %s", (learner,))], fetch=True)
        return int(rows[0][0])

    def attempts(self, learner: str | None = None, sessions: Iterable[int] | None = None) -> list[dict[str, Any]]:
        """Stored attempts, oldest first, as dicts; filtered by learner and/or sessions."""
        where, params = [], []
        if learner is not None:
            where.append("learner = %s")
            params.append(learner)
        if sessions is not None:
            wanted = sorted({int(s) for s in sessions})
            if not wanted:
                return []
            where.append(f"session IN ({', '.join(['%s'] * len(wanted))})")
            params += wanted
        cols = list(FIELDS) + ["received_at"]
        sql = f"SELECT {', '.join(cols)} FROM attempts"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at, attempt_id"
        rows = self._run([(sql, tuple(params))], fetch=True)
        return [dict(zip(cols, r)) for r in rows]

    def learners(self) -> list[str]:
        """Every learner with at least one stored attempt, sorted."""
        rows = self._run([("SELECT DISTINCT learner FROM attempts ORDER BY learner", ())], fetch=True)
        return [r[0] for r in rows]

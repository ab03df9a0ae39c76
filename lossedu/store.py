"""The progress store: every attempt, the current variant of each problem, mastery and gates.

One SQLite file, ``$LOSSEDU_HOME/progress.db``, shared safely by every kernel of a learner:
write-ahead logging (readers never block the writer), a busy time-out of 10 s, one short
``BEGIN IMMEDIATE`` transaction per write, and a fresh connection per operation (so a store is
safe across threads and forked processes). The schema is versioned in the ``meta`` table.

A database that cannot be read raises :class:`ProgressDatabaseError`, which names the file and
the way out: ``lossedu progress --repair`` moves it aside (nothing is ever deleted).

Mastery rule: a problem is mastered once it is answered correctly, in a session that is not
locked, on a variant whose solution had not been revealed. A session is mastered when a share
(default 0.8) of its problems is mastered; the next session opens then.
"""
from __future__ import annotations

import math
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from lossedu import config, problems

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 10.0
REPAIR_HINT = (
    "run `lossedu progress --repair` to move it aside to {name}.corrupt-<timestamp> and start fresh; "
    "nothing is deleted"
)

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS attempts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    student           TEXT    NOT NULL,
    problem_id        TEXT    NOT NULL,
    session           INTEGER NOT NULL,
    attempt           INTEGER NOT NULL,   -- the variant number
    status            TEXT    NOT NULL,
    score             REAL    NOT NULL,
    diagnosis         TEXT,
    hints_seen        INTEGER NOT NULL DEFAULT 0,
    solution_revealed INTEGER NOT NULL DEFAULT 0,  -- revealed on this variant before this answer
    practice_only     INTEGER NOT NULL DEFAULT 0,  -- 1: does not count toward mastery
    created_at        TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_student ON attempts (student, problem_id);
CREATE TABLE IF NOT EXISTS variants (
    student           TEXT    NOT NULL,
    problem_id        TEXT    NOT NULL,
    attempt           INTEGER NOT NULL DEFAULT 0,
    hints_seen        INTEGER NOT NULL DEFAULT 0,
    solution_revealed INTEGER NOT NULL DEFAULT 0,
    updated_at        TEXT    NOT NULL,
    PRIMARY KEY (student, problem_id)
);
"""
#: version reached -> SQL that takes the previous version there
MIGRATIONS: dict[int, str] = {1: _SCHEMA_V1}
_COLUMNS = {
    "attempts": {"id", "student", "problem_id", "session", "attempt", "status", "score", "diagnosis",
                 "hints_seen", "solution_revealed", "practice_only", "created_at"},
    "variants": {"student", "problem_id", "attempt", "hints_seen", "solution_revealed", "updated_at"},
}


class ProgressDatabaseError(RuntimeError):
    """The progress database cannot be used; the message names the file and how to recover."""

    def __init__(self, path: Path | str, problem: str, remedy: str | None = None) -> None:
        self.path = Path(path)
        self.problem = problem
        self.remedy = REPAIR_HINT.format(name=self.path.name) if remedy is None else remedy
        super().__init__(f"progress database {self.path} {problem}: {self.remedy}")


@dataclass(frozen=True)
class VariantState:
    """The learner's current variant of one problem: its number, hints seen, solution revealed."""

    attempt: int = 0
    hints_seen: int = 0
    solution_revealed: bool = False


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class ProgressStore:
    """Attempts and variant state of every learner, in one SQLite file.

    Parameters
    ----------
    path : the database file; default ``$LOSSEDU_HOME/progress.db``. Opening checks the file
        (integrity, schema version) and creates or migrates the schema.

    Raises
    ------
    ProgressDatabaseError
        The file is not a database, is damaged, cannot be opened, or has a foreign or newer schema.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            path = config.database_path()
            try:
                config.ensure_home()
            except OSError as err:
                raise ProgressDatabaseError(path, f"cannot be created ({err})",
                                            "set LOSSEDU_HOME to a writable directory") from err
        self.path = Path(path)
        self._open()

    # ----------------------------------------------------------------- plumbing
    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection; every SQLite failure becomes a ProgressDatabaseError."""
        conn = None
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable across process crashes
            yield conn
        except sqlite3.OperationalError as err:
            text = str(err).lower()
            if "locked" in text or "busy" in text:
                raise ProgressDatabaseError(
                    self.path, f"stayed locked by another process for over {BUSY_TIMEOUT_S:g} s",
                    "close other kernels that use it, then try again") from err
            raise ProgressDatabaseError(self.path, f"cannot be used ({err})") from err
        except sqlite3.DatabaseError as err:
            raise ProgressDatabaseError(self.path, f"is not a readable progress database ({err})") from err
        finally:
            if conn is not None:
                conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on error)."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _open(self) -> None:
        if self.path.is_dir():
            raise ProgressDatabaseError(self.path, "is a directory, not a database file")
        with self._connection() as conn:  # read-only checks before anything is written
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise ProgressDatabaseError(self.path, f"is damaged (integrity check: {check})")
            _refuse_foreign(conn, self.path)
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
        with self._write() as conn:
            migrate(conn, self.path)
        with self._connection() as conn:
            _check_columns(conn, self.path)

    # ----------------------------------------------------------------- writes
    def record_attempt(self, student: str, problem_id: str, session: int, attempt: int, status: str,
                       score: float, diagnosis: str | None = None, *, hints_seen: int = 0,
                       solution_revealed: bool = False, practice_only: bool = False) -> int:
        """Store one checked answer and return its row id."""
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO attempts (student, problem_id, session, attempt, status, score, diagnosis,"
                " hints_seen, solution_revealed, practice_only, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (student, problem_id, int(session), int(attempt), status, float(score), diagnosis,
                 int(hints_seen), int(bool(solution_revealed)), int(bool(practice_only)), _now()))
            return int(cur.lastrowid)

    def new_variant(self, student: str, problem_id: str) -> int:
        """Move to the next variant (attempt + 1, no hints seen, solution hidden); return its number."""
        with self._write() as conn:
            state = self._state(conn, student, problem_id)
            self._put(conn, student, problem_id, VariantState(state.attempt + 1, 0, False))
            return state.attempt + 1

    def note_hint(self, student: str, problem_id: str) -> int:
        """Count one more hint seen on the current variant; return the new count."""
        with self._write() as conn:
            state = self._state(conn, student, problem_id)
            self._put(conn, student, problem_id,
                      VariantState(state.attempt, state.hints_seen + 1, state.solution_revealed))
            return state.hints_seen + 1

    def note_solution(self, student: str, problem_id: str) -> None:
        """Mark the solution of the current variant as revealed."""
        with self._write() as conn:
            state = self._state(conn, student, problem_id)
            self._put(conn, student, problem_id, VariantState(state.attempt, state.hints_seen, True))

    @staticmethod
    def _state(conn: sqlite3.Connection, student: str, problem_id: str) -> VariantState:
        row = conn.execute("SELECT attempt, hints_seen, solution_revealed FROM variants"
                           " WHERE student = ? AND problem_id = ?", (student, problem_id)).fetchone()
        return VariantState(int(row[0]), int(row[1]), bool(row[2])) if row else VariantState()

    @staticmethod
    def _put(conn: sqlite3.Connection, student: str, problem_id: str, state: VariantState) -> None:
        conn.execute(
            "INSERT INTO variants (student, problem_id, attempt, hints_seen, solution_revealed, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (student, problem_id) DO UPDATE SET"
            " attempt = excluded.attempt, hints_seen = excluded.hints_seen,"
            " solution_revealed = excluded.solution_revealed, updated_at = excluded.updated_at",
            (student, problem_id, state.attempt, state.hints_seen, int(state.solution_revealed), _now()))

    # ----------------------------------------------------------------- reads
    def variant_state(self, student: str, problem_id: str) -> VariantState:
        """The learner's current variant of ``problem_id`` (attempt 0 if never retried)."""
        with self._connection() as conn:
            return self._state(conn, student, problem_id)

    def mastered(self, student: str) -> set[str]:
        """Ids of the problems this learner has mastered."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT DISTINCT problem_id FROM attempts WHERE student = ? AND status = 'correct'"
                " AND solution_revealed = 0 AND practice_only = 0", (student,)).fetchall()
        return {r[0] for r in rows}

    def attempts(self, student: str | None = None) -> list[dict[str, Any]]:
        """Every stored attempt (of one learner, or of all), oldest first, as dicts."""
        query = "SELECT * FROM attempts" + (" WHERE student = ?" if student is not None else "") + " ORDER BY id"
        with self._connection() as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute(query, (student,) if student is not None else ()).fetchall()
        return [dict(r) for r in rows]

    def count_attempts(self) -> int:
        """Number of stored attempts of every learner."""
        with self._connection() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0])

    def diagnosis_counts(self, student: str) -> dict[str, int]:
        """How often each diagnosis was given to this learner, most frequent first."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT diagnosis, COUNT(*) AS n FROM attempts WHERE student = ? AND diagnosis IS NOT NULL"
                " GROUP BY diagnosis ORDER BY n DESC, diagnosis", (student,)).fetchall()
        return {r[0]: int(r[1]) for r in rows}


# --------------------------------------------------------------------------- schema
def schema_version(conn: sqlite3.Connection) -> int:
    """The stored schema version; 0 for an empty database."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "meta" not in tables:
        return 0 if not tables - {"sqlite_sequence"} else -1
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    try:
        return int(row[0]) if row else -1
    except (TypeError, ValueError):
        return -1


def _refuse_foreign(conn: sqlite3.Connection, path: Path) -> int:
    """The schema version, or ProgressDatabaseError for a foreign or newer schema."""
    version = schema_version(conn)
    if version < 0:
        raise ProgressDatabaseError(path, "has a wrong schema (tables that are not a lossedu progress store)")
    if version > SCHEMA_VERSION:
        raise ProgressDatabaseError(
            path, f"has schema version {version}, newer than this lossedu understands ({SCHEMA_VERSION})",
            "upgrade lossedu (pip install -U lossedu), or set LOSSEDU_HOME to another directory")
    return version


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Bring the schema to :data:`SCHEMA_VERSION` inside the caller's transaction; return it."""
    version = _refuse_foreign(conn, path)
    if version == 0:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for target in range(version + 1, SCHEMA_VERSION + 1):
        # statement by statement: executescript() would COMMIT the caller's transaction
        for statement in filter(str.strip, MIGRATIONS[target].split(";")):
            conn.execute(statement)
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key)"
                     " DO UPDATE SET value = excluded.value", (str(target),))
    return SCHEMA_VERSION


def _check_columns(conn: sqlite3.Connection, path: Path) -> None:
    for table, wanted in _COLUMNS.items():
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if not wanted <= have:
            missing = ", ".join(sorted(wanted - have))
            raise ProgressDatabaseError(path, f"has a wrong schema (table {table} lacks {missing})")


def repair_database(path: str | Path | None = None) -> list[Path]:
    """Move an unusable database (and its ``-wal``/``-shm`` files) aside; return the new paths.

    The files are renamed to ``<name>.corrupt-<timestamp>``; nothing is deleted. The next use of
    lossedu starts a fresh database.
    """
    path = Path(path) if path is not None else config.database_path()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    moved = []
    for source in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if source.exists():
            target = source.with_name(f"{source.name}.corrupt-{stamp}")
            n = 1
            while target.exists():
                target = source.with_name(f"{source.name}.corrupt-{stamp}-{n}")
                n += 1
            source.rename(target)
            moved.append(target)
    return moved


# --------------------------------------------------------------------------- gates
def required_count(total: int, share: float) -> int:
    """Problems to master out of ``total`` for a share ``share``: ceil(share * total)."""
    return min(total, math.ceil(share * total - 1e-9))


@dataclass(frozen=True)
class Gate:
    """Whether a session's exercise set counts toward mastery, and what remains if not.

    ``state`` is ``open`` (needs no gate), ``unlocked`` (previous session mastered), ``mastered``
    (open or unlocked, and this session's own problems reach the mastery share), ``locked``,
    ``lifted`` (gates disabled by the course configuration), ``homework`` (gates not applied) or
    ``unavailable`` (the progress store cannot be used; practice only).

    ``remaining`` holds the previous session's unmastered problem ids, ``remaining_q`` the same as
    the learner sees them (``q2``, ``q5``); ``previous_locked`` says that the previous session is
    itself locked; ``own_*`` count this session's own problems.
    """

    session: int
    state: str
    previous: int | None = None
    share: float = 0.8
    required: int = 0
    mastered: tuple[str, ...] = ()
    remaining: tuple[str, ...] = ()
    remaining_q: tuple[str, ...] = ()
    previous_locked: bool = False
    own_mastered: int = 0
    own_total: int = 0
    own_required: int = 0

    @property
    def locked(self) -> bool:
        return self.state == "locked"

    def describe(self) -> str:
        """One or two sentences for the banner."""
        if self.state == "locked":
            more = self.required - len(self.mastered)
            text = (f"Locked: master {self.required} of the {len(self.mastered) + len(self.remaining)} questions"
                    f" of session {self.previous} ({self.share:.0%}) to unlock it; {more} more needed"
                    f" (not yet mastered there: {', '.join(self.remaining_q or self.remaining)}).")
            if self.previous_locked:
                text += (f" Session {self.previous} is itself locked: start with the earliest locked session;"
                         " answers given while a session is locked do not count.")
            return text + (" Checks here are practice only: they will not count toward mastery, not even "
                           "after the session unlocks (check them again then).")
        own = (f"{self.own_mastered} of {self.own_total} questions mastered here"
               f" ({self.own_required} needed)") if self.own_total else ""
        return {
            "open": f"Open: {own}." if own else "Open.",
            "unlocked": f"Unlocked: session {self.previous} is mastered. {own}." if own
                        else f"Unlocked: session {self.previous} is mastered.",
            "mastered": f"Mastered: {own}.",
            "lifted": "Gates lifted by the course configuration.",
            "homework": "Homework: gates are not applied and nothing counts toward mastery.",
            "unavailable": "Practice only: progress cannot be saved, so nothing counts toward mastery.",
        }[self.state]


def gate_for(session: int, previous: int | None, previous_ids: Iterable[str], mastered: set[str],
             course: config.CourseConfig) -> Gate:
    """The gate of ``session`` given the previous session's problem ids (in question order) and the
    learner's mastery."""
    if not course.gates_enabled:
        return Gate(session, "lifted", previous, course.mastery_share)
    if previous is None or course.is_open(session):
        return Gate(session, "open", previous, course.mastery_share)
    ids = list(previous_ids)
    done = tuple(p for p in ids if p in mastered)
    left = tuple(p for p in ids if p not in mastered)
    left_q = tuple(f"q{i + 1}" for i, p in enumerate(ids) if p not in mastered)
    need = required_count(len(ids), course.mastery_share)
    state = "unlocked" if len(done) >= need else "locked"
    return Gate(session, state, previous, course.mastery_share, need, done, left, left_q)


def session_gates(mastered: set[str], course: config.CourseConfig) -> dict[int, Gate]:
    """The gate of every session, in order: chained locks marked, mastered sessions as ``mastered``."""
    gates: dict[int, Gate] = {}
    previous = None
    for k in problems.sessions():
        prev_ids = [p.id for p in problems.session_problems(previous)] if previous is not None else []
        gate = gate_for(k, previous, prev_ids, mastered, course)
        own = [p.id for p in problems.session_problems(k)]
        done = sum(i in mastered for i in own)
        need = required_count(len(own), course.mastery_share)
        state = "mastered" if gate.state in ("open", "unlocked") and done >= need else gate.state
        gates[k] = replace(gate, state=state, own_mastered=done, own_total=len(own), own_required=need,
                           previous_locked=previous is not None and gates[previous].locked)
        previous = k
    return gates

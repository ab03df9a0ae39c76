"""Where lossedu keeps its data, who the learner is, and how the course is configured.

Three environment variables, each optional:

``LOSSEDU_HOME``
    Data directory (progress database, learner id). Default ``$XDG_DATA_HOME/lossedu``, else
    ``~/.local/share/lossedu``.
``LOSSEDU_STUDENT``
    Learner id. Default: the id stored in ``$LOSSEDU_HOME/learner``, created once from the login
    name, so a learner alone on a laptop needs to set nothing.
``LOSSEDU_COURSE``
    Path to a course configuration TOML file. Default: ``course_default.toml`` shipped with
    the package. Its shape::

        [gates]
        enabled = true        # false lifts every gate
        mastery_share = 0.8   # share of a session's problems to master before the next opens
        open_sessions = [1]   # sessions open without a gate
        [homework]
        hints = true          # hint() allowed in homework notebooks
        feedback = true       # check() gives feedback in homework notebooks
"""
from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

HOME_ENV = "LOSSEDU_HOME"
STUDENT_ENV = "LOSSEDU_STUDENT"
COURSE_ENV = "LOSSEDU_COURSE"
LEARNER_FILE = "learner"
DATABASE_FILE = "progress.db"
MAX_STUDENT_LENGTH = 128

#: section -> key -> (expected type description, default)
_SCHEMA: dict[str, dict[str, tuple[str, Any]]] = {
    "gates": {
        "enabled": ("a boolean (true or false)", True),
        "mastery_share": ("a number in (0, 1]", 0.8),
        "open_sessions": ("a list of positive integers", [1]),
    },
    "homework": {
        "hints": ("a boolean (true or false)", True),
        "feedback": ("a boolean (true or false)", True),
    },
    "pack": {  # the instructor's private problems (docs/homework.md, "Course packs")
        "path": ("a folder path (text), relative to this file or absolute", ""),
    },
}


class CourseConfigError(ValueError):
    """A course configuration file is missing, not TOML, or has a bad key or value."""


# --------------------------------------------------------------------------- paths
def data_home() -> Path:
    """The data directory: ``$LOSSEDU_HOME``, else ``$XDG_DATA_HOME/lossedu``, else ``~/.local/share/lossedu``.

    The directory is not created here; :func:`ensure_home` does that.
    """
    explicit = os.environ.get(HOME_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    if xdg:
        return Path(xdg).expanduser() / "lossedu"
    return Path.home() / ".local" / "share" / "lossedu"


def ensure_home() -> Path:
    """Create the data directory if needed and return it."""
    home = data_home()
    home.mkdir(parents=True, exist_ok=True)
    return home


def database_path() -> Path:
    """Path of the progress database, ``$LOSSEDU_HOME/progress.db``."""
    return data_home() / DATABASE_FILE


# --------------------------------------------------------------------------- learner id
def validate_student(student: Any) -> str:
    """Return ``student`` stripped, or raise ``ValueError`` saying what a learner id may be."""
    if not isinstance(student, str):
        raise ValueError(f"student must be a string (a learner id such as 'alice'), got {type(student).__name__}")
    text = student.strip()
    if not text or len(text) > MAX_STUDENT_LENGTH or any(ch in text for ch in "\r\n\t|\0"):
        raise ValueError(
            f"student must be 1 to {MAX_STUDENT_LENGTH} characters without tabs, newlines or '|', got {student!r}"
        )
    return text


def student_id(student: str | None = None) -> str:
    """The learner id: ``student`` if given, else ``$LOSSEDU_STUDENT``, else the stored id.

    On first use the stored id is created from the login name in ``$LOSSEDU_HOME/learner`` and
    a one-line message says how to change it.
    """
    if student is not None:
        return validate_student(student)
    from_env = os.environ.get(STUDENT_ENV, "")
    if from_env.strip():
        return validate_student(from_env)
    return _stored_student()


def _stored_student() -> str:
    path = ensure_home() / LEARNER_FILE
    try:
        text = path.read_text(encoding="utf-8").strip()
        if text:
            return validate_student(text)
    except FileNotFoundError:
        pass
    name = _login_name()
    try:  # O_EXCL: two kernels starting at once agree on one id
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        text = path.read_text(encoding="utf-8").strip()
        return validate_student(text) if text else name
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(name + "\n")
    print(f"lossedu: your learner id is {name!r} (stored in {path}; edit that file or set {STUDENT_ENV} "
          "to change it)", file=sys.stderr)
    return name


def _login_name() -> str:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no user database entry (some containers)
        name = ""
    name = "".join(ch for ch in name if ch.isprintable() and ch not in "\t|").strip()
    return name[:MAX_STUDENT_LENGTH] or "learner"


# --------------------------------------------------------------------------- course configuration
@dataclass(frozen=True)
class CourseConfig:
    """The course settings that decide gates and homework behaviour.

    Attributes
    ----------
    gates_enabled : False lifts every gate.
    mastery_share : share of a session's problems to master before the next session opens.
    open_sessions : sessions that are open without a gate (session 1 is always open).
    homework_hints : whether ``hint()`` works in homework notebooks.
    homework_feedback : whether ``check()`` gives feedback in homework notebooks.
    source : the file these settings were read from.
    pack : the instructor's course pack folder (``[pack] path``), resolved; empty when none.
    """

    gates_enabled: bool = True
    mastery_share: float = 0.8
    open_sessions: tuple[int, ...] = (1,)
    homework_hints: bool = True
    homework_feedback: bool = True
    source: str = ""
    pack: str = ""

    def is_open(self, session: int) -> bool:
        """True when ``session`` needs no gate (session 1, listed sessions, or gates lifted)."""
        return not self.gates_enabled or session == 1 or session in self.open_sessions


def default_course_path() -> Path:
    """The course file shipped with the package."""
    return Path(__file__).with_name("course_default.toml")


def course_path() -> Path:
    """``$LOSSEDU_COURSE`` if set, else the packaged default."""
    explicit = os.environ.get(COURSE_ENV, "").strip()
    return Path(explicit).expanduser() if explicit else default_course_path()


def load_course(path: str | os.PathLike[str] | None = None) -> CourseConfig:
    """Read and validate a course configuration file.

    Parameters
    ----------
    path : the TOML file; default :func:`course_path` (``$LOSSEDU_COURSE`` or the packaged file).

    Raises
    ------
    CourseConfigError
        The file is missing or not TOML, or a section, key or value is not allowed; the message
        names the file and the key (for example ``[gates] mastery_share``).
    """
    source = Path(path).expanduser() if path is not None else course_path()
    try:
        with open(source, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        hint = f" (set by {COURSE_ENV})" if path is None and os.environ.get(COURSE_ENV, "").strip() else ""
        raise CourseConfigError(f"course configuration {source}{hint} does not exist") from None
    except tomllib.TOMLDecodeError as err:
        raise CourseConfigError(f"course configuration {source} is not valid TOML: {err}") from None
    except OSError as err:
        raise CourseConfigError(f"course configuration {source} cannot be read: {err}") from None
    values = _validated(data, source)
    return CourseConfig(
        gates_enabled=values["gates"]["enabled"],
        mastery_share=float(values["gates"]["mastery_share"]),
        open_sessions=tuple(values["gates"]["open_sessions"]),
        homework_hints=values["homework"]["hints"],
        homework_feedback=values["homework"]["feedback"],
        source=str(source),
        pack=str((source.parent / values["pack"]["path"]).resolve()) if values["pack"]["path"] else "",
    )


def _validated(data: dict[str, Any], source: Path) -> dict[str, dict[str, Any]]:
    """Check every section and key against ``_SCHEMA``; fill in defaults."""
    for section in data:
        if section not in _SCHEMA:
            raise CourseConfigError(
                f"{source}: unknown section [{section}]; allowed sections: {', '.join(_SCHEMA)}"
            )
    values: dict[str, dict[str, Any]] = {}
    for section, keys in _SCHEMA.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise CourseConfigError(f"{source}: [{section}] must be a table, got {table!r}")
        for key in table:
            if key not in keys:
                raise CourseConfigError(
                    f"{source}: unknown key [{section}] {key}; allowed keys: {', '.join(keys)}"
                )
        values[section] = {}
        for key, (expected, default) in keys.items():
            value = table.get(key, default)
            if not _valid_value(section, key, value):
                raise CourseConfigError(f"{source}: [{section}] {key} must be {expected}, got {value!r}")
            values[section][key] = value
    return values


def _valid_value(section: str, key: str, value: Any) -> bool:
    if section == "pack":
        return isinstance(value, str)
    if key == "mastery_share":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 < value <= 1.0
    if key == "open_sessions":
        return isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value
        )
    return isinstance(value, bool)

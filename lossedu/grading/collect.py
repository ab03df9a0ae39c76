"""Find the submitted notebooks, decide whose each one is, and read their code cells.

Identity never comes from inside a notebook. It comes from the roster (a CSV file that maps a
file or folder name to a student id) or else from where the file is:

* ``alice.ipynb``                          -> ``alice``
* ``alice/01_from_error_to_objective_exercises.ipynb`` -> ``alice`` (a folder per student)

Notebooks are read with :mod:`json` (fast, no kernel) and only the structure the grader needs is
checked: a JSON object with a list ``cells`` whose code cells have a ``source`` string or list
of strings.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from lossedu.config import validate_student

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
#: files above this size are not read at all; between the two, outputs are dropped and sources kept
MAX_FILE_BYTES = 256 * 1024 * 1024
#: file names of released exercise notebooks, e.g. ``01_from_error_to_objective_exercises.ipynb``
EXERCISE_NAME = re.compile(r"^\d\d_[A-Za-z0-9_\-]+$")
_FILE_COLUMNS = ("file", "filename", "path", "folder", "submission", "name")
_ID_COLUMNS = ("student", "student_id", "id", "sid", "email")


class NotebookError(ValueError):
    """A submission that is not a readable notebook; the message says what is wrong."""


class RosterError(ValueError):
    """A roster file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Submission:
    """One notebook to grade.

    Attributes
    ----------
    path : the notebook file.
    student : whose it is (from the roster or the file name).
    label : the path shown in reports (relative to the folder it was found in).
    identity : where ``student`` came from: ``"roster"`` or ``"file name"``.
    """

    path: Path
    student: str
    label: str
    identity: str = "file name"


# --------------------------------------------------------------------------- notebooks
def sha256_file(path: Path) -> str:
    """SHA-256 hex digest of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def code_cells(data: bytes) -> list[str]:
    """The sources of the code cells of a notebook given as bytes, in order.

    Raises
    ------
    NotebookError
        If the bytes are not a JSON notebook with a ``cells`` list of well-formed cells.
    """
    if len(data) > MAX_FILE_BYTES:
        raise NotebookError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise NotebookError(f"not a notebook: the file is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise NotebookError(f"not a notebook: invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError("not a notebook: the JSON has no 'cells' list (is this an .ipynb file?)")
    sources = []
    for index, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotebookError(f"cell {index} is not an object with a 'cell_type'")
        if cell["cell_type"] != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(f"cell {index}: 'source' must be text or a list of lines")
        sources.append(source)
    if sum(len(c) for c in sources) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"the code cells hold more than {MAX_NOTEBOOK_BYTES // 2**20} MB of source")
    return sources


def oversized(data: bytes) -> bool:
    """True when a notebook is over the size limit and is graded on its sources (outputs dropped)."""
    return len(data) > MAX_NOTEBOOK_BYTES


# --------------------------------------------------------------------------- identity
def student_from_path(path: Path, root: Path | None = None) -> str:
    """The student id a file name implies (see the module docstring)."""
    path = Path(path)
    if root is not None:
        parts = path.relative_to(root).parts
        if len(parts) > 1:
            return parts[0]
    if EXERCISE_NAME.match(path.stem) and path.parent.name:
        return path.parent.name
    return path.stem


#: roster columns carried to the gradebook (header spelled in lower case)
DETAIL_COLUMNS = ("name", "first_name", "last_name", "email", "sis_id", "sis user id", "sis_user_id", "section")


def read_roster_details(path: Path) -> dict[str, dict[str, str]]:
    """Student id -> the roster's name, e-mail, SIS id (and section) columns, as given.

    The id column is the one :func:`read_roster` uses; a roster without a file column is fine
    here (its only purpose may be these details).
    """
    text = Path(path).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        return {}
    header = [h.strip().lower() for h in rows[0]]
    file_col = next((header.index(c) for c in _FILE_COLUMNS if c in header and c != "name"), None)
    id_col = next((header.index(c) for c in _ID_COLUMNS if c in header and header.index(c) != file_col), None)
    if id_col is None:
        return {}
    wanted = [(i, rows[0][i].strip()) for i, h in enumerate(header) if h in DETAIL_COLUMNS and i not in (id_col, file_col)]
    details: dict[str, dict[str, str]] = {}
    for row in rows[1:]:
        if len(row) <= id_col or not row[id_col].strip():
            continue
        try:
            student = validate_student(row[id_col].strip())
        except ValueError:
            continue
        details.setdefault(student, {}).update({name: row[i].strip() for i, name in wanted if i < len(row)})
    return details


def read_roster(path: Path) -> dict[str, str]:
    """Read a roster CSV: a header row with a file column and an id column.

    The file column (``file``, ``filename``, ``path``, ``folder``, ``submission`` or ``name``)
    holds a notebook file name, its stem, or a student folder name; the id column (``student``,
    ``student_id``, ``id``, ``sid`` or ``email``) the id to grade it as.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RosterError(f"--roster {path}: cannot read the file ({exc.strerror})") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise RosterError(f"--roster {path}: the file is empty; expected a header such as 'file,student'")
    header = [h.strip().lower() for h in rows[0]]
    file_col = next((header.index(c) for c in _FILE_COLUMNS if c in header), None)
    id_col = next((header.index(c) for c in _ID_COLUMNS if c in header and header.index(c) != file_col), None)
    if file_col is None and id_col is not None and any(h in DETAIL_COLUMNS for h in header):
        return {}  # a roster of ids and names only: files keep the ids their names give
    if file_col is None or id_col is None:
        raise RosterError(
            f"--roster {path}: the header {rows[0]} needs a file column (one of {', '.join(_FILE_COLUMNS)}) "
            f"and a student id column (one of {', '.join(_ID_COLUMNS)})"
        )
    mapping: dict[str, str] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(file_col, id_col):
            raise RosterError(f"--roster {path}, line {number}: expected {len(header)} columns, got {len(row)}")
        key, student = row[file_col].strip(), row[id_col].strip()
        try:
            student = validate_student(student)
        except ValueError as exc:
            raise RosterError(f"--roster {path}, line {number}: {exc}") from None
        if key in mapping and mapping[key] != student:
            raise RosterError(f"--roster {path}, line {number}: {key!r} is mapped to both {mapping[key]!r} and {student!r}")
        mapping[key] = student
    return mapping


def _roster_lookup(roster: dict[str, str], path: Path, root: Path | None) -> str | None:
    candidates = []
    if root is not None:
        rel = path.relative_to(root)
        candidates += [rel.as_posix(), rel.parts[0]]
    candidates += [path.name, path.stem, path.parent.name]
    return next((roster[c] for c in candidates if c in roster), None)


# --------------------------------------------------------------------------- discovery
def _notebooks_under(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        rel = path.relative_to(folder).parts
        if any(part.startswith(".") or part == "__MACOSX" for part in rel):
            continue  # .ipynb_checkpoints, hidden files, archive debris
        if path.is_file():
            found.append(path)
    return found


def find_submissions(paths: list[str | Path], roster: dict[str, str] | None = None) -> list[Submission]:
    """Every notebook in ``paths`` (folders are searched recursively) with its student id.

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    ValueError
        If a file is not an ``.ipynb`` or a file name gives no valid student id.
    """
    subs: list[Submission] = []
    for given in paths:
        given = Path(given)
        folder_id = None
        if given.is_dir():
            pairs = [(p, given) for p in _notebooks_under(given)]
            unnamed = [p for p, _ in pairs if p.parent == given and EXERCISE_NAME.match(p.stem)
                       and not (roster and _roster_lookup(roster, p, given))]
            if unnamed and len(unnamed) < len(pairs):
                names = ", ".join(p.name for p in unnamed[:5])
                raise ValueError(f"{given}: {names} look(s) like exercise notebooks but sit at the top of the "
                                 "submissions folder, next to other students' work, so their names give no student "
                                 f"id. Move each into a folder named after its student ({given}/<id>/...), rename it "
                                 "<id>.ipynb, or list it in the roster.")
            if unnamed:
                folder_id = given.resolve().name  # a folder of one student's notebooks: `grade subs/alice`
        elif given.is_file():
            if given.suffix != ".ipynb":
                raise ValueError(f"SUBMISSIONS: {given} is not an .ipynb notebook or a folder of them")
            pairs = [(given, None)]
        else:
            raise FileNotFoundError(f"SUBMISSIONS: {given} does not exist")
        for path, root in pairs:
            mapped = _roster_lookup(roster, path, root) if roster else None
            named_by_folder = folder_id is not None and path.parent == given and EXERCISE_NAME.match(path.stem)
            if root is None and EXERCISE_NAME.match(path.stem):
                named_by_folder, folder_id = True, path.resolve().parent.name
            student = mapped or (folder_id if named_by_folder else student_from_path(path, root))
            try:
                student = validate_student(student)
            except ValueError as exc:
                raise ValueError(f"{path}: no usable student id from the file name ({exc})") from None
            label = path.relative_to(root).as_posix() if root is not None else path.name
            identity = "roster" if mapped else (f"folder name ({path.parent.name}/)" if named_by_folder else
                                                "folder name" if root is not None and len(path.relative_to(root).parts) > 1
                                                else "file name")
            subs.append(Submission(path, student, label, identity))
    seen: set[Path] = set()
    unique = []
    for sub in subs:
        if sub.path.resolve() not in seen:
            seen.add(sub.path.resolve())
            unique.append(sub)
    return unique

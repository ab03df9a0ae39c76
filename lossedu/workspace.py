"""The learner's workspace: their own copies of the lessons and exercise sets.

A learner never works in the course's own files. ``lossedu start`` (and ``make lab``) copy the
lessons and exercise sets into a workspace folder and open JupyterLab there::

    WORKSPACE/
        lessons/    00_start_here.ipynb, 01_..., README.md
        exercises/  01_..._exercises.ipynb, ...
        .lossedu-workspace.json   what was copied, with a fingerprint of each copy

Syncing again (every ``lossedu start``) follows three rules, so course updates never cost the
learner their work:

* a notebook the workspace does not have yet is copied in;
* a copy the learner has not changed since it was copied (same fingerprint) follows the course
  when the course's version changed;
* a copy the learner changed (or ran: outputs are changes too) is kept as it is.

``refresh(workspace, name)`` replaces one copy by the course's current version; the learner's copy
is moved to ``WORKSPACE/backups/<time>/`` first, so nothing is lost.

The course comes from the checkout (``lessons/`` and ``exercises/`` next to the package) or, after a
plain ``pip install lossedu``, from the package data (``lossedu/_course/``).
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FOLDERS", "course_root", "course_files", "sync", "refresh", "SyncReport"]

#: The course folders a workspace holds, in the course's own layout (links between them work).
FOLDERS: tuple[str, ...] = ("lessons", "exercises")
#: File kinds copied from those folders.
SUFFIXES: tuple[str, ...] = (".ipynb", ".md")
MANIFEST = ".lossedu-workspace.json"
BACKUPS = "backups"


def course_root() -> Path:
    """The folder holding ``lessons/`` and ``exercises/``: package data first, then the checkout."""
    package = Path(__file__).resolve().parent
    for root in (package / "_course", package.parent):
        if all((root / folder).is_dir() for folder in FOLDERS):
            return root
    raise FileNotFoundError(
        f"the course notebooks are missing: neither {package / '_course'} (package data) nor "
        f"{package.parent / 'lessons'} (a checkout) exists; reinstall lossedu"
    )


def course_files(root: Path | None = None) -> list[Path]:
    """The course's files, relative to ``root``: ``lessons/NN_name.ipynb``, ... (sorted)."""
    root = course_root() if root is None else Path(root)
    return sorted(
        path.relative_to(root)
        for folder in FOLDERS
        for path in (root / folder).iterdir()
        if path.is_file() and path.suffix in SUFFIXES
    )


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class SyncReport:
    """What :func:`sync` did, file by file (paths relative to the workspace)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # changed by the learner, course has news
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line per kind of change; what to do for a kept copy."""
        lines = []
        if self.added:
            lines.append(f"added {len(self.added)}: {', '.join(self.added)}")
        if self.updated:
            lines.append(f"updated from the course {len(self.updated)}: {', '.join(self.updated)}")
        for name in self.kept:
            stem = Path(name).stem
            lines.append(f"kept your copy of {name} (the course has a newer one: "
                         f"`lossedu start --refresh {stem}` fetches it, your copy goes to {BACKUPS}/)")
        return "\n".join(lines) if lines else "workspace up to date"


def _load_manifest(workspace: Path) -> dict[str, str]:
    path = workspace / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.get("copied", {}).items()}


def _save_manifest(workspace: Path, copied: dict[str, str]) -> None:
    text = json.dumps({"copied": dict(sorted(copied.items()))}, indent=1)
    (workspace / MANIFEST).write_text(text + "\n")


def sync(workspace: str | Path, root: Path | None = None) -> SyncReport:
    """Create or update ``workspace`` from the course; never overwrites a learner's change.

    Parameters
    ----------
    workspace : path
        Created when missing.
    root : path, optional
        The course (default :func:`course_root`).

    Returns
    -------
    SyncReport
    """
    root = course_root() if root is None else Path(root)
    workspace = Path(workspace)
    if workspace.exists() and not workspace.is_dir():
        raise NotADirectoryError(f"workspace {workspace} exists and is not a folder")
    if workspace.resolve() == root.resolve():
        raise ValueError(f"the workspace must not be the course folder itself ({root})")
    copied = _load_manifest(workspace)
    report = SyncReport()
    for rel in course_files(root):
        key = rel.as_posix()
        source, target = root / rel, workspace / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            copied[key] = _fingerprint(target)
            report.added.append(key)
            continue
        mine, theirs = _fingerprint(target), _fingerprint(source)
        if mine == theirs:
            copied[key] = mine
            report.unchanged.append(key)
        elif copied.get(key) == mine:  # untouched since copied: follow the course
            shutil.copyfile(source, target)
            copied[key] = theirs
            report.updated.append(key)
        else:
            report.kept.append(key)
    _save_manifest(workspace, copied)
    return report


def _find(workspace: Path, root: Path, name: str) -> Path:
    """The course file a learner means by ``name`` (``01_x``, ``01_x.ipynb`` or ``lessons/01_x``)."""
    wanted = name if name.endswith(SUFFIXES) else name + ".ipynb"
    matches = [rel for rel in course_files(root) if rel.as_posix() == wanted or rel.name == wanted]
    if len(matches) != 1:
        names = ", ".join(rel.stem for rel in course_files(root) if rel.suffix == ".ipynb")
        why = "matches several files" if matches else "is not a course notebook"
        raise ValueError(f"{name!r} {why}; choose one of: {names}")
    return matches[0]


def refresh(workspace: str | Path, name: str, root: Path | None = None) -> tuple[Path, Path | None]:
    """Replace the workspace's copy of ``name`` by the course's current version.

    The learner's copy (if any) is moved to ``workspace/backups/YYYYmmdd-HHMMSS/<folder>/`` first.

    Returns
    -------
    (fresh copy, backup or None)
    """
    root = course_root() if root is None else Path(root)
    workspace = Path(workspace)
    rel = _find(workspace, root, name)
    target = workspace / rel
    backup = None
    if target.exists():
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup = workspace / BACKUPS / stamp / rel
        n = 1
        while backup.exists():
            n += 1
            backup = workspace / BACKUPS / f"{stamp}-{n}" / rel
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(target), str(backup))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / rel, target)
    copied = _load_manifest(workspace)
    copied[rel.as_posix()] = _fingerprint(target)
    _save_manifest(workspace, copied)
    return target, backup

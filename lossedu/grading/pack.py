"""Course packs: an instructor's private problems, graded with the pack, released without answers.

A course pack is a folder the instructor keeps (never given to students), named in the course
configuration::

    [pack]
    path = "private_pack"      # relative to the TOML file, or absolute

Each ``*.py`` file in it (names starting with ``_`` are skipped) is one private session, written
like a session module of the bank (``lossedu/problems/s1.py``): ``SESSION`` (a number not used by
the bank), ``TITLE``, ``PROBLEMS`` (:class:`lossedu.spec.Problem` objects, with their references)
and ``EXERCISES`` (their ids in question order). Pack problems have one set of numbers for
everyone (no ``sampler``): the student's package cannot draw variants of problems it does not
have. Function problems still get fresh secret inputs at grading time.

* :func:`load_pack` registers the pack's sessions in the problem registry of the grading process
  (``lossedu grade`` does this when the course configuration names a pack);
* :func:`release_pack` writes one notebook per pack session for students: prompts, numbers, a
  form-only check (:mod:`lossedu.grading.forms`) and nothing of the references.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from lossedu import problems

_LOADED: dict[Path, list[int]] = {}


class PackError(ValueError):
    """A course pack that cannot be used; the message names the file and the problem."""


def course_pack() -> Path | None:
    """The pack folder named by the course configuration (``$LOSSEDU_COURSE``), or None."""
    from lossedu.config import load_course

    folder = load_course().pack
    return Path(folder) if folder else None


def load_pack(folder: str | Path) -> list[int]:
    """Register every session of the pack in ``folder``; returns their session numbers."""
    folder = Path(folder).resolve()
    if folder in _LOADED:
        return _LOADED[folder]
    if not folder.is_dir():
        raise PackError(f"course pack {folder} is not a folder (see [pack] path in the course configuration)")
    found = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = f"lossedu_pack_{hashlib.sha256(str(path).encode()).hexdigest()[:12]}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise PackError(f"{path}: cannot be imported")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as err:  # noqa: BLE001 - say which file of the pack is broken
            raise PackError(f"{path}: {type(err).__name__}: {err}") from None
        for attr in ("SESSION", "PROBLEMS", "EXERCISES"):
            if not hasattr(module, attr):
                raise PackError(f"{path}: defines no {attr} (a pack file is written like lossedu/problems/s1.py)")
        if any(p.sampler is not None for p in module.PROBLEMS):
            raise PackError(f"{path}: pack problems have one set of numbers for everyone; remove 'sampler' from "
                            f"{[p.id for p in module.PROBLEMS if p.sampler is not None]}")
        try:
            problems.add_session(module.SESSION, list(module.PROBLEMS), list(module.EXERCISES), str(path))
        except ValueError as err:
            raise PackError(str(err)) from None
        TITLES[module.SESSION] = getattr(module, "TITLE", "") or path.stem
        found.append(module.SESSION)
    if not found:
        raise PackError(f"course pack {folder} holds no session file (*.py)")
    _LOADED[folder] = found
    return found


#: session number -> title of each loaded pack session
TITLES: dict[int, str] = {}


# --------------------------------------------------------------------------- release
def _plain(value: Any) -> Any:
    from lossedu.grading.judging import plain

    return plain(value)


def form_spec(k: int) -> dict[str, Any]:
    """What a released notebook of pack session ``k`` carries: no reference, no solution, no hint
    beyond the first; per question its id, kind, prompt, numbers and the form its answer takes."""
    questions = []
    for problem in problems.session_problems(k):
        variant = problem.variant(None)
        question = {"id": problem.id, "kind": problem.kind, "title": problem.title, "prompt": variant.prompt(),
                    "params": _plain(variant.params), "variables": list(problem.variables),
                    "signature": problem.signature or "", "points": problem.points}
        if problem.kind == "choice":
            question["options"] = [o.key for o in problem.options]
        if problem.kind == "vector":
            question["length"] = len(problem.components)
        if problem.kind == "function":
            sample = problem.draw_inputs(variant, __import__("numpy").random.default_rng(0))[:1]
            question["sample"] = [{k: _plain(v) for k, v in kwargs.items()} for kwargs in sample]
        questions.append(question)
    return {"session": k, "title": TITLES.get(k, f"Session {k}"), "questions": questions}


def _cell(kind: str, source: str) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def release_pack(folder: str | Path, out: str | Path) -> list[Path]:
    """Write ``out/<SESSION>_<name>.ipynb`` for each session of the pack (see the module docstring)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for k in load_pack(folder):
        spec = form_spec(k)
        total = sum(q["points"] for q in spec["questions"])
        cells = [_cell("markdown", f"# Homework — {spec['title']}\n\nYour answers are checked for their form "
                                   "here (does it read as an expression, a number, a function of the right "
                                   "shape?); they are graded after the deadline. Name your submission "
                                   f"`<student_id>.ipynb`. Total: {total:g} points."),
                 _cell("code", "%env LOSSEDU_STUDENT=your_id"),
                 _cell("code", "from lossedu.grading.forms import pack_session\n"
                               f"ex = pack_session({json.dumps(spec)!r})")]
        for i, question in enumerate(spec["questions"], 1):
            cells.append(_cell("markdown", f"## q{i} · {question['title']} ({question['points']:g} pt)\n\n"
                                           f"{question['prompt']}"))
            if question["kind"] == "function":
                body = f"def my_answer_q{i}(*args):\n    ...  # {question['signature']}\n\nex.q{i}.check(my_answer_q{i})"
            else:
                body = f"answer_q{i} = ...\nex.q{i}.check(answer_q{i})"
            cells.append(_cell("code", body))
        nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                          "language": "python"}},
              "nbformat": 4, "nbformat_minor": 5}
        path = out / f"{k:02d}_{Path(str(spec['title'])).name.lower().replace(' ', '_')[:40] or 'pack'}.ipynb"
        path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
        written.append(path)
    return written

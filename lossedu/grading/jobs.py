"""What the grader sends into a submission's sandbox, and how it reads the function outputs back.

Only data crosses: the code cells as plain Python (IPython syntax turned into Python here, in
the grader), the student's parameters of each graded question (``qN.params``; never a reference
answer), the options of each choice question in the order this student is shown them
(``qN.options()``; never which one is right), and the inputs of each function problem. The
inputs are sent **scrambled**: shuffled, with some of them repeated, so the submission cannot
tell which call is which check; the grader puts the outputs back in order and refuses an
implementation whose repeated calls disagree.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from lossedu import problems
from lossedu.grading import codec

#: a notebook's ``%env LOSSEDU_STUDENT=...`` line (the id the student worked under)
ENV_ID = re.compile(r"^\s*%env\s+LOSSEDU_STUDENT\s*[= ]\s*(\S+)\s*$", re.MULTILINE)
_MAGIC_START = ("%", "!")


def to_python(source: str) -> str:
    """A cell's IPython syntax (``%magic``, ``!shell``, ``obj?``) as plain Python (unchanged when none)."""
    lines = source.lstrip().splitlines()
    if not any(line.lstrip().startswith(_MAGIC_START) or line.rstrip().endswith("?") for line in lines):
        return source
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - the cell then fails to compile in the sandbox, as it would in Jupyter
        return source


def notebook_ids(cells: list[str]) -> list[str]:
    """The ids a notebook sets with ``%env LOSSEDU_STUDENT=...`` (in order, without duplicates)."""
    found: list[str] = []
    for source in cells:
        for match in ENV_ID.finditer(source):
            value = match.group(1).strip("\"'")[:100]
            if value not in found:
                found.append(value)
    return found


def catalog(student: str, sessions: tuple[int, ...] | None) -> dict[str, list[dict[str, Any]]]:
    """Per graded session, its questions in order with this student's parameters and, for a choice
    question, its options ``[[key, text], ...]`` in this student's shown order (data only: never
    which option is right)."""
    chosen = sessions if sessions is not None else tuple(problems.sessions())
    out: dict[str, list[dict[str, Any]]] = {}
    for k in chosen:
        questions = []
        for problem in problems.session_problems(k):
            question: dict[str, Any] = {"pid": problem.id, "params": codec.encode({})}
            try:
                variant = problem.variant(student)
                question["params"] = codec.encode(variant.params)
                if problem.kind == "choice":  # the options in the order this student is shown them
                    question["options"] = [[key, variant.option_text(option)]
                                           for key, option in variant.shown_options()]
            except Exception:  # noqa: BLE001 - a question without numbers still records answers
                pass
            questions.append(question)
        out[str(k)] = questions
    return out


# --------------------------------------------------------------------------- inputs
def _encode_value(value: Any) -> Any:
    if isinstance(value, str):
        return value
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"an input must be numbers, got {array.dtype}")
    flat = [x if math.isfinite(x) else ("nan" if math.isnan(x) else ("inf" if x > 0 else "-inf"))
            for x in array.astype(np.float64).ravel().tolist()] if array.dtype.kind == "f" else array.ravel().tolist()
    return {"a": array.dtype.str, "s": list(array.shape), "v": flat}


def order_of(seed: int, student: str, pid: str, n: int) -> list[int]:
    """The order the ``n`` inputs of one problem are sent in: shuffled, a quarter (at least 2) repeated."""
    if n == 0:
        return []
    digest = hashlib.sha256(f"{seed}|{student}|{pid}|order".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    order = list(range(n)) + [int(i) for i in rng.integers(0, n, size=max(2, n // 4))]
    rng.shuffle(order)
    return order


def scrambled_inputs(inputs: dict[str, list[dict[str, Any]]], seed: int, student: str) -> dict[str, list]:
    """Each problem's inputs in the order :func:`order_of` gives, encoded for the sandbox."""
    sent = {}
    for pid, items in inputs.items():
        encoded = [{k: _encode_value(v) for k, v in kwargs.items()} for kwargs in items]
        sent[pid] = [encoded[i] for i in order_of(seed, student, pid, len(items))]
    return sent


def _timed_out(item: Any) -> bool:
    return isinstance(item, dict) and item.get("t") == "error" and str(item.get("v", "")).startswith("TimeoutError")


def unscramble(message: dict[str, Any], n: int, seed: int, student: str) -> dict[str, Any]:
    """A function message with its outputs and warnings back in the drawn order.

    Sets ``"inconsistent": True`` when two calls on the same input returned different values
    (calls that ran out of time are left out of the comparison). Messages with no outputs (not
    called) and malformed ones are returned unchanged: the judge refuses them.
    """
    outputs, warned = message.get("outputs"), message.get("warnings")
    order = order_of(seed, student, str(message.get("pid")), n)
    if not outputs or not isinstance(outputs, list) or len(outputs) != len(order):
        return message
    warned = warned if isinstance(warned, list) and len(warned) == len(order) else None
    back: list[Any] = [None] * n
    back_warnings: list[Any] = [[] for _ in range(n)]
    inconsistent = False
    for position, index in enumerate(order):
        item = outputs[position]
        if back[index] is None or _timed_out(back[index]):
            back[index] = item
            if warned is not None:
                back_warnings[index] = warned[position]
        elif not _timed_out(item) and json.dumps(item, sort_keys=True) != json.dumps(back[index], sort_keys=True):
            inconsistent = True
    fixed = {**message, "outputs": back, "inconsistent": inconsistent}
    if warned is not None:
        fixed["warnings"] = back_warnings
    else:
        fixed.pop("warnings", None)
    return fixed


# --------------------------------------------------------------------------- warm-up
def solution_notebooks(sessions: tuple[int, ...], folder: Path | None = None) -> list[Path]:
    """The course's solution notebooks of ``sessions`` (``solutions/NN_*.ipynb``), those that exist."""
    if folder is None:
        from lossedu.authoring import repo_root

        folder = repo_root() / "solutions"
    return [path for k in sessions for path in sorted(Path(folder).glob(f"{k:02d}_*.ipynb"))]


def warm_cells(sessions: tuple[int, ...], folder: Path | None = None) -> list[list[str]]:
    """The code cells of the course's solution notebooks of ``sessions``, as plain Python in homework
    mode: the zygotes run them once, answers discarded, to warm SymPy's caches. Empty when the
    solutions are not installed (e.g. inside the Gradescope bundle)."""
    from lossedu.grading.collect import NotebookError, code_cells
    from lossedu.grading.release import homework_setup

    found = []
    for path in solution_notebooks(sessions, folder):
        try:
            cells = code_cells(path.read_bytes())
        except (OSError, NotebookError):
            continue
        found.append([to_python(homework_setup(c)) for c in cells])
    return found

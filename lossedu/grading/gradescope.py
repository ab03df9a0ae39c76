"""A Gradescope autograder for lossedu homework: ``lossedu gradescope --sessions 1 --out autograder.zip``.

The zip holds, at its root (Gradescope unpacks it into ``/autograder/source``):

* ``setup.sh``: installs the Python dependencies (``requirements.txt``),
* ``run_autograder``: grades ``/autograder/submission/*.ipynb`` as the student named in
  ``/autograder/submission_metadata.json`` and writes ``/autograder/results/results.json``,
* ``lossedu/``: this package's source, bundled so the grader is the one the course used,
* ``lossedu_autograder.json``: the sessions and limits chosen when the zip was built.

Results follow Gradescope's documented format: top-level ``score``, ``output``, ``visibility``,
``stdout_visibility`` and one test per problem (``name``, ``number``, ``score``, ``max_score``,
``output``, ``visibility``, ``tags``). ``LOSSEDU_AUTOGRADER_ROOT`` replaces ``/autograder``
(used by the tests).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT_ENV = "LOSSEDU_AUTOGRADER_ROOT"
CONFIG_NAME = "lossedu_autograder.json"
REQUIREMENTS = ["numpy>=1.24", "sympy>=1.12", "matplotlib>=3.7", "ipython>=8.0", "tomli>=2.0; python_version < '3.11'"]
ID_FIELDS = ("email", "sid", "id", "name")

SETUP_SH = """#!/usr/bin/env bash
# Gradescope image set-up: Python 3, bubblewrap (the OS sandbox of each run) and the grader's
# dependencies (the lossedu source is bundled).
set -euo pipefail
apt-get install -y python3 python3-pip bubblewrap >/dev/null
python3 -m pip install --quiet -r /autograder/source/requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Grade the submitted notebook(s); LOSSEDU_AUTOGRADER_ROOT replaces /autograder (for tests).
set -u
ROOT="${LOSSEDU_AUTOGRADER_ROOT:-/autograder}"
export PYTHONPATH="$ROOT/source${PYTHONPATH:+:$PYTHONPATH}"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MPLBACKEND=Agg
exec "${LOSSEDU_PYTHON:-python3}" -m lossedu.grading.gradescope --root "$ROOT"
"""


# --------------------------------------------------------------------------- building the zip
def build(sessions: list[int], out: Path, timeout: float = 60.0, memory_mb: int = 1024,
          id_field: str = "email") -> Path:
    """Write the autograder zip for ``sessions`` to ``out`` and return its path."""
    from lossedu import problems

    bad = [k for k in sessions if k not in problems.sessions()]
    if bad:
        raise ValueError(f"--sessions: unknown session(s) {bad}; sessions are {problems.sessions()}")
    if id_field not in ID_FIELDS:
        raise ValueError(f"--id-field must be one of {ID_FIELDS}, got {id_field!r}")
    package = Path(__file__).resolve().parent.parent
    config = {"sessions": sessions, "timeout": timeout, "memory_mb": memory_mb, "id_field": id_field}
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
        zf.writestr("requirements.txt", "\n".join(REQUIREMENTS) + "\n")
        zf.writestr(CONFIG_NAME, json.dumps(config, indent=1))
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                zf.write(path, Path("lossedu") / path.relative_to(package))
    return out


# --------------------------------------------------------------------------- inside Gradescope
def student_id(metadata: dict[str, Any], field: str) -> str:
    """The first submitter's id from ``submission_metadata.json`` (group members share it)."""
    users = metadata.get("users") or []
    if not users or not isinstance(users[0], dict) or users[0].get(field) in (None, ""):
        raise ValueError(f"submission_metadata.json has no users[0].{field}")
    return str(users[0][field])


def _test(problem: Any, number: str, student: str, result: dict[str, Any]) -> dict[str, Any]:
    from lossedu.grading.feedback import problem_section

    lines = problem_section(problem, student, result, number)[1:]
    test = {"name": f"{number} {problem.id}: {problem.title}", "number": number,
            "score": round(float(result["score"]) * problem.points, 4), "max_score": float(problem.points),
            "output": "\n".join(lines).strip(), "visibility": "visible"}
    if result.get("diagnosis"):
        test["tags"] = [result["diagnosis"]]
    return test


def results_json(records: list[dict[str, Any]], sessions: list[int], student: str) -> dict[str, Any]:
    """Gradescope's ``results.json`` for one student's graded notebooks."""
    from lossedu import problems
    from lossedu.grading import report

    cols = report.columns(records, tuple(sessions))
    tests, score = [], 0.0
    if records:
        grade = report.grades(records, cols)[0]
        for p in cols:
            number = f"{p.session}.{[q.id for q in problems.session_problems(p.session)].index(p.id) + 1}"
            tests.append(_test(p, number, student, grade.results[p.id]))
        score = sum(t["score"] for t in tests)
    lines = [f"Graded as {student}."]
    for r in records:
        lines.append(f"{r['label']}: {r['outcome']}: {r['message']}")
        lines += [f"  code cell {e['cell']} raised {e['error']}: {e['message']}" for e in r.get("cell_errors", [])[:10]]
    if not records:
        lines.append("No .ipynb notebook was found in the submission: upload your homework notebook.")
    return {"score": round(score, 4), "output": "\n".join(lines), "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}


def run(root: Path) -> dict[str, Any]:
    """Grade ``root/submission`` and write ``root/results/results.json``; returns the results."""
    from lossedu.grading import grade
    from lossedu.grading.engine import _load

    config = json.loads((root / "source" / CONFIG_NAME).read_text(encoding="utf-8"))
    results_path = root / "results" / "results.json"
    results_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        metadata = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        student = student_id(metadata, config.get("id_field", "email"))
        notebooks = sorted(p for p in (root / "submission").rglob("*.ipynb")
                           if not any(part.startswith(".") for part in p.relative_to(root / "submission").parts))
        records = []
        from lossedu.grading.isolation import unavailable_reason

        why = unavailable_reason()
        if notebooks:
            with tempfile.TemporaryDirectory() as tmp:
                roster = Path(tmp) / "roster.csv"
                roster.write_text("file,student\n" + "".join(f"{p.name},{student}\n" for p in notebooks), encoding="utf-8")
                summary = grade(notebooks, Path(tmp) / "out", roster=roster, jobs=1, timeout=config["timeout"],
                                memory_mb=config["memory_mb"], sessions=tuple(config["sessions"]),
                                sandbox=why is None)
                records = [_load(p) for p in sorted((summary.out / "submissions").glob("*.json"))]
        data = results_json([r for r in records if r], config["sessions"], student)
        data["output"] = (("Graded in an OS sandbox (bubblewrap). " if why is None else
                           f"The OS sandbox could not be created in this image ({why}); graded with the "
                           "Python-level fences only. ") + data.get("output", ""))
    except Exception as err:  # noqa: BLE001 - Gradescope must always get a results.json
        data = {"score": 0.0, "output": f"The autograder could not grade this submission: {type(err).__name__}: {err}. "
                "Please contact the course staff.", "visibility": "visible", "stdout_visibility": "hidden", "tests": []}
    tmp_path = results_path.with_suffix(".tmp")
    tmp_path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp_path, results_path)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lossedu.grading.gradescope",
                                     description="Grade a Gradescope submission (run by run_autograder).")
    parser.add_argument("--root", type=Path, default=Path(os.environ.get(ROOT_ENV, "/autograder")),
                        help="the autograder root (default $LOSSEDU_AUTOGRADER_ROOT or /autograder)")
    args = parser.parse_args(argv)
    import lossedu

    data = run(args.root)
    print(f"lossedu from {Path(lossedu.__file__).parent}; score {data['score']}; {len(data['tests'])} tests")
    return 0


if __name__ == "__main__":  # pragma: no cover - run by run_autograder
    sys.exit(main())

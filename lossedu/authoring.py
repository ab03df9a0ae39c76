"""Authoring: ``solutions/`` is the single source of every exercise set.

``lossedu generate`` writes ``exercises/NN_name.ipynb`` from ``solutions/NN_name.ipynb``:

* every code region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's markers)
  is replaced by a placeholder that runs: ``name = ...  # YOUR ANSWER HERE`` for each name the
  region assigns, a stub ``def f(...): ...`` for each function it defines, and ``...`` otherwise
  (for a region inside a function body), so a generated cell runs and its check says
  "unattempted";
* Markdown between ``<!-- BEGIN SOLUTION -->`` and ``<!-- END SOLUTION -->`` is removed;
* cells tagged ``solution-only`` are dropped; outputs, execution counts and the saved state of
  the solution's last run (widget state, cell timings) are cleared.

``lossedu generate --check`` fails when ``exercises/`` is not what ``generate`` would write.
``lossedu execute NB...`` re-runs notebooks in place (nbclient) in the same environment the
tests use, so the stored outputs are the ones nbval will compare against.
"""
from __future__ import annotations

import argparse
import ast
import os
import re
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
MD_BEGIN = "<!-- BEGIN SOLUTION -->"
MD_END = "<!-- END SOLUTION -->"
SOLUTION_ONLY_TAG = "solution-only"
ANSWER_PLACEHOLDER = "...  # YOUR ANSWER HERE"
CODE_PLACEHOLDER = "...  # YOUR CODE HERE"
TEST_STUDENT = "ci-learner"


class AuthoringError(ValueError):
    """A solution notebook that cannot be turned into an exercise notebook."""


def repo_root() -> Path:
    """The repository holding ``lessons/``, ``solutions/`` and ``exercises/``."""
    return Path(__file__).resolve().parent.parent


def notebook_environment(home: str | os.PathLike[str]) -> dict[str, str]:
    """Environment variables under which notebooks are executed and tested.

    A fresh progress store in ``home``, a fixed learner id (so variants and stored outputs are
    the same on every run) and the CI course configuration (gates lifted).
    """
    return {
        "LOSSEDU_HOME": str(home),
        "LOSSEDU_STUDENT": TEST_STUDENT,
        "LOSSEDU_COURSE": str(repo_root() / "tests" / "course_ci.toml"),
        "PYTHONHASHSEED": "0",
    }


# ----------------------------------------------------------------------------- code regions
def _placeholder(region: list[str], indent: str, where: str) -> list[str]:
    """Lines that stand in for a solution region."""
    body = textwrap.dedent("\n".join(region))
    try:
        tree = ast.parse(body)
    except SyntaxError:
        tree = None  # e.g. a bare ``return`` inside a function body
    lines: list[str] = []
    if tree is not None:
        for node in tree.body:
            if isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                lines += [f"{indent}{name} = {ANSWER_PLACEHOLDER}" for name in names]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                lines.append(f"{indent}{node.target.id} = {ANSWER_PLACEHOLDER}")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                header = body.splitlines()[node.lineno - 1].strip()
                if not header.endswith(":"):
                    raise AuthoringError(f"{where}: put the signature of {node.name}() on one line")
                lines += [f"{indent}{header}", f"{indent}    {CODE_PLACEHOLDER}"]
    return lines or [f"{indent}{CODE_PLACEHOLDER}"]


def strip_code_solution(source: str, where: str = "cell") -> str:
    """Replace every ``### BEGIN/END SOLUTION`` region of a code cell by a placeholder."""
    out: list[str] = []
    region: list[str] | None = None
    indent = ""
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if region is not None:
                raise AuthoringError(f"{where}, line {number}: nested '{BEGIN}'")
            region, indent = [], line[: len(line) - len(line.lstrip())]
        elif stripped == END:
            if region is None:
                raise AuthoringError(f"{where}, line {number}: '{END}' without '{BEGIN}'")
            out += _placeholder(region, indent, where)
            region = None
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise AuthoringError(f"{where}: '{BEGIN}' is never closed by '{END}'")
    return "\n".join(out)


def strip_markdown_solution(source: str, where: str = "cell") -> str:
    """Remove ``<!-- BEGIN SOLUTION -->`` ... ``<!-- END SOLUTION -->`` from Markdown."""
    if source.count(MD_BEGIN) != source.count(MD_END):
        raise AuthoringError(f"{where}: unbalanced {MD_BEGIN} / {MD_END}")
    pattern = re.escape(MD_BEGIN) + r".*?" + re.escape(MD_END) + r"\n?"
    return re.sub(pattern, "", source, flags=re.S)


# ----------------------------------------------------------------------------- notebooks
def exercise_from_solution(nb: Any, name: str = "notebook") -> Any:
    """Return the exercise version of a solution notebook (an ``nbformat`` node; not modified)."""
    import copy

    out = copy.deepcopy(nb)
    cells = []
    for index, cell in enumerate(out.cells):
        where = f"{name}, cell {index}"
        if SOLUTION_ONLY_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        cell.metadata.pop("execution", None)  # timings of the last run of the solution
        if cell.cell_type == "code":
            cell.source = strip_code_solution(cell.source, where)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = strip_markdown_solution(cell.source, where)
        cells.append(cell)
    out.cells = cells
    out.metadata.pop("widgets", None)  # saved widget state of the solution's last run
    out.metadata.setdefault("lossedu", {})["generated_from"] = f"solutions/{name}"
    return out


def _pairs(root: Path) -> list[tuple[Path, Path]]:
    return [(src, root / "exercises" / src.name) for src in sorted((root / "solutions").glob("*.ipynb"))]


def render_exercise(src: Path) -> str:
    """The exact text ``generate`` writes for one solution notebook."""
    import nbformat

    nb = nbformat.read(src, as_version=4)
    return nbformat.writes(exercise_from_solution(nb, src.name)) + "\n"


def generate(root: Path | None = None, check: bool = False, only: list[str] | None = None) -> list[str]:
    """Write (or, with ``check``, compare) every exercise notebook (or those named in ``only``).

    Returns the problems found: stale or missing exercises, and exercises without a solution.
    """
    root = Path(root or repo_root())
    problems: list[str] = []
    expected = set()
    pairs = _pairs(root)
    if only:
        wanted = {Path(name).name for name in only}
        unknown = wanted - {src.name for src, _ in pairs}
        if unknown:
            raise AuthoringError(f"no such solution notebook: {', '.join(sorted(unknown))}")
        pairs = [(src, dst) for src, dst in pairs if src.name in wanted]
    for src, dst in pairs:
        expected.add(dst.name)
        text = render_exercise(src)
        current = dst.read_text(encoding="utf-8") if dst.exists() else None
        if current == text:
            continue
        if check:
            state = "missing" if current is None else "out of date"
            problems.append(f"exercises/{dst.name} is {state}; run `lossedu generate`")
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(text, encoding="utf-8")
    for orphan in sorted((root / "exercises").glob("*.ipynb")):
        if not only and orphan.name not in expected:
            problems.append(f"exercises/{orphan.name} has no solutions/{orphan.name}; delete it or add the solution")
    return problems


def generate_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lossedu generate",
        description="Build exercises/ from solutions/: solution regions become placeholders, "
        "outputs are cleared. With --check, only report what is stale.",
    )
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if exercises/ is stale")
    parser.add_argument("--root", type=Path, default=None, help="repository root (default: this checkout)")
    parser.add_argument("notebooks", nargs="*", help="only these solution notebooks (default: all)")
    args = parser.parse_args(argv)
    try:
        problems = generate(args.root, check=args.check, only=args.notebooks)
    except AuthoringError as exc:
        print(f"lossedu generate: {exc}", file=sys.stderr)
        return 1
    for line in problems:
        print(line, file=sys.stderr)
    if not problems:
        print("exercises/ is up to date" if args.check else "exercises/ written")
    return 1 if problems else 0


# ----------------------------------------------------------------------------- execution
def execute_notebook(path: Path, timeout: int = 600) -> None:
    """Run ``path`` top to bottom in a fresh kernel and store its outputs in place."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="lossedu-home-") as home:
        saved = dict(os.environ)
        os.environ.update(notebook_environment(home))
        try:
            client = nbclient.NotebookClient(
                nb, timeout=timeout, kernel_name="python3",
                resources={"metadata": {"path": str(path.parent)}},
            )
            client.execute()
        finally:
            os.environ.clear()
            os.environ.update(saved)
    nbformat.write(nb, path)


def execute_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lossedu execute",
        description="Re-run notebooks in place, in the environment the tests use "
        "(fresh progress store, learner id 'ci-learner', gates lifted).",
    )
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = parser.parse_args(argv)
    status = 0
    for path in args.notebooks:
        if not path.is_file():
            print(f"lossedu execute: no such notebook: {path}", file=sys.stderr)
            status = 1
            continue
        try:
            execute_notebook(path, timeout=args.timeout)
            print(f"executed {path}")
        except Exception as exc:  # report and go on with the next notebook
            print(f"lossedu execute: {path} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            status = 1
    return status

"""The library's arrows point one way: no two modules import each other (directly or around a
circle), and each layer imports only layers below it. Imports inside functions count too: a lazy
import hides a circle, it does not remove it."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "lossedu"

#: Layers, lowest first. A module may import modules of its own layer or of lower layers only.
LAYERS: list[tuple[str, ...]] = [
    ("lossedu._validate", "lossedu.result", "lossedu.losses", "lossedu.gradcheck", "lossedu.risk",
     "lossedu.config", "lossedu.display"),
    ("lossedu.spec", "lossedu.concepts_data"),
    ("lossedu.checking",),
    ("lossedu.derivations", "lossedu.problems"),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """What ``path`` imports; ``from package import module`` counts as importing the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):  # imports for type hints only do not run: leave them out
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{a.name}" for a in node.names} & modules
            found.update(subs or {node.module})
    return {name for name in found if name == "lossedu" or name.startswith("lossedu.")}


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {t for t in _imports(path, set(modules)) if t in modules and t != "lossedu"}
        graph[name] = targets - {name}
    return graph


def _layer(module: str) -> int | None:
    for i, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return None


def test_no_import_cycles():
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_layers_import_only_downward():
    wrong = []
    for module, targets in _graph().items():
        mine = _layer(module)
        if mine is None:
            continue
        for target in targets:
            theirs = _layer(target)
            if theirs is None or theirs > mine:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "upward imports:\n" + "\n".join(sorted(wrong))


def test_the_checking_package_never_reaches_the_bank_or_the_learner_side():
    for module, targets in _graph().items():
        if module.startswith("lossedu.checking"):
            bad = [t for t in targets if t.startswith(("lossedu.problems", "lossedu.exercise",
                                                      "lossedu.store", "lossedu.grading"))]
            assert not bad, f"{module} imports {bad}"

"""The 19 concepts of the course and where each is taught and exercised.

``CONCEPTS`` lists the concepts of the source material, in teaching order. The map from concepts
to lesson sections lives with the lessons themselves: a Markdown cell that teaches a concept
carries ``{"lossedu": {"concepts": ["mse", ...]}}`` in its metadata, and :func:`lesson_sections`
reads it back. Exercises are mapped the same way from the other side: every problem in
:mod:`lossedu.problems` names its concepts. :func:`concept_map` joins both, and
``tests/test_concepts.py`` checks that every concept has a lesson section and an exercise.
"""
from __future__ import annotations

CONCEPTS: dict[str, str] = {
    "loss-function": "Loss function: a nonnegative scalar error for one example",
    "per-example-vs-aggregate": "Per-example loss versus an aggregate dataset objective",
    "empirical-risk": "Empirical risk (training loss): the average loss on the training set",
    "expected-risk": "Expected (population) risk under the data distribution",
    "erm": "Empirical risk minimisation (ERM)",
    "mse": "Mean squared error loss",
    "mae": "Absolute (L1) loss",
    "hinge": "Hinge loss",
    "zero-one": "0-1 loss",
    "surrogate": "Surrogate losses for the 0-1 loss",
    "margin": "The margin y·f(x)",
    "differentiability": "Differentiability of a loss and its practical impact",
    "subgradients": "Subgradients and non-differentiable losses",
    "regularization": "Regularized objectives: loss plus a penalty",
    "custom-loss-design": "Custom loss design: imbalance, asymmetric costs, several tasks",
    "robustness": "Robustness of losses to outliers",
    "batch-vs-per-sample": "Full-batch, mini-batch and per-sample optimization",
    "nll": "Losses as negative log-likelihoods",
    "metric-gap": "The gap between the training loss and the target metric",
}

def _heading(source: str) -> str | None:
    first = source.strip().splitlines()[0] if source.strip() else ""
    return first.lstrip("#").strip() if first.startswith("#") else None


def lesson_sections(lessons_dir: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """Scan the lessons for sections tagged with concepts.

    A Markdown cell carries ``{"lossedu": {"concepts": [...]}}`` in its metadata; the section it
    belongs to is its own heading, or the nearest heading above it. Returns ``concept id ->
    [(notebook file name, heading text)]`` in lesson order, without repeats. Notebooks are read
    as plain JSON (no Jupyter import needed).
    """
    import json
    from pathlib import Path

    folder = Path(lessons_dir) if lessons_dir else Path(__file__).resolve().parent.parent / "lessons"
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        heading = None
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            heading = _heading(source) or heading
            for concept in cell.get("metadata", {}).get("lossedu", {}).get("concepts", []):
                if concept not in CONCEPTS:
                    raise ValueError(f"{path.name}: unknown concept id {concept!r} (see lossedu.concepts.CONCEPTS)")
                entry = (path.name, heading or path.stem)
                if entry not in found.setdefault(concept, []):
                    found[concept].append(entry)
    return found


def exercises_for(concept: str) -> list[str]:
    """Ids of the problems, in exercise sets, that exercise ``concept``."""
    from lossedu import problems

    if concept not in CONCEPTS:
        raise KeyError(f"unknown concept {concept!r}; known: {', '.join(CONCEPTS)}")
    return [p.id for k in problems.sessions() for p in problems.session_problems(k) if concept in p.concepts]


def concept_map() -> dict[str, dict[str, list]]:
    """The whole map: ``concept -> {"title", "lessons": [(notebook, heading)], "exercises": [ids]}``."""
    sections = lesson_sections()
    return {
        cid: {"title": title, "lessons": sections.get(cid, []), "exercises": exercises_for(cid)}
        for cid, title in CONCEPTS.items()
    }

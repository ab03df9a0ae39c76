"""The source material's three worked examples, three practice problems and four common mistakes
each appear in the lesson where they belong, with the source's own numbers in the stored outputs.

Strict nbval proves the stored outputs are what a fresh run prints, so this pins the numbers the
lessons show to the numbers of the source material (hand-computed there, not by this library).
"""
import json
import re
from pathlib import Path

import pytest

LESSONS = Path(__file__).resolve().parent.parent / "lessons"

# item -> (lesson, heading of the section, snippets that its outputs must contain)
SEED_ITEMS = {
    "worked example 1: two-point regression, R(1) = 0.5, dR/dw = -1.5": (
        "01_from_error_to_objective.ipynb", "The gradient of the empirical risk",
        ["R_hat = 0.5000 dR_hat/dw = -1.5000", "gradient check passed"]),
    "worked example 2: BCE from the logit z = -1, y = 1": (
        "02_probabilistic_classification.ipynb", "Binary cross-entropy", ["0.2689", "1.3133"]),
    "worked example 2: its gradient p - y": (
        "02_probabilistic_classification.ipynb", "The gradient p̂ − y", ["-0.7311", "gradient check passed"]),
    "worked example 3: hinge losses and subgradients": (
        "03_margins_and_nonsmooth_losses.ipynb", "Hinge loss and support vectors",
        ["hinge losses: [0. 0.8 1.3]", "dL/ds: [ 0. -1. 1.]"]),
    "practice 1: MSE and MAE derivatives": (
        "01_from_error_to_objective.ipynb", "Practice 1: derivatives of MSE and MAE",
        ["= -y + yhat", "slope from the left at r = 0: -1.0000", "slope from the right at r = 0: +1.0000"]),
    "practice 2: softmax of (2, 0, -1), class 2": (
        "02_probabilistic_classification.ipynb", "Softmax and multiclass cross-entropy",
        ["[0.8438 0.1142 0.042 ]", "2.170"]),
    "practice 3: hinge margins and support vectors": (
        "03_margins_and_nonsmooth_losses.ipynb", "Hinge loss and support vectors",
        ["[0. 0.6 3. ]", "[False True True]"]),
    "mistake: naive softmax overflows": (
        "02_probabilistic_classification.ipynb", "Log-sum-exp: why a naive softmax overflows",
        ["[nan nan nan]", "overflow encountered in exp"]),
    "mistake: a loss that does not match the output type": (
        "02_probabilistic_classification.ipynb", "Common mistake: a loss that does not match the output",
        ["squared error on z: boundary at x = +0.91"]),
    "mistake: the metric and the loss must be the same": (
        "03_margins_and_nonsmooth_losses.ipynb", "Descending on the 0-1 loss: nothing moves", []),
    "mistake: combining losses without tuned weights": (
        "04_designing_losses.ipynb", "Several tasks, one loss: the λ weights",
        ["stars loss / its best = 55.3"]),
}


def _sections(notebook: str) -> dict[str, tuple[str, str]]:
    """heading -> (all cell sources, all text outputs) of its section, whitespace folded."""
    cells = json.loads((LESSONS / notebook).read_text())["cells"]
    sections: dict[str, list[list[str]]] = {}
    current, level = None, 0
    for cell in cells:
        source = "".join(cell["source"])
        first = source.strip().splitlines()[0] if source.strip() else ""
        if cell["cell_type"] == "markdown" and first.startswith("#"):
            depth = len(first) - len(first.lstrip("#"))
            if current is None or depth <= level or level == 1:
                current, level = first.lstrip("#").strip(), depth
                sections[current] = [[], []]
        if current is None:
            continue
        sections[current][0].append(source)
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            sections[current][1].append(text)
    fold = lambda parts: re.sub(r"\s+", " ", "\n".join(parts))
    return {h: (fold(src), fold(out)) for h, (src, out) in sections.items()}


@pytest.mark.parametrize("item", sorted(SEED_ITEMS))
def test_seed_item_appears_where_it_belongs(item):
    notebook, heading, snippets = SEED_ITEMS[item]
    sections = _sections(notebook)
    assert heading in sections, f"{notebook} has no section {heading!r}"
    sources, outputs = sections[heading]
    assert outputs.strip(), f"{item}: the section {heading!r} runs no code (a mistake must be run and seen)"
    for snippet in snippets:
        assert re.sub(r"\s+", " ", snippet) in outputs, f"{item}: {snippet!r} not in the outputs of {heading!r}"

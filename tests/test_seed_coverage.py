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


# Statements the curriculum adds beyond the seed (### subsections count with their ## section), each demonstrated by a cell whose stored output
# shows it (strict nbval keeps the outputs true): item -> (lesson, section, output snippets).
DEMONSTRATED = {
    "a smoothed target's minimum cross-entropy is H(p) > 0 (CE = H + KL)": (
        "02_probabilistic_classification.ipynb", "Losses as negative log-likelihoods",
        ["H(p) + KL = 0.8041 cross-entropy H(p, q) = 0.8041", "at q = p: cross-entropy = 0.6390 = H(p) > 0"]),
    "stable BCE from logits max(z, 0) - y z + log1p(e^-|z|)": (
        "02_probabilistic_classification.ipynb", "Log-sum-exp: why a naive softmax overflows",
        ["y = 0: max(z,0) - y z + log1p(e^-|z|) == bce_with_logits: True",
         "y = 1: max(z,0) - y z + log1p(e^-|z|) == bce_with_logits: True"]),
    "heteroscedastic Gaussian NLL: gradient checked, the loss can be negative": (
        "02_probabilistic_classification.ipynb", "Losses as negative log-likelihoods",
        ["gradient check passed", "(negative)"]),
    "separable data: no finite logistic optimum, L2 gives one": (
        "02_probabilistic_classification.ipynb", "Common mistake: a loss that does not match the output",
        ["50000 steps: no penalty |slope| = 10.742", "lam = 0.01: |slope| = 2.565"]),
    "hinge is scale-ambiguous, the geometric margin is not": (
        "03_margins_and_nonsmooth_losses.ipynb", "The margin y·f(x)",
        ["geometric [2.121 2.121 1.768 1.768] mean hinge 0.312", "geometric [2.121 2.121 1.768 1.768] mean hinge 0.000"]),
    "SVM optimum: support vectors m <= 1, some exactly at m = 1": (
        "03_margins_and_nonsmooth_losses.ipynb", "The SVM objective",
        ["support vectors (m <= 1): 5, of which exactly at m = 1: 3"]),
    "initial-loss sanity checks: log K, 1 and K - 1": (
        "03_margins_and_nonsmooth_losses.ipynb", "Multiclass: the hinge beside softmax cross-entropy",
        ["CE 2.303 (log K = 2.303)", "WW hinge 9.002 (K - 1 = 9)"]),
    "fixed-step subgradient descent oscillates with amplitude proportional to the step": (
        "03_margins_and_nonsmooth_losses.ipynb", "Differentiability in practice: minimisers sit at kinks",
        ["amplitude 0.1400 = 0.20 x step", "amplitude 0.0014 = 0.20 x step", "c = 3.0000 after 20 000 steps"]),
    "hinge, logistic and squared on the margin are classification-calibrated": (
        "03_margins_and_nonsmooth_losses.ipynb", "Surrogate losses",
        ["hinge : best score s* = +1.0000", "logistic: best score s* = +0.8473", "squared : best score s* = +0.4000"]),
    "reweighting ~ intercept shift, mapped back to a probability, resampling = reweighting": (
        "04_designing_losses.ipynb", "Weighted losses and class imbalance",
        ["mean p_hat = 0.1000, share of positives = 0.1000", "plain fit shifted (w, b + log 9)",
         "positives repeated 9 times: (w, b) = (2.250, +0.040)"]),
    "class-weight normalisation: mean over examples vs sum w L / sum w": (
        "04_designing_losses.ipynb", "Weighted losses and class imbalance",
        ["mean over examples 2.6300 sum w L / sum w 1.5028"]),
    "label smoothing optimum (1 - eps) eta + eps / K and minimum H(y~)": (
        "04_designing_losses.ipynb", "Label smoothing",
        ["optimum softmax(z) = [0.6633 0.2133 0.1233] (1 - eps) eta + eps/K = [0.6633 0.2133 0.1233]",
         "minimum loss 0.2911 = H(y_tilde) = 0.2911"]),
    "L2 and L1 are MAP estimates under Gaussian and Laplace priors": (
        "04_designing_losses.ipynb", "Regularized objectives: L2 and L1",
        ["MAP, Gaussian prior: w = 1.3333 argmin of the L2 objective: 1.3333",
         "MAP, Laplace prior: w = 1.4000 argmin of the L1 objective: 1.4000"]),
    "the loss convention sets the effective learning rate": (
        "05_optimizing_with_losses.ipynb", "The loss's scale is part of the learning rate",
        ["1/2 mean (course) lr = 0.7: after 60 steps w = 1.6000", "MSELoss mean lr = 0.7: after 60 steps diverging"]),
    "plain average over a partition equals the full gradient only for equal batch sizes": (
        "05_optimizing_with_losses.ipynb", "The mini-batch gradient is an unbiased estimate",
        ["equal to the full gradient: False", "size-weighted mean (m_k / n): [-1.4725 0.9967] equal: True"]),
    "early stopping and L2 on separable training data": (
        "05_optimizing_with_losses.ipynb", "Training and validation curves, early stopping",
        ["early stopping: lowest validation CE"]),
}


@pytest.mark.parametrize("item", sorted(DEMONSTRATED))
def test_new_statement_is_demonstrated_where_it_is_taught(item):
    notebook, heading, snippets = DEMONSTRATED[item]
    sections = _sections(notebook)
    assert heading in sections, f"{notebook} has no section {heading!r}"
    outputs = sections[heading][1]
    for snippet in snippets:
        assert re.sub(r"\s+", " ", snippet) in outputs, f"{item}: {snippet!r} not in the outputs of {heading!r}"

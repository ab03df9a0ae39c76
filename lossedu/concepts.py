"""The 19 concepts of the course and where each is taught and exercised.

``CONCEPTS`` lists the concepts of the source material, in teaching order. ``LESSON_SECTIONS``
maps each concept id to the lesson sections that teach it, as ``(notebook, heading)`` pairs where
``heading`` is the exact text of a Markdown heading in that notebook. Exercises are mapped the
other way round: every problem in :mod:`lossedu.problems` names its concepts, so the exercises of
a concept are the problems that list it. ``tests/test_concepts.py`` checks both directions.
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

#: concept id -> [(lesson notebook path relative to the repository, exact heading text)]
LESSON_SECTIONS: dict[str, list[tuple[str, str]]] = {}

"""Session 5 — optimization: full-batch, mini-batch and per-sample gradients of the risk."""
from __future__ import annotations

import numpy as np

from lossedu.problems.spec import Mistake, Option, Problem

VALUE_TOL = (1e-3, 2e-3)


def _arrays(params: dict) -> tuple[np.ndarray, np.ndarray]:
    return np.array(params["xs"], dtype=float), np.array(params["ys"], dtype=float)


def _numbers(params: dict) -> dict:
    """Residuals, per-example gradients and the three kinds of gradient at w0."""
    x, y = _arrays(params)
    w0, batch, i = params["w0"], np.array(params["batch"]) - 1, params["i"] - 1
    per_example = (w0 * x - y) * x
    g_batch = per_example[batch].mean()
    return {"full": per_example.mean(), "mini": g_batch, "sum_batch": per_example[batch].sum(),
            "per_example": per_example, "g_i": per_example[i], "w1": w0 - params["eta"] * per_example[i],
            "table": _table(x, y), "batch_text": ", ".join(str(b) for b in params["batch"]),
            "resid_batch": ", ".join(f"{v:g}" for v in (w0 * x - y)[batch]),
            "terms_batch": ", ".join(f"{v:g}" for v in per_example[batch]),
            "terms_all": ", ".join(f"{v:g}" for v in per_example),
            "no_x_batch": (w0 * x - y)[batch].mean()}


def _table(x: np.ndarray, y: np.ndarray) -> str:
    head = "| $i$ | " + " | ".join(str(k + 1) for k in range(len(x))) + " |\n|---|" + "---|" * len(x)
    return (head + "\n| $x_i$ | " + " | ".join(f"{v:g}" for v in x) + " |\n| $y_i$ | "
            + " | ".join(f"{v:g}" for v in y) + " |")


def _sampler(rng: np.random.Generator) -> dict:
    xs = [float(v) for v in rng.choice([-2.0, -1.0, 0.5, 1.0, 1.5, 2.0, 3.0], size=6)]
    ys = [int(v) for v in rng.integers(-3, 7, size=6)]
    batch = sorted(int(v) for v in rng.choice(np.arange(1, 7), size=3, replace=False))
    return {"xs": xs, "ys": ys, "w0": float(rng.choice([0.0, 0.5, 1.0, 2.0])), "batch": batch,
            "i": int(rng.integers(1, 7)), "eta": float(rng.choice([0.05, 0.1, 0.2]))}


DATA = dict(canonical={"xs": [1.0, 2.0, 3.0, -1.0, 0.5, 2.0], "ys": [2, 3, 5, -2, 1, 5], "w0": 1.0,
                       "batch": [1, 3, 6], "i": 2, "eta": 0.1},
            sampler=_sampler, derive=_numbers, tolerance=VALUE_TOL)
SETUP = (r"A linear model $\hat y = w x$ with pointwise loss $L = \tfrac12(w x - y)^2$ is trained on "
         "six examples:\n\n{{table}}\n\nThe current weight is $w = {{w0}}$. ")

MINI = Problem(
    id="example.minibatch_grad", session=5, kind="value", title="A mini-batch gradient",
    concepts=("batch-vs-per-sample", "empirical-risk"),
    prompt=SETUP + r"Compute the mini-batch gradient $\frac1m\sum_{i\in B} (w x_i - y_i)\,x_i$ for the "
           r"batch $B = \{ {{batch_text}} \}$ (a number).",
    reference=lambda params: _numbers(params)["mini"], **DATA,
    hints=("Use only the examples in the batch, and divide by the batch size $m = 3$.",
           "Per-example gradient: $(w x_i - y_i)\\,x_i$.",
           "The batch residuals $w x_i - y_i$ are {{resid_batch}}."),
    solution=r"Per-example gradients on the batch: {{terms_batch}}. Their mean is ${{mini:.4g}}$.",
    mistakes=(
        Mistake(lambda p: _numbers(p)["sum_batch"] / 6, "Divide by the batch size m = 3, not by the "
                "number of training examples.", "factor"),
        Mistake(lambda p: _numbers(p)["sum_batch"], "Average over the batch: divide the sum by m = 3.",
                "factor"),
        Mistake(lambda p: _numbers(p)["no_x_batch"], "A chain-rule factor is missing: multiply each "
                "residual by its xᵢ.", "chain-rule"),
        Mistake(lambda p: _numbers(p)["full"], "That is the full-batch gradient; use only the batch."),
    ),
)

FULL = Problem(
    id="example.fullbatch_grad", session=5, kind="value", title="The full-batch gradient",
    concepts=("batch-vs-per-sample", "empirical-risk", "erm"),
    prompt=SETUP + r"Compute the full-batch gradient $d\hat R/dw = \frac1n\sum_{i=1}^{n}(w x_i - y_i)\,x_i$.",
    reference=lambda params: _numbers(params)["full"], **DATA,
    hints=("Compute the six per-example gradients $(w x_i - y_i)\\,x_i$.", "Average them ($n = 6$)."),
    solution=r"Per-example gradients: {{terms_all}}. Their mean is ${{full:.4g}}$.",
    mistakes=(
        Mistake(lambda p: 6 * _numbers(p)["full"], "Average: divide the sum by n = 6.", "factor"),
        Mistake(lambda p: _numbers(p)["mini"], "That is the mini-batch gradient; use all six examples."),
    ),
)

SGD = Problem(
    id="example.sgd_step", session=5, kind="value", title="One per-sample step",
    concepts=("batch-vs-per-sample", "erm"),
    prompt=SETUP + r"Take one stochastic gradient step on example $i = {{i}}$ alone with learning rate "
           r"$\eta = {{eta}}$. What is the new weight?",
    reference=lambda params: _numbers(params)["w1"], **DATA,
    hints=("The per-sample gradient is $(w x_i - y_i)\\,x_i$ for this one example.",
           "A gradient step moves against the gradient: $w \\leftarrow w - \\eta\\,g$."),
    solution=r"$g = {{g_i:.4g}}$, so $w \leftarrow {{w0}} - {{eta}} \cdot ({{g_i:.4g}}) = {{w1:.4g}}$.",
    mistakes=(
        Mistake(lambda p: p["w0"] + p["eta"] * _numbers(p)["g_i"], "Step against the gradient: "
                "w − η·g, not w + η·g.", "sign"),
        Mistake(lambda p: -p["eta"] * _numbers(p)["g_i"], "That is the change in w; add it to the "
                "current weight."),
    ),
)

BATCH_CHOICE = Problem(
    id="choice.minibatch", session=5, kind="choice", title="What a mini-batch estimates",
    concepts=("batch-vs-per-sample", "expected-risk", "empirical-risk"),
    prompt="A mini-batch is drawn uniformly at random from the training set. Its average gradient "
           "is ...\n\n- **a**: an unbiased estimate of the full-batch gradient of the empirical risk\n"
           "- **b**: exactly the full-batch gradient\n- **c**: the gradient of the expected risk over "
           "the true data distribution\n- **d**: biased towards the examples with the largest loss",
    options=(
        Option("a", "unbiased estimate", True, "Averaged over the random draw, the mini-batch gradient "
               "equals the full-batch gradient; it is noisy but cheap."),
        Option("b", "exactly", False, "It equals the full-batch gradient only on average; each batch "
               "differs."),
        Option("c", "expected risk", False, "The training set is itself a sample: the empirical risk "
               "only estimates the expected risk, and the batch estimates the empirical risk."),
        Option("d", "biased", False, "Uniform sampling gives every example the same chance, so there is "
               "no such bias."),
    ),
    hints=("Take the expectation of the batch average over the random choice of batch.",),
    solution="**a**. $\\mathbb E_B[\\nabla \\hat R_B] = \\nabla \\hat R$ for a uniform batch; the "
             "empirical risk in turn estimates the expected risk under the data distribution.",
)

PROBLEMS = [MINI, FULL, SGD, BATCH_CHOICE]
EXERCISES = ["example.minibatch_grad", "example.fullbatch_grad", "example.sgd_step", "choice.minibatch"]

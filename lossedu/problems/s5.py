"""Session 5 — optimization: full-batch, mini-batch and per-sample gradients of the risk."""
from __future__ import annotations

import numpy as np
import sympy as sp

from lossedu.spec import VALUE_TOL, Mistake, Option, Problem
from lossedu.checking.symbolic import SYMBOLS, sigmoid

TITLE = "Optimizing with losses"


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
            "no_x_batch": (w0 * x - y)[batch].mean(),
            # the batch numbers read as 0-based indices (number 6 wraps to row 0, as a learner's
            # off-by-one would never reach it without an error)
            "shifted": per_example[np.array(params["batch"]) % len(x)].mean(),
            "flipped": ((y - w0 * x) * x)[batch].mean()}


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
           r"batch $B = \{ {{batch_text}} \}$ (a number). Examples are numbered from 1, as in the table; "
           r"NumPy indexes from 0.",
    reference=lambda params: _numbers(params)["mini"], **DATA,
    hints=("Use only the examples in the batch, and divide by the batch size $m = 3$.",
           "Per-example gradient: $(w x_i - y_i)\\,x_i$.",
           "The batch residuals $w x_i - y_i$ are {{resid_batch}}."),
    solution=r"Per-example gradients on the batch: {{terms_batch}}. Their mean is ${{mini:.4g}}$.",
    mistakes=(
        Mistake(lambda p: _numbers(p)["sum_batch"] / 6, "Divide by the batch size m = 3, not by the "
                "number of training examples.", "aggregation"),
        Mistake(lambda p: _numbers(p)["sum_batch"], "Average over the batch: divide the sum by m = 3.",
                "aggregation"),
        Mistake(lambda p: _numbers(p)["no_x_batch"], "A chain-rule factor is missing: multiply each "
                "residual by its xᵢ.", "chain-rule"),
        Mistake(lambda p: _numbers(p)["full"], "That is the full-batch gradient over all six examples; the "
                "question asks for the batch B only.", "batch"),
        Mistake(lambda p: _numbers(p)["shifted"], "Those are the wrong examples: the batch numbers count "
                "from 1, so example i is row i − 1 of a NumPy array.", "indexing"),
        Mistake(lambda p: _numbers(p)["flipped"], "The sign is flipped: the residual is w·xᵢ − yᵢ, "
                "prediction minus target.", "sign"),
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
        Mistake(lambda p: 6 * _numbers(p)["full"], "Average: divide the sum by n = 6.", "aggregation"),
        Mistake(lambda p: _numbers(p)["mini"], "That is the mini-batch gradient; use all six examples.", "batch"),
        Mistake(lambda p: -_numbers(p)["full"], "The sign is flipped: the residual is w·xᵢ − yᵢ, "
                "prediction minus target.", "sign"),
        Mistake(lambda p: float(np.mean(p["w0"] * _arrays(p)[0] - _arrays(p)[1])), "A chain-rule factor is "
                "missing: multiply each residual by its xᵢ.", "chain-rule"),
    ),
)

SGD = Problem(
    id="example.sgd_step", session=5, kind="value", title="One per-sample step",
    concepts=("batch-vs-per-sample", "erm"),
    prompt=SETUP + r"Take one stochastic gradient step on example $i = {{i}}$ alone (numbered from 1, as in "
           r"the table) with learning rate $\eta = {{eta}}$. What is the new weight?",
    reference=lambda params: _numbers(params)["w1"], **DATA,
    hints=("The per-sample gradient is $(w x_i - y_i)\\,x_i$ for this one example.",
           "A gradient step moves against the gradient: $w \\leftarrow w - \\eta\\,g$."),
    solution=r"$g = {{g_i:.4g}}$, so $w \leftarrow {{w0}} - {{eta}} \cdot ({{g_i:.4g}}) = {{w1:.4g}}$.",
    mistakes=(
        Mistake(lambda p: p["w0"] + p["eta"] * _numbers(p)["g_i"], "Step against the gradient: "
                "w − η·g, not w + η·g.", "sign"),
        Mistake(lambda p: -p["eta"] * _numbers(p)["g_i"], "That is the change in w; add it to the "
                "current weight.", "quantity"),
        Mistake(lambda p: p["w0"] - p["eta"] * _numbers(p)["full"], "That step uses the full-batch "
                "gradient; a per-sample step uses example i alone.", "batch"),
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
        Option("b", "exactly", False, "Two different batches give different gradients, so it cannot be "
               "exactly the full-batch one; think about what it is over the random draw of the batch."),
        Option("c", "expected risk", False, "The training set is itself a sample from the data "
               "distribution: which risk does a batch drawn from the training set describe?"),
        Option("d", "biased", False, "Uniform sampling gives every example the same chance, so there is "
               "no such bias."),
    ),
    hints=("Take the expectation of the batch average over the random choice of batch.",),
    solution="**a**. $\\mathbb E_B[\\nabla \\hat R_B] = \\nabla \\hat R$ for a uniform batch; the "
             "empirical risk in turn estimates the expected risk under the data distribution.",
)

# ---------------------------------------------------------------------------- a partition into batches
def _partition_numbers(params: dict) -> dict:
    """The three batch gradients of a partition, their average and the catalogue's wrong versions."""
    x, y = _arrays(params)
    per_example = (params["w0"] * x - y) * x
    no_x = params["w0"] * x - y
    parts = [np.array(b) - 1 for b in params["parts"]]
    means = np.array([per_example[b].mean() for b in parts])
    sums = np.array([per_example[b].sum() for b in parts])
    over_n = sums / len(x)
    no_x_means = np.array([no_x[b].mean() for b in parts])
    text = ", ".join(f"$B_{k + 1} = \\{{ {', '.join(str(i) for i in b)} \\}}$" for k, b in enumerate(params["parts"]))
    return {"table": _table(x, y), "parts_text": text, "terms_all": ", ".join(f"{v:g}" for v in per_example),
            "answer": np.append(means, means.mean()), "full": per_example.mean(),
            "g1": means[0], "g2": means[1], "g3": means[2], "avg": means.mean(),
            "sums": np.append(sums, sums.mean()), "over_n": np.append(over_n, over_n.mean()),
            "no_x": np.append(no_x_means, no_x_means.mean()), "total": np.append(means, means.sum())}


def _partition_sampler(rng: np.random.Generator) -> dict:
    params = _sampler(rng)
    order = [int(v) for v in rng.permutation(np.arange(1, 7))]
    parts = [sorted(order[k:k + 2]) for k in (0, 2, 4)]
    return {"xs": params["xs"], "ys": params["ys"], "w0": params["w0"], "parts": parts}


PARTITION = Problem(
    id="example.partition_average", session=5, kind="value",
    title="Batches of a partition average to the full gradient",
    concepts=("batch-vs-per-sample", "empirical-risk"),
    prompt=SETUP + r"One shuffled pass over the data splits it into three mini-batches of $m = 2$: "
           r"{{parts_text}} (examples numbered from 1, as in the table). Compute the three mini-batch gradients "
           r"$\hat g_{B} = \frac1m\sum_{i\in B}(w x_i - y_i)\,x_i$ and then their average. Answer with four "
           r"numbers: $\hat g_{B_1}, \hat g_{B_2}, \hat g_{B_3}$ and the average. Compare the average with the "
           "full-batch gradient.",
    canonical={"xs": [1.0, 2.0, 3.0, -1.0, 0.5, 2.0], "ys": [2, 3, 5, -2, 1, 5], "w0": 1.0,
               "parts": [[1, 4], [2, 5], [3, 6]]},
    sampler=_partition_sampler, derive=_partition_numbers, tolerance=VALUE_TOL,
    reference=lambda params: _partition_numbers(params)["answer"],
    hints=("Per-example gradient: $(w x_i - y_i)\\,x_i$; compute all six first.",
           "Each batch gradient is the mean of its two per-example gradients.",
           "The per-example gradients are {{terms_all}}."),
    solution=r"Per-example gradients: {{terms_all}}. Batch gradients: ${{g1:.4g}}$, ${{g2:.4g}}$, ${{g3:.4g}}$; "
             r"their average is ${{avg:.4g}}$, exactly the full-batch gradient ${{full:.4g}}$. Each example "
             r"lies in one batch and all batches have the same size, so averaging the batch means is "
             r"averaging all per-example gradients: over one pass, mini-batch gradients are unbiased. "
             "Each single batch gradient is still far from it: that is the noise of a step.",
    mistakes=(
        Mistake(lambda p: _partition_numbers(p)["sums"], "A batch gradient averages over its m = 2 "
                "examples: divide each batch sum by 2.", "aggregation"),
        Mistake(lambda p: _partition_numbers(p)["over_n"], "Divide each batch sum by the batch size m = 2, "
                "not by the number of training examples.", "aggregation"),
        Mistake(lambda p: _partition_numbers(p)["no_x"], "A chain-rule factor is missing: multiply each "
                "residual by its xᵢ.", "chain-rule"),
        Mistake(lambda p: _partition_numbers(p)["total"], "The last entry is the average of the three batch "
                "gradients, not their sum.", "aggregation"),
    ),
)


# ---------------------------------------------------------------------------- a confident mistake
def _confident(params: dict) -> dict:
    """∂L/∂z of cross-entropy, squared error and absolute error on p̂ = σ(z) for one example."""
    y, z = params["y"], params["z"]
    p = 1 / (1 + np.exp(-z))
    dp = p * (1 - p)
    grads = np.array([p - y, (p - y) * dp, np.sign(p - y) * dp])
    return {"p": p, "dp": dp, "grads": grads, "ce": grads[0], "se": grads[1], "ae": grads[2],
            "no_dp": np.array([p - y, p - y, np.sign(p - y)]),
            "extra_dp": np.array([(p - y) * dp, (p - y) * dp, np.sign(p - y) * dp]),
            "wrt_p": np.array([-y / p + (1 - y) / (1 - p), p - y, np.sign(p - y)]),
            "losses": np.array([-(y * np.log(p) + (1 - y) * np.log(1 - p)), 0.5 * (p - y) ** 2, abs(p - y)]),
            "ratio": abs(grads[0] / grads[1])}


def _confident_sampler(rng: np.random.Generator) -> dict:
    y = int(rng.integers(0, 2))
    m = float(rng.choice([2.5, 3.0, 3.5, 4.0]))
    return {"y": y, "z": -m if y == 1 else m}


CONFIDENT = Problem(
    id="example.confident_mistake", session=5, kind="value", title="Gradients on a confident mistake",
    concepts=("nll", "mse", "mae", "differentiability"),
    prompt=r"A binary classifier outputs a logit $z$ and the probability $\hat p = \sigma(z)$. One example "
           r"has label $y = {{y}}$ and logit $z = {{z}}$: a confident mistake. Compute $\partial L/\partial z$ "
           r"for three losses on this example: cross-entropy $-[y\log\hat p + (1-y)\log(1-\hat p)]$, squared "
           r"error on the probability $\tfrac12(\hat p - y)^2$, and absolute error on the probability "
           r"$|\hat p - y|$. Answer with three numbers in that order.",
    canonical={"y": 1, "z": -4.0}, sampler=_confident_sampler, derive=_confident, tolerance=VALUE_TOL,
    reference=lambda params: _confident(params)["grads"],
    hints=("Chain rule: $\\partial L/\\partial z = \\partial L/\\partial\\hat p \\cdot \\sigma'(z)$ with "
           "$\\sigma'(z) = \\hat p(1 - \\hat p)$.",
           "For cross-entropy the product simplifies to $\\hat p - y$.",
           "Here $\\hat p = {{p:.5f}}$ and $\\sigma'(z) = {{dp:.5f}}$."),
    solution=r"$\hat p = {{p:.5f}}$, $\sigma'(z) = {{dp:.5f}}$. Cross-entropy: $\hat p - y = {{ce:.4g}}$. "
             r"Squared error: $(\hat p - y)\,\sigma'(z) = {{se:.4g}}$. Absolute error: "
             r"$\mathrm{sign}(\hat p - y)\,\sigma'(z) = {{ae:.4g}}$. Cross-entropy pulls about {{ratio:.0f}} "
             r"times harder: its $-\log$ cancels the vanishing $\sigma'(z)$, so the worst mistakes still get "
             "a full-size correction, while both errors on the probability barely learn from them.",
    mistakes=(
        Mistake(lambda p: _confident(p)["wrt_p"], "Those are derivatives with respect to p̂; chain them "
                "through p̂ = σ(z) to get derivatives with respect to z.", "chain-rule"),
        Mistake(lambda p: _confident(p)["losses"], "Those are the loss values; the question asks for their "
                "derivatives with respect to z.", "quantity"),
        Mistake(lambda p: _confident(p)["no_dp"], "The errors on the probability are missing σ′(z): chain "
                "∂L/∂p̂ through p̂ = σ(z), i.e. multiply by σ′(z) = p̂(1 − p̂).", "chain-rule"),
        Mistake(lambda p: _confident(p)["extra_dp"], "The cross-entropy entry has one σ′(z) too many: "
                "for cross-entropy σ′(z) cancels against the denominator of ∂L/∂p̂, so it is not multiplied "
                "in again.", "extra-factor"),
        Mistake(lambda p: -_confident(p)["grads"], "The signs are flipped: on a confident mistake every loss "
                "must push the logit back towards the label.", "sign"),
    ),
)


# ---------------------------------------------------------------------------- a pairwise preference loss
s, t = SYMBOLS["s"], SYMBOLS["t"]


def preference_loss(m: float = 0) -> sp.Expr:
    """L(s, t) = −log σ(s − t − m): the preferred answer (score s) should outscore the other (score t)
    by the margin m."""
    return -sp.log(sigmoid(s - t - sp.nsimplify(m)))


def preference_grad(m: float = 0) -> sp.Expr:
    """∂L/∂s = σ(s − t − m) − 1."""
    return sigmoid(s - t - sp.nsimplify(m)) - 1


def _margin_sampler(rng: np.random.Generator) -> dict:
    return {"m": float(rng.choice([0.5, 1.0, 2.0, 3.0]))}


def _margin_text(params: dict) -> dict:
    m = params["m"]
    if m == 0:
        return {"u": "s - t", "u_tex": "s - t", "margin": ""}
    return {"u": f"s - t - {m:g}", "u_tex": f"s - t - {m:g}",
            "margin": f" It asks for a margin: the preferred answer should win by at least $m = {m:g}$."}


PREFERENCE = Problem(
    id="grad.pairwise_preference", session=5, kind="expression", title="A pairwise preference loss",
    concepts=("nll", "custom-loss-design", "margin"),
    prompt=r"A reward model scores two answers to the same question: $s$ for the one people preferred and "
           r"$t$ for the other. It is trained with the pairwise loss $L(s, t) = -\log\sigma({{u_tex}})$, the "
           r"negative log-likelihood of the model $P(\text{preferred wins}) = \sigma({{u_tex}})$, i.e. the "
           r"logistic loss of the margin ${{u_tex}}$.{{margin}} Enter $\partial L/\partial s$ in terms of `s` and `t` "
           "(in text, `sigmoid` and `exp` are available; in SymPy write σ(u) as `1/(1 + sp.exp(-u))`).",
    variables=("s", "t"), domains={"s": "real", "t": "real"},
    canonical={"m": 0.0}, sampler=_margin_sampler, derive=_margin_text,
    reference=lambda params: preference_grad(params["m"]), swap=("s", "t"),
    chain=("sigmoid({{u}})*(1 - sigmoid({{u}}))",),
    hints=("Write $u = s - t$; then $\\partial u/\\partial s = 1$.",
           "Outer step: $\\frac{d}{dv}(-\\log v) = -1/v$ with $v = \\sigma(u)$; inner step: "
           "$\\sigma'(u)$, as in the logistic loss.",
           "Multiply the two steps, $-\\sigma'(u)/\\sigma(u)$ with $\\sigma'(u) = \\sigma(u)(1 - \\sigma(u))$, "
           "and simplify; mind the sign."),
    solution=r"With $u = {{u_tex}}$: $\dfrac{\partial L}{\partial s} = -(1 - \sigma(u)) = \sigma(u) - 1$, which lies in "
             r"$(-1, 0)$: gradient descent always raises $s$, hard when the pair is ranked the wrong way "
             r"($s \ll t$, gradient near $-1$) and hardly at all once $s - t$ is large. By symmetry "
             r"$\partial L/\partial t = 1 - \sigma(s - t)$. It is binary cross-entropy from a logit with "
             r"$z = s - t$ and label 1.",
    mistakes=(
        Mistake("1 - sigmoid({{u}})", "That is the derivative with respect to t (or a flipped sign): "
                "raising s must lower the loss, so ∂L/∂s is negative.", "sign"),
        Mistake("sigmoid({{u}})", "That is not the derivative of −log σ(u): differentiate the log (outer "
                "step) and σ (inner step), multiply, and simplify.", "other"),
        Mistake("-1/sigmoid({{u}})", "You differentiated −log(·) but not the σ inside: differentiate "
                "σ(u) with respect to u and multiply it in.", "chain-rule"),
        Mistake("-sigmoid({{u}})*(1 - sigmoid({{u}}))", "That is −σ'(u), the inner derivative alone: "
                "the outer step, the derivative of −log v at v = σ(u), is missing.", "chain-rule"),
        Mistake("sigmoid(s - t) - 1", "The margin m is missing: the loss is −log σ(s − t − m).", "quantity"),
    ),
)


# ---------------------------------------------------------------------------- capstone: calibration vs margins
CALIBRATION = Problem(
    id="choice.calibration_vs_margin", session=5, kind="choice", title="Probabilities or margins?",
    concepts=("nll", "hinge", "margin", "surrogate"),
    prompt="The same linear classifier is trained twice on the same data: once with cross-entropy "
           "(logistic loss), once with hinge loss. Downstream, a rule acts on probabilities: \"flag the "
           "transaction when P(fraud | x) > 0.2\". Which statement is right?\n\n"
           "- **a**: use the cross-entropy model: σ(s) estimates P(y = 1 | x), since cross-entropy is a "
           "negative log-likelihood\n"
           "- **b**: use either model: both are surrogates of the 0-1 loss, so σ(s) is equally calibrated\n"
           "- **c**: use the hinge model: its scores stay near |s| ≈ 1, so σ(s) is never over-confident\n"
           "- **d**: neither: a loss only places the decision boundary and gives the scores no meaning",
    options=(
        Option("a", "cross-entropy", True, "Cross-entropy is minimised in expectation by the true "
               "conditional probability, so σ(s) estimates it (up to model fit). Hinge stops caring once "
               "y·s ≥ 1 and its minimiser only gets the sign right; use it when a margin, not a probability, "
               "is what you need."),
        Option("b", "either", False, "Being a surrogate of the 0-1 loss says only that both get the sign "
               "right; what the scores mean differs. The hinge scores pile up near ±1 whatever the true "
               "probability is."),
        Option("c", "hinge", False, "Scores near ±1 give σ(s) ≈ 0.27 or 0.73 whatever the true probability: "
               "that is not calibration, just a fixed value."),
        Option("d", "neither", False, "The loss decides what the model's output estimates: ask which of "
               "the two losses is a negative log-likelihood, and what its minimiser is."),
    ),
    hints=("Which of the two losses is a negative log-likelihood?",
           "What does the hinge loss do to an example whose margin y·s is already above 1?"),
    solution="**a**. Cross-entropy is the negative log-likelihood of a Bernoulli model, so its optimum "
             "is σ(s) = P(y = 1 | x): probabilities you can threshold at 0.2. Hinge loss asks for margins "
             "y·s ≥ 1 and ignores points beyond them, which gives large-margin boundaries but scores "
             "that are not probabilities. What you optimise changes what you get.",
)

PROBLEMS = [MINI, FULL, SGD, BATCH_CHOICE, PARTITION, CONFIDENT, PREFERENCE, CALIBRATION]
EXERCISES = ["example.fullbatch_grad", "example.minibatch_grad", "example.sgd_step", "example.partition_average",
             "choice.minibatch", "example.confident_mistake", "grad.pairwise_preference",
             "choice.calibration_vs_margin"]

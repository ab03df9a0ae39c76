"""Session 2 — probabilistic classification: cross-entropy from probabilities and from logits."""
from __future__ import annotations

import numpy as np

from lossedu import derivations as D
from lossedu import losses
from lossedu.problems.spec import Mistake, Option, Problem

VALUE_TOL = (1e-3, 2e-3)
SIGMA_PRIME = "sigmoid(z)*(1 - sigmoid(z))"


def _sigmoid(z: float) -> float:
    return float(losses.sigmoid(z))


# ---------------------------------------------------------------------------- BCE, one example
def _bce_numbers(params: dict) -> dict:
    y, z = params["y"], params["z"]
    p = _sigmoid(z)
    return {"phat": p, "loss": float(losses.bce_with_logits(y, z)), "grad": p - y,
            "pc": p if y == 1 else 1 - p}


def _bce_sampler(rng: np.random.Generator) -> dict:
    return {"y": int(rng.integers(0, 2)), "z": float(rng.choice([-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 2.0]))}


# ---------------------------------------------------------------------------- softmax, one example
def _softmax_numbers(params: dict) -> dict:
    z = np.array([params["z1"], params["z2"], params["z3"]], dtype=float)
    p = losses.softmax(z)
    c = params["c"]
    return {"p1": p[0], "p2": p[1], "p3": p[2], "pc": p[c - 1], "zmax": z.max(),
            "loss": float(losses.softmax_cross_entropy(c - 1, z))}


def _softmax_sampler(rng: np.random.Generator) -> dict:
    z1, z2, z3 = (int(v) for v in rng.integers(-2, 4, size=3))
    return {"z1": z1, "z2": z2, "z3": z3, "c": int(rng.integers(1, 4))}


# ---------------------------------------------------------------------------- function inputs
def _bce_inputs(params: dict, rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
    """Ordinary logits, a tie z = 0, and extreme logits ±800 on both labels."""
    return [
        {"y": rng.integers(0, 2, size=6).astype(float), "z": rng.normal(0.0, 3.0, size=6)},
        {"y": np.array([1.0, 0.0]), "z": np.array([0.0, 0.0])},
        {"y": np.array([1.0]), "z": np.array([-1.0])},
        {"y": np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0]),
         "z": np.array([800.0, -800.0, -800.0, 800.0, 40.0, -40.0])},
    ]


def _softmax_inputs(params: dict, rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
    """Ordinary logits, tied logits, and rows with entries ±800 (naive exp overflows)."""
    return [
        {"y": rng.integers(0, 3, size=5), "z": rng.normal(0.0, 2.0, size=(5, 3))},
        {"y": np.array([0, 3]), "z": np.zeros((2, 4))},
        {"y": np.array([1]), "z": np.array([[2.0, 0.0, -1.0]])},
        {"y": np.array([2, 0, 1]), "z": np.array([[800.0, 0.0, -800.0], [-800.0, 800.0, 0.0],
                                                  [0.0, 0.0, 800.0]])},
    ]


# ---------------------------------------------------------------------------- problems
BCE_PROB = Problem(
    id="grad.bce_prob", session=2, kind="expression", title="Cross-entropy, derivative in p",
    concepts=("nll", "loss-function", "differentiability"),
    prompt=r"Binary cross-entropy for a label $y \in \{0, 1\}$ and a predicted probability "
           r"$p \in (0, 1)$ is $L(y, p) = -[\,y \log p + (1 - y)\log(1 - p)\,]$. "
           r"Enter $\partial L/\partial p$ in terms of `y` and `p`.",
    variables=("y", "p"), domains={"y": "label01", "p": "prob"},
    reference=lambda params: D.bce_prob_grad(),
    hints=("Differentiate the two terms separately; $y$ is a constant.",
           "$\\frac{d}{dp}\\log p = 1/p$ and $\\frac{d}{dp}\\log(1 - p) = -1/(1 - p)$ (mind the inner −1).",
           "Put the overall minus sign in front of $y/p - (1 - y)/(1 - p)$."),
    solution=r"$\dfrac{\partial L}{\partial p} = -\left(\dfrac{y}{p} - \dfrac{1 - y}{1 - p}\right) = "
             r"\dfrac{p - y}{p(1 - p)}$. For $y = 1$ it is $-1/p$: huge when the model is confidently "
             "wrong ($p \\to 0$).",
    mistakes=(
        Mistake("-(y/p + (1 - y)/(1 - p))", "The derivative of log(1 − p) is −1/(1 − p): the "
                "inner derivative −1 is missing.", "chain-rule"),
        Mistake("y/p - (1 - y)/(1 - p)", "The sign is flipped: the loss has a minus sign in front.",
                "sign"),
    ),
)

BCE_LOGIT = Problem(
    id="grad.bce_logit", session=2, kind="expression", title="Cross-entropy from a logit",
    concepts=("nll", "differentiability", "loss-function"),
    prompt=r"Now the model outputs a logit $z$ and $p = \sigma(z) = 1/(1 + e^{-z})$. With the same "
           r"$L = -[\,y \log p + (1 - y)\log(1 - p)\,]$, enter $\partial L / \partial z$ in terms of "
           r"`y` and `z` (you may write `sigmoid(z)`).",
    variables=("y", "z"), domains={"y": "label01", "z": "real"},
    reference=lambda params: D.bce_logit_grad(),
    chain=(SIGMA_PRIME,),
    hints=("Chain rule: $\\partial L/\\partial z = (\\partial L/\\partial p)(\\partial p/\\partial z)$.",
           "$\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))$, and $\\partial L/\\partial p = -(y/p - (1-y)/(1-p))$.",
           "Multiply out: the $p(1 - p)$ cancels the denominators and leaves something very short."),
    solution=r"$\dfrac{\partial L}{\partial z} = -\left(\dfrac{y}{p} - \dfrac{1-y}{1-p}\right)p(1-p) "
             r"= -(y(1-p) - (1-y)p) = p - y = \sigma(z) - y$: predicted probability minus label.",
    mistakes=(
        Mistake("-(y/sigmoid(z) - (1 - y)/(1 - sigmoid(z)))", "That is ∂L/∂p; multiply by "
                "∂p/∂z = σ(z)(1 − σ(z)) to get the derivative with respect to the logit.", "chain-rule"),
        Mistake("y - sigmoid(z)", "The sign is flipped: increasing z should lower the loss when "
                "y = 1, so the gradient is negative there.", "sign"),
        Mistake(SIGMA_PRIME, "That is ∂p/∂z alone; the chain rule multiplies it by ∂L/∂p."),
    ),
)

BCE_EXAMPLE = Problem(
    id="example.bce_logit", session=2, kind="value", title="One example of logistic loss",
    concepts=("nll", "loss-function"),
    prompt=r"A single example has label $y = {{y}}$ and logit $z = {{z}}$. Compute the loss "
           r"$L = -[\,y\log\hat p + (1-y)\log(1-\hat p)\,]$ with $\hat p = \sigma(z)$ (natural log) "
           r"and $\partial L/\partial z$. Answer with the list `[L, dL/dz]`, three decimals.",
    canonical={"y": 1, "z": -1.0}, sampler=_bce_sampler, derive=_bce_numbers,
    reference=lambda params: [_bce_numbers(params)["loss"], _bce_numbers(params)["grad"]],
    tolerance=VALUE_TOL,
    hints=("First convert the logit: $\\hat p = 1/(1 + e^{-z})$.",
           "Only one term of the loss survives for a given label; use $\\partial L/\\partial z = \\hat p - y$.",
           "$\\hat p = {{phat:.4f}}$ here."),
    solution=r"$\hat p = \sigma({{z}}) = {{phat:.4f}}$. The surviving term gives $L = -\log({{pc:.4f}}) = "
             r"{{loss:.4f}}$, and $\partial L/\partial z = \hat p - y = {{grad:.4f}}$.",
    mistakes=(
        Mistake(lambda p: [_bce_numbers(p)["loss"], -_bce_numbers(p)["grad"]],
                "The loss is right but the gradient's sign is flipped: it is p̂ − y.", "sign"),
        Mistake(lambda p: [_bce_numbers(p)["loss"] / np.log(10), _bce_numbers(p)["grad"]],
                "Use the natural logarithm for the loss, not log base 10."),
    ),
)

SOFTMAX_CE = Problem(
    id="grad.softmax_ce", session=2, kind="vector", title="Gradient of softmax cross-entropy",
    concepts=("nll", "differentiability", "loss-function"),
    prompt=r"Three classes, logits $(z_1, z_2, z_3)$, $\hat p = \mathrm{softmax}(z)$ and a one-hot "
           r"target $(y_1, y_2, y_3)$. For $L = -\sum_j y_j \log \hat p_j$ enter the gradient "
           r"$(\partial L/\partial z_1, \partial L/\partial z_2, \partial L/\partial z_3)$ as a list of "
           "three expressions in `z1, z2, z3, y1, y2, y3`.",
    variables=("z1", "z2", "z3", "y1", "y2", "y3"),
    domains={**{f"z{j}": "real" for j in (1, 2, 3)}, **{f"y{j}": "onehot" for j in (1, 2, 3)}},
    components=("dL/dz1", "dL/dz2", "dL/dz3"),
    reference=lambda params: D.softmax_ce_grad(),
    hints=("With true class $c$, $L = -\\log \\hat p_c = -z_c + \\log\\sum_k e^{z_k}$.",
           "$\\partial/\\partial z_j$ of $\\log\\sum_k e^{z_k}$ is $\\hat p_j$; of $-z_c$ it is $-1$ if $j = c$.",
           "Component $j$ is $\\hat p_j$ minus the target's component $j$; write $\\hat p_1$ as "
           "`exp(z1)/(exp(z1) + exp(z2) + exp(z3))`."),
    solution=r"$L = -z_c + \log\sum_k e^{z_k}$, so $\dfrac{\partial L}{\partial z_j} = \hat p_j - y_j$ "
             "with $\\hat p_j = e^{z_j}/\\sum_k e^{z_k}$: predicted distribution minus target distribution.",
    mistakes=(
        Mistake(lambda p: [YJ - D.softmax(j) for j, YJ in enumerate(D.YS)],
                "The sign is flipped: the gradient is predicted minus target.", "sign"),
        Mistake(lambda p: [D.softmax(j) for j in range(3)], "You have p̂ⱼ only: the −zc term of the "
                "loss contributes −yⱼ."),
    ),
)

SOFTMAX_EXAMPLE = Problem(
    id="example.softmax_ce", session=2, kind="value", title="Softmax cross-entropy by hand",
    concepts=("nll", "loss-function"),
    prompt=r"Logits $z = ({{z1}}, {{z2}}, {{z3}})$ and the true class is $c = {{c}}$ (classes "
           r"numbered from 1). Compute $L = -\log \hat p_c$ with $\hat p = \mathrm{softmax}(z)$ "
           r"(natural log, three decimals).",
    canonical={"z1": 2, "z2": 0, "z3": -1, "c": 2}, sampler=_softmax_sampler, derive=_softmax_numbers,
    reference=lambda params: _softmax_numbers(params)["loss"], tolerance=VALUE_TOL,
    hints=("Compute $e^{z_j}$ for each class and divide by their sum.",
           "For stability subtract $\\max_j z_j = {{zmax}}$ from every logit first; the probabilities do not change.",
           "Then $L = -\\log \\hat p_{ {{c}} }$."),
    solution=r"$\hat p = ({{p1:.4f}}, {{p2:.4f}}, {{p3:.4f}})$, so $L = -\log {{pc:.4f}} = {{loss:.3f}}$.",
    mistakes=(
        Mistake(lambda p: -np.log(_softmax_numbers(p)[f"p{p['c'] % 3 + 1}"]),
                "Classes are numbered from 1 here: use the probability of class c itself."),
        Mistake(lambda p: _softmax_numbers(p)["loss"] / np.log(10), "Use the natural logarithm."),
    ),
)

IMPL_BCE = Problem(
    id="impl.bce_with_logits", session=2, kind="function", title="Stable BCE from logits",
    concepts=("nll", "loss-function"),
    prompt=r"Write `f(y, z)` returning the per-example binary cross-entropy "
           r"$-[\,y\log\sigma(z) + (1-y)\log(1-\sigma(z))\,]$ for arrays `y` (labels 0/1, shape (n,)) "
           "and `z` (logits, shape (n,)); return shape (n,). It must stay finite and correct for "
           "logits as large as ±800.",
    signature="f(y, z) -> array of shape (n,)",
    reference=lambda params: losses.bce_with_logits, inputs=_bce_inputs,
    hints=("Write the loss in terms of $z$ only: $L = \\log(1 + e^{z}) - y z$.",
           "$\\log(1 + e^{z})$ overflows for large $z$: use $\\max(z, 0) + \\log(1 + e^{-|z|})$.",
           "`np.maximum(z, 0) - y*z + np.log1p(np.exp(-np.abs(z)))`."),
    solution="Since $\\log\\sigma(z) = -\\log(1+e^{-z})$ and $\\log(1-\\sigma(z)) = -z - \\log(1+e^{-z})$, "
             "$L = \\log(1 + e^{z}) - y z$. The softplus $\\log(1+e^{z}) = \\max(z, 0) + "
             "\\log(1 + e^{-|z|})$ never exponentiates a positive number:\n\n"
             "```python\ndef f(y, z):\n    return np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))\n```",
)

IMPL_SOFTMAX = Problem(
    id="impl.softmax_cross_entropy", session=2, kind="function", title="Stable softmax cross-entropy",
    concepts=("nll", "loss-function"),
    prompt=r"Write `f(y, z)` for integer labels `y` of shape (n,) (values $0 \ldots K-1$) and logits "
           r"`z` of shape (n, K), returning the per-example loss $-\log \mathrm{softmax}(z_i)_{y_i}$, "
           "shape (n,). Logits of ±800 must not overflow.",
    signature="f(y, z) -> array of shape (n,)",
    reference=lambda params: losses.softmax_cross_entropy, inputs=_softmax_inputs,
    hints=("$-\\log \\mathrm{softmax}(z)_c = \\log\\sum_k e^{z_k} - z_c$.",
           "Log-sum-exp trick: with $a = \\max_k z_k$, $\\log\\sum_k e^{z_k} = a + \\log\\sum_k e^{z_k - a}$.",
           "Pick $z_{i, y_i}$ with `z[np.arange(len(y)), y]`."),
    solution="Per row, $L_i = \\mathrm{lse}(z_i) - z_{i,y_i}$ with the shifted log-sum-exp:\n\n"
             "```python\ndef f(y, z):\n    a = z.max(axis=1, keepdims=True)\n"
             "    lse = a[:, 0] + np.log(np.exp(z - a).sum(axis=1))\n"
             "    return lse - z[np.arange(len(y)), y]\n```",
)

NLL_CHOICE = Problem(
    id="choice.nll", session=2, kind="choice", title="Losses as negative log-likelihoods",
    concepts=("nll", "mse"),
    prompt="Minimising the squared error $\\tfrac12(\\hat y - y)^2$ is the same as maximum likelihood "
           "under which model of the target?\n\n"
           "- **a**: $y$ is Bernoulli with mean $\\hat y$\n- **b**: $y = \\hat y + \\varepsilon$ with "
           "Gaussian noise $\\varepsilon$ of fixed variance\n- **c**: $y = \\hat y + \\varepsilon$ with "
           "Laplace noise\n- **d**: none: squared error has no probabilistic reading",
    options=(
        Option("a", "Bernoulli", False, "A Bernoulli model gives binary cross-entropy, not squared error."),
        Option("b", "Gaussian noise", True, "−log N(y; ŷ, σ²) = (y − ŷ)²/(2σ²) + const, so the "
               "negative log-likelihood is the squared error up to scale and a constant."),
        Option("c", "Laplace noise", False, "Laplace noise gives the absolute error |ŷ − y|."),
        Option("d", "none", False, "It does have one: Gaussian noise gives exactly this loss."),
    ),
    hints=("Write the negative log of a density of $y$ centred at $\\hat y$.",
           "Which density has $(y - \\hat y)^2$ in its exponent?"),
    solution="**b**. $-\\log \\mathcal N(y;\\hat y,\\sigma^2) = \\frac{(y-\\hat y)^2}{2\\sigma^2} + "
             "\\tfrac12\\log(2\\pi\\sigma^2)$. Likewise cross-entropy is the Bernoulli NLL and the "
             "absolute error the Laplace NLL.",
)

PROBLEMS = [BCE_PROB, BCE_LOGIT, BCE_EXAMPLE, SOFTMAX_CE, SOFTMAX_EXAMPLE, IMPL_BCE, IMPL_SOFTMAX,
            NLL_CHOICE]
EXERCISES = ["grad.bce_prob", "grad.bce_logit", "example.bce_logit", "grad.softmax_ce",
             "example.softmax_ce", "impl.bce_with_logits", "impl.softmax_cross_entropy", "choice.nll"]

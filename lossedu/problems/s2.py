"""Session 2 — probabilistic classification: cross-entropy from probabilities and from logits."""
from __future__ import annotations

import numpy as np

from lossedu import derivations as D
from lossedu import losses
from lossedu.checking.functions import CALL_KEY, FD_STEP
import sympy as sp

from lossedu.problems import s2_more
from lossedu.problems.variation import SMOOTHED, TEMPERATURE, _smoothed, _temperature_sampler, _temperature_text, _tempered
from lossedu.spec import VALUE_TOL, Mistake, Option, Problem, coefficient_tex

TITLE = "Probabilistic classification"  # the exercise set's title, as in the lesson
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
def _encoded(params: dict, y01: np.ndarray) -> np.ndarray:
    """Labels 0/1 written in the variant's encoding: {0, 1}, or {−1, +1} when ``params["labels"] == "pm1"``."""
    return 2.0 * y01 - 1.0 if params.get("labels") == "pm1" else y01


def _both_labels(rng: np.random.Generator) -> np.ndarray:
    """Six 0/1 labels in random order, three of each: an ordinary batch always has both labels, so
    an implementation right for one label only is told so whatever the secret inputs are."""
    return rng.permutation(np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0]))


def _bce_inputs(params: dict, rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
    """Ordinary logits, a tie z = 0, and extreme logits ±800 on both labels (in the variant's encoding)."""
    calls = [
        {"y": _both_labels(rng), "z": rng.normal(0.0, 3.0, size=6)},
        {"y": np.array([1.0, 0.0]), "z": np.array([0.0, 0.0])},
        {"y": np.array([1.0]), "z": np.array([-1.0])},
        {"y": np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0]),
         "z": np.array([800.0, -800.0, -800.0, 800.0, 40.0, -40.0])},
    ]
    return [{**call, "y": _encoded(params, call["y"])} for call in calls]


def _bce_encoded(params: dict):
    """The reference loss for the variant's label encoding."""
    if params.get("labels") == "pm1":
        return lambda y, z: np.logaddexp(0.0, -y * z)   # log(1 + exp(-y z)), y in {-1, +1}
    return losses.bce_with_logits


def _encoding_sampler(rng: np.random.Generator) -> dict:
    return {"labels": str(rng.choice(["01", "pm1"]))}


def _encoding_text(params: dict) -> dict:
    if params.get("labels") == "pm1":
        return {"labels_text": r"labels $y \in \{-1, +1\}$ (the margin convention), shape (n,)",
                "loss_text": r"$\log(1 + e^{-y z})$, the same cross-entropy written for labels ±1"}
    return {"labels_text": "labels 0/1, shape (n,)",
            "loss_text": r"$-[\,y\log\sigma(z) + (1-y)\log(1-\sigma(z))\,]$"}


def _pos_weight_sampler(rng: np.random.Generator) -> dict:
    return {"alpha": float(rng.choice([2.0, 3.0, 5.0, 0.5]))}


def _pos_weight_text(params: dict) -> dict:
    a = params["alpha"]
    return {"alpha_tex": coefficient_tex(a),
            "pos_weight": "" if a == 1 else (rf" Positive examples carry the weight $\alpha = {a:g}$: the loss is "
                                             r"$-[\,\alpha\,y\log\sigma(z) + (1-y)\log(1-\sigma(z))\,]$.")}


def _weighted_pair(params: dict):
    """(loss, gradient) of cross-entropy from logits with weight α on the positive term."""
    a = params["alpha"]
    if a == 1:
        return losses.bce_with_logits, losses.bce_with_logits_grad

    def loss(y, z):
        return a * y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)

    def grad(y, z):
        return a * y * (_sig(z) - 1) + (1 - y) * _sig(z)

    return loss, grad


def _softmax_inputs(params: dict, rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
    """Ordinary logits, tied logits, and rows with entries ±800 (naive exp overflows)."""
    return [
        {"y": rng.integers(0, 3, size=5), "z": rng.normal(0.0, 2.0, size=(5, 3))},
        {"y": np.array([0, 3]), "z": np.zeros((2, 4))},
        {"y": np.array([1]), "z": np.array([[2.0, 0.0, -1.0]])},
        {"y": np.array([2, 0, 1]), "z": np.array([[800.0, 0.0, -800.0], [-800.0, 800.0, 0.0],
                                                  [0.0, 0.0, 800.0]])},
    ]


def _grad_pair_inputs(params: dict, rng: np.random.Generator) -> list[dict]:
    """Calls for a pair (loss_fn, grad_fn); ``CALL_KEY`` names the function each one is for.

    The gradient at ordinary logits, at z = 0 and at ±800; the loss at ±800; and at six moderate
    points z the loss at z − h, z, z + h next to the gradient at z, for finite differences of the
    learner's own loss.
    """
    y_fd = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    z_fd = np.round(rng.uniform(-4.0, 4.0, size=6), 3)
    y_big = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    z_big = np.array([800.0, -800.0, -800.0, 800.0, 40.0, -40.0])
    return [
        {CALL_KEY: "grad", "y": _both_labels(rng), "z": rng.normal(0.0, 3.0, size=6)},
        {CALL_KEY: "grad", "y": np.array([1.0, 0.0]), "z": np.array([0.0, 0.0])},
        {CALL_KEY: "grad", "y": y_fd, "z": z_fd},
        {CALL_KEY: "loss", "y": y_fd, "z": z_fd},
        {CALL_KEY: "loss", "y": y_fd, "z": z_fd + FD_STEP},
        {CALL_KEY: "loss", "y": y_fd, "z": z_fd - FD_STEP},
        {CALL_KEY: "grad", "y": y_big, "z": z_big},
        {CALL_KEY: "loss", "y": y_big, "z": z_big},
    ]


def _sig(z: np.ndarray) -> np.ndarray:
    return losses.sigmoid(z)


# ---------------------------------------------------------------------------- problems
BCE_PROB = Problem(
    id="grad.bce_prob", session=2, kind="expression", title="Cross-entropy, derivative in p",
    concepts=("nll", "loss-function", "differentiability"),
    prompt=r"Binary cross-entropy for a label $y \in \{0, 1\}$ and a predicted probability "
           r"$p \in (0, 1)$ is $L(y, p) = -[\,{{target_tex}} \log p + (1 - {{target_tex}})\log(1 - p)\,]$.{{smoothing}} "
           r"Enter $\partial L/\partial p$ in terms of `y` and `p`.",
    variables=("y", "p"), domains={"y": "label01", "p": "prob"}, **SMOOTHED,
    reference=lambda params: D.bce_prob_grad().subs(D.y, _smoothed(params)),
    hints=("Differentiate the two terms separately; $y$ is a constant.",
           "$\\frac{d}{dp}\\log p = 1/p$; for $\\log(1 - p)$ use the chain rule: the inner function is $1 - p$.",
           "Put the overall minus sign in front of $y/p - (1 - y)/(1 - p)$."),
    solution=r"$\dfrac{\partial L}{\partial p} = -\left(\dfrac{ {{target_tex}} }{p} - \dfrac{1 - {{target_tex}}}{1 - p}\right) = "
             r"\dfrac{p - {{target_tex}}}{p(1 - p)}$. For a target of 1 it is $-1/p$: huge when the model is confidently "
             "wrong ($p \\to 0$).",
    mistakes=(
        Mistake("-({{target}}/p + (1 - {{target}})/(1 - p))", "The inner derivative is missing: log(1 − p) has "
                "the inner function 1 − p; differentiate it with respect to p and multiply it in.",
                "chain-rule"),
        Mistake("{{target}}/p - (1 - {{target}})/(1 - p)", "The sign is flipped: the loss has a minus sign in front.",
                "sign"),
        Mistake("-(y/p - (1 - y)/(1 - p))", "That uses the hard label y: with label smoothing the target "
                "is ỹ = (1 − ε)y + ε/2 in both terms.", "quantity"),
    ),
)

BCE_LOGIT = Problem(
    id="grad.bce_logit", session=2, kind="expression", title="Cross-entropy from a logit",
    concepts=("nll", "differentiability", "loss-function"),
    prompt=r"Now the model outputs a logit $z$ and $p = \sigma(z) = 1/(1 + e^{-z})$. Take "
           r"$L = -[\,{{target_tex}} \log p + (1 - {{target_tex}})\log(1 - p)\,]$ for a label $y \in \{0, 1\}$.{{smoothing}} "
           r"Enter $\partial L / \partial z$ in terms of `y` and `z` (in text you may write `sigmoid(z)`; "
           r"in SymPy, `1/(1 + sp.exp(-z))`).",
    variables=("y", "z"), domains={"y": "label01", "z": "real"}, **SMOOTHED,
    reference=lambda params: D.bce_logit_grad().subs(D.y, _smoothed(params)),
    chain=(SIGMA_PRIME,),
    hints=("Chain rule: $\\partial L/\\partial z = (\\partial L/\\partial p)(\\partial p/\\partial z)$.",
           "$\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))$, and $\\partial L/\\partial p = -(y/p - (1-y)/(1-p))$.",
           "Multiply out: the $p(1 - p)$ cancels the denominators and leaves something very short."),
    solution=r"$\dfrac{\partial L}{\partial z} = -\left(\dfrac{ {{target_tex}} }{p} - \dfrac{1-{{target_tex}}}{1-p}\right)p(1-p) "
             r"= p - {{target_tex}} = \sigma(z) - {{target_tex}}$: predicted probability minus target.",
    mistakes=(
        Mistake("-({{target}}/sigmoid(z) - (1 - {{target}})/(1 - sigmoid(z)))", "That is ∂L/∂p: you dropped the "
                "derivative of the inner function. Differentiate p = σ(z) with respect to z and multiply "
                "it in.", "chain-rule"),
        Mistake("{{target}} - sigmoid(z)", "The sign is flipped: raising z must lower the loss of a "
                "positive example and raise that of a negative one.", "sign"),
        Mistake(SIGMA_PRIME, "That is ∂p/∂z alone; the chain rule multiplies it by ∂L/∂p.", "quantity"),
        Mistake("(sigmoid(z) - {{target}})*" + SIGMA_PRIME, "There is one σ′(z) too many: in ∂L/∂p times "
                "σ′(z) the derivative σ′(z) already cancels the denominators of ∂L/∂p, so it must not be "
                "multiplied in again (that would be the gradient of the squared error on the probability).", "extra-factor"),
        Mistake("sigmoid(z) - y", "That uses the hard label y: with label smoothing the target is "
                "ỹ = (1 − ε)y + ε/2.", "quantity"),
    ),
)

BCE_EXAMPLE = Problem(
    id="example.bce_logit", session=2, kind="value", title="One example of logistic loss",
    concepts=("nll", "loss-function"),
    prompt=r"A single example has label $y = {{y}}$ and logit $z = {{z}}$. Compute the loss "
           r"$L = -[\,y\log\hat p + (1-y)\log(1-\hat p)\,]$ with $\hat p = \sigma(z)$ (natural log) "
           r"and $\partial L/\partial z$. Answer with the list `[L, dL/dz]`.",
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
                "The loss is right but the gradient has the wrong sign: check which way raising z moves the "
                "loss for this label.", "sign"),
        Mistake(lambda p: [_bce_numbers(p)["loss"] / np.log(10), _bce_numbers(p)["grad"]],
                "Use the natural logarithm for the loss, not log base 10.", "quantity"),
    ),
)

SOFTMAX_CE = Problem(
    id="grad.softmax_ce", session=2, kind="vector", title="Gradient of softmax cross-entropy",
    concepts=("nll", "differentiability", "loss-function"),
    prompt=r"Three classes, logits $(z_1, z_2, z_3)$, $\hat p = \mathrm{softmax}({{scaled}})$ and a one-hot "
           r"target $(y_1, y_2, y_3)$.{{temp}} For $L = -\sum_j y_j \log \hat p_j$ enter the gradient "
           r"$(\partial L/\partial z_1, \partial L/\partial z_2, \partial L/\partial z_3)$ as a list of "
           "three expressions in `z1, z2, z3, y1, y2, y3`.",
    variables=("z1", "z2", "z3", "y1", "y2", "y3"),
    domains={**{f"z{j}": "real" for j in (1, 2, 3)}, **{f"y{j}": "onehot" for j in (1, 2, 3)}},
    components=("dL/dz1", "dL/dz2", "dL/dz3"), **TEMPERATURE,
    reference=lambda params: [g / sp.nsimplify(params["T"]) for g in _tempered(D.softmax_ce_grad(), params)],
    hints=("With true class $c$, $L = -\\log \\hat p_c = -z_c + \\log\\sum_k e^{z_k}$.",
           "The derivative of $\\log\\sum_k e^{z_k}$ with respect to $z_j$ is $\\hat p_j$; now differentiate "
           "$-z_c$ with respect to $z_j$, once for $j = c$ and once for $j \\neq c$.",
           "Component $j$ is $\\hat p_j$ minus the target's component $j$; write $\\hat p_1$ as "
           "`exp(z1)/(exp(z1) + exp(z2) + exp(z3))`."),
    solution=r"With $u = {{scaled}}$: $L = -u_c + \log\sum_k e^{u_k}$, so $\dfrac{\partial L}{\partial z_j} = "
             r"(\hat p_j - y_j)\,\dfrac{\partial u_j}{\partial z_j}$ with $\hat p_j = e^{u_j}/\sum_k e^{u_k}$: "
             r"predicted distribution minus target distribution, times $1/T$ (here $T = {{T:g}}$).",
    mistakes=(
        Mistake(lambda p: [-g / sp.nsimplify(p["T"]) for g in _tempered(D.softmax_ce_grad(), p)],
                "The sign is flipped: raising the logit of the true class must lower the loss.", "sign"),
        Mistake(lambda p: [g / sp.nsimplify(p["T"]) for g in _tempered([D.softmax(j) for j in range(3)], p)],
                "You differentiated only the log-sum-exp term of L = −z_c + log Σₖ exp(z_k): the other "
                "term depends on the logits too.", "quantity"),
        Mistake(lambda p: _tempered(D.softmax_ce_grad(), p), "A chain-rule factor is missing: the softmax "
                "sees z_j / T, whose derivative with respect to z_j is 1/T.", "chain-rule"),
    ),
)

SOFTMAX_EXAMPLE = Problem(
    id="example.softmax_ce", session=2, kind="value", title="Softmax cross-entropy by hand",
    concepts=("nll", "loss-function"),
    prompt=r"Logits $z = ({{z1}}, {{z2}}, {{z3}})$ and the true class is $c = {{c}}$ (classes "
           r"numbered from 1). Compute $L = -\log \hat p_c$ with $\hat p = \mathrm{softmax}(z)$ "
           r"(natural log).",
    canonical={"z1": 2, "z2": 0, "z3": -1, "c": 2}, sampler=_softmax_sampler, derive=_softmax_numbers,
    reference=lambda params: _softmax_numbers(params)["loss"], tolerance=VALUE_TOL,
    hints=("Compute $e^{z_j}$ for each class and divide by their sum.",
           "For stability subtract $\\max_j z_j = {{zmax}}$ from every logit first; the probabilities do not change.",
           "Then $L = -\\log \\hat p_{ {{c}} }$."),
    solution=r"$\hat p = ({{p1:.4f}}, {{p2:.4f}}, {{p3:.4f}})$, so $L = -\log {{pc:.4f}} = {{loss:.3f}}$.",
    mistakes=(
        Mistake(lambda p: -np.log(_softmax_numbers(p)[f"p{p['c'] % 3 + 1}"]),
                "Classes are numbered from 1 here: use the probability of class c itself.", "indexing"),
        Mistake(lambda p: _softmax_numbers(p)["loss"] / np.log(10), "Use the natural logarithm.", "quantity"),
    ),
)

IMPL_BCE = Problem(
    id="impl.bce_with_logits", session=2, kind="function", title="Stable BCE from logits",
    concepts=("nll", "loss-function"),
    prompt=r"Write `f(y, z)` returning the per-example binary cross-entropy "
           r"{{loss_text}} for arrays `y` ({{labels_text}}) "
           "and `z` (logits, shape (n,)); return shape (n,). It must stay finite and correct for "
           "logits as large as ±800. The label encoding is `p[\"labels\"]`: `\"01\"` or `\"pm1\"`.",
    signature="f(y, z) -> array of shape (n,)",
    canonical={"labels": "01"}, sampler=_encoding_sampler, derive=_encoding_text,
    reference=_bce_encoded, inputs=_bce_inputs,
    hints=("Write the loss in terms of $z$ only: $L = \\log(1 + e^{z}) - y z$ for labels 0/1, "
           "$\\log(1 + e^{-y z})$ for labels ±1.",
           "$\\log(1 + e^{z})$ overflows for large $z$: use $\\max(z, 0) + \\log(1 + e^{-|z|})$.",
           "`np.maximum(z, 0) - y*z + np.log1p(np.exp(-np.abs(z)))` for labels 0/1; "
           "`np.logaddexp(0, -y*z)` for labels ±1."),
    solution="Since $\\log\\sigma(z) = -\\log(1+e^{-z})$ and $\\log(1-\\sigma(z)) = -z - \\log(1+e^{-z})$, "
             "$L = \\log(1 + e^{z}) - y z$. The softplus $\\log(1+e^{z}) = \\max(z, 0) + "
             "\\log(1 + e^{-|z|})$ never exponentiates a positive number:\n\n"
             "```python\ndef f(y, z):\n    return np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))\n```\n\n"
             "With labels ±1 the two terms become one, $\\log(1 + e^{-y z})$: `np.logaddexp(0, -y * z)`.",
)

IMPL_SOFTMAX = Problem(
    id="impl.softmax_cross_entropy", session=2, kind="function", title="Stable softmax cross-entropy",
    concepts=("nll", "loss-function"),
    prompt=r"Write `f(y, z)` for integer labels `y` of shape (n,) (values $0 \ldots K-1$) and logits "
           r"`z` of shape (n, K), returning the per-example loss $-\log \mathrm{softmax}(z_i / T)_{y_i}$ "
           r"at temperature $T = {{T:g}}$ (`p[\"T\"]`), "
           "shape (n,). Logits of ±800 must not overflow.",
    signature="f(y, z) -> array of shape (n,)",
    canonical={"T": 1.0}, sampler=_temperature_sampler, derive=_temperature_text,
    reference=lambda params: losses.softmax_cross_entropy if params["T"] == 1 else (
        lambda y, z: losses.softmax_cross_entropy(y, np.asarray(z, dtype=float) / params["T"])),
    inputs=_softmax_inputs,
    hints=("Divide the logits by $T$ first; then $-\\log \\mathrm{softmax}(u)_c = \\log\\sum_k e^{u_k} - u_c$.",
           "Log-sum-exp trick: with $a = \\max_k z_k$, $\\log\\sum_k e^{z_k} = a + \\log\\sum_k e^{z_k - a}$.",
           "Pick $z_{i, y_i}$ with `z[np.arange(len(y)), y]`."),
    solution="With $u = z / T$, per row $L_i = \\mathrm{lse}(u_i) - u_{i,y_i}$ with the shifted log-sum-exp:\n\n"
             "```python\ndef f(y, z):\n    z = z / {{T:g}}\n    a = z.max(axis=1, keepdims=True)\n"
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
        Option("d", "none", False, "It does have one: write the negative log of each noise density "
               "and look for the one with (y − ŷ)² in it."),
    ),
    hints=("Write the negative log of a density of $y$ centred at $\\hat y$.",
           "Which density has $(y - \\hat y)^2$ in its exponent?"),
    solution="**b**. $-\\log \\mathcal N(y;\\hat y,\\sigma^2) = \\frac{(y-\\hat y)^2}{2\\sigma^2} + "
             "\\tfrac12\\log(2\\pi\\sigma^2)$. Likewise cross-entropy is the Bernoulli NLL and the "
             "absolute error the Laplace NLL.",
)

IMPL_BCE_GRAD = Problem(
    id="impl.bce_with_logits_grad", session=2, kind="function", title="A gradient checked against your own loss",
    concepts=("nll", "differentiability", "loss-function"),
    prompt=r"Write two functions of arrays `y` (labels 0/1, shape (n,)) and `z` (logits, shape (n,)).{{pos_weight}}"
           "\n\n- `my_loss(y, z)`: the per-example (weighted) binary cross-entropy from logits, shape (n,), "
           "with the weight $\\alpha$ = `p[\"alpha\"]`;\n- `my_grad(y, z)`: its derivative "
           r"$\partial L/\partial z$ for each example, shape (n,)."
           "\n\nPass them together, as one pair: `check((my_loss, my_grad))`. The checker compares "
           "`my_grad` with the true gradient *and* with central finite differences "
           r"$(L(z + h) - L(z - h))/2h$ of *your own* `my_loss`, so it can tell a wrong derivative "
           "from a wrong loss. Both functions must stay finite and warning-free for logits as large "
           "as ±800.",
    signature="a pair (loss_fn, grad_fn): loss_fn(y, z) -> array (n,), grad_fn(y, z) -> array (n,)",
    components=("binary cross-entropy from logits", "its derivative dL/dz"),
    canonical={"alpha": 1.0}, sampler=_pos_weight_sampler, derive=_pos_weight_text,
    reference=_weighted_pair,
    inputs=_grad_pair_inputs, tolerance=(1e-6, 1e-8),
    hints=("You derived $\\partial L/\\partial z$ earlier in this set; with a weight $\\alpha$ on the positive "
           "term it becomes $\\alpha\\,y\\,(\\sigma(z) - 1) + (1 - y)\\,\\sigma(z)$. The work here is computing "
           "$\\sigma(z)$ without overflow.",
           "`1/(1 + np.exp(-z))` overflows at $z = -800$ ($e^{800}$). Since "
           "$\\log(1 + e^{-z})$ = `np.logaddexp(0, -z)` is stable, so is "
           "$\\sigma(z) = \\exp(-\\log(1 + e^{-z}))$.",
           "`my_loss` can be `a*y*np.logaddexp(0.0, -z) + (1 - y)*np.logaddexp(0.0, z)` with `a = p[\"alpha\"]`; "
           "`my_grad` builds $\\sigma(z)$ as `np.exp(-np.logaddexp(0.0, -z))`."),
    solution="$L = -[\\alpha\\,y\\log\\sigma(z) + (1-y)\\log(1-\\sigma(z))] = \\alpha\\,y\\log(1 + e^{-z}) + (1 - y)\\log(1 + e^{z})$ "
             "with $\\alpha = {{alpha:g}}$, so $\\partial L/\\partial z = \\alpha\\,y\\,(\\sigma(z) - 1) + (1 - y)\\,\\sigma(z)$ "
             "($\\sigma(z) - y$ when $\\alpha = 1$). Both parts are computed from `np.logaddexp`, which never "
             "exponentiates a large positive number:\n\n"
             "```python\na = {{alpha:g}}\n\ndef my_loss(y, z):\n    return a * y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)\n\n"
             "def my_grad(y, z):\n    s = np.exp(-np.logaddexp(0.0, -z))\n    return a * y * (s - 1) + (1 - y) * s\n```\n\n"
             "The check differentiates your loss numerically, $(L(z+h) - L(z-h))/2h$ with $h = 10^{-5}$: "
             "a gradient that agrees with it is at least the derivative of *something*; if it also "
             "equals the formula above, that something is the weighted cross-entropy.",
    mistakes=(
        Mistake(lambda p: lambda y, z: -_weighted_pair(p)[1](y, z), "The sign is flipped: raising z must "
                "lower the loss of a positive example and raise that of a negative one.", "sign"),
        Mistake(lambda p: lambda y, z: _sig(z) * (1 - _sig(z)), "That is ∂p̂/∂z alone; the chain rule "
                "multiplies it by ∂L/∂p̂.", "chain-rule"),
        Mistake(lambda p: lambda y, z: -(p["alpha"] * y / _sig(z) - (1 - y) / (1 - _sig(z))), "That is ∂L/∂p̂: "
                "you dropped the derivative of the inner function. Differentiate p̂ = σ(z) with respect "
                "to z and multiply it in.", "chain-rule"),
        Mistake(lambda p: lambda y, z: _weighted_pair(p)[1](y, z) * _sig(z) * (1 - _sig(z)), "There is one "
                "σ′(z) too many: ∂L/∂p̂ times σ′(z) already simplifies, so σ′(z) must not be multiplied in "
                "again (with α = 1 that is the gradient of the squared error on the probability, "
                "½(σ(z) − y)², not of the cross-entropy).", "extra-factor"),
        Mistake(lambda p: lambda y, z: _sig(z) - y, "That is the unweighted gradient: the weight α "
                "multiplies the positive term of the loss, so it stays in its derivative.", "factor"),
    ),
)

OUTPUT_TYPE_CHOICE = Problem(
    id="choice.output_type", session=2, kind="choice", title="A loss that fits the output",
    concepts=("loss-function", "mse", "nll"),
    prompt="A classifier outputs a logit $z = w x + b$ for labels $y \\in \\{0, 1\\}$, and a colleague "
           "trains it by minimising the squared error $\\tfrac12 (z - y)^2$ on the logit. You add more "
           "positive examples far from the boundary, which the model already classifies correctly. "
           "What happens?\n\n"
           "- **a**: nothing changes: any loss that is zero at the right answer gives the same classifier\n"
           "- **b**: the new easy points have large residuals $z - y$, so they pull the fit and move the "
           "decision boundary; and $z$ is not a probability\n"
           "- **c**: the loss overflows for the far-away points\n"
           "- **d**: the gradient vanishes on the new points, so they are ignored",
    options=(
        Option("a", "nothing changes", False, "Losses with the same zero can have very different "
               "minimisers: the loss decides how much each mistake, and each easy point, counts."),
        Option("b", "easy points pull the fit", True, "The squared error wants z = 1 exactly, so a "
               "confidently right point with z = 8 is 'wrong by 7' and drags w toward it. "
               "Cross-entropy from logits has gradient σ(z) − y ≈ 0 there and ignores it."),
        Option("c", "overflow", False, "½(z − y)² is a polynomial: nothing overflows. The trouble is "
               "the model, not the arithmetic."),
        Option("d", "vanishing gradient", False, "Compute the gradient of ½(z − y)² at a positive point "
               "with z = 8: it is not small. A vanishing gradient is the failure of ½(σ(z) − y)², the "
               "squared error on the probability, when the model is confidently wrong."),
    ),
    hints=("Write the gradient of ½(z − y)² with respect to z at a positive point with z = 8.",
           "Compare with the cross-entropy gradient σ(z) − y at the same point."),
    solution="**b**. With $y = 1$ and $z = 8$ the squared-error gradient is $z - y = 7$: the point is "
             "treated as a large error although it is classified correctly, so it moves the boundary. "
             "Cross-entropy from logits gives $\\sigma(8) - 1 \\approx -0.0003$ there. Pick the loss "
             "from the output type: logits call for cross-entropy from logits.",
)

PROBLEMS = [BCE_PROB, BCE_LOGIT, BCE_EXAMPLE, SOFTMAX_CE, SOFTMAX_EXAMPLE, IMPL_BCE, IMPL_SOFTMAX,
            NLL_CHOICE, IMPL_BCE_GRAD, OUTPUT_TYPE_CHOICE]
EXERCISES = ["grad.bce_prob", "grad.bce_logit", "example.bce_logit", "grad.softmax_ce",
             "example.softmax_ce", "impl.bce_with_logits", "impl.softmax_cross_entropy", "choice.nll",
             "impl.bce_with_logits_grad", "choice.output_type"]


# ---------------------------------------------------------------------------- later additions (s2_more)
PROBLEMS += s2_more.PROBLEMS
EXERCISES += s2_more.EXERCISES

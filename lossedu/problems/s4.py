"""Session 4 — designing losses: robustness, asymmetric costs, imbalance, smoothing, penalties."""
from __future__ import annotations

import numpy as np
import sympy as sp

from lossedu import derivations as D
from lossedu.problems.s1 import ABOVE, BELOW, TIE
from lossedu.problems.s2 import SIGMA_PRIME
from lossedu.problems.variation import TEMPERATURE, WEIGHTED, _tempered
from lossedu.spec import VALUE_TOL, Kink, Mistake, Option, Problem, Region

TITLE = "Designing losses"


def residual_band(label: str, low: float, high: float) -> Region:
    """Points with r = ŷ − y in (low·δ, high·δ)."""
    return Region(label, lambda pt, rng: {**pt, "yhat": pt["y"] + pt["delta"] * rng.uniform(low, high)})


def residual_kink(sign: float) -> Kink:
    """The Huber switch point r = sign·δ (t > 0 moves r upwards)."""
    return Kink(f"yhat - y = {'+' if sign > 0 else '-'}delta",
                lambda pt, t: {**pt, "yhat": pt["y"] + sign * pt["delta"] + t})


# ---------------------------------------------------------------------------- variant parameters
ALPHA, BETA = D.alpha, D.beta


def _roles_sampler(rng: np.random.Generator) -> dict:
    """Which weight goes with which side: ``"alpha"`` (as in the lesson) or ``"beta"`` first."""
    return {"first": str(rng.choice(["alpha", "beta"]))}


def _swapped(expr, params: dict):
    """``expr`` with α and β exchanged when the variant gives the first role to β."""
    if params["first"] == "alpha":
        return expr
    return expr.subs({ALPHA: BETA, BETA: ALPHA}, simultaneous=True)


def _roles_text(params: dict) -> dict:
    one, two = (r"\alpha", r"\beta") if params["first"] == "alpha" else (r"\beta", r"\alpha")
    word1, word2 = ("alpha", "beta") if params["first"] == "alpha" else ("beta", "alpha")
    return {"w1": one, "w2": two, "word1": word1, "word2": word2}


ROLES = dict(canonical={"first": "alpha"}, sampler=_roles_sampler, derive=_roles_text)


HUBER = Problem(
    id="grad.huber", session=4, kind="expression", title="Gradient of the Huber loss",
    concepts=("robustness", "custom-loss-design", "differentiability"),
    prompt=r"With $r = \hat y - y$ and a threshold $\delta > 0$, the Huber loss is $\tfrac12 r^2$ for "
           r"$|r| \le \delta$ and $\delta(|r| - \tfrac12\delta)$ for $|r| > \delta$.{{weighted_sentence}} Enter "
           r"$\partial L/\partial \hat y$ in terms of `y`, `yhat` and `delta` (`Piecewise`, `sign`, "
           "`Abs`, `Min`, `Max` are available).",
    variables=("y", "yhat", "delta"), domains={"y": "real", "yhat": "real", "delta": "positive"},
    reference=lambda params: params["a"] * D.huber_grad(), **WEIGHTED,
    regions=(residual_band("|yhat - y| < delta", -0.95, 0.95), residual_band("yhat - y > delta", 1.05, 3.0),
             residual_band("yhat - y < -delta", -3.0, -1.05)),
    kinks=(residual_kink(1.0), residual_kink(-1.0)),
    swap=("y", "yhat"),
    hints=("Differentiate each piece with respect to $\\hat y$; $\\partial r/\\partial\\hat y = 1$.",
           "The inner piece behaves like the squared error, the outer like $\\delta$ times the absolute error.",
           "Outside the band the slope is $\\delta\\,\\mathrm{sign}(r)$; the two pieces meet at $|r| = \\delta$."),
    solution=r"$\partial L/\partial\hat y = {{a_tex}}r$ for $|r| \le \delta$ and ${{a_tex}}\delta\,\mathrm{sign}(r)$ for "
             r"$|r| > \delta$ — equivalently the clipped residual ${{a_tex}}\max(-\delta, \min(\delta, r))$. The "
             "influence of one example is bounded by $\\delta$, which is what makes Huber robust; "
             "the loss is differentiable at $|r| = \\delta$, where both pieces give $\\pm\\delta$.",
    mistakes=(
        Mistake("{{a}}*Piecewise((yhat - y, Abs(yhat - y) <= delta), (sign(yhat - y), True))",
                "Outside the band the loss is δ·|r| − δ²/2: keep the factor in front of |r| when you "
                "differentiate it.", "factor"),
        Mistake("{{a}}*Piecewise((delta*sign(yhat - y), Abs(yhat - y) <= delta), (yhat - y, True))",
                "The two pieces are exchanged: inside the band |r| ≤ δ the loss is the quadratic ½r², "
                "outside it is linear in |r|.", "branch"),
        Mistake("{{a}}*Piecewise((y - yhat, Abs(yhat - y) <= delta), (delta*sign(y - yhat), True))",
                "The sign is flipped: the residual is prediction minus target, so it grows with ŷ.", "sign"),
        Mistake("Piecewise((yhat - y, Abs(yhat - y) <= delta), (delta*sign(yhat - y), True))",
                "The example's weight a is missing: it multiplies both pieces.", "factor"),
    ),
)

ASYMMETRIC = Problem(
    id="grad.asymmetric_abs", session=4, kind="expression", title="Asymmetric costs",
    concepts=("custom-loss-design", "subgradients", "mae"),
    prompt=r"Over-predicting costs ${{w1}}$ per unit and under-predicting ${{w2}}$: "
           r"$L = {{w1}}\max(\hat y - y, 0) + {{w2}}\max(y - \hat y, 0)$. Enter a subgradient of $L$ "
           "with respect to $\\hat y$, valid everywhere, in terms of `y`, `yhat`, `alpha`, `beta`.",
    variables=("y", "yhat", "alpha", "beta"),
    domains={"y": "real", "yhat": "real", "alpha": "positive", "beta": "positive"},
    reference=lambda params: _swapped(D.asymmetric_abs_grad(), params), **ROLES,
    regions=(ABOVE, BELOW), kinks=(TIE,), swap=("y", "yhat"),
    hints=("At most one of the two max terms is non-zero for a given $\\hat y$.",
           "Write the loss separately for $\\hat y > y$ and for $\\hat y < y$: each piece is a straight line "
           "in $\\hat y$.",
           "At a tie any value in $[-{{w2}}, {{w1}}]$ is a subgradient."),
    solution=r"$\partial L/\partial\hat y = {{w1}}$ if $\hat y > y$, $-{{w2}}$ if $\hat y < y$, and any value "
             r"in $[-{{w2}}, {{w1}}]$ at a tie. With unequal costs the minimiser is a quantile of "
             r"$y$ (the ${{w2}}/(\alpha+\beta)$ quantile) instead of the median.",
    mistakes=(
        Mistake("Piecewise(({{word2}}, yhat > y), (-{{word1}}, True))", "The weights are exchanged: the cost "
                "of over-prediction (ŷ > y) is the slope above the tie.", "swap"),
        Mistake("Piecewise((-{{word2}}, yhat > y), ({{word1}}, True))", "The pieces are exchanged: above the "
                "tie (ŷ > y) the loss grows with ŷ, so the slope there is positive.", "branch"),
    ),
)

WEIGHTED_BCE = Problem(
    id="grad.weighted_bce_logit", session=4, kind="expression", title="Class-weighted cross-entropy",
    concepts=("custom-loss-design", "nll"),
    prompt=r"Weighted binary cross-entropy from a logit: $L = -[\,{{w1}}\,y\log\sigma(z) + "
           r"{{w2}}\,(1-y)\log(1-\sigma(z))\,]$ with $y \in \{0, 1\}$, $\alpha, \beta > 0$. Enter "
           r"$\partial L/\partial z$ in terms of `y`, `z`, `alpha`, `beta`.",
    variables=("y", "z", "alpha", "beta"),
    domains={"y": "label01", "z": "real", "alpha": "positive", "beta": "positive"},
    reference=lambda params: _swapped(D.weighted_bce_logit_grad(), params), chain=(SIGMA_PRIME,), **ROLES,
    hints=("Differentiate $\\log\\sigma(z)$ and $\\log(1 - \\sigma(z))$ with respect to $z$ by the chain rule, "
           "with $\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))$, and simplify each.",
           "Each weight multiplies its own term; nothing else changes.",
           "With $\\alpha = \\beta = 1$ your answer must reduce to $\\sigma(z) - y$."),
    solution=r"$\dfrac{\partial L}{\partial z} = -{{w1}}\,y\,(1 - \sigma(z)) + {{w2}}\,(1 - y)\,\sigma(z)$. "
             r"For a positive example it is $-{{w1}}(1-\sigma(z))$: a larger ${{w1}}$ pushes harder "
             "towards recall on the rare class.",
    mistakes=(
        Mistake("-{{word2}}*y*(1 - sigmoid(z)) + {{word1}}*(1 - y)*sigmoid(z)", "The weights are exchanged: "
                "look again at which weight multiplies the positive (y = 1) term.", "swap"),
        Mistake("sigmoid(z) - y", "That is the unweighted gradient: keep each weight on its own term.",
                "quantity"),
        Mistake("(-{{word1}}*y*(1 - sigmoid(z)) + {{word2}}*(1 - y)*sigmoid(z))*" + SIGMA_PRIME,
                "There is one σ′(z) too many: the derivative of log σ(z) is already 1 − σ(z), so σ′(z) "
                "must not be multiplied in again.", "extra-factor"),
        Mistake("{{word1}}*y*(1 - sigmoid(z)) - {{word2}}*(1 - y)*sigmoid(z)", "The sign is flipped: "
                "raising z must lower the loss of a positive example.", "sign"),
    ),
)

LABEL_SMOOTHING = Problem(
    id="grad.label_smoothing_ce", session=4, kind="vector", title="Label smoothing",
    concepts=("custom-loss-design", "nll"),
    prompt=r"Three classes, logits $(z_1, z_2, z_3)$, one-hot $y$, and smoothed targets "
           r"$\tilde y_j = (1 - \varepsilon)\,y_j + \varepsilon/3$ with $0 \le \varepsilon < 1$.{{temp}} For "
           r"$L = -\sum_j \tilde y_j \log \mathrm{softmax}({{scaled}})_j$ enter the gradient "
           r"$(\partial L/\partial z_1, \partial L/\partial z_2, \partial L/\partial z_3)$ as a list in "
           "`z1, z2, z3, y1, y2, y3, eps`.",
    variables=("z1", "z2", "z3", "y1", "y2", "y3", "eps"),
    domains={**{f"z{j}": "real" for j in (1, 2, 3)}, **{f"y{j}": "onehot" for j in (1, 2, 3)},
             "eps": "eps"},
    components=("dL/dz1", "dL/dz2", "dL/dz3"),
    reference=lambda params: [g / sp.nsimplify(params["T"]) for g in _tempered(D.label_smoothing_ce_grad(), params)],
    **TEMPERATURE,
    hints=("The smoothed targets still sum to 1.",
           "The softmax cross-entropy gradient you derived for a one-hot target holds for any target "
           "distribution that sums to 1.",
           "Component $j$ is $\\hat p_j - ((1-\\varepsilon) y_j + \\varepsilon/3)$."),
    solution=r"Because $\sum_j \tilde y_j = 1$, $\partial L/\partial z_j = (\hat p_j - \tilde y_j)/T = "
             r"(\hat p_j - (1-\varepsilon)y_j - \varepsilon/3)/T$ with $\hat p = \mathrm{softmax}(z/T)$, $T = {{T:g}}$. The target is never exactly 0 or 1, so "
             "the logits are not pushed towards infinity.",
    mistakes=(
        Mistake(lambda p: [g / sp.nsimplify(p["T"]) for g in _tempered(D.softmax_ce_grad(), p)],
                "That is the gradient for the one-hot target: use the smoothed target ỹ.", "quantity"),
        Mistake(lambda p: [g / sp.nsimplify(p["T"]) for g in _tempered(
                    [D.softmax(j) - ((1 - D.eps) * D.YS[j] + D.eps / 2) for j in range(3)], p)],
                "The smoothing mass ε is spread over K = 3 classes: ε/3 each.", "factor"),
        Mistake(lambda p: _tempered(D.label_smoothing_ce_grad(), p), "A chain-rule factor is missing: the "
                "softmax sees z_j / T, whose derivative with respect to z_j is 1/T.", "chain-rule"),
    ),
)

L2_OBJECTIVE = Problem(
    id="grad.l2_objective", session=4, kind="expression", title="A regularized objective",
    concepts=("regularization", "erm", "mse"),
    prompt=r"For one example and the model $\hat y = w x$, the objective is "
           r"$J(w) = {{a_tex}}\tfrac12(w x - y)^2 + \tfrac{\lambda}{2} w^2$ with $\lambda \ge 0$.{{weighted_sentence}} Enter "
           r"$dJ/dw$ in terms of `w`, `x`, `y`, `lam`.",
    variables=("w", "x", "y", "lam"),
    domains={"w": "real", "x": "real", "y": "real", "lam": "nonneg"},
    reference=lambda params: params["a"] * (D.w * D.x - D.y) * D.x + D.lam * D.w, **WEIGHTED,
    hints=("Differentiate the data term and the penalty separately and add.",
           "Chain rule on the data term: the outer function is $\\tfrac12 u^2$ with $u = w x - y$; "
           "multiply its derivative by $du/dw$. Differentiate the penalty as a power of $w$.",
           "The data term gives $(w x - y)\\,x$; the 2 from $w^2$ cancels the ½ of the penalty."),
    solution=r"$\dfrac{dJ}{dw} = {{a_tex}}(w x - y)\,x + \lambda w$. The penalty pulls $w$ towards 0 in "
             "proportion to its size (weight decay).",
    mistakes=(
        Mistake("{{a}}*(w*x - y) + lam*w", "A chain-rule factor is missing: differentiate the inner "
                "function w·x − y with respect to w and multiply it in.", "chain-rule"),
        Mistake("{{a}}*(w*x - y)*x", "The penalty (λ/2)w² depends on w too: its derivative belongs in dJ/dw.",
                "quantity"),
        Mistake("{{a}}*(w*x - y)*x + lam*w/2", "The penalty's derivative is off by a factor: the 2 that comes "
                "down from w² cancels the ½ in front of it.", "factor"),
        Mistake("{{a}}*(y - w*x)*x + lam*w", "The sign of the data term is flipped: the residual is "
                "w·x − y, prediction minus target.", "sign"),
        Mistake("(w*x - y)*x + lam*w", "The weight a of the data term is missing.", "factor"),
    ),
)

ROBUST_CHOICE = Problem(
    id="choice.robustness", session=4, kind="choice", title="Outliers",
    concepts=("robustness", "mse", "mae"),
    prompt="A regression dataset contains a few targets that are wildly wrong. Which loss keeps each "
           "example's influence on the gradient bounded?\n\n- **a**: squared error\n- **b**: Huber "
           "with threshold δ\n- **c**: squared error plus an L2 penalty on w\n- **d**: squared error on "
           "targets scaled by 100",
    options=(
        Option("a", "squared error", False, "Its gradient ŷ − y grows with the residual, so one "
               "outlier can dominate the update."),
        Option("b", "Huber", True, "Its gradient is the residual clipped to [−δ, δ]: large errors "
               "count, but no more than δ each."),
        Option("c", "L2 penalty", False, "The penalty shrinks w but leaves each example's gradient "
               "unbounded."),
        Option("d", "rescaled targets", False, "Rescaling changes units, not the shape of the loss."),
    ),
    hints=("Look at the gradient of each loss as the residual grows.",),
    solution="**b**. The squared-error gradient grows linearly with the residual; Huber's is bounded "
             "by δ (and MAE's by 1), so outliers cannot take over.",
)

# ---------------------------------------------------------------------------- class weights, K classes
def _class_weight(params: dict) -> dict:
    """Inverse-frequency weight w_c = n/(K n_c) of the example's class and its weighted cross-entropy."""
    counts, z = np.array(params["counts"], dtype=float), np.array(params["z"], dtype=float)
    c, n, k = params["c"] - 1, counts.sum(), len(counts)
    log_p = z - (z.max() + np.log(np.exp(z - z.max()).sum()))
    weights = n / (k * counts)
    w_c, ce = weights[c], -log_p[c]
    return {"n": int(n), "K": k, "n_c": int(counts[c]), "w_c": w_c, "ce": ce, "p_c": np.exp(log_p[c]),
            "answer": np.array([w_c, w_c * ce]), "answer_loss": w_c * ce,
            "weights_text": ", ".join(f"{v:.4g}" for v in weights),
            "n1": int(counts[0]), "n2": int(counts[1]), "n3": int(counts[2]),
            "z1": z[0], "z2": z[1], "z3": z[2],
            "freq": np.array([counts[c] / n, counts[c] / n * ce]),
            "inverse_only": np.array([1 / counts[c], ce / counts[c]]), "unweighted": np.array([w_c, ce])}


def _class_weight_sampler(rng: np.random.Generator) -> dict:
    counts = [[8, 3, 1], [6, 4, 2], [10, 4, 2], [9, 6, 3], [12, 6, 2], [15, 4, 1]][int(rng.integers(0, 6))]
    return {"counts": [int(v) for v in rng.permutation(counts)], "c": int(rng.integers(1, 4)),
            "z": [float(v) for v in rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0, 2.0], size=3, replace=False)]}


CLASS_WEIGHT = Problem(
    id="example.class_weight", session=4, kind="value", title="Class weights for three classes",
    concepts=("custom-loss-design", "nll"),
    prompt=r"A training set has three classes with $n_1 = {{n1}}$, $n_2 = {{n2}}$ and $n_3 = {{n3}}$ examples. "
           r"With inverse-frequency class weights $w_c = n / (K\,n_c)$ ($n$ examples, $K = 3$ classes), the "
           r"weighted cross-entropy of an example of class $c$ is $L = -w_c \log \hat p_c$ with "
           r"$\hat p = \mathrm{softmax}(z)$. One example of class $c = {{c}}$ has logits "
           r"$z = ({{z1:g}}, {{z2:g}}, {{z3:g}})$. Give its weight $w_c$ and its weighted loss $L$ (a list of "
           "two numbers).",
    canonical={"counts": [8, 3, 1], "c": 3, "z": [1.0, 0.0, -1.0]},
    sampler=_class_weight_sampler, derive=_class_weight, tolerance=VALUE_TOL,
    reference=lambda params: _class_weight(params)["answer"],
    hints=("Here $n = {{n}}$; a rare class gets a weight above 1, a frequent one below 1.",
           "$-\\log \\hat p_c = \\log \\sum_j e^{z_j} - z_c$.",
           "$w_c = {{n}}/(3 \\cdot {{n_c}})$ and $\\hat p_c = {{p_c:.4f}}$."),
    solution=r"$n = {{n}}$, so the weights $n/(K n_c)$ are {{weights_text}}: every class carries the same "
             r"total weight $n/K$. For class $c = {{c}}$, $w_c = {{w_c:.4g}}$. Softmax gives "
             r"$\hat p_c = {{p_c:.4f}}$, so $-\log\hat p_c = {{ce:.4f}}$ and $L = {{w_c:.4g}} \times {{ce:.4f}}"
             r" = {{answer_loss:.4f}}$. Extreme weights make the few rare examples dominate every gradient: "
             "tune from this starting point.",
    mistakes=(
        Mistake(lambda p: _class_weight(p)["freq"], "That weight is the class frequency n_c/n, which favours "
                "the frequent classes; imbalance calls for the inverse, n/(K·n_c).", "quantity"),
        Mistake(lambda p: _class_weight(p)["inverse_only"], "1/n_c has the right shape but the wrong scale: "
                "multiply by n/K so that the weights average to 1 over the examples.", "factor"),
        Mistake(lambda p: _class_weight(p)["unweighted"], "The second number is the plain cross-entropy; "
                "the weighted loss multiplies it by w_c.", "factor"),
    ),
)


# ---------------------------------------------------------------------------- two tasks, one weight
def _multitask(params: dict) -> dict:
    """Both tasks' contributions λₖ ∂Lₖ/∂w at w0, and the catalogue's wrong versions."""
    c, x, w0 = params["c"], params["x"], params["w0"]
    lam1, lam2 = params["lam1"], params["lam2"]
    r1, r2 = c * w0 * x - params["y1"], w0 * x - params["y2"]      # residuals of the two heads
    g1, g2 = lam1 * r1 * c * x, lam2 * r2 * x
    return {"r1": r1, "r2": r2, "g1": g1, "g2": g2, "grads": np.array([g1, g2]),
            "ratio": abs(g1 / g2), "yhat1": c * w0 * x, "yhat2": w0 * x,
            "no_c": np.array([lam1 * r1 * x, g2]), "no_x": np.array([lam1 * r1 * c, lam2 * r2]),
            "no_lam": np.array([r1 * c * x, r2 * x]), "residuals": np.array([lam1 * r1, lam2 * r2])}


def _multitask_sampler(rng: np.random.Generator) -> dict:
    c = float(rng.choice([100.0, 1000.0]))
    lam1, lam2 = [(0.5, 1.0), (1.0, 2.0), (2.0, 1.0), (1.0, 4.0)][int(rng.integers(0, 4))]
    return {"c": c, "x": float(rng.choice([0.5, 1.5, 2.0, 3.0])), "w0": float(rng.choice([0.0, 0.5, 1.0])),
            "y1": c * float(rng.choice([3.5, 4.0, 5.0, 6.0])), "y2": float(rng.choice([3.5, 4.0, 4.5, 5.0])),
            "lam1": lam1, "lam2": lam2}


MULTITASK = Problem(
    id="example.multitask_grad", session=4, kind="value", title="Two tasks, one weight",
    concepts=("custom-loss-design", "loss-function"),
    prompt=r"A model with one weight $w$ computes a shared score $s = w x$ and two heads: a price in "
           r"dollars, $\hat y_1 = {{c:g}}\,s$, and a rating in stars, $\hat y_2 = s$. It is trained on "
           r"$L = \lambda_1 L_1 + \lambda_2 L_2$ with $L_1 = \tfrac12(\hat y_1 - y_1)^2$, "
           r"$L_2 = \tfrac12(\hat y_2 - y_2)^2$, $\lambda_1 = {{lam1}}$ and $\lambda_2 = {{lam2}}$. For one "
           r"example with $x = {{x}}$, $y_1 = {{y1:g}}$ dollars and $y_2 = {{y2}}$ stars, at $w = {{w0}}$, "
           r"compute the two contributions to the gradient, "
           r"$\big(\lambda_1\,\partial L_1/\partial w,\ \lambda_2\,\partial L_2/\partial w\big)$ "
           "(a list of two numbers).",
    canonical={"c": 1000.0, "x": 2.0, "w0": 0.5, "y1": 2000.0, "y2": 3.0, "lam1": 1.0, "lam2": 1.0},
    sampler=_multitask_sampler, derive=_multitask, tolerance=VALUE_TOL,
    reference=lambda params: _multitask(params)["grads"],
    hints=("Chain rule for each task: "
           "$\\partial L_k/\\partial w = (\\hat y_k - y_k)\\,\\partial \\hat y_k/\\partial w$.",
           "$\\partial \\hat y_1/\\partial w = {{c:g}}\\,x$ and $\\partial \\hat y_2/\\partial w = x$.",
           "The residuals are $\\hat y_1 - y_1 = {{r1:g}}$ and $\\hat y_2 - y_2 = {{r2:g}}$."),
    solution=r"Predictions $\hat y_1 = {{yhat1:g}}$, $\hat y_2 = {{yhat2:g}}$. Task 1: "
             r"$\lambda_1(\hat y_1 - y_1)\cdot {{c:g}}\,x = {{g1:.10g}}$; task 2: "
             r"$\lambda_2(\hat y_2 - y_2)\,x = {{g2:.10g}}$. "
             r"The price term is about {{ratio:,.0f}} times larger, so the update is essentially the price "
             r"task's alone: with these weights the rating task is ignored. The scale of a loss enters its "
             r"gradient; measuring the price in units of {{c:g}} dollars ($\lambda_1 = 1/{{c:g}}^2$) puts both "
             "tasks on comparable scales, and only then does tuning λ express a trade-off.",
    mistakes=(
        Mistake(lambda p: _multitask(p)["no_c"], "Head 1 is ŷ₁ = c·w·x: differentiate all of it with respect "
                "to w; the price residual needs its whole inner derivative, scale c included.", "chain-rule"),
        Mistake(lambda p: _multitask(p)["no_x"], "A chain-rule factor is missing in both contributions: "
                "differentiate the shared score s = w·x with respect to w and multiply it in.", "chain-rule"),
        Mistake(lambda p: _multitask(p)["residuals"], "Those are derivatives with respect to the predictions; "
                "chain each back to w through its head.", "chain-rule"),
        Mistake(lambda p: _multitask(p)["no_lam"], "Keep the task weights: task k contributes λₖ·∂Lₖ/∂w.",
                "factor"),
        Mistake(lambda p: -_multitask(p)["grads"], "The sign is flipped: each residual is prediction minus "
                "target, ŷₖ − yₖ.", "sign"),
    ),
)


# ---------------------------------------------------------------------------- L1: exact zeros
def _soft(params: dict) -> dict:
    """Minimisers of ½(w − a)² + λ|w| (soft threshold) and the catalogue's wrong versions."""
    a, lam = np.array(params["a"], dtype=float), params["lam"]
    w = np.sign(a) * np.maximum(np.abs(a) - lam, 0.0) + 0.0
    out = {"w": w, "l2": a / (1 + lam), "no_clip": a - lam * np.sign(a), "shift": a - lam,
           "a_text": ", ".join(f"{v:g}" for v in a), "w_text": ", ".join(f"{v:g}" for v in w)}
    return {**out, **{f"a{i + 1}": a[i] for i in range(3)}}


def _soft_sampler(rng: np.random.Generator) -> dict:
    lam = float(rng.choice([0.5, 1.0, 1.5]))
    big = [-(lam + float(rng.choice([0.3, 0.5, 1.0, 1.5]))), lam + float(rng.choice([0.2, 0.5, 1.0, 2.0]))]
    small = float(rng.choice([-1.0, 1.0])) * round(lam * float(rng.choice([0.2, 0.4, 0.6, 0.8])), 2)
    a = [big[0], small, big[1]]
    return {"a": [a[i] for i in rng.permutation(3)], "lam": lam}


L1_SOFT = Problem(
    id="example.l1_soft_threshold", session=4, kind="value", title="L1 penalties give exact zeros",
    concepts=("regularization", "subgradients"),
    prompt=r"For one weight $w$, a number $a$ and $\lambda = {{lam}}$, the L1-regularized objective is "
           r"$J(w) = \tfrac12 (w - a)^2 + \lambda |w|$. For each of $a = {{a1}}$, $a = {{a2}}$ and "
           r"$a = {{a3}}$, find the minimiser $w^\star$ (a list of three numbers, in that order).",
    canonical={"a": [-2.0, 0.4, 1.5], "lam": 0.5}, sampler=_soft_sampler, derive=_soft,
    tolerance=VALUE_TOL, reference=lambda params: _soft(params)["w"],
    hints=("$w^\\star$ is optimal when 0 is a subgradient of $J$ there: $0 \\in w - a + \\lambda\\,\\partial|w|$.",
           "For $w \\ne 0$ the condition reads $w = a - \\lambda\\,\\mathrm{sign}(w)$; at $w = 0$ the "
           "subgradient set of $J$ is $[-a - \\lambda, -a + \\lambda]$.",
           "So $w^\\star = 0$ whenever $|a| \\le \\lambda$, and otherwise $a$ moves $\\lambda$ towards 0."),
    solution=r"The minimiser is the soft threshold $w^\star = \mathrm{sign}(a)\max(|a| - \lambda, 0)$: "
             r"for $a$ = {{a_text}} it is {{w_text}}. Where $|a| \le \lambda$ the subgradient set of $J$ "
             r"at 0, $[-a - \lambda, -a + \lambda]$, contains 0, so $w^\star = 0$ exactly. The L2 penalty "
             r"$\tfrac{\lambda}{2}w^2$ would give $a/(1 + \lambda)$ instead: smaller, but never 0.",
    mistakes=(
        Mistake(lambda p: _soft(p)["l2"], "That is the minimiser with the L2 penalty (λ/2)w², which shrinks "
                "every weight but never to 0; the L1 penalty λ|w| behaves differently.", "quantity"),
        Mistake(lambda p: _soft(p)["no_clip"], "a − λ·sign(a) is right only while it keeps the sign of a. "
                "For |a| ≤ λ check the subgradient set of J at w = 0 instead.", "branch"),
        Mistake(lambda p: _soft(p)["shift"], "The penalty pulls towards 0 from both sides: its subgradient "
                "is λ·sign(w), so a negative a moves up, not down.", "sign"),
        Mistake(lambda p: np.abs(_soft(p)["w"]), "The sign of a was dropped: the soft threshold keeps the "
                "sign, w* = sign(a)·max(|a| − λ, 0).", "sign"),
        Mistake(lambda p: np.array(p["a"], dtype=float), "That is the minimiser without the penalty: the "
                "term λ|w| has to be in the optimality condition.", "quantity"),
    ),
)

PROBLEMS = [HUBER, ASYMMETRIC, WEIGHTED_BCE, CLASS_WEIGHT, LABEL_SMOOTHING, L2_OBJECTIVE, ROBUST_CHOICE,
            MULTITASK, L1_SOFT]
EXERCISES = ["grad.weighted_bce_logit", "example.class_weight", "grad.asymmetric_abs", "grad.label_smoothing_ce",
             "grad.huber", "choice.robustness", "example.multitask_grad", "grad.l2_objective",
             "example.l1_soft_threshold"]

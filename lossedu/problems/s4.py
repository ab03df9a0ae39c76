"""Session 4 — designing losses: robustness, asymmetric costs, imbalance, smoothing, penalties."""
from __future__ import annotations

from lossedu import derivations as D
from lossedu.problems.s1 import ABOVE, BELOW, TIE
from lossedu.problems.s2 import SIGMA_PRIME
from lossedu.problems.spec import Kink, Mistake, Option, Problem, Region


def residual_band(label: str, low: float, high: float) -> Region:
    """Points with r = ŷ − y in (low·δ, high·δ)."""
    return Region(label, lambda pt, rng: {**pt, "yhat": pt["y"] + pt["delta"] * rng.uniform(low, high)})


def residual_kink(sign: float) -> Kink:
    """The Huber switch point r = sign·δ (t > 0 moves r upwards)."""
    return Kink(f"yhat - y = {'+' if sign > 0 else '-'}delta",
                lambda pt, t: {**pt, "yhat": pt["y"] + sign * pt["delta"] + t})


HUBER = Problem(
    id="grad.huber", session=4, kind="expression", title="Gradient of the Huber loss",
    concepts=("robustness", "custom-loss-design", "differentiability"),
    prompt=r"With $r = \hat y - y$ and a threshold $\delta > 0$, the Huber loss is $\tfrac12 r^2$ for "
           r"$|r| \le \delta$ and $\delta(|r| - \tfrac12\delta)$ for $|r| > \delta$. Enter "
           r"$\partial L/\partial \hat y$ in terms of `y`, `yhat` and `delta` (`Piecewise`, `sign`, "
           "`Abs`, `Min`, `Max` are available).",
    variables=("y", "yhat", "delta"), domains={"y": "real", "yhat": "real", "delta": "positive"},
    reference=lambda params: D.huber_grad(),
    regions=(residual_band("|yhat - y| < delta", -0.95, 0.95), residual_band("yhat - y > delta", 1.05, 3.0),
             residual_band("yhat - y < -delta", -3.0, -1.05)),
    kinks=(residual_kink(1.0), residual_kink(-1.0)),
    swap=("y", "yhat"),
    hints=("Differentiate each piece with respect to $\\hat y$; $\\partial r/\\partial\\hat y = 1$.",
           "The inner piece behaves like the squared error, the outer like $\\delta$ times the absolute error.",
           "Outside the band the slope is $\\delta\\,\\mathrm{sign}(r)$; the two pieces meet at $|r| = \\delta$."),
    solution=r"$\partial L/\partial\hat y = r$ for $|r| \le \delta$ and $\delta\,\mathrm{sign}(r)$ for "
             r"$|r| > \delta$ — equivalently the clipped residual $\max(-\delta, \min(\delta, r))$. The "
             "influence of one example is bounded by $\\delta$, which is what makes Huber robust; "
             "the loss is differentiable at $|r| = \\delta$, where both pieces give $\\pm\\delta$.",
    mistakes=(
        Mistake("Piecewise((yhat - y, Abs(yhat - y) <= delta), (sign(yhat - y), True))",
                "Outside the band the loss is δ·|r| − δ²/2, so its slope is δ·sign(r), not sign(r).",
                "branch"),
    ),
)

ASYMMETRIC = Problem(
    id="grad.asymmetric_abs", session=4, kind="expression", title="Asymmetric costs",
    concepts=("custom-loss-design", "subgradients", "mae"),
    prompt=r"Over-predicting costs $\alpha$ per unit and under-predicting $\beta$: "
           r"$L = \alpha\max(\hat y - y, 0) + \beta\max(y - \hat y, 0)$. Enter a subgradient of $L$ "
           "with respect to $\\hat y$, valid everywhere, in terms of `y`, `yhat`, `alpha`, `beta`.",
    variables=("y", "yhat", "alpha", "beta"),
    domains={"y": "real", "yhat": "real", "alpha": "positive", "beta": "positive"},
    reference=lambda params: D.asymmetric_abs_grad(),
    regions=(ABOVE, BELOW), kinks=(TIE,), swap=("y", "yhat"),
    hints=("At most one of the two max terms is non-zero for a given $\\hat y$.",
           "For $\\hat y > y$ the loss is $\\alpha(\\hat y - y)$; for $\\hat y < y$ it is $\\beta(y - \\hat y)$.",
           "At a tie any value in $[-\\beta, \\alpha]$ is a subgradient."),
    solution=r"$\partial L/\partial\hat y = \alpha$ if $\hat y > y$, $-\beta$ if $\hat y < y$, and any value "
             r"in $[-\beta, \alpha]$ at a tie. With $\alpha \ne \beta$ the minimiser is a quantile of "
             r"$y$ (the $\beta/(\alpha+\beta)$ quantile) instead of the median.",
    mistakes=(
        Mistake("Piecewise((beta, yhat > y), (-alpha, True))", "The weights are exchanged: α is the "
                "cost of over-prediction (ŷ > y)."),
    ),
)

WEIGHTED_BCE = Problem(
    id="grad.weighted_bce_logit", session=4, kind="expression", title="Class-weighted cross-entropy",
    concepts=("custom-loss-design", "nll"),
    prompt=r"Weighted binary cross-entropy from a logit: $L = -[\,\alpha\,y\log\sigma(z) + "
           r"\beta\,(1-y)\log(1-\sigma(z))\,]$ with $y \in \{0, 1\}$, $\alpha, \beta > 0$. Enter "
           r"$\partial L/\partial z$ in terms of `y`, `z`, `alpha`, `beta`.",
    variables=("y", "z", "alpha", "beta"),
    domains={"y": "label01", "z": "real", "alpha": "positive", "beta": "positive"},
    reference=lambda params: D.weighted_bce_logit_grad(), chain=(SIGMA_PRIME,),
    hints=("Use $\\frac{d}{dz}\\log\\sigma(z) = 1 - \\sigma(z)$ and $\\frac{d}{dz}\\log(1 - \\sigma(z)) = -\\sigma(z)$.",
           "Each weight multiplies its own term; nothing else changes.",
           "With $\\alpha = \\beta = 1$ your answer must reduce to $\\sigma(z) - y$."),
    solution=r"$\dfrac{\partial L}{\partial z} = -\alpha\,y\,(1 - \sigma(z)) + \beta\,(1 - y)\,\sigma(z)$. "
             r"For a positive example it is $-\alpha(1-\sigma(z))$: a larger $\alpha$ pushes harder "
             "towards recall on the rare class.",
    mistakes=(
        Mistake("-beta*y*(1 - sigmoid(z)) + alpha*(1 - y)*sigmoid(z)", "The weights are exchanged: "
                "α multiplies the positive (y = 1) term."),
        Mistake("sigmoid(z) - y", "That is the unweighted gradient: keep α and β on their terms."),
    ),
)

LABEL_SMOOTHING = Problem(
    id="grad.label_smoothing_ce", session=4, kind="vector", title="Label smoothing",
    concepts=("custom-loss-design", "nll"),
    prompt=r"Three classes, logits $(z_1, z_2, z_3)$, one-hot $y$, and smoothed targets "
           r"$\tilde y_j = (1 - \varepsilon)\,y_j + \varepsilon/3$ with $0 \le \varepsilon < 1$. For "
           r"$L = -\sum_j \tilde y_j \log \mathrm{softmax}(z)_j$ enter the gradient "
           r"$(\partial L/\partial z_1, \partial L/\partial z_2, \partial L/\partial z_3)$ as a list in "
           "`z1, z2, z3, y1, y2, y3, eps`.",
    variables=("z1", "z2", "z3", "y1", "y2", "y3", "eps"),
    domains={**{f"z{j}": "real" for j in (1, 2, 3)}, **{f"y{j}": "onehot" for j in (1, 2, 3)},
             "eps": "eps"},
    components=("dL/dz1", "dL/dz2", "dL/dz3"),
    reference=lambda params: D.label_smoothing_ce_grad(),
    hints=("The smoothed targets still sum to 1.",
           "For any target distribution $t$, the softmax cross-entropy gradient is $\\hat p - t$.",
           "Component $j$ is $\\hat p_j - ((1-\\varepsilon) y_j + \\varepsilon/3)$."),
    solution=r"Because $\sum_j \tilde y_j = 1$, $\partial L/\partial z_j = \hat p_j - \tilde y_j = "
             r"\hat p_j - (1-\varepsilon)y_j - \varepsilon/3$. The target is never exactly 0 or 1, so "
             "the logits are not pushed towards infinity.",
    mistakes=(
        Mistake(lambda p: D.softmax_ce_grad(), "That is the gradient for the one-hot target: use the "
                "smoothed target ỹ."),
        Mistake(lambda p: [D.softmax(j) - ((1 - D.eps) * D.YS[j] + D.eps / 2) for j in range(3)],
                "The smoothing mass ε is spread over K = 3 classes: ε/3 each."),
    ),
)

L2_OBJECTIVE = Problem(
    id="grad.l2_objective", session=4, kind="expression", title="A regularized objective",
    concepts=("regularization", "erm", "mse"),
    prompt=r"For one example and the model $\hat y = w x$, the objective is "
           r"$J(w) = \tfrac12(w x - y)^2 + \tfrac{\lambda}{2} w^2$ with $\lambda \ge 0$. Enter "
           r"$dJ/dw$ in terms of `w`, `x`, `y`, `lam`.",
    variables=("w", "x", "y", "lam"),
    domains={"w": "real", "x": "real", "y": "real", "lam": "nonneg"},
    reference=lambda params: D.l2_objective_grad(),
    hints=("Differentiate the data term and the penalty separately and add.",
           "Chain rule on the data term: the inner function $w x - y$ has derivative $x$.",
           "The penalty contributes $\\lambda w$."),
    solution=r"$\dfrac{dJ}{dw} = (w x - y)\,x + \lambda w$. The penalty pulls $w$ towards 0 in "
             "proportion to its size (weight decay).",
    mistakes=(
        Mistake("(w*x - y) + lam*w", "A chain-rule factor is missing: the derivative of w·x − y with "
                "respect to w is x.", "chain-rule"),
        Mistake("(w*x - y)*x", "The penalty's gradient λw is missing."),
        Mistake("(w*x - y)*x + lam*w/2", "d/dw of (λ/2)w² is λw: the 2 from the square cancels the ½.",
                "factor"),
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

PROBLEMS = [HUBER, ASYMMETRIC, WEIGHTED_BCE, LABEL_SMOOTHING, L2_OBJECTIVE, ROBUST_CHOICE]
EXERCISES = ["grad.huber", "grad.asymmetric_abs", "grad.weighted_bce_logit", "grad.label_smoothing_ce",
             "grad.l2_objective", "choice.robustness"]

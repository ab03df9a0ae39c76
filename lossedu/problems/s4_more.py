"""Session 4 additions: label smoothing optimum, undoing class weights, imbalance, priors.

Imported by :mod:`lossedu.problems.s4`, which appends ``PROBLEMS`` and ``EXERCISES``."""
from __future__ import annotations

import numpy as np

from lossedu.spec import VALUE_TOL, Mistake, Option, Problem


# ============================================================================ imbalance, smoothing optimum, priors
def _smooth_opt(params: dict) -> dict:
    """Optimum (1 − ε)η + ε/K of label-smoothed cross-entropy, K = 3, and the minimum loss H(ỹ) of a one-hot target."""
    eta, eps = np.array(params["eta"], dtype=float), params["eps"]
    opt = (1 - eps) * eta + eps / 3
    return {"opt": opt, "o1": opt[0], "o2": opt[1], "o3": opt[2],
            "no_uniform": (1 - eps) * eta, "eta_only": eta, "k_minus_1": (1 - eps) * eta + eps / 2,
            "e1": eta[0], "e2": eta[1], "e3": eta[2]}


SMOOTHING_OPTIMUM = Problem(
    id="example.label_smoothing_optimum", session=4, kind="value", title="Where label smoothing sends p̂",
    concepts=("custom-loss-design", "nll"),
    prompt=r"Three classes. At some input $x$ the true class probabilities are $\eta = ({{e1}}, {{e2}}, {{e3}})$. "
           r"A model is trained with cross-entropy against smoothed targets $\tilde y = (1 - \varepsilon) y "
           r"+ \varepsilon/3$ with $\varepsilon = {{eps}}$. Which prediction $\hat p$ minimises the expected "
           r"loss at $x$? Answer with the three probabilities.",
    canonical={"eta": [0.7, 0.2, 0.1], "eps": 0.1},
    sampler=lambda rng: {"eta": [float(v) for v in rng.permutation([0.6, 0.3, 0.1])],
                         "eps": float(rng.choice([0.1, 0.2, 0.3]))},
    derive=_smooth_opt, reference=lambda params: _smooth_opt(params)["opt"], tolerance=VALUE_TOL,
    hints=("Average the smoothed target over y ~ η: the expected loss is cross-entropy against that average.",
           "Cross-entropy against a distribution t is smallest at p̂ = t (H + KL).",
           "The average target mixes η with the uniform distribution (1/3, 1/3, 1/3)."),
    solution=r"The expected loss is cross-entropy against $\mathbb E[\tilde y] = (1 - \varepsilon)\eta + "
             r"\varepsilon/3$, minimised at $\hat p$ = ({{o1:.4f}}, {{o2:.4f}}, {{o3:.4f}}): pulled toward "
             r"uniform, so a smoothed model is deliberately under-confident, and its minimum loss is the "
             r"entropy of that target, not 0.",
    mistakes=(
        Mistake(lambda p: _smooth_opt(p)["no_uniform"], "These do not sum to 1: the smoothed target also "
                "puts ε/K on every class.", "factor"),
        Mistake(lambda p: _smooth_opt(p)["eta_only"], "That would be the optimum of plain cross-entropy; "
                "smoothing changes the target and so the optimum.", "quantity"),
        Mistake(lambda p: _smooth_opt(p)["k_minus_1"], "Label smoothing spreads ε over all K classes "
                "(ε/K each), not over the K − 1 others.", "factor"),
    ),
)


def _reweight(params: dict) -> dict:
    a, b, pw = params["alpha"], params["beta"], params["pw"]
    eta = b * pw / (b * pw + a * (1 - pw))
    return {"values": np.array([np.log(a / b), eta]), "shift": np.log(a / b), "eta": eta,
            "raw": np.array([np.log(a / b), pw]),
            "swapped": np.array([np.log(b / a), a * pw / (a * pw + b * (1 - pw))]),
            "ratio": np.array([a / b, eta])}


REWEIGHT_BACK = Problem(
    id="example.reweighted_probability", session=4, kind="value", title="Undoing class weights",
    concepts=("custom-loss-design", "nll"),
    prompt=r"A logistic model with an intercept is trained with weighted cross-entropy "
           r"$-[\alpha y\log\hat p + \beta(1 - y)\log(1 - \hat p)]$, $\alpha = {{alpha}}$, $\beta = {{beta}}$. "
           r"(1) By how much does the weighting shift the intercept $b$, compared with plain cross-entropy, "
           r"if the model is well specified? (2) The weighted model outputs $\hat p_w = {{pw}}$ for some $x$; "
           r"what is the estimate of $P(y = 1 \mid x)$? Two numbers.",
    canonical={"alpha": 9.0, "beta": 1.0, "pw": 0.5},
    sampler=lambda rng: {"alpha": float(rng.choice([3.0, 4.0, 9.0])), "beta": 1.0,
                         "pw": float(rng.choice([0.3, 0.5, 0.8]))},
    derive=_reweight, reference=lambda params: _reweight(params)["values"], tolerance=VALUE_TOL,
    hints=("The weighted optimum is p* = αη / (αη + β(1 − η)).",
           "Write p* as σ of a logit: the weights add a constant to log(η/(1 − η)).",
           "Invert p* = αη / (αη + β(1 − η)) for η."),
    solution=r"(1) $\mathrm{logit}\,p^* = \mathrm{logit}\,\eta + \log(\alpha/\beta)$, so $b$ shifts by "
             r"$\log(\alpha/\beta)$ = {{shift:.4f}}. (2) $\eta = \beta\hat p_w / (\beta\hat p_w + \alpha(1 - \hat p_w))$ "
             r"= {{eta:.4f}}. The weighted output is not a probability until it is mapped back.",
    mistakes=(
        Mistake(lambda p: _reweight(p)["raw"], "A weighted model's output is shifted towards the up-weighted "
                "class: it has to be mapped back before it can be read as a probability.", "quantity"),
        Mistake(lambda p: _reweight(p)["swapped"], "α and β are exchanged: up-weighting positives raises the "
                "intercept, and the mapping back must lower the probability.", "swap"),
        Mistake(lambda p: _reweight(p)["ratio"], "The shift is on the logit scale: take the log of the weight "
                "ratio.", "quantity"),
    ),
)

IMBALANCE = Problem(
    id="choice.imbalance", session=4, kind="choice", title="Rare positives",
    concepts=("custom-loss-design", "nll", "metric-gap"),
    prompt="Fraud is 1 % of the transactions. A logistic model trained with plain cross-entropy flags almost "
           "nothing at the threshold p̂ > 0.5, and its accuracy is 99 %. A missed fraud costs 20 times a false "
           "alarm. What is the most direct fix?\n\n"
           "- **a**: replace cross-entropy, which is biased towards the majority class, by another loss\n"
           "- **b**: keep the model, whose p̂ estimates P(fraud | x), and flag when p̂ > 1/21\n"
           "- **c**: report accuracy on a balanced test set instead\n"
           "- **d**: train longer, until the model flags more transactions",
    options=(
        Option("a", "another loss", False, "Cross-entropy is strictly proper: its minimiser is the true "
               "probability whatever the class balance, so the loss is not what is biased."),
        Option("b", "move the threshold", True, "A calibrated p̂ plus the cost ratio gives the decision: "
               "flag when 20·p̂ > 1·(1 − p̂), i.e. p̂ > 1/21. Reweighting (α = 20) or resampling would move the "
               "same threshold through the training instead."),
        Option("c", "balanced accuracy", False, "A different metric changes the report, not the decisions: "
               "the costs decide where to cut p̂."),
        Option("d", "train longer", False, "The fit already estimates small probabilities for rare events; "
               "longer training does not change where the decision is made."),
    ),
    hints=("Is the trouble in the probabilities or in the rule that turns them into decisions?",
           "Compare the expected cost of flagging, (1 − p̂)·1, with that of not flagging, p̂·20."),
    solution="**b**. Cross-entropy is a strictly proper scoring rule, so with imbalance it still estimates "
             "P(y = 1 | x); the default threshold 0.5 and accuracy are what ignore the costs. Flag when "
             "p̂ > 1/21 ≈ 0.048. Reweighting the loss by α/β = 20 or repeating positives moves the fitted "
             "threshold the same way, at the price of a p̂ that must be mapped back to a probability.",
)

MAP_PRIOR = Problem(
    id="choice.map_prior", session=4, kind="choice", title="Penalties as priors",
    concepts=("regularization", "nll"),
    prompt="Training minimises (1/n)·(negative log-likelihood) + a penalty on w. Read as MAP estimation, which "
           "prior on each weight gives which penalty?\n\n"
           "- **a**: Gaussian prior → L2 penalty (λ/2)‖w‖²; Laplace prior → L1 penalty λ‖w‖₁\n"
           "- **b**: Gaussian prior → L1; Laplace prior → L2\n"
           "- **c**: uniform prior → L2; Gaussian prior → L1\n"
           "- **d**: a penalty has no probabilistic reading",
    options=(
        Option("a", "Gaussian → L2, Laplace → L1", True, "−log of a Gaussian density is quadratic in w, −log of "
               "a Laplace density is |w| up to constants; a narrower prior is a larger λ."),
        Option("b", "Gaussian → L1, Laplace → L2", False, "Take −log of each density: exp(−w²/(2τ²)) gives a "
               "square, exp(−|w|/s) an absolute value."),
        Option("c", "uniform → L2", False, "A flat prior adds a constant: MAP is then plain maximum likelihood, "
               "with no penalty."),
        Option("d", "no reading", False, "The posterior is likelihood × prior, so −log posterior is the loss plus "
               "−log prior: the penalty is the prior."),
    ),
    mistakes=(Mistake("b", "Take −log of each density: exp(−w²/(2τ²)) gives a square, exp(−|w|/s) an "
                      "absolute value.", "swap"),),
    hints=("Write −log p(w) for each prior.", "Which density has a quadratic exponent?"),
    solution="**a**. −log N(w; 0, τ²) = w²/(2τ²) + const (L2, λ = 1/(nτ²) with a mean loss); −log Laplace(w; 0, s) "
             "= |w|/s + const (L1, λ = 1/(ns)). The Laplace prior's sharp peak at 0 is why L1 gives exact zeros.",
)

PROBLEMS = [SMOOTHING_OPTIMUM, REWEIGHT_BACK, IMBALANCE, MAP_PRIOR]
EXERCISES = ["example.label_smoothing_optimum", "example.reweighted_probability", "choice.imbalance",
              "choice.map_prior"]

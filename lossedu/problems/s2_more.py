"""Session 2 additions: entropy + KL, heteroscedastic NLL, separable data.

Imported by :mod:`lossedu.problems.s2`, which appends ``PROBLEMS`` and ``EXERCISES``."""
from __future__ import annotations

import numpy as np

from lossedu.spec import VALUE_TOL, Mistake, Option, Problem


# ============================================================================ NLL assumptions, entropy + KL
def _entropy_kl(params: dict) -> dict:
    """H(p), KL(p||q) and the cross-entropy H(p, q) (natural logs) of a soft target p and q = softmax(z)."""
    p = np.array(params["p"], dtype=float)
    z = np.array(params["z"], dtype=float)
    q = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    h = -np.sum(p * np.log(p))
    kl = np.sum(p * np.log(p / q))
    return {"q1": q[0], "q2": q[1], "q3": q[2], "H": h, "KL": kl, "CE": h + kl,
            "values": np.array([h, kl, h + kl]),
            "reversed": np.array([h, np.sum(q * np.log(q / p)), h + np.sum(q * np.log(q / p))]),
            "bits": np.array([h, kl, h + kl]) / np.log(2),
            "entropy_of_q": np.array([-np.sum(q * np.log(q)), kl, -np.sum(q * np.log(q)) + kl])}


def _entropy_kl_sampler(rng: np.random.Generator) -> dict:
    top = float(rng.choice([0.6, 0.7, 0.8]))
    rest = round(1 - top, 2)
    second = float(rng.choice([0.1, 0.05])) if rest > 0.15 else 0.05
    p = [top, round(rest - second, 2), second]
    z = [float(v) for v in rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0, 1.5], size=3, replace=False)]
    return {"p": p, "z": z}


ENTROPY_KL = Problem(
    id="example.ce_entropy_kl", session=2, kind="value", title="Cross-entropy = entropy + KL",
    concepts=("nll", "loss-function"),
    prompt=r"A soft target $p = ({{p1}}, {{p2}}, {{p3}})$ over three classes and logits "
           r"$z = ({{z1}}, {{z2}}, {{z3}})$, so the prediction is $q = \mathrm{softmax}(z)$. With natural "
           r"logarithms, compute the entropy $H(p) = -\sum_j p_j \log p_j$, the divergence "
           r"$\mathrm{KL}(p\,\|\,q) = \sum_j p_j \log(p_j/q_j)$ and the cross-entropy "
           r"$H(p, q) = -\sum_j p_j \log q_j$. Answer with the three numbers in that order.",
    canonical={"p": [0.8, 0.1, 0.1], "z": [1.0, 0.5, -0.5]}, sampler=_entropy_kl_sampler,
    derive=lambda params: {**_entropy_kl(params), "p1": params["p"][0], "p2": params["p"][1], "p3": params["p"][2],
                           "z1": params["z"][0], "z2": params["z"][1], "z3": params["z"][2]},
    reference=lambda params: _entropy_kl(params)["values"], tolerance=VALUE_TOL,
    hints=("Compute $q = \\mathrm{softmax}(z)$ first; subtract $\\max_j z_j$ before exponentiating.",
           "The three numbers are linked: the third is the sum of the first two.",
           "Here $q \\approx$ ({{q1:.4f}}, {{q2:.4f}}, {{q3:.4f}})."),
    solution=r"$q$ = ({{q1:.4f}}, {{q2:.4f}}, {{q3:.4f}}). $H(p)$ = {{H:.4f}}, $\mathrm{KL}(p\|q)$ = {{KL:.4f}}, "
             r"$H(p, q)$ = {{CE:.4f}} = $H(p) + \mathrm{KL}(p\|q)$. Only the KL term depends on the model, so "
             r"minimising cross-entropy drives $q$ to $p$, and the smallest possible cross-entropy is "
             r"$H(p) > 0$ for a soft target.",
    mistakes=(
        Mistake(lambda p: _entropy_kl(p)["reversed"], "KL is not symmetric: KL(p‖q) weights the log-ratio "
                "by the target p, not by the prediction q.", "swap"),
        Mistake(lambda p: _entropy_kl(p)["bits"], "Those are bits (log base 2). The course uses natural "
                "logarithms throughout: losses are in nats.", "quantity"),
        Mistake(lambda p: _entropy_kl(p)["entropy_of_q"], "The entropy term belongs to the target p: "
                "H(p) = −Σ p log p does not depend on the model.", "swap"),
    ),
)


def _het(params: dict) -> dict:
    """Heteroscedastic Gaussian NLL (y − μ)²/(2e^{2s}) + s + ½ log 2π and its two derivatives."""
    y, mu, s = params["y"], params["mu"], params["s"]
    r2 = (y - mu) ** 2
    v = np.exp(2 * s)
    nll = r2 / (2 * v) + s + 0.5 * np.log(2 * np.pi)
    return {"nll": nll, "dmu": (mu - y) / v, "ds": 1 - r2 / v, "v": v, "r2": r2, "values": np.array([nll, (mu - y) / v, 1 - r2 / v]),
            "no_s": np.array([r2 / (2 * v) + 0.5 * np.log(2 * np.pi), (mu - y) / v, -r2 / v]),
            "sigma_not_var": np.array([r2 / (2 * np.exp(s)) + s + 0.5 * np.log(2 * np.pi), (mu - y) / np.exp(s),
                                       1 - r2 / (2 * np.exp(s))]),
            "sign": np.array([nll, (y - mu) / v, 1 - r2 / v])}


def _het_sampler(rng: np.random.Generator) -> dict:
    return {"y": float(rng.choice([1.0, 2.0, 3.0])), "mu": float(rng.choice([0.5, 1.5, 2.5, 4.0])),
            "s": float(rng.choice([-0.5, 0.5, 1.0]))}


HETEROSCEDASTIC = Problem(
    id="example.heteroscedastic_nll", session=2, kind="value", title="A loss that predicts its own noise",
    concepts=("nll", "custom-loss-design"),
    prompt=r"A regression model predicts a mean $\mu$ and a log standard deviation $s = \log\sigma$ and is "
           r"trained with the Gaussian negative log-likelihood "
           r"$L(y; \mu, s) = (y - \mu)^2 / (2 e^{2s}) + s + \tfrac12\log 2\pi$ (natural logs). For "
           r"$y = {{y}}$, $\mu = {{mu}}$ and $s = {{s}}$ compute $L$, $\partial L/\partial\mu$ and "
           r"$\partial L/\partial s$ (three numbers, in that order).",
    canonical={"y": 2.0, "mu": 0.5, "s": 0.5}, sampler=_het_sampler, derive=_het,
    reference=lambda params: _het(params)["values"], tolerance=VALUE_TOL,
    hints=("$e^{2s} = \\sigma^2$ is the variance.",
           "Differentiate $(y - \\mu)^2 e^{-2s}/2$ with respect to $s$: the exponent brings down a factor $-2$.",
           "Here $e^{2s}$ = {{v:.4f}} and $(y - \\mu)^2$ = {{r2:.4f}}."),
    solution=r"$L$ = {{nll:.4f}}, $\partial L/\partial\mu = (\mu - y)/e^{2s}$ = {{dmu:.4f}}, "
             r"$\partial L/\partial s = 1 - (y - \mu)^2/e^{2s}$ = {{ds:.4f}}. The $s$-gradient is 0 when "
             r"$\sigma = |y - \mu|$: the model can explain a large residual by a large $\sigma$, at a price "
             r"of $s$ in the loss. With $\sigma$ fixed and shared this is MSE up to scale and a constant.",
    mistakes=(
        Mistake(lambda p: _het(p)["no_s"], "The + s term (log σ, from the normalising constant of the "
                "Gaussian) is part of the loss: without it, growing σ would make every loss vanish.", "quantity"),
        Mistake(lambda p: _het(p)["sigma_not_var"], "The residual is divided by the variance σ² = e^{2s}, "
                "not by σ = e^{s}.", "factor"),
        Mistake(lambda p: _het(p)["sign"], "Check the sign of ∂L/∂μ: raising μ towards y must lower the "
                "loss when μ < y.", "sign"),
    ),
)

SEPARABLE = Problem(
    id="choice.separable_logistic", session=2, kind="choice", title="Separable data and logistic regression",
    concepts=("nll", "regularization", "erm"),
    prompt="Logistic regression (cross-entropy from logits, no penalty) is fitted by gradient descent on "
           "training data that a line separates perfectly. The training accuracy reaches 1.0. What does "
           "longer training do?\n\n"
           "- **a**: it converges to the unique maximum-likelihood weights, a finite w\n"
           "- **b**: the loss keeps falling towards 0 and ‖w‖ grows without bound; there is no finite "
           "optimum, and an L2 penalty (λ/2)‖w‖² restores one\n"
           "- **c**: the loss becomes exactly 0 after finitely many steps and w stops changing\n"
           "- **d**: the gradient becomes exactly 0 once every point is classified correctly",
    options=(
        Option("a", "finite optimum", False, "Scale w up by 2: every margin doubles and every loss term "
               "shrinks, so no finite w can be the minimiser on separable data."),
        Option("b", "no finite optimum", True, "On separable data scaling w up lowers every term of the "
               "loss, so the infimum 0 is reached only as ‖w‖ → ∞; the penalty makes large w expensive "
               "and gives a unique finite minimiser."),
        Option("c", "exactly 0", False, "log(1 + e^(−m)) is positive for every finite margin m, so the "
               "loss never reaches 0 in finitely many steps."),
        Option("d", "zero gradient", False, "The cross-entropy gradient σ(z) − y is small but never 0 for "
               "a finite logit: correct points keep pulling, just weakly."),
    ),
    hints=("What happens to each loss term log(1 + e^(−m)) when every margin is doubled?",
           "Can any finite w then be a minimiser?"),
    solution="**b**. With all margins positive, replacing w by c·w (c > 1) lowers every loss term, so the "
             "cross-entropy has no minimiser: it approaches 0 as ‖w‖ → ∞, and gradient descent keeps "
             "growing ‖w‖ ever more slowly. Adding (λ/2)‖w‖² (usually without the bias) makes the objective "
             "strictly convex with a finite minimiser; early stopping is the other common remedy.",
)

PROBLEMS = [ENTROPY_KL, HETEROSCEDASTIC, SEPARABLE]
EXERCISES = ["example.ce_entropy_kl", "example.heteroscedastic_nll", "choice.separable_logistic"]

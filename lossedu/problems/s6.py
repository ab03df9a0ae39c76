"""Session 6 — capstone: design, derive, train and defend a loss.

The design task is three problems on one scenario (``scenario="cap.design"``: a learner sees the
same numbers and training set in all three): the cost threshold (a value), the designed loss
and its gradient (a pair of functions), and the trained classifier (a function scored on a
hidden test set). See :mod:`lossedu.checking.design` for how the last two are judged and
:mod:`lossedu.checking.scenario` for the data generator and its exact posterior.
"""
from __future__ import annotations

import numpy as np

from lossedu.checking import design, scenario
from lossedu.checking.symbolic import parse
from lossedu.spec import VALUE_TOL, Mistake, Option, Problem

TITLE = "Capstone: design, derive, train and defend a loss"
SCENARIO = "cap.design"
#: The canonical scenario (no learner id): a fixed draw, so worked examples stay true.
CANONICAL = scenario.sample(np.random.default_rng(2024))


# ---------------------------------------------------------------------------- the Bayes log-odds
def _logodds_numbers(p: dict) -> dict:
    s2 = p["s"] ** 2
    return {"slope": (p["m1"] - p["m0"]) / s2, "const": (p["m0"] ** 2 - p["m1"] ** 2) / (2 * s2),
            "prior": float(np.log(p["pi"] / (1 - p["pi"])))}


def _logodds_expr(p: dict, prior: bool = True, const_sign: float = 1.0):
    n = _logodds_numbers(p)
    return parse(f"{n['slope']!r}*x + {const_sign * n['const']!r}" + (f" + {n['prior']!r}" if prior else ""), ("x",))


def _logodds_sampler(rng: np.random.Generator) -> dict:
    m0 = float(rng.choice([0.0, 1.0]))  # m0^2 != m1^2, so the constant term is never 0
    return {"m0": m0, "m1": m0 + float(rng.choice([1.0, 2.0, 3.0])), "s": float(rng.choice([1.0, 2.0])),
            "pi": float(rng.choice([0.1, 0.2, 0.25, 0.4]))}


BAYES_LOGODDS = Problem(
    id="cap.bayes_logodds", session=6, kind="expression", title="Why the posterior is exactly logistic",
    concepts=("nll", "expected-risk"),
    prompt=r"One feature $x$; class 1 has prior $\pi = {{pi}}$ and $x \mid y{=}1 \sim \mathcal N({{m1}}, "
           r"{{s}}^2)$, class 0 has $x \mid y{=}0 \sim \mathcal N({{m0}}, {{s}}^2)$ (the same variance). "
           r"Enter the log-odds $\log \dfrac{P(y=1\mid x)}{P(y=0\mid x)}$ as an expression in `x`.",
    variables=("x",), domains={"x": "real"},
    reference=_logodds_expr, canonical={"m0": 0.0, "m1": 2.0, "s": 1.0, "pi": 0.25}, sampler=_logodds_sampler,
    derive=_logodds_numbers,
    hints=("Bayes: the log-odds is $\\log\\frac{\\pi\\, p(x\\mid 1)}{(1-\\pi)\\, p(x\\mid 0)}$; the "
           "normalising constants of the two densities are equal and cancel.",
           "Subtract the two exponents $-\\frac{(x-\\mu)^2}{2s^2}$: the $x^2$ terms cancel, so what is left "
           "is linear in $x$.",
           "Do not forget the prior term $\\log\\frac{\\pi}{1-\\pi}$."),
    solution=r"$\log\frac{\pi}{1-\pi} - \frac{(x-\mu_1)^2 - (x-\mu_0)^2}{2s^2} = \frac{\mu_1-\mu_0}{s^2}x + "
             r"\frac{\mu_0^2-\mu_1^2}{2s^2} + \log\frac{\pi}{1-\pi} = {{slope:g}}\,x + ({{const:g}}) + "
             r"({{prior:.4f}})$. Linear in $x$, so $P(y=1\mid x) = \sigma(\text{linear})$: with a shared "
             "variance (covariance, in several dimensions) the posterior is *exactly* logistic, and "
             "logistic regression is the right model.",
    mistakes=(
        Mistake(lambda p: _logodds_expr(p, prior=False), "Close: the class prior is missing. Bayes' rule "
                "multiplies each density by its prior, which adds log(π/(1 − π)) to the log-odds.", "quantity"),
        Mistake(lambda p: _logodds_expr(p, const_sign=-1.0), "The constant term has the wrong sign: expand "
                "(x − μ₁)² − (x − μ₀)² carefully.", "sign"),
    ),
)

# ---------------------------------------------------------------------------- the design scenario
_SCENARIO_TEXT = (
    r"**Your scenario.** Two features; the recorded label is positive for about "
    r"{{pos_share:.0%}} of the {{n_train}} training examples `X` (shape ({{n_train}}, 2)) and `y` (0/1) in "
    r"`params`, and **{{rho_pct:.1f}} % of all labels were flipped at random** (noise). Deciding 1 for "
    r"a recorded 0 costs $c_{FP} = {{c_fp:g}}$; deciding 0 for a recorded 1 costs $c_{FN} = {{c_fn:g}}$. "
    r"Costs are charged on the labels as recorded, so the probability that matters is "
    r"$\eta(x) = P(y{=}1 \mid x)$ of the recorded labels.")


def _scenario_numbers(p: dict) -> dict:
    p_star = scenario.cost_threshold(p)
    return {"p_star": p_star, "rho_pct": 100 * p["rho"], "pos_share": float(np.mean(p["y"])),
            "clean_threshold": (p_star - p["rho"]) / (1 - 2 * p["rho"]),
            "full_margin": f"{design.BAYES_MARGIN:.0%}", "beat_margin": f"{design.BEAT_MARGIN:.0%}",
            "n_test": design.N_TEST}


THRESHOLD = Problem(
    id="cap.design_threshold", session=6, kind="value", title="Design task (1): the threshold the costs ask for",
    concepts=("custom-loss-design", "metric-gap"),
    prompt=_SCENARIO_TEXT + "\n\nA model gives a calibrated estimate $q(x)$ of $\\eta(x)$, and you predict 1 when "
           "$q(x) > t$. Which $t$ minimises the expected cost? Enter a number.",
    reference=scenario.cost_threshold, canonical=CANONICAL, sampler=scenario.sample, scenario=SCENARIO,
    derive=_scenario_numbers, tolerance=VALUE_TOL,
    hints=("At one $x$, deciding 1 costs $c_{FP}(1-\\eta)$ on average and deciding 0 costs $c_{FN}\\,\\eta$.",
           "Predict 1 exactly when $c_{FP}(1-\\eta) < c_{FN}\\,\\eta$; solve for $\\eta$.",),
    solution=r"Predict 1 when $c_{FP}(1-\eta) < c_{FN}\eta$, i.e. $\eta > t^* = c_{FP} / (c_{FP} + c_{FN}) = "
             r"{{p_star:.4f}}$. This holds for a probability of the labels as recorded; a model of the "
             r"clean labels would be thresholded at $(t^* - \rho)/(1-2\rho) = {{clean_threshold:.4f}}$ instead.",
    mistakes=(
        Mistake(lambda p: p["c_fn"] / (p["c_fp"] + p["c_fn"]), "The costs are swapped: a missed positive "
                "is the expensive mistake here, so the threshold must make positives easier to predict.", "swap"),
        Mistake(lambda p: 0.5, "1/2 is the threshold for equal costs; here the two mistakes cost different amounts.", "concept"),
        Mistake(lambda p: p["c_fp"] / p["c_fn"], "That is a ratio of costs, i.e. odds; the threshold is a probability.", "quantity"),
        Mistake(lambda p: _scenario_numbers(p)["clean_threshold"], "That threshold is for the clean-label "
                "probability; the costs are charged on the labels as recorded, noise included.", "quantity"),
    ),
)


def _weighted_sampler(rng: np.random.Generator) -> dict:
    params = scenario.sample(rng)
    return {**params, "alpha": float(rng.choice([2.0, 3.0, 4.0])), "beta": 1.0}


def _weighted_threshold(p: dict) -> float:
    return p["alpha"] * p["c_fp"] / (p["alpha"] * p["c_fp"] + p["beta"] * p["c_fn"])


WEIGHTED_THRESHOLD = Problem(
    id="cap.weighted_threshold", session=6, kind="value", title="Adjusting the threshold for a weighted loss",
    concepts=("custom-loss-design",),
    prompt=_SCENARIO_TEXT + "\n\nA colleague trains cross-entropy with weight $\\alpha = {{alpha:g}}$ on "
           "positives and $\\beta = {{beta:g}}$ on negatives. At its optimum the model's probability $q$ "
           "satisfies $\\frac{q}{1-q} = \\frac{\\alpha}{\\beta}\\cdot\\frac{\\eta}{1-\\eta}$. Above which $q$ "
           "should this model predict 1 to minimise the expected cost? Enter a number.",
    reference=_weighted_threshold, canonical={**CANONICAL, "alpha": 3.0, "beta": 1.0}, sampler=_weighted_sampler,
    scenario=SCENARIO, derive=_scenario_numbers, tolerance=VALUE_TOL,
    hints=("First find the threshold on $\\eta$ itself.", "Map it through $q/(1-q) = (\\alpha/\\beta)\\,\\eta/(1-\\eta)$: "
           "thresholds move with the odds."),
    solution=r"On $\eta$ the threshold is $t^* = c_{FP}/(c_{FP}+c_{FN})$, odds $c_{FP}/c_{FN}$. The weights multiply "
             r"the odds by $\alpha/\beta$, so on $q$ the threshold odds are $\alpha c_{FP}/(\beta c_{FN})$ and "
             r"$q^* = \alpha c_{FP} / (\alpha c_{FP} + \beta c_{FN})$. With $\alpha/\beta = c_{FN}/c_{FP}$ "
             r"it is exactly 1/2: weighting by the costs moves the threshold into the loss.",
    mistakes=(
        Mistake(scenario.cost_threshold, "That is the threshold for a calibrated model; the weights made this "
                "model's probabilities larger, so the threshold moves too.", "factor"),
        Mistake(lambda p: p["beta"] * p["c_fp"] / (p["beta"] * p["c_fp"] + p["alpha"] * p["c_fn"]),
                "The adjustment goes the wrong way: weighting positives more raises q, so the threshold rises.", "swap"),
        Mistake(lambda p: 0.5, "1/2 is right only when α/β equals c_FN/c_FP.", "concept"),
    ),
)


# ---------------------------------------------------------------------------- the designed loss
def _noise_aware_pair(p: dict):
    """The sample solution: the likelihood of the recorded labels, q = rho + (1 - 2 rho) sigma(z)."""
    rho = p["rho"]

    def loss(y, z):
        log_q = np.log(rho + (1 - 2 * rho) * np.exp(-np.logaddexp(0.0, -z)))
        log_not_q = np.log(rho + (1 - 2 * rho) * np.exp(-np.logaddexp(0.0, z)))
        return -(y * log_q + (1 - y) * log_not_q)

    def grad(y, z):
        s, s_neg = np.exp(-np.logaddexp(0.0, -z)), np.exp(-np.logaddexp(0.0, z))
        q, not_q = rho + (1 - 2 * rho) * s, rho + (1 - 2 * rho) * s_neg
        return -(y / q - (1 - y) / not_q) * (1 - 2 * rho) * s * s_neg

    return loss, grad


DESIGN_LOSS = Problem(
    id="cap.design_loss", session=6, kind="function", title="Design task (2): your loss and its gradient",
    concepts=("custom-loss-design", "robustness", "differentiability"), points=2.0,
    prompt=_SCENARIO_TEXT + "\n\nDesign a loss for a linear model's logit $z$ that suits this scenario "
           "(the noise, the imbalance, the costs: your choice how) and write it as two functions of arrays "
           "`y` (0/1, shape (n,)) and `z` (shape (n,)): `my_loss(y, z)`, the per-example loss, and "
           "`my_grad(y, z)`, its derivative $\\partial L/\\partial z$, both of shape (n,). Use NumPy only. "
           "Check them as one pair, `check((my_loss, my_grad))`. The checker compares `my_grad` with finite "
           "differences of *your* `my_loss` (at moderate logits and in the tails), checks that the loss "
           "pushes every logit toward its label, and calls both at logits of ±40 and ±800, where they must "
           "stay finite and warning-free.",
    signature="a pair (loss_fn, grad_fn): loss_fn(y, z) -> array (n,), grad_fn(y, z) -> array (n,)",
    reference=_noise_aware_pair, canonical=CANONICAL, sampler=scenario.sample, scenario=SCENARIO,
    derive=_scenario_numbers, inputs=design.loss_inputs, outputs_judge=design.judge_loss_outputs,
    hints=("A loss that knows about the noise: if the clean probability is $\\sigma(z)$, the recorded label "
           "is 1 with probability $q = \\rho + (1-2\\rho)\\sigma(z)$. Its negative log-likelihood is a loss.",
           "Chain rule: $\\partial q/\\partial z = (1-2\\rho)\\,\\sigma(z)\\,\\sigma(-z)$.",
           "Stability: compute $\\sigma(z)$ as `np.exp(-np.logaddexp(0, -z))` and $1 - q$ as "
           "$\\rho + (1-2\\rho)\\sigma(-z)$, never as a difference."),
    solution=r"One good design is the likelihood of the *recorded* labels: $q = \rho + (1-2\rho)\sigma(z)$, "
             r"$L = -[y\log q + (1-y)\log(1-q)]$, $\partial L/\partial z = -\big(\frac{y}{q} - "
             r"\frac{1-y}{1-q}\big)(1-2\rho)\sigma(z)\sigma(-z)$. A flipped label can cost at most "
             r"$-\log\rho$, so the noisy points cannot drag the boundary; $q$ estimates $\eta$, so the cost "
             "threshold applies to it directly. Weighted cross-entropy (weights $c_{FN}$, $c_{FP}$) is "
             "another sound choice, with its own threshold.",
)


# ---------------------------------------------------------------------------- the trained classifier
CLASSIFIER = Problem(
    id="cap.design_classifier", session=6, kind="function", title="Design task (3): train and hand in a classifier",
    concepts=("custom-loss-design", "metric-gap", "erm"), points=3.0,
    prompt=_SCENARIO_TEXT + "\n\nTrain a linear model $z = w \\cdot x + b$ on `params['X']`, `params['y']` "
           "with your loss (the course's loops in `lossedu.risk` or your own gradient descent), choose a "
           "threshold from the costs, and hand in `predict(X)`: for `X` of shape (n, 2) it returns 0/1 "
           "decisions, shape (n,) (NumPy only). `check(predict)` scores it on {{n_test}} fresh points you "
           "never see, by expected cost: **full credit** within {{full_margin}} of the best possible "
           "(Bayes) cost, **half credit** at least {{beat_margin}} below plain cross-entropy thresholded "
           "at 1/2.",
    signature="predict(X) -> array (n,) of 0/1 decisions",
    reference=lambda p: (lambda X: scenario.bayes_decisions(p, X)), canonical=CANONICAL,
    sampler=scenario.sample, scenario=SCENARIO, derive=_scenario_numbers,
    inputs=design.classifier_inputs, outputs_judge=design.judge_classifier_outputs,
    hints=("Plain cross-entropy thresholded at 1/2 ignores the costs: the threshold question of this task "
           "tells you where to cut a calibrated probability.",
           "With {{rho_pct:.1f}} % flipped labels, cross-entropy's $\\sigma(z)$ is squeezed toward the middle; "
           "a loss that models the noise gives probabilities you can threshold as they are.",
           "Train with gradient descent on the mean of your loss (a small L2 penalty helps), then predict 1 "
           "where your model's probability of a recorded 1 exceeds $c_{FP}/(c_{FP}+c_{FN})$."),
    solution=r"With the noise-aware loss, $q(x) = \rho + (1-2\rho)\sigma(w\cdot x + b)$ estimates $\eta(x)$, "
             r"so predict 1 where $q(x) > {{p_star:.4f}}$, i.e. where $\sigma(z) > {{clean_threshold:.4f}}$. "
             r"The Bayes rule is linear here (the posterior is a monotone function of a linear score), so a "
             "well-trained linear model gets within a few per cent of the Bayes cost.",
)


# ---------------------------------------------------------------------------- preference loss, calibration
PREFERENCE = Problem(
    id="cap.separable_preference", session=6, kind="choice", title="A reward model that never stops growing",
    concepts=("custom-loss-design", "regularization", "nll"),
    prompt="A reward model $r(x) = \\theta\\cdot x$ is trained by gradient descent on the mean preference loss "
           "$-\\log\\sigma(r_c - r_r)$ over three comparisons, and some $\\theta$ ranks all three correctly. After "
           "200 steps $P(\\text{chosen wins}) \\approx 0.98$; after 20,000 steps it is $1.000$ and $\\lVert\\theta\\rVert$ "
           "has doubled. What is going on, and what fixes it?\n\n"
           "- **a**: the learning rate is too large; a smaller one makes θ converge\n"
           "- **b**: gradient descent is stuck in a local minimum; restart from another θ\n"
           "- **c**: the pairs are separable, so scaling θ up always lowers the loss and no minimiser exists; "
           "an L2 penalty $(\\lambda/2)\\lVert\\theta\\rVert^2$ (or a conflicting comparison) gives one, and the "
           "probabilities stop depending on when training stopped\n"
           "- **d**: nothing is wrong: probabilities of 1.000 show the model has learned the preferences",
    options=(
        Option("a", "learning rate", False, "A smaller step only slows the growth down: the loss keeps decreasing "
               "along the direction that ranks every pair correctly, whatever the step."),
        Option("c", "separable: no minimiser", True, "With every pair ranked correctly, multiplying θ by 2 "
               "raises every margin and lowers every loss term, so the infimum 0 is never reached. A penalty "
               "makes the objective strictly convex with one minimiser; a conflicting pair bounds θ through the data."),
        Option("b", "local minimum", False, "The loss is convex in θ, so there are no bad local minima; the "
               "trouble is that there is no minimum at all."),
        Option("d", "learned", False, "Three comparisons cannot justify certainty; the 1.000 is an artefact of "
               "how long training ran, not of the data."),
    ),
    hints=("What happens to each term of the loss when θ is replaced by 2θ?",
           "A function that keeps decreasing along a ray has no minimiser. Which term would stop that?"),
    solution="**c**. On separable pairs the preference loss decreases along $c\\,\\theta$ as $c \\to \\infty$, "
             "so gradient descent runs off and the reported probabilities are artefacts of the stopping time. "
             "Adding $(\\lambda/2)\\lVert\\theta\\rVert^2$ (the capstone uses $\\lambda = 0.1$) gives a unique "
             "minimiser that 2,000 and 20,000 steps both reach.",
)

PLATT = Problem(
    id="cap.platt", session=6, kind="choice", title="Can a hinge score be read as a probability?",
    concepts=("hinge", "nll", "surrogate"),
    prompt="A linear SVM (hinge loss, penalty $\\lambda$) gives scores $s(x)$. Which statement is right?\n\n"
           "- **a**: $\\sigma(s(x))$ is a probability, because it lies in (0, 1)\n"
           "- **b**: $\\sigma(s(x))$ is not calibrated (its scale is set by $\\lambda$, not by frequencies), but "
           "fitting $\\sigma(A\\,s + B)$ by cross-entropy on held-out data (Platt scaling) gives a usable one\n"
           "- **c**: no monotone map of a hinge score can ever be calibrated\n"
           "- **d**: $\\sigma(s(x))$ is calibrated whenever the SVM's accuracy is high",
    options=(
        Option("a", "in (0, 1)", False, "Any number can be squashed into (0, 1); calibration asks that among "
               "points given 0.7, about 70 % are positive, and nothing in the hinge loss asks for that."),
        Option("b", "Platt scaling", True, "The hinge score ranks points but its size is an artefact of λ. A "
               "cross-entropy fit of two numbers A, B on held-out data turns the ranking into probabilities, "
               "and the capstone's reliability diagram shows it works here."),
        Option("c", "never", False, "When the score ranks points in the order of their true probability, a "
               "monotone map that fixes the scale exists, and two numbers fitted on held-out data can find it."),
        Option("d", "high accuracy", False, "Accuracy depends only on the sign of the score; calibration depends "
               "on its size."),
    ),
    hints=("Which part of a score does accuracy use, and which part does a probability use?",),
    solution="**b**. The hinge loss is zero beyond margin 1 and does not tie the size of a score to a frequency. "
             "Platt scaling learns $P(y=1\\mid s) = \\sigma(A s + B)$ by cross-entropy on data not used for "
             "training the SVM.",
)

PROBLEMS = [BAYES_LOGODDS, THRESHOLD, WEIGHTED_THRESHOLD, DESIGN_LOSS, CLASSIFIER, PREFERENCE, PLATT]
EXERCISES = [p.id for p in PROBLEMS]

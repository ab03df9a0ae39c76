"""Session 3 — margins: hinge loss, the 0-1 loss it replaces, and subgradients."""
from __future__ import annotations

import numpy as np

from lossedu import derivations as D
from lossedu.spec import VALUE_TOL, Kink, Mistake, Option, Problem, Region, coefficient_tex

TITLE = "Margins and non-smooth losses"


def margin_side(label: str, sign: float) -> Region:
    """Points with y·s = 1 − sign·u, u in (0.05, 3): inside (sign = +1) or beyond (−1) the margin."""
    return Region(label, lambda pt, rng: {**pt, "s": pt["y"] * (1 - sign * rng.uniform(0.05, 3.0))})


#: The kink of the hinge: y·s = 1 (t > 0 means inside the margin, y·s < 1).
MARGIN = Kink("y*s = 1", lambda pt, t: {**pt, "s": pt["y"] * (1 - t)})


# ---------------------------------------------------------------------------- three points
def _points(params: dict) -> tuple[np.ndarray, np.ndarray]:
    return np.array(params["ys"], dtype=float), np.array(params["ss"], dtype=float)


def _margins(params: dict) -> np.ndarray:
    y, s = _points(params)
    return y * s


def _hinge_numbers(params: dict) -> dict:
    y, s = _points(params)
    margins = y * s
    losses = np.maximum(0.0, 1.0 - margins)
    grads = np.where(margins < 1, -y, 0.0)
    out = {}
    for i in range(3):
        out.update({f"y{i + 1}": int(y[i]), f"s{i + 1}": s[i], f"m{i + 1}": margins[i],
                    f"L{i + 1}": losses[i], f"g{i + 1}": grads[i]})
    return {**out, "losses": losses, "grads": grads}


def _hinge_sampler(rng: np.random.Generator) -> dict:
    ys = [int(v) for v in rng.choice([-1, 1], size=3)]
    ss = [float(v) for v in rng.choice([-1.5, -0.4, 0.3, 0.6, 1.2, 2.0], size=3, replace=False)]
    return {"ys": ys, "ss": ss}


THREE_POINTS = r"$(y_1, s_1) = ({{y1}}, {{s1}})$, $(y_2, s_2) = ({{y2}}, {{s2}})$ and $(y_3, s_3) = ({{y3}}, {{s3}})$"


# ---------------------------------------------------------------------------- six scored points
def _scored(params: dict) -> dict:
    """Margins, 0-1 losses and the catalogue's wrong risks for the six points of example.zero_one_risk."""
    y, s = np.array(params["ys"], dtype=float), np.array(params["ss"], dtype=float)
    margins = y * s
    errors = (margins <= 0).astype(float)
    table = ("| $i$ | " + " | ".join(str(k + 1) for k in range(len(y))) + " |\n|---|" + "---|" * len(y)
             + "\n| $y_i$ | " + " | ".join(f"{int(v):+d}" for v in y)
             + " |\n| $s_i$ | " + " | ".join(f"{v:g}" for v in s) + " |")
    return {"table": table, "n": len(y), "k": int(errors.sum()), "risk": errors.mean(),
            "margins_text": ", ".join(f"{v:g}" for v in margins + 0.0),
            "errors_text": ", ".join(f"{v:g}" for v in errors),
            "strict": float(np.mean(margins < 0)), "hinge_risk": float(np.maximum(0.0, 1.0 - margins).mean())}


def _scored_sampler(rng: np.random.Generator) -> dict:
    """Six points, one of them exactly on the boundary (s = 0), with a number of mistakes other than 3."""
    while True:
        ys = [int(v) for v in rng.choice([-1, 1], size=6)]
        ss = [float(v) for v in rng.choice([-2.5, -1.2, -0.6, -0.3, 0.4, 0.8, 1.5, 2.2], size=6, replace=False)]
        ss[int(rng.integers(0, 6))] = 0.0
        mistakes = sum(y * s <= 0 for y, s in zip(ys, ss))
        if mistakes not in (0, 3, 6):  # 3 of 6 would make accuracy and error rate equal
            return {"ys": ys, "ss": ss}

# ---------------------------------------------------------------------------- SVM weight C
def _c_sampler(rng: np.random.Generator) -> dict:
    """The SVM weight C of the data term: the loss of one example is C·max(0, 1 − y s)."""
    return {"C": int(rng.choice([2, 3, 5, 10]))}


def _c_text(params: dict) -> dict:
    C = params["C"]
    return {"C_tex": coefficient_tex(C),
            "weighted": "" if C == 1 else f", weighted by the SVM constant $C = {C}$,"}


# ---------------------------------------------------------------------------- problems
HINGE = Problem(
    id="grad.hinge", session=3, kind="expression", title="A subgradient of the hinge loss",
    concepts=("hinge", "margin", "subgradients", "differentiability"),
    prompt=r"For a label $y \in \{-1, +1\}$ and a score $s$, the hinge loss{{weighted}} is $L(y, s) = {{C_tex}}\max(0, 1 - y s)$. "
           r"Enter a subgradient of $L$ with respect to $s$, valid everywhere (including $y s = 1$), in "
           "terms of `y` and `s`. `Piecewise`, `Heaviside` and `sign` are available.",
    variables=("y", "s"), domains={"y": "pm1", "s": "real"},
    reference=lambda params: params["C"] * D.hinge_grad(),
    canonical={"C": 1}, sampler=_c_sampler, derive=_c_text,
    regions=(margin_side("y*s < 1", 1.0), margin_side("y*s > 1", -1.0)), kinks=(MARGIN,),
    hints=("Split into the two cases $1 - y s > 0$ and $1 - y s < 0$.",
           "Where $1 - y s > 0$ the loss is $1 - y s$, a straight line in $s$; elsewhere it is the constant 0.",
           "At $y s = 1$ any value between $-y$ and 0 is a subgradient; a `Piecewise` with a `True` branch covers it."),
    solution=r"With $C = {{C}}$: $\partial L/\partial s = -C y$ if $y s < 1$ and $0$ if $y s > 1$; at $y s = 1$ any value "
             r"between $-C y$ and 0 works, e.g. `Piecewise((-{{C}}*y, y*s < 1), (0, True))`. Only points inside "
             "the margin (the support vectors) push the score.",
    mistakes=(
        Mistake("Piecewise((-{{C}}*y, y*s > 1), (0, True))", "The pieces are exchanged: check on which "
                "side of the margin y·s = 1 the loss is flat.", "branch"),
        Mistake("Piecewise(({{C}}*y, y*s < 1), (0, True))", "The sign is flipped: inside the margin "
                "the loss is 1 − y·s, which falls as s grows for a positive label and rises for a "
                "negative one.", "sign"),
        Mistake("Piecewise((-{{C}}*y*s, y*s < 1), (0, True))", "Your slope still depends on s, but inside "
                "the margin the loss 1 − y·s is a straight line in s: differentiate it again with respect to s.",
                "quantity"),
        Mistake("Piecewise((-y, y*s < 1), (0, True))", "The weight C is missing: it multiplies the "
                "hinge, so it multiplies its slope too.", "factor"),
    ),
)

HINGE_EXAMPLE = Problem(
    id="example.hinge", session=3, kind="value", title="Which points push the score?",
    concepts=("hinge", "margin", "subgradients"),
    prompt=r"Three examples with labels and scores " + THREE_POINTS + r". For each, compute the "
           r"(sub)gradient $\partial L/\partial s$ of the hinge loss $\max(0, 1 - y s)$. Answer with "
           "the list of three numbers.",
    canonical={"ys": [1, 1, -1], "ss": [2.0, 0.2, 0.3]}, sampler=_hinge_sampler, derive=_hinge_numbers,
    reference=lambda params: _hinge_numbers(params)["grads"], tolerance=VALUE_TOL,
    hints=("Compute the margins $y_i s_i$ first.",
           "A point with $y s > 1$ has gradient 0; otherwise the gradient is $-y$.",
           "The margins are {{m1}}, {{m2}} and {{m3}}."),
    solution=r"Margins $y_i s_i$: {{m1}}, {{m2}}, {{m3}}. Losses $\max(0, 1 - y_i s_i)$: {{L1}}, {{L2}}, {{L3}}. "
             r"Subgradients: {{g1}}, {{g2}}, {{g3}} — only points inside the margin contribute.",
    mistakes=(
        Mistake(lambda p: _hinge_numbers(p)["losses"], "Those are the losses; the question asks for "
                "their derivatives with respect to s.", "quantity"),
        Mistake(lambda p: -_hinge_numbers(p)["grads"], "The sign is flipped: inside the margin the loss "
                "1 − y·s has slope −y in s.", "sign"),
        Mistake(lambda p: np.where(_margins(p) > 1, -_points(p)[0], 0.0), "The pieces are exchanged: the "
                "hinge is flat (slope 0) for margins above 1 and has slope −y below.", "branch"),
    ),
)

HINGE_PRACTICE = Problem(
    id="practice.hinge", session=3, kind="value", title="Hinge losses of three points",
    concepts=("hinge", "margin", "loss-function"),
    prompt=r"With $L(y, s) = \max(0, 1 - y s)$ and the examples " + THREE_POINTS + r", compute the "
           "three hinge losses (a list of three numbers).",
    canonical={"ys": [1, -1, -1], "ss": [1.2, -0.4, 2.0]}, sampler=_hinge_sampler, derive=_hinge_numbers,
    reference=lambda params: _hinge_numbers(params)["losses"], tolerance=VALUE_TOL,
    hints=("Compute $1 - y_i s_i$ for each point.", "Negative values are clipped to 0 by the max."),
    solution=r"Margins $y_i s_i$: {{m1}}, {{m2}}, {{m3}}. Losses $\max(0, 1 - y_i s_i)$: "
             r"{{L1}}, {{L2}}, {{L3}}. Only the points with margin below 1 have a positive loss.",
    mistakes=(
        Mistake(lambda p: 1 - _margins(p), "A loss is never negative: the max(0, ·) clips 1 − y·s at 0.",
                "branch"),
        Mistake(lambda p: np.maximum(0, 1 + _margins(p)), "The margin enters with a minus sign: 1 − y·s.",
                "sign"),
    ),
)

SUPPORT = Problem(
    id="choice.support_vectors", session=3, kind="choice", title="Support vectors",
    concepts=("hinge", "subgradients", "margin"),
    prompt=r"For the three examples $(y, s)$ = (1, 1.2), (−1, −0.4), (−1, 2.0) under the hinge loss, "
           "which points have a non-zero subgradient?\n\n- **a**: point 1 only\n- **b**: points 2 and 3\n"
           "- **c**: all three\n- **d**: none",
    options=(
        Option("a", "point 1 only", False, "Point 1 has margin 1.2 > 1: it is comfortably right and "
               "its gradient is 0."),
        Option("b", "points 2 and 3", True, "Their margins are 0.4 and −2.0, both below 1, so each "
               "has gradient −y = +1; point 1 (margin 1.2) contributes nothing."),
        Option("c", "all three", False, "A point with margin above 1 sits on the flat part of the hinge."),
        Option("d", "none", False, "Compute the three margins y·s: every point whose margin is below 1 "
               "has a non-zero subgradient."),
    ),
    hints=("Compute each margin $y s$.", "Only margins below 1 give a non-zero gradient."),
    solution="**b**. Margins: 1.2, 0.4, −2.0. Points 2 and 3 are inside the margin (losses 0.6 and 3.0) "
             "and are the support vectors; point 1 has loss 0 and gradient 0.",
)

SURROGATE = Problem(
    id="choice.surrogate", session=3, kind="choice", title="Why not train on the 0-1 loss?",
    concepts=("zero-one", "surrogate", "metric-gap", "differentiability"),
    prompt="We evaluate a classifier by accuracy, i.e. the 0-1 loss. Why do we usually train it with "
           "hinge or cross-entropy instead?\n\n- **a**: the 0-1 loss is piecewise constant, so its "
           "gradient is 0 almost everywhere and gives no direction\n- **b**: the 0-1 loss is unbounded\n"
           "- **c**: hinge and cross-entropy equal the 0-1 loss on the training set\n- **d**: the 0-1 "
           "loss is expensive to compute",
    options=(
        Option("a", "no gradient signal", True, "Accuracy jumps only when a prediction crosses the "
               "threshold; a smooth or piecewise-linear convex surrogate gives gradients that point "
               "towards fewer errors."),
        Option("b", "unbounded", False, "The 0-1 loss is bounded by 1, so that is not it: look at its "
               "slope instead."),
        Option("c", "equal", False, "They differ: hinge is an upper bound of the 0-1 loss, not equal to it."),
        Option("d", "expensive", False, "Counting errors is cheap; optimising them is the hard part."),
    ),
    hints=("Sketch the 0-1 loss as a function of the margin.", "What is its derivative almost everywhere?"),
    solution="**a**. The 0-1 loss is a step in the margin: derivative 0 wherever it exists. Surrogates "
             "such as hinge (a convex upper bound) and cross-entropy give usable gradients; the price "
             "is a gap between the training loss and the metric we report.",
)

ZERO_ONE_RISK = Problem(
    id="example.zero_one_risk", session=3, kind="value", title="The 0-1 risk from scores",
    concepts=("zero-one", "margin", "empirical-risk"),
    prompt=r"A classifier gives real scores $s_i$ to six examples with labels $y_i \in \{-1, +1\}$ and "
           r"predicts $\mathrm{sign}(s_i)$:" "\n\n{{table}}\n\n"
           r"With the 0-1 loss $L_{0\text{-}1}(y, s) = 1$ if $y s \le 0$ and $0$ if $y s > 0$, compute the "
           r"empirical 0-1 risk $\frac1n \sum_i L_{0\text{-}1}(y_i, s_i)$ (a number).",
    canonical={"ys": [1, 1, -1, -1, 1, -1], "ss": [2.0, -0.5, -3.0, 0.1, 0.0, 0.7]},
    sampler=_scored_sampler, derive=_scored, tolerance=VALUE_TOL,
    reference=lambda params: _scored(params)["risk"],
    hints=("Compute each margin $y_i s_i$; its sign says whether the prediction is right.",
           "A margin of exactly 0 sits on the decision boundary and counts as a mistake.",
           "The margins are {{margins_text}}."),
    solution=r"Margins $y_i s_i$: {{margins_text}}. 0-1 losses: {{errors_text}}. That is {{k}} mistakes "
             r"in {{n}} examples, so the 0-1 risk (the error rate) is {{k}}/{{n}} $\approx$ {{risk:.4f}}. "
             r"For comparison the average hinge loss is {{hinge_risk:.4f}}, an upper bound on it.",
    mistakes=(
        Mistake(lambda p: _scored(p)["strict"], "A score of exactly 0 sits on the decision boundary; "
                "the 0-1 loss counts it as a mistake (y·s ≤ 0).", "kink"),
        Mistake(lambda p: 1 - _scored(p)["risk"], "That is the accuracy, the share of right predictions; "
                "the 0-1 risk is the share of mistakes.", "quantity"),
        Mistake(lambda p: float(_scored(p)["k"]), "That is the number of mistakes; the risk is their "
                "average over the n examples.", "aggregation"),
        Mistake(lambda p: _scored(p)["hinge_risk"], "That is the average hinge loss max(0, 1 − y·s); the "
                "0-1 loss only asks whether y·s > 0.", "quantity"),
    ),
)

_KINK_SIGN = ("That set, [−1, 0], belongs to a positive label, y = +1. Here y = −1: write the loss as "
              "max(0, 1 + s) and find its slope on each side of s = −1.")
HINGE_KINK = Problem(
    id="choice.hinge_kink", session=3, kind="choice", title="Subgradients at the kink",
    concepts=("subgradients", "hinge", "differentiability"),
    prompt=r"The hinge loss $L(s) = \max(0, 1 - y s)$ of an example with label $y = -1$ has a kink at "
           r"$s = -1$ (margin $y s = 1$). Which set holds exactly the subgradients of $L$ at $s = -1$, "
           r"i.e. the numbers $g$ with $L(s) \ge L(-1) + g\,(s + 1)$ for every $s$?" "\n\n"
           r"- **a**: $\{0\}$" "\n" r"- **b**: $[-1, 0]$" "\n" r"- **c**: $[0, 1]$" "\n"
           r"- **d**: $[-1, 1]$",
    options=(
        Option("a", "{0}", False, "0 is one valid subgradient (the one most libraries return), but not "
               "the only one: at a kink every slope between the two one-sided slopes supports the graph."),
        Option("b", "[-1, 0]", False, _KINK_SIGN),
        Option("c", "[0, 1]", True, "For y = −1 the loss is 1 + s for s > −1 (slope +1) and 0 for "
               "s < −1 (slope 0); every slope between the two, [0, 1], stays below the graph."),
        Option("d", "[-1, 1]", False, "That is the subdifferential of |r| at 0. A line of slope −1 through "
               "(−1, 0) rises above the flat part of the hinge to the left of the kink."),
    ),
    mistakes=(Mistake("b", _KINK_SIGN, "sign"),),
    hints=("Write the loss for $y = -1$: $L(s) = \\max(0, 1 + s)$, and find its slope on each side of $s = -1$.",
           "At a kink of a convex function the subgradients are all the numbers between the left and the "
           "right slope."),
    solution=r"**c**. With $y = -1$, $L(s) = \max(0, 1 + s)$: slope 0 to the left of $s = -1$ and $+1$ to "
             r"the right. The subdifferential is the interval between them, $[0, 1]$; in general it is "
             r"the interval between $-y$ and 0. Any member may be used in a subgradient step; `hinge_grad` "
             "returns 0.",
)

METRIC_GAP = Problem(
    id="choice.metric_gap", session=3, kind="choice", title="Loss falls, accuracy stands still",
    concepts=("metric-gap", "surrogate", "zero-one"),
    prompt="Logistic regression (cross-entropy from the logit) is trained on well separated data. From "
           "step 10 on, the training accuracy stays at 0.99, while the training cross-entropy keeps "
           "falling (0.155 → 0.077) and the weight norm ‖w‖ grows (1.4 → 4.4). What is going on?\n\n"
           "- **a**: the optimiser is diverging: the learning rate is too large\n"
           "- **b**: the later steps make right predictions more confident, which the loss rewards and "
           "accuracy cannot see\n"
           "- **c**: the accuracy must be computed wrongly, since a lower loss always means fewer mistakes\n"
           "- **d**: the model is overfitting, so the test accuracy must be falling",
    options=(
        Option("a", "diverging", False, "A diverging run has a growing loss; here the loss falls steadily."),
        Option("b", "more confident", True, "Cross-entropy still pays a little for every margin, so "
               "making correct margins larger lowers it; accuracy only counts signs, which stopped "
               "changing. On separable data this goes on as ‖w‖ → ∞."),
        Option("c", "accuracy wrong", False, "The loss is a surrogate, not the error count: ask what, "
               "besides the sign of each margin, the cross-entropy depends on."),
        Option("d", "overfitting", False, "Nothing here says so: growing confidence on separable data is "
               "expected, and only held-out data could show overfitting."),
    ),
    hints=("Cross-entropy depends on the margin $y s$ itself; accuracy only on its sign.",
           "What happens to the cross-entropy of an already correct example when its margin doubles?"),
    solution="**b**. Accuracy is the 0-1 loss, a function of the sign of the margin only; cross-entropy "
             "keeps decreasing as correct margins grow. The two numbers play different roles: we train "
             "on the surrogate because it has gradients, and report the metric because it is what we "
             "care about. Expect them to move differently.",
)

PROBLEMS = [ZERO_ONE_RISK, HINGE, HINGE_EXAMPLE, HINGE_PRACTICE, SUPPORT, HINGE_KINK, SURROGATE, METRIC_GAP]
EXERCISES = ["example.zero_one_risk", "grad.hinge", "example.hinge", "practice.hinge", "choice.support_vectors",
             "choice.hinge_kink", "choice.surrogate", "choice.metric_gap"]

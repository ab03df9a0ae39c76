"""Session 3 — margins: hinge loss, the 0-1 loss it replaces, and subgradients."""
from __future__ import annotations

import numpy as np

from lossedu import derivations as D
from lossedu.problems.spec import Kink, Mistake, Option, Problem, Region

VALUE_TOL = (1e-3, 2e-3)


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

# ---------------------------------------------------------------------------- problems
HINGE = Problem(
    id="grad.hinge", session=3, kind="expression", title="A subgradient of the hinge loss",
    concepts=("hinge", "margin", "subgradients", "differentiability"),
    prompt=r"For a label $y \in \{-1, +1\}$ and a score $s$, the hinge loss is $L(y, s) = \max(0, 1 - y s)$. "
           r"Enter a subgradient of $L$ with respect to $s$, valid everywhere (including $y s = 1$), in "
           "terms of `y` and `s`. `Piecewise`, `Heaviside` and `sign` are available.",
    variables=("y", "s"), domains={"y": "pm1", "s": "real"},
    reference=lambda params: D.hinge_grad(),
    regions=(margin_side("y*s < 1", 1.0), margin_side("y*s > 1", -1.0)), kinks=(MARGIN,),
    hints=("Split into the two cases $1 - y s > 0$ and $1 - y s < 0$.",
           "Where $1 - y s > 0$ the loss is $1 - y s$, a straight line in $s$; elsewhere it is the constant 0.",
           "At $y s = 1$ any value between $-y$ and 0 is a subgradient; a `Piecewise` with a `True` branch covers it."),
    solution=r"$\partial L/\partial s = -y$ if $y s < 1$ and $0$ if $y s > 1$; at $y s = 1$ any value "
             r"between $-y$ and 0 works, e.g. `Piecewise((-y, y*s < 1), (0, True))`. Only points inside "
             "the margin (the support vectors) push the score.",
    mistakes=(
        Mistake("Piecewise((-y, y*s > 1), (0, True))", "The pieces are exchanged: the loss is flat "
                "(zero slope) once the margin y·s exceeds 1.", "branch"),
        Mistake("Piecewise((y, y*s < 1), (0, True))", "The sign is flipped: inside the margin "
                "L = 1 − y·s, whose slope in s is −y.", "sign"),
        Mistake("Piecewise((-y*s, y*s < 1), (0, True))", "Differentiate 1 − y·s with respect to s: "
                "s disappears and −y remains."),
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
                "their derivatives with respect to s."),
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
        Mistake(lambda p: 1 - _margins(p), "A loss is never negative: the max(0, ·) clips 1 − y·s at 0."),
        Mistake(lambda p: np.maximum(0, 1 + _margins(p)), "The margin enters with a minus sign: 1 − y·s."),
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
        Option("d", "none", False, "Points 2 and 3 lie inside the margin (point 3 is even misclassified)."),
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
        Option("b", "unbounded", False, "The 0-1 loss is bounded by 1; its trouble is the flat shape."),
        Option("c", "equal", False, "They differ: hinge is an upper bound of the 0-1 loss, not equal to it."),
        Option("d", "expensive", False, "Counting errors is cheap; optimising them is the hard part."),
    ),
    hints=("Sketch the 0-1 loss as a function of the margin.", "What is its derivative almost everywhere?"),
    solution="**a**. The 0-1 loss is a step in the margin: derivative 0 wherever it exists. Surrogates "
             "such as hinge (a convex upper bound) and cross-entropy give usable gradients; the price "
             "is a gap between the training loss and the metric we report.",
)

PROBLEMS = [HINGE, HINGE_EXAMPLE, HINGE_PRACTICE, SUPPORT, SURROGATE]
EXERCISES = ["grad.hinge", "example.hinge", "practice.hinge", "choice.support_vectors", "choice.surrogate"]

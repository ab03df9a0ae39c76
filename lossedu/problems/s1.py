"""Session 1 — from error to objective: pointwise losses, empirical risk, linear regression."""
from __future__ import annotations

import numpy as np

from lossedu import derivations as D
from lossedu.problems.variation import WEIGHTED
from lossedu.spec import VALUE_TOL, Kink, Mistake, Option, Problem, Region

TITLE = "From error to objective"  # the exercise set's title, as in the lesson


def yhat_side(label: str, low: float, high: float) -> Region:
    """The region where ŷ − y lies in (low, high)."""
    return Region(label, lambda pt, rng: {**pt, "yhat": pt["y"] + rng.uniform(low, high)})


#: The kink of |ŷ − y| and friends: ŷ = y (t > 0 means ŷ > y).
TIE = Kink("yhat = y", lambda pt, t: {**pt, "yhat": pt["y"] + t})
ABOVE, BELOW = yhat_side("yhat > y", 0.05, 3.0), yhat_side("yhat < y", -3.0, -0.05)


# ---------------------------------------------------------------------------- two-point regression
def _data(params: dict) -> list[tuple[int, int]]:
    return [(params["x1"], params["y1"]), (params["x2"], params["y2"])]


def _regression_sampler(rng: np.random.Generator) -> dict:
    """Two points and a weight w0 at which neither point is fitted exactly (so the risk is > 0)."""
    x1, x2 = (int(v) for v in rng.choice([1, 2, 3, 4], size=2, replace=False))
    w0 = float(rng.choice([-1.0, 0.5, 1.0, 2.0]))
    y1, y2 = (int(rng.choice([v for v in range(-2, 6) if v != w0 * x])) for x in (x1, x2))
    return {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "w0": w0}


def _regression_numbers(params: dict) -> dict:
    """Predictions, residuals, losses, risk and gradient at w0 (the solution's numbers)."""
    w0 = params["w0"]
    (x1, y1), (x2, y2) = _data(params)
    r1, r2 = w0 * x1 - y1, w0 * x2 - y2
    return {"yhat1": w0 * x1, "yhat2": w0 * x2, "r1": r1, "r2": r2,
            "L1": 0.5 * r1**2, "L2": 0.5 * r2**2, "risk": 0.25 * (r1**2 + r2**2),
            "grad": 0.5 * (r1 * x1 + r2 * x2)}


REGRESSION = dict(canonical={"x1": 1, "y1": 2, "x2": 2, "y2": 3, "w0": 1.0},
                  sampler=_regression_sampler, derive=_regression_numbers)
DATA_TEXT = (r"a linear model $\hat y = w\,x$ (no bias) and two training points "
             r"$(x_1, y_1) = ({{x1}}, {{y1}})$ and $(x_2, y_2) = ({{x2}}, {{y2}})$, with the pointwise "
             r"loss $L = \tfrac12(\hat y - y)^2$")


# ---------------------------------------------------------------------------- problems
MSE = Problem(
    id="grad.mse", session=1, kind="expression", title="Gradient of the squared error",
    concepts=("mse", "loss-function", "differentiability"),
    prompt=r"The squared-error loss{{weighted}} is $L(y, \hat y) = {{a_tex}}\tfrac12 (\hat y - y)^2$. "
           r"Enter $\partial L / \partial \hat y$ in terms of `y` and `yhat`.",
    variables=("y", "yhat"), domains={"y": "real", "yhat": "real"}, **WEIGHTED,
    reference=lambda params: params["a"] * D.mse_grad(),
    hints=("Treat $y$ as a constant and differentiate with respect to $\\hat y$ only.",
           "Use the chain rule on $(\\hat y - y)^2$: differentiate the square, then multiply by the "
           "derivative of what is inside it with respect to $\\hat y$.",
           "The ½ in front cancels the 2 from the square."),
    solution=r"$\dfrac{\partial L}{\partial \hat y} = {{a_tex}}\tfrac12 \cdot 2(\hat y - y) \cdot 1 = {{a_tex}}(\hat y - y)$: "
             "prediction minus truth (times the example's weight), the error signal that gets backpropagated.",
    mistakes=(
        Mistake("2*{{a}}*(yhat - y)", "You have twice the gradient: the ½ in the loss cancels the 2 "
                "that comes down from the square.", "factor"),
        Mistake("{{a}}*(y - yhat)", "The sign is flipped: differentiate with respect to ŷ, and ŷ enters "
                "with a plus sign.", "sign"),
        Mistake("{{a}}*(yhat - y)**2/2", "That is the loss itself, not its derivative.", "quantity"),
        Mistake("yhat - y", "The example's weight a is missing: a constant factor in front of the loss "
                "stays in front of its derivative.", "factor"),
    ),
    swap=("y", "yhat"),
)

MAE = Problem(
    id="grad.mae", session=1, kind="expression", title="A subgradient of the absolute error",
    concepts=("mae", "subgradients", "differentiability"),
    prompt=r"The absolute-error loss{{weighted}} is $L(y, \hat y) = {{a_tex}}|\hat y - y|$. Enter a subgradient of $L$ "
           r"with respect to $\hat y$, valid for every `y` and `yhat` (including a tie $\hat y = y$). "
           r"You may use `sign(...)`, `Heaviside(...)` or `Piecewise((..., cond), ..., (..., True))`.",
    variables=("y", "yhat"), domains={"y": "real", "yhat": "real"},
    reference=lambda params: params["a"] * D.mae_grad(), **WEIGHTED,
    regions=(ABOVE, BELOW), kinks=(TIE,),
    hints=("Away from a tie, $|r|$ is a straight line of slope +1 or −1 in $r = \\hat y - y$.",
           "Find the slope of $|r|$ on each side of $r = 0$; at $r = 0$ any value between the two slopes is "
           "a subgradient.",
           "One valid answer uses `sign(yhat - y)`, times the weight."),
    solution=r"With $r = \hat y - y$ and weight $a = {{a}}$: $\partial L/\partial \hat y = +a$ if $r > 0$, $-a$ if $r < 0$, "
             r"and any value in $[-a, a]$ at $r = 0$. So $a\operatorname{sign}(\hat y - y)$ (which gives 0 "
             "at a tie) is a subgradient everywhere. The gradient's size does not grow with the "
             "error, which is why MAE is robust to outliers.",
    mistakes=(
        Mistake("{{a}}*Abs(yhat - y)/(yhat - y)", "That is undefined at a tie ŷ = y; a subgradient must "
                "have a value there too (any number between the two slopes).", "kink"),
        Mistake("{{a}}*(yhat - y)", "That is the gradient of the squared error; the absolute error has a "
                "gradient of constant size.", "quantity"),
        Mistake("{{a}}*sign(y - yhat)", "The sign is flipped: L grows when ŷ moves above y.", "sign"),
        Mistake("sign(yhat - y)", "The example's weight a is missing: it multiplies the slope on both "
                "sides of the tie.", "factor"),
    ),
    swap=("y", "yhat"),
)

LINREG_RISK_VALUE = Problem(
    id="example.linreg_risk", session=1, kind="value", title="Empirical risk of a tiny regression",
    concepts=("empirical-risk", "per-example-vs-aggregate", "mse"),
    prompt="Take " + DATA_TEXT + r". Compute the empirical risk $\hat R(w) = \frac1n \sum_i L_i$ at "
           r"$w = {{w0}}$ (a number).",
    reference=lambda params: _regression_numbers(params)["risk"], tolerance=VALUE_TOL, **REGRESSION,
    hints=("First compute the two predictions $\\hat y_i = w x_i$.",
           "Each pointwise loss is $\\tfrac12(\\hat y_i - y_i)^2$.",
           "Average the two losses: divide their sum by $n = 2$."),
    solution=r"Predictions: $\hat y_1 = {{yhat1}}$, $\hat y_2 = {{yhat2}}$. Losses: $L_1 = \tfrac12({{r1}})^2 = {{L1}}$, "
             r"$L_2 = \tfrac12({{r2}})^2 = {{L2}}$. Risk: $\hat R({{w0}}) = \tfrac12(L_1 + L_2) = {{risk}}$.",
    mistakes=(
        Mistake(lambda p: 2 * _regression_numbers(p)["risk"], "You are off by a factor 2: average the "
                "losses (divide by n = 2) and keep the ½ of the pointwise loss.", "aggregation"),
        Mistake(lambda p: 0.5 * (abs(_regression_numbers(p)["r1"]) + abs(_regression_numbers(p)["r2"])) / 2,
                "Square the residuals: the loss is ½(ŷ − y)², not ½|ŷ − y|.", "quantity"),
    ),
)

LINREG_GRAD = Problem(
    id="grad.linreg_risk", session=1, kind="expression", title="Gradient of the empirical risk",
    concepts=("empirical-risk", "erm", "mse", "differentiability"),
    prompt="Take " + DATA_TEXT + r". Enter $d\hat R / dw$ as an expression in `w`.",
    variables=("w",), domains={"w": "real"},
    reference=lambda params: D.linreg_risk_grad(_data(params)), **REGRESSION,
    hints=("$\\hat R(w) = \\frac12 \\sum_i \\tfrac12 (w x_i - y_i)^2$: differentiate term by term.",
           "Chain rule on each term: the outer function is $\\tfrac12 u^2$ with $u = w x_i - y_i$; multiply "
           "its derivative by $du/dw$.",
           "Each term gives $(w x_i - y_i)\\,x_i$; average the two terms over the two points."),
    solution=r"$\dfrac{d\hat R}{dw} = \frac1n \sum_i (w x_i - y_i)\,x_i = \tfrac12\big[(w\cdot{{x1}} - {{y1}})\cdot{{x1}} + "
             r"(w\cdot{{x2}} - {{y2}})\cdot{{x2}}\big]$. At $w = {{w0}}$ this is ${{grad}}$.",
    mistakes=(
        Mistake(lambda p: 2 * D.linreg_risk_grad(_data(p)), "You summed the terms instead of averaging "
                "them: the empirical risk divides by n.", "aggregation"),
        Mistake(lambda p: -D.linreg_risk_grad(_data(p)), "The sign is flipped: the residual is "
                "w·xᵢ − yᵢ (prediction minus target).", "sign"),
        Mistake(lambda p: sum(D.w * xi - yi for xi, yi in _data(p)) / 2, "A chain-rule factor is "
                "missing: differentiate the inner function w·xᵢ − yᵢ with respect to w and multiply each "
                "term by it.", "chain-rule"),
    ),
)

LINREG_GRAD_VALUE = Problem(
    id="example.linreg_grad", session=1, kind="value", title="The gradient at one weight",
    concepts=("empirical-risk", "erm", "mse"),
    prompt="Take " + DATA_TEXT + r". Compute $d\hat R/dw$ at $w = {{w0}}$ (a number; "
           "its sign tells which way $w$ must move to lower the risk: against it).",
    reference=lambda params: _regression_numbers(params)["grad"], tolerance=VALUE_TOL, **REGRESSION,
    hints=("Use $d\\hat R/dw = \\frac1n \\sum_i (w x_i - y_i)\\,x_i$.",
           "Residuals at $w = {{w0}}$: $r_1 = {{r1}}$ and $r_2 = {{r2}}$.",
           "Multiply each residual by its $x_i$, add, and divide by 2."),
    solution=r"$\dfrac{d\hat R}{dw} = \tfrac12\big[({{r1}})\cdot{{x1}} + ({{r2}})\cdot{{x2}}\big] = {{grad}}$. "
             "Gradient descent moves $w$ against the sign of this number.",
    mistakes=(
        Mistake(lambda p: (_regression_numbers(p)["r1"] + _regression_numbers(p)["r2"]) / 2,
                "A chain-rule factor is missing: each residual still has to be multiplied by the derivative "
                "of w·xᵢ with respect to w.", "chain-rule"),
        Mistake(lambda p: 2 * _regression_numbers(p)["grad"], "You summed instead of averaging: "
                "divide by n = 2.", "aggregation"),
        Mistake(lambda p: -_regression_numbers(p)["grad"], "The sign is flipped: the residual is "
                "w·xᵢ − yᵢ (prediction minus target), not yᵢ − w·xᵢ.", "sign"),
    ),
)



# ---------------------------------------------------------------------------- per-example and aggregate
def _table_sampler(rng: np.random.Generator) -> dict:
    """Four targets and predictions; one miss of 3 so the aggregate has a dominant example."""
    ys = [int(v) for v in rng.integers(-2, 6, size=4)]
    misses = [float(v) for v in rng.choice([-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5], size=4)]
    misses[int(rng.integers(0, 4))] = float(rng.choice([-3.0, 3.0]))
    return {"ys": ys, "preds": [y + m for y, m in zip(ys, misses)]}


def _table_numbers(params: dict) -> dict:
    """Residuals, per-example losses, their sum and mean, the largest one and its share."""
    r = np.asarray(params["preds"], float) - np.asarray(params["ys"], float)
    losses_ = 0.5 * r**2
    worst = int(np.argmax(losses_))
    out = {f"r{i + 1}": float(v) for i, v in enumerate(r)}
    out.update({f"L{i + 1}": float(v) for i, v in enumerate(losses_)})
    out.update(total=float(losses_.sum()), risk=float(losses_.mean()), worst=worst + 1,
               share=float(losses_[worst] / losses_.sum()), ys_text=_listed(params["ys"]),
               preds_text=_listed(params["preds"]))
    return out


def _listed(values) -> str:
    return ", ".join(f"{float(v):g}" for v in values)


def _table_answer(params: dict, risk_of=np.mean, loss_of=lambda r: 0.5 * r**2) -> list[float]:
    """[L1, L2, L3, L4, R]; ``risk_of`` and ``loss_of`` swapped out give the catalogued mistakes."""
    r = np.asarray(params["preds"], float) - np.asarray(params["ys"], float)
    per_example = loss_of(r)
    return [float(v) for v in per_example] + [float(risk_of(per_example))]


PER_EXAMPLE = Problem(
    id="practice.per_example_risk", session=1, kind="value", title="Per-example losses and their average",
    concepts=("per-example-vs-aggregate", "empirical-risk", "loss-function", "mse"),
    prompt=r"A model predicted $\hat y = ({{preds_text}})$ for four training examples whose targets are "
           r"$y = ({{ys_text}})$ (in this order). With the squared error $L = \tfrac12(\hat y - y)^2$, give the "
           r"four per-example losses and the empirical risk, as a list `[L1, L2, L3, L4, R]`.",
    reference=_table_answer, tolerance=VALUE_TOL,
    canonical={"ys": [2, 3, 5, 4], "preds": [2.5, 2, 5, 7]}, sampler=_table_sampler, derive=_table_numbers,
    hints=("Each example gets its own loss, computed from its own residual $r_i = \\hat y_i - y_i$.",
           "The residuals are ${{r1}}, {{r2}}, {{r3}}, {{r4}}$; square each and halve it.",
           "The empirical risk is the mean of the four losses, not their sum."),
    solution=r"Residuals $r = ({{r1}}, {{r2}}, {{r3}}, {{r4}})$, so the losses $\tfrac12 r_i^2$ are "
             r"${{L1}}, {{L2}}, {{L3}}, {{L4}}$. Their sum is ${{total}}$ and the empirical risk is the mean, "
             r"$\hat R = {{total}}/4 = {{risk}}$. Example {{worst}} alone makes up {{share:.0%}} of the total: "
             "with the squared error, one large miss can dominate the aggregate.",
    mistakes=(
        Mistake(lambda p: _table_answer(p, risk_of=np.sum), "The last entry is the sum of the losses; "
                "the empirical risk averages them (divide by n = 4), so it does not grow with the "
                "size of the dataset.", "aggregation"),
        Mistake(lambda p: _table_answer(p, loss_of=lambda r: r**2), "Every entry is twice too large: "
                "the squared error here carries a ½.", "factor"),
        Mistake(lambda p: _table_answer(p, loss_of=np.abs), "Those are absolute errors |ŷ − y|; "
                "this question uses the squared error ½(ŷ − y)².", "quantity"),
    ),
)


# ---------------------------------------------------------------------------- expected risk
def _mc_sampler(rng: np.random.Generator) -> dict:
    k = int(rng.choice([2, 4, 5, 10]))
    n0 = int(rng.choice([50, 100, 200, 400]))
    return {"n0": n0, "se0": float(rng.choice([0.08, 0.12, 0.2, 0.3, 0.5])), "n1": n0 * k * k}


def _mc_numbers(params: dict) -> dict:
    ratio = params["n1"] / params["n0"]
    return {"ratio": ratio, "root": float(np.sqrt(ratio)), "se1": params["se0"] / np.sqrt(ratio)}


MONTE_CARLO = Problem(
    id="practice.monte_carlo_risk", session=1, kind="value", title="Expected risk by Monte Carlo",
    concepts=("expected-risk", "empirical-risk", "erm"),
    prompt=r"The expected risk $R(w) = \mathbb E[L(y, f(x; w))]$ of a fixed model cannot be computed "
           r"for real data, so you estimate it by the average loss on $n$ fresh examples drawn from the "
           r"data distribution. With $n = {{n0}}$ examples the estimate typically misses $R(w)$ by "
           r"${{se0}}$ (its standard error). About how far off is it with $n = {{n1}}$ fresh examples? "
           "(a number)",
    reference=lambda params: _mc_numbers(params)["se1"], tolerance=VALUE_TOL,
    canonical={"n0": 100, "se0": 0.05, "n1": 10_000}, sampler=_mc_sampler, derive=_mc_numbers,
    hints=("The estimate is an average of $n$ independent losses. How does the variance of an average "
           "depend on $n$?",
           "Its variance is $\\operatorname{Var}(L)/n$; the standard error is the square root of that.",
           "$n$ grows by a factor {{ratio:g}} here, so the standard error shrinks by $\\sqrt{ {{ratio:g}} }$."),
    solution=r"The average of $n$ independent losses is an unbiased estimate of $R(w)$ with variance "
             r"$\operatorname{Var}(L)/n$, so its standard error falls like $1/\sqrt n$. Going from "
             r"${{n0}}$ to ${{n1}}$ examples ({{ratio:g}} times more) divides it by "
             r"$\sqrt{ {{ratio:g}} } = {{root:g}}$: about ${{se1:.3g}}$. The empirical risk on the *training* "
             "set is a different matter: the parameters were chosen to make it small, so it tends to "
             "underestimate $R$.",
    mistakes=(
        Mistake(lambda p: p["se0"] * p["n0"] / p["n1"], "That scales the error like 1/n, which is how the "
                "variance of an average shrinks. The question asks for the standard error: how is it "
                "related to the variance?", "quantity"),
        Mistake(lambda p: p["se0"], "More fresh examples do make the estimate more precise: it is an "
                "average of n independent losses.", "concept"),
        Mistake(lambda p: p["se0"] * np.sqrt(p["n1"] / p["n0"]), "The ratio is upside down: with more "
                "examples the error shrinks.", "swap"),
    ),
)


# ---------------------------------------------------------------------------- robustness
def _outlier_sampler(rng: np.random.Generator) -> dict:
    centre = int(rng.integers(1, 6))
    offsets = rng.choice([-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3], size=4, replace=False)
    clean = [round(centre + float(o), 1) for o in offsets]
    return {"targets": clean + [float(centre + rng.choice([25, 30, 40, 45]))]}


def _outlier_numbers(params: dict) -> dict:
    t = np.asarray(params["targets"], float)
    return {"mean": float(t.mean()), "median": float(np.median(t)), "clean_mean": float(t[:-1].mean()),
            "total": float(t.sum()), "sorted": _listed(np.sort(t)), "targets_text": _listed(t)}


OUTLIER = Problem(
    id="practice.outlier_fit", session=1, kind="value", title="Mean or median: a constant fit with an outlier",
    concepts=("robustness", "mse", "mae", "erm"),
    prompt=r"Five readings $y = ({{targets_text}})$; the last one went badly wrong. Fit the constant model "
           r"$\hat y = c$ by empirical risk minimisation, once with the squared error $\tfrac12(c - y)^2$ "
           r"and once with the absolute error $|c - y|$. Give the two minimisers as a list "
           r"`[c_MSE, c_MAE]`.",
    reference=lambda params: [_outlier_numbers(params)["mean"], _outlier_numbers(params)["median"]],
    tolerance=VALUE_TOL, canonical={"targets": [2.1, 1.9, 2.0, 2.2, 50.0]}, sampler=_outlier_sampler,
    derive=_outlier_numbers,
    hints=("Set the derivative of each risk with respect to $c$ to zero (a subgradient containing 0 for "
           "the absolute error).",
           "$\\frac{d}{dc} \\frac1n\\sum_i \\tfrac12(c - y_i)^2 = c - \\bar y$; a subgradient of "
           "$\\frac1n\\sum_i |c - y_i|$ is (#points below $c$ − #points above $c$)/n.",
           "One minimiser is the mean of all five readings, the other the middle one after sorting."),
    solution=r"Squared error: $\frac{d}{dc}\hat R = c - \bar y = 0$ gives the **mean**, "
             r"${{total:g}}/5 = {{mean:.3f}}$, dragged far from the four good readings by the outlier. "
             r"Absolute error: 0 is a subgradient where as many points lie below $c$ as above, the "
             r"**median**: sorted $({{sorted}})$, so $c = {{median:g}}$. The outlier only counts as "
             "\"one point above\", however far away it is: that is robustness.",
    mistakes=(
        Mistake(lambda p: [_outlier_numbers(p)["median"], _outlier_numbers(p)["mean"]], "The two numbers "
                "are swapped: the list asks for the squared-error minimiser first, then the absolute-error one.", "swap"),
        Mistake(lambda p: [_outlier_numbers(p)["median"], _outlier_numbers(p)["median"]], "The squared "
                "error does not ignore the outlier: set the derivative of its risk to zero and see how "
                "far the last reading pulls c.", "concept"),
        Mistake(lambda p: [_outlier_numbers(p)["mean"], _outlier_numbers(p)["mean"]], "The absolute "
                "error is not minimised there: find the c at which 0 is a subgradient of its risk (count "
                "the readings below and above c).", "concept"),
    ),
)


# ---------------------------------------------------------------------------- loss versus metric
METRIC = Problem(
    id="choice.loss_vs_metric", session=1, kind="choice", title="A loss is not a metric",
    concepts=("metric-gap", "loss-function", "differentiability"),
    prompt="A regression model $\\hat y = w x$ is evaluated by the share of predictions within 0.5 of "
           "the target. Why is it trained by minimising the squared-error risk instead of maximising "
           "that metric directly?\n\n"
           "- **a**: the metric cannot be computed on the training set\n"
           "- **b**: as a function of $w$ the metric is a step function: its derivative is 0 almost "
           "everywhere, so gradient descent gets no signal from it\n"
           "- **c**: the model with the smallest squared-error risk always has the best metric\n"
           "- **d**: the metric is unbounded, so it has no maximum",
    options=(
        Option("a", "cannot be computed", False, "It can: count the training predictions within 0.5. "
               "Computing it is easy; optimising it is the problem."),
        Option("b", "step function", True, "A small change of w changes the metric only when a "
               "prediction crosses the 0.5 band, so its gradient is 0 almost everywhere. The squared "
               "error changes smoothly with w and says which way to move."),
        Option("c", "same winner", False, "Not always: predictions all off by 0.6 have a smaller squared "
               "error than three exact ones plus one off by 2, but the metric prefers the second model. "
               "The loss is a surrogate, not the metric."),
        Option("d", "unbounded", False, "The metric is a share, between 0 and 1, so it is bounded. Its "
               "trouble lies elsewhere: what happens to it when w changes a little?"),
    ),
    hints=("Imagine moving $w$ by a tiny amount. When does the metric change at all?",
           "What does gradient descent do where the derivative is zero?"),
    solution="**b**. The metric counts predictions inside a band, so it jumps when one crosses the edge and "
             "is flat in between: its derivative is 0 or undefined, and gradient descent would never "
             "move. We train on a loss that changes smoothly with the parameters and report the metric; "
             "the two can even disagree on which of two models is better.",
)

PROBLEMS = [MSE, MAE, LINREG_RISK_VALUE, LINREG_GRAD, LINREG_GRAD_VALUE, PER_EXAMPLE, MONTE_CARLO, OUTLIER,
            METRIC]
EXERCISES = ["grad.mse", "grad.mae", "example.linreg_risk", "grad.linreg_risk", "example.linreg_grad",
             "practice.per_example_risk", "practice.monte_carlo_risk", "practice.outlier_fit",
             "choice.loss_vs_metric"]

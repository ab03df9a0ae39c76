"""Session 1 — from error to objective: pointwise losses, empirical risk, linear regression."""
from __future__ import annotations

import numpy as np

from lossedu import derivations as D
from lossedu.problems.spec import Kink, Mistake, Problem, Region

VALUE_TOL = (1e-3, 2e-3)  # hand-computed numbers: three decimals are enough


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
    prompt=r"The squared-error loss is $L(y, \hat y) = \tfrac12 (\hat y - y)^2$. "
           r"Enter $\partial L / \partial \hat y$ in terms of `y` and `yhat`.",
    variables=("y", "yhat"), domains={"y": "real", "yhat": "real"},
    reference=lambda params: D.mse_grad(),
    hints=("Treat $y$ as a constant and differentiate with respect to $\\hat y$ only.",
           "Use the chain rule on $(\\hat y - y)^2$: the outer derivative is $2(\\hat y - y)$, the inner one is 1.",
           "The ½ in front cancels the 2 from the square."),
    solution=r"$\dfrac{\partial L}{\partial \hat y} = \tfrac12 \cdot 2(\hat y - y) \cdot 1 = \hat y - y$: "
             "prediction minus truth, the error signal that gets backpropagated.",
    mistakes=(
        Mistake("2*(yhat - y)", "You have twice the gradient: the ½ in the loss cancels the 2 "
                "that comes down from the square.", "factor"),
        Mistake("y - yhat", "The sign is flipped: differentiate with respect to ŷ, and ŷ enters "
                "with a plus sign.", "sign"),
        Mistake("(yhat - y)**2/2", "That is the loss itself, not its derivative."),
    ),
    swap=("y", "yhat"),
)

MAE = Problem(
    id="grad.mae", session=1, kind="expression", title="A subgradient of the absolute error",
    concepts=("mae", "subgradients", "differentiability"),
    prompt=r"The absolute-error loss is $L(y, \hat y) = |\hat y - y|$. Enter a subgradient of $L$ "
           r"with respect to $\hat y$, valid for every `y` and `yhat` (including a tie $\hat y = y$). "
           r"You may use `sign(...)`, `Heaviside(...)` or `Piecewise((..., cond), ..., (..., True))`.",
    variables=("y", "yhat"), domains={"y": "real", "yhat": "real"},
    reference=lambda params: D.mae_grad(),
    regions=(ABOVE, BELOW), kinks=(TIE,),
    hints=("Away from a tie, $|r|$ is a straight line of slope +1 or −1 in $r = \\hat y - y$.",
           "$\\frac{d|r|}{dr}$ is the sign of $r$ for $r \\neq 0$; at $r = 0$ any value in $[-1, 1]$ is a subgradient.",
           "One valid answer uses `sign(yhat - y)`."),
    solution=r"With $r = \hat y - y$: $\partial L/\partial \hat y = +1$ if $r > 0$, $-1$ if $r < 0$, "
             r"and any value in $[-1, 1]$ at $r = 0$. So $\operatorname{sign}(\hat y - y)$ (which gives 0 "
             "at a tie) is a subgradient everywhere. The gradient's size does not grow with the "
             "error, which is why MAE is robust to outliers.",
    mistakes=(
        Mistake("Abs(yhat - y)/(yhat - y)", "That is undefined at a tie ŷ = y; a subgradient must "
                "have a value there too (any number in [−1, 1]).", "kink"),
        Mistake("yhat - y", "That is the gradient of the squared error; the absolute error has a "
                "gradient of constant size."),
        Mistake("sign(y - yhat)", "The sign is flipped: L grows when ŷ moves above y.", "sign"),
    ),
    swap=("y", "yhat"),
)

LINREG_RISK_VALUE = Problem(
    id="example.linreg_risk", session=1, kind="value", title="Empirical risk of a tiny regression",
    concepts=("empirical-risk", "per-example-vs-aggregate", "mse"),
    prompt="Take " + DATA_TEXT + r". Compute the empirical risk $\hat R(w) = \frac1n \sum_i L_i$ at "
           r"$w = {{w0}}$ (a number; three decimals are enough).",
    reference=lambda params: _regression_numbers(params)["risk"], tolerance=VALUE_TOL, **REGRESSION,
    hints=("First compute the two predictions $\\hat y_i = w x_i$.",
           "Each pointwise loss is $\\tfrac12(\\hat y_i - y_i)^2$.",
           "Average the two losses: divide their sum by $n = 2$."),
    solution=r"Predictions: $\hat y_1 = {{yhat1}}$, $\hat y_2 = {{yhat2}}$. Losses: $L_1 = \tfrac12({{r1}})^2 = {{L1}}$, "
             r"$L_2 = \tfrac12({{r2}})^2 = {{L2}}$. Risk: $\hat R({{w0}}) = \tfrac12(L_1 + L_2) = {{risk}}$.",
    mistakes=(
        Mistake(lambda p: 2 * _regression_numbers(p)["risk"], "You are off by a factor 2: average the "
                "losses (divide by n = 2) and keep the ½ of the pointwise loss.", "factor"),
        Mistake(lambda p: 0.5 * (abs(_regression_numbers(p)["r1"]) + abs(_regression_numbers(p)["r2"])) / 2,
                "Square the residuals: the loss is ½(ŷ − y)², not ½|ŷ − y|."),
    ),
)

LINREG_GRAD = Problem(
    id="grad.linreg_risk", session=1, kind="expression", title="Gradient of the empirical risk",
    concepts=("empirical-risk", "erm", "mse", "differentiability"),
    prompt="Take " + DATA_TEXT + r". Enter $d\hat R / dw$ as an expression in `w`.",
    variables=("w",), domains={"w": "real"},
    reference=lambda params: D.linreg_risk_grad(_data(params)), **REGRESSION,
    hints=("$\\hat R(w) = \\frac12 \\sum_i \\tfrac12 (w x_i - y_i)^2$: differentiate term by term.",
           "By the chain rule, $\\frac{d}{dw}\\tfrac12(w x_i - y_i)^2 = (w x_i - y_i)\\,x_i$.",
           "Average the two terms $(w x_i - y_i)\\,x_i$ over the two points."),
    solution=r"$\dfrac{d\hat R}{dw} = \frac1n \sum_i (w x_i - y_i)\,x_i = \tfrac12\big[(w\cdot{{x1}} - {{y1}})\cdot{{x1}} + "
             r"(w\cdot{{x2}} - {{y2}})\cdot{{x2}}\big]$. At $w = {{w0}}$ this is ${{grad}}$.",
    mistakes=(
        Mistake(lambda p: 2 * D.linreg_risk_grad(_data(p)), "You summed the terms instead of averaging "
                "them: the empirical risk divides by n.", "factor"),
        Mistake(lambda p: sum(D.w * xi - yi for xi, yi in _data(p)) / 2, "A chain-rule factor is "
                "missing: the derivative of w·xᵢ with respect to w is xᵢ.", "chain-rule"),
    ),
)

LINREG_GRAD_VALUE = Problem(
    id="example.linreg_grad", session=1, kind="value", title="The gradient at one weight",
    concepts=("empirical-risk", "erm", "mse"),
    prompt="Take " + DATA_TEXT + r". Compute $d\hat R/dw$ at $w = {{w0}}$ (a number). Which way should "
           "$w$ move to lower the risk?",
    reference=lambda params: _regression_numbers(params)["grad"], tolerance=VALUE_TOL, **REGRESSION,
    hints=("Use $d\\hat R/dw = \\frac1n \\sum_i (w x_i - y_i)\\,x_i$.",
           "Residuals at $w = {{w0}}$: $r_1 = {{r1}}$ and $r_2 = {{r2}}$.",
           "Multiply each residual by its $x_i$, add, and divide by 2."),
    solution=r"$\dfrac{d\hat R}{dw} = \tfrac12\big[({{r1}})\cdot{{x1}} + ({{r2}})\cdot{{x2}}\big] = {{grad}}$. "
             "Gradient descent moves $w$ against the sign of this number.",
    mistakes=(
        Mistake(lambda p: (_regression_numbers(p)["r1"] + _regression_numbers(p)["r2"]) / 2,
                "A chain-rule factor is missing: multiply each residual by its xᵢ.", "chain-rule"),
        Mistake(lambda p: 2 * _regression_numbers(p)["grad"], "You summed instead of averaging: "
                "divide by n = 2.", "factor"),
    ),
)

PROBLEMS = [MSE, MAE, LINREG_RISK_VALUE, LINREG_GRAD, LINREG_GRAD_VALUE]
EXERCISES = ["grad.mse", "grad.mae", "example.linreg_risk", "grad.linreg_risk", "example.linreg_grad"]

"""The course's losses and their reference (sub)gradients, written symbolically with SymPy.

Every gradient here is either obtained with :func:`sympy.diff` from its loss or stated in the
form the course teaches (``sigmoid(z) - y``) and proved equal to the derivative in the tests,
which also compare each one with finite differences of :mod:`lossedu.losses`.

Piecewise gradients pick one member of the subdifferential at a kink (the value 0 for MAE at a
tie and for hinge at y·s = 1); the judge accepts any member there.
"""
from __future__ import annotations

from typing import Sequence

import sympy as sp

from lossedu.checking.symbolic import SYMBOLS, sigmoid

y, yhat, p, z, s = (SYMBOLS[n] for n in ("y", "yhat", "p", "z", "s"))
w, x, lam, eps = (SYMBOLS[n] for n in ("w", "x", "lam", "eps"))
delta, alpha, beta = (SYMBOLS[n] for n in ("delta", "alpha", "beta"))
ZS = (SYMBOLS["z1"], SYMBOLS["z2"], SYMBOLS["z3"])
YS = (SYMBOLS["y1"], SYMBOLS["y2"], SYMBOLS["y3"])

HALF = sp.Rational(1, 2)


# ---------------------------------------------------------------------------- regression
def mse_loss() -> sp.Expr:
    """L(y, ŷ) = ½ (ŷ − y)²."""
    return HALF * (yhat - y) ** 2


def mse_grad() -> sp.Expr:
    """∂L/∂ŷ = ŷ − y."""
    return sp.diff(mse_loss(), yhat)


def mae_loss() -> sp.Expr:
    """L(y, ŷ) = |ŷ − y|."""
    return sp.Abs(yhat - y)


def mae_grad() -> sp.Expr:
    """A subgradient: +1 if ŷ > y, −1 if ŷ < y, 0 at a tie (any value in [−1, 1] is valid)."""
    return sp.Piecewise((1, yhat > y), (-1, yhat < y), (0, True))


def huber_loss() -> sp.Expr:
    """L = ½ r² if |r| ≤ δ, else δ (|r| − ½ δ), with r = ŷ − y."""
    r = yhat - y
    return sp.Piecewise((HALF * r**2, sp.Abs(r) <= delta), (delta * (sp.Abs(r) - HALF * delta), True))


def huber_grad() -> sp.Expr:
    """∂L/∂ŷ = r if |r| ≤ δ, else δ · sign(r)."""
    r = yhat - y
    return sp.Piecewise((r, sp.Abs(r) <= delta), (delta * sp.sign(r), True))


def asymmetric_abs_loss() -> sp.Expr:
    """L = α · max(ŷ − y, 0) + β · max(y − ŷ, 0): over-prediction costs α, under-prediction β."""
    return alpha * sp.Max(yhat - y, 0) + beta * sp.Max(y - yhat, 0)


def asymmetric_abs_grad() -> sp.Expr:
    """A subgradient: α if ŷ > y, −β if ŷ < y, 0 at a tie (any value in [−β, α] is valid)."""
    return sp.Piecewise((alpha, yhat > y), (-beta, yhat < y), (0, True))


def linreg_risk(data: Sequence[tuple[float, float]]) -> sp.Expr:
    """R̂(w) = (1/n) Σᵢ ½ (w xᵢ − yᵢ)² for the model ŷ = w x and the points (xᵢ, yᵢ)."""
    n = len(data)
    return sp.Add(*(HALF * (w * sp.nsimplify(xi) - sp.nsimplify(yi)) ** 2 for xi, yi in data)) / n


def linreg_risk_grad(data: Sequence[tuple[float, float]]) -> sp.Expr:
    """dR̂/dw = (1/n) Σᵢ (w xᵢ − yᵢ) xᵢ."""
    return sp.expand(sp.diff(linreg_risk(data), w))


def l2_objective() -> sp.Expr:
    """J(w) = ½ (w x − y)² + (λ/2) w²."""
    return HALF * (w * x - y) ** 2 + lam / 2 * w**2


def l2_objective_grad() -> sp.Expr:
    """dJ/dw = (w x − y) x + λ w."""
    return sp.diff(l2_objective(), w)


# ---------------------------------------------------------------------------- classification
def bce_prob_loss() -> sp.Expr:
    """L(y, p) = −[y log p + (1 − y) log(1 − p)]."""
    return -(y * sp.log(p) + (1 - y) * sp.log(1 - p))


def bce_prob_grad() -> sp.Expr:
    """∂L/∂p = −y/p + (1 − y)/(1 − p)."""
    return sp.diff(bce_prob_loss(), p)


def bce_logit_loss() -> sp.Expr:
    """L(y, z) = −[y log σ(z) + (1 − y) log(1 − σ(z))]."""
    return bce_prob_loss().subs(p, sigmoid(z))


def bce_logit_grad() -> sp.Expr:
    """∂L/∂z = σ(z) − y."""
    return sigmoid(z) - y


def weighted_bce_logit_loss() -> sp.Expr:
    """L = −[α y log σ(z) + β (1 − y) log(1 − σ(z))]."""
    return -(alpha * y * sp.log(sigmoid(z)) + beta * (1 - y) * sp.log(1 - sigmoid(z)))


def weighted_bce_logit_grad() -> sp.Expr:
    """∂L/∂z = −α y (1 − σ(z)) + β (1 − y) σ(z)."""
    return -alpha * y * (1 - sigmoid(z)) + beta * (1 - y) * sigmoid(z)


def softmax(j: int) -> sp.Expr:
    """p̂ⱼ = exp(zⱼ) / Σₖ exp(zₖ) for three classes (j is 0-based)."""
    return sp.exp(ZS[j]) / sp.Add(*(sp.exp(zk) for zk in ZS))


def softmax_ce_loss(targets: Sequence[sp.Expr] = YS) -> sp.Expr:
    """L = −Σⱼ tⱼ log p̂ⱼ for targets t (one-hot y by default)."""
    return -sp.Add(*(t * sp.log(softmax(j)) for j, t in enumerate(targets)))


def softmax_ce_grad() -> list[sp.Expr]:
    """∂L/∂zⱼ = p̂ⱼ − yⱼ (for a one-hot y)."""
    return [softmax(j) - YS[j] for j in range(3)]


def smoothed_targets() -> list[sp.Expr]:
    """ỹⱼ = (1 − ε) yⱼ + ε/3."""
    return [(1 - eps) * yj + eps / 3 for yj in YS]


def label_smoothing_ce_loss() -> sp.Expr:
    """L = −Σⱼ ỹⱼ log p̂ⱼ with smoothed targets ỹ."""
    return softmax_ce_loss(smoothed_targets())


def label_smoothing_ce_grad() -> list[sp.Expr]:
    """∂L/∂zⱼ = p̂ⱼ − ỹⱼ."""
    return [softmax(j) - t for j, t in enumerate(smoothed_targets())]


def hinge_loss() -> sp.Expr:
    """L(y, s) = max(0, 1 − y s), labels y ∈ {−1, +1}."""
    return sp.Max(0, 1 - y * s)


def hinge_grad() -> sp.Expr:
    """A subgradient: −y if y s < 1, else 0 (at y s = 1 any value between −y and 0 is valid)."""
    return sp.Piecewise((-y, y * s < 1), (0, True))

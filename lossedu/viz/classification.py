"""Interactive figures of session 2: logits, probabilities and cross-entropy.

* :func:`softmax_explorer` — three logit sliders drive the softmax probabilities, the
  cross-entropy of a chosen true class and its gradient p̂ − y.
* :func:`bce_curve` — binary cross-entropy as a function of the logit z for y = 1 or y = 0,
  with the tangent of slope p̂ − y, next to the squared error on the probability (which goes
  flat exactly where the model is confidently wrong).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from lossedu import losses
from lossedu.viz._common import (
    COLORS,
    PALETTE,
    LiveFigure,
    dropdown,
    new_figure,
    slider,
    style_axes,
    tangent_inside,
    toggle,
)

__all__ = ["softmax_explorer", "bce_curve"]

#: Range of the logit sliders and of the z axis.
Z_RANGE = (-6.0, 6.0)


def softmax_explorer(z: Sequence[float] = (2.0, 0.0, -1.0), true_class: int = 2) -> LiveFigure:
    """Logits → softmax probabilities → cross-entropy −log p̂_c, for K = 3 classes.

    Left: the probabilities p̂ⱼ = exp(zⱼ) / Σₖ exp(zₖ) as bars (the true class highlighted).
    Right: the gradient ∂L/∂zⱼ = p̂ⱼ − yⱼ as bars.

    Parameters
    ----------
    z : three floats
        Starting logits (sliders from −6 to 6); the default is practice problem 2.
    true_class : {1, 2, 3}
        The true class c, counted from 1 as in the lesson text.

    Returns
    -------
    LiveFigure
        Controls ``z1``, ``z2``, ``z3``, ``true_class``; reports ``p1``, ``p2``, ``p3``,
        ``loss`` (= −log p̂_c) and ``grad1``, ``grad2``, ``grad3``.
    """
    z = [float(v) for v in z]
    if len(z) != 3:
        raise ValueError(f"z must have 3 logits (K = 3), got {len(z)}")
    if true_class not in (1, 2, 3):
        raise ValueError(f"true_class must be 1, 2 or 3 (counted from 1), got {true_class!r}")
    lo, hi = Z_RANGE
    if not all(lo <= v <= hi for v in z):
        raise ValueError(f"each logit must lie in [{lo}, {hi}] (the slider range), got {z}")

    fig, (ax_p, ax_g) = new_figure(1, 2, figsize=(9.0, 3.8))
    style_axes(ax_p, "class j", "probability p̂ⱼ", "softmax(z)")
    style_axes(ax_g, "class j", "∂L/∂zⱼ = p̂ⱼ − yⱼ", "gradient of the cross-entropy")
    classes = np.arange(1, 4)
    p_bars = ax_p.bar(classes, np.zeros(3), color=PALETTE["sky"], edgecolor="black")
    g_bars = ax_g.bar(classes, np.zeros(3), color=PALETTE["sky"], edgecolor="black")
    p_labels = [ax_p.text(j, 0.0, "", ha="center", va="bottom", fontsize=9) for j in classes]
    for ax in (ax_p, ax_g):
        ax.set_xticks(classes)
    ax_p.set_ylim(0, 1.12)
    ax_g.set_ylim(-1.05, 1.05)
    ax_g.axhline(0.0, color="black", lw=0.8)

    def draw(z1: float, z2: float, z3: float, true_class: int) -> dict[str, float]:
        logits = np.array([z1, z2, z3])
        c = true_class - 1
        p = losses.softmax(logits)
        loss = float(losses.softmax_cross_entropy(c, logits))
        grad = losses.softmax_cross_entropy_grad(c, logits)
        for j in range(3):
            colour = PALETTE["vermillion"] if j == c else PALETTE["sky"]
            p_bars[j].set_height(p[j])
            p_bars[j].set_facecolor(colour)
            g_bars[j].set_height(grad[j])
            g_bars[j].set_facecolor(colour)
            p_labels[j].set_position((j + 1, p[j] + 0.01))
            p_labels[j].set_text(f"{p[j]:.3f}")
        values = {f"p{j + 1}": float(p[j]) for j in range(3)}
        values["loss"] = loss
        values.update({f"grad{j + 1}": float(grad[j]) for j in range(3)})
        return values

    controls = {
        "z1": slider(z[0], lo, hi, 0.1, "z₁"),
        "z2": slider(z[1], lo, hi, 0.1, "z₂"),
        "z3": slider(z[2], lo, hi, 0.1, "z₃"),
        "true_class": dropdown([1, 2, 3], true_class, "true class c"),
    }
    labels = {f"p{j}": f"p̂{j}" for j in (1, 2, 3)}
    labels.update({f"grad{j}": f"∂L/∂z{j}" for j in (1, 2, 3)})
    labels["loss"] = "L"
    return LiveFigure(fig, controls, draw, labels=labels)


def bce_curve(z: float = -1.0, y: int = 1) -> LiveFigure:
    """Binary cross-entropy over the logit z, with the tangent at ``z``.

    Left: L(y, z) = −[y log σ(z) + (1 − y) log(1 − σ(z))] over z, the current point and its
    tangent of slope p̂ − y; dashed, the squared error ½(σ(z) − y)² on the probability for
    comparison. Right: both gradients over z, so the flat region of the squared error is visible.

    Parameters
    ----------
    z : float
        Starting logit (slider from −6 to 6); the default is the worked example z = −1.
    y : {0, 1}
        The label (toggle).

    Returns
    -------
    LiveFigure
        Controls ``z``, ``y``; reports ``p`` (= σ(z)), ``bce``, ``grad_bce`` (= p̂ − y),
        ``sq_prob`` (= ½(p̂ − y)²) and ``grad_sq_prob`` (= (p̂ − y) p̂ (1 − p̂)).
    """
    lo, hi = Z_RANGE
    if not lo <= z <= hi:
        raise ValueError(f"z must lie in [{lo}, {hi}] (the slider range), got {z}")
    if y not in (0, 1):
        raise ValueError(f"y must be 0 or 1, got {y!r}")
    z_grid = np.linspace(lo, hi, 241)

    fig, (ax_l, ax_g) = new_figure(1, 2, figsize=(10.0, 3.9))
    style_axes(ax_l, "logit z", "loss", "Loss of one example over its logit")
    style_axes(ax_g, "logit z", "d loss / dz", "Gradient signal")
    (bce_line,) = ax_l.plot(z_grid, np.zeros_like(z_grid), color=COLORS[0], lw=2,
                            label="BCE  −log p̂(y)")
    (sq_line,) = ax_l.plot(z_grid, np.zeros_like(z_grid), color=COLORS[1], lw=2, ls="--",
                           label="½(σ(z) − y)²")
    (tangent,) = ax_l.plot([], [], color=COLORS[2], lw=1.8, ls="-.", label="tangent, slope p̂ − y")
    (point,) = ax_l.plot([], [], "o", color=COLORS[2], ms=8, zorder=4)
    (g_bce,) = ax_g.plot(z_grid, np.zeros_like(z_grid), color=COLORS[0], lw=2, label="p̂ − y")
    (g_sq,) = ax_g.plot(z_grid, np.zeros_like(z_grid), color=COLORS[1], lw=2, ls="--",
                        label="(p̂ − y) p̂ (1 − p̂)")
    (g_point,) = ax_g.plot([], [], "o", color=COLORS[2], ms=8, zorder=4)
    ax_l.set_xlim(lo, hi)
    ax_l.set_ylim(-0.2, 6.5)
    ax_g.set_xlim(lo, hi)
    ax_g.set_ylim(-1.1, 1.1)
    ax_g.axhline(0.0, color="black", lw=0.8)
    ax_l.legend(loc="upper center", fontsize=8)
    ax_g.legend(loc="lower right", fontsize=8)
    def draw(z: float, y: int) -> dict[str, float]:
        p_grid = losses.sigmoid(z_grid)
        bce_line.set_ydata(losses.bce_with_logits(y, z_grid))
        sq_line.set_ydata(losses.mse(y, p_grid))
        g_bce.set_ydata(losses.bce_with_logits_grad(y, z_grid))
        g_sq.set_ydata(losses.mse_grad(y, p_grid) * p_grid * (1.0 - p_grid))
        p = float(losses.sigmoid(z))
        bce = float(losses.bce_with_logits(y, z))
        grad = float(losses.bce_with_logits_grad(y, z))
        tangent.set_data(*tangent_inside(ax_l, z, bce, grad, half=1.2))
        point.set_data([z], [bce])
        g_point.set_data([z], [grad])
        return {
            "p": p,
            "bce": bce,
            "grad_bce": grad,
            "sq_prob": float(losses.mse(y, p)),
            "grad_sq_prob": float(losses.mse_grad(y, p) * p * (1.0 - p)),
        }

    controls = {"z": slider(z, lo, hi, 0.1, "logit z"), "y": toggle([0, 1], y, "label y")}
    labels = {"p": "p̂", "bce": "BCE", "grad_bce": "∂BCE/∂z", "sq_prob": "½(p̂−y)²",
              "grad_sq_prob": "∂½(p̂−y)²/∂z"}
    return LiveFigure(fig, controls, draw, labels=labels)

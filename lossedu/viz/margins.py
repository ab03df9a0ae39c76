"""Session 3 figure: classification losses as functions of the margin m = y·s.

For a label y in {-1, +1} and a score s, every margin loss depends on the pair only through
m = y·s. With y = +1 the score is the margin, so ``d loss / d s = d loss / d m``:

=========  ========================  ==============================
loss       value at margin m         (sub)gradient d/dm
=========  ========================  ==============================
0-1        1 if m <= 0 else 0        0 (undefined at m = 0)
hinge      max(0, 1 - m)             -1 if m < 1, 0 if m >= 1
logistic   log(1 + exp(-m))          -sigmoid(-m)
squared    (1/2)(1 - m)^2          -(1 - m)
=========  ========================  ==============================

Values come from :mod:`lossedu.losses`, so the figure shows the course's own functions.

>>> live = loss_vs_margin()
>>> round(live.update(margin=0.2)["hinge"], 4)
0.8
"""
from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from lossedu import losses
from lossedu.viz._common import COLORS, LINESTYLES, LiveFigure, new_figure, slider, style_axes

__all__ = ["MARGIN_LOSSES", "margin_loss", "margin_loss_grad", "loss_vs_margin"]

#: The losses the figure draws, in legend order: id -> legend label.
MARGIN_LOSSES: dict[str, str] = {
    "zero_one": "0-1",
    "hinge": "hinge max(0, 1-m)",
    "logistic": "logistic log(1+e^(-m))",
    "squared": "squared ½(1-m)^2",
}

MARGIN_RANGE = (-2.0, 3.0)


#: id -> (loss, its derivative) from :mod:`lossedu.losses`, called with label y = +1 and score m.
_LIBRARY: dict[str, tuple] = {
    "zero_one": (losses.zero_one, losses.zero_one_grad),
    "hinge": (losses.hinge, losses.hinge_grad),
    "logistic": (losses.bce_with_logits, losses.bce_with_logits_grad),
    "squared": (losses.mse, losses.mse_grad),
}


def _pair(name: str) -> tuple:
    if name not in _LIBRARY:
        raise ValueError(f"name must be one of {sorted(MARGIN_LOSSES)}, got {name!r}")
    return _LIBRARY[name]


def margin_loss(name: str, m: np.ndarray) -> np.ndarray:
    """Loss ``name`` (a key of :data:`MARGIN_LOSSES`) at margins ``m``, shape of ``m``.

    Evaluated with label y = +1 and score s = m, so the margin y·s equals m. The logistic
    loss is binary cross-entropy from logits with the label written as 1 (y01 = (y + 1) / 2).
    """
    m = np.asarray(m, dtype=float)
    return _pair(name)[0](np.ones_like(m), m)


def margin_loss_grad(name: str, m: np.ndarray) -> np.ndarray:
    """(Sub)gradient of ``margin_loss(name, m)`` with respect to the margin m.

    The 0-1 loss is flat wherever it is differentiable, so its gradient is 0 (at m = 0 it has
    none; 0 is reported). The hinge gradient at its kink m = 1 is the library's choice, 0.
    """
    m = np.asarray(m, dtype=float)
    return _pair(name)[1](np.ones_like(m), m)


def loss_vs_margin(margin: float = 0.5, n_points: int = 501) -> LiveFigure:
    """Every margin loss against the margin, a marker that follows a margin slider.

    Controls: ``margin`` (float slider on [-2, 3]) and one check box per loss
    (``zero_one``, ``hinge``, ``logistic``, ``squared``) that shows or hides its curve and marker.
    The readout gives each shown loss and its (sub)gradient at the chosen margin; a hidden loss
    leaves the legend and the readout.

    Returns
    -------
    LiveFigure
        ``.update(margin=..., hinge=False)`` moves the markers / hides a curve and returns
        ``{"margin", "<loss>", "<loss>_grad" for each loss}``.
    """
    grid = np.linspace(*MARGIN_RANGE, n_points)
    fig, ax = new_figure(figsize=(6.4, 4.0))
    style_axes(ax, "margin m = y·s", "loss", "Classification losses against the margin")
    curves, markers = {}, {}
    for i, (name, label) in enumerate(MARGIN_LOSSES.items()):
        values = margin_loss(name, grid)
        if name == "zero_one":  # draw the jump as a step, not a slanted segment
            (curves[name],) = ax.step(grid, values, where="post", color=COLORS[i], lw=2, label=label)
        else:
            (curves[name],) = ax.plot(grid, values, color=COLORS[i], ls=LINESTYLES[i], lw=2, label=label)
        (markers[name],) = ax.plot([margin], [0.0], "o", color=COLORS[i], ms=8)
    cursor = ax.axvline(margin, color="#555555", lw=1, ls=":")
    ax.axvline(0.0, color="#999999", lw=0.8)
    ax.axvline(1.0, color="#999999", lw=0.8, ls="--")
    ax.set_xlim(*MARGIN_RANGE)
    ax.set_ylim(-0.1, 4.7)  # the squared loss reaches 4.5 at m = -2
    ax.legend(loc="upper right", fontsize=9)
    legend_for: dict[str, tuple[str, ...]] = {"shown": tuple(MARGIN_LOSSES)}

    controls: dict[str, widgets.ValueWidget] = {"margin": slider(margin, *MARGIN_RANGE, 0.05, "margin m")}
    for name, label in MARGIN_LOSSES.items():
        controls[name] = widgets.Checkbox(value=True, description=label.split(" ")[0], indent=False)

    def draw(margin: float, **shown: bool) -> dict[str, float]:
        values: dict[str, float] = {"margin": float(margin)}
        cursor.set_xdata([margin, margin])
        for name in MARGIN_LOSSES:
            curves[name].set_visible(bool(shown[name]))
            markers[name].set_visible(bool(shown[name]))
            if not shown[name]:
                continue  # a hidden loss leaves the legend and the readout too
            loss = float(margin_loss(name, np.array([margin]))[0])
            grad = float(margin_loss_grad(name, np.array([margin]))[0])
            markers[name].set_data([margin], [loss])
            values[name] = loss
            values[f"{name}_grad"] = grad
        visible = tuple(name for name in MARGIN_LOSSES if shown[name])
        if visible != legend_for["shown"]:
            handles = [curves[name] for name in visible]
            if handles:
                ax.legend(handles=handles, loc="upper right", fontsize=9)
            elif ax.legend_ is not None:
                ax.legend_.remove()
            legend_for["shown"] = visible
        return values

    return LiveFigure(fig, controls, draw, digits=4)

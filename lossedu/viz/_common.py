"""Shared pieces of the lesson figures: palette, axes styling and the in-place update pattern.

Every interactive figure of the course is a :class:`LiveFigure`: a matplotlib figure built once,
a few ipywidgets controls, and a ``draw`` function that moves the existing artists
(``line.set_ydata``, ``bars[i].set_height``, ``text.set_text``) and returns the numbers the
figure reports. On every change the same figure is rendered again into one
``ipywidgets.Output``; no new figure is ever created.

>>> fig, ax = new_figure()
>>> (line,) = ax.plot([0, 1], [0, 0], color=PALETTE["blue"])
>>> def draw(a):
...     line.set_ydata([0, a])
...     return {"slope": a}
>>> live = LiveFigure(fig, {"a": slider(1.0, 0.0, 2.0, 0.5, "a")}, draw)
>>> live.update(a=2.0)["slope"]
2.0
"""
from __future__ import annotations

import base64
import html
import io
import math
import time
from typing import Any, Callable, Mapping

import ipywidgets as widgets
import matplotlib
import matplotlib.pyplot as plt
from IPython.display import display

__all__ = [
    "PALETTE",
    "COLORS",
    "LiveFigure",
    "new_figure",
    "style_axes",
    "slider",
    "toggle",
    "dropdown",
    "format_value",
]

#: Okabe–Ito colours: distinguishable under the common colour-vision deficiencies.
PALETTE: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}

#: The order in which figures pick colours for series (loss 1, loss 2, ...).
COLORS: tuple[str, ...] = (
    PALETTE["blue"],
    PALETTE["vermillion"],
    PALETTE["green"],
    PALETTE["orange"],
    PALETTE["purple"],
    PALETTE["sky"],
    PALETTE["black"],
)

#: Line styles to pair with COLORS, so series differ in more than hue.
LINESTYLES: tuple[str, ...] = ("-", "--", "-.", ":", "-", "--", "-.")


def new_figure(
    nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] = (6.4, 4.0), **kwargs: Any
) -> tuple[matplotlib.figure.Figure, Any]:
    """Create a figure with ``nrows x ncols`` axes that pyplot will not display on its own.

    The figure is closed in pyplot right away, so the inline backend does not print it a second
    time at the end of the cell; :class:`LiveFigure` renders it explicitly. The layout is
    "constrained" unless given, so labels of neighbouring axes do not overlap.

    Returns
    -------
    (fig, axes) : as from ``plt.subplots``.
    """
    kwargs.setdefault("layout", "constrained")
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, **kwargs)
    plt.close(fig)
    return fig, axes


def style_axes(ax: Any, xlabel: str, ylabel: str, title: str | None = None) -> Any:
    """Label the axes, add a light grid and an optional title; returns ``ax``."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    return ax


def slider(
    value: float,
    min: float,
    max: float,
    step: float,
    description: str,
    continuous_update: bool = False,
) -> widgets.FloatSlider:
    """A float slider with a readable label width and fixed precision in its own readout.

    ``continuous_update`` is off by default: a redraw renders a PNG (about 0.1 s), so sending
    every mouse move while dragging would queue redraws behind the pointer. The figure follows
    when the slider is released (and at once for clicks and arrow keys).
    """
    if not (min <= value <= max):
        raise ValueError(f"slider value must lie in [min, max] = [{min}, {max}], got {value}")
    return widgets.FloatSlider(
        value=value,
        min=min,
        max=max,
        step=step,
        description=description,
        continuous_update=continuous_update,
        readout_format=".2f",
        style={"description_width": "initial"},
        layout=widgets.Layout(width="360px"),
    )


def toggle(options: list[Any] | dict[str, Any], value: Any, description: str) -> widgets.ToggleButtons:
    """A row of toggle buttons (for example the label y in {0, 1})."""
    return widgets.ToggleButtons(
        options=options, value=value, description=description, style={"button_width": "80px"}
    )


def dropdown(options: list[Any] | dict[str, Any], value: Any, description: str) -> widgets.Dropdown:
    """A drop-down menu (for example the true class)."""
    return widgets.Dropdown(options=options, value=value, description=description)


def format_value(value: Any, digits: int = 4) -> str:
    """Format a readout value: floats with ``digits`` decimals, everything else with ``str``."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{digits}f}"


class LiveFigure:
    """A matplotlib figure driven by ipywidgets controls, updated in place.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Built once (see :func:`new_figure`); its artists are moved by ``draw``.
    controls : mapping name -> ipywidgets value widget
        Each control's ``value`` is passed to ``draw`` as the keyword ``name``.
    draw : callable(**controls) -> dict
        Moves the existing artists to show the current control values and returns the numbers
        the figure reports (name -> value). It must not add artists or figures.
    labels : mapping name -> str, optional
        How each reported value is named in the readout (HTML allowed; default: the name).
    digits : int
        Decimals of the readout.
    dpi : int
        Resolution of the rendered image.

    Attributes
    ----------
    widget : ipywidgets.VBox
        Controls, readout and figure; what a notebook displays.
    values : dict
        The numbers of the last update (what the readout shows).
    last_update_ms : float
        Wall time of the last update (moving the artists and rendering the PNG), in milliseconds.
    readout : ipywidgets.HTML
        The readout label, with CSS class ``lossedu-readout``; each value is a
        ``<span data-key="name">`` so a browser test can read it.
    output : ipywidgets.Output
        Where the figure is rendered.
    """

    def __init__(
        self,
        fig: matplotlib.figure.Figure,
        controls: Mapping[str, widgets.ValueWidget],
        draw: Callable[..., dict[str, Any]],
        labels: Mapping[str, str] | None = None,
        digits: int = 4,
        dpi: int = 80,
    ) -> None:
        self.fig = fig
        self.controls = dict(controls)
        self._draw = draw
        self.labels = dict(labels or {})
        self.digits = digits
        self.dpi = dpi
        self.values: dict[str, Any] = {}
        self.last_update_ms = float("nan")
        self.n_updates = 0
        self._holding = False

        self.output = widgets.Output()
        self.readout = widgets.HTML()
        self.readout.add_class("lossedu-readout")
        self.widget = widgets.VBox([*self.controls.values(), self.readout, self.output])
        self.widget.add_class("lossedu-livefigure")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self._freeze_layout()
        self.update()

    def _freeze_layout(self) -> None:
        """Lay the figure out once (with its first values), then keep the axes where they are.

        Re-solving a constrained layout on every redraw costs about a third of the render time,
        and the axes limits of a live figure are fixed, so the layout would not change anyway.
        """
        state = {name: control.value for name, control in self.controls.items()}
        self._draw(**state)
        if self.fig.get_layout_engine() is not None:
            self.fig.canvas.draw()
            self.fig.set_layout_engine("none")

    # -- driving the figure ---------------------------------------------------------------
    def update(self, **values: Any) -> dict[str, Any]:
        """Set some controls (by name), redraw once in place, and return the reported values."""
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise ValueError(
                f"unknown control(s) {unknown}; this figure has {sorted(self.controls)}"
            )
        start = time.perf_counter()
        self._holding = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._holding = False
        state = {name: control.value for name, control in self.controls.items()}
        self.values = dict(self._draw(**state))
        self.readout.value = self._readout_html()
        self._render()
        self.last_update_ms = (time.perf_counter() - start) * 1000.0
        self.n_updates += 1
        return self.values

    def _on_change(self, change: Any) -> None:
        if not self._holding:
            self.update()

    def _readout_html(self) -> str:
        parts = []
        for name, value in self.values.items():
            label = self.labels.get(name, html.escape(name))
            text = format_value(value, self.digits)
            parts.append(
                f'<span class="lossedu-value" data-key="{html.escape(name)}">'
                f"{label} = <b>{text}</b></span>"
            )
        return '<div style="font-family: monospace">' + " &nbsp;·&nbsp; ".join(parts) + "</div>"

    def _render(self) -> None:
        """Render the same figure to a PNG and put it into the output area, replacing the last one.

        The image goes into the Output widget's ``outputs`` state in one assignment (what
        ``Output.append_display_data`` does), not through ``display()`` inside ``with output:``:
        the swap is flicker-free like ``clear_output(wait=True)``, and no display message
        reaches the notebook cell, so a cell that calls ``update`` stores only what it prints.
        """
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=self.dpi)
        width, height = self.fig.get_size_inches() * self.dpi
        data = {
            "image/png": base64.b64encode(buffer.getvalue()).decode("ascii"),
            "text/plain": f"<Figure size {width:.0f}x{height:.0f} with {len(self.fig.axes)} Axes>",
        }
        self.output.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)

    # -- display ---------------------------------------------------------------------------
    def _ipython_display_(self) -> None:
        display(self.widget)

    def readout_text(self) -> str:
        """The reported values as plain text, one ``name = value`` per line (fixed precision)."""
        return "\n".join(f"{k} = {format_value(v, self.digits)}" for k, v in self.values.items())

    def savefig(self, path: str, dpi: int = 100) -> None:
        """Save the current state of the figure as an image."""
        self.fig.savefig(path, dpi=dpi, bbox_inches="tight")

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={format_value(v, self.digits)}" for k, v in self.values.items())
        return f"{type(self).__name__}({shown})"

"""Shared pieces of the lesson figures: palette, axes styling and the in-place update pattern.

Every interactive figure of the course is a :class:`LiveFigure`: a matplotlib figure built once,
a few ipywidgets controls, and a ``draw`` function that moves the existing artists
(``line.set_ydata``, ``bars[i].set_height``, ``text.set_text``) and returns the numbers the
figure reports. On every change the same figure is rendered again (only what moved, see
:mod:`lossedu.viz._render`) into one ``ipywidgets.Output``; no new figure is ever created.

Widget events may arrive on any thread (the kernel handles comm messages on its own threads), so
one figure renders one update at a time; updates that arrive meanwhile are coalesced, and the
latest control values win. Each image carries a text alternative (alt text) made of the figure's
description and its readout, and a displayed figure also leaves a static image of its first
state in the notebook, which readers see before the kernel runs.

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
import math
import threading
import time
from typing import Any, Callable, Mapping

import ipywidgets as widgets
import matplotlib
import matplotlib.pyplot as plt
from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine
from IPython.display import display

from lossedu.viz._render import _LIVE_CSS, Renderer, _plain, figure_description, image_html

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
    "tangent_inside",
    "figure_description",
    "image_html",
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

    ``continuous_update`` is off by default: the figure follows when the slider is released (and at
    once for clicks and arrow keys). Bursts of changes are coalesced by :class:`LiveFigure`.
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


def tangent_inside(ax: Any, x0: float, y0: float, slope: float, half: float) -> tuple[list, list]:
    """End points of the tangent y = y0 + slope·(x − x0), at most ``half`` to each side of x0,
    shortened so both ends stay inside the axes limits."""
    (x_lo, x_hi), (y_lo, y_hi) = ax.get_xlim(), ax.get_ylim()
    left, right = min(half, x0 - x_lo), min(half, x_hi - x0)
    if slope > 0:
        left, right = min(left, (y0 - y_lo) / slope), min(right, (y_hi - y0) / slope)
    elif slope < 0:
        left, right = min(left, (y_hi - y0) / -slope), min(right, (y0 - y_lo) / -slope)
    left, right = max(left, 0.0), max(right, 0.0)
    return [x0 - left, x0 + right], [y0 - slope * left, y0 + slope * right]


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


#: What the live figure's output says where the widget cannot render (the static image is above).
WIDGET_HINT = "Interactive figure: run the notebook to use its controls."


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
    description : str, optional
        What the figure shows, for readers who cannot see it (default: from the axes titles and
        labels, see :func:`figure_description`). The alt text is this plus the readout.

    Attributes
    ----------
    widget : ipywidgets.VBox
        Controls, readout and figure; what a notebook displays.
    values : dict
        The numbers of the last update (what the readout shows).
    last_update_ms : float
        Wall time of the last update (moving the artists and rendering the PNG), in milliseconds.
    timings : dict
        Where the last update's time went, in ms: ``draw``, ``render``, ``encode``.
    n_updates : int
        How many frames were rendered.
    readout : ipywidgets.HTML
        The readout label, with CSS class ``lossedu-readout``; each value is a
        ``<span data-key="name">`` so a browser test can read it. Screen readers announce changes
        (``aria-live``).
    output : ipywidgets.Output
        Where the figure is rendered (an ``<img>`` with alt text).
    """

    def __init__(
        self,
        fig: matplotlib.figure.Figure,
        controls: Mapping[str, widgets.ValueWidget],
        draw: Callable[..., dict[str, Any]],
        labels: Mapping[str, str] | None = None,
        digits: int = 4,
        dpi: int = 80,
        description: str | None = None,
    ) -> None:
        self.fig = fig
        self.controls = dict(controls)
        self._draw = draw
        self.labels = dict(labels or {})
        self.digits = digits
        self.dpi = dpi
        self.description = description or figure_description(fig)
        self.values: dict[str, Any] = {}
        self.last_update_ms = float("nan")
        self.timings: dict[str, float] = {}
        self.n_updates = 0
        self.png = b""
        self.first_png = b""
        # One render at a time (RLock: a control set inside update() re-enters); widget events
        # from several threads are coalesced through _pending / _busy under _flag.
        self._render_lock = threading.RLock()
        self._flag = threading.Lock()
        self._pending = False
        self._busy = False
        self._local = threading.local()

        self.output = widgets.Output()
        self.readout = widgets.HTML()
        self.readout.add_class("lossedu-readout")
        self.widget = widgets.VBox([*self.controls.values(), self.readout, self.output])
        self.widget.add_class("lossedu-livefigure")
        self._renderer = Renderer(fig, dpi)
        self._freeze_layout()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()
        self.first_png = self.png
        self.first_alt = self.alt_text()

    def _freeze_layout(self) -> None:
        """Lay the figure out once (with its first values), then keep the axes where they are.

        Re-solving a constrained layout on every redraw costs about a third of the render time,
        and the axes limits of a live figure are fixed, so the layout would not change anyway.
        """
        state = {name: control.value for name, control in self.controls.items()}
        self._draw(**state)
        engine = self.fig.get_layout_engine()
        if isinstance(engine, (ConstrainedLayoutEngine, TightLayoutEngine)):
            # A figure closed in pyplot before its first draw skips its layout engine when drawn,
            # so the engine is run explicitly (after a draw, which sizes the texts).
            self._renderer.canvas.draw()
            engine.execute(self.fig)
            self.fig.set_layout_engine("none")

    # -- driving the figure ---------------------------------------------------------------
    def update(self, **values: Any) -> dict[str, Any]:
        """Set some controls (by name), redraw once in place, and return the reported values.

        Safe to call from any thread: renders run one at a time.
        """
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise ValueError(
                f"unknown control(s) {unknown}; this figure has {sorted(self.controls)}"
            )
        with self._render_lock:
            self._local.holding = True
            try:
                for name, value in values.items():
                    self.controls[name].value = value
            finally:
                self._local.holding = False
            return self._redraw()

    def _redraw(self) -> dict[str, Any]:
        """Draw the current control values and render them (caller holds the render lock)."""
        start = time.perf_counter()
        state = {name: control.value for name, control in self.controls.items()}
        self.values = dict(self._draw(**state))
        drawn = time.perf_counter()
        self.readout.value = self._readout_html()
        self.png = self._renderer.render()
        rendered = time.perf_counter()
        self._show(self.png)
        end = time.perf_counter()
        self.timings = {"draw": (drawn - start) * 1000.0, "render": (rendered - drawn) * 1000.0,
                        "encode": self._renderer.last_encode_ms}
        self.timings["render"] -= self.timings["encode"]
        self.last_update_ms = (end - start) * 1000.0
        self.n_updates += 1
        return self.values

    def _on_change(self, change: Any) -> None:
        """A control changed (on any thread): render, or leave it to the render in progress."""
        if getattr(self._local, "holding", False):
            return  # update() sets several controls, then renders once
        with self._flag:
            self._pending = True
            if self._busy:
                return  # the thread rendering now picks the latest values up afterwards
            self._busy = True
        try:
            while True:
                with self._flag:
                    if not self._pending:
                        self._busy = False
                        return
                    self._pending = False
                with self._render_lock:
                    self._redraw()
        except BaseException:
            with self._flag:
                self._busy = False
            raise

    # -- text alternatives -------------------------------------------------------------------
    def readout_text(self) -> str:
        """The reported values as plain text, one ``name = value`` per line (fixed precision)."""
        return "\n".join(f"{k} = {format_value(v, self.digits)}" for k, v in self.values.items())

    def alt_text(self) -> str:
        """What a screen reader says for the image: the description, the controls, the readout."""
        settings = ", ".join(
            f"{_plain(getattr(control, 'description', '') or name)} = "
            f"{format_value(control.value, 2)}"
            for name, control in self.controls.items()
        )
        shown = ", ".join(
            f"{_plain(self.labels.get(k, k))} = {format_value(v, self.digits)}"
            for k, v in self.values.items()
        )
        return f"{self.description} Settings: {settings}. Current values: {shown}."

    def _readout_html(self) -> str:
        parts = []
        for name, value in self.values.items():
            label = self.labels.get(name, html.escape(name))
            text = format_value(value, self.digits)
            parts.append(
                f'<span class="lossedu-value" data-key="{html.escape(name)}">'
                f"{label} = <b>{text}</b></span>"
            )
        body = " &nbsp;·&nbsp; ".join(parts)
        return f'{_LIVE_CSS}<div style="font-family: monospace" aria-live="polite">{body}</div>'

    def _show(self, png: bytes) -> None:
        """Put the image into the output area, replacing the last one.

        The image goes into the Output widget's ``outputs`` state in one assignment (what
        ``Output.append_display_data`` does), not through ``display()`` inside ``with output:``:
        the swap is flicker-free like ``clear_output(wait=True)``, and no display message
        reaches the notebook cell, so a cell that calls ``update`` stores only what it prints.
        """
        alt = self.alt_text()
        b64 = base64.b64encode(png).decode("ascii")
        data = {"text/html": image_html(b64, alt, "lossedu-figure"), "text/plain": alt}
        self.output.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)

    # -- display ---------------------------------------------------------------------------
    def static_bundle(self) -> dict[str, str]:
        """The first state as a plain image output (PNG + alt text) for readers without a kernel."""
        b64 = base64.b64encode(self.first_png).decode("ascii")
        alt = self.first_alt + " (A static picture of the starting state; run the notebook to "
        alt += "use the controls.)"
        return {"text/html": image_html(b64, alt, "lossedu-static-figure"), "image/png": b64,
                "text/plain": alt}

    def _ipython_display_(self) -> None:
        """Show a static image of the first state, then the live widget.

        Before the kernel runs (and on static viewers such as nbviewer or GitHub) the stored
        notebook still shows the image; once the live widget renders, its CSS hides that image.
        Where the widget cannot render (an untrusted notebook in JupyterLab shows a widget's
        plain-text form instead), the widget output reads as a one-line hint, not a widget repr.
        """
        display(self.static_bundle(), raw=True)
        bundle = dict(self.widget._repr_mimebundle_() or {})
        bundle["text/plain"] = WIDGET_HINT
        display(bundle, raw=True)

    def savefig(self, path: str, dpi: int = 100) -> None:
        """Save the current state of the figure as an image."""
        with self._render_lock:
            self.fig.savefig(path, dpi=dpi, bbox_inches="tight")
            self.fig.set_dpi(self.dpi)
            self._renderer.invalidate()

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={format_value(v, self.digits)}" for k, v in self.values.items())
        return f"{type(self).__name__}({shown})"

"""Fast, repeatable rendering of one live figure: redraw only what moved, encode PNG quickly.

A lesson figure changes a few artists per update (a line's data, a marker, a text) while its
axes, ticks, labels, titles, grid and legends stay as they are. Drawing those again on every
update is where the time went (text layout and glyph rendering, more than half of a frame), so
:class:`Renderer` keeps a picture of the unchanging part, the *background*, and per update
restores it and draws only the artists that change (matplotlib's "blitting"):

1. After ``draw`` moved the artists, every artist it touched is *stale* (matplotlib marks it).
2. Stale artists the renderer already knows as dynamic: restore the background, draw them (and
   whatever static artist lies above them inside the same axes) in z-order. That is the fast
   path. Legends stay in the background: they sit where no data goes.
3. Anything else (a new dynamic artist, changed axes limits, an artist added or removed such as
   a rebuilt legend): mark the dynamic
   artists ``animated`` (so a full draw leaves them out), draw everything once, keep that as the
   new background, then draw the dynamic artists on top. The set of dynamic artists only grows,
   so after the first few updates every update takes the fast path.

The PNG is encoded from the Agg buffer with a low zlib level: the images are a few hundred
pixels of flat colours, level 1 is nearly as small as level 6 and takes about half the time.
"""
from __future__ import annotations

import html
import io
import re
import time
from typing import Any, Iterable

import matplotlib.figure
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

__all__ = ["Renderer", "encode_png", "figure_description", "image_html"]

#: zlib level of the PNG encoder (1 = fastest that still compresses flat colours well).
PNG_COMPRESS_LEVEL = 1


def encode_png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas's current pixels as PNG bytes (RGB, no alpha: figures have a white face)."""
    width, height = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="png", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def _stale(artist: Artist) -> bool:
    """True when ``artist`` or anything inside it changed since the last draw."""
    return bool(artist.stale) or any(_stale(child) for child in artist.get_children())


def _units(ax: Any) -> list[Artist]:
    """The artists of one axes that a figure's ``draw`` may change, each drawn as one piece."""
    units: list[Artist] = [*ax.lines, *ax.collections, *ax.patches, *ax.texts, *ax.images]
    units += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
    if ax.legend_ is not None:
        units.append(ax.legend_)
    return units


class Renderer:
    """Renders ``fig`` into PNG bytes, redrawing only the artists that changed.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Its layout must be fixed (no layout engine) before the first :meth:`render`.
    dpi : float
        Pixels per inch of the image.

    Attributes
    ----------
    full_draws, fast_draws : int
        How many frames needed a full draw and how many took the fast path.
    """

    def __init__(self, fig: matplotlib.figure.Figure, dpi: float) -> None:
        self.fig = fig
        fig.set_dpi(dpi)
        self.canvas = FigureCanvasAgg(fig)  # our own canvas: never the notebook backend's
        self.dynamic: set[Artist] = set()
        self._background: Any = None
        self._limits: list[tuple] = []
        self.full_draws = 0
        self.fast_draws = 0
        self.last_encode_ms = float("nan")

    def invalidate(self) -> None:
        """Forget the background: the next frame is a full draw (after a savefig, a dpi change)."""
        self._background = None

    # -- what changed ---------------------------------------------------------------------------
    def _axes_limits(self) -> list[tuple]:
        """Limits and the artists each axes holds: when either changes, the background is old."""
        return [(tuple(ax.get_xlim()), tuple(ax.get_ylim()), tuple(map(id, _units(ax))))
                for ax in self.fig.axes]

    def _changed(self) -> tuple[set[Artist], bool]:
        """(stale artists, whether something outside the known units changed)."""
        changed: set[Artist] = set()
        for ax in self.fig.axes:
            changed.update(unit for unit in _units(ax) if _stale(unit))
        other = self._axes_limits() != self._limits
        other = other or any(_stale(a) for a in (*self.fig.texts, *self.fig.legends))
        return changed, other

    def _draw_list(self, ax: Any) -> list[Artist]:
        """The dynamic artists of ``ax`` and every artist above the lowest of them, in z-order."""
        units = _units(ax)
        dynamic = [a for a in units if a in self.dynamic]
        if not dynamic:
            return []
        floor = min(a.get_zorder() for a in dynamic)
        # Titles and axis labels sit outside the axes; a legend sits where no data goes (a test
        # holds every lesson figure to that): dynamic artists never reach them, so they stay in
        # the background instead of being drawn again on top.
        apart = {ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label,
                 ax.legend_}
        static = [a for a in units if a not in self.dynamic and a not in apart]
        above = [a for a in (*static, *ax.spines.values()) if a.get_zorder() > floor]
        return sorted(dynamic + above, key=lambda a: a.get_zorder())

    # -- drawing --------------------------------------------------------------------------------
    def _full(self) -> None:
        overlays = [a for ax in self.fig.axes for a in self._draw_list(ax)]
        for artist in overlays:
            artist.set_animated(True)
        self.canvas.draw()  # everything except the animated artists
        # Drawing itself moves some artists (title positions): all of them are current now.
        self._mark_clean([unit for ax in self.fig.axes for unit in _units(ax)])
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        for artist in overlays:  # a later savefig must draw them as usual
            artist.set_animated(False)
        self._limits = self._axes_limits()
        self.full_draws += 1
        self._draw_dynamic()

    def _draw_dynamic(self) -> None:
        for ax in self.fig.axes:
            drawn = self._draw_list(ax)
            for artist in drawn:
                ax.draw_artist(artist)
            self._mark_clean(drawn)

    def _mark_clean(self, artists: Iterable[Artist]) -> None:
        for artist in artists:
            artist.stale = False
            for child in artist.get_children():
                self._mark_clean([child])

    def render(self) -> bytes:
        """Draw the figure as it is now and return it as PNG bytes."""
        changed, other = self._changed()
        new = changed - self.dynamic
        if self._background is None:  # first frame: everything is new, nothing is learnt
            self._full()
        elif other or new:
            self.dynamic |= changed
            for artist in self.dynamic:
                artist.set_animated(False)
            self._full()
        else:
            self.canvas.restore_region(self._background)
            self._draw_dynamic()
            self.fast_draws += 1
        self._mark_clean(changed)
        start = time.perf_counter()
        png = encode_png(self.canvas)
        self.last_encode_ms = (time.perf_counter() - start) * 1000.0
        return png


# -- how a frame is shown: an <img> with its text alternative ----------------------------------
#: Shown with every live figure: hides the static first-state image of the same cell once the
#: live figure is there (JupyterLab output areas; a no-op elsewhere).
_LIVE_CSS = (
    "<style>.jp-OutputArea:has(.lossedu-livefigure) > .jp-OutputArea-child:has(.lossedu-static-figure)"
    "{display: none;}</style>"
)


def _plain(text: str) -> str:
    """HTML label -> plain text (for alt text and screen readers)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def figure_description(fig: matplotlib.figure.Figure) -> str:
    """A one-sentence description of ``fig`` from its axes: titles and what is plotted against what."""
    panels = []
    for ax in fig.axes:
        title = ax.get_title()
        what = f"{ax.get_ylabel()} against {ax.get_xlabel()}".strip()
        panels.append(f"{title} ({what})" if title else what)
    kind = "Figure" if len(panels) == 1 else f"Figure with {len(panels)} panels"
    return f"{kind}: " + "; ".join(panels) + "."


def image_html(png_b64: str, alt: str, css_class: str) -> str:
    """An <img> of a base64 PNG with its alt text (what screen readers read)."""
    return (f'<img class="{css_class}" src="data:image/png;base64,{png_b64}" '
            f'alt="{html.escape(alt, quote=True)}" style="max-width: 100%"/>')

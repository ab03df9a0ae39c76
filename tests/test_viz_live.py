"""LiveFigure: one render at a time whatever thread events come from, every frame a real picture
equal to a full redraw, text alternatives, and lesson figures whose legends never cover data and
whose moving parts stay inside the axes at every control position."""
from __future__ import annotations

import base64
import io
import re
import threading

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest
from PIL import Image

from lossedu.problems import s6
from lossedu.viz import capstone, classification, design, margins, optim, regression
from lossedu.viz._common import LiveFigure, format_value, new_figure, slider

#: Every figure a lesson shows.
LESSON_FIGURES = {
    "outlier_fit": regression.outlier_fit,
    "risk_curve": regression.risk_curve,
    "bce_curve": classification.bce_curve,
    "softmax_explorer": classification.softmax_explorer,
    "loss_vs_margin": margins.loss_vs_margin,
    "class_weight_threshold": design.class_weight_threshold,
    "label_smoothing_target": design.label_smoothing_target,
    "descent_paths": optim.descent_paths,
    "threshold_explorer": lambda: capstone.threshold_explorer(s6.CANONICAL, n_eval=5000),
}


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _frame_png(output: widgets.Output) -> bytes:
    """The PNG inside the <img> the Output widget shows."""
    (item,) = output.outputs
    if "image/png" in item["data"]:
        return base64.b64decode(item["data"]["image/png"])
    match = re.search(r'src="data:image/png;base64,([^"]+)"', item["data"]["text/html"])
    assert match, "the output holds no inline PNG"
    return base64.b64decode(match.group(1))


def _positions(control: widgets.ValueWidget, n: int = 7) -> list:
    """n values across a slider's range, or every option of a drop-down / toggle / check box."""
    if isinstance(control, widgets.Checkbox):
        return [False, True]
    if hasattr(control, "options"):
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    values = np.linspace(control.min, control.max, n)
    return [int(round(v)) if isinstance(control.value, int) else float(v) for v in values]


def _sweep(live: LiveFigure):
    """Move every control through its range, one at a time (the others at their start)."""
    start = {name: control.value for name, control in live.controls.items()}
    for name, control in live.controls.items():
        for value in _positions(control):
            live.update(**{**start, name: value})
            yield name, value
    live.update(**start)


# ------------------------------------------------------------------ one render at a time
class _Probe:
    """A figure whose draw sleeps a little, so renders from several threads would overlap."""

    def __init__(self) -> None:
        fig, ax = new_figure(figsize=(4.0, 3.0))
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 10)
        (self.line,) = ax.plot([0, 1], [0, 0], lw=6, color="#0072B2")
        self.active = 0
        self.overlap = 0
        self.lock = threading.Lock()

        def draw(a: float) -> dict[str, float]:
            with self.lock:
                self.active += 1
                self.overlap = max(self.overlap, self.active)
            try:
                self.line.set_ydata([a, a])
                threading.Event().wait(0.002)
                return {"a": float(a)}
            finally:
                with self.lock:
                    self.active -= 1

        self.live = LiveFigure(fig, {"a": slider(5.0, 0.0, 10.0, 0.5, "a")}, draw)


def test_events_from_several_threads_render_one_at_a_time_and_every_frame_is_a_picture():
    probe = _Probe()
    live = probe.live
    frames: list[bytes] = []
    live.output.observe(lambda change: frames.append(_frame_png(live.output)), names="outputs")
    errors: list[BaseException] = []
    values = [0.5 * k for k in range(1, 20)]
    start = threading.Barrier(6)

    def learner(offset: int) -> None:
        try:
            start.wait()
            for k in range(12):  # a widget event: the comm thread sets the control's value
                live.controls["a"].value = values[(offset * 5 + k) % len(values)]
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=learner, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert probe.overlap == 1, "two renders of the same figure ran at the same time"
    assert frames, "no frame was rendered"
    blank = [i for i, png in enumerate(frames) if (_pixels(png) < 200).any(axis=2).mean() < 0.01]
    assert not blank, f"frames {blank} of {len(frames)} are blank"
    # the latest value wins: the last frame shows the control's final value
    final = live.controls["a"].value
    assert live.values["a"] == final
    expected = LiveFigure(*_probe_parts(final))
    assert np.abs(_pixels(frames[-1]) - _pixels(_frame_png(expected.output))).max() <= 2


def _probe_parts(a: float):
    fig, ax = new_figure(figsize=(4.0, 3.0))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 10)
    (line,) = ax.plot([0, 1], [a, a], lw=6, color="#0072B2")

    def draw(a: float) -> dict[str, float]:
        line.set_ydata([a, a])
        return {"a": float(a)}

    return fig, {"a": slider(a, 0.0, 10.0, 0.5, "a")}, draw


def test_a_burst_is_coalesced_into_fewer_renders():
    probe = _Probe()
    live = probe.live
    before = live.n_updates
    start = threading.Barrier(4)

    def learner() -> None:
        start.wait()
        for k in range(10):
            live.controls["a"].value = float(k % 10)

    threads = [threading.Thread(target=learner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rendered = live.n_updates - before
    assert 1 <= rendered < 40, f"{rendered} renders for 40 events: bursts must be coalesced"
    assert live.values["a"] == live.controls["a"].value


# ------------------------------------------------------------- fast frames are true frames
@pytest.mark.parametrize("name", sorted(LESSON_FIGURES))
def test_every_frame_equals_a_full_redraw(name):
    live = LESSON_FIGURES[name]()
    checked = 0
    for _ in _sweep(live):
        if live._renderer.fast_draws == 0:
            continue
        fresh = io.BytesIO()
        live.fig.savefig(fresh, format="png", dpi=live.dpi)
        live._renderer.invalidate()
        a, b = _pixels(_frame_png(live.output)), _pixels(fresh.getvalue())
        assert a.shape == b.shape
        differ = (np.abs(a - b).max(axis=2) > 40).mean()
        assert differ < 0.002, f"{name}: {differ:.2%} of the pixels differ from a full redraw"
        checked += 1
    assert checked > 0
    assert live._renderer.fast_draws > 0, "updates must take the fast path"


def test_fast_path_is_taken_for_ordinary_updates():
    live = regression.risk_curve()
    for w in np.linspace(-1.0, 4.0, 12):
        live.update(w=float(w))
    assert live._renderer.fast_draws >= 9
    full = live._renderer.full_draws
    live.update(loss="mae")  # new curve and new limits: a full draw
    assert live._renderer.full_draws == full + 1


# ------------------------------------------------------------------ text alternatives
@pytest.mark.parametrize("name", sorted(LESSON_FIGURES))
def test_every_image_has_alt_text_with_the_readout(name):
    live = LESSON_FIGURES[name]()
    html = live.output.outputs[0]["data"]["text/html"]
    alt = re.search(r'alt="([^"]*)"', html).group(1)
    assert len(alt) > 40
    for key, value in live.values.items():
        assert format_value(value, live.digits) in alt, (key, alt)
    for control in live.controls.values():
        assert control.description in alt
    for ax in live.fig.axes:  # says what the figure shows, not only numbers
        if ax.get_title():
            assert ax.get_title().split()[0] in live.description or name == "risk_curve"
    assert 'aria-live="polite"' in live.readout.value


def test_display_shows_a_static_first_state_then_the_widget():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    published: list[dict] = []
    original = shell.display_pub.publish
    shell.display_pub.publish = lambda data, metadata=None, **kw: published.append(data)
    try:
        live = regression.outlier_fit()
        first, first_values = live.first_png, dict(live.values)
        live.update(outlier_y=30.0)
        from IPython.display import display

        display(live)
    finally:
        shell.display_pub.publish = original
    static, view = published
    assert base64.b64decode(static["image/png"]) == first  # the first state, not the latest
    assert 'class="lossedu-static-figure"' in static["text/html"]
    assert "alt=" in static["text/html"] and "static picture" in static["text/plain"]
    assert "outlier y = 6.00" in static["text/plain"]  # the first state's settings and values
    assert f"slope MSE = {format_value(first_values['slope_mse'])}" in static["text/plain"]
    assert view["application/vnd.jupyter.widget-view+json"]["model_id"] == live.widget.model_id
    assert not view["text/plain"].startswith("VBox"), "readers must not see a widget repr"
    assert "run the notebook" in view["text/plain"]


# ------------------------------------------------------- legends, paths and hidden curves
def _data_points(ax, legend) -> list[np.ndarray]:
    """Display coordinates of the data the axes shows (lines, markers, bars, collections)."""
    points = []
    for line in ax.lines:
        if line.get_visible() and line.get_transform().contains_branch(ax.transData):
            xy = np.column_stack(line.get_data()).astype(float)
            if len(xy) > 1:  # also points along each segment, not only the vertices
                t = np.linspace(0, 1, 9)[:, None, None]
                xy = (xy[:-1] * (1 - t) + xy[1:] * t).reshape(-1, 2)
            points.append(ax.transData.transform(xy[np.isfinite(xy).all(axis=1)]))
    for collection in ax.collections:
        if collection.get_visible() and len(collection.get_offsets()):
            points.append(collection.get_offset_transform().transform(collection.get_offsets()))
    for patch in ax.patches:
        if patch.get_visible():
            points.append(patch.get_transform().transform(patch.get_path().vertices))
    return points


@pytest.mark.parametrize("name", sorted(LESSON_FIGURES))
def test_legends_never_cover_data(name):
    live = LESSON_FIGURES[name]()
    renderer = live._renderer.canvas.get_renderer()
    for control, value in _sweep(live):
        for ax in live.fig.axes:
            legend = ax.get_legend()
            if legend is None:
                continue
            box = legend.get_window_extent(renderer).padded(2)
            shown = ax.bbox  # data outside the axes is clipped away: not covered by anything
            inside = 0
            for p in _data_points(ax, legend):
                seen = (p[:, 0] >= shown.x0) & (p[:, 0] <= shown.x1) & (p[:, 1] >= shown.y0) \
                    & (p[:, 1] <= shown.y1)
                inside += int((seen & (p[:, 0] > box.x0) & (p[:, 0] < box.x1)
                               & (p[:, 1] > box.y0) & (p[:, 1] < box.y1)).sum())
            assert inside == 0, f"{name}: the legend covers data at {control} = {value}"


@pytest.mark.parametrize("name", sorted(LESSON_FIGURES))
def test_moving_parts_stay_inside_the_axes(name):
    """Markers, tangents and paths: what a control moves never leaves the plotted window."""
    live = LESSON_FIGURES[name]()
    for control, value in _sweep(live):
        for ax in live.fig.axes:
            (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
            for line in ax.lines:
                if not line.get_visible() or line.get_gid() == "may-leave-axes":
                    continue
                if not line.get_transform().contains_branch(ax.transData):
                    continue
                x, y = (np.asarray(v, float) for v in line.get_data())
                ok = (x >= x0 - 1e-9) & (x <= x1 + 1e-9) & (y >= y0 - 1e-9) & (y <= y1 + 1e-9)
                assert ok.all(), (f"{name}: {line.get_label()} leaves the axes at "
                                  f"{control} = {value}: {list(zip(x[~ok], y[~ok]))[:3]}")


def test_hidden_losses_leave_the_legend_and_the_readout():
    live = margins.loss_vs_margin()
    live.update(hinge=False, squared=False)
    labels = [t.get_text() for t in live.fig.axes[0].get_legend().get_texts()]
    assert not any(label.startswith(("hinge", "squared")) for label in labels)
    assert any(label.startswith("logistic") for label in labels)
    assert "hinge" not in live.values and "squared_grad" not in live.values
    assert 'data-key="hinge"' not in live.readout.value
    assert "hinge =" not in live.alt_text().split("Current values:")[1]
    live.update(hinge=True)
    assert "hinge" in live.values
    assert any(t.get_text().startswith("hinge") for t in live.fig.axes[0].get_legend().get_texts())


def test_starting_states_match_the_lessons():
    # lesson 1 drives the movable point to y = 30 and then asks to drag it up: room above
    outliers = regression.outlier_fit()
    assert outliers.controls["outlier_y"].max >= 40.0
    outliers.update(outlier_y=30.0)
    assert outliers.fig.axes[0].get_ylim()[1] > 40.0
    # start page: at w = 1.6 the residuals (0.4 and 0.2) are a visible share of the axes
    curve = regression.risk_curve()
    curve.update(w=1.6)
    y0, y1 = curve.fig.axes[0].get_ylim()
    assert 0.2 / (y1 - y0) >= 0.035, "the smaller residual must be at least ~3.5% of the axes"

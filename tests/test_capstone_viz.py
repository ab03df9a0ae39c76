"""The capstone's interactive figure: it moves in place and reports costs that follow the theory."""
from __future__ import annotations

import numpy as np
import pytest

from lossedu.checking import scenario
from lossedu.problems import s6
from lossedu.viz import capstone


@pytest.fixture(scope="module")
def explorer():
    return capstone.threshold_explorer(s6.CANONICAL, n_eval=5000)


def test_the_figure_updates_in_place(explorer):
    fig = explorer.fig
    artists = [len(ax.lines) for ax in fig.axes]
    before = explorer.n_updates
    explorer.update(loss="noise-aware", threshold=0.3)
    explorer.update(loss="plain BCE", threshold=0.7)
    assert explorer.n_updates == before + 2
    assert [len(ax.lines) for ax in fig.axes] == artists
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)


def test_cost_aware_choices_beat_plain_bce_at_one_half(explorer):
    plain = explorer.update(loss="plain BCE", threshold=0.5)
    weighted = explorer.update(loss="cost-weighted BCE", threshold=0.5)
    aware = explorer.update(loss="noise-aware", threshold=round(scenario.cost_threshold(s6.CANONICAL), 2))
    assert plain["expected_cost"] > 1.1 * plain["bayes_cost"]
    for v in (weighted, aware):
        assert v["expected_cost"] < plain["expected_cost"] and v["regret_percent"] < 8
    assert all(v["expected_cost"] >= v["bayes_cost"] - 1e-12 for v in (plain, weighted, aware))
    assert plain["best_threshold"] < 0.5  # a missed positive costs more, so cut lower


def test_the_text_alternative_states_the_readout(explorer):
    v = explorer.update(loss="noise-aware", threshold=0.25)
    text = capstone.describe(explorer, "noise-aware")
    assert f"{v['expected_cost']:.3f}" in text and f"{v['bayes_cost']:.3f}" in text and "t = 0.25" in text


def test_reliability_diagram_has_one_labelled_panel_per_model():
    from lossedu import calibration

    fig = capstone.reliability_diagram(calibration.compare(seed=2, n_test=5000, n_boot=10))
    assert len(fig.axes) == 3 and all(ax.get_xlabel() for ax in fig.axes)
    assert np.isclose(fig.axes[0].get_xlim(), (0, 1)).all()

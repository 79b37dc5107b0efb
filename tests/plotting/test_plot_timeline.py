"""plotTimeline: one lane per component, work filled, timers hatched and labelled, in ms."""

from __future__ import annotations

import pytest
from matplotlib.colors import to_hex

from pipeline_lib.plotting import PALETTE, plotTimeline

LANES = {
    "source": [(0.0, 0.0005), (0.0135, 0.014)],
    "Parser": [(0.0005, 0.0015)],
    "slide timer": [(0.0015, 0.0135)],
}


def test_timeline_has_title_labels_and_lanes_top_to_bottom() -> None:
    figure = plotTimeline(LANES, timers=["slide timer"], title="Who")
    axes = figure.axes[0]
    assert axes.get_title() == "Who"
    assert axes.get_xlabel() == "time (ms)"
    assert [t.get_text() for t in axes.get_yticklabels()] == list(LANES)
    bottom, top = axes.get_ylim()
    assert bottom > top  # the first lane is drawn on top
    assert to_hex(figure.get_facecolor()) == "#ffffff"


def test_timeline_draws_intervals_in_ms_and_labels_timers_with_their_length() -> None:
    axes = plotTimeline(LANES, timers=["slide timer"]).axes[0]
    source, parser, timer = axes.collections
    assert source.get_paths()[0].get_extents().x0 == pytest.approx(0.0)
    widths = [path.get_extents().width for path in source.get_paths()]
    assert widths == pytest.approx([0.5, 0.5])
    assert to_hex(source.get_facecolor()[0]) == PALETTE[0].lower()
    assert to_hex(parser.get_facecolor()[0]) == PALETTE[1].lower()
    assert timer.get_hatch() == "///"
    assert [text.get_text() for text in axes.texts] == ["12 ms"]


def test_timeline_refuses_empty_lanes_and_unknown_timers() -> None:
    with pytest.raises(ValueError, match="lanes is empty"):
        plotTimeline({})
    with pytest.raises(ValueError, match=r"timers \['x'\] are not lanes"):
        plotTimeline(LANES, timers=["x"])

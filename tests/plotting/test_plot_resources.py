"""plotOpenResources: two labelled panels, one line per history, the pool size marked."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pipeline_lib.plotting import PALETTE, plotOpenResources


def _history(label: str, connections: list[int], descriptors: list[int]) -> SimpleNamespace:
    return SimpleNamespace(
        label=label,
        poolSize=5,
        runs=list(range(len(connections))),
        connectionsInUse=connections,
        descriptorsOpened=descriptors,
    )


NAIVE = _history("naive", [0, 1, 2, 3, 4, 5, 5], [0, 1, 2, 3, 4, 5, 5])
MANAGED = _history("managed", [0] * 7, [0, 1, 1, 1, 1, 1, 1])


def test_the_figure_has_a_title_and_two_panels_with_units_on_every_axis() -> None:
    figure = plotOpenResources(NAIVE, MANAGED, title="Leak")
    assert isinstance(figure, Figure)
    assert figure.get_suptitle() == "Leak"
    connections, descriptors = figure.axes
    assert connections.get_title() == "Pooled connections in use"
    assert descriptors.get_title() == "Open file descriptors"
    for axes in figure.axes:
        assert "(" in axes.get_xlabel() and "(" in axes.get_ylabel()  # units in brackets
    assert connections.get_ylabel() == "connections in use (count)"
    assert descriptors.get_ylabel() == "file descriptors opened\n(count since the start)"


def test_each_history_is_one_line_per_panel_with_its_data_and_label() -> None:
    connections, descriptors = plotOpenResources(NAIVE, MANAGED).axes
    for axes, field in ((connections, "connectionsInUse"), (descriptors, "descriptorsOpened")):
        lines = [line for line in axes.get_lines() if line.get_label() in ("naive", "managed")]
        assert [line.get_label() for line in lines] == ["naive", "managed"]
        for line, history in zip(lines, (NAIVE, MANAGED), strict=True):
            assert list(line.get_xdata()) == history.runs
            assert list(line.get_ydata()) == getattr(history, field)
        assert [line.get_color() for line in lines] == [PALETTE[0], PALETTE[1]]
    assert legendTexts(plotOpenResources(NAIVE, MANAGED)) == ["naive", "managed"]


def legendTexts(figure: Figure) -> list[str]:
    """The figure's one legend (below both panels): its entries."""
    (legend,) = figure.legends
    assert all(axes.get_legend() is None for axes in figure.axes)
    return [text.get_text() for text in legend.get_texts()]


def test_the_pool_size_is_a_dashed_line_on_the_connections_panel() -> None:
    connections, _ = plotOpenResources(NAIVE).axes
    dashed = [line for line in connections.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and list(dashed[0].get_ydata()) == [5, 5]
    assert any(text.get_text() == "pool size = 5" for text in connections.texts)


def test_no_background_is_drawn_so_the_plot_sits_on_light_and_dark_pages() -> None:
    figure = plotOpenResources(NAIVE)
    assert not figure.get_frameon()  # tests/plotting/test_plot_style.py: what that draws
    assert all(axes.get_facecolor()[3] == 0.0 for axes in figure.axes)


def test_descriptors_above_the_pool_size_stay_inside_the_axes() -> None:
    _, descriptors = plotOpenResources(_history("many", [0, 1], [0, 12])).axes
    assert descriptors.get_ylim()[1] > 12


def test_without_a_history_the_error_says_what_is_missing() -> None:
    with pytest.raises(ValueError, match="at least one history"):
        plotOpenResources()


def test_failed_runs_are_crossed_and_shaded_runs_banded_on_both_panels() -> None:
    figure = plotOpenResources(NAIVE, failedRuns=[2, 3], shadedRuns=[1, 2, 3])
    for axes, values in zip(figure.axes, ([2, 3], [2, 3]), strict=True):
        (crosses,) = [line for line in axes.get_lines() if line.get_label() == "failed run"]
        assert list(crosses.get_xdata()) == [2, 3] and list(crosses.get_ydata()) == values
        assert len(axes.patches) == 3  # one band per shaded run
    assert legendTexts(figure) == ["naive", "failed run", "runWithoutCleanup"]


def test_without_marks_nothing_extra_is_drawn() -> None:
    figure = plotOpenResources(NAIVE, MANAGED)
    for axes in figure.axes:
        assert len(axes.patches) == 0
        assert "failed run" not in [line.get_label() for line in axes.get_lines()]
    assert legendTexts(figure) == ["naive", "managed"]


@pytest.mark.parametrize(
    "histories",
    [
        (NAIVE, MANAGED),
        (_history("climbs", [0, 1, 2, 3, 4, 5, 5, 5, 5], [0, 1, 2, 3, 4, 5, 5, 5, 5]),),
        (_history("flat", [0, 0, 0, 0], [0, 1, 1, 1]), _history("mid", [0, 2, 3, 3], [0, 3, 3, 3])),
    ],
)
def test_the_legend_never_covers_a_data_point(histories: tuple[SimpleNamespace, ...]) -> None:
    figure = plotOpenResources(*histories)
    figure.canvas.draw()  # type: ignore[no-untyped-call]
    (legend,) = figure.legends
    box = legend.get_window_extent()
    for axes in figure.axes:
        for line in axes.get_lines():
            for x, y in axes.transData.transform(line.get_xydata()):
                assert not box.contains(x, y), f"{line.get_label()} hidden at ({x}, {y})"


def test_the_descriptor_axis_names_what_was_counted() -> None:
    history = _history("naive", [0, 1], [0, 1])
    history.descriptorsCounted = "on sensors.sqlite"
    _, descriptors = plotOpenResources(history).axes
    assert descriptors.get_ylabel() == "file descriptors on sensors.sqlite\n(count since the start)"


def test_histories_counting_on_different_files_get_a_label_true_for_both() -> None:
    naive, managed = _history("naive", [0, 1], [0, 1]), _history("managed", [0, 0], [0, 1])
    naive.descriptorsCounted, managed.descriptorsCounted = "on naive.sqlite", "on managed.sqlite"
    _, descriptors = plotOpenResources(naive, managed).axes
    expected = "file descriptors on each\npool's database file\n(count since the start)"
    assert descriptors.get_ylabel() == expected
    canvas = FigureCanvasAgg(descriptors.get_figure())
    canvas.draw()
    renderer = canvas.get_renderer()
    label = descriptors.yaxis.label.get_window_extent(renderer)
    assert label.y1 <= descriptors.get_window_extent(renderer).y1  # not into the title

"""Open resources over repeated runs: connections in use and descriptors held (01, 02, 06)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .style import PALETTE, newFigure, styleAxes

__all__ = ["ResourceSeries", "plotOpenResources"]


class ResourceSeries(Protocol):
    """What :func:`plotOpenResources` reads, e.g. a :class:`pipeline_lib.leaks.LeakHistory`."""

    label: str
    poolSize: int

    @property
    def runs(self) -> list[int]: ...

    @property
    def connectionsInUse(self) -> list[int]: ...

    @property
    def descriptorsOpened(self) -> list[int]: ...


def plotOpenResources(
    *histories: ResourceSeries,
    title: str = "What failed runs leave open",
    failedRuns: Sequence[int] = (),
    shadedRuns: Sequence[int] = (),
    shadedLabel: str = "runWithoutCleanup",
) -> Figure:
    """Connections in use (left) and descriptors opened (right) after each run.

    Pass one history, or a naive and a managed one to compare them on the same axes.
    Descriptors are counted from the baseline before the first run, because absolute
    counts differ between machines. A history that says what it counted
    (``descriptorsCounted``, e.g. ``"on sensors.sqlite"`` from
    :func:`~pipeline_lib.leaks.repeatFailingRuns`) names it in the right panel's axis
    label. The pool's size is drawn as a dashed line. The legend sits below both
    panels, where it cannot hide a data point; where lines overlap, each later line's
    markers are drawn smaller, on top, so both stay visible.

    For one history whose runs differ (FailureLab mixes runners): ``failedRuns`` are
    marked with a cross on each line, and ``shadedRuns`` get a shaded band, labelled
    ``shadedLabel`` in the legend. Both are empty by default (nothing extra is drawn).

    >>> from types import SimpleNamespace
    >>> naive = SimpleNamespace(label="naive", poolSize=2, runs=[0, 1, 2],
    ...                         connectionsInUse=[0, 1, 2], descriptorsOpened=[0, 1, 2])
    >>> figure = plotOpenResources(naive)
    >>> [axes.get_ylabel() for axes in figure.axes]
    ['connections in use (count)', 'file descriptors opened\\n(count since the start)']
    >>> naive.descriptorsCounted = "on sensors.sqlite"
    >>> plotOpenResources(naive).axes[1].get_ylabel()
    'file descriptors on sensors.sqlite\\n(count since the start)'
    """
    if not histories:
        raise ValueError("plotOpenResources needs at least one history, got none")
    figure, connections = newFigure(
        "Pooled connections in use", "run (number)", "connections in use (count)", size=(9.0, 3.6)
    )
    descriptors = _sidePanel(
        figure,
        connections,
        "Open file descriptors",
        # Two lines: a long label would run into the left panel and the title.
        f"file descriptors {_whatWasCounted(histories)}\n(count since the start)",
    )
    figure.suptitle(title, fontweight="bold")
    markers = ("o", "s", "^", "D")
    for index, history in enumerate(histories):
        color, marker = PALETTE[index % len(PALETTE)], markers[index % len(markers)]
        size = max(3.0, 7.0 - 2.0 * index)  # later lines smaller, on top: overlaps stay visible
        for axes, values in (
            (connections, history.connectionsInUse),
            (descriptors, history.descriptorsOpened),
        ):
            axes.plot(
                history.runs,
                values,
                color=color,
                marker=marker,
                markersize=size,
                label=history.label,
                zorder=2 + index,
            )
            _markRuns(axes, history.runs, values, failedRuns, "failed run" if index == 0 else None)
    for axes in (connections, descriptors):
        for position, run in enumerate(shadedRuns):
            axes.axvspan(
                run - 0.5,
                run + 0.5,
                color=PALETTE[1],
                alpha=0.15,
                linewidth=0,
                label=shadedLabel if position == 0 else None,
            )
    poolSize = max(history.poolSize for history in histories)
    connections.axhline(poolSize, color=PALETTE[7], linestyle="--", linewidth=1.0)
    connections.annotate(
        f"pool size = {poolSize}",
        xy=(0.02, poolSize),
        xycoords=("axes fraction", "data"),
        xytext=(0, 3),
        textcoords="offset points",
        fontsize=9,
    )
    highest = max([poolSize, *(max(h.descriptorsOpened, default=0) for h in histories)])
    for axes in (connections, descriptors):
        axes.set_ylim(bottom=-0.5, top=highest + 1.5)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    # One legend for both panels (they draw the same lines), outside them: it never
    # covers a data point, however the lines run.
    handles, labels = connections.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=9)
    return figure


def _whatWasCounted(histories: Sequence[ResourceSeries]) -> str:
    """``on sensors.sqlite`` if every history says so, else what they have in common."""
    counted = {getattr(history, "descriptorsCounted", "") for history in histories}
    if len(counted) == 1:
        return counted.pop() or "opened"
    if all(what.startswith("on ") for what in counted):
        # Broken once more: on one line the vertical label outgrew the panel's height,
        # running into the figure's title (notebook 02's naive/managed picture).
        return "on each\npool's database file"
    return "opened"


def _markRuns(
    axes: Axes,
    runs: Sequence[int],
    values: Sequence[int],
    marked: Sequence[int],
    label: str | None,
) -> None:
    """A red cross on the line at each run in ``marked`` (legend entry ``label``, if any)."""
    wanted = set(marked)
    points = [(run, value) for run, value in zip(runs, values, strict=True) if run in wanted]
    if points:
        xs, ys = zip(*points, strict=True)
        axes.plot(xs, ys, "x", color=PALETTE[3], markersize=9, linestyle="", label=label)


def _sidePanel(figure: Figure, first: Axes, title: str, ylabel: str) -> Axes:
    """A second axes right of ``first``, in the same style (``newFigure`` makes one)."""
    grid = figure.add_gridspec(1, 2)
    first.set_subplotspec(grid[0])
    second = figure.add_subplot(grid[1], sharex=first)
    styleAxes(second, title, first.get_xlabel(), ylabel)
    return second

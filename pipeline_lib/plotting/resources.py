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
    counts differ between machines. The pool's size is drawn as a dashed line.

    For one history whose runs differ (FailureLab mixes runners): ``failedRuns`` are
    marked with a cross on each line, and ``shadedRuns`` get a shaded band, labelled
    ``shadedLabel`` in the legend. Both are empty by default (nothing extra is drawn).

    >>> from types import SimpleNamespace
    >>> naive = SimpleNamespace(label="naive", poolSize=2, runs=[0, 1, 2],
    ...                         connectionsInUse=[0, 1, 2], descriptorsOpened=[0, 1, 2])
    >>> figure = plotOpenResources(naive)
    >>> [axes.get_ylabel() for axes in figure.axes]
    ['connections in use (count)', 'descriptors opened (count, vs. run 0)']
    """
    if not histories:
        raise ValueError("plotOpenResources needs at least one history, got none")
    figure, connections = newFigure(
        "Pooled connections in use", "run (number)", "connections in use (count)", size=(9.0, 3.6)
    )
    descriptors = _sidePanel(
        figure, connections, "Open file descriptors", "descriptors opened (count, vs. run 0)"
    )
    figure.suptitle(title, fontweight="bold")
    markers = ("o", "s", "^", "D")
    for index, history in enumerate(histories):
        color, marker = PALETTE[index % len(PALETTE)], markers[index % len(markers)]
        for axes, values in (
            (connections, history.connectionsInUse),
            (descriptors, history.descriptorsOpened),
        ):
            axes.plot(history.runs, values, color=color, marker=marker, label=history.label)
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
        axes.legend(loc="center right", fontsize=9)
    return figure


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

"""Matplotlib figures for the series: stage latencies, throughput, resources over runs.

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot``, so
nothing accumulates in pyplot's global list and widgets can redraw freely. In a
notebook, run ``%matplotlib inline`` once and make the figure a cell's last value to
show it. Figures share one look: a white background (readable in dark themes too),
the Okabe-Ito colour-blind-safe palette, a title, and axis labels with units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from .metrics import StageMetrics
from .observe import StageReport
from .retrypolicy import RetryPolicy

__all__ = ["PALETTE", "newFigure"]

#: Okabe & Ito (2008): distinguishable with every common form of colour blindness.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)


def newFigure(
    title: str, xlabel: str, ylabel: str, *, size: tuple[float, float] = (7.0, 3.5)
) -> tuple[Figure, Axes]:
    """A white figure with one labelled axes, in the series' style.

    >>> figure, axes = newFigure("Open connections", "run", "connections (count)")
    >>> axes.get_title(), axes.get_xlabel()
    ('Open connections', 'run')
    """
    figure = Figure(figsize=size, facecolor="white", layout="constrained")
    axes = figure.add_subplot()
    axes.set_facecolor("white")
    axes.set_prop_cycle(color=PALETTE)
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(True, color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    return figure, axes


# -- per-stage metrics (notebook 04, LatencyDashboard) ----------------------------------

__all__ += ["plotLatencyPercentiles", "plotThroughput"]  # kept beside the block they export


def plotLatencyPercentiles(
    metrics: Mapping[str, StageReport],
    percentiles: Sequence[float] = (50, 95, 99),
    *,
    title: str = "Own time per record, by stage",
) -> Figure:
    """Grouped bars: each stage's own-time latency percentiles (ms), from ``ctx.metrics``.

    >>> from pipeline_lib import StageMetrics
    >>> fast, slow = StageMetrics("Fast"), StageMetrics("Slow")
    >>> fast.histogram.add(0.001)
    >>> slow.histogram.add(0.010)
    >>> figure = plotLatencyPercentiles({"Fast": fast, "Slow": slow})
    >>> axes = figure.axes[0]
    >>> axes.get_ylabel(), [t.get_text() for t in axes.get_legend().get_texts()]
    ('own time per record (ms)', ['p50', 'p95', 'p99'])
    """
    stages = _stageMetrics(metrics, "plotLatencyPercentiles")
    figure, axes = newFigure(title, "stage", "own time per record (ms)")
    width = 0.8 / len(percentiles)
    for index, p in enumerate(percentiles):
        offsets = [
            position + (index - (len(percentiles) - 1) / 2) * width
            for position in range(len(stages))
        ]
        axes.bar(
            offsets,
            [stage.percentileMs(p) for stage in stages.values()],
            width=width,
            color=PALETTE[index % len(PALETTE)],
            label=f"p{p:g}",
        )
    _labelStages(axes, stages)
    axes.legend(title="percentile", frameon=False)
    return figure


def plotThroughput(
    metrics: Mapping[str, StageReport], *, title: str = "Throughput, by stage"
) -> Figure:
    """Bars: each stage's throughput in input records per second of its own time.

    >>> from pipeline_lib import StageMetrics
    >>> stage = StageMetrics("Normalizer")
    >>> stage.recordsIn = stage.recordsOut = 1000
    >>> stage.histogram.add(0.001, weight=1000)
    >>> figure = plotThroughput({"Normalizer": stage})
    >>> figure.axes[0].get_ylabel(), round(figure.axes[0].patches[0].get_height())
    ('throughput (records/s)', 1000)
    """
    stages = _stageMetrics(metrics, "plotThroughput")
    figure, axes = newFigure(title, "stage", "throughput (records/s)")
    axes.bar(
        range(len(stages)), [stage.throughputRps for stage in stages.values()], color=PALETTE[0]
    )
    _labelStages(axes, stages)
    axes.yaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    return figure


def _stageMetrics(metrics: Mapping[str, StageReport], caller: str) -> dict[str, StageMetrics]:
    """``ctx.metrics`` checked: not empty, and every value from ``@measuredStage``."""
    if not metrics:
        raise ValueError(f"{caller}: metrics is empty; measure a stage with @measuredStage first")
    stages: dict[str, StageMetrics] = {}
    for name, value in metrics.items():
        if not isinstance(value, StageMetrics):
            raise TypeError(
                f"{caller}: metrics[{name!r}] must be a StageMetrics from "
                f"pipeline_lib.measuredStage, got {type(value).__name__}"
            )
        stages[name] = value
    return stages


def _labelStages(axes: Axes, stages: Mapping[str, StageMetrics]) -> None:
    axes.set_xticks(range(len(stages)), list(stages), rotation=15 if len(stages) > 4 else 0)


# -- who spends the time: a run's timeline (notebook 04) --------------------------------

__all__ += ["plotTimeline"]  # kept beside the block it exports


def plotTimeline(
    lanes: Mapping[str, Sequence[tuple[float, float]]],
    *,
    timers: Sequence[str] = (),
    title: str = "Who spends the time",
) -> Figure:
    """One lane per component (top to bottom): its busy intervals, in ms, as bars.

    ``lanes`` maps a label to ``(startSeconds, endSeconds)`` intervals, e.g. the
    ``spans`` of a :class:`~pipeline_lib.testing.FakeClock`. Lanes named in ``timers``
    are what a timer measured rather than work done: drawn hatched in outline, each
    interval labelled with its length.

    >>> figure = plotTimeline({"Parser": [(0.0, 0.001)], "slide timer": [(0.001, 0.011)]},
    ...                       timers=["slide timer"])
    >>> axes = figure.axes[0]
    >>> axes.get_xlabel(), [t.get_text() for t in axes.get_yticklabels()]
    ('time (ms)', ['Parser', 'slide timer'])
    """
    if not lanes:
        raise ValueError("plotTimeline: lanes is empty; give at least one label -> intervals")
    unknown = [name for name in timers if name not in lanes]
    if unknown:
        raise ValueError(f"plotTimeline: timers {unknown} are not lanes; lanes are {list(lanes)}")
    figure, axes = newFigure(title, "time (ms)", "", size=(9.0, 0.55 * len(lanes) + 1.6))
    colors = iter(PALETTE)
    for row, (label, intervals) in enumerate(lanes.items()):
        bars = [(start * 1000.0, (end - start) * 1000.0) for start, end in intervals]
        if label in timers:
            axes.broken_barh(
                bars, (row - 0.35, 0.7), facecolor="white", edgecolor=PALETTE[7], hatch="///"
            )
            for start, width in bars:
                axes.annotate(
                    f"{width:g} ms",
                    (start + width / 2, row),
                    ha="center",
                    va="center",
                    fontsize=8,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
                )
        else:
            axes.broken_barh(bars, (row - 0.35, 0.7), facecolor=next(colors, PALETTE[7]))
    axes.set_yticks(range(len(lanes)), list(lanes))
    axes.set_ylim(len(lanes) - 0.5, -0.5)  # the first lane on top, like a table
    axes.grid(True, axis="x", color="#dddddd", linewidth=0.8)
    axes.grid(False, axis="y")
    return figure


# -- open resources over repeated runs (notebooks 01 and 02) ------------------------------

__all__ += ["plotOpenResources"]  # kept beside the block it exports


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
    second.set_facecolor(first.get_facecolor())
    second.set_prop_cycle(color=PALETTE)
    second.set_title(title)
    second.set_xlabel(first.get_xlabel())
    second.set_ylabel(ylabel)
    second.grid(True, color="#dddddd", linewidth=0.8)
    second.set_axisbelow(True)
    return second


# -- where an error surfaces (notebook 03) ---------------------------------------------

__all__ += ["plotErrorSites"]  # kept beside the block it exports

_RAISED, _CAUSE, _BETWEEN = PALETTE[3], PALETTE[2], PALETTE[5]


def plotErrorSites(
    stacks: Mapping[str, Sequence[str]],
    causes: Mapping[str, int | None],
    *,
    notes: Mapping[str, str] | None = None,
    title: str = "Where the error surfaces: the call stack at the raise",
) -> Figure:
    """One column per error: its stack at the raise, outermost frame at the bottom.

    ``stacks`` maps a label to frame names, outermost first (the last one raised).
    ``causes`` gives, per label, the index of the frame running the line that put the
    bad value in, or None when that line is not on the stack at all (it ran earlier).
    ``notes`` adds a line of text above a column.

    >>> stacks = {"slide 5": ["cell", "run", "process"], "slide 6": ["cell", "__set__"]}
    >>> figure = plotErrorSites(stacks, {"slide 5": None, "slide 6": 0})
    >>> axes = figure.axes[0]
    >>> axes.get_ylabel(), [t.get_text() for t in axes.get_xticklabels()]
    ('stack depth at the raise (frames)', ['slide 5', 'slide 6'])
    """
    if not stacks:
        raise ValueError("plotErrorSites needs at least one stack, got none")
    width = max(6.0, 3.0 * len(stacks))
    figure, axes = newFigure(
        title, "how the bad value got in", "stack depth at the raise (frames)", size=(width, 4.2)
    )
    deepest = max(len(frames) for frames in stacks.values())
    for column, (label, frames) in enumerate(stacks.items()):
        cause = causes.get(label)
        for depth, name in enumerate(frames):
            color = _CAUSE if depth == cause else _RAISED if depth == len(frames) - 1 else _BETWEEN
            axes.add_patch(
                Rectangle(
                    (column - 0.42, depth + 0.08),
                    0.84,
                    0.84,
                    facecolor=color,
                    edgecolor=PALETTE[7],
                    linewidth=0.8,
                )
            )
            axes.text(column, depth + 0.5, name, ha="center", va="center", fontsize=9)
        if notes and label in notes:
            axes.text(
                column,
                len(frames) + 0.3,
                notes[label],
                ha="center",
                va="bottom",
                fontsize=9,
                style="italic",
            )
    axes.set_xticks(range(len(stacks)), list(stacks))
    axes.set_xlim(-0.6, len(stacks) - 0.4)
    axes.set_ylim(0, deepest + 1.4)
    axes.set_yticks([depth + 0.5 for depth in range(deepest)], [str(d + 1) for d in range(deepest)])
    axes.grid(False)
    handles = [
        Patch(facecolor=color, edgecolor=PALETTE[7], label=text)
        for color, text in (
            (_RAISED, "raised here"),
            (_CAUSE, "the line that set the bad value"),
            (_BETWEEN, "frames in between"),
        )
    ]
    axes.legend(handles=handles, loc="upper right", fontsize=9)
    return figure


# -- waits between retries (notebook 05) -------------------------------------------------

__all__ += ["plotRetryDelays"]  # kept beside the block it exports


def plotRetryDelays(
    policies: Mapping[str, RetryPolicy],
    *,
    title: str = "How long each retry waits",
) -> Figure:
    """One line per policy: the wait before each retry, in seconds (``policy.delays()``).

    The x axis counts retries (the wait after failed attempt ``n`` is retry ``n``). A
    jittered policy's line is its seeded schedule, exactly what a stream sleeps; the band
    behind it is the range jitter may draw from, ``[(1 - jitter) * wait, wait]``. Each
    legend entry ends with the policy's total wait when every attempt fails.

    >>> from pipeline_lib import RetryPolicy
    >>> constant = RetryPolicy(maxAttempts=4, delaySeconds=1.0)
    >>> axes = plotRetryDelays({"constant": constant}).axes[0]
    >>> axes.get_ylabel(), [float(wait) for wait in axes.lines[0].get_ydata()]
    ('wait before the retry (s)', [1.0, 1.0, 1.0])
    >>> [text.get_text() for text in axes.get_legend().get_texts()]
    ['constant (total 3.0 s)']
    """
    if not policies:
        raise ValueError("plotRetryDelays needs at least one policy, got none")
    for name, policy in policies.items():
        if not isinstance(policy, RetryPolicy):
            raise TypeError(
                f"plotRetryDelays: policies[{name!r}] must be a pipeline_lib.RetryPolicy, "
                f"got {type(policy).__name__}"
            )
    figure, axes = newFigure(title, "retry (number)", "wait before the retry (s)")
    markers = ("o", "s", "^", "D", "v", "P")
    for index, (name, policy) in enumerate(policies.items()):
        color, delays = PALETTE[index % len(PALETTE)], policy.delays()
        retries = range(1, len(delays) + 1)
        if policy.jitter:
            nominal = replace(policy, jitter=0.0).delays()
            shortest = [(1.0 - policy.jitter) * wait for wait in nominal]
            axes.fill_between(retries, shortest, nominal, color=color, alpha=0.18, linewidth=0)
        axes.plot(
            retries,
            delays,
            color=color,
            marker=markers[index % len(markers)],
            label=f"{name} (total {sum(delays):.1f} s)",
        )
    axes.set_ylim(bottom=0)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(title="policy", frameon=False)
    return figure

"""Per-stage metrics as pictures: latency percentiles, throughput, a run's timeline (04)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..metrics import StageMetrics
from ..observe import StageReport
from .style import PALETTE, newFigure

__all__ = ["plotLatencyPercentiles", "plotThroughput", "plotTimeline"]


_UNITS = {"ms": 1.0, "µs": 1000.0}  # per millisecond


def plotLatencyPercentiles(
    metrics: Mapping[str, StageReport],
    percentiles: Sequence[float] = (50, 95, 99),
    *,
    title: str = "Own time per record, by stage",
    unit: str = "ms",
) -> Figure:
    """Grouped bars: each stage's own-time latency percentiles, from ``ctx.metrics``.

    ``unit`` is ``"ms"`` or ``"µs"``: the y axis, in the unit the caller shows elsewhere.

    >>> from pipeline_lib import StageMetrics
    >>> fast, slow = StageMetrics("Fast"), StageMetrics("Slow")
    >>> fast.histogram.add(0.001)
    >>> slow.histogram.add(0.010)
    >>> figure = plotLatencyPercentiles({"Fast": fast, "Slow": slow})
    >>> axes = figure.axes[0]
    >>> axes.get_ylabel(), [t.get_text() for t in axes.get_legend().get_texts()]
    ('own time per record (ms)', ['p50', 'p95', 'p99'])
    >>> plotLatencyPercentiles({"Slow": slow}, unit="µs").axes[0].get_ylabel()
    'own time per record (µs)'
    """
    scale = _UNITS.get(unit)
    if scale is None:
        raise ValueError(
            f"plotLatencyPercentiles.unit must be one of {sorted(_UNITS)}, got {unit!r}"
        )
    stages = _stageMetrics(metrics, "plotLatencyPercentiles")
    figure, axes = newFigure(title, "stage", f"own time per record ({unit})")
    width = 0.8 / len(percentiles)
    for index, p in enumerate(percentiles):
        offsets = [
            position + (index - (len(percentiles) - 1) / 2) * width
            for position in range(len(stages))
        ]
        axes.bar(
            offsets,
            [stage.percentileMs(p) * scale for stage in stages.values()],
            width=width,
            color=PALETTE[index % len(PALETTE)],
            label=f"p{p:g}",
        )
    _labelStages(axes, stages)
    axes.legend(title="percentile", frameon=False)
    return figure


def plotThroughput(
    metrics: Mapping[str, StageReport],
    *,
    title: str = "Throughput, by stage (per second of its own time, not of the run)",
) -> Figure:
    """Bars: each stage's throughput in input records per second of its own time.

    Per second of the stage's *own* time, not of the run's wall time: a stage that
    waits on a slow neighbour keeps its throughput (``recordsIn / ownSeconds``).

    >>> from pipeline_lib import StageMetrics
    >>> stage = StageMetrics("Normalizer")
    >>> stage.recordsIn = stage.recordsOut = 1000
    >>> stage.histogram.add(0.001, weight=1000)
    >>> figure = plotThroughput({"Normalizer": stage})
    >>> figure.axes[0].get_ylabel(), round(figure.axes[0].patches[0].get_height())
    ('input records per second of own time', 1000)
    """
    stages = _stageMetrics(metrics, "plotThroughput")
    figure, axes = newFigure(title, "stage", "input records per second of own time")
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

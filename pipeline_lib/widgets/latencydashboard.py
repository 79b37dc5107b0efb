"""``LatencyDashboard``: give each stage a cost, see its latency percentiles and the bottleneck.

The pipeline is ``SensorSource -> ThresholdFilter -> Normalizer -> WindowAverage`` run in
a :class:`~pipeline_lib.PipelineContext`, each stage measured by the engine's
:func:`~pipeline_lib.measuredStage`. A slider per stage sets its *cost*: the µs of work
each input record takes. The cost is charged to a **simulated clock** that the
measuring reads, not spent for real, so the numbers are the same on every machine and
every run, and a slider move redraws at once. Each record costs the slider's value
times a seeded log-normal factor (median 1, so p95 ≈ 2.3× and p99 ≈ 3.2× the cost):
percentiles have a tail, as real ones do. The widget says so where the numbers are read,
and shows every time in µs, the sliders' unit.

The bottleneck is the stage with the most *own* time (``StageMetrics.ownSeconds``):
``@measuredStage`` subtracts the time a stage waits on its input, so a slow stage
never makes its neighbours look slow (slide 9's wrapper does).

>>> dashboard = LatencyDashboard(records=1_000)
>>> dashboard.bottleneck
'Normalizer'
>>> dashboard.costs["WindowAverage"].value = 150     # a slider moved: measured again
>>> dashboard.bottleneck, dashboard.runs
('WindowAverage', 2)
>>> dashboard.close()
"""

from __future__ import annotations

import html
import logging
import random
from collections.abc import Iterator, Mapping
from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure

from ..lifecycle import PipelineContext
from ..metrics import StageMetrics, measuredStage
from ..plotting import plotLatencyPercentiles
from ..sinks import ListSink
from ..sources import SensorSource
from ..stages import Normalizer, ThresholdFilter, WindowAverage
from ..testing import FakeClock
from .kit import ShownAsRoot, capturedLog, closeTree, showFigure

__all__ = ["COST_SPREAD", "DEFAULT_COSTS_US", "MAX_COST_US", "LatencyDashboard"]

logger = logging.getLogger("pipeline_lib")

#: Each stage's default cost, µs of (simulated) work per input record.
DEFAULT_COSTS_US = {"ThresholdFilter": 5, "Normalizer": 40, "WindowAverage": 15}
MAX_COST_US = 200
RECORDS_MIN, RECORDS_MAX, RECORDS_STEP = 1_000, 10_000, 1_000
COST_SPREAD = 0.5  # sigma of the log-normal factor on each record's cost
#: Shown in the widget, where the percentiles are read: why p95 is not the slider's value.
SPREAD_NOTE = (
    "<i>Each record's cost is the slider's value times a random factor with median 1 "
    "(log-normal), as real per-record times have a tail: p50 is near the slider, p95 about "
    "2.3× and p99 about 3.2× it. Everything here is in µs.</i>"
)


class LatencyDashboard(ShownAsRoot):
    """Sliders for each stage's cost and the record count; percentiles and the bottleneck.

    ``LatencyDashboard(records=2000, seed=0, costs=None, *, renderPngs=True)``; ``costs``
    maps stage names to µs per record (default :data:`DEFAULT_COSTS_US`). Attributes:

    - controls: ``costs`` (stage name → ``IntSlider``, µs per record, 0–200) and
      ``records`` (``IntSlider``); every change re-runs and redraws (``onSettingsChanged``);
    - displays: ``plot`` (PNG ``Image``), ``summary`` (HTML naming the bottleneck);
    - results: ``metrics`` (stage name → :class:`~pipeline_lib.StageMetrics`),
      ``bottleneck`` (a stage name, or None when every cost is 0), ``figure``,
      ``simulatedSeconds`` (the stages' own time together), ``runs`` (how many so far).
    """

    def __init__(
        self,
        records: int = 2_000,
        seed: int = 0,
        costs: Mapping[str, int] | None = None,
        *,
        renderPngs: bool = True,
    ) -> None:
        self.seed = seed
        self.renderPngs = renderPngs
        self.metrics: dict[str, StageMetrics] = {}
        self.bottleneck: str | None = None
        self.figure: Figure | None = None
        self.simulatedSeconds = 0.0
        self.runs = 0
        self._buildControls(records, {**DEFAULT_COSTS_US, **(costs or {})})
        self.root = self._layout()
        self.update()

    def __repr__(self) -> str:
        costs = ", ".join(f"{name}={slider.value}" for name, slider in self.costs.items())
        return f"LatencyDashboard(records={self.records.value}, costsUs=({costs}))"

    def _buildControls(self, records: int, costs: Mapping[str, int]) -> None:
        unknown = set(costs) - set(DEFAULT_COSTS_US)
        if unknown:
            raise ValueError(
                f"LatencyDashboard.costs has no stage {sorted(unknown)[0]!r} "
                f"(stages: {', '.join(DEFAULT_COSTS_US)})"
            )
        style = {"description_width": "11em"}
        # continuous_update=False: a drag re-runs once, when the handle is let go.
        self.costs = {
            name: widgets.IntSlider(
                value=costs[name],
                min=0,
                max=MAX_COST_US,
                description=f"{name} µs",
                continuous_update=False,
                style=style,
                layout={"width": "34em"},
            )
            for name in DEFAULT_COSTS_US
        }
        self.records = widgets.IntSlider(
            value=records,
            min=RECORDS_MIN,
            max=RECORDS_MAX,
            step=RECORDS_STEP,
            description="records",
            continuous_update=False,
            style=style,
            layout={"width": "34em"},
        )
        self.plot = widgets.Image(format="png")
        self.summary = widgets.HTML()
        for control in (*self.costs.values(), self.records):
            control.observe(self.onSettingsChanged, names="value")

    def _layout(self) -> Any:
        return widgets.VBox(
            [
                widgets.HTML("<b>LatencyDashboard</b>: µs of work per record, by stage"),
                widgets.HTML(SPREAD_NOTE),
                *self.costs.values(),
                self.records,
                self.summary,
                self.plot,
            ]
        )

    # -- callbacks and actions ---------------------------------------------------------

    def onSettingsChanged(self, change: object = None) -> None:
        """A slider moved: measure again and redraw (see :meth:`update`)."""
        self.update()

    def update(self) -> dict[str, StageMetrics]:
        """Run the pipeline with the current costs, name the bottleneck, redraw."""
        self.metrics = self._measure()
        self.simulatedSeconds = sum(m.ownSeconds for m in self.metrics.values())
        slowest = max(self.metrics.values(), key=lambda m: m.ownSeconds)
        self.bottleneck = slowest.stageName if slowest.ownSeconds > 0 else None
        self.runs += 1
        self.figure = plotLatencyPercentiles(
            self.metrics, title="Own time per record, by stage (simulated clock)", unit="µs"
        )
        if self.renderPngs:
            showFigure(self.figure, self.plot)
        self.summary.value = self._summaryHtml()
        return self.metrics

    def close(self) -> None:
        """Close the widgets (their views disappear from the page)."""
        closeTree(self.root)

    def _measure(self) -> dict[str, StageMetrics]:
        clock = FakeClock()
        stages = [
            _CostlyStage(stage, self.costs[name].value, clock, random.Random(f"{self.seed}-{name}"))
            for name, stage in (
                ("ThresholdFilter", ThresholdFilter(20.0, 80.0)),
                ("Normalizer", Normalizer(20.0, 80.0)),
                ("WindowAverage", WindowAverage(10)),
            )
        ]
        source = SensorSource(count=self.records.value, seed=self.seed)
        # The dashboard shows the numbers itself: its runs' log lines are not printed.
        with capturedLog(logger, propagate=False), PipelineContext(source, "dashboard") as ctx:
            ctx.run(stages=stages, sink=ListSink())
        return {stage.metrics.stageName: stage.metrics for stage in stages}

    def _summaryHtml(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{m.recordsIn}</td><td>{m.recordsOut}</td>"
            f"<td>{m.percentileMs(50) * 1000:.1f}</td><td>{m.percentileMs(95) * 1000:.1f}</td>"
            f"<td>{m.percentileMs(99) * 1000:.1f}</td><td>{m.ownSeconds * 1e6:,.0f}</td></tr>"
            for name, m in self.metrics.items()
        )
        if self.bottleneck is None:
            verdict = "No bottleneck: every stage costs 0 µs."
        else:
            share = self.metrics[self.bottleneck].ownSeconds / self.simulatedSeconds
            verdict = (
                f"Bottleneck: <b class='latencydashboard-bottleneck'>{self.bottleneck}</b> "
                f"({share:.0%} of the stages' own time)"
            )
        return (
            f"<div class='latencydashboard-summary'>{verdict}<table>"
            "<tr><th>stage</th><th>in</th><th>out</th><th>p50 µs</th><th>p95 µs</th>"
            f"<th>p99 µs</th><th>own µs (total)</th></tr>{rows}</table></div>"
        )


class _CostlyStage:
    """A stage measured on a simulated clock, charged ``costUs`` (× a random factor) per input."""

    def __init__(self, stage: Any, costUs: int, clock: FakeClock, rng: random.Random) -> None:
        self.component = stage
        self.costSeconds = costUs / 1e6
        self.clock = clock
        self.rng = rng
        name = type(stage).__name__

        def process(owner: _CostlyStage, inputStream: Iterator[Any]) -> Iterator[Any]:
            return iter(owner.component.process(owner._charged(inputStream)))

        # sampleEvery=1: every record timed, so the percentiles are exact, not estimates.
        self._process = measuredStage(name, sampleEvery=1, clock=clock)(process)
        self.metrics = StageMetrics(name)  # replaced by the run's when process() is called

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        stream = self._process(self, inputStream)
        self.metrics = getattr(self._process, "lastMetrics", None) or self.metrics
        return stream

    def _charged(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        """The input, each record advancing the clock by its cost: the stage's own time."""
        advance, cost, factor = self.clock.spend, self.costSeconds, self.rng.lognormvariate
        for record in inputStream:
            advance(cost * factor(0.0, COST_SPREAD))
            yield record

"""Per-stage metric plots: titles, units, data and style, read from the Figure object."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from pipeline_lib import ListSink, PipelineContext, SensorSource, StageMetrics, measuredStage
from pipeline_lib.naive import NaiveStageMetrics
from pipeline_lib.plotting import PALETTE, plotLatencyPercentiles, plotThroughput


def measured(name: str, latenciesMs: list[float], recordsIn: int) -> StageMetrics:
    metrics = StageMetrics(name)
    metrics.recordsIn, metrics.recordsOut = recordsIn, len(latenciesMs)
    metrics.histogram.addMany([ms / 1000 for ms in latenciesMs])
    return metrics


@pytest.fixture
def metrics() -> dict[str, StageMetrics]:
    return {
        "ThresholdFilter": measured("ThresholdFilter", [0.02] * 90 + [0.5] * 10, 120),
        "Normalizer": measured("Normalizer", [0.01] * 100, 100),
    }


def test_latency_plot_has_grouped_percentile_bars_in_ms(metrics: dict[str, StageMetrics]) -> None:
    figure = plotLatencyPercentiles(metrics)
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    assert axes.get_title() == "Own time per record, by stage"
    assert axes.get_ylabel() == "own time per record (ms)"
    assert [t.get_text() for t in axes.get_xticklabels()] == ["ThresholdFilter", "Normalizer"]
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["p50", "p95", "p99"]
    heights = [[bar.get_height() for bar in bars] for bars in axes.containers]
    assert heights == [[m.percentileMs(p) for m in metrics.values()] for p in (50, 95, 99)]
    assert heights[0][0] == pytest.approx(0.02, rel=0.01)
    assert heights[2][0] == pytest.approx(0.5, rel=0.01)
    colours = [to_hex(bars.patches[0].get_facecolor()) for bars in axes.containers]
    assert colours == [c.lower() for c in PALETTE[:3]]


def test_throughput_plot_shows_records_per_second(metrics: dict[str, StageMetrics]) -> None:
    figure = plotThroughput(metrics, title="Which stage is the bottleneck?")
    axes = figure.axes[0]
    assert axes.get_title() == "Which stage is the bottleneck?"
    assert axes.get_ylabel() == "input records per second of own time"
    assert [t.get_text() for t in axes.get_xticklabels()] == ["ThresholdFilter", "Normalizer"]
    assert [bar.get_height() for bar in axes.patches] == [m.throughputRps for m in metrics.values()]
    assert [bar.get_height() for bar in axes.patches] == pytest.approx(
        [120 / 6.8e-3, 1e5]
    )  # own time 6.8 ms, 1 ms


def test_figures_have_a_white_background(metrics: dict[str, StageMetrics]) -> None:
    for figure in (plotLatencyPercentiles(metrics), plotThroughput(metrics)):
        assert to_hex(figure.get_facecolor()) == "#ffffff"
        assert to_hex(figure.axes[0].get_facecolor()) == "#ffffff"


def test_plots_take_ctx_metrics_of_a_real_run() -> None:
    class Passing:
        @measuredStage("Passing")
        def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
            yield from inputStream

    with PipelineContext(SensorSource(count=500, seed=3)) as ctx:
        ctx.run(stages=[Passing()], sink=ListSink())
    figure = plotLatencyPercentiles(ctx.metrics, percentiles=(50, 90))
    assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == ["p50", "p90"]
    assert plotThroughput(ctx.metrics).axes[0].patches[0].get_height() > 0


def test_plots_refuse_empty_metrics_and_the_slides_metrics() -> None:
    with pytest.raises(ValueError, match=r"plotThroughput: metrics is empty"):
        plotThroughput({})
    naive = {"Slide": NaiveStageMetrics("Slide")}
    with pytest.raises(TypeError, match=r"metrics\['Slide'\] must be a StageMetrics"):
        plotLatencyPercentiles(naive)  # type: ignore[arg-type]


def test_throughput_is_per_second_of_own_time_not_of_the_run() -> None:
    """04's axis label: a fast stage before a slow one keeps its own rate, whatever the run took."""

    from pipeline_lib import PipelineContext, measuredStage
    from pipeline_lib.testing import FakeClock

    clock = FakeClock()

    def costly(name: str, seconds: float) -> object:
        @measuredStage(name, clock=clock)
        def process(self: object, inputStream: Iterator[int]) -> Iterator[int]:
            for record in inputStream:
                clock.spend(seconds)
                yield record

        return type(name, (), {"process": process})()

    class Drain:
        def consume(self, stream: Iterator[int]) -> None:
            for _ in stream:
                pass

    class Numbers:
        def stream(self) -> Iterator[int]:
            yield from range(100)

    with PipelineContext(Numbers(), pipelineId="rates") as ctx:
        ctx.run(stages=[costly("Fast", 0.001), costly("Slow", 0.010)], sink=Drain())
    bars = [bar.get_height() for bar in plotThroughput(ctx.metrics).axes[0].patches]
    assert bars == pytest.approx([1000.0, 100.0])  # 1 / own cost, not 100 records / 1.1 s
    assert clock() == pytest.approx(1.1)

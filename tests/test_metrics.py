"""@measuredStage: each stage's own time, exact counts, reports however the stream ends.

Costs are simulated with a fake clock that the source, stages and sink advance, so the
expected own times are known exactly and nothing depends on the machine's load.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_lib import ListSink, PipelineContext, StageMetrics, measuredStage, naive
from pipeline_lib.faults import Fault, failSource
from pipeline_lib.metrics import ROUND_SIZE
from pipeline_lib.observe import observing
from pipeline_lib.testing import FakeClock

MS = 1e-3  # seconds


class CostlySource:
    def __init__(self, clock: FakeClock, count: int, cost: float = 0.0) -> None:
        self.clock, self.count, self.cost = clock, count, cost

    def stream(self) -> Iterator[int]:
        for record in range(self.count):
            self.clock.spend(self.cost)
            yield record


class CostlySink:
    def __init__(self, clock: FakeClock, cost: float = 0.0) -> None:
        self.clock, self.cost, self.records = clock, cost, list[Any]()

    def consume(self, stream: Iterator[Any]) -> None:
        for record in stream:
            self.clock.spend(self.cost)
            self.records.append(record)


def costlyStage(
    name: str, clock: FakeClock, cost: float, *, keep: Any = None, sampleEvery: int = 1
) -> Any:
    """A stage that spends ``cost`` seconds per input and yields those that ``keep``."""

    class Costly:
        @measuredStage(name, clock=clock, sampleEvery=sampleEvery)
        def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
            for record in inputStream:
                clock.spend(cost(record) if callable(cost) else cost)
                if keep is None or keep(record):
                    yield record

    return Costly()


def runInContext(clock: FakeClock, stages: list[Any], count: int = 100, **costs: float) -> Any:
    sink = CostlySink(clock, costs.get("sinkCost", 0.0))
    source = CostlySource(clock, count, costs.get("sourceCost", 0.0))
    with PipelineContext(source, pipelineId="test") as ctx:
        ctx.run(stages=stages, sink=sink)
    return ctx


# -- own time: who gets the blame ---------------------------------------------------------


def test_a_slow_stage_after_a_fast_one_is_blamed_not_its_neighbour() -> None:
    clock = FakeClock()
    fast, slow = costlyStage("Fast", clock, 0.01 * MS), costlyStage("Slow", clock, 5 * MS)
    ctx = runInContext(clock, [fast, slow])
    assert ctx.metrics["Fast"].meanLatencyMs == pytest.approx(0.01)
    assert ctx.metrics["Slow"].meanLatencyMs == pytest.approx(5.0)


def test_the_slides_decorator_blames_the_fast_stage_for_the_slow_one() -> None:
    """The 'before' picture: slide 9's wrapper measures the consumer."""
    clock = FakeClock()

    class Fast:
        @naive.measuredStage("Fast", clock=clock)
        def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
            for record in inputStream:
                clock.spend(0.01 * MS)
                yield record

    ctx = runInContext(clock, [Fast(), costlyStage("Slow", clock, 5 * MS)])
    assert Fast.process.lastMetrics.meanLatencyMs == pytest.approx(5.0)  # Slow's cost
    assert ctx.metrics["Slow"].meanLatencyMs == pytest.approx(5.0)


def test_a_slow_source_or_sink_is_nobodys_stage_time() -> None:
    clock = FakeClock()
    stage = costlyStage("Stage", clock, 0.5 * MS)
    ctx = runInContext(clock, [stage], sourceCost=7 * MS, sinkCost=11 * MS)
    metrics = ctx.metrics["Stage"]
    assert metrics.meanLatencyMs == pytest.approx(0.5)
    assert metrics.maxLatencyMs == pytest.approx(0.5)
    assert metrics.ownSeconds == pytest.approx(100 * 0.5 * MS)


@settings(max_examples=75, deadline=None)
@given(
    costs=st.lists(st.integers(0, 1000), min_size=1, max_size=60),
    keeps=st.lists(st.booleans(), min_size=60, max_size=60),
    sourceCost=st.integers(0, 1000),
    sinkCost=st.integers(0, 1000),
    neighbourCost=st.integers(0, 1000),
)
def test_own_time_per_output_is_exact_for_any_costs_and_filter(
    costs: list[int], keeps: list[bool], sourceCost: int, sinkCost: int, neighbourCost: int
) -> None:
    """Each output's latency = the stage's costs since the previous output, nothing else."""
    clock, unit = FakeClock(), 1e-6  # costs in microseconds
    stage = costlyStage(
        "Filter", clock, lambda record: costs[record] * unit, keep=lambda record: keeps[record]
    )
    neighbour = costlyStage("Neighbour", clock, neighbourCost * unit)
    ctx = runInContext(
        clock,
        [neighbour, stage, costlyStage("After", clock, 0.0)],
        count=len(costs),
        sourceCost=sourceCost * unit,
        sinkCost=sinkCost * unit,
    )
    expected, pending = [], 0
    for record, cost in enumerate(costs):
        pending += cost
        if keeps[record]:
            expected.append(pending * unit * 1000)  # ms
            pending = 0
    metrics = ctx.metrics["Filter"]
    assert (metrics.recordsIn, metrics.recordsOut) == (len(costs), len(expected))
    assert metrics.tailSeconds == pytest.approx(pending * unit, abs=1e-9)
    assert metrics.ownSeconds == pytest.approx(sum(costs) * unit, abs=1e-9)
    if expected:
        assert metrics.meanLatencyMs == pytest.approx(sum(expected) / len(expected), abs=1e-6)
        for p in (50, 95, 99):
            exact = sorted(expected)[max(1, math.ceil(p * len(expected) / 100)) - 1]
            assert metrics.percentileMs(p) == pytest.approx(exact, rel=0.01, abs=1e-6)
        assert metrics.maxLatencyMs == pytest.approx(max(expected), abs=1e-6)


# -- counts, percentiles, summary ---------------------------------------------------------


def test_counts_through_a_filter_are_exact() -> None:
    clock = FakeClock()
    evens = costlyStage("Evens", clock, 0.0, keep=lambda record: record % 2 == 0, sampleEvery=32)
    ctx = runInContext(clock, [evens], count=10_001)
    assert (ctx.metrics["Evens"].recordsIn, ctx.metrics["Evens"].recordsOut) == (10_001, 5_001)


def test_percentiles_of_a_bimodal_stage() -> None:
    clock = FakeClock()
    # 90 % of the records cost 1 ms, every tenth costs 10 ms
    bimodal = costlyStage("Bimodal", clock, lambda r: (10 if r % 10 == 9 else 1) * MS)
    metrics = runInContext(clock, [bimodal], count=1000).metrics["Bimodal"]
    assert metrics.percentileMs(50) == pytest.approx(1.0, rel=0.01)
    assert metrics.percentileMs(90) == pytest.approx(1.0, rel=0.01)
    assert metrics.percentileMs(95) == pytest.approx(10.0, rel=0.01)
    assert metrics.percentileMs(99) == pytest.approx(10.0, rel=0.01)
    assert metrics.maxLatencyMs == pytest.approx(10.0)
    assert metrics.meanLatencyMs == pytest.approx(1.9)


def test_summary_has_slide_8s_exact_form() -> None:
    clock = FakeClock()
    stage = costlyStage("ThresholdFilter", clock, 0.02 * MS, keep=lambda r: r % 4 != 0)
    metrics = runInContext(clock, [stage], count=10_000).metrics["ThresholdFilter"]
    # 10,000 records x 0.02 ms = 0.2 s of own time: 50,000 in per second;
    # 7,500 out, each for 0.2 s / 7,500 = 0.0267 ms of own time.
    assert metrics.summary() == (
        "ThresholdFilter: in=10000 out=7500 throughput=50000rps meanLatency=0.027ms"
    )


def test_summary_format_with_the_real_clock() -> None:
    class Double:
        @measuredStage("Double")
        def process(self, inputStream: Iterator[int]) -> Iterator[int]:
            for record in inputStream:
                yield record * 2

    assert list(Double().process(iter(range(5000)))) == [2 * r for r in range(5000)]
    metrics = Double.process.lastMetrics
    assert re.fullmatch(
        r"Double: in=5000 out=5000 throughput=\d+rps meanLatency=\d+\.\d{3}ms", metrics.summary()
    )
    assert (
        0.0 <= metrics.percentileMs(50) <= metrics.percentileMs(99) <= metrics.maxLatencyMs * 1.01
    )


# -- sampling -----------------------------------------------------------------------------


def test_a_fast_stage_is_sampled_after_the_first_round_and_its_estimates_hold() -> None:
    clock = FakeClock()
    stage = costlyStage("Fast", clock, 0.005 * MS, sampleEvery=32)  # 5 µs: fast
    metrics = runInContext(clock, [stage], count=50_000).metrics["Fast"]
    assert not metrics.exact
    assert ROUND_SIZE < metrics.timedRecords < ROUND_SIZE + 2 * 50_000 / 32
    assert metrics.recordsOut == 50_000  # counts stay exact
    assert metrics.meanLatencyMs == pytest.approx(0.005)  # every record costs the same
    assert metrics.throughputRps == pytest.approx(200_000)


def test_a_slow_stage_keeps_every_record_timed_by_default() -> None:
    clock = FakeClock()
    stage = costlyStage("Slow", clock, 0.05 * MS, sampleEvery=32)  # 50 µs: not fast
    metrics = runInContext(clock, [stage], count=3 * ROUND_SIZE + 7).metrics["Slow"]
    assert metrics.exact and metrics.timedRecords == metrics.recordsOut == 3 * ROUND_SIZE + 7


def test_sample_every_1_times_every_record_of_a_fast_stage() -> None:
    clock = FakeClock()
    stage = costlyStage("Fast", clock, 0.0, sampleEvery=1)
    metrics = runInContext(clock, [stage], count=2000).metrics["Fast"]
    assert metrics.exact and metrics.timedRecords == 2000


# -- reporting in a PipelineContext -------------------------------------------------------


def test_ctx_metrics_lists_measured_stages_in_pipeline_order_and_report_shows_them() -> None:
    clock = FakeClock()
    unmeasured = type("Plain", (), {"process": lambda self, stream: iter(stream)})()
    stages = [costlyStage(name, clock, 1 * MS) for name in ("Zeta", "Alpha", "Mid")]
    ctx = runInContext(clock, [stages[0], unmeasured, stages[1], stages[2], stages[1]])
    assert list(ctx.metrics) == ["Zeta", "Alpha", "Mid", "Alpha#2"]
    assert all(isinstance(m, StageMetrics) for m in ctx.metrics.values())
    lines = str(ctx.report()).splitlines()
    assert lines[1:] == [f"  {m.summary()}" for m in ctx.metrics.values()]
    assert lines[1] == "  Zeta: in=100 out=100 throughput=1000rps meanLatency=1.000ms"


def test_metrics_are_registered_when_process_is_called_not_when_iterated() -> None:
    stage = costlyStage("Lazy", FakeClock(), 0.0)
    with observing() as seen:
        generator = stage.process(iter([1, 2]))
        assert list(seen.stageMetrics) == ["Lazy"]
        assert seen.stageMetrics["Lazy"].outcome == "created"
    generator.close()


def test_a_stage_closed_early_still_reports_and_its_finally_runs() -> None:
    clock, events = FakeClock(), list[str]()

    class Guarded:
        @measuredStage("Guarded", clock=clock)
        def process(self, inputStream: Iterator[int]) -> Iterator[int]:
            try:
                for record in inputStream:
                    clock.spend(2 * MS)
                    yield record
            finally:
                events.append("finally")

    generator = Guarded().process(iter(range(100)))
    assert [next(generator) for _ in range(7)] == list(range(7))
    generator.close()
    metrics = Guarded.process.lastMetrics
    assert events == ["finally"]
    assert (metrics.recordsIn, metrics.recordsOut, metrics.outcome) == (7, 7, "closed")
    assert metrics.meanLatencyMs == pytest.approx(2.0)


def test_a_sink_that_stops_early_leaves_metrics_of_what_was_seen() -> None:
    clock = FakeClock()

    class FirstFive:
        def consume(self, stream: Iterator[Any]) -> None:
            for _, _record in zip(range(5), stream, strict=False):
                pass

    with PipelineContext(CostlySource(clock, 100), pipelineId="early") as ctx:
        ctx.run(stages=[costlyStage("Stage", clock, 1 * MS)], sink=FirstFive())
    metrics = ctx.metrics["Stage"]
    assert (metrics.recordsIn, metrics.recordsOut, metrics.outcome) == (5, 5, "closed")


def test_a_stage_failing_mid_stream_still_reports_and_the_error_is_unchanged() -> None:
    clock, boom = FakeClock(), ValueError("bad record 42")

    class Fragile:
        @measuredStage("Fragile", clock=clock)
        def process(self, inputStream: Iterator[int]) -> Iterator[int]:
            for record in inputStream:
                clock.spend(1 * MS)
                if record == 42:
                    raise boom
                yield record

    with pytest.raises(ValueError) as raised, PipelineContext(CostlySource(clock, 100)) as ctx:
        ctx.run(stages=[Fragile()], sink=ListSink())
    assert raised.value is boom
    metrics = ctx.metrics["Fragile"]
    assert (metrics.recordsIn, metrics.recordsOut) == (43, 42)
    assert (metrics.outcome, metrics.error) == ("failed", "ValueError: bad record 42")
    assert "Fragile: in=43 out=42" in str(ctx.report())


def test_a_failing_source_shows_in_the_stage_downstream() -> None:
    clock = FakeClock()
    source = failSource(CostlySource(clock, 100), Fault(atRecord=30))
    with pytest.raises(OSError), PipelineContext(source) as ctx:
        ctx.run(stages=[costlyStage("Stage", clock, 1 * MS)], sink=ListSink())
    metrics = ctx.metrics["Stage"]
    assert (metrics.recordsIn, metrics.recordsOut, metrics.outcome) == (30, 30, "failed")


# -- outside a PipelineContext ------------------------------------------------------------


def test_outside_a_context_the_summary_is_logged_when_exhausted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    stage = costlyStage("Alone", clock, 1 * MS)
    with caplog.at_level(logging.INFO, logger="pipeline_lib"):
        assert list(stage.process(iter(range(10)))) == list(range(10))
    assert caplog.messages == ["Alone: in=10 out=10 throughput=1000rps meanLatency=1.000ms"]
    assert stage.process.lastMetrics is type(stage).process.lastMetrics  # type: ignore[attr-defined]
    assert stage.process.lastMetrics.outcome == "exhausted"  # type: ignore[attr-defined]


def test_inside_a_context_nothing_is_logged_per_stage(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    with caplog.at_level(logging.INFO, logger="pipeline_lib"):
        runInContext(clock, [costlyStage("Quiet", clock, 0.0)])
    assert not [m for m in caplog.messages if m.startswith("Quiet")]


def test_last_metrics_is_none_before_any_call() -> None:
    stage = costlyStage("Unused", FakeClock(), 0.0)
    assert stage.process.lastMetrics is None


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"stageName": "X", "clock": 3.0}, TypeError, r"measuredStage.clock must be callable"),
    ],
)
def test_arguments_are_checked(kwargs: dict[str, Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        measuredStage(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"stageName": 3}, TypeError, r"measuredStage.stageName must be a str, got 3"),
        ({"stageName": ""}, ValueError, r"stageName must be a non-empty name"),
        ({"stageName": "X", "sampleEvery": "x"}, TypeError, r"sampleEvery must be an int, got 'x'"),
        ({"stageName": "X", "sampleEvery": True}, TypeError, r"sampleEvery must be an int"),
        ({"stageName": "X", "sampleEvery": 0}, ValueError, r"sampleEvery must be >= 1, got 0"),
    ],
)
def test_a_wrong_kind_is_a_type_error_and_a_bad_value_a_value_error(
    kwargs: dict[str, Any], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        measuredStage(**kwargs)


# -- what process() may return ----------------------------------------------------------


def listStage(clock: FakeClock, cost: float) -> Any:
    """A stage whose ``process`` returns a list, as a student may write it."""

    class Listing:
        @measuredStage("Listing", sampleEvery=1, clock=clock)
        def process(self, inputStream: Iterator[Any]) -> Any:
            kept = []
            for record in inputStream:
                clock.spend(cost)
                if record % 2 == 0:
                    kept.append(record)
            return kept

    return Listing()


def test_a_process_returning_a_list_is_measured_like_a_generator() -> None:
    clock = FakeClock()
    stage = listStage(clock, 1 * MS)
    ctx = runInContext(clock, [stage], count=100, sourceCost=5 * MS)
    metrics = ctx.metrics["Listing"]
    assert ctx.recordCount == 50 and (metrics.recordsIn, metrics.recordsOut) == (100, 50)
    assert metrics.outcome == "exhausted"
    # All of its work happened in the call: 100 ms of its own, the source's 500 ms not.
    assert metrics.ownSeconds == pytest.approx(100 * MS)


def test_a_process_returning_a_list_runs_under_the_command_lines_adapter() -> None:
    from pipeline_lib.adapters import MeasuredStage

    class Plain:
        def process(self, inputStream: Iterator[Any]) -> list[Any]:
            return [record for record in inputStream if record > 2]

    with PipelineContext(CostlySource(FakeClock(), 6)) as ctx:
        ctx.run(stages=[MeasuredStage(Plain(), "plain")], sink=(sink := ListSink()))
    assert sink.records == [3, 4, 5] and ctx.metrics["plain"].recordsIn == 6


def test_a_process_returning_no_iterable_is_a_type_error_naming_the_stage() -> None:
    class Broken:
        @measuredStage("Broken")
        def process(self, inputStream: Iterator[Any]) -> Any:
            return None

    with pytest.raises(
        TypeError, match=r"measuredStage\('Broken'\): process\(\) must return an iterable"
    ):
        Broken().process(iter([1]))


def test_a_round_whose_last_latency_lost_its_weight_still_folds() -> None:
    """A signal handler may raise between the timed record's two appends (seen with SIGTERM
    on Python 3.13): ending the round must then keep the interrupt, not raise ValueError."""
    from pipeline_lib.metrics import _StageTimer
    from pipeline_lib.tally import Tally

    metrics = StageMetrics("Stage")
    timer = _StageTimer(metrics, FakeClock(), Tally(iter(())), logSummary=False)
    timer._latencies += [0.001, 0.002]
    timer._weights += [1]  # the interrupt came before the second weight
    timer._endRound()
    assert (metrics.timedRecords, metrics.histogram.count) == (1, 1)

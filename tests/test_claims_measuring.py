"""Claims of notebook 04 added by its student review, pinned without the notebook.

Each test names the sentence it pins. The claims about per-record numbers are checked on
a FakeClock (exact) and the ones about real time on plain CPU work with the default clock,
so no teaching aid creates what the notebook shows.
"""

from __future__ import annotations

import collections
import functools
import gc
import inspect
import io
import itertools
import logging
import pydoc
import time
import traceback
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import pipeline_lib
from pipeline_lib import PipelineContext, naive
from pipeline_lib.testing import FakeClock

MS = 1e-3


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    """No summary lines from the decorators while the claims are measured."""
    logging.disable(logging.INFO)
    yield
    logging.disable(logging.NOTSET)


# -- "Tracebacks do not change either way" (cell on functools.wraps) -----------------------


def _decorated(withWraps: bool) -> Callable[..., Any]:
    def decorator(processMethod: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, inputStream: Any) -> Any:
            logging.getLogger("claims").warning("in the wrapper")
            return processMethod(self, inputStream)

        return functools.wraps(processMethod)(wrapper) if withWraps else wrapper

    def process(self: Any, inputStream: Any, *, strict: bool = False) -> Any:
        """Parse each record."""
        raise ValueError("bad record")

    return decorator(process)


def _tracebackAndLogLine(function: Callable[..., Any]) -> tuple[list[str], str]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(funcName)s: %(message)s"))
    logger = logging.getLogger("claims")
    logger.addHandler(handler)
    logging.disable(logging.NOTSET)
    try:
        function(None, [])
    except ValueError as error:
        frames = [frame.name for frame in traceback.extract_tb(error.__traceback__)]
    finally:
        logger.removeHandler(handler)
    return frames[1:], stream.getvalue()


def test_wraps_changes_name_doc_help_and_signature_but_not_tracebacks_or_log_func_names() -> None:
    wrapped, bare = _decorated(withWraps=True), _decorated(withWraps=False)
    assert (wrapped.__name__, wrapped.__doc__) == ("process", "Parse each record.")
    assert (bare.__name__, bare.__doc__) == ("wrapper", None)
    assert "Parse each record." in pydoc.render_doc(wrapped)
    assert "Parse each record." not in pydoc.render_doc(bare)
    assert "strict" in str(inspect.signature(wrapped))  # through __wrapped__
    assert "strict" not in str(inspect.signature(bare))
    # what a traceback and logging's %(funcName)s show is the same with or without wraps
    assert _tracebackAndLogLine(wrapped) == _tracebackAndLogLine(bare)
    frames, logLine = _tracebackAndLogLine(wrapped)
    assert frames == ["wrapper", "process"] and logLine.startswith("wrapper:")


# -- "meanLatency is own time per record the stage yields ... throughput records read" ------


def _filterMetrics(keepEvery: int, count: int = 1000, costMs: float = 0.05) -> Any:
    clock = FakeClock()

    class Filter:
        @pipeline_lib.measuredStage("Filter", clock=clock)
        def process(self, inputStream: Iterator[int]) -> Iterator[int]:
            for record in inputStream:
                clock.spend(costMs * MS)
                if record % keepEvery == 0:
                    yield record

    collections.deque(Filter().process(iter(range(count))), maxlen=0)
    return Filter.process.lastMetrics


def test_a_filters_mean_latency_is_per_record_out_and_its_throughput_per_record_in() -> None:
    metrics = _filterMetrics(keepEvery=4)
    assert (metrics.recordsIn, metrics.recordsOut) == (1000, 250)
    assert metrics.meanLatencyMs == pytest.approx(0.2, rel=0.01)  # "reports about 0.2 ms"
    assert metrics.ownSeconds == pytest.approx(1000 * 0.05 * MS)
    assert metrics.throughputRps == pytest.approx(metrics.recordsIn / metrics.ownSeconds)
    assert metrics.throughputRps == pytest.approx(1 / (0.05 * MS))  # per record read
    unfiltered = _filterMetrics(keepEvery=1)
    assert unfiltered.meanLatencyMs == pytest.approx(0.05)


def _threeStages(costsMs: dict[str, float], keep: dict[str, int]) -> dict[str, Any]:
    """Stages in a row on a FakeClock; stage N keeps one record in ``keep[N]``."""
    clock = FakeClock()

    def stage(name: str) -> Any:
        class Costly:
            @pipeline_lib.measuredStage(name, clock=clock)
            def process(self, inputStream: Iterator[int]) -> Iterator[int]:
                for record in inputStream:
                    clock.spend(costsMs[name] * MS)
                    if record % keep.get(name, 1) == 0:
                        yield record

        return Costly()

    class Source:
        def stream(self) -> Iterator[int]:
            yield from range(1000)

    class Sink:
        def consume(self, stream: Iterator[int]) -> None:
            collections.deque(stream, maxlen=0)

    with PipelineContext(Source(), pipelineId="claims") as ctx:
        ctx.run(stages=[stage(name) for name in costsMs], sink=Sink())
    return dict(ctx.metrics)


def _largest(metrics: dict[str, Any], key: Callable[[Any], float]) -> str:
    return max(metrics, key=lambda name: key(metrics[name]))


def test_per_record_numbers_name_the_costliest_stage_only_when_every_stage_sees_every_record() -> (
    None
):
    # "Here both stages handle all 100 records, so either number points at Enricher."
    same = _threeStages({"Parser": 1.0, "Enricher": 10.0}, keep={})
    assert (
        _largest(same, lambda m: m.ownSeconds)
        == _largest(same, lambda m: m.meanLatencyMs)
        == _largest(same, lambda m: -m.throughputRps)
        == "Enricher"
    )
    # "behind a filter ... a per-record number no longer tells": Exercise 1's costs, a filter
    behind = _threeStages(
        {"Calibrator": 0.2, "OutlierFilter": 0.05, "Enricher": 0.6}, keep={"OutlierFilter": 4}
    )
    assert _largest(behind, lambda m: m.ownSeconds) == "Calibrator"
    assert _largest(behind, lambda m: m.meanLatencyMs) == "Enricher"
    assert _largest(behind, lambda m: -m.throughputRps) == "Enricher"


# -- "On a real clock the own times add up to a little less than the run" ------------------


def _work(loops: int) -> int:
    total = 0
    for i in range(loops):
        total += i * i
    return total


def test_on_a_real_clock_own_times_add_up_to_less_than_the_run_and_blame_the_slow_stage() -> None:
    class Source:
        def stream(self) -> Iterator[int]:
            yield from range(300)

    class Sink:
        def consume(self, stream: Iterator[int]) -> None:
            for _ in stream:
                _work(300)

    def stage(name: str, loops: int) -> Any:
        class Busy:
            @pipeline_lib.measuredStage(name)  # the default clock: time.perf_counter
            def process(self, inputStream: Iterator[int]) -> Iterator[int]:
                for record in inputStream:
                    _work(loops)
                    yield record

        return Busy()

    start = time.perf_counter()
    with PipelineContext(Source(), pipelineId="real") as ctx:
        ctx.run(stages=[stage("Parser", 100), stage("Enricher", 2000)], sink=Sink())
    run = time.perf_counter() - start
    own = {name: metrics.ownSeconds for name, metrics in ctx.metrics.items()}
    assert 0 < sum(own.values()) < run
    assert own["Enricher"] > own["Parser"]


# -- "The engine's metrics are the same size after either run" (counted as the cell does) --

LIBRARY = tracemalloc.Filter(True, f"{pipeline_lib.__path__[0]}/*")


def _heldByLibrary(decorator: Callable[..., Any], count: int) -> int:
    """Bytes pipeline_lib's files still hold after a pass-through run (metrics kept alive)."""

    class PassThrough:
        def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
            yield from inputStream

    PassThrough.process = decorator("PassThrough")(PassThrough.process)  # type: ignore[method-assign]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot().filter_traces([LIBRARY])
        collections.deque(PassThrough().process(itertools.repeat(None, count)), maxlen=0)
        gc.collect()
        after = tracemalloc.take_snapshot().filter_traces([LIBRARY])
    finally:
        tracemalloc.stop()
    assert PassThrough.process.lastMetrics is not None  # what is counted is still alive
    return sum(stat.size_diff for stat in after.compare_to(before, "filename"))


def test_the_engines_metrics_stay_the_same_size_and_slide_9s_list_grows_per_record() -> None:
    small, large = (_heldByLibrary(pipeline_lib.measuredStage, n) for n in (1_000, 10_000))
    assert small == pytest.approx(large, abs=512)
    assert 13 * 1024 < large < 16 * 1024  # "1,728 counters (8 bytes each, 14 KiB in all)"
    slideSmall, slideLarge = (_heldByLibrary(naive.measuredStage, n) for n in (1_000, 10_000))
    perRecord = (slideLarge - slideSmall) / 9_000
    assert 28 < perRecord < 40  # "about 32 bytes per record"


# -- sampling: "fewer than a thousand of the 20,000 records were timed" --------------------


def _checksumRun(sampleEvery: int, clock: Any) -> Any:
    """20,000 records through a stage of about 5 µs (spent on ``clock`` if it is fake)."""
    fake = isinstance(clock, FakeClock)

    class Checksum:
        @pipeline_lib.measuredStage("Checksum", clock=clock, sampleEvery=sampleEvery)
        def process(self, inputStream: Iterator[int]) -> Iterator[int]:
            for record in inputStream:
                clock.spend(5e-6) if fake else _work(10)
                yield record

    collections.deque(Checksum().process(iter(range(20_000))), maxlen=0)
    return Checksum.process.lastMetrics


def test_a_fast_stage_is_timed_on_fewer_than_a_thousand_of_20000_records_counts_exact() -> None:
    sampled = _checksumRun(32, FakeClock())
    assert (sampled.recordsIn, sampled.recordsOut) == (20_000, 20_000)
    assert 256 < sampled.timedRecords < 1000 and not sampled.exact
    exact = _checksumRun(1, FakeClock())
    assert exact.timedRecords == 20_000 and exact.exact


class CountingClock:
    """The real clock, counting its reads."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return time.perf_counter()


def test_sampling_reads_the_clock_far_less_often_than_timing_every_record() -> None:
    # "Timing every record costs many times what such a stage does itself; sampling gives
    # most of it back": the cost is the clock reads, counted instead of timed (no ratio of
    # times is asserted on a noisy machine).
    everyRecord, sampled = CountingClock(), CountingClock()
    _checksumRun(1, everyRecord)
    _checksumRun(32, sampled)
    assert everyRecord.reads >= 20_000  # at least one read per record timed
    assert sampled.reads < everyRecord.reads / 5

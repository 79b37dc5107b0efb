"""Adapters: any stage measured, any source retried, without touching their classes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_lib import (
    ListSink,
    PipelineContext,
    SensorSource,
    ThresholdFilter,
    WindowAverage,
    measuredStage,
)
from pipeline_lib.adapters import MeasuredStage, RetriedSource, isMeasured
from pipeline_lib.faults import Fault, failSource
from pipeline_lib.testing import TracingComponent

RECORDS = 60


def _run(source: Any, stages: list[Any]) -> tuple[PipelineContext, list[Any]]:
    sink = ListSink()
    with PipelineContext(source, pipelineId="t") as ctx:
        ctx.run(stages=stages, sink=sink)
    return ctx, sink.records


def test_measured_stages_appear_in_the_metrics_by_name_in_pipeline_order() -> None:
    stages = [MeasuredStage(ThresholdFilter(20.0, 80.0), "filter"),
              MeasuredStage(WindowAverage(3), "smooth")]  # fmt: skip
    ctx, records = _run(SensorSource(count=RECORDS, seed=1), stages)
    assert list(ctx.metrics) == ["filter", "smooth"]
    assert ctx.metrics["filter"].recordsIn == RECORDS
    assert ctx.metrics["smooth"].recordsOut == len(records)
    assert "filter: in=60" in ctx.report()


def test_a_measured_stage_yields_exactly_what_the_stage_yields() -> None:
    _, plain = _run(SensorSource(count=RECORDS, seed=2), [WindowAverage(4)])
    _, measured = _run(SensorSource(count=RECORDS, seed=2), [MeasuredStage(WindowAverage(4), "w")])
    assert measured == plain


class ManagedStage(TracingComponent):
    """A pass-through stage that owns a resource."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        yield from inputStream


def test_the_adapter_opens_and_closes_what_the_stage_owns_even_on_failure() -> None:
    events: list[str] = []
    source = failSource(SensorSource(count=RECORDS, seed=1), Fault(atRecord=5))
    with pytest.raises(OSError):
        _run(source, [MeasuredStage(ManagedStage("stage", events), "managed")])
    assert events == ["stage: opened", "stage: closed"]


def test_is_measured_recognises_a_decorated_process_method() -> None:
    class Doubler:
        @measuredStage("Doubler")
        def process(self, inputStream: Iterator[int]) -> Iterator[int]:
            for record in inputStream:
                yield record * 2

    assert isMeasured(Doubler())
    assert not isMeasured(WindowAverage(2))


def test_a_retried_source_heals_transient_failures_without_duplicates() -> None:
    flaky = failSource(SensorSource(count=RECORDS, seed=3), Fault(atRecords=(10, 10, 40)))
    ctx, records = _run(RetriedSource(flaky, maxAttempts=4, delaySeconds=0.0), [])
    assert records == list(SensorSource(count=RECORDS, seed=3).stream())
    assert ctx.retries == {"FaultySource.stream": 3}


def test_a_retried_source_gives_up_with_the_original_error() -> None:
    error = ConnectionResetError("hub gone")
    flaky = failSource(SensorSource(count=RECORDS, seed=3), Fault(atRecord=7, error=error))
    with pytest.raises(ConnectionResetError) as caught:
        _run(RetriedSource(flaky, maxAttempts=2, delaySeconds=0.0), [])
    assert caught.value is error


def test_a_source_without_resume_is_re_read_and_skipped() -> None:
    class Letters:
        failed = False

        def stream(self) -> Iterator[str]:
            for index, letter in enumerate("abcdef"):
                if index == 3 and not Letters.failed:
                    Letters.failed = True
                    raise TimeoutError("slow disk")
                yield letter

    _, records = _run(RetriedSource(Letters(), delaySeconds=0.0), [])
    assert records == list("abcdef")


@settings(max_examples=60, deadline=None)
@given(
    failures=st.lists(st.integers(0, RECORDS - 1), max_size=4).map(sorted),
    measured=st.booleans(),
)
def test_any_transient_schedule_gives_the_failure_free_output(
    failures: list[int], measured: bool
) -> None:
    expected = list(WindowAverage(3).process(SensorSource(count=RECORDS, seed=4).stream()))
    source: Any = SensorSource(count=RECORDS, seed=4)
    if failures:
        source = failSource(source, Fault(atRecords=tuple(failures)))
    stage: Any = WindowAverage(3)
    retried = RetriedSource(source, maxAttempts=len(failures) + 1, delaySeconds=0.0)
    _, records = _run(retried, [MeasuredStage(stage, "w") if measured else stage])
    assert records == expected


def test_a_retried_source_counts_its_attempts_and_takes_the_name_it_is_given() -> None:
    flaky = failSource(SensorSource(count=RECORDS, seed=3), Fault(atRecords=(10, 30)))
    retried = RetriedSource(flaky, maxAttempts=3, delaySeconds=0.0, name="Hub")
    ctx, records = _run(retried, [])
    assert records == list(SensorSource(count=RECORDS, seed=3).stream())
    assert retried.attempts == 3 and ctx.retries == {"Hub.stream": 2}


def test_a_retried_source_with_slide_10s_decorator_restarts_and_duplicates() -> None:
    from pipeline_lib import naive

    flaky = failSource(SensorSource(count=RECORDS, seed=3), Fault(atRecord=10, times=1))
    retried = RetriedSource(flaky, retry=naive.retryOnFailure(maxAttempts=2, delaySeconds=0))
    _, records = _run(retried, [])
    assert len(records) == RECORDS + 10 and retried.attempts == 2
    with pytest.raises(TypeError, match="not both"):
        RetriedSource(flaky, retry=naive.retryOnFailure(), maxAttempts=2)

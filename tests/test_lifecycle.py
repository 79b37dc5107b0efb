"""PipelineContext: the cleanup guarantee, the log lines, the results after the block."""

from __future__ import annotations

import gc
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline_lib import (
    ConnectionPool,
    CsvSink,
    ListSink,
    PipelineContext,
    SensorSource,
    SqliteSink,
    SqliteSource,
    ThresholdFilter,
    openFileDescriptors,
)
from pipeline_lib.faults import Fault, failSink, failSource, failStage
from pipeline_lib.testing import TracingComponent, TracingStage

RECORDS = 30


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "readings.sqlite"
    SqliteSink(path).consume(SensorSource(count=RECORDS, seed=3).stream())
    return path


class ManagedStage(TracingStage):
    """A stage that also owns a resource: the engine must open and close it."""

    def __enter__(self) -> ManagedStage:
        self.events.append(f"{self.name}: opened")
        return self

    def __exit__(self, *excInfo: object) -> None:
        self.events.append(f"{self.name}: released")


ERRORS = st.sampled_from([OSError, ValueError, RuntimeError, KeyboardInterrupt])
PLACES = st.sampled_from(["source", "stage0", "stage1", "stage2", "sink"])


def _pipeline(
    pool: ConnectionPool, folder: Path, events: list[str], place: str, fault: Fault
) -> tuple[Any, list[Any], Any]:
    source: Any = SqliteSource(pool)
    stages: list[Any] = [
        TracingStage("a", events),
        ManagedStage("b", events),
        TracingStage("c", events, transform=lambda r: r),
    ]
    sink: Any = CsvSink(folder / "out.csv")
    if place == "source":
        source = failSource(source, fault)
    elif place == "sink":
        sink = failSink(sink, fault)
    else:
        index = int(place[-1])
        stages[index] = failStage(stages[index], fault)
    return source, stages, sink


def _assertEverythingClosed(events: list[str], pool: ConnectionPool, folder: Path) -> None:
    for name in "abc":
        assert events.count(f"{name}: started") == events.count(f"{name}: closed"), events
    assert events.count("b: opened") == events.count("b: released") == 1
    assert pool.inUse == 0
    assert not [p.name for p in folder.iterdir() if p.name != "out.csv"], "temporary file left"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(place=PLACES, atRecord=st.integers(0, RECORDS + 2), errorType=ERRORS, held=st.booleans())
def test_any_failure_point_closes_everything_and_raises_the_original_exception(
    database: Path, place: str, atRecord: int, errorType: type[BaseException], held: bool
) -> None:
    baseline = openFileDescriptors()
    events: list[str] = []
    error = errorType(f"injected at {place}:{atRecord}")
    fault = Fault(atRecord=atRecord, error=error)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pool = ConnectionPool(database, size=1)
        source, stages, sink = _pipeline(pool, folder, events, place, fault)
        caught: list[BaseException] = []
        try:
            with PipelineContext(source, pipelineId="prop") as ctx:
                ctx.run(stages=stages, sink=sink)
        except BaseException as exc:
            if held:
                caught.append(exc)  # keep the exception, its traceback and its frames alive
            assert exc is error
            _assertEverythingClosed(events, pool, folder)
            assert ctx.status == "failed" and ctx.error is error
            assert not (folder / "out.csv").exists()
        else:
            assert fault.failures == 0
            _assertEverythingClosed(events, pool, folder)
            assert ctx.status == "completed"
            assert (folder / "out.csv").exists()
        pool.close()
        assert openFileDescriptors() == baseline, "a descriptor is still open"
        del caught


def test_components_are_closed_in_reverse_order_of_opening_after_the_generators() -> None:
    events: list[str] = []

    class ManagedSource(TracingComponent):
        def stream(self) -> Iterator[int]:
            try:
                yield from range(3)
            finally:
                events.append("source stream: closed")

    class ManagedSink(TracingComponent):
        def consume(self, stream: Iterator[int]) -> None:
            next(iter(stream))
            raise OSError("disk full")

    source = ManagedSource("source", events)
    stage = ManagedStage("stage", events)
    with pytest.raises(OSError), PipelineContext(source) as ctx:
        ctx.run(stages=[stage], sink=ManagedSink("sink", events))
    assert events == [
        "source: opened",
        "stage: opened",
        "sink: opened",
        "stage: started",
        "stage: closed",  # generators first, outermost first...
        "source stream: closed",
        "sink: closed",  # ...then components, in reverse order of opening
        "stage: released",
        "source: closed",
    ]


def test_a_failing_cleanup_is_attached_to_the_original_error_not_raised_instead(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[str] = []
    stage = TracingComponent("leaky", events, failOnClose=RuntimeError("close failed"))
    stage.process = lambda inputStream: (r for r in inputStream)  # type: ignore[attr-defined]
    original = ValueError("bad record")
    source = failSource(SensorSource(count=10), Fault(atRecord=4, error=original))
    with (
        caplog.at_level(logging.ERROR, logger="pipeline_lib"),
        pytest.raises(ValueError) as info,
        PipelineContext(source) as ctx,
    ):
        ctx.run(stages=[stage], sink=ListSink())
    assert info.value is original
    assert any("close failed" in note for note in info.value.__notes__)
    assert "close failed" in caplog.text


def test_a_cleanup_failure_after_a_successful_run_is_raised() -> None:
    stage = TracingComponent("leaky", [], failOnClose=RuntimeError("close failed"))
    stage.process = lambda inputStream: (r for r in inputStream)  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="close failed"), PipelineContext(SensorSource(5)) as ctx:
        ctx.run(stages=[stage], sink=ListSink())
    assert ctx.status == "failed"


def test_hundreds_of_failing_runs_with_held_tracebacks_leak_nothing(database: Path) -> None:
    pool = ConnectionPool(database, size=5)
    baseline = openFileDescriptors()
    held: list[BaseException] = []
    for run in range(300):
        stage = failStage(ThresholdFilter(0.1, 1000.0), Fault(atRecord=run % 7))
        try:
            with PipelineContext(SqliteSource(pool)) as ctx:
                ctx.run(stages=[stage], sink=ListSink())
        except OSError as error:
            held.append(error)
    assert len(held) == 300
    assert pool.inUse == 0 and pool.available == 5
    assert openFileDescriptors() - baseline <= 1  # at most the pool's one idle connection
    pool.close()


def test_the_slide_runner_with_held_tracebacks_exhausts_the_pool(database: Path) -> None:
    from pipeline_lib import PoolExhausted
    from pipeline_lib.naive import runWithoutCleanup

    pool = ConnectionPool(database, size=5)
    held: list[BaseException] = []
    with pytest.raises(PoolExhausted, match="all 5 connections are in use"):
        for run in range(300):
            stage = failStage(ThresholdFilter(0.1, 1000.0), Fault(atRecord=run % 7))
            try:
                runWithoutCleanup(SqliteSource(pool), [stage], ListSink())
            except OSError as error:
                held.append(error)
    assert len(held) == 5 and pool.inUse == 5
    held.clear()
    gc.collect()  # only dropping the tracebacks lets the generators finish
    assert pool.inUse == 0
    pool.close()


def test_a_keyboard_interrupt_mid_run_still_closes_everything(database: Path) -> None:
    pool = ConnectionPool(database, size=1)
    events: list[str] = []
    stage = failStage(TracingStage("a", events), Fault(atRecord=3, error=KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt), PipelineContext(SqliteSource(pool)) as ctx:
        ctx.run(stages=[stage], sink=ListSink())
    assert events == ["a: started", "a: closed"]
    assert pool.inUse == 0 and ctx.status == "failed"
    pool.close()


def test_success_logs_the_start_and_the_completion_with_the_record_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = ListSink()
    source = SensorSource(count=200, seed=1)
    with (
        caplog.at_level(logging.INFO, logger="pipeline_lib"),
        PipelineContext(source, pipelineId="sensor_ingest") as ctx,
    ):
        ctx.run(stages=[ThresholdFilter(20.0, 80.0)], sink=sink)
    assert ctx.status == "completed" and ctx.error is None
    assert ctx.recordCount == len(sink.records) > 0
    assert ctx.elapsedSeconds > 0
    assert caplog.messages[0] == "[sensor_ingest] Started"
    completed = f"[sensor_ingest] Completed: {ctx.recordCount} records in "
    assert caplog.messages[-1].startswith(completed)


def test_failure_logs_elapsed_time_and_error_and_never_suppresses(
    caplog: pytest.LogCaptureFixture,
) -> None:
    error = OSError("disk full")
    sink = failSink(ListSink(), Fault(atRecord=10, error=error))
    with (
        caplog.at_level(logging.INFO, logger="pipeline_lib"),
        pytest.raises(OSError) as info,
        PipelineContext(SensorSource(count=50), pipelineId="p") as ctx,
    ):
        ctx.run(sink=sink)
    assert info.value is error
    assert ctx.recordCount == 11  # records 0..10 reached the sink; it failed on record 10
    assert "FAILED after" in caplog.messages[-1] and "disk full" in caplog.messages[-1]
    assert ctx.__exit__(OSError, error, None) is False


def test_an_error_in_the_block_after_the_run_marks_the_context_failed() -> None:
    with pytest.raises(ZeroDivisionError), PipelineContext(SensorSource(count=5)) as ctx:
        ctx.run(sink=ListSink())
        1 / 0  # noqa: B018
    assert ctx.status == "failed" and isinstance(ctx.error, ZeroDivisionError)
    assert ctx.recordCount == 5


def test_a_students_own_duck_typed_components_plug_in() -> None:
    class Numbers:
        def stream(self) -> Iterator[int]:
            yield from range(10)

    class Evens:
        def process(self, inputStream: Iterator[int]) -> Iterator[int]:
            return (n for n in inputStream if n % 2 == 0)

    class Printer:
        def __init__(self) -> None:
            self.seen: list[int] = []

        def consume(self, stream: Iterator[int]) -> None:
            self.seen.extend(stream)

    printer = Printer()
    with PipelineContext(Numbers()) as ctx:
        ctx.run(stages=[Evens()], sink=printer)
    assert printer.seen == [0, 2, 4, 6, 8] and ctx.recordCount == 5


def test_components_without_the_protocol_method_are_named_in_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"source must have a stream\(\) method"):
        PipelineContext(object())
    with (
        PipelineContext(SensorSource(count=1)) as ctx,
        pytest.raises(
            TypeError, match=r"stages\[1\] must have a process\(\) method \(the Stage protocol\)"
        ),
    ):
        ctx.run(stages=[ThresholdFilter(1.0, 2.0), "oops"], sink=ListSink())


def test_run_belongs_inside_the_block_and_runs_once() -> None:
    ctx = PipelineContext(SensorSource(count=1))
    with pytest.raises(RuntimeError, match="inside its `with` block"):
        ctx.run(sink=ListSink())
    with ctx:
        ctx.run(sink=ListSink())
        with pytest.raises(RuntimeError, match="runs once"):
            ctx.run(sink=ListSink())


def test_report_shows_outcome_records_and_time() -> None:
    with PipelineContext(SensorSource(count=7), pipelineId="demo") as ctx:
        ctx.run(sink=ListSink())
    report = ctx.report()
    assert report.startswith("Pipeline demo: completed, 7 records in ")
    assert repr(report) == str(report)  # displays as a table in a notebook, not a quoted str


def test_sqlite_sink_inside_a_context_rolls_back_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.sqlite"
    sink = SqliteSink(target)
    source = failSource(SensorSource(count=50), Fault(atRecord=30))
    with pytest.raises(OSError), PipelineContext(source) as ctx:
        ctx.run(sink=sink)
    import sqlite3

    with sqlite3.connect(target) as conn:
        tables = conn.execute("select name from sqlite_master").fetchall()
    conn.close()
    assert tables == []  # even the CREATE TABLE was rolled back

"""PipelineContext: the cleanup guarantee, the log lines, the results after the block."""

from __future__ import annotations

import gc
import logging
import tempfile
import traceback
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


# -- the same object twice: refused before anything is opened -------------------------------


class Opened:
    """A stage that records being opened (it owns a resource)."""

    def __init__(self) -> None:
        self.opened = 0

    def __enter__(self) -> Opened:
        self.opened += 1
        return self

    def __exit__(self, *excInfo: object) -> None:
        pass

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        yield from inputStream


@given(
    st.integers(2, 5).flatmap(
        lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1), min_size=2))
    )
)
def test_any_object_in_two_places_is_refused_before_anything_opens(
    shape: tuple[int, set[int]],
) -> None:
    count, repeated = shape
    shared = Opened()
    stages = [shared if index in repeated else Opened() for index in range(count)]
    with pytest.raises(ValueError) as raised, PipelineContext(SensorSource(count=3)) as ctx:
        ctx.run(stages=stages, sink=ListSink())
    places = " and ".join(f"stages[{index}]" for index in sorted(repeated))
    assert f"is {places}; a component takes one place" in str(raised.value)
    assert [stage.opened for stage in stages] == [0] * count
    assert ctx.status == "failed"


def test_a_plain_stage_may_take_two_places() -> None:
    stage = ThresholdFilter(0.1, 1000.0)  # owns nothing: nothing is opened twice
    sink = ListSink()
    with PipelineContext(SensorSource(count=5)) as ctx:
        ctx.run(stages=[stage, stage], sink=sink)
    assert len(sink.records) == 5


def test_a_stage_owning_a_resource_in_two_places_is_named_and_nothing_is_taken(
    database: Path,
) -> None:
    pool = ConnectionPool(database, size=1)
    source = SqliteSource(pool)
    stage = ManagedStage("b", [])
    with (
        pytest.raises(ValueError, match=r"is stages\[0\] and stages\[1\]"),
        PipelineContext(source) as ctx,
    ):
        ctx.run(stages=[stage, stage], sink=ListSink())
    assert pool.inUse == 0
    pool.close()


# -- a run that raised is reported failed, whatever the block did with the error --------------


def test_a_failure_caught_inside_the_block_is_still_reported_failed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stage = failStage(ThresholdFilter(0.1, 1000.0), Fault(atRecord=2))
    with (
        caplog.at_level(logging.INFO, logger="pipeline_lib"),
        PipelineContext(SensorSource(count=10), pipelineId="caught") as ctx,
    ):
        try:
            ctx.run(stages=[stage], sink=ListSink())
        except OSError:
            logging.getLogger("test").info("handled")  # the run still failed
    assert ctx.status == "failed"
    assert isinstance(ctx.error, OSError)
    assert "FAILED" in caplog.text and "Completed" not in caplog.text
    assert ctx.report().startswith("Pipeline caught: failed (OSError")


# -- a close() failing after the sink committed: the error says the output is written ---------


class ClosingStage(TracingComponent):
    """A stage that owns a resource whose closing fails."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        yield from inputStream


def test_a_close_failure_after_the_sink_finished_says_the_output_is_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "out.csv"
    closing = ClosingStage("closing", [], failOnClose=RuntimeError("close failed"))
    with (
        pytest.raises(RuntimeError, match="close failed") as raised,
        PipelineContext(SensorSource(count=5)) as ctx,
    ):
        ctx.run(stages=[closing], sink=CsvSink(path))
    assert path.exists()  # the output was committed before the close failed...
    assert ctx.sinkFinished and ctx.status == "failed"
    notes = raised.value.__notes__
    assert "raised while cleaning up stage 0 ClosingStage" in notes  # ...and it says so
    assert "the sink CsvSink had already finished (5 records): its output is written" in notes[-1]


def test_a_run_that_fails_before_the_sink_finished_says_nothing_was_written() -> None:
    stage = failStage(ThresholdFilter(0.1, 1000.0), Fault(atRecord=2))
    with pytest.raises(OSError) as raised, PipelineContext(SensorSource(count=10)) as ctx:
        ctx.run(stages=[stage], sink=ListSink())
    assert not ctx.sinkFinished
    assert not any("output is written" in n for n in getattr(raised.value, "__notes__", []))


# -- a helper generator inside a stage: clearFrames releases what only a frame holds ---------


def _enrich(pool: ConnectionPool, inputStream: Iterator[Any]) -> Iterator[Any]:
    with pool.connection("enrich") as conn:
        for record in inputStream:
            conn.execute("select 1")
            yield record


class EnrichingStage:
    """Issue 12.10's stage: a helper generator the engine never sees, then a failure."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        enriched = _enrich(self.pool, inputStream)
        yield next(enriched)
        raise ValueError("bad record")


@pytest.mark.parametrize("clearFrames", [False, True])
def test_clear_frames_releases_a_helper_generator_held_only_by_the_traceback(
    database: Path, clearFrames: bool
) -> None:
    pool = ConnectionPool(database, size=2)
    held: list[BaseException] = []
    for _ in range(2):
        try:
            with PipelineContext(SensorSource(count=5), clearFrames=clearFrames) as ctx:
                ctx.run(stages=[EnrichingStage(pool)], sink=ListSink())
        except ValueError as error:
            held.append(error)
    # Without the option the held tracebacks keep both helpers suspended: the documented
    # limit. With it, the frames are cleared after cleanup and the connections come back.
    if clearFrames:
        assert pool.inUse == 0
    else:
        assert pool.inUse >= 1
    assert "bad record" in "".join(traceback.format_exception(held[-1]))  # still prints
    held.clear()
    del ctx  # it keeps the last run's error, and so its traceback
    gc.collect()
    assert pool.inUse == 0
    pool.close()


# -- a second Ctrl-C during the unwind waits until the cleanup has finished ------------------


class InterruptedWhileClosing:
    """A sink whose closing is hit by a real SIGINT halfway, then finishes its cleanup."""

    def __init__(self) -> None:
        self.finished = False

    def consume(self, stream: Iterator[Any]) -> None:
        for _ in stream:
            pass

    def close(self) -> None:
        import os
        import signal

        os.kill(os.getpid(), signal.SIGINT)  # delivered at the next bytecode boundary
        for _ in range(1000):  # plenty of boundaries where it could land
            pass
        self.finished = True


@pytest.mark.parametrize("firstError", [None, KeyboardInterrupt, OSError])
def test_a_ctrl_c_during_cleanup_is_deferred_until_every_cleanup_ran(
    database: Path, firstError: type[BaseException] | None
) -> None:
    pool = ConnectionPool(database, size=1)
    sink = InterruptedWhileClosing()
    stages: list[Any] = [ThresholdFilter(0.1, 1000.0)]
    if firstError is not None:
        stages = [failStage(stages[0], Fault(atRecord=2, error=firstError))]
    expected = KeyboardInterrupt if firstError is None else firstError
    if firstError is OSError:
        expected = KeyboardInterrupt  # the deferred Ctrl-C is raised after the cleanup
    with pytest.raises(expected) as raised, PipelineContext(SqliteSource(pool)) as ctx:
        ctx.run(stages=stages, sink=sink)
    assert sink.finished, "the interrupt landed inside the cleanup"
    assert pool.inUse == 0, "the source's connection was not released"
    assert ctx.status == "failed"
    if firstError is KeyboardInterrupt:
        assert "another interrupt came during cleanup" in " ".join(raised.value.__notes__)
    pool.close()


def test_run_takes_the_sink_by_keyword_only() -> None:
    with pytest.raises(TypeError), PipelineContext(SensorSource(count=1)) as ctx:
        ctx.run([], ListSink())  # type: ignore[misc]

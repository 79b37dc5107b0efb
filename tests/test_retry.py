"""@retryOnFailure: exactly-once delivery, faithful re-raise, no leak per retry, counted."""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_lib import (
    ConnectionPool,
    CsvSink,
    CsvSource,
    ListSink,
    PipelineContext,
    RetryPolicy,
    SensorSource,
    SqliteSink,
    SqliteSource,
    ThresholdFilter,
    naive,
    openFileDescriptors,
    retryOnFailure,
)
from pipeline_lib.faults import Fault, failSink, failSource
from pipeline_lib.resume import isResumable

COUNT = 40
FULL = list(SensorSource(count=COUNT, seed=4).stream())


class Sleeps(list[float]):
    """An injectable ``sleep`` that records what was asked and never waits."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def schedules(maxFailures: int, minFailures: int = 0) -> st.SearchStrategy[tuple[int, ...]]:
    """Failure points, as absolute record indexes, in the order a stream reaches them."""
    points = st.lists(st.integers(0, COUNT - 1), min_size=minFailures, max_size=maxFailures)
    return points.map(lambda xs: tuple(sorted(xs)))


class PlainFlaky:
    """A non-resumable source: ``stream()`` has no ``resumeAfter``, so retries re-read."""

    def __init__(self, records: list[Any], fault: Fault) -> None:
        self.records, self.fault = records, fault
        self.reads = 0
        self.calls = 0

    def stream(self) -> Iterator[Any]:
        self.calls += 1
        for index, record in enumerate(self.records):
            self.fault.check(index, "PlainFlaky")
            self.reads += 1
            yield record


class ResumableSpy:
    """A resumable source that remembers every ``resumeAfter`` it was asked for."""

    def __init__(self, fault: Fault) -> None:
        self.inner = failSource(SensorSource(count=COUNT, seed=4), fault)
        self.asked: list[int] = []

    def stream(self, resumeAfter: int = 0) -> Iterator[Any]:
        self.asked.append(resumeAfter)
        return self.inner.stream(resumeAfter=resumeAfter)


# -- exactly once ---------------------------------------------------------------------


@settings(max_examples=120, deadline=None)
@given(data=st.data(), maxAttempts=st.integers(1, 5), resumable=st.booleans())
def test_any_schedule_of_fewer_failures_than_attempts_gives_the_failure_free_output(
    data: st.DataObject, maxAttempts: int, resumable: bool
) -> None:
    schedule = data.draw(schedules(maxAttempts - 1))
    fault = Fault(atRecords=schedule)
    sleeps = Sleeps()
    source: Any = ResumableSpy(fault) if resumable else PlainFlaky(FULL, fault)
    stream = retryOnFailure(maxAttempts, 0.25, sleep=sleeps)(source.stream)

    assert list(stream()) == FULL
    assert fault.failures == len(schedule)
    assert stream.retryStats.attempts == len(schedule) + 1
    assert stream.retryStats.retries == len(schedule) and stream.retryStats.gaveUp == 0
    assert sleeps == [0.25] * len(schedule)
    if resumable:
        assert source.asked == [0, *schedule]  # resumed right after the last delivered record
    else:
        assert source.calls == len(schedule) + 1  # re-read from the start, prefix skipped


def test_a_decorated_class_stream_delivers_each_record_once_through_a_pipeline() -> None:
    class FlakySensors:
        def __init__(self) -> None:
            self.inner = failSource(SensorSource(count=COUNT, seed=4), Fault(atRecords=(5, 5, 30)))

        @retryOnFailure(maxAttempts=4, delaySeconds=0.0)
        def stream(self, resumeAfter: int = 0) -> Iterator[Any]:
            return self.inner.stream(resumeAfter=resumeAfter)

    sink = ListSink()
    with PipelineContext(FlakySensors(), pipelineId="retry") as ctx:
        ctx.run(stages=[ThresholdFilter(-1e9, 1e9)], sink=sink)
    assert sink.records == FULL and ctx.recordCount == COUNT
    assert ctx.retries == {"FlakySensors.stream": 3}
    assert "retries: FlakySensors.stream retried 3 times" in ctx.report()


def test_the_slide_version_delivers_the_records_before_the_failure_twice() -> None:
    """The "before" for notebook 05: slide 10's decorator restarts from scratch."""

    class SlideSource:
        def __init__(self) -> None:
            self.fault = Fault(atRecord=10, times=1)

        @naive.retryOnFailure(maxAttempts=3, delaySeconds=0.0)
        def stream(self) -> Iterator[Any]:
            for index, record in enumerate(FULL):
                self.fault.check(index, "SlideSource")
                yield record

    delivered = list(SlideSource().stream())
    assert delivered == FULL[:10] + FULL  # the first 10 readings arrive twice
    assert len(delivered) - len(set(delivered)) == 10

    class EngineSource(SlideSource):
        @retryOnFailure(maxAttempts=3, delaySeconds=0.0)
        def stream(self) -> Iterator[Any]:
            for index, record in enumerate(FULL):
                self.fault.check(index, "EngineSource")
                yield record

    assert list(EngineSource().stream()) == FULL


@pytest.mark.parametrize("resumeAfter", [0, 1, 17, COUNT, COUNT + 5])
def test_a_retried_stream_is_itself_resumable(resumeAfter: int) -> None:
    plain = PlainFlaky(FULL, Fault(atRecords=(20,)))
    stream = retryOnFailure(3, 0.0)(plain.stream)
    assert isResumable(stream)
    assert list(stream(resumeAfter=resumeAfter)) == FULL[resumeAfter:]


def test_retries_compose_an_outer_failure_resumes_the_inner_retried_source() -> None:
    inner = failSource(SensorSource(count=COUNT, seed=4), Fault(atRecords=(3, 12)))
    retriedInner = retryOnFailure(3, 0.0)(inner.stream)
    outer = failSource(_Wrap(retriedInner), Fault(atRecords=(8, 25)))
    assert list(retryOnFailure(3, 0.0)(outer.stream)()) == FULL


class _Wrap:
    def __init__(self, stream: Callable[..., Iterator[Any]]) -> None:
        self.stream = stream


# -- giving up, and what is not retried ----------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    maxAttempts=st.integers(1, 6),
    delaySeconds=st.floats(0, 5),
    backoff=st.floats(1, 4),
    cap=st.none() | st.floats(0, 10),
    jitter=st.floats(0, 1),
    seed=st.integers(0, 1000),
    atRecord=st.integers(0, COUNT - 1),
)
def test_a_permanent_failure_is_raised_itself_after_exactly_max_attempts(
    maxAttempts: int,
    delaySeconds: float,
    backoff: float,
    cap: float | None,
    jitter: float,
    seed: int,
    atRecord: int,
) -> None:
    fault = Fault(atRecord=atRecord)  # permanent: every attempt fails at the same record
    plain = PlainFlaky(FULL, fault)
    sleeps = Sleeps()
    options = dict(backoff=backoff, maxDelaySeconds=cap, jitter=jitter, seed=seed)
    stream = retryOnFailure(maxAttempts, delaySeconds, sleep=sleeps, **options)(plain.stream)  # type: ignore[arg-type]

    delivered: list[Any] = []
    with pytest.raises(OSError) as raised:
        delivered.extend(stream())
    assert fault.failureNumber(raised.value) == maxAttempts  # the last attempt's own, unwrapped
    assert plain.calls == maxAttempts == fault.failures
    assert delivered == FULL[:atRecord]  # nothing twice, even while failing
    assert sleeps == list(RetryPolicy(maxAttempts, delaySeconds, **options).delays())  # type: ignore[arg-type]
    assert stream.retryStats.gaveUp == 1


def test_after_the_last_attempt_the_original_object_is_raised_with_a_note() -> None:
    original = ConnectionResetError("hub gone")
    stream = retryOnFailure(3, 0.0)(
        failSource(SensorSource(count=5), Fault(atRecord=2, error=original)).stream
    )
    with pytest.raises(ConnectionResetError) as raised:
        list(stream())
    assert raised.value is original
    assert any("failed 3 attempts" in note for note in original.__notes__)


@pytest.mark.parametrize(
    "error",
    [
        FileNotFoundError(2, "gone"),
        PermissionError(13, "no"),
        IsADirectoryError(21, "dir"),
        NotADirectoryError(20, "notdir"),
        ValueError("bad row"),
        KeyError("x"),
    ],
)
def test_non_transient_errors_are_raised_at_once_without_retry(error: Exception) -> None:
    sleeps = Sleeps()
    plain = PlainFlaky(FULL, Fault(atRecord=3, error=error))
    stream = retryOnFailure(5, 1.0, sleep=sleeps)(plain.stream)
    with pytest.raises(type(error)) as raised:
        list(stream())
    assert raised.value is error
    assert plain.calls == 1 and sleeps == [] and stream.retryStats.retries == 0


def test_a_missing_csv_file_is_not_retried(tmp_path: Path) -> None:
    sleeps = Sleeps()
    stream = retryOnFailure(3, 1.0, sleep=sleeps)(CsvSource(tmp_path / "missing.csv").stream)
    with pytest.raises(FileNotFoundError):
        list(stream())
    assert sleeps == []


@pytest.mark.parametrize("error", [KeyboardInterrupt(), SystemExit(1)])
def test_base_exceptions_are_never_retried_whatever_retry_on_says(error: BaseException) -> None:
    plain = PlainFlaky(FULL, Fault(atRecord=1, error=error))
    stream = retryOnFailure(3, 0.0, retryOn=lambda e: True)(plain.stream)
    with pytest.raises(type(error)):
        list(stream())
    assert plain.calls == 1


@pytest.mark.parametrize(
    ("retryOn", "retried"),
    [
        (ValueError, True),
        ((KeyError, ValueError), True),
        (lambda e: "transient" in str(e), True),
        (lambda e: False, False),
        (OSError, False),
    ],
)
def test_retry_on_accepts_a_type_a_tuple_or_a_predicate(retryOn: Any, retried: bool) -> None:
    plain = PlainFlaky(FULL, Fault(atRecord=4, times=1, error=ValueError("transient glitch")))
    stream = retryOnFailure(2, 0.0, retryOn=retryOn)(plain.stream)
    if retried:
        assert list(stream()) == FULL
    else:
        with pytest.raises(ValueError, match="transient glitch"):
            list(stream())


def test_an_error_the_consumer_throws_in_is_not_retried() -> None:
    plain = PlainFlaky(FULL, Fault(atRecord=99))
    stream = retryOnFailure(3, 0.0)(plain.stream)()
    next(stream)
    with pytest.raises(ConnectionResetError):
        stream.throw(ConnectionResetError("from downstream"))
    assert plain.calls == 1


def test_max_attempts_one_means_no_retry() -> None:
    plain = PlainFlaky(FULL, Fault(atRecord=2, times=1))
    with pytest.raises(OSError):
        list(retryOnFailure(1, 0.0)(plain.stream)())
    assert plain.calls == 1


# -- sleeping, logging, counting ------------------------------------------------------


def test_the_default_sleep_is_time_sleep_looked_up_at_each_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = retryOnFailure(3, 2.5, backoff=2.0)(PlainFlaky(FULL, Fault(atRecords=(1, 2))).stream)
    sleeps = Sleeps()
    monkeypatch.setattr(time, "sleep", sleeps)  # patched after decoration: still used
    assert list(stream()) == FULL
    assert sleeps == [2.5, 5.0]


def test_each_retry_is_logged_as_a_warning_with_attempt_error_delivered_and_delay(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Hub:
        @retryOnFailure(maxAttempts=3, delaySeconds=0.5, sleep=Sleeps())
        def stream(self) -> Iterator[int]:
            yield from (1, 2)
            raise TimeoutError("hub timed out")

    with caplog.at_level(logging.WARNING, logger="pipeline_lib"), pytest.raises(TimeoutError):
        list(Hub().stream())
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert messages == [
        (
            "WARNING",
            "Hub.stream: attempt 1/3 failed: TimeoutError: hub timed out; "
            "2 records delivered so far; retrying in 0.500s",
        ),
        (
            "WARNING",
            "Hub.stream: attempt 2/3 failed: TimeoutError: hub timed out; "
            "2 records delivered so far; retrying in 0.500s",
        ),
        (
            "ERROR",
            "Hub.stream: attempt 3/3 failed: TimeoutError: hub timed out; "
            "2 records delivered so far; giving up",
        ),
    ]
    assert all(r.name == "pipeline_lib" for r in caplog.records)


def test_stats_outside_a_context_count_calls_attempts_retries_and_keep_history() -> None:
    plain = PlainFlaky(FULL, Fault(atRecords=(3, 7)))
    stream = retryOnFailure(3, 0.0)(plain.stream)
    list(stream())
    list(stream())  # the fault has healed
    stats = stream.retryStats
    assert (stats.calls, stats.attempts, stats.retries, stats.gaveUp) == (2, 4, 2, 0)
    assert [(e.attempt, e.delivered) for e in stats.history] == [(1, 3), (2, 7)]
    stats.reset()
    assert (stats.calls, stats.retries, len(stats.history)) == (0, 0, 0)


def test_retries_are_counted_in_the_running_pipeline_only() -> None:
    fault = Fault(atRecords=(2,))
    source = _Wrap(retryOnFailure(2, 0.0)(failSource(SensorSource(count=5), fault).stream))
    with PipelineContext(source, pipelineId="a") as first:
        first.run(sink=ListSink())
    with PipelineContext(source, pipelineId="b") as second:
        second.run(sink=ListSink())
    assert first.retries == {"FaultySource.stream": 1} and second.retries == {}


# -- no leak per retry ----------------------------------------------------------------


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "readings.sqlite"
    SqliteSink(path).consume(FULL)
    return path


class PooledFlaky:
    """``SqliteSource(pool)`` behind a fault; sleeping checks that nothing is held."""

    def __init__(self, pool: ConnectionPool, schedule: tuple[int, ...], maxAttempts: int) -> None:
        self.pool = pool
        self.inner = failSource(SqliteSource(pool), Fault(atRecords=schedule))
        self.heldWhileSleeping: list[int] = []
        self.stream = retryOnFailure(maxAttempts, 0.0, sleep=self._sleep)(self._stream)

    def _stream(self, resumeAfter: int = 0) -> Iterator[Any]:
        return self.inner.stream(resumeAfter=resumeAfter)

    def _sleep(self, seconds: float) -> None:
        self.heldWhileSleeping.append(self.pool.inUse)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), maxAttempts=st.integers(1, 4), inContext=st.booleans())
def test_failed_attempts_give_their_pooled_connection_back_before_sleeping(
    database: Path, data: st.DataObject, maxAttempts: int, inContext: bool
) -> None:
    failures = data.draw(st.integers(0, maxAttempts + 1))
    schedule = data.draw(schedules(failures, minFailures=failures))
    with ConnectionPool(database, size=1) as pool:  # a leaked connection exhausts it at once
        source = PooledFlaky(pool, schedule, maxAttempts)
        sink = ListSink()
        try:
            if inContext:
                with PipelineContext(source, pipelineId="pooled") as ctx:
                    ctx.run(sink=sink)
            else:
                sink.consume(source.stream())
        except OSError:
            assert len(schedule) >= maxAttempts
        else:
            assert len(schedule) < maxAttempts and sink.records == FULL
        assert set(source.heldWhileSleeping) <= {0}
        assert pool.inUse == 0


def test_a_leaky_stream_method_still_frees_its_connection_before_the_retry(database: Path) -> None:
    """A stream that keeps its generator in a local and has no try/finally: the failed
    attempt's frame would hold the connection while a traceback lives; the wrapper drops
    the exception before sleeping, so the frame and the connection go (on CPython)."""
    failAt = [4, 9]  # unlike Fault, keeps no reference to the exceptions it raises
    with ConnectionPool(database, size=1) as pool:
        held: list[int] = []

        def leakyStream() -> Iterator[Any]:
            rows = SqliteSource(pool).stream()
            for index, record in enumerate(rows):
                if failAt and index == failAt[0]:
                    failAt.pop(0)
                    raise ConnectionResetError(f"lost at {index}")
                yield record

        stream = retryOnFailure(3, 0.0, sleep=lambda s: held.append(pool.inUse))(leakyStream)
        assert list(stream()) == FULL
        assert held == [0, 0] and pool.inUse == 0


def test_an_iterator_object_of_a_failed_attempt_is_closed_before_sleeping() -> None:
    events: list[str] = []

    class Cursor:
        def __init__(self, failAt: int | None) -> None:
            self.position, self.failAt = 0, failAt
            events.append("opened")

        def __iter__(self) -> Cursor:
            return self

        def __next__(self) -> int:
            if self.position == self.failAt:
                raise ConnectionAbortedError("cursor lost")
            if self.position == 5:
                raise StopIteration
            self.position += 1
            return self.position

        def close(self) -> None:
            events.append("closed")

    failAts = iter([2, None])
    stream = retryOnFailure(2, 0.0, sleep=lambda s: events.append("slept"))(
        lambda: Cursor(next(failAts))
    )
    assert list(stream()) == [1, 2, 3, 4, 5]
    assert events == ["opened", "closed", "slept", "opened", "closed"]


@pytest.mark.parametrize("inContext", [False, True])
def test_csv_descriptors_of_failed_attempts_are_closed(tmp_path: Path, inContext: bool) -> None:
    CsvSink(tmp_path / "r.csv").consume(FULL)
    before = openFileDescriptors()
    openWhileSleeping: list[int] = []
    flaky = failSource(CsvSource(tmp_path / "r.csv"), Fault(atRecords=(0, 6, 6, 20)))
    stream = retryOnFailure(
        5, 0.0, sleep=lambda s: openWhileSleeping.append(openFileDescriptors())
    )(flaky.stream)
    sink = ListSink()
    if inContext:
        with PipelineContext(_Wrap(stream), pipelineId="csv") as ctx:
            ctx.run(sink=sink)
    else:
        sink.consume(stream())
    assert sink.records == FULL
    assert openWhileSleeping == [before] * 4
    assert openFileDescriptors() == before


def test_closing_the_retried_stream_early_closes_the_current_attempt(database: Path) -> None:
    with ConnectionPool(database, size=1) as pool:
        flaky = failSource(SqliteSource(pool), Fault(atRecords=(3,)))
        stream = retryOnFailure(3, 0.0)(flaky.stream)()
        taken = [next(stream) for _ in range(6)]  # past the retry, into attempt 2
        assert taken == FULL[:6] and pool.inUse == 1
        stream.close()
        assert pool.inUse == 0


def test_a_failing_sink_closes_the_retried_source_inside_a_context(database: Path) -> None:
    with ConnectionPool(database, size=1) as pool:
        flaky = failSource(SqliteSource(pool), Fault(atRecords=(3,)))
        source = _Wrap(retryOnFailure(3, 0.0)(flaky.stream))
        with pytest.raises(RuntimeError), PipelineContext(source) as ctx:
            ctx.run(sink=failSink(ListSink(), Fault(atRecord=10, error=RuntimeError)))
        assert pool.inUse == 0 and ctx.retries == {"FaultySource.stream": 1}


# -- where it applies, and bad options -----------------------------------------------


def test_the_decorated_method_gains_resume_after_and_keeps_its_name() -> None:
    class Source:
        @retryOnFailure()
        def stream(self, limit: int = 3, **options: Any) -> Iterator[int]:
            """Docs."""
            yield from range(limit)

    assert Source.stream.__name__ == "stream" and Source.stream.__doc__ == "Docs."
    parameters = inspect.signature(Source().stream).parameters
    assert list(parameters) == ["limit", "resumeAfter", "options"]
    assert parameters["resumeAfter"].kind is inspect.Parameter.KEYWORD_ONLY
    assert list(Source().stream(5, resumeAfter=2)) == [2, 3, 4]
    assert Source.stream.retryPolicy == RetryPolicy()


def test_stage_and_sink_methods_are_refused_clearly() -> None:
    with pytest.raises(TypeError, match=r"cannot wrap .*process.*input stream once"):

        class Stage:
            @retryOnFailure()
            def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
                yield from inputStream


def test_a_call_with_an_iterator_argument_is_refused_clearly() -> None:
    def transform(inputStream: Iterator[int]) -> Iterator[int]:
        yield from inputStream

    with pytest.raises(TypeError, match="cannot be replayed"):
        retryOnFailure()(transform)(iter([1, 2]))


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"maxAttempts": 0}, ValueError, r"retryOnFailure.maxAttempts must be >= 1, got 0"),
        ({"maxAttempts": 2.0}, TypeError, r"retryOnFailure.maxAttempts must be an int, got 2.0"),
        ({"maxAttempts": True}, TypeError, r"maxAttempts must be an int"),
        (
            {"delaySeconds": -1},
            ValueError,
            r"retryOnFailure.delaySeconds must be a finite number >= 0, got -1",
        ),
        ({"delaySeconds": float("nan")}, ValueError, r"delaySeconds .* got nan"),
        ({"delaySeconds": float("inf")}, ValueError, r"delaySeconds .* got inf"),
        ({"delaySeconds": "1s"}, TypeError, r"delaySeconds .* got '1s'"),
        (
            {"backoff": 0.5},
            ValueError,
            r"retryOnFailure.backoff must be a finite number >= 1, got 0.5",
        ),
        ({"maxDelaySeconds": -2.0}, ValueError, r"maxDelaySeconds .* got -2.0"),
        (
            {"jitter": 1.5},
            ValueError,
            r"retryOnFailure.jitter must be a number in \[0, 1\], got 1.5",
        ),
        ({"seed": "x"}, TypeError, r"retryOnFailure.seed must be an int or None"),
        ({"retryOn": KeyboardInterrupt}, TypeError, r"retryOn must name Exception subclasses"),
        ({"retryOn": (OSError, "x")}, TypeError, r"retryOn must name Exception subclasses"),
        ({"retryOn": 3}, TypeError, r"retryOn must be an exception type, a tuple"),
        ({"sleep": 0}, TypeError, r"retryOnFailure.sleep must be a callable"),
    ],
)
def test_bad_options_are_rejected_with_the_field_and_the_value(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        retryOnFailure(**options)


@pytest.mark.parametrize(
    ("resumeAfter", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_a_bad_resume_after_is_rejected_at_the_call(
    resumeAfter: Any, error: type[Exception]
) -> None:
    stream = retryOnFailure()(PlainFlaky(FULL, Fault(atRecord=99)).stream)
    with pytest.raises(error, match=r"PlainFlaky\.stream: resumeAfter must be"):
        stream(resumeAfter=resumeAfter)

"""The key claims of notebooks 05 and 06, pinned outside the notebooks.

Each test runs the experiment a notebook shows, without its fault injector where the
claim is about Python itself (an exception keeping a connection alive), so that the claim
is true in general and not an artefact of our teaching aids.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pipeline_lib import (
    ConfigError,
    ConnectionPool,
    ListSink,
    PipelineConfig,
    PipelineContext,
    SensorReading,
    SqliteSink,
    SqliteSource,
    ThresholdFilter,
    naive,
    retryOnFailure,
)
from pipeline_lib.faults import Fault, failSource
from pipeline_lib.leaks import makeSensorDatabase
from pipeline_lib.naive import runWithoutCleanup


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[ConnectionPool]:
    database = makeSensorDatabase(tmp_path / "hub.sqlite", count=300, seed=42)
    with ConnectionPool(database, size=3) as pool:
        yield pool


@pytest.fixture(autouse=True)
def quiet() -> Iterator[None]:
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


class LinkThatDrops:
    """Notebook 05's hand-rolled source: a local generator, its own ConnectionResetError."""

    def __init__(self, pool: ConnectionPool, dropsAt: tuple[int, ...] = (3,)) -> None:
        self.pool = pool
        self.pending = set(dropsAt)

    def stream(self) -> Iterator[SensorReading]:
        rows = SqliteSource(self.pool).stream()
        for index, reading in enumerate(rows):
            if index in self.pending:
                self.pending.discard(index)
                raise ConnectionResetError(f"the hub reset the link at record {index}")
            yield reading


# -- notebook 05 -------------------------------------------------------------------------


def test_a_live_exception_holds_the_connection_and_dropping_it_frees_it_without_gc(
    pool: ConnectionPool, noCycleCollector: None
) -> None:
    inside = after = -1
    try:
        list(LinkThatDrops(pool).stream())
    except ConnectionResetError:
        inside = pool.inUse
    after = pool.inUse
    assert (inside, after) == (1, 0)


def test_a_kept_exception_keeps_the_connection_until_it_is_dropped(
    pool: ConnectionPool, noCycleCollector: None
) -> None:
    kept: list[BaseException] = []
    for _ in range(2):
        try:
            list(LinkThatDrops(pool).stream())
        except ConnectionResetError as error:
            kept.append(error)
    assert pool.inUse == 2
    kept.clear()
    assert pool.inUse == 0


def test_slide_10_restarts_and_delivers_the_records_before_the_failure_twice(
    pool: ConnectionPool,
) -> None:
    table = list(SqliteSource(pool).stream())
    source = failSource(SqliteSource(pool), Fault(atRecord=100, times=1))

    class SlideHub:
        @naive.retryOnFailure(maxAttempts=3, delaySeconds=0)
        def stream(self) -> Iterator[Any]:
            yield from source.stream()

    delivered = list(SlideHub().stream())
    twice = [record for record, n in Counter(delivered).items() if n == 2]
    assert len(delivered) == len(table) + 100 and twice == table[:100]


def test_the_engine_resumes_and_holds_no_connection_while_it_waits(pool: ConnectionPool) -> None:
    table = list(SqliteSource(pool).stream())
    inUseAtSleep: list[int] = []

    class CarefulLink(LinkThatDrops):
        @retryOnFailure(
            maxAttempts=4, delaySeconds=0.5, sleep=lambda s: inUseAtSleep.append(pool.inUse)
        )
        def stream(self) -> Iterator[SensorReading]:
            return super().stream()

    assert list(CarefulLink(pool, dropsAt=(3, 120, 210)).stream()) == table
    assert inUseAtSleep == [0, 0, 0]


def test_a_permanent_failure_reaches_the_caller_as_itself_with_a_note(pool: ConnectionPool) -> None:
    source = failSource(SqliteSource(pool), Fault(atRecord=50, error=ConnectionResetError))

    class Hub:
        @retryOnFailure(maxAttempts=3, delaySeconds=0.0, sleep=lambda s: None)
        def stream(self, resumeAfter: int = 0) -> Iterator[Any]:
            return source.stream(resumeAfter=resumeAfter)

    with pytest.raises(ConnectionResetError) as caught, PipelineContext(Hub()) as ctx:
        ctx.run(sink=ListSink())
    error = caught.value
    assert error.__cause__ is None and error.__context__ is None
    assert "retryOnFailure gave up" in error.__notes__[0]
    assert pool.inUse == 0


def test_slide_10_holds_the_failed_attempts_connection_for_the_whole_wait(
    pool: ConnectionPool, noCycleCollector: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slide 10 sleeps inside its except block: the live exception keeps the failed frame."""
    inUseAtSleep: list[int] = []
    monkeypatch.setattr(time, "sleep", lambda seconds: inUseAtSleep.append(pool.inUse))

    class SlideLink(LinkThatDrops):
        @naive.retryOnFailure(maxAttempts=4, delaySeconds=0.5)
        def stream(self) -> Iterator[SensorReading]:
            yield from super().stream()

    list(SlideLink(pool, dropsAt=(3, 120, 210)).stream())
    assert inUseAtSleep == [1, 1, 1]
    assert pool.inUse == 0


def _vmSteps(database: Path, query: str, parameters: tuple[int, ...]) -> tuple[int, int]:
    """(rows returned, SQLite virtual-machine steps taken) for one query."""
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0  # 0: carry on

    with contextlib.closing(sqlite3.connect(database)) as conn:
        conn.set_progress_handler(step, 1)
        rows = conn.execute(query, parameters).fetchall()
    return len(rows), steps


def test_an_offset_still_steps_over_the_skipped_rows_and_a_rowid_bound_does_not(
    pool: ConnectionPool,
) -> None:
    """Notebook 05: SQLite steps over an OFFSET's rows inside SQL; WHERE rowid > ? seeks."""
    offset = "SELECT * FROM readings ORDER BY rowid LIMIT 10 OFFSET ?"
    rowid = "SELECT * FROM readings WHERE rowid > ? ORDER BY rowid LIMIT 10"
    (nearOffset, nearSteps), (farOffset, farSteps) = (
        _vmSteps(pool.database, offset, (k,)) for k in (0, 280)
    )
    (nearRowid, nearSeek), (farRowid, farSeek) = (
        _vmSteps(pool.database, rowid, (k,)) for k in (0, 280)
    )
    assert nearOffset == farOffset == nearRowid == farRowid == 10
    assert farSteps > nearSteps + 280  # every skipped row costs steps
    assert farSeek <= nearSeek + 5  # the rowid bound jumps to row 281


# -- tenacity, and any retry that wraps the call ----------------------------------------


def retryTheCall(maxAttempts: int, retryOn: type[Exception]) -> Callable[..., Any]:
    """A retry decorator of tenacity's shape: it retries the *call* until it returns."""

    def decorator(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for attempt in range(1, maxAttempts + 1):
                try:
                    return function(*args, **kwargs)
                except retryOn:
                    if attempt == maxAttempts:
                        raise
            raise AssertionError("unreachable")

        return wrapper

    return decorator


class DropsOnce:
    """Yields 0..4 and drops the link once, at 2; counts how often it is called."""

    def __init__(self) -> None:
        self.calls = 0
        self.dropped = False

    def records(self) -> Iterator[int]:
        self.calls += 1
        for number in range(5):
            if number == 2 and not self.dropped:
                self.dropped = True
                raise ConnectionResetError("the hub reset the link")
            yield number


def test_a_retry_that_wraps_the_call_retries_a_plain_function_that_fails() -> None:
    """The control: the decorator below does retry, when the failure is inside the call."""
    link = DropsOnce()
    readAll = retryTheCall(maxAttempts=3, retryOn=ConnectionResetError)(
        lambda: list(link.records())
    )
    assert readAll() == [0, 1, 2, 3, 4] and link.calls == 2


def test_a_retry_that_wraps_the_call_retries_nothing_on_a_generator_function() -> None:
    """Notebook 05: calling a generator function runs none of its body; the failure comes
    later, while the caller iterates, and reaches the caller at the first attempt."""
    link = DropsOnce()
    stream = retryTheCall(maxAttempts=3, retryOn=ConnectionResetError)(link.records)
    delivered: list[int] = []
    with pytest.raises(ConnectionResetError, match="reset the link"):
        delivered.extend(stream())
    assert delivered == [0, 1] and link.calls == 1


def test_tenacity_retry_on_a_generator_function_retries_nothing() -> None:
    """The same claim with tenacity itself, wherever it is installed (not a dependency)."""
    tenacity = pytest.importorskip("tenacity")
    link = DropsOnce()
    stream = tenacity.retry(
        stop=tenacity.stop_after_attempt(3),
        retry=tenacity.retry_if_exception_type(ConnectionResetError),
    )(link.records)
    delivered: list[int] = []
    with pytest.raises(ConnectionResetError, match="reset the link"):
        delivered.extend(stream())
    assert delivered == [0, 1] and link.calls == 1
    assert stream.statistics["attempt_number"] == 1


# -- notebook 06: remove one layer, lose its job ----------------------------------------

BAD_FILE = "samplingRateHz = 10.0\nwindowsize = 0\nfilterMin = 90.0\nfilterMax = 10.0\n"


def test_without_the_config_layer_a_bad_file_is_accepted_and_fails_later_one_problem(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_FILE)
    with pytest.raises(ConfigError) as checked:
        PipelineConfig.fromFile(path)
    assert len(checked.value.problems) == 3
    plain = SimpleNamespace(**tomllib.loads(path.read_text()))  # accepted: nothing checks it
    with pytest.raises(ValueError, match="ThresholdFilter: filterMin must be < filterMax"):
        ThresholdFilter(plain.filterMin, plain.filterMax)  # the first stage built from it


def test_slide_5s_unchecked_stages_take_the_bad_bounds_and_crash_on_the_missing_window() -> None:
    plain = SimpleNamespace(**tomllib.loads(BAD_FILE))

    class UncheckedFilter:  # slide 5: takes the values, checks nothing
        def __init__(self, filterMin: float, filterMax: float) -> None:
            self.filterMin, self.filterMax = filterMin, filterMax

    class UncheckedWindow:
        def __init__(self, windowSize: int) -> None:
            self.windowSize = windowSize

    taken = UncheckedFilter(plain.filterMin, plain.filterMax)
    assert taken.filterMin > taken.filterMax  # the inverted bounds, without a word
    with pytest.raises(AttributeError, match="windowSize"):
        UncheckedWindow(plain.windowSize)  # the misspelt key: one problem, not the file's


def test_a_permanent_drop_under_all_three_layers_leaves_warehouse_and_pool_as_they_were(
    pool: ConnectionPool, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse.sqlite"
    SqliteSink(warehouse, table="readings").consume(SqliteSource(pool).stream())

    def rows() -> int:
        with contextlib.closing(sqlite3.connect(warehouse)) as db:
            return int(db.execute("SELECT COUNT(*) FROM readings").fetchone()[0])

    before = rows()

    class DeadLink:  # no fault injector: its own generator, the link never comes back
        @retryOnFailure(maxAttempts=3, delaySeconds=0.5, sleep=lambda s: None)
        def stream(self) -> Iterator[SensorReading]:
            for index, reading in enumerate(SqliteSource(pool).stream()):
                if index == 150:
                    raise ConnectionResetError("the hub is gone")
                yield reading

    config = PipelineConfig(10.0, 5, 20.0, 80.0)
    with pytest.raises(ConnectionResetError) as caught, PipelineContext(DeadLink()) as ctx:
        ctx.run(stages=config.stages(), sink=SqliteSink(warehouse, table="readings"))
    assert ctx.status == "failed" and ctx.recordCount > 0  # rows reached the sink...
    assert rows() == before  # ...and were rolled back
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hub.sqlite", "warehouse.sqlite"]
    assert "retryOnFailure gave up" in caught.value.__notes__[0]
    assert pool.inUse == 0


def test_without_the_retry_one_transient_fault_fails_the_run(pool: ConnectionPool) -> None:
    source = failSource(SqliteSource(pool), Fault(atRecord=100, times=1))
    with pytest.raises(OSError, match="injected failure"), PipelineContext(source) as ctx:
        ctx.run(sink=ListSink())
    assert pool.inUse == 0


def test_without_lifecycle_a_failed_run_leaks_while_its_exception_is_kept(
    pool: ConnectionPool, noCycleCollector: None
) -> None:
    class FullDisk:
        def consume(self, stream: Iterator[Any]) -> None:
            for row, _ in enumerate(stream):
                if row == 100:
                    raise OSError(28, "No space left on device")

    kept: list[BaseException] = []
    for managed in (True, False):
        sink = FullDisk()
        try:
            if managed:
                with PipelineContext(SqliteSource(pool)) as ctx:
                    ctx.run(sink=sink)
            else:
                runWithoutCleanup(SqliteSource(pool), [], sink)
        except OSError as error:
            kept.append(error)
        assert pool.inUse == (0 if managed else 1)
    kept.clear()
    assert pool.inUse == 0

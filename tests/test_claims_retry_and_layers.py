"""The key claims of notebooks 05 and 06, pinned outside the notebooks.

Each test runs the experiment a notebook shows, without its fault injector where the
claim is about Python itself (an exception keeping a connection alive), so that the claim
is true in general and not an artefact of our teaching aids.
"""

from __future__ import annotations

import gc
import logging
import tomllib
from collections import Counter
from collections.abc import Iterator
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


@pytest.fixture
def noCycleCollector() -> Iterator[None]:
    """Reference counting alone: a claim 'freed at once' must hold without gc."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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

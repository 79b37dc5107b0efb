"""What keeps a leaked connection alive, pinned without the teaching aids (notebook 01's model).

A failed run of slide 4's chain leaves the source generator suspended inside its ``with``
block, holding its pooled connection. The caller's kept exception keeps its traceback,
the traceback keeps the frames the error passed through, and the failing stage's frame
keeps its ``inputStream``: the source generator. Drop every reference to the exceptions
and reference counting frees the chain at once, closing the generator and returning the
connection, with no ``gc.collect()``. Only a reference *cycle* through an exception (a
frame that holds the exception in a local variable, say) needs the cycle collector.

Every test runs with the cycle collector switched off, so nothing is freed by chance.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import sqlite3
import subprocess
import sys
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline_lib import ConnectionPool, ListSink, SqliteSource, openDescriptorsOn
from pipeline_lib.faults import Fault, failStage
from pipeline_lib.leaks import makeSensorDatabase, repeatFailingRuns
from pipeline_lib.naive import runWithoutCleanup


class PlainFailingStage:
    """A stage of the kind a student writes: raises OSError at record ``failAt``."""

    def __init__(self, failAt: int = 10) -> None:
        self.failAt = failAt

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        for index, record in enumerate(inputStream):
            if index == self.failAt:
                raise OSError(f"sensor link lost at record {index}")
            yield record


class SelfCyclingStage(PlainFailingStage):
    """The same, but the exception is bound to a local of the raising frame: a cycle."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        for index, record in enumerate(inputStream):
            if index == self.failAt:
                error = OSError(f"sensor link lost at record {index}")
                raise error  # exception -> traceback -> this frame -> `error` -> exception
            yield record


pytestmark = pytest.mark.usefixtures("noCycleCollector")  # every claim here: refcounts alone


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return makeSensorDatabase(tmp_path / "leak.sqlite", count=60, seed=5)


def failingRuns(pool: ConnectionPool, stageFactory: Any, runs: int) -> list[BaseException]:
    """``runs`` failed naive runs; the exceptions are kept, as a logger or a retry loop does."""
    held: list[BaseException] = []
    for _ in range(runs):
        try:
            runWithoutCleanup(SqliteSource(pool), [stageFactory()], ListSink())
        except OSError as error:
            held.append(error)
    return held


def test_each_failed_naive_run_leaves_one_more_connection_and_one_more_descriptor_on_the_file(
    database: Path,
) -> None:
    with ConnectionPool(database, size=4) as pool:
        inUse, onFile, held = [pool.inUse], [openDescriptorsOn(database)], []
        for _ in range(4):
            held += failingRuns(pool, PlainFailingStage, runs=1)
            inUse.append(pool.inUse)
            onFile.append(openDescriptorsOn(database))
        assert inUse == [0, 1, 2, 3, 4]
        assert onFile == [0, 1, 2, 3, 4]
        held.clear()


def test_dropping_the_held_exceptions_releases_the_connections_without_gc_collect(
    database: Path,
) -> None:
    with ConnectionPool(database, size=3) as pool:
        held = failingRuns(pool, PlainFailingStage, runs=3)
        assert pool.inUse == 3
        held.clear()  # the only references: reference counting frees the chains now
        assert pool.inUse == 0
        assert openDescriptorsOn(database) == 3  # the pool keeps the 3 connections for reuse


def test_the_frame_that_keeps_the_source_generator_is_the_failing_stages(database: Path) -> None:
    with ConnectionPool(database, size=1) as pool:
        source = SqliteSource(pool).stream()
        try:
            ListSink().consume(PlainFailingStage().process(source))
        except OSError as error:
            kept = error
        # Skip this test's own frame (its variable `source`): reading a running frame's
        # f_locals stores a snapshot of them in the frame, here `kept` too: a cycle.
        frames = [f for f, _ in traceback.walk_tb(kept.__traceback__)][1:]
        holders = [
            frame.f_code.co_qualname
            for frame in frames
            if any(value is source for value in frame.f_locals.values())
        ]
        assert holders == ["PlainFailingStage.process"]  # its argument inputStream
        del frames
        del source
        assert pool.inUse == 1  # the traceback alone keeps it
        del kept
        assert pool.inUse == 0


def cycleGarbage() -> list[str]:
    """What of a pipeline run (its exceptions, frames, generators) only the cycle collector frees.

    Only objects of the run are listed: other garbage (pytest's, say) may turn up too.
    """
    ours = ("naive.py", "sources.py", "faults.py", "cleanup.py", __file__)

    def ofTheRun(obj: object) -> bool:
        if isinstance(obj, OSError):
            return "record" in str(obj)
        code = getattr(obj, "f_code", None) or getattr(obj, "gi_code", None)
        if code is None and hasattr(obj, "tb_frame"):
            code = obj.tb_frame.f_code
        return code is not None and code.co_filename.endswith(ours)

    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        return sorted({type(obj).__name__ for obj in gc.garbage if ofTheRun(obj)})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_a_plain_failing_run_makes_no_reference_cycle(database: Path) -> None:
    with ConnectionPool(database, size=2) as pool:
        cycleGarbage()
        held = failingRuns(pool, PlainFailingStage, runs=2)
        held.clear()
        assert pool.inUse == 0
        assert cycleGarbage() == []  # nothing was left for the cycle collector


def test_an_exception_kept_in_a_local_of_its_own_frames_is_a_cycle_only_gc_frees(
    database: Path,
) -> None:
    with ConnectionPool(database, size=2) as pool:
        held = failingRuns(pool, SelfCyclingStage, runs=2)
        held.clear()
        assert pool.inUse == 2  # unreachable, yet not freed: a cycle
        assert cycleGarbage() == ["OSError", "frame", "generator", "traceback"]
        gc.collect()
        assert pool.inUse == 0


def test_the_fault_injector_does_not_create_the_leak_it_is_used_to_show(database: Path) -> None:
    """The same as the plain stage: dropping the exceptions is enough, no cycle is left."""

    def injected() -> Any:
        return failStage(PlainFailingStage(failAt=10**9), Fault(atRecord=10, times=1))

    with ConnectionPool(database, size=3) as pool:
        cycleGarbage()
        held = failingRuns(pool, injected, runs=3)
        assert pool.inUse == 3 and openDescriptorsOn(database) == 3
        held.clear()
        assert pool.inUse == 0
        assert cycleGarbage() == []


def test_one_shared_transient_fault_leaves_the_pool_degraded_after_it_heals(
    database: Path,
) -> None:
    """Slide 2, as notebook 01 tells it: the error heals, the degradation stays."""
    link = Fault(atRecord=10, times=2)
    with ConnectionPool(database, size=2) as pool:
        held = failingRuns(pool, lambda: failStage(PlainFailingStage(10**9), link), runs=2)
        assert link.healed and [str(e)[-19:] for e in held] == [
            "(transient, 1 of 2)",
            "(transient, 2 of 2)",
        ]
        with pytest.raises(Exception, match="exhausted"):
            runWithoutCleanup(SqliteSource(pool), [PlainFailingStage(10**9)], ListSink())
        held.clear()
        assert pool.inUse == 0


def test_release_returns_the_connections_of_the_leak_experiment_without_gc(
    database: Path,
) -> None:
    with ConnectionPool(database, size=3) as pool:
        history = repeatFailingRuns(pool, runs=3, managed=False, failAtRecord=5)
        assert history.connectionsInUse == [0, 1, 2, 3]
        assert history.descriptorsOpened == [0, 1, 2, 3]
        history.release()
        assert pool.inUse == 0


def test_dropping_the_whole_leak_history_frees_its_connections_without_gc(
    database: Path,
) -> None:
    """Exercise 01.1's "let go of what keeps them alive", written as ``del experiment``.

    The helper must add no reference cycle of its own: each kept traceback holds the frame
    of ``repeatFailingRuns`` where the error was caught, so were the history still one of
    its locals, the history would keep itself alive through its own exceptions.
    """
    with ConnectionPool(database, size=3) as pool:
        cycleGarbage()
        history = repeatFailingRuns(pool, runs=3, managed=False, failAtRecord=5)
        assert pool.inUse == 3
        del history
        assert pool.inUse == 0
        assert cycleGarbage() == []


def test_closing_the_stages_frees_the_source_only_while_nothing_else_refers_to_it(
    database: Path,
) -> None:
    """Why exercise 01.2 must close the source too: refcounting closes it only by luck.

    Closing a stage drops its frame's ``inputStream``; if that was the source generator's
    last reference, CPython frees it and so closes it. On a chain whose failing stage reads
    the source directly, the kept traceback holds the failing stage's frame, and with it the
    source: closing every stage then leaves the connection lent.
    """

    def closingOnlyTheStages(stages: list[Any]) -> BaseException | None:
        """Exercise 01.2's partial fix: every stage closed, the source forgotten."""
        stream = SqliteSource(pool).stream()
        created = []
        for stage in stages:
            stream = stage.process(stream)
            created.append(stream)
        try:
            ListSink().consume(stream)
        except OSError as error:  # returned, not kept in a local here: that would be a cycle
            return error
        finally:
            for generator in reversed(created):
                generator.close()
        return None

    with ConnectionPool(database, size=2) as pool:
        passThrough = PlainFailingStage(failAt=10**9)
        held = [closingOnlyTheStages([passThrough, PlainFailingStage()])]
        assert pool.inUse == 0  # the source's last reference was the closed stage's frame
        held.append(closingOnlyTheStages([PlainFailingStage()]))
        assert pool.inUse == 1  # the traceback's frame of the failing stage holds it
        held.clear()
        assert pool.inUse == 0


_DESCRIPTOR_LIMIT_SCRIPT = """
import errno, os, resource, tempfile
from pipeline_lib import CsvSink, CsvSource, ListSink, SensorSource, openFileDescriptors
from pipeline_lib.naive import runWithoutCleanup

class PlainFailingStage:
    def process(self, inputStream):
        for index, record in enumerate(inputStream):
            if index == 10:
                raise OSError("sensor link lost")
            yield record

folder = tempfile.mkdtemp()
csvPath = os.path.join(folder, "readings.csv")
CsvSink(csvPath).consume(SensorSource(count=50, seed=1).stream())
hardLimit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (openFileDescriptors() + 20, hardLimit))
held, failedRuns = [], 0
while True:
    try:
        runWithoutCleanup(CsvSource(csvPath), [PlainFailingStage()], ListSink())
    except OSError as error:
        if error.errno == errno.EMFILE:
            break
        held.append(error)
        failedRuns += 1
try:
    open(os.path.join(folder, "unrelated.txt"), "w")
    unrelated = "opened"
except OSError as error:
    unrelated = errno.errorcode[error.errno]
held.clear()
with open(os.path.join(folder, "unrelated.txt"), "w"):
    pass
print(failedRuns, unrelated)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_NOFILE is POSIX")
def test_leaked_files_climb_to_the_descriptor_limit_then_every_open_fails() -> None:
    """Notebook 01, "Files leak the same way": the OS limit, then Errno 24 for everyone.

    In a child process with a low descriptor limit (so this one is not starved): plain
    failing runs over a CSV file, their exceptions kept, until opening fails with EMFILE;
    then an unrelated ``open`` fails too, and dropping the exceptions heals it.
    """
    result = subprocess.run(
        [sys.executable, "-c", _DESCRIPTOR_LIMIT_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    failedRuns, unrelated = result.stdout.split()
    assert 18 <= int(failedRuns) <= 20  # one descriptor per failed run: 20 were left free
    assert unrelated == "EMFILE"  # "Too many open files", for every part of the program


def test_errors_kept_in_a_local_list_of_the_catching_function_are_a_cycle(
    database: Path,
) -> None:
    """The frame that catches an exception is in its traceback: a local list there is a cycle.

    list -> exception -> traceback -> the catching frame -> its local ``held`` -> list.
    Clearing the list frees at once; dropping the list the function returned does not.
    """
    with ConnectionPool(database, size=2) as pool:
        cycleGarbage()
        held = failingRuns(pool, PlainFailingStage, runs=2)  # caught in failingRuns' frame
        assert pool.inUse == 2
        del held
        assert pool.inUse == 2  # unreachable, yet not freed
        gc.collect()
        assert pool.inUse == 0


def plainSqliteSource(path: Path, failAt: int | None = None) -> Iterator[Any]:
    """A source of the kind a student writes: its own sqlite3 connection, in a ``with`` block.

    With ``failAt`` it raises by itself there, from inside that block.
    """
    query = "SELECT sensorId, timestamp, value FROM readings"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for index, row in enumerate(conn.execute(query)):
            if index == failAt:
                raise OSError(f"sensor link lost in the source at record {index}")
            yield row


def test_a_source_that_raises_by_itself_releases_its_connection_while_the_error_is_kept(
    database: Path,
) -> None:
    """01: why the fault sits in a stage. The raising generator unwinds its own ``with``."""
    source = plainSqliteSource(database, failAt=10)
    try:
        for _ in PlainFailingStage(failAt=1000).process(source):  # a stage that does not fail
            pass
    except OSError as error:
        kept = error
    assert "in the source" in str(kept)
    assert inspect.getgeneratorstate(source) == inspect.GEN_CLOSED
    assert openDescriptorsOn(database) == 0  # closed although the error, and the source, are kept


def test_a_stage_that_raises_leaves_the_plain_source_suspended_holding_its_connection(
    database: Path,
) -> None:
    source = plainSqliteSource(database)
    try:
        for _ in PlainFailingStage(failAt=10).process(source):
            pass
    except OSError as error:
        kept = error
    assert "sensor link lost at record 10" in str(kept)
    assert inspect.getgeneratorstate(source) == inspect.GEN_SUSPENDED
    assert openDescriptorsOn(database) == 1
    del source, kept  # the failing stage's frame in the traceback was the last holder
    assert openDescriptorsOn(database) == 0


def test_a_source_that_raises_without_with_keeps_its_connection_while_the_error_is_kept(
    database: Path,
) -> None:
    """01: it is the ``with`` block that gives it back, not where the failure happens."""

    def sourceWithoutWith() -> Iterator[Any]:
        conn = sqlite3.connect(database)  # no with, no finally: the mistake shown here
        for index, row in enumerate(conn.execute("SELECT * FROM readings")):
            if index == 10:
                raise OSError("sensor link lost in the source")
            yield row

    try:
        for _ in PlainFailingStage(failAt=1000).process(sourceWithoutWith()):
            pass
    except OSError as error:
        kept = error
    assert openDescriptorsOn(database) == 1  # the source's frame, in the traceback, holds it
    with warnings.catch_warnings():  # 3.13 warns of the leaked connection: the point here
        warnings.simplefilter("ignore", ResourceWarning)
        del kept
        gc.collect()  # the finished frame and its cursor may form a cycle: not what this pins
    assert openDescriptorsOn(database) == 0

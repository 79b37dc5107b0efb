"""Checks for 02_context_managers's exercises: a connection-loan manager, slide 3 fixed.

Exercise 1's class is ``ConnectionLoan``, not ``PooledConnection``: that is the library's
name for what the loan hands out (:class:`pipeline_lib.PooledConnection`, the stand-in
that refuses use once released), and a student importing both, or reading a traceback,
could not tell the manager from the connection.
"""

from __future__ import annotations

import contextlib
import inspect
import sqlite3
from typing import Any

from ..resources import ConnectionPool, PooledConnection
from ..sinks import ListSink
from ..sources import SqliteSource
from ..stages import ThresholdFilter
from .chainprobe import probeFailingRuns
from .scratch import capturedLogs, describeHeld, quietLogging, scratchPool
from .verdict import NotYet, Verdict, correct, exerciseCheck, require

__all__ = ["checkConnectionLoan", "checkSlideContextFixed"]


@exerciseCheck(
    hint="borrow when the block is entered, give back when it is left, whichever way it "
    "is left; a true return value from __exit__ means 'error handled'"
)
def checkConnectionLoan(managerClass: Any) -> Verdict:
    """Exercise 02.1: ``with managerClass(pool) as conn:`` borrows and always gives back.

    Always: after a normal block, one that raised a ValueError, and one stopped by a
    KeyboardInterrupt; each error propagates.
    """
    require(callable(managerClass), f"expected your ConnectionLoan class, got {managerClass!r}")
    with quietLogging(), scratchPool(size=1) as pool:
        manager = managerClass(pool)
        require(
            pool.inUse == 0,
            "creating the manager already took a connection, before any `with`: a manager "
            "made but never entered would leak it (borrow in __enter__)",
        )
        with manager as conn:
            require(
                isinstance(conn, (sqlite3.Connection, PooledConnection)),
                f"`with ... as conn` gave {conn!r}, expected the connection borrowed from the "
                "pool (a sqlite3.Connection, or the pool's PooledConnection stand-in for one)",
            )
            require(
                not (isinstance(conn, PooledConnection) and conn.released),
                "inside the block, the connection `as conn` gave is already back in the pool: "
                "__enter__ gave it back before the block began",
                hint="a `with` inside __enter__ ends when __enter__ returns: the loan must last "
                "until __exit__",
            )
            require(
                pool.inUse == 1,
                "inside the block, no connection is borrowed from the pool (a connection "
                "of your own is not the pool's)",
            )
        require(
            not (pool.inUse == 1 and _closedByHolder(pool, conn)),
            "after the block, the borrowed connection was closed but not given back: the pool "
            "still counts it as in use, and a closed connection is no use to the next borrower",
            hint="a borrowed connection is not yours to close: it goes back to the pool that "
            "lent it, however the block ends",
        )
        require(
            pool.inUse == 0, "after a block that ended normally, the connection was not given back"
        )
        propagated = False
        try:
            with managerClass(pool):
                raise ValueError("a record was malformed")
        except ValueError:
            propagated = True
        generatorForm = inspect.isgeneratorfunction(getattr(managerClass, "__wrapped__", None))
        require(
            pool.inUse == 0,
            "after a block that raised, the connection was not given back",
            hint=_AFTER_YIELD if generatorForm else None,
        )
        require(
            propagated,
            "an exception inside the block was swallowed: "
            + (
                "your generator caught it at its `yield` and did not raise it again, so "
                "@contextmanager reports it handled"
                if generatorForm
                else "__exit__ returned a true value"
            ),
        )
        interrupted = False
        try:
            with managerClass(pool):
                raise KeyboardInterrupt  # Ctrl-C while the block runs
        except KeyboardInterrupt:
            interrupted = True
        require(
            pool.inUse == 0,
            "after a block stopped by Ctrl-C (KeyboardInterrupt), the connection was not given "
            "back, though it was after a ValueError: KeyboardInterrupt is a BaseException, "
            "not an Exception, so giving back only for an Exception misses it",
        )
        require(interrupted, "a KeyboardInterrupt inside the block was swallowed")
        with managerClass(pool) as again:  # a pool of 1: only works if it really came back
            again.execute("SELECT 1").fetchone()
    return correct(
        "the connection is borrowed inside the block and given back, error, Ctrl-C or not"
    )


#: The hint for a ``@contextmanager`` loan that gives back only after a clean block.
_AFTER_YIELD = (
    "in a @contextmanager function an error in the block is raised at the `yield`: code "
    "after the `yield` runs only when the block ended normally"
)


def _closedByHolder(pool: ConnectionPool, conn: Any) -> bool:
    """Whether the block's ``conn`` was closed (``conn.close()``) while still lent out.

    If so, the loan is ended here: the pool cannot take a closed connection back cleanly
    (its ``release`` raises ``ProgrammingError``), and the verdict must be about the
    student's mistake, not about the scratch pool's cleanup.
    """
    try:
        conn.execute("SELECT 1")
    except sqlite3.ProgrammingError:  # "Cannot operate on a closed database."
        with contextlib.suppress(sqlite3.ProgrammingError, ValueError):
            pool.release(conn)
        return True
    return False


#: Exercise 02.1's check under its name before the class was renamed: notebooks saved
#: earlier still import it. Not in ``__all__``: new notebooks call checkConnectionLoan.
checkPooledConnection = checkConnectionLoan


#: The hint when a fixed ``__exit__`` no longer logs what slide 3's logged.
_LOGS_AS_BEFORE = (
    "closing is what your __exit__ adds; the logging is what slide 3's __exit__ already "
    "does, from the three arguments it is given: after closing, let it do that, as before"
)


@exerciseCheck(
    hint="slide 3's __exit__ runs however the block ends, but closes nothing: remember the "
    "generators run() creates, and close them there, newest first"
)
def checkSlideContextFixed(contextClass: Any) -> Verdict:
    """Exercise 02.2: slide 3's ``PipelineContext``, fixed to close the chain, logging as before.

    Three failing runs (probeFailingRuns) must close every generator newest first and
    each log slide 3's ``FAILED`` line with the run's error; a healthy run must deliver,
    give its connection back and log ``Completed: N records`` with N the records
    delivered.
    """
    require(
        callable(contextClass), f"expected your FixedPipelineContext class, got {contextClass!r}"
    )
    failedRuns: list[tuple[BaseException, list[str]]] = []

    def failingRun(source: Any, stages: list[Any], pool: ConnectionPool) -> None:
        with capturedLogs() as messages:
            try:
                with contextClass(source, pipelineId="check") as ctx:
                    ctx.run(stages=stages, sink=ListSink())
            except BaseException as error:
                failedRuns.append((error, messages))
                raise

    with quietLogging(), scratchPool(size=2) as pool:
        try:
            problem = probeFailingRuns(failingRun, pool)
            require(not problem, problem)
            for attempt, (error, messages) in enumerate(failedRuns, start=1):
                _requireFailedLine(attempt, error, messages)
        finally:
            failedRuns.clear()  # the errors keep the probe's frames: let the pool close
        sink = ListSink()
        source = SqliteSource(pool)
        with capturedLogs() as messages, contextClass(source, pipelineId="check") as ctx:
            ctx.run(stages=[ThresholdFilter(20.0, 80.0)], sink=sink)
        require(sink.records, "a run without failures delivered no records")
        require(pool.inUse == 0, f"after a successful run, {describeHeld(pool)}")
        _requireCompletedLine(len(sink.records), messages)
    return correct(
        "failing runs (an OSError, a KeyboardInterrupt) close every generator newest first, "
        "log FAILED and re-raise the original error; a healthy run still delivers "
        f"{len(sink.records)} records and logs them as completed"
    )


def _requireFailedLine(attempt: int, error: BaseException, messages: list[str]) -> None:
    failed = [line for line in messages if "FAILED" in line]
    completed = [line for line in messages if "Completed" in line]
    kind = type(error).__name__
    if completed:  # (require's message is built before it is checked)
        raise NotYet(
            f"run {attempt} failed with {kind}, yet your context logged {completed[0]!r}: "
            "its __exit__ was told that the block ended normally",
            hint="slide 3's __exit__ tells a failure from a success by the three arguments "
            "it receives: pass on the ones your __exit__ was given",
        )
    require(
        failed,
        f"run {attempt} failed with {kind}, and your context logged no FAILED line: "
        "slide 3's `FAILED after ...s: <error>` is gone",
        hint=_LOGS_AS_BEFORE,
    )
    require(
        any(str(error) in line for line in failed),
        f"run {attempt} failed with {kind}, but its FAILED line {failed[0]!r} does not say "
        f"the error ({str(error)!r})",
        hint=_LOGS_AS_BEFORE,
    )


def _requireCompletedLine(delivered: int, messages: list[str]) -> None:
    completed = [line for line in messages if "Completed" in line]
    require(
        completed,
        f"a healthy run of {delivered} records logged no `Completed: ... records` line"
        + (f" (it logged {messages[-1]!r})" if messages else ""),
        hint=_LOGS_AS_BEFORE,
    )
    require(
        any(f"Completed: {delivered} records" in line for line in completed),
        f"after a healthy run of {delivered} records, your context logged {completed[0]!r}: "
        "run() must still count what it delivers (self._recordCount)",
        hint="slide 3's count comes from run(): the chain the sink consumes must still "
        "pass through what counts the records",
    )

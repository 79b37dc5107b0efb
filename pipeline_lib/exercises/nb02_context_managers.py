"""Checks for 02_context_managers's exercises: a connection-loan manager, slide 3 fixed.

Exercise 1's class is ``ConnectionLoan``, not ``PooledConnection``: that is the library's
name for what the loan hands out (:class:`pipeline_lib.PooledConnection`, the stand-in
that refuses use once released), and a student importing both, or reading a traceback,
could not tell the manager from the connection.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any

from ..resources import ConnectionPool, PooledConnection
from ..sinks import ListSink
from ..sources import SqliteSource
from ..stages import ThresholdFilter
from .chainprobe import probeFailingRuns
from .scratch import describeHeld, quietLogging, scratchPool
from .verdict import Verdict, correct, exerciseCheck, require

__all__ = ["checkConnectionLoan", "checkSlideContextFixed"]


@exerciseCheck(
    hint="borrow when the block is entered, give back when it is left, whichever way it "
    "is left; a true return value from __exit__ means 'error handled'"
)
def checkConnectionLoan(managerClass: Any) -> Verdict:
    """Exercise 02.1: ``with managerClass(pool) as conn:`` borrows and always gives back."""
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
        require(
            pool.inUse == 0,
            "after a block that raised, the connection was not given back",
        )
        require(
            propagated,
            "an exception inside the block was swallowed: __exit__ returned a true value",
        )
        with managerClass(pool) as again:  # a pool of 1: only works if it really came back
            again.execute("SELECT 1").fetchone()
    return correct("the connection is borrowed inside the block and given back, error or not")


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


@exerciseCheck(
    hint="slide 3's __exit__ runs however the block ends, but closes nothing: remember the "
    "generators run() creates, and close them there, newest first"
)
def checkSlideContextFixed(contextClass: Any) -> Verdict:
    """Exercise 02.2: slide 3's ``PipelineContext``, fixed to close the generator chain."""
    require(
        callable(contextClass), f"expected your FixedPipelineContext class, got {contextClass!r}"
    )

    def failingRun(source: Any, stages: list[Any], pool: ConnectionPool) -> None:
        with contextClass(source, pipelineId="check") as ctx:
            ctx.run(stages=stages, sink=ListSink())

    with quietLogging(), scratchPool(size=2) as pool:
        problem = probeFailingRuns(failingRun, pool)
        require(not problem, problem)
        sink = ListSink()
        with contextClass(SqliteSource(pool), pipelineId="check") as ctx:
            ctx.run(stages=[ThresholdFilter(20.0, 80.0)], sink=sink)
        require(sink.records, "a run without failures delivered no records")
        require(pool.inUse == 0, f"after a successful run, {describeHeld(pool)}")
        counted = getattr(ctx, "_recordCount", getattr(ctx, "recordCount", None))
        require(
            counted == len(sink.records),
            f"after a healthy run of {len(sink.records)} records, the context counted "
            f"{counted!r} (self._recordCount): run() must still count what it delivers",
        )
    return correct(
        "failing runs (an OSError, a KeyboardInterrupt) close every generator newest first "
        f"and re-raise the original error; a healthy run still delivers and counts "
        f"{len(sink.records)} records"
    )

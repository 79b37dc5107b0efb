"""Checks for 02_context_managers's exercises: a pooled-connection manager, slide 3 fixed."""

from __future__ import annotations

import sqlite3
from typing import Any

from ..resources import ConnectionPool, PooledConnection
from ..sinks import ListSink
from ..sources import SqliteSource
from ..stages import ThresholdFilter
from .chainprobe import probeFailingRuns
from .scratch import describeHeld, quietLogging, scratchPool
from .verdict import Verdict, correct, exerciseCheck, require

__all__ = ["checkPooledConnection", "checkSlideContextFixed"]


@exerciseCheck(
    hint="borrow when the block is entered, give back when it is left, whichever way it "
    "is left; a true return value from __exit__ means 'error handled'"
)
def checkPooledConnection(managerClass: Any) -> Verdict:
    """Exercise 02.1: ``with managerClass(pool) as conn:`` borrows and always gives back."""
    require(callable(managerClass), f"expected your PooledConnection class, got {managerClass!r}")
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
                f"`with ... as conn` gave {conn!r}, expected a sqlite3.Connection",
            )
            require(
                pool.inUse == 1,
                "inside the block, no connection is borrowed from the pool (a connection "
                "of your own is not the pool's)",
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

"""Checks for 02_context_managers's exercises: a pooled-connection manager, slide 3 fixed."""

from __future__ import annotations

import sqlite3
from typing import Any

from ..resources import ConnectionPool, PooledConnection
from ..sinks import ListSink
from ..sources import SqliteSource
from ..stages import ThresholdFilter
from .scratch import (
    describeHeld,
    quietLogging,
    runsFailingAsInjected,
    scratchPool,
)
from .verdict import Verdict, correct, exerciseCheck, require

__all__ = ["checkPooledConnection", "checkSlideContextFixed"]


@exerciseCheck(hint="__enter__ returns self.pool.acquire(); __exit__ releases it and returns False")
def checkPooledConnection(managerClass: Any) -> Verdict:
    """Exercise 02.1: ``with managerClass(pool) as conn:`` borrows and always gives back."""
    with quietLogging(), scratchPool(size=1) as pool:
        with managerClass(pool) as conn:
            require(
                isinstance(conn, (sqlite3.Connection, PooledConnection)),
                f"`with ... as conn` gave {conn!r}, expected a sqlite3.Connection",
            )
            require(pool.inUse == 1, "inside the block, no connection is acquired from the pool")
        require(pool.inUse == 0, "after the block, the connection was not released")
        propagated = False
        try:
            with managerClass(pool):
                raise ValueError("boom")
        except ValueError:
            propagated = True
        require(propagated, "an exception inside the block was swallowed: return False")
        require(pool.inUse == 0, "after a block that raised, the connection was not released")
    return correct("the connection is borrowed inside the block and given back, error or not")


@exerciseCheck(
    hint="in run(), keep the generators you chain; in __exit__, close them newest first "
    "(before logging), then return False"
)
def checkSlideContextFixed(contextClass: Any) -> Verdict:
    """Exercise 02.2: slide 3's ``PipelineContext``, fixed to close the generator chain."""

    def failingRun(stage: Any, pool: ConnectionPool) -> None:
        with contextClass(SqliteSource(pool), pipelineId="check") as ctx:
            ctx.run(stages=[stage], sink=ListSink())

    with quietLogging(), scratchPool(size=2) as pool:
        problem = runsFailingAsInjected(failingRun, pool)
        require(not problem, problem)
        sink = ListSink()
        with contextClass(SqliteSource(pool), pipelineId="check") as ctx:
            ctx.run(stages=[ThresholdFilter(20.0, 80.0)], sink=sink)
        require(sink.records, "a run without failures delivered no records")
        require(pool.inUse == 0, f"after a successful run, {describeHeld(pool)}")
    return correct(
        "failing runs give their connection back and re-raise the original error; "
        f"a healthy run still delivers {len(sink.records)} records"
    )

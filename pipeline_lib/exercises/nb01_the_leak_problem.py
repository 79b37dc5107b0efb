"""Checks for 01_the_leak_problem's exercises: a leak fixed, a runner that cleans up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..resources import ConnectionPool
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

__all__ = ["checkLeakFixed", "checkSafeRunner"]


@exerciseCheck(
    hint="close the suspended source generator (.close()), or drop every reference to "
    "the kept exceptions and run gc.collect(); do not close the pool itself"
)
def checkLeakFixed(pool: ConnectionPool) -> Verdict:
    """Exercise 01.1: every connection of ``pool`` is back, and the pool still works."""
    require(pool.inUse == 0, f"{describeHeld(pool)}, held by: {', '.join(pool.holders)}")
    with pool.connection(holder="checkLeakFixed") as conn:
        conn.execute("SELECT 1").fetchone()
    return correct(f"all {pool.size} connections are available again and the pool still works")


@exerciseCheck(
    hint="keep every generator you create in a list; in a finally block, close them "
    "newest first (gen.close()); do not catch the exception"
)
def checkSafeRunner(runFunction: Callable[[Any, Any, Any], object]) -> Verdict:
    """Exercise 01.2: ``runFunction(source, stages, sink)`` closes every generator, always."""
    with quietLogging(), scratchPool(size=2) as pool:
        sink = ListSink()
        count = runFunction(SqliteSource(pool), [ThresholdFilter(20.0, 80.0)], sink)
        require(sink.records, "a run without failures delivered no records")
        require(
            count == len(sink.records),
            f"a successful run returned {count!r}, expected the record count {len(sink.records)}",
        )
        require(pool.inUse == 0, f"after a successful run, {describeHeld(pool)}")
        problem = runsFailingAsInjected(
            lambda stage, pool: runFunction(SqliteSource(pool), [stage], ListSink()), pool
        )
        require(not problem, problem)
    return correct(
        f"{len(sink.records)} records on success; after 3 failing runs with their "
        "exceptions kept, every connection is back"
    )

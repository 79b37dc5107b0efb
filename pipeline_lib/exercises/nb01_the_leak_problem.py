"""Checks for 01_the_leak_problem's exercises: a leak fixed, a runner that cleans up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..resources import ConnectionPool, PoolExhausted
from ..sinks import ListSink
from ..sources import SqliteSource
from ..stages import ThresholdFilter
from .chainprobe import probeFailingRuns
from .scratch import describeHeld, quietLogging, scratchPool
from .verdict import Verdict, correct, exerciseCheck, require

__all__ = ["checkLeakFixed", "checkSafeRunner"]


@exerciseCheck(
    hint="something still refers to the suspended generators: close them, or let go of "
    "whatever keeps them alive; the pool itself must stay open"
)
def checkLeakFixed(pool: ConnectionPool) -> Verdict:
    """Exercise 01.1: every connection of ``pool`` is back, and the pool still works."""
    require(
        isinstance(pool, ConnectionPool), f"expected the exercise's ConnectionPool, got {pool!r}"
    )
    require(
        pool.served > 0,
        "this pool has never lent a connection: it is a new pool, not the one the failed "
        "runs drained (re-run the exercise's first cell, then release *its* connections)",
    )
    try:
        conn = pool.acquire(holder="checkLeakFixed")
    except PoolExhausted:
        conn = None
    except RuntimeError as error:  # acquire() on a closed pool
        require(False, f"you closed the pool itself ({error}): nobody can borrow from it now")
    if conn is not None:
        pool.release(conn)
    require(
        pool.inUse == 0,
        f"{describeHeld(pool)}, held by: {', '.join(pool.holders)}; gc.collect() frees only "
        "what nothing refers to",
    )
    with pool.connection(holder="checkLeakFixed") as conn:
        conn.execute("SELECT 1").fetchone()
    return correct(f"all {pool.size} connections are available again and the pool still works")


@exerciseCheck(
    hint="after a failure, the generators upstream of it are still suspended: your runner "
    "must close every one it created, however the run ends, newest first"
)
def checkSafeRunner(runFunction: Callable[[Any, Any, Any], object]) -> Verdict:
    """Exercise 01.2: ``runFunction(source, stages, sink)`` closes every generator, always."""
    require(callable(runFunction), f"expected your runWithCleanup function, got {runFunction!r}")
    with quietLogging(), scratchPool(size=2) as pool:
        sink = ListSink()
        count = runFunction(SqliteSource(pool), [ThresholdFilter(20.0, 80.0)], sink)
        require(sink.records, "a run without failures delivered no records")
        require(
            count == len(sink.records),
            f"a successful run returned {count!r}, but the sink received {len(sink.records)} "
            "records: return what sink.consume returns",
        )
        require(pool.inUse == 0, f"after a successful run, {describeHeld(pool)}")
        problem = probeFailingRuns(
            lambda source, stages, pool: runFunction(source, stages, ListSink()), pool
        )
        require(not problem, problem)
    return correct(
        f"{len(sink.records)} records on success; after failing runs (an OSError, a "
        "KeyboardInterrupt) with their exceptions kept, every generator was closed, newest "
        "first, and the original error reached the caller"
    )

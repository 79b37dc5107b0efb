"""Checks for 01_the_leak_problem's exercises: a leak fixed, a runner that cleans up."""

from __future__ import annotations

import gc
import inspect
from collections.abc import Callable
from typing import Any

from ..resources import ConnectionPool, PooledConnection, PoolExhausted
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
    back = pool.size - pool.inUse
    require(
        pool.inUse == 0 or back == 0,
        f"{back} came back, but {describeHeld(pool)}, held by: {', '.join(pool.holders)}: "
        "something still refers to the other suspended generators",
    )
    require(
        pool.inUse == 0,
        f"{describeHeld(pool)}, held by: {', '.join(pool.holders)}: something still refers "
        "to their suspended generators, and gc.collect() frees only what nothing refers to",
    )
    stranded = _strandedLoans(pool)
    released = sum(loan.released for loan in stranded)
    require(
        not released,
        f"the pool counts every connection as back, yet the {released} source generators that "
        "borrowed them are still suspended inside their `with` blocks: the connections were "
        "taken back behind their backs (through the pool's private `_holders`, say). When "
        "those generators are finally closed, each gives back its connection a second time "
        "and fails (ValueError: release() of a connection already released)",
        hint=_PRIVATE_HINT,
    )
    require(
        not stranded,
        f"the pool counts no connection in use, yet {len(stranded)} are still lent to "
        f"suspended generators: its private bookkeeping (`_holders`) was edited, so those "
        "connections stay open, lent to no one the pool knows of",
        hint=_PRIVATE_HINT,
    )
    with pool.connection(holder="checkLeakFixed") as conn:
        conn.execute("SELECT 1").fetchone()
    return correct(f"all {pool.size} connections are available again and the pool still works")


_PRIVATE_HINT = (
    "use the pool through its public side only (acquire, release, inUse, holders): an "
    "attribute with a leading underscore is its private bookkeeping, and editing it hides "
    "the leak instead of ending it. The leak ends when the suspended generators finish"
)


def _strandedLoans(pool: ConnectionPool) -> list[PooledConnection]:
    """The connections of ``pool`` that suspended generators still hold, each once.

    A generator suspended inside ``with pool.connection() as conn:`` keeps ``conn`` among
    its local variables until it finishes. If ``pool.inUse`` says 0 while such generators
    exist, the connections were taken back without them: the leak was hidden, not fixed.
    """
    held: dict[int, PooledConnection] = {}
    for candidate in gc.get_objects():
        if not inspect.isgenerator(candidate) or candidate.gi_frame is None:
            continue
        if inspect.getgeneratorstate(candidate) != inspect.GEN_SUSPENDED:
            continue
        for value in candidate.gi_frame.f_locals.values():
            if isinstance(value, PooledConnection) and value._pool is pool:
                held[id(value)] = value
    return list(held.values())


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

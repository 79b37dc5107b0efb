"""Checks for 05_retry's exercises: a resumable source, retryOn, a retry budget."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from typing import Any

from ..faults import Fault, failSource
from ..lifecycle import PipelineContext
from ..resources import ConnectionPool
from ..resume import isResumable
from ..retry import retryOnFailure
from ..retrypolicy import RetryPolicy
from ..sinks import ListSink
from ..sources import SqliteSource
from ..testing import FakeClock
from .scratch import (
    describeHeld,
    quietLogging,
    scratchPool,
)
from .verdict import NotYet, Verdict, correct, exerciseCheck, require

__all__ = ["HUB_ERRORS", "checkResumableSource", "checkRetryBudget", "checkRetryOn"]


def _noSleep(seconds: float) -> None:
    """The checks' injected sleep: a retry never really waits."""


class _RowCountingPool(ConnectionPool):
    """A pool whose connections count the rows they hand to Python (``rowsRead``).

    A ``row_factory`` sees every row a query returns to Python and returns it unchanged:
    rows skipped in SQL (``OFFSET``, ``WHERE``) never reach it, rows skipped in Python do.
    """

    rowsRead = 0

    def _connect(self) -> sqlite3.Connection:
        connection = super()._connect()
        connection.row_factory = self._counted
        return connection

    def _counted(self, cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> tuple[Any, ...]:
        self.rowsRead += 1
        return row


def _streamed(sourceClass: Any, pool: _RowCountingPool, resumeAfter: int | None) -> list[Any]:
    """The records of one stream (``resumeAfter=None``: the plain ``stream()``), rows counted."""
    pool.rowsRead = 0
    source = sourceClass(pool)
    stream = source.stream() if resumeAfter is None else source.stream(resumeAfter=resumeAfter)
    return list(stream)


def _wrongResume(k: int, resumed: list[Any], table: list[Any]) -> NotYet:
    """Why ``stream(resumeAfter=k)`` gave ``resumed`` instead of ``table[k:]``."""
    said = f"stream(resumeAfter={k}) gave {len(resumed)} readings"
    if k and resumed == table:
        return NotYet(
            f"{said}, all of them: resumeAfter is ignored",
            hint="the keyword has to change what the query returns",
        )
    if (k and resumed == table[k - 1 :]) or (resumed and resumed == table[k + 1 :]):
        return NotYet(
            f"{said}, starting at reading {table.index(resumed[0])} instead of {k}",
            hint="resumeAfter=k means readings 0 to k - 1 were delivered already: the next "
            "one to deliver is reading k (counting from 0)",
        )
    return NotYet(f"{said}, expected the {len(table[k:])} after the first {k}")


_HINT_RESUME = "let the query itself leave out the rows already delivered"


@exerciseCheck(hint=_HINT_RESUME)
def checkResumableSource(sourceClass: Any) -> Verdict:
    """Exercise 05.1: ``stream(resumeAfter=k)`` skips k rows in SQL; under retries, each once."""
    with quietLogging(), scratchPool(size=2) as scratch:
        pool = _RowCountingPool(scratch.database, size=2)
        try:
            return _checkResumable(sourceClass, pool)
        finally:
            pool.close(force=True)  # a wrong answer may keep a connection: none outlives the check


def _checkResumable(sourceClass: Any, pool: _RowCountingPool) -> Verdict:
    name = getattr(sourceClass, "__name__", repr(sourceClass))
    table = list(SqliteSource(pool).stream())
    stream: Any = getattr(sourceClass(pool), "stream", None)
    require(callable(stream), f"{name}(pool) has no stream() method")
    require(
        isResumable(stream),
        f"{name}.stream takes no resumeAfter keyword: the engine can only re-read it from the "
        "start and skip",
        hint="the engine calls stream(resumeAfter=k): give stream that keyword, default 0",
    )
    full = _streamed(sourceClass, pool, None)
    require(
        pool.inUse == 0,
        f"after stream() ended, {describeHeld(pool)}",
        hint="the connection must go back when the stream ends or is closed: acquire it in a "
        "with block (self.pool.connection(...)), as the starter did",
    )
    require(
        full == table,
        f"stream() gave {len(full)} readings, expected the table's {len(table)} in rowid order",
        hint="stream() with no keyword must still give every reading, in order",
    )
    for k in (0, 73, 1, len(table) - 1, len(table), len(table) + 5):
        resumed = _streamed(sourceClass, pool, k)
        expected = table[k:]
        if resumed != expected:
            raise _wrongResume(k, resumed, table)
        require(pool.inUse == 0, f"after stream(resumeAfter={k}) ended, {describeHeld(pool)}")
        require(
            pool.rowsRead <= len(expected),
            f"stream(resumeAfter={k}) read {pool.rowsRead} rows from the database to deliver "
            f"{len(expected)}: the first {k} were read and thrown away in Python",
            hint="skipping in Python (islice, a slice of fetchall()) still reads every row; "
            + _HINT_RESUME,
        )
    fault = Fault(atRecords=(40, 40, 150), error=ConnectionResetError)
    flaky = failSource(sourceClass(pool), fault)

    class Hub:
        @retryOnFailure(maxAttempts=4, delaySeconds=0.0, sleep=_noSleep)
        def stream(self, resumeAfter: int = 0) -> Iterator[Any]:
            return flaky.stream(resumeAfter=resumeAfter)

    sink = ListSink()
    with PipelineContext(Hub(), pipelineId="check") as ctx:
        ctx.run(sink=sink)
    twice = sum(count - 1 for count in Counter(sink.records).values() if count > 1)
    require(not twice, f"under 3 faults {twice} readings were delivered twice")
    require(sink.records == table, f"{len(sink.records)} readings delivered, not {len(table)}")
    require(pool.inUse == 0, f"after the retried run, {describeHeld(pool)}")
    return correct(
        f"stream(resumeAfter=k) skips k rows in the query for every k tried, and under 3 "
        f"faults (records 40, 40, 150) all {len(table)} readings arrive exactly once"
    )


#: Exercise 05.2: errors seen in the sensor hub's logs (see the notebook for each one's story).
HUB_ERRORS: tuple[Exception, ...] = (
    ConnectionResetError(104, "Connection reset by peer"),
    TimeoutError("the hub did not answer within 5 s"),
    FileNotFoundError(2, "No such file or directory", "/data/hub/readings.sqlite"),
    sqlite3.OperationalError("database is locked"),
    PermissionError(13, "Permission denied", "/data/hub/readings.sqlite"),
    BrokenPipeError(32, "Broken pipe"),
    sqlite3.OperationalError("no such table: readings"),
    ValueError("malformed reading: value='n/a'"),
)
_TRANSIENT_HUB_ERRORS = frozenset({0, 1, 3, 5})  # indexes into HUB_ERRORS


def _described(errors: list[Exception]) -> str:
    return ", ".join(f"{type(e).__name__}({str(e)!r})" for e in errors)


_PERMANENT_HINTS = {
    2: "a missing file is still missing after any wait",
    4: "a refused permission is refused again after any wait",
    6: "the two OperationalErrors have one type and differ only in their message: a missing "
    "table stays missing, so look at what the error says, not only at its type",
    7: "a malformed reading is malformed every time it is read",
}
_MISSED_HINTS = {
    3: "a locked database is released when the other process commits, but it is a "
    "sqlite3.OperationalError, not an OSError: the default rule cannot know it",
}


@exerciseCheck(hint="retry an error only if waiting can change the outcome")
def checkRetryOn(retryOn: Any) -> Verdict:
    """Exercise 05.2: ``retryOn`` retries exactly the transient errors of :data:`HUB_ERRORS`."""
    policy = RetryPolicy(maxAttempts=3, delaySeconds=0.0, retryOn=retryOn)
    verdicts = [policy.isTransient(error) for error in HUB_ERRORS]
    wrongly = [
        i for i, retried in enumerate(verdicts) if retried and i not in _TRANSIENT_HUB_ERRORS
    ]
    missed = [i for i, retried in enumerate(verdicts) if not retried and i in _TRANSIENT_HUB_ERRORS]
    require(
        not wrongly,
        f"it retries {_described([HUB_ERRORS[i] for i in wrongly])}, which waiting cannot heal",
        hint="; ".join(_PERMANENT_HINTS[i] for i in wrongly) if wrongly else None,
    )
    require(
        not missed,
        f"it does not retry {_described([HUB_ERRORS[i] for i in missed])}, which a wait may heal",
        hint=_MISSED_HINTS.get(
            missed[0], "a reset link, a timeout, a broken pipe: each may be gone after a wait"
        )
        if missed
        else None,
    )
    attempts = _attemptsUntilRaised(retryOn, sqlite3.OperationalError("no such table: readings"))
    require(attempts == 1, f"a missing table was tried {attempts} times, expected once")
    records = _recordsDelivered(retryOn, sqlite3.OperationalError("database is locked"))
    require(
        records == list(range(10)),
        f"a new 'database is locked' error was not retried: the source delivered {records}",
        hint="judge an error by its kind and its message, not by which object it is: the hub "
        "raises a new exception each time",
    )
    return correct(
        "the 4 transient errors are retried (the locked database too), the 4 permanent ones "
        "raised at once; a real retried stream survives the lock, each record once"
    )


def _flakyNumbers(error: Exception, atRecord: int = 5) -> Callable[..., Iterator[int]]:
    """A resumable stream of 0..9 that raises ``error`` once, at ``atRecord``."""
    raised: list[Exception] = []

    def stream(resumeAfter: int = 0) -> Iterator[int]:
        for number in range(resumeAfter, 10):
            if number == atRecord and not raised:
                raised.append(error)
                raise error
            yield number

    return stream


def _attemptsUntilRaised(retryOn: Any, error: Exception) -> int:
    retried = retryOnFailure(maxAttempts=3, delaySeconds=0.0, retryOn=retryOn, sleep=_noSleep)(
        _flakyNumbers(error)
    )
    with quietLogging():
        try:
            list(retried())
        except type(error):
            pass
    return retried.retryStats.attempts


def _recordsDelivered(retryOn: Any, error: Exception) -> list[int]:
    """What a retried stream failing once with ``error`` delivers (until it raised)."""
    retried = retryOnFailure(maxAttempts=3, delaySeconds=0.0, retryOn=retryOn, sleep=_noSleep)(
        _flakyNumbers(error)
    )
    delivered: list[int] = []
    with quietLogging():
        try:
            delivered.extend(retried())
        except type(error):
            pass
    return delivered


@exerciseCheck(hint="the waits must grow, stay bounded, and vary from job to job")
def checkRetryBudget(policy: Any) -> Verdict:
    """Exercise 05.3: a policy that rides out a 20 s outage, within a 60 s budget."""
    require(
        isinstance(policy, RetryPolicy),
        f"expected a pipeline_lib.RetryPolicy, got {type(policy).__name__}",
        hint="build one with RetryPolicy(...), as in the starter",
    )
    nominal = replace(policy, jitter=0.0).delays()  # jitter only shortens a wait
    shortest = [(1.0 - policy.jitter) * wait for wait in nominal]
    require(
        nominal,
        f"maxAttempts={policy.maxAttempts} never retries",
        hint="maxAttempts counts the first attempt too",
    )
    require(
        nominal[0] <= 1.0,
        f"the first wait is {nominal[0]:g} s; a blip needs <= 1 s",
        hint="start small and let the waits grow",
    )
    require(
        max(nominal) <= 15.0,
        f"one wait lasts {max(nominal):g} s; keep each <= 15 s",
        hint="a growing wait needs a ceiling",
    )
    require(
        sum(nominal) <= 60.0,
        f"the waits may total {sum(nominal):g} s, over the 60 s budget",
        hint="fewer attempts, or a lower ceiling: policy.delays() lists the waits",
    )
    require(
        sum(shortest) >= 20.0,
        f"at their shortest (jitter drawing low) the waits total {sum(shortest):.1f} s: a 20 s "
        "outage outlasts every attempt",
        hint="equal waits add up slowly: let each wait grow from the last"
        if policy.backoff <= 1.0
        else "at its lowest, jitter shortens every wait: more attempts, or less jitter",
    )
    require(
        policy.jitter >= 0.1,
        f"jitter is {policy.jitter}: the 200 hubs retry in lockstep",
        hint="200 jobs that failed together retry together unless each draws its own waits",
    )
    clock = FakeClock()

    def stream(resumeAfter: int = 0) -> Iterator[int]:
        for number in range(resumeAfter, 10):
            if number == 5 and clock.now < 20.0:
                raise TimeoutError(f"the hub is updating its firmware (t={clock.now:.1f} s)")
            yield number

    options = {f.name: getattr(policy, f.name) for f in fields(RetryPolicy)}
    retried = retryOnFailure(**options, sleep=clock.sleep)(stream)
    with quietLogging():
        records = list(retried())
    require(records == list(range(10)), f"the stream delivered {records}")
    return correct(
        f"waits of {nominal[0]:g} to {max(nominal):g} s, {sum(shortest):.1f} to "
        f"{sum(nominal):.1f} s in total: a 20 s outage is ridden out, and the job gives "
        "up within its budget"
    )

"""Checks for 05_retry's exercises: a resumable source, retryOn, a retry budget."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from typing import Any

from ..cleanup import describeError
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
        except sqlite3.Error as error:  # the student's query: say what SQLite refused
            raise NotYet(
                f"your query failed: {describeError(error)}", hint=_sqlHint(error)
            ) from None
        finally:
            pool.close(force=True)  # a wrong answer may keep a connection: none outlives the check


def _sqlHint(error: sqlite3.Error) -> str:
    if "OFFSET" in str(error):
        return (
            "SQLite accepts OFFSET only after a LIMIT: look up its LIMIT clause (a negative "
            "LIMIT means no limit)"
        )
    return "run your query on its own first (conn.execute(query, (73,)).fetchall())"


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
    served = pool.served
    full = _streamed(sourceClass, pool, None)
    require(
        pool.served > served or not full,
        f"stream() gave {len(full)} readings without borrowing a connection from the pool it "
        "was given: a connection of its own is not the hub's, and the check cannot see which "
        "rows it reads",
        hint="read through the pool the source is given (self.pool.connection(...)), as the "
        "starter did",
    )
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
    _requireReleasedWhenClosedEarly(sourceClass, pool)
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


def _requireReleasedWhenClosedEarly(sourceClass: Any, pool: _RowCountingPool) -> None:
    """A retry closes the failed attempt's stream mid-way: its connection must come back."""
    early = iter(sourceClass(pool).stream(resumeAfter=0))
    for _ in range(3):
        next(early, None)
    close = getattr(early, "close", None)
    if callable(close):
        close()
    require(
        pool.inUse == 0,
        f"after a stream closed after 3 readings (as a retry closes a failed attempt), "
        f"{describeHeld(pool)}",
        hint="the connection must go back however the stream ends, closed early included: "
        "acquire it in a with block (self.pool.connection(...)), as the starter did",
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
    "sqlite3.OperationalError, not an OSError: a rule about OSErrors alone cannot know it",
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
    _requireJudgedByKind(policy)
    return correct(
        "the 4 transient errors are retried (the locked database too), the 4 permanent ones "
        "raised at once, and errors beyond the log are judged by their kind (a bug is not "
        "retried); a real retried stream survives the lock, each record once"
    )


#: Errors of the same kinds as HUB_ERRORS' but not in its log: (error, transient?).
_OTHER_ERRORS: tuple[tuple[Exception, bool], ...] = (
    (ConnectionResetError("the hub reset the link"), True),
    (TimeoutError(), True),
    (BrokenPipeError(32, "Broken pipe while the hub restarted"), True),
    (FileNotFoundError(2, "No such file or directory", "/data/hub/archive.sqlite"), False),
    (PermissionError(13, "Permission denied", "/data/hub/archive.sqlite"), False),
    (sqlite3.OperationalError("no such table: archive"), False),
    (ValueError("malformed reading: value='--'"), False),
)


#: Errors no wait heals that the hub's log does not show, each with why.
_UNLOGGED_PERMANENT: tuple[tuple[Exception, str], ...] = (
    (IsADirectoryError(21, "Is a directory", "/data/hub"), "path"),
    (NotADirectoryError(20, "Not a directory", "/data/hub/readings.sqlite/wal"), "path"),
    (TypeError("unsupported operand type(s) for -: 'str' and 'float'"), "bug"),
    (ZeroDivisionError("float division by zero"), "bug"),
)


def _requireJudgedByKind(policy: RetryPolicy) -> None:
    """The rule holds beyond the eight logged lines: a hard-coded list of messages does not."""
    for error, transient in _OTHER_ERRORS:
        retried = policy.isTransient(error)
        require(
            retried == transient,
            f"{type(error).__name__}({str(error)!r}), not in the hub's log, is "
            f"{'retried' if retried else 'not retried'}, though the logged "
            f"{type(error).__name__} is {'not ' if retried else ''}retried: your rule "
            "recognises the lines of one log, not kinds of error",
            hint="judge an error by its kind, and by what its message says only where one "
            "kind covers both a transient and a permanent error",
        )
    _requireUnloggedPermanentRaised(policy)


def _requireUnloggedPermanentRaised(policy: RetryPolicy) -> None:
    """A deny-list (retry all but the permanent errors of the log) retries a bug too."""
    retried = [(e, why) for e, why in _UNLOGGED_PERMANENT if policy.isTransient(e)]
    require(
        not retried,
        f"it retries {_described([e for e, _ in retried])}, which no wait heals, though "
        "the hub's log does not show them: your rule retries what it does not recognise",
        hint="an error nobody listed, a bug such as a TypeError, is retried as well: say which "
        "errors a wait may heal rather than which it cannot"
        if any(why == "bug" for _, why in retried)
        else "every OSError about the path itself (see 'Transient or permanent?') fails the "
        "same way after any wait",
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
    """Exercise 05.3: a policy that rides out a 20 s outage, within a 60 s budget.

    Judged on what ``retryOnFailure`` will do with the policy's fields, not on what the
    object's own ``delays()`` says: the engine computes every wait from the fields.
    """
    require(
        isinstance(policy, RetryPolicy),
        f"expected a pipeline_lib.RetryPolicy, got {type(policy).__name__}",
        hint="build one with RetryPolicy(...), as in the starter",
    )
    options = {f.name: getattr(policy, f.name) for f in fields(RetryPolicy)}
    engines = RetryPolicy(**options)  # what retryOnFailure(**options) builds and follows
    nominal = replace(engines, jitter=0.0).delays()  # jitter only shortens a wait
    _requireOwnSchedule(policy, nominal)
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
        hint=_shortHint(policy, nominal),
    )
    require(
        nominal[-1] > nominal[0],
        f"every wait is {nominal[0]:g} s: {len(nominal)} retries, {nominal[0]:g} s apart, from "
        "each of 200 jobs keep knocking on a hub that is busy updating",
        hint="a struggling hub needs more room after each failure: let each wait grow from "
        "the last",
    )
    require(
        policy.jitter >= 0.1,
        f"jitter is {policy.jitter}: the 200 jobs retry in lockstep",
        hint="200 jobs that failed together retry together unless each draws its own waits",
    )
    require(
        policy.seed is None,
        f"seed={policy.seed} fixes the jitter's draws: all 200 jobs would wait exactly the same "
        "times and retry in lockstep, the thundering herd that jitter exists to prevent",
        hint="jitter spreads the jobs out only if each job draws its own waits; a seed makes "
        "a schedule repeatable, for a test or a plot, not for the jobs themselves",
    )
    healedByNoWait = [
        error for error, transient in _OTHER_ERRORS if not transient and policy.isTransient(error)
    ]
    require(
        not healedByNoWait,
        f"the policy also retries {_described(healedByNoWait)}, which no wait heals: the job "
        "would spend its budget on them",
        hint="keep retrying only what a wait may heal, as in exercise 2",
    )
    _requireRidesOutTheUpdate(options)
    return correct(
        f"waits of {nominal[0]:g} to {max(nominal):g} s, {sum(shortest):.1f} to "
        f"{sum(nominal):.1f} s in total, each job drawing its own: a 20 s outage is ridden "
        "out, and the job gives up within its budget"
    )


def _shortHint(policy: RetryPolicy, nominal: tuple[float, ...]) -> str:
    if nominal[-1] > nominal[0]:
        return "at its lowest, jitter shortens every wait: more attempts, or less jitter"
    if policy.backoff > 1.0:
        return (
            "your backoff cannot grow these waits: a first wait of 0 s stays 0 s, and a "
            "ceiling at or below the first wait holds every wait at the ceiling"
        )
    return "equal waits add up slowly: let each wait grow from the last"


def _requireOwnSchedule(policy: RetryPolicy, nominal: tuple[float, ...]) -> None:
    """A subclass whose ``delays()`` lists waits of its own: the engine never calls it."""
    listed = replace(policy, jitter=0.0).delays()
    require(
        listed == nominal,
        f"your policy's delays() lists {_seconds(listed)}, but a retried stream waits what its "
        f"fields give, {_seconds(nominal)}: hard-coded waits are not what the engine sleeps",
        hint="retryOnFailure computes every wait from the policy's fields (the first wait, "
        "how it grows, its ceiling): choose those",
    )


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"


def _seconds(waits: tuple[float, ...]) -> str:
    return "(" + ", ".join(f"{wait:g}" for wait in waits) + ") s"


def _requireRidesOutTheUpdate(options: dict[str, Any]) -> None:
    """Run a stream through a 20 s firmware update under the policy, on a fake clock."""
    clock = FakeClock()

    def stream(resumeAfter: int = 0) -> Iterator[int]:
        for number in range(resumeAfter, 10):
            if number == 5 and clock.now < 20.0:
                raise TimeoutError(f"the hub is updating its firmware (t={clock.now:.1f} s)")
            yield number

    retried = retryOnFailure(**options, sleep=clock.sleep)(stream)
    with quietLogging():
        try:
            records = list(retried())
        except Exception as error:
            raise NotYet(
                f"a stream under your policy gave up at t={clock.now:g} s with "
                f"{describeError(error)}, after {_attempts(retried.retryStats.attempts)}",
                hint="the policy must still retry what the hub raises while it updates: a "
                "timeout (check its retryOn)",
            ) from None
    require(records == list(range(10)), f"the stream delivered {records}")

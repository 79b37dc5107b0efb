"""Checks for 05_retry's exercises: a resumable source, retryOn, a retry budget."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from typing import Any

from ..faults import Fault, failSource
from ..lifecycle import PipelineContext
from ..resume import isResumable
from ..retry import retryOnFailure
from ..retrypolicy import RetryPolicy
from ..sinks import ListSink
from ..sources import SqliteSource
from .scratch import (
    describeHeld,
    quietLogging,
    scratchPool,
)
from .verdict import Verdict, correct, exerciseCheck, require

__all__ = ["HUB_ERRORS", "checkResumableSource", "checkRetryBudget", "checkRetryOn"]


def _noSleep(seconds: float) -> None:
    """The checks' injected sleep: a retry never really waits."""


@exerciseCheck(
    hint="give stream a keyword resumeAfter=0 and let the query skip that many rows: SQL's "
    "OFFSET does it (SQLite wants a LIMIT before it; LIMIT -1 means no limit)"
)
def checkResumableSource(sourceClass: Any) -> Verdict:
    """Exercise 05.1: ``stream(resumeAfter=k)`` skips k rows; under retries, each row once."""
    with quietLogging(), scratchPool(size=2) as pool:
        table = list(SqliteSource(pool).stream())
        stream: Any = getattr(sourceClass(pool), "stream", None)
        require(callable(stream), f"{sourceClass.__name__}(pool) has no stream() method")
        require(
            isResumable(stream),
            f"{sourceClass.__name__}.stream takes no resumeAfter keyword: the engine can only "
            "re-read it from the start and skip",
        )
        full = list(sourceClass(pool).stream())
        require(
            full == table,
            f"stream() gave {len(full)} readings, expected the table's {len(table)} in rowid order",
        )
        for k in (0, 1, 73, len(table) - 1, len(table), len(table) + 5):
            resumed = list(sourceClass(pool).stream(resumeAfter=k))
            require(
                resumed == table[k:],
                f"stream(resumeAfter={k}) gave {len(resumed)} readings, expected the "
                f"{len(table[k:])} after the first {k}",
            )
        require(pool.inUse == 0, f"after the streams ended, {describeHeld(pool)}")
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
        f"stream(resumeAfter=k) skips k rows for every k tried, and under 3 faults "
        f"(records 40, 40, 150) all {len(table)} readings arrive exactly once"
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


@exerciseCheck(
    hint="a tuple of types cannot tell 'database is locked' from 'no such table': write a "
    "predicate, e.g. isTransientOSError(error) or (an OperationalError whose message says "
    "'locked')"
)
def checkRetryOn(retryOn: Any) -> Verdict:
    """Exercise 05.2: ``retryOn`` retries exactly the transient errors of :data:`HUB_ERRORS`."""
    policy = RetryPolicy(maxAttempts=3, delaySeconds=0.0, retryOn=retryOn)
    verdicts = [policy.isTransient(error) for error in HUB_ERRORS]
    wrongly = [
        e for i, e in enumerate(HUB_ERRORS) if verdicts[i] and i not in _TRANSIENT_HUB_ERRORS
    ]
    missed = [e for i, e in enumerate(HUB_ERRORS) if not verdicts[i] and i in _TRANSIENT_HUB_ERRORS]
    require(not wrongly, f"it retries {_described(wrongly)}, which waiting cannot heal")
    require(not missed, f"it does not retry {_described(missed)}, which a wait may heal")
    attempts = _attemptsUntilRaised(retryOn, sqlite3.OperationalError("no such table: readings"))
    require(attempts == 1, f"a missing table was tried {attempts} times, expected once")
    records = _recordsDelivered(retryOn, sqlite3.OperationalError("database is locked"))
    require(records == list(range(10)), f"after a lock, the source delivered {records}")
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
    retried = retryOnFailure(maxAttempts=3, delaySeconds=0.0, retryOn=retryOn, sleep=_noSleep)(
        _flakyNumbers(error)
    )
    with quietLogging():
        return list(retried())


class _FakeClock:
    """Time that passes only when the retry sleeps: an outage without waiting for it."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@exerciseCheck(
    hint="grow the waits: delaySeconds <= 1, backoff 2, maxDelaySeconds 15, jitter 0.2-0.5, "
    "and enough attempts that even the shortest draws add up to 20 s, but the longest not "
    "past 60 s"
)
def checkRetryBudget(policy: Any) -> Verdict:
    """Exercise 05.3: a policy that rides out a 20 s outage, within a 60 s budget."""
    require(
        isinstance(policy, RetryPolicy),
        f"expected a pipeline_lib.RetryPolicy, got {type(policy).__name__}",
    )
    nominal = replace(policy, jitter=0.0).delays()  # jitter only shortens a wait
    shortest = [(1.0 - policy.jitter) * wait for wait in nominal]
    require(nominal, f"maxAttempts={policy.maxAttempts} never retries")
    require(nominal[0] <= 1.0, f"the first wait is {nominal[0]:g} s; a blip needs <= 1 s")
    require(max(nominal) <= 15.0, f"one wait lasts {max(nominal):g} s; keep each <= 15 s")
    require(sum(nominal) <= 60.0, f"the waits may total {sum(nominal):g} s, over the 60 s budget")
    require(
        sum(shortest) >= 20.0,
        f"at their shortest (jitter drawing low) the waits total {sum(shortest):.1f} s: a 20 s "
        "outage outlasts every attempt",
    )
    require(policy.jitter >= 0.1, f"jitter is {policy.jitter}: the 200 hubs retry in lockstep")
    clock = _FakeClock()

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

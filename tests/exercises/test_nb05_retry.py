"""Notebook 05's checks: a right answer gets ✅, wrong ones a ❌ with a hint, never an exception."""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline_lib import ConnectionPool, RetryPolicy, SensorReading
from pipeline_lib.exercises import HUB_ERRORS, checkResumableSource, checkRetryBudget, checkRetryOn
from pipeline_lib.retrypolicy import isTransientOSError

QUERY = "SELECT sensorId, timestamp, value FROM readings ORDER BY rowid"

# -- exercise 1: a resumable source ------------------------------------------------------


class HubReadings:
    """The notebook's starter: correct, but not resumable."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def stream(self) -> Iterator[SensorReading]:
        with self.pool.connection(holder="HubReadings") as conn:
            for row in conn.execute(QUERY):
                yield SensorReading(*row)


class ResumableHubReadings(HubReadings):
    def stream(self, resumeAfter: int = 0) -> Iterator[SensorReading]:  # type: ignore[override]
        with self.pool.connection(holder="HubReadings") as conn:
            for row in conn.execute(QUERY + " LIMIT -1 OFFSET ?", (resumeAfter,)):
                yield SensorReading(*row)


class RowidHubReadings(HubReadings):
    """Right, written differently: skip by rowid in a WHERE clause (rowids run 1..n here)."""

    def stream(self, resumeAfter: int = 0) -> Iterator[SensorReading]:  # type: ignore[override]
        query = "SELECT sensorId, timestamp, value FROM readings WHERE rowid > ? ORDER BY rowid"
        with self.pool.connection() as conn:
            yield from (SensorReading(*row) for row in conn.execute(query, (resumeAfter,)))


class SkippingHubReadings(HubReadings):
    """Right records, but skipped in Python: every skipped row is still read."""

    def stream(self, resumeAfter: int = 0) -> Iterator[SensorReading]:  # type: ignore[override]
        yield from itertools.islice(HubReadings.stream(self), resumeAfter, None)


class SlicedHubReadings(HubReadings):
    """Skipped in Python too: fetchall() and a slice."""

    def stream(self, resumeAfter: int = 0) -> Iterator[SensorReading]:  # type: ignore[override]
        with self.pool.connection() as conn:
            rows = conn.execute(QUERY).fetchall()
        yield from (SensorReading(*row) for row in rows[resumeAfter:])


class IgnoresResumeAfter(HubReadings):
    def stream(self, resumeAfter: int = 0) -> Iterator[SensorReading]:  # type: ignore[override]
        return HubReadings.stream(self)


class OffByOne(HubReadings):
    def stream(self, resumeAfter: int = 0) -> Iterator[SensorReading]:  # type: ignore[override]
        with self.pool.connection(holder="HubReadings") as conn:
            offset = max(resumeAfter - 1, 0)
            for row in conn.execute(QUERY + " LIMIT -1 OFFSET ?", (offset,)):
                yield SensorReading(*row)


class LeaksItsConnection(HubReadings):
    def stream(self, resumeAfter: int = 0) -> Iterator[SensorReading]:  # type: ignore[override]
        conn = self.pool.acquire(holder="LeaksItsConnection")
        yield from (SensorReading(*row) for row in conn.execute(QUERY).fetchall()[resumeAfter:])


class OwnConnectionHubReadings(HubReadings):
    """Skips in Python, on a connection of its own: the pool never sees the rows read."""

    def stream(self, resumeAfter: int = 0) -> Iterator[SensorReading]:  # type: ignore[override]
        conn = sqlite3.connect(self.pool.database)
        try:
            rows = (SensorReading(*row) for row in conn.execute(QUERY))
            yield from itertools.islice(rows, resumeAfter, None)
        finally:
            conn.close()


class ReleasesOnlyAtTheEnd(HubReadings):
    """Gives the connection back after the last row only: a retry's early close leaks it."""

    def stream(self, resumeAfter: int = 0) -> Iterator[SensorReading]:  # type: ignore[override]
        conn = self.pool.acquire(holder="HubReadings")
        for row in conn.execute(QUERY + " LIMIT -1 OFFSET ?", (resumeAfter,)):
            yield SensorReading(*row)
        self.pool.release(conn)


class OffsetWithoutLimit(HubReadings):
    """The right idea in SQL SQLite refuses: OFFSET needs a LIMIT before it."""

    def stream(self, resumeAfter: int = 0) -> Iterator[SensorReading]:  # type: ignore[override]
        with self.pool.connection() as conn:
            for row in conn.execute(QUERY + " OFFSET ?", (resumeAfter,)):
                yield SensorReading(*row)


class OffsetBeforeLimit(HubReadings):
    """The right clauses in the wrong order."""

    def stream(self, resumeAfter: int = 0) -> Iterator[SensorReading]:  # type: ignore[override]
        with self.pool.connection() as conn:
            for row in conn.execute(QUERY + " OFFSET ? LIMIT -1", (resumeAfter,)):
                yield SensorReading(*row)


class LimitCommaHubReadings(HubReadings):
    """Right, written differently: SQLite's LIMIT offset, count form, rows mapped lazily."""

    def stream(self, resumeAfter: int = 0) -> Iterator[SensorReading]:  # type: ignore[override]
        with self.pool.connection() as conn:
            yield from map(
                SensorReading._make, conn.execute(QUERY + " LIMIT ?, -1", (resumeAfter,))
            )


class AcquireReleaseHubReadings(HubReadings):
    """Right, written differently: acquire/release in try/finally, a named parameter."""

    def stream(self, *, resumeAfter: int = 0) -> Iterator[SensorReading]:  # type: ignore[override]
        conn = self.pool.acquire(holder="HubReadings")
        try:
            cursor = conn.execute(QUERY + " LIMIT -1 OFFSET :skip", {"skip": resumeAfter})
            while (row := cursor.fetchone()) is not None:
                yield SensorReading(*row)
        finally:
            self.pool.release(conn)


class NoStream:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool


@pytest.mark.parametrize(
    "answer",
    [ResumableHubReadings, RowidHubReadings, LimitCommaHubReadings, AcquireReleaseHubReadings],
)
def test_a_source_that_resumes_correctly_passes(answer: type) -> None:
    verdict = checkResumableSource(answer)
    assert verdict, verdict
    assert "exactly once" in str(verdict)


@pytest.mark.parametrize(
    ("answer", "expected", "hint"),
    [
        (HubReadings, "takes no resumeAfter keyword", "give stream that keyword"),
        (
            IgnoresResumeAfter,
            "stream(resumeAfter=73) gave 200 readings, all of them",
            "change what",
        ),
        (OffByOne, "starting at reading 72 instead of 73", "the next one to deliver is reading k"),
        (LeaksItsConnection, "after stream() ended, 1 of 2 connections", "with block"),
        (SkippingHubReadings, "read 200 rows from the database to deliver 127", "islice"),
        (SlicedHubReadings, "read 200 rows from the database to deliver 127", "fetchall"),
        (
            OwnConnectionHubReadings,
            "stream() gave 200 readings without borrowing a connection from the pool",
            "read through the pool",
        ),
        (
            ReleasesOnlyAtTheEnd,
            "after a stream closed after 3 readings (as a retry closes a failed attempt), 1 of 2",
            "however the stream ends, closed early included",
        ),
        (NoStream, "NoStream(pool) has no stream() method", "leave out the rows"),
        (object, "your code raised TypeError", "leave out the rows"),
    ],
)
def test_a_source_that_does_not_resume_fails_with_the_reason(
    answer: Any, expected: str, hint: str
) -> None:
    verdict = checkResumableSource(answer)
    assert not verdict
    assert expected in verdict.message, str(verdict)
    assert hint in verdict.hint, str(verdict)
    assert "OFFSET" not in verdict.hint  # the first hint points at the idea, not the answer


@pytest.mark.parametrize("answer", [OffsetWithoutLimit, OffsetBeforeLimit])
def test_an_offset_sqlite_refuses_is_named_as_a_missing_limit(answer: type) -> None:
    verdict = checkResumableSource(answer)
    assert not verdict
    assert 'your query failed: OperationalError: near "OFFSET"' in verdict.message, str(verdict)
    assert "OFFSET only after a LIMIT" in verdict.hint, str(verdict)


# -- exercise 2: retryOn -----------------------------------------------------------------


def transientOrLocked(error: BaseException) -> bool:
    return isTransientOSError(error) or (
        isinstance(error, sqlite3.OperationalError) and "locked" in str(error)
    )


def test_a_predicate_that_tells_locked_from_missing_passes() -> None:
    verdict = checkRetryOn(transientOrLocked)
    assert verdict, verdict


def messageSaysLocked(error: BaseException) -> bool:
    """Right, written differently: the errno family by hand, and the lock by its message."""
    if isinstance(error, sqlite3.OperationalError):
        return str(error).startswith("database is locked")
    return isinstance(error, (ConnectionError, TimeoutError))


def lockedByPattern(error: BaseException) -> Any:
    """Right, written differently again: a truthy match object, not a bool."""
    return isTransientOSError(error) or re.match(r"database is locked", str(error))


@pytest.mark.parametrize("answer", [messageSaysLocked, lockedByPattern])
def test_a_predicate_written_differently_passes(answer: Any) -> None:
    verdict = checkRetryOn(answer)
    assert verdict, verdict


def retryAllButTheLoggedPermanent(error: BaseException) -> bool:
    """A deny-list: every error but the permanent kinds of the log (retries a bug too)."""
    permanent = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)
    return not isinstance(error, (*permanent, ValueError)) and "no such table" not in str(error)


def slideMinusTwo(error: BaseException) -> bool:
    """A partial fix of slide 10: OSError minus the two logged path errors, plus the lock."""
    if isinstance(error, sqlite3.OperationalError):
        return "locked" in str(error)
    return isinstance(error, OSError) and not isinstance(error, FileNotFoundError | PermissionError)


@pytest.mark.parametrize(
    ("answer", "expected", "hint"),
    [
        (retryAllButTheLoggedPermanent, "it retries TypeError(", "rather than which it cannot"),
        (slideMinusTwo, "it retries IsADirectoryError(", "about the path itself"),
    ],
)
def test_a_rule_that_retries_errors_beyond_the_log_no_wait_heals_fails(
    answer: Any, expected: str, hint: str
) -> None:
    verdict = checkRetryOn(answer)
    assert not verdict
    assert expected in verdict.message and "log does not show them" in verdict.message, verdict
    assert hint in verdict.hint, str(verdict)
    assert "isTransientOSError" not in verdict.hint


LOGGED_TRANSIENT_LINES = {str(HUB_ERRORS[i]) for i in (0, 1, 3, 5)}
LOGGED_PERMANENT_LINES = {str(HUB_ERRORS[i]) for i in (2, 4, 6)}


@pytest.mark.parametrize(
    ("answer", "expected", "hint"),
    [
        (OSError, "it retries FileNotFoundError", "refused permission"),  # slide 10's choice
        (
            isTransientOSError,
            "does not retry OperationalError('database is locked')",
            "not an OSError",
        ),
        (
            (ConnectionError, TimeoutError, sqlite3.OperationalError),
            "it retries OperationalError('no such table: readings')",
            "differ only in their message",
        ),
        (lambda error: True, "it retries FileNotFoundError", "malformed"),
        (
            lambda error: any(
                error is known for known in HUB_ERRORS[:2] + HUB_ERRORS[3:4] + HUB_ERRORS[5:6]
            ),
            "a new 'database is locked' error was not retried",
            "not by which object",
        ),  # hard-coded: the four objects of the list
        (
            lambda error: str(error) in LOGGED_TRANSIENT_LINES,
            "ConnectionResetError('the hub reset the link'), not in the hub's log, is not retried",
            "judge an error by its kind",
        ),  # hard-coded: the four lines of the log
        (
            lambda error: (
                isinstance(error, OSError | sqlite3.OperationalError)
                and str(error) not in LOGGED_PERMANENT_LINES
            ),
            "No such file or directory: '/data/hub/archive.sqlite'\"), not in the hub's log, "
            "is retried",
            "judge an error by its kind",
        ),  # hard-coded the other way: every OSError but the logged permanent lines
        ("OSError", "RetryPolicy.retryOn must be", "waiting can change"),
        (lambda: True, "your code raised TypeError", "waiting can change"),
    ],
)
def test_a_wrong_retry_on_fails_with_the_reason(answer: Any, expected: str, hint: str) -> None:
    verdict = checkRetryOn(answer)
    assert not verdict
    assert expected in verdict.message, str(verdict)
    assert hint in verdict.hint, str(verdict)
    assert "isTransientOSError" not in verdict.hint  # no answer in the hint


def test_the_hub_errors_are_four_transient_and_four_permanent() -> None:
    assert len(HUB_ERRORS) == 8
    assert sum(transientOrLocked(error) for error in HUB_ERRORS) == 4


# -- exercise 3: a retry budget ----------------------------------------------------------

GOOD = RetryPolicy(maxAttempts=7, delaySeconds=1.0, backoff=2.0, maxDelaySeconds=15.0, jitter=0.25)


def test_a_policy_within_budget_that_outlasts_the_outage_passes() -> None:
    verdict = checkRetryBudget(GOOD)
    assert verdict, verdict
    assert "33.8 to 45.0 s in total" in str(verdict)


@pytest.mark.parametrize(
    "other",
    [
        # slower growth, more attempts, a lower cap, more jitter
        RetryPolicy(maxAttempts=9, delaySeconds=0.5, backoff=1.6, maxDelaySeconds=10.0, jitter=0.3),
        # faster growth from a shorter start, half jitter, keywords in another order
        RetryPolicy(jitter=0.5, maxDelaySeconds=12.0, backoff=3.0, delaySeconds=0.5, maxAttempts=7),
    ],
)
def test_a_policy_written_differently_passes(other: RetryPolicy) -> None:
    verdict = checkRetryBudget(other)
    assert verdict, verdict


class HardCodedWaits(RetryPolicy):
    """Lists the waits the exercise wants; the engine computes its own from the fields."""

    def delays(self) -> tuple[float, ...]:
        return (1.0, 2.0, 4.0, 8.0, 15.0, 15.0)


@pytest.mark.parametrize(
    ("answer", "expected", "hint"),
    [
        (
            RetryPolicy(
                maxAttempts=7,
                delaySeconds=1.0,
                backoff=2.0,
                maxDelaySeconds=15.0,
                jitter=0.25,
                seed=1,
            ),  # the solution's plot seed, copied into the job's policy
            "seed=1 fixes the jitter's draws: all 200 jobs would wait exactly the same times",
            "only if each job draws its own waits",
        ),
        (
            RetryPolicy(maxAttempts=7, delaySeconds=1.0, backoff=2.0, maxDelaySeconds=15.0),
            "jitter is 0.0: the 200 jobs retry in lockstep",
            "unless each draws its own waits",
        ),
        (
            HardCodedWaits(maxAttempts=7, jitter=0.25),
            "your policy's delays() lists (1, 2, 4, 8, 15, 15) s, but a retried stream waits "
            "what its fields give, (1, 1, 1, 1, 1, 1) s",
            "computes every wait from the policy's fields",
        ),
        (
            (1.0, 2.0, 4.0, 8.0, 15.0, 15.0),  # the waits themselves, hard-coded
            "expected a pipeline_lib.RetryPolicy, got tuple",
            "RetryPolicy(...)",
        ),
        (
            RetryPolicy(
                maxAttempts=7,
                delaySeconds=1.0,
                backoff=2.0,
                maxDelaySeconds=15.0,
                jitter=0.25,
                retryOn=OSError,
            ),  # slide 10's IOError: retries a missing file too
            "the policy also retries FileNotFoundError",
            "only what a wait may heal",
        ),
        (
            RetryPolicy(maxAttempts=25, delaySeconds=1.0, jitter=0.1),  # slide 10's, many times
            "every wait is 1 s: 24 retries, 1 s apart",
            "more room after each failure",
        ),
    ],
)
def test_a_policy_that_breaks_what_the_lesson_teaches_fails_naming_it(
    answer: Any, expected: str, hint: str
) -> None:
    verdict = checkRetryBudget(answer)
    assert not verdict
    assert expected in verdict.message, str(verdict)
    assert hint in verdict.hint, str(verdict)
    for answerGiven in ("seed=None", "leave it out", "backoff=", "jitter=0."):
        assert answerGiven not in verdict.hint, str(verdict)


def test_a_seeded_policy_makes_every_job_wait_the_same_which_is_why_it_fails() -> None:
    """The claim behind the seed's rejection: same seed, same waits, in every process."""
    seeded = RetryPolicy(maxAttempts=7, delaySeconds=1.0, backoff=2.0, jitter=0.25, seed=1)
    assert len({seeded.delays() for _ in range(200)}) == 1
    assert len({GOOD.delays() for _ in range(200)}) == 200


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (RetryPolicy(), "the waits total 2.0 s"),  # the slide's defaults: "equal waits"
        (
            RetryPolicy(maxAttempts=7, delaySeconds=1.0, backoff=2.0, maxDelaySeconds=15.0),
            "jitter is 0.0",
        ),
        (RetryPolicy(maxAttempts=3, delaySeconds=1.0, jitter=0.5), "total 1.0 s"),
        (RetryPolicy(maxAttempts=1), "maxAttempts=1 never retries"),
        (
            RetryPolicy(maxAttempts=9, delaySeconds=0.0, backoff=2.0, jitter=0.2),
            "total 0.0 s",
        ),  # backoff from a first wait of 0: the hint must not say "let each wait grow"
        (
            RetryPolicy(
                maxAttempts=9, delaySeconds=1.0, backoff=2.0, maxDelaySeconds=0.5, jitter=0.2
            ),
            "total 3.2 s",
        ),  # a ceiling below the first wait
        (RetryPolicy(maxAttempts=5, delaySeconds=10.0, jitter=0.2), "the first wait is 10 s"),
        (RetryPolicy(maxAttempts=8, delaySeconds=1.0, backoff=2.0, jitter=0.2), "lasts 64 s"),
        (
            RetryPolicy(maxAttempts=12, delaySeconds=1.0, backoff=2.0, maxDelaySeconds=15.0),
            "may total 120 s",
        ),
        (
            RetryPolicy(
                maxAttempts=6, delaySeconds=1.0, backoff=2.0, maxDelaySeconds=15.0, jitter=1.0
            ),
            "total 0.0 s",
        ),
        ({"maxAttempts": 7}, "expected a pipeline_lib.RetryPolicy, got dict"),
    ],
)
def test_a_policy_over_budget_or_too_short_fails_with_the_reason(
    answer: Any, expected: str
) -> None:
    verdict = checkRetryBudget(answer)
    assert not verdict
    assert expected in str(verdict), str(verdict)
    for answerGiven in ("backoff 2", "maxDelaySeconds 15", "jitter 0.2"):
        assert answerGiven not in verdict.hint


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (RetryPolicy(), "equal waits add up slowly"),
        (RetryPolicy(maxAttempts=9, delaySeconds=0.0, backoff=2.0, jitter=0.2), "stays 0 s"),
        (
            RetryPolicy(
                maxAttempts=9, delaySeconds=1.0, backoff=2.0, maxDelaySeconds=0.5, jitter=0.2
            ),
            "a ceiling at or below the first wait",
        ),
    ],
)
def test_waits_that_do_not_grow_get_the_hint_for_why(answer: RetryPolicy, hint: str) -> None:
    verdict = checkRetryBudget(answer)
    assert not verdict
    assert hint in verdict.hint, str(verdict)
    assert ("let each wait grow" in verdict.hint) == (answer.backoff == 1.0), str(verdict)


def test_a_policy_that_gives_up_before_the_hub_is_back_fails_in_the_real_run() -> None:
    # Right on paper only if one retries a TimeoutError: this one does not.
    policy = RetryPolicy(
        maxAttempts=7,
        delaySeconds=1.0,
        backoff=2.0,
        maxDelaySeconds=15.0,
        jitter=0.25,
        retryOn=ConnectionError,
    )
    verdict = checkRetryBudget(policy)
    assert not verdict
    assert "gave up at t=0 s with TimeoutError: the hub is updating" in verdict.message
    assert "after 1 attempt" in verdict.message and "retryOn" in verdict.hint

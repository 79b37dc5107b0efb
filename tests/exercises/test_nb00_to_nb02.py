"""Exercise checks: a correct answer gets ✅, anything else a ❌ with a hint, never an exception."""

from __future__ import annotations

import gc
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline_lib import ConnectionPool, PipelineContext
from pipeline_lib.exercises import (
    Verdict,
    checkCountingSink,
    checkLeakFixed,
    checkPooledConnection,
    checkSafeRunner,
    checkSlideContextFixed,
    checkSpikeFilter,
    correct,
    exerciseCheck,
    require,
)
from pipeline_lib.leaks import makeSensorDatabase, repeatFailingRuns
from pipeline_lib.naive import runWithoutCleanup


def test_a_verdict_reads_as_one_line_and_is_truthy_only_when_correct() -> None:
    assert repr(Verdict(True, "done")) == "✅ Correct: done"
    verdict = Verdict(False, "2 leaked.", "close them")
    assert str(verdict) == "❌ Not yet: 2 leaked. Hint: close them"
    assert str(Verdict(False, "2 leaked")) == "❌ Not yet: 2 leaked."
    assert Verdict(True, "x") and not Verdict(False, "x")


def test_a_check_turns_any_exception_from_student_code_into_a_verdict() -> None:
    @exerciseCheck(hint="h")
    def check(value: Any) -> Verdict:
        require(value(), "value() was falsy")
        return correct("fine")

    assert check(lambda: 1).passed
    assert str(check(lambda: 0)) == "❌ Not yet: value() was falsy. Hint: h"
    assert str(check(lambda: 1 / 0)) == (
        "❌ Not yet: your code raised ZeroDivisionError: division by zero. Hint: h"
    )


def test_a_check_lets_keyboard_interrupt_through() -> None:
    @exerciseCheck(hint="h")
    def check() -> Verdict:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check()


# -- 00 ------------------------------------------------------------------------------


class SpikeFilter:
    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        last = None
        for reading in inputStream:
            if last is None or abs(reading.value - last) <= 40:
                last = reading.value
                yield reading


class PassThrough:
    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        yield from inputStream


class CountingSink:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def consume(self, stream: Iterator[Any]) -> None:
        for reading in stream:
            self.counts[reading.sensorId] = self.counts.get(reading.sensorId, 0) + 1


class LazySink:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def consume(self, stream: Iterator[Any]) -> None:
        pass


def test_check_spike_filter() -> None:
    assert checkSpikeFilter(SpikeFilter()).passed
    verdict = checkSpikeFilter(PassThrough())
    assert not verdict and "130.0" in verdict.message
    assert "no process() method" in checkSpikeFilter(object()).message


class PassThroughSink:
    def consume(self, stream: Iterator[Any]) -> None:
        pass


def test_check_counting_sink() -> None:
    assert checkCountingSink(CountingSink).passed
    assert "counts are {}" in checkCountingSink(LazySink).message
    assert "no .counts" in checkCountingSink(PassThroughSink).message
    assert "no attribute 'consume'" in checkCountingSink(object).message


# -- 01 ------------------------------------------------------------------------------


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[ConnectionPool]:
    with ConnectionPool(makeSensorDatabase(tmp_path / "x.sqlite", count=100), size=2) as pool:
        yield pool


def test_check_leak_fixed_sees_held_connections_and_their_release(pool: ConnectionPool) -> None:
    history = repeatFailingRuns(pool, runs=2, managed=False, failAtRecord=5)
    verdict = checkLeakFixed(pool)
    assert not verdict and "2 of 2 connections are still in use" in verdict.message
    history.release()
    assert checkLeakFixed(pool).passed


def test_check_leak_fixed_rejects_a_closed_pool(pool: ConnectionPool) -> None:
    pool.close()
    assert "is closed" in checkLeakFixed(pool).message


def runWithCleanup(source: Any, stages: list[Any], sink: Any) -> int:
    generators = [source.stream()]
    try:
        for stage in stages:
            generators.append(stage.process(generators[-1]))
        return int(sink.consume(generators[-1]))
    finally:
        for generator in reversed(generators):
            generator.close()


def runSwallowing(source: Any, stages: list[Any], sink: Any) -> int:
    try:
        return runWithCleanup(source, stages, sink)
    except OSError:
        return 0


def test_check_safe_runner_accepts_a_runner_that_closes_everything() -> None:
    assert checkSafeRunner(runWithCleanup).passed


def test_check_safe_runner_reports_the_naive_leak() -> None:
    verdict = checkSafeRunner(runWithoutCleanup)
    assert not verdict
    assert "run 3 of 3 failed with PoolExhausted" in verdict.message
    assert "finally" in verdict.hint


def test_check_safe_runner_reports_a_swallowed_error() -> None:
    assert "swallowed" in checkSafeRunner(runSwallowing).message


# -- 02 ------------------------------------------------------------------------------


class PooledConnection:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def __enter__(self) -> sqlite3.Connection:
        self.conn = self.pool.acquire()
        return self.conn

    def __exit__(self, *exc: object) -> bool:
        self.pool.release(self.conn)
        return False


class SwallowingConnection(PooledConnection):
    def __exit__(self, *exc: object) -> bool:
        super().__exit__(*exc)
        return True


class ForgetfulConnection(PooledConnection):
    def __exit__(self, *exc: object) -> bool:
        return False


def test_check_pooled_connection() -> None:
    assert checkPooledConnection(PooledConnection).passed
    assert "swallowed" in checkPooledConnection(SwallowingConnection).message
    assert "not released" in checkPooledConnection(ForgetfulConnection).message


class SlideContext:
    """Slide 3's context with slide 4's run(): closes nothing."""

    def __init__(self, source: Any, pipelineId: str) -> None:
        self.source = source
        self.generators: list[Any] = []

    def __enter__(self) -> SlideContext:
        return self

    def run(self, stages: list[Any], sink: Any) -> None:
        self.generators = [self.source.stream()]
        for stage in stages:
            self.generators.append(stage.process(self.generators[-1]))
        sink.consume(self.generators[-1])

    def __exit__(self, *exc: object) -> bool:
        return False


class FixedContext(SlideContext):
    def __exit__(self, *exc: object) -> bool:
        for generator in reversed(self.generators):
            generator.close()
        return False


def test_check_slide_context_fixed() -> None:
    assert checkSlideContextFixed(FixedContext).passed
    assert checkSlideContextFixed(PipelineContext).passed
    assert "PoolExhausted" in checkSlideContextFixed(SlideContext).message


def test_checks_are_quiet_and_leave_nothing_open(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        checkSlideContextFixed(PipelineContext)
        checkSafeRunner(runWithoutCleanup)
    assert caplog.records == []
    assert logging.root.manager.disable == logging.NOTSET
    gc.collect()  # ResourceWarning is an error in this suite: an unclosed connection fails

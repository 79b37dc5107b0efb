"""Checks 02.1 and 02.2: right answers written differently pass, typical wrong ones are named."""

from __future__ import annotations

import gc
import logging
import sqlite3
import time
from contextlib import contextmanager
from typing import Any

import pytest

from pipeline_lib import ConnectionPool, PipelineContext
from pipeline_lib.exercises import checkPooledConnection, checkSafeRunner, checkSlideContextFixed
from pipeline_lib.naive import runWithoutCleanup

# -- 02.1: a pooled connection as a context manager -----------------------------------


class PooledConnection:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def __enter__(self) -> sqlite3.Connection:
        self.conn = self.pool.acquire()
        return self.conn

    def __exit__(self, *exc: object) -> bool:
        self.pool.release(self.conn)
        return False


@contextmanager
def pooledConnection(pool: ConnectionPool) -> Any:
    conn = pool.acquire(holder="generator form")
    try:
        yield conn
    finally:
        pool.release(conn)


class DelegatingConnection:
    """Right, written differently: hands the work to the pool's own manager; __exit__ -> None."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.manager = pool.connection(holder="delegating")

    def __enter__(self) -> sqlite3.Connection:
        return self.manager.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self.manager.__exit__(*exc)


class SwallowingConnection(PooledConnection):
    def __exit__(self, *exc: object) -> bool:
        super().__exit__(*exc)
        return True


class ForgetfulConnection(PooledConnection):
    def __exit__(self, *exc: object) -> bool:
        return False


class OnlyOnErrorConnection(PooledConnection):
    def __exit__(self, excType: object, *rest: object) -> bool:
        if excType is not None:
            self.pool.release(self.conn)
        return False


class EagerConnection:
    """Borrows in __init__: a manager created and never entered leaks."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool
        self.conn = pool.acquire()

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> bool:
        self.pool.release(self.conn)
        return False


class SelfReturningConnection(PooledConnection):
    def __enter__(self) -> Any:
        super().__enter__()
        return self


class OwnConnection:
    """Hard-codes a connection of its own instead of borrowing one."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def __enter__(self) -> sqlite3.Connection:
        self.conn = sqlite3.connect(":memory:")
        return self.conn

    def __exit__(self, *exc: object) -> bool:
        self.conn.close()
        return False


@pytest.mark.parametrize("manager", [PooledConnection, pooledConnection, DelegatingConnection])
def test_02_1_accepts_right_managers_written_differently(manager: Any) -> None:
    verdict = checkPooledConnection(manager)
    assert verdict.passed, verdict


@pytest.mark.parametrize(
    ("manager", "named"),
    [
        (ForgetfulConnection, "ended normally, the connection was not given back"),
        (OnlyOnErrorConnection, "ended normally, the connection was not given back"),
        (SwallowingConnection, "__exit__ returned a true value"),
        (EagerConnection, "creating the manager already took a connection"),
        (SelfReturningConnection, "expected a sqlite3.Connection"),
        (OwnConnection, "no connection is borrowed from the pool"),
    ],
)
def test_02_1_rejects_each_typical_mistake_naming_it(manager: Any, named: str) -> None:
    verdict = checkPooledConnection(manager)
    assert not verdict and named in verdict.message
    assert "acquire" not in verdict.hint and "False" not in verdict.hint  # no answer given


def test_02_1_reports_an_unexpected_exception_as_itself() -> None:
    class Typo(PooledConnection):
        def __enter__(self) -> sqlite3.Connection:
            return self.pool.aquire()  # type: ignore[attr-defined,no-any-return]

    verdict = checkPooledConnection(Typo)
    assert verdict.message == (
        "your code raised AttributeError: 'ConnectionPool' object has no attribute 'aquire'"
    )


# -- 02.2: fix slide 3 ------------------------------------------------------------------

slideLogger = logging.getLogger("slides")


class SlidePipelineContext:
    """The notebook's slide 3/4 class, as written there."""

    def __init__(self, source: Any, pipelineId: str = "pipeline") -> None:
        self.source = source
        self.pipelineId = pipelineId
        self._recordCount = 0

    def __enter__(self) -> Any:
        self._startTime = time.perf_counter()
        return self

    def run(self, stages: list[Any], sink: Any) -> None:
        stream = self.source.stream()
        for stage in stages:
            stream = stage.process(stream)
        sink.consume(self._counted(stream))

    def _counted(self, stream: Any) -> Any:
        for record in stream:
            self._recordCount += 1
            yield record

    def __exit__(self, excType: Any, excVal: Any, excTb: Any) -> bool:
        elapsed = time.perf_counter() - self._startTime
        slideLogger.info("%s after %.3fs", "FAILED" if excType else "Completed", elapsed)
        return False


class SolutionContext(SlidePipelineContext):
    def run(self, stages: list[Any], sink: Any) -> None:
        self._generators = [self.source.stream()]
        for stage in stages:
            self._generators.append(stage.process(self._generators[-1]))
        sink.consume(self._counted(self._generators[-1]))

    def __exit__(self, excType: Any, excVal: Any, excTb: Any) -> bool:
        for generator in reversed(getattr(self, "_generators", [])):
            generator.close()
        return super().__exit__(excType, excVal, excTb)


class StackContext(SlidePipelineContext):
    """Right, written differently: closes in run()'s finally, pops the list from the end."""

    def run(self, stages: list[Any], sink: Any) -> None:
        opened = [self.source.stream()]
        try:
            for stage in stages:
                opened.append(stage.process(opened[-1]))
            sink.consume(self._counted(opened[-1]))
        finally:
            while opened:
                opened.pop().close()


class OldestFirstContext(SolutionContext):
    def __exit__(self, excType: Any, excVal: Any, excTb: Any) -> bool:
        for generator in self._generators:
            generator.close()
        return SlidePipelineContext.__exit__(self, excType, excVal, excTb)


class OnlySourceContext(SolutionContext):
    def __exit__(self, excType: Any, excVal: Any, excTb: Any) -> bool:
        self._generators[0].close()
        return SlidePipelineContext.__exit__(self, excType, excVal, excTb)


class ExceptExceptionContext(SlidePipelineContext):
    def run(self, stages: list[Any], sink: Any) -> None:
        generators = [self.source.stream()]
        for stage in stages:
            generators.append(stage.process(generators[-1]))
        try:
            sink.consume(self._counted(generators[-1]))
        except Exception:
            for generator in reversed(generators):
                generator.close()
            raise


class SwallowingContext(SolutionContext):
    def __exit__(self, excType: Any, excVal: Any, excTb: Any) -> bool:
        super().__exit__(excType, excVal, excTb)
        return True


class UncountedContext(SolutionContext):
    """Closes correctly but dropped _counted: the slide's 'Completed: N records' says 0."""

    def run(self, stages: list[Any], sink: Any) -> None:
        self._generators = [self.source.stream()]
        for stage in stages:
            self._generators.append(stage.process(self._generators[-1]))
        sink.consume(self._generators[-1])


@pytest.mark.parametrize("context", [SolutionContext, StackContext, PipelineContext])
def test_02_2_accepts_right_fixes_written_differently(context: Any) -> None:
    verdict = checkSlideContextFixed(context)
    assert verdict.passed, verdict


@pytest.mark.parametrize(
    ("context", "named"),
    [
        (SlidePipelineContext, "your code closed no generator"),
        (OldestFirstContext, "closed the source before stage 1"),
        (OnlySourceContext, "closed the source but not stage 1"),
        (ExceptExceptionContext, "KeyboardInterrupt is a BaseException, not an Exception"),
        (SwallowingContext, "the error was swallowed"),
        (UncountedContext, "run() must still count what it delivers"),
    ],
)
def test_02_2_rejects_each_typical_mistake_naming_it(context: Any, named: str) -> None:
    verdict = checkSlideContextFixed(context)
    assert not verdict and named in verdict.message
    assert "newest first" in verdict.hint and "reversed" not in verdict.hint


def test_checks_are_quiet_and_leave_nothing_open(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        checkSlideContextFixed(PipelineContext)
        checkSafeRunner(runWithoutCleanup)
    assert caplog.records == []
    assert logging.root.manager.disable == logging.NOTSET
    gc.collect()  # ResourceWarning is an error in this suite: an unclosed connection fails

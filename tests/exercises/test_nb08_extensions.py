"""Notebook 08's checks: two right answers accepted, the typical wrong ones rejected by name."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline_lib.asynclifecycle import AsyncPipelineContext
from pipeline_lib.exercises import checkAsyncRunner, checkDefaultedField, checkTimedRun

# -- Exercise 1: @contextmanager ---------------------------------------------------------


@contextlib.contextmanager
def timedExcept(log: list[str]) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    except BaseException as error:
        log.append(f"FAILED: {error!s}" if str(error) else f"FAILED: {type(error).__name__}")
        raise
    else:
        log.append("Completed")
    finally:
        _ = time.perf_counter() - start


@contextlib.contextmanager
def timedFinally(log: list[str]) -> Iterator[None]:
    failed: BaseException | None = None
    try:
        yield
    except BaseException as error:
        failed = error
        raise
    finally:
        log.append("Completed" if failed is None else f"FAILED: {failed or type(failed).__name__}")


@contextlib.contextmanager
def bareYield(log: list[str]) -> Iterator[None]:
    yield
    log.append("Completed")


@contextlib.contextmanager
def swallows(log: list[str]) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        log.append(f"FAILED: {error}")
    else:
        log.append("Completed")


@contextlib.contextmanager
def exceptException(log: list[str]) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        log.append(f"FAILED: {error}")
        raise
    else:
        log.append("Completed")


@contextlib.contextmanager
def finallyCompleted(log: list[str]) -> Iterator[None]:
    try:
        yield
    finally:
        log.append("Completed")


@contextlib.contextmanager
def wraps(log: list[str]) -> Iterator[None]:
    try:
        yield
    except BaseException as error:
        log.append(f"FAILED: {error}")
        raise RuntimeError("pipeline failed") from error
    else:
        log.append("Completed")


def notDecorated(log: list[str]) -> Iterator[None]:
    yield


def test_exercise_1_accepts_two_right_answers() -> None:
    for answer in (timedExcept, timedFinally):
        assert checkTimedRun(answer).passed, checkTimedRun(answer)


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (bareYield, "code after a bare yield never runs"),
        (swallows, "swallowed it"),
        (exceptException, "`except Exception` does not catch KeyboardInterrupt"),
        (finallyCompleted, "logged as Completed"),
        (wraps, "the caller got RuntimeError: pipeline failed instead"),
        (notDecorated, "not a context manager"),
    ],
)
def test_exercise_1_rejects_each_typical_mistake_by_name(answer: Any, named: str) -> None:
    verdict = checkTimedRun(answer)
    assert not verdict.passed
    assert named in verdict.message


# -- Exercise 2: __delete__ -----------------------------------------------------------------


class DefaultedDict:
    def __init__(self, default: Any) -> None:
        self.default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return obj.__dict__.get(self.name, self.default)

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = value

    def __delete__(self, obj: Any) -> None:
        try:
            del obj.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None


class DefaultedPrivate:
    def __init__(self, default: Any) -> None:
        self.default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = f"_{name}"

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        return self if obj is None else getattr(obj, self._name, self.default)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj, self._name, value)

    def __delete__(self, obj: Any) -> None:
        delattr(obj, self._name)  # raises AttributeError when nothing is set


class NoDelete(DefaultedPrivate):
    __delete__ = None  # type: ignore[assignment]


class SharedOnDescriptor(DefaultedPrivate):
    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        return self if obj is None else getattr(self, "value", self.default)

    def __set__(self, obj: Any, value: Any) -> None:
        self.value = value


class DeleteSetsNone(DefaultedPrivate):
    def __delete__(self, obj: Any) -> None:
        setattr(obj, self._name, None)


class SilentSecondDelete(DefaultedPrivate):
    def __delete__(self, obj: Any) -> None:
        obj.__dict__.pop(self._name, None)


class ClassAccessBroken(DefaultedPrivate):
    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        return getattr(obj, self._name, self.default)


def test_exercise_2_accepts_two_right_answers() -> None:
    for answer in (DefaultedDict, DefaultedPrivate):
        assert checkDefaultedField(answer).passed, checkDefaultedField(answer)


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (NoDelete, "has no __delete__"),
        (SharedOnDescriptor, "stored on the descriptor, which all instances share"),
        (DeleteSetsNone, "reads None, not the default 10"),
        (SilentSecondDelete, "a second del first.windowSize passed silently"),
        (ClassAccessBroken, "class access"),
    ],
)
def test_exercise_2_rejects_each_typical_mistake_by_name(answer: Any, named: str) -> None:
    verdict = checkDefaultedField(answer)
    assert not verdict.passed
    assert named in verdict.message


def test_exercise_2_reports_an_unexpected_exception_as_itself() -> None:
    class Broken(DefaultedPrivate):
        def __init__(self, default: Any) -> None:
            raise TypeError("unhashable type: 'list'")

    assert (
        "your code raised TypeError: unhashable type: 'list'" in checkDefaultedField(Broken).message
    )


# -- Exercise 3: the async safe runner ---------------------------------------------------------


async def runWithFinally(source: Any, stages: list[Any], sink: Any) -> None:
    generators = [source.stream()]
    try:
        for stage in stages:
            generators.append(stage.process(generators[-1]))
        await sink.consume(generators[-1])
    finally:
        for generator in reversed(generators):
            await generator.aclose()


async def runWithEngine(source: Any, stages: list[Any], sink: Any) -> None:
    async with AsyncPipelineContext(source, pipelineId="exercise") as ctx:
        await ctx.run(stages=stages, sink=sink)


async def runWithExitStack(source: Any, stages: list[Any], sink: Any) -> None:
    async with contextlib.AsyncExitStack() as stack:
        stream = await stack.enter_async_context(contextlib.aclosing(source.stream()))
        for stage in stages:
            stream = await stack.enter_async_context(contextlib.aclosing(stage.process(stream)))
        await sink.consume(stream)


async def runNaive(source: Any, stages: list[Any], sink: Any) -> None:
    stream = source.stream()
    for stage in stages:
        stream = stage.process(stream)
    await sink.consume(stream)


async def closeOnlySource(source: Any, stages: list[Any], sink: Any) -> None:
    first = stream = source.stream()
    try:
        for stage in stages:
            stream = stage.process(stream)
        await sink.consume(stream)
    finally:
        await first.aclose()


async def exceptExceptionOnly(source: Any, stages: list[Any], sink: Any) -> None:
    generators = [source.stream()]
    for stage in stages:
        generators.append(stage.process(generators[-1]))
    try:
        await sink.consume(generators[-1])
    except Exception:
        for generator in reversed(generators):
            await generator.aclose()
        raise
    for generator in reversed(generators):
        await generator.aclose()


async def oldestFirst(source: Any, stages: list[Any], sink: Any) -> None:
    generators = [source.stream()]
    try:
        for stage in stages:
            generators.append(stage.process(generators[-1]))
        await sink.consume(generators[-1])
    finally:
        for generator in generators:
            await generator.aclose()


async def swallowsTheError(source: Any, stages: list[Any], sink: Any) -> None:
    with contextlib.suppress(Exception):
        await runWithFinally(source, stages, sink)


def syncRunner(source: Any, stages: list[Any], sink: Any) -> None:
    pass


def test_exercise_3_accepts_three_right_answers() -> None:
    for answer in (runWithFinally, runWithEngine, runWithExitStack):
        assert checkAsyncRunner(answer).passed, checkAsyncRunner(answer)


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (runNaive, "left suspended"),
        (closeOnlySource, "the async generators of stage A were left suspended"),
        (exceptExceptionOnly, "when the task was cancelled at record 5, the async generators"),
        (oldestFirst, "close the newest first"),
        (swallowsTheError, "the caller got nothing instead of that OSError"),
        (syncRunner, "must be a coroutine"),
    ],
)
def test_exercise_3_rejects_each_typical_mistake_by_name(answer: Any, named: str) -> None:
    verdict = checkAsyncRunner(answer)
    assert not verdict.passed
    assert named in verdict.message, verdict.message


def test_exercise_3_runs_inside_a_running_event_loop_as_in_a_notebook() -> None:
    import asyncio

    async def insideALoop() -> bool:
        return checkAsyncRunner(runWithFinally).passed

    assert asyncio.run(insideALoop())

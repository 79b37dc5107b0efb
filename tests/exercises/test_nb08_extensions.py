"""Notebook 08's checks: two right answers accepted, the typical wrong ones rejected by name."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline_lib.asynclifecycle import AsyncPipelineContext
from pipeline_lib.exercises import checkAsyncRunner, checkDefaultedField, checkTimedRun
from pipeline_lib.exercises import nb08_extensions as nb08

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
        log.append(
            "Completed" if failed is None else f"FAILED: {str(failed) or type(failed).__name__}"
        )


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


@contextlib.contextmanager
def exceptExceptionAndCtrlC(log: list[str]) -> Iterator[None]:
    try:
        yield
    except (Exception, KeyboardInterrupt) as error:  # half a fix: SystemExit, CancelledError
        log.append(f"FAILED: {str(error) or type(error).__name__}")
        raise
    else:
        log.append("Completed")


@contextlib.contextmanager
def emptyMessage(log: list[str]) -> Iterator[None]:
    try:
        yield
    except BaseException as error:
        log.append(f"FAILED: {error}")  # 'FAILED: ' for KeyboardInterrupt()
        raise
    else:
        log.append("Completed")


@contextlib.contextmanager
def raisesOnEntry(log: list[str]) -> Iterator[None]:
    log.append(f"Started {1 / 0}")
    yield


def test_exercise_1_accepts_two_right_answers() -> None:
    for answer in (timedExcept, timedFinally):
        assert checkTimedRun(answer).passed, checkTimedRun(answer)


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (bareYield, "code after a bare yield never runs"),
        (swallows, "swallowed it"),
        (exceptException, "Ctrl-C included, and KeyboardInterrupt is not an Exception"),
        (exceptExceptionAndCtrlC, "after SystemExit in the block the log is []"),
        (emptyMessage, "asks for its type name"),
        (raisesOnEntry, "your timedRun raised ZeroDivisionError: division by zero around"),
        (finallyCompleted, "a block that raised ValueError was logged as ['Completed']"),
        (wraps, "the caller got RuntimeError: pipeline failed instead"),
        (notDecorated, "not a context manager"),
    ],
)
def test_exercise_1_rejects_each_typical_mistake_by_name(answer: Any, named: str) -> None:
    verdict = checkTimedRun(answer)
    assert not verdict.passed
    assert named in verdict.message, verdict.message


@pytest.mark.parametrize(
    ("answer", "hinted"),
    [
        (swallows, "catches and does not raise again is suppressed"),
        (exceptExceptionAndCtrlC, "which class do all exceptions share?"),
        (emptyMessage, "__name__"),
        (notDecorated, "@contextmanager"),
    ],
)
def test_exercise_1_hints_at_the_mistake_made(answer: Any, hinted: str) -> None:
    assert hinted in checkTimedRun(answer).hint


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


class DeletesThePublicName(DefaultedPrivate):
    def __delete__(self, obj: Any) -> None:
        delattr(obj, self._name[1:])  # calls this __delete__ again


class KeyErrorOnMissing(DefaultedPrivate):
    def __delete__(self, obj: Any) -> None:
        del obj.__dict__[self._name]


class ResetsToTheDefault(DefaultedPrivate):
    def __delete__(self, obj: Any) -> None:
        setattr(obj, self._name, self.default)  # reads right, but a second del passes


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
        (DeletesThePublicName, "recursed without end: your __delete__ deletes windowSize"),
        (KeyErrorOnMissing, "raised KeyError: '_windowSize': a missing attribute is an"),
        (ResetsToTheDefault, "a second del first.windowSize passed silently"),
    ],
)
def test_exercise_2_rejects_each_typical_mistake_by_name(answer: Any, named: str) -> None:
    verdict = checkDefaultedField(answer)
    assert not verdict.passed
    assert named in verdict.message, verdict.message


@pytest.mark.parametrize(
    ("answer", "hinted"),
    [
        (SharedOnDescriptor, "keep the value on obj"),
        (DeletesThePublicName, "stored under another name"),
        (KeyErrorOnMissing, "turn the KeyError into"),
        (DeleteSetsNone, "not overwrite it"),
    ],
)
def test_exercise_2_hints_at_the_mistake_made(answer: Any, hinted: str) -> None:
    assert hinted in checkDefaultedField(answer).hint


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


async def closesOnlyOnFailure(source: Any, stages: list[Any], sink: Any) -> None:
    generators = [source.stream()]
    for stage in stages:
        generators.append(stage.process(generators[-1]))
    try:
        await sink.consume(generators[-1])
    except BaseException:  # a sink that stops early succeeds and leaves them suspended
        for generator in reversed(generators):
            await generator.aclose()
        raise


async def forgetsTheAwait(source: Any, stages: list[Any], sink: Any) -> None:
    generators = [source.stream()]
    try:
        for stage in stages:
            generators.append(stage.process(generators[-1]))
        await sink.consume(generators[-1])
    finally:
        for generator in reversed(generators):
            generator.aclose()  # the slip: an awaitable never awaited


async def runWithTryPerGenerator(source: Any, stages: list[Any], sink: Any) -> None:
    async def drain(stream: Any, remaining: list[Any]) -> None:
        try:
            if remaining:
                await drain(remaining[0].process(stream), remaining[1:])
            else:
                await sink.consume(stream)
        finally:
            await stream.aclose()

    await drain(source.stream(), list(stages))


def test_exercise_3_accepts_four_right_answers() -> None:
    for answer in (runWithFinally, runWithEngine, runWithExitStack, runWithTryPerGenerator):
        assert checkAsyncRunner(answer).passed, checkAsyncRunner(answer)


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (runNaive, "when the sink stopped reading after 5 records"),
        (closeOnlySource, "the async generators of stage B, stage A were left suspended"),
        (closesOnlyOnFailure, "(a break: the run succeeded), the async generators of stage B"),
        (forgetsTheAwait, "calls .aclose() without await"),
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


@pytest.mark.parametrize(
    ("answer", "hinted"),
    [
        (closesOnlyOnFailure, "a run that succeeds can leave generators suspended too"),
        (exceptExceptionOnly, "CancelledError, which is a BaseException"),
        (oldestFirst, "the last generator created is the first one closed"),
        (swallowsTheError, "the caller must see it"),
        (forgetsTheAwait, "await each aclose()"),
    ],
)
def test_exercise_3_hints_at_the_mistake_made(answer: Any, hinted: str) -> None:
    assert hinted in checkAsyncRunner(answer).hint


def test_exercise_3_runs_inside_a_running_event_loop_as_in_a_notebook() -> None:
    async def insideALoop() -> bool:
        return checkAsyncRunner(runWithFinally).passed

    assert asyncio.run(insideALoop())


async def waitsForever(source: Any, stages: list[Any], sink: Any) -> None:
    await asyncio.Event().wait()  # a peer that never answers


async def ignoresItsCancellation(source: Any, stages: list[Any], sink: Any) -> None:
    while True:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.Event().wait()


def test_exercise_3_reports_a_runner_that_never_returns_instead_of_hanging(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(nb08, "_PATIENCE_SECONDS", 0.2)
    monkeypatch.setattr(nb08, "_CHECK_SECONDS", 2.0)
    started = time.monotonic()
    waiting = checkAsyncRunner(waitsForever)
    assert "your runner had not returned after 0.2 s" in waiting.message, waiting
    deaf = checkAsyncRunner(ignoresItsCancellation)
    assert "still running after 2 s, even after it was cancelled" in deaf.message, deaf
    assert time.monotonic() - started < 10


def notAsyncButRunsItsOwnLoop(source: Any, stages: list[Any], sink: Any) -> None:
    asyncio.run(sink.consume(source.stream()))


def test_exercise_3_names_a_plain_def_that_starts_its_own_loop_and_leaves_no_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        verdict = checkAsyncRunner(notAsyncButRunsItsOwnLoop)
        gc.collect()  # the coroutine it never awaited was collected inside the check
    assert "write it as `async def`" in verdict.message, verdict
    assert [str(w.message) for w in caught] == []


async def raisesACopy(source: Any, stages: list[Any], sink: Any) -> None:
    try:
        await runWithFinally(source, stages, sink)
    except Exception as error:
        raise type(error)(*error.args) from None  # same kind and message, not the same error


def test_exercise_3_rejects_a_copy_of_the_error_by_name() -> None:
    verdict = checkAsyncRunner(raisesACopy)
    assert "an exception of the right kind but not the one raised" in verdict.message, verdict
    assert "bare `raise`" in verdict.hint

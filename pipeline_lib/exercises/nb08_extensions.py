"""Checks for 08_extensions: slide 3 with ``@contextmanager``, ``__delete__``, async cleanup."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from ..cleanup import describeError
from .scratch import quietLogging
from .verdict import Verdict, correct, exerciseCheck, require

__all__ = ["checkAsyncRunner", "checkDefaultedField", "checkTimedRun"]


# -- Exercise 1: slide 3's context manager with @contextmanager ---------------------------


def _outcome(
    timedRun: Callable[[list[str]], Any], error: BaseException | None
) -> tuple[list[str], BaseException | None]:
    """Run a block (raising ``error`` if given) under ``timedRun(log)``: (log, what escaped)."""
    log: list[str] = []
    manager = timedRun(log)
    require(
        hasattr(manager, "__enter__") and hasattr(manager, "__exit__"),
        f"timedRun(log) returned {type(manager).__name__}, not a context manager "
        "(decorate the generator function with @contextmanager)",
    )
    try:
        with manager:
            if error is not None:
                raise error
    except BaseException as escaped:
        return log, escaped
    return log, None


@exerciseCheck(
    hint="put the yield inside try; log the failure in an except clause that re-raises "
    "(or in finally, knowing whether the block failed); let every exception through"
)
def checkTimedRun(timedRun: Any) -> Verdict:
    """Exercise 08.1: ``timedRun(log)`` logs ``Completed`` or ``FAILED: <error>``, never hides."""
    log, escaped = _outcome(timedRun, None)
    require(
        escaped is None, f"a block that succeeded raised {describeError(escaped or Exception())}"
    )
    require(
        log == ["Completed"], f"after a block that succeeded the log is {log}, not ['Completed']"
    )

    boom = ValueError("boom")
    log, escaped = _outcome(timedRun, boom)
    require(
        escaped is not None,
        "the block's ValueError did not reach the caller: your generator swallowed it "
        "(slide 3's __exit__ returns False: never suppress)",
    )
    require(
        escaped is boom,
        f"the caller got {describeError(escaped)} instead of the block's own ValueError: boom"
        if escaped is not None
        else "",
    )
    require(
        log != [],
        "a block that raised logged nothing: the exception is thrown into your "
        "generator at the yield, so code after a bare yield never runs",
    )
    require(log != ["Completed"], "a block that raised was logged as Completed")
    require(
        log == ["FAILED: boom"],
        f"after a block that raised ValueError('boom') the log is {log}, not ['FAILED: boom']",
    )

    interrupt = KeyboardInterrupt()
    log, escaped = _outcome(timedRun, interrupt)
    require(escaped is interrupt, "a KeyboardInterrupt in the block did not reach the caller")
    require(
        log == ["FAILED: KeyboardInterrupt"] or log == ["FAILED: "],
        f"after Ctrl-C (KeyboardInterrupt) in the block the log is {log}: slide 3 logs every "
        "failure, and `except Exception` does not catch KeyboardInterrupt",
    )
    return correct(
        "Completed on success, FAILED on ValueError and on KeyboardInterrupt, and the "
        "original exception always reaches the caller"
    )


# -- Exercise 2: a descriptor with __delete__ ---------------------------------------------


def _newOwner(descriptorClass: Any) -> Any:
    return type("Config", (), {"windowSize": descriptorClass(10)})


@exerciseCheck(
    hint="store each instance's value on the instance under a private name; __get__ falls "
    "back to the default; __delete__ removes the stored value (and raises AttributeError "
    "when there is none)"
)
def checkDefaultedField(descriptorClass: Any) -> Verdict:
    """Exercise 08.2: ``Defaulted(default)``: ``del obj.field`` brings the default back."""
    Config = _newOwner(descriptorClass)
    require(
        isinstance(Config.__dict__["windowSize"], descriptorClass)
        and Config.windowSize is Config.__dict__["windowSize"],
        "class access (Config.windowSize) should return the descriptor itself",
    )
    first, second = Config(), Config()
    require(first.windowSize == 10, f"a fresh Config's windowSize is {first.windowSize!r}, not 10")
    first.windowSize = 25
    require(first.windowSize == 25, f"after first.windowSize = 25 it reads {first.windowSize!r}")
    require(
        second.windowSize == 10,
        f"setting first.windowSize changed second.windowSize to {second.windowSize!r}: the value "
        "is stored on the descriptor, which all instances share",
    )
    require(
        callable(getattr(descriptorClass, "__delete__", None)),
        "your descriptor has no __delete__, so `del first.windowSize` cannot reach it",
    )
    del first.windowSize
    require(
        first.windowSize == 10,
        f"after del first.windowSize it reads {first.windowSize!r}, not the default 10",
    )
    try:
        del first.windowSize
    except AttributeError:
        pass
    else:
        require(
            False,
            "a second del first.windowSize passed silently: deleting what is not "
            "set raises AttributeError, as for any attribute",
        )
    first.windowSize = 30
    require(first.windowSize == 30, "after delete, a new assignment is not stored")
    return correct(
        "the default shows until a value is set, del brings it back, instances are "
        "independent and a second del raises AttributeError"
    )


# -- Exercise 3: the safe runner, async --------------------------------------------------


class _Trace:
    """What the check's async components saw: started and closed generators."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.closed: list[str] = []

    @property
    def open(self) -> list[str]:
        return [name for name in self.started if name not in self.closed]


class _Source:
    def __init__(self, trace: _Trace) -> None:
        self.trace = trace

    async def stream(self) -> AsyncIterator[int]:
        self.trace.started.append("source")
        try:
            for value in range(20):
                await asyncio.sleep(0)
                yield value
        finally:
            self.trace.closed.append("source")


class _Stage:
    def __init__(self, name: str, trace: _Trace, failAt: int | None = None) -> None:
        self.name, self.trace, self.failAt = name, trace, failAt

    async def process(self, inputStream: AsyncIterator[int]) -> AsyncIterator[int]:
        self.trace.started.append(self.name)
        try:
            async for value in inputStream:
                if value == self.failAt:
                    raise OSError(f"{self.name} failed at record {value}")
                yield value
        finally:
            self.trace.closed.append(self.name)


class _Sink:
    def __init__(self, cancelAt: int | None = None, failAt: int | None = None) -> None:
        self.records: list[int] = []
        self.cancelAt, self.failAt = cancelAt, failAt

    async def consume(self, stream: AsyncIterator[int]) -> None:
        async for value in stream:
            if value == self.failAt:
                raise ValueError(f"sink refused record {value}")
            if value == self.cancelAt:
                task = asyncio.current_task()
                if task is not None:
                    task.cancel()
                await asyncio.sleep(0)  # the cancellation lands here, every generator suspended
            self.records.append(value)


def _runInFreshLoop(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coroutine`` in a new event loop on a worker thread: a notebook's loop is busy."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coroutine).result(timeout=10)


async def _attempt(
    runFunction: Callable[..., Awaitable[object]], place: str
) -> tuple[_Trace, None, BaseException | None]:
    """One run failing at ``place``: (trace, None, what reached the caller)."""
    trace = _Trace()
    stages = [
        _Stage("stage A", trace),
        _Stage("stage B", trace, failAt=5 if place == "stage" else None),
    ]
    sink = _Sink(cancelAt=5 if place == "cancel" else None, failAt=5 if place == "sink" else None)
    result = runFunction(_Source(trace), stages, sink)
    require(inspect.isawaitable(result), "runSafely(...) must be a coroutine: write `async def`")
    task = asyncio.ensure_future(result)
    try:
        await task
    except BaseException as error:  # the check is in its own loop: nothing else to cancel
        reached: BaseException | None = error
    else:
        reached = None
    return trace, None, reached


async def _allAttempts(runFunction: Callable[..., Awaitable[object]]) -> list[str]:
    problems: list[str] = []
    trace, _, reached = await _attempt(runFunction, "none")
    if reached is not None:
        problems.append(f"a healthy run raised {describeError(reached)}")
    elif trace.open:
        problems.append(f"after a healthy run {', '.join(trace.open)} still open")
    for place, expected, what in (
        ("stage", OSError, "stage B raised OSError at record 5"),
        ("sink", ValueError, "the sink raised ValueError at record 5"),
        ("cancel", asyncio.CancelledError, "the task was cancelled at record 5"),
    ):
        trace, _, reached = await _attempt(runFunction, place)
        if not isinstance(reached, expected):
            got = "nothing" if reached is None else describeError(reached)
            problems.append(
                f"when {what}, the caller got {got} instead of that "
                f"{expected.__name__}: let it propagate, unchanged"
            )
        elif trace.open:
            problems.append(
                f"when {what}, the async generators of {', '.join(trace.open)} were "
                "left suspended (their finally had not run when runSafely returned)"
            )
        elif place == "sink" and trace.closed != ["stage B", "stage A", "source"]:
            problems.append(
                f"when {what}, the generators were closed in the order "
                f"{trace.closed}: close the newest first, so that each one's "
                "finally runs while its input is still open (as nested with blocks)"
            )
    return problems


@exerciseCheck(
    hint="keep every async generator you create; in a finally block (which also runs on "
    "cancellation), await gen.aclose() on each, newest first; do not catch the error"
)
def checkAsyncRunner(runFunction: Any) -> Verdict:
    """Exercise 08.3: ``await runSafely(source, stages, sink)`` closes every async generator."""
    require(callable(runFunction), f"expected your async function, got {runFunction!r}")
    with quietLogging():  # the verdict is the output, not the runs' log lines
        problems = _runInFreshLoop(_allAttempts(runFunction))
    require(not problems, problems[0] if problems else "")
    return correct(
        "every async generator is closed after success, a failing stage, a failing sink and "
        "a cancellation, and the original error (or CancelledError) reaches the caller"
    )

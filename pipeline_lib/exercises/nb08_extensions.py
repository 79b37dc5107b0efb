"""Checks for 08_extensions: slide 3 with ``@contextmanager``, ``__delete__``, async cleanup."""

from __future__ import annotations

import asyncio
import gc
import inspect
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from ..cleanup import describeError
from .asyncrig import Trace, TracedSink, TracedSource, TracedStage, runInFreshLoop
from .scratch import quietLogging
from .verdict import NotYet, Verdict, correct, exerciseCheck, require

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
        f"timedRun(log) returned {type(manager).__name__}, not a context manager",
        hint="decorate the generator function with @contextmanager",
    )
    try:
        with manager:
            if error is not None:
                raise error
    except BaseException as escaped:
        return log, escaped
    return log, None


#: Exceptions that are not ``Exception``s, each raised without a message, as Ctrl-C is.
_NOT_EXCEPTIONS = (KeyboardInterrupt, SystemExit, asyncio.CancelledError)


def _requireLoggedFailure(timedRun: Callable[[list[str]], Any], error: BaseException) -> None:
    """A failure the block raises is logged once as ``FAILED: ...`` and reaches the caller."""
    name, expected = type(error).__name__, f"FAILED: {_failureText(error)}"
    log, escaped = _outcome(timedRun, error)
    require(
        escaped is not None,
        f"the block's {name} did not reach the caller: your generator swallowed it "
        "(slide 3's __exit__ returns False: never suppress)",
        hint="an exception your generator catches and does not raise again is suppressed",
    )
    require(
        escaped is error,
        f"the caller got {describeError(escaped or error)} instead of the block's own "
        f"{describeError(error)}",
        hint="re-raise the exception you caught; a new one hides the original",
    )
    if isinstance(error, Exception):
        require(
            log != [],
            f"after {describeError(error)} in the block the log is []: the exception is "
            "thrown into your generator at the yield, so code after a bare yield never runs",
            hint="which of your lines run when the yield raises?",
        )
    require(
        log != [],
        f"after {name} in the block the log is []: slide 3 logs every failure, Ctrl-C "
        f"included, and {name} is not an Exception",
        hint="KeyboardInterrupt, SystemExit and asyncio's CancelledError are not Exceptions: "
        "which class do all exceptions share?",
    )
    require(
        "Completed" not in log,
        f"a block that raised {name} was logged as {log}",
        hint="'Completed' is for a block that ended normally, and only for it",
    )
    require(
        log != ["FAILED: "] or str(error),
        f"after {name}() in the block the log is ['FAILED: ']: str() of an exception "
        f"without a message is empty, and the exercise asks for its type name then",
        hint="an exception's class has a __name__",
    )
    require(
        log == [expected],
        f"after a block that raised {error!r} the log is {log}, not {[expected]}",
        hint="the line is 'FAILED: ' and the error's message (str(error))",
    )


def _failureText(error: BaseException) -> str:
    return str(error) or type(error).__name__


@exerciseCheck(
    hint="with @contextmanager the block's exception arrives at your yield: the code around "
    "it decides what is logged and whether the exception goes on"
)
def checkTimedRun(timedRun: Any) -> Verdict:
    """Exercise 08.1: ``timedRun(log)`` logs ``Completed`` or ``FAILED: <error>``, never hides."""
    log, escaped = _outcome(timedRun, None)
    require(
        escaped is None,
        f"your timedRun raised {describeError(escaped or Exception())} around a block "
        "that succeeded",
    )
    require(
        log == ["Completed"], f"after a block that succeeded the log is {log}, not ['Completed']"
    )
    _requireLoggedFailure(timedRun, ValueError("boom"))
    for kind in _NOT_EXCEPTIONS:
        _requireLoggedFailure(timedRun, kind())
    return correct(
        "Completed on success; FAILED on ValueError, on Ctrl-C, SystemExit and a "
        "cancellation; and the original exception always reaches the caller"
    )


# -- Exercise 2: a descriptor with __delete__ ---------------------------------------------


def _newOwner(descriptorClass: Any) -> Any:
    return type("Config", (), {"windowSize": descriptorClass(10)})


def _deleteWindowSize(config: Any, what: str) -> bool:
    """``del config.windowSize``: True if it raised AttributeError, False if it passed."""
    try:
        del config.windowSize
    except AttributeError:
        return True
    except RecursionError:
        raise NotYet(
            f"{what} recursed without end: your __delete__ deletes windowSize itself, "
            "which calls __delete__ again",
            hint="the instance's value is stored under another name: delete that one",
        ) from None
    except KeyError as error:
        raise NotYet(
            f"{what} raised {describeError(error)}: a missing attribute is an "
            "AttributeError (hasattr, getattr with a default and del rely on it)",
            hint="turn the KeyError into the error Python uses for a missing attribute",
        ) from None
    except Exception as error:
        raise NotYet(f"{what} raised {describeError(error)}") from None
    return False


@exerciseCheck(
    hint="each instance keeps its own value where __set__ put it; del takes that value "
    "away, and deleting what is not there fails as for any attribute"
)
def checkDefaultedField(descriptorClass: Any) -> Verdict:
    """Exercise 08.2: ``Defaulted(default)``: ``del obj.field`` brings the default back."""
    Config = _newOwner(descriptorClass)
    require(
        isinstance(Config.__dict__["windowSize"], descriptorClass)
        and Config.windowSize is Config.__dict__["windowSize"],
        "class access (Config.windowSize) should return the descriptor itself",
        hint="on class access __get__ is called with obj=None",
    )
    first, second = Config(), Config()
    require(first.windowSize == 10, f"a fresh Config's windowSize is {first.windowSize!r}, not 10")
    first.windowSize = 25
    require(first.windowSize == 25, f"after first.windowSize = 25 it reads {first.windowSize!r}")
    require(
        second.windowSize == 10,
        f"setting first.windowSize changed second.windowSize to {second.windowSize!r}: the value "
        "is stored on the descriptor, which all instances share",
        hint="one descriptor serves every instance of the class: keep the value on obj",
    )
    require(
        callable(getattr(descriptorClass, "__delete__", None)),
        "your descriptor has no __delete__, so `del first.windowSize` cannot reach it",
        hint="`del obj.windowSize` calls type(obj).windowSize.__delete__(obj)",
    )
    require(
        not _deleteWindowSize(first, "del first.windowSize (set to 25)"),
        "del first.windowSize (set to 25) raised AttributeError, though a value was set",
    )
    require(
        first.windowSize == 10,
        f"after del first.windowSize it reads {first.windowSize!r}, not the default 10",
        hint="del must take the instance's value away, not overwrite it",
    )
    require(
        _deleteWindowSize(first, "a second del first.windowSize"),
        "a second del first.windowSize passed silently: deleting what is not "
        "set raises AttributeError, as for any attribute",
        hint="after the first del nothing is stored: let deleting it again fail",
    )
    first.windowSize = 30
    require(first.windowSize == 30, "after delete, a new assignment is not stored")
    return correct(
        "the default shows until a value is set, del brings it back, instances are "
        "independent and a second del raises AttributeError"
    )


# -- Exercise 3: the safe runner, async --------------------------------------------------


#: How long one run of a runner may take (they take milliseconds), and the whole check.
_PATIENCE_SECONDS = 3.0
_CHECK_SECONDS = 15.0


#: Each run of the check: (where it ends, what must reach the caller, how to say it).
_RUNS: tuple[tuple[str, type[BaseException] | None, str], ...] = (
    ("none", None, "the run succeeded"),
    ("early", None, "the sink stopped reading after 5 records (a break: the run succeeded)"),
    ("stage", OSError, "stage B raised OSError at record 5"),
    ("sink", ValueError, "the sink raised ValueError at record 5"),
    ("cancel", asyncio.CancelledError, "the task was cancelled at record 5"),
)

_LEFT_OPEN_HINTS = {
    "none": "close every generator you create, also after a run that succeeds",
    "early": "a run that succeeds can leave generators suspended too: close them in code "
    "that runs however the run ends",
    "stage": "keep every generator you create, and close them in code that runs even when "
    "a stage or the sink raises",
    "sink": "keep every generator you create, and close them in code that runs even when "
    "a stage or the sink raises",
    "cancel": "a cancellation arrives as asyncio.CancelledError, which is a BaseException, "
    "not an Exception",
}


async def _attempt(
    runFunction: Callable[..., Awaitable[object]], place: str, what: str
) -> tuple[Trace, list[str], BaseException | None]:
    """One run ending at ``place``: (trace, generators open when it returned, what escaped)."""
    trace = Trace()
    stages = [
        TracedStage("stage A", trace),
        TracedStage("stage B", trace, failAt=5 if place == "stage" else None),
    ]
    try:
        result = runFunction(TracedSource(trace), stages, TracedSink(place, trace))
    except Exception as error:
        if inspect.iscoroutinefunction(runFunction):
            raise
        raise NotYet(
            f"calling your runner raised {describeError(error)}: write it as `async def`, "
            "since the check awaits it in a running event loop (where asyncio.run refuses)"
        ) from None
    require(inspect.isawaitable(result), "runSafely(...) must be a coroutine: write `async def`")
    openWhenReturned: list[str] = []

    async def runAndLook() -> None:
        # Look before the loop turns again: its finalizer may close what was only dropped.
        try:
            await result
        finally:
            openWhenReturned.extend(trace.open)

    task = asyncio.ensure_future(runAndLook())  # a task of its own: the sink cancels it
    done, _ = await asyncio.wait({task}, timeout=_PATIENCE_SECONDS)
    if not done:
        task.cancel()
        raise NotYet(
            f"when {what}, your runner had not returned after {_PATIENCE_SECONDS:g} s: "
            "it waits for something that never comes",
            hint="await only the sink's consume() and the generators' aclose()",
        )
    try:
        task.result()
    except BaseException as error:  # the check is in its own loop: nothing else to cancel
        return trace, openWhenReturned, error
    return trace, openWhenReturned, None


async def _firstProblem(runFunction: Callable[..., Awaitable[object]]) -> NotYet | None:
    """Every run in turn; the first problem found, with its hint, or None."""
    for place, expected, what in _RUNS:
        trace, leftOpen, reached = await _attempt(runFunction, place, what)
        if expected is None and reached is not None:
            return NotYet(f"when {what}, your runner raised {describeError(reached)}")
        if expected is not None and not isinstance(reached, expected):
            got = "nothing" if reached is None else describeError(reached)
            return NotYet(
                f"when {what}, the caller got {got} instead of that "
                f"{expected.__name__}: let it propagate, unchanged",
                hint="do not catch what the runner cannot handle: the caller must see it",
            )
        if trace.raised is not None and reached is not trace.raised:
            return NotYet(
                f"when {what}, the caller got {describeError(reached or trace.raised)}, "
                "an exception of the right kind but not the one raised",
                hint="re-raise the exception itself: a bare `raise`, or none caught at all",
            )
        if leftOpen:
            return NotYet(
                f"when {what}, the async generators of {', '.join(leftOpen)} were "
                "left suspended (their finally had not run when runSafely returned)",
                hint=_LEFT_OPEN_HINTS[place],
            )
        if place == "sink" and trace.closed != ["stage B", "stage A", "source"]:
            return NotYet(
                f"when {what}, the generators were closed in the order "
                f"{trace.closed}: close the newest first, so that each one's "
                "finally runs while its input is still open (as nested with blocks)",
                hint="the last generator created is the first one closed",
            )
    return None


def _awaitsEveryAclose(runFunction: Any, caught: list[warnings.WarningMessage]) -> bool:
    """False when the runner calls ``aclose()`` without awaiting it (a likely slip)."""
    if any("aclose" in str(w.message) and "never awaited" in str(w.message) for w in caught):
        return False  # Python 3.13 and later warn of it
    try:
        source = inspect.getsource(runFunction)
    except (OSError, TypeError):
        return True
    return all(
        "await" in line.split(".aclose(")[0] for line in source.splitlines() if ".aclose(" in line
    )


@exerciseCheck(
    hint="an async generator's finally runs when it is exhausted or closed: which of your "
    "lines run when a stage raises, when the sink stops early, when the task is cancelled?"
)
def checkAsyncRunner(runFunction: Any) -> Verdict:
    """Exercise 08.3: ``await runSafely(source, stages, sink)`` closes every async generator."""
    require(callable(runFunction), f"expected your async function, got {runFunction!r}")
    with quietLogging(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # a wrong answer's warnings go into the verdict
        try:
            problem = runInFreshLoop(_firstProblem(runFunction), _CHECK_SECONDS)
        except NotYet as notYet:  # a copy: the original's traceback holds the runs' frames
            problem = NotYet(str(notYet), notYet.hint)
        except Exception as error:
            problem = NotYet(f"your code raised {describeError(error)}")
        if problem is not None:
            gc.collect()  # what a wrong answer left unawaited warns now, not later on stderr
    forgotAwait = problem is not None and not _awaitsEveryAclose(runFunction, caught)
    if forgotAwait and "left suspended" in str(problem):
        raise NotYet(
            f"{problem}; your runner calls .aclose() without await: it returns an "
            "awaitable that closes nothing until it is awaited",
            hint="await each aclose()",
        )
    if problem is not None:
        raise problem
    return correct(
        "every async generator is closed after success, an early stop, a failing stage, "
        "a failing sink and a cancellation, and the original error (or CancelledError) "
        "reaches the caller"
    )

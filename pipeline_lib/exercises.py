"""Self-checks for the notebooks' exercises: a friendly verdict, never an exception.

Each exercise ends with a cell like ``checkSafeRunner(runWithCleanup)``. The check runs
the student's code against real resources and returns a :class:`Verdict`, which shows
as one line: ``✅ Correct: ...`` or ``❌ Not yet: ... Hint: ...``. A check never raises,
whatever the student's code does, so "Run All" always reaches the end of the notebook.

Writing a check for a new exercise takes three pieces (see the checks below):

- decorate it with :func:`exerciseCheck`, giving the hint shown when it fails;
- inside, call :func:`require` for each expectation (its message says what is wrong);
- return :func:`correct` with what the student achieved.

>>> @exerciseCheck(hint="return the sum, not the product")
... def checkAdd(add):
...     require(add(2, 3) == 5, f"add(2, 3) returned {add(2, 3)!r}, expected 5")
...     return correct("add(2, 3) == 5")
>>> checkAdd(lambda a, b: a + b)
✅ Correct: add(2, 3) == 5
>>> checkAdd(lambda a, b: a * b)
❌ Not yet: add(2, 3) returned 6, expected 5. Hint: return the sum, not the product
>>> checkAdd(lambda a: a)
❌ Not yet: your code raised TypeError: <lambda>() takes 1 positional argument but 2 were
    given. Hint: return the sum, not the product
"""

from __future__ import annotations

import functools
import gc
import inspect
import logging
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec

from .cleanup import describeError
from .faults import Fault, failStage
from .leaks import makeSensorDatabase
from .protocols import SensorReading
from .resources import ConnectionPool, PoolExhausted
from .sinks import ListSink
from .sources import SensorSource, SqliteSource
from .stages import ThresholdFilter

__all__ = [
    "NotYet",
    "Verdict",
    "checkCountingSink",
    "checkLeakFixed",
    "checkPooledConnection",
    "checkSafeRunner",
    "checkSlideContextFixed",
    "checkSpikeFilter",
    "correct",
    "exerciseCheck",
    "require",
]

P = ParamSpec("P")


@dataclass(frozen=True)
class Verdict:
    """The outcome of a self-check; true when correct. Shows as one line of text.

    >>> Verdict(True, "all 3 connections came back")
    ✅ Correct: all 3 connections came back
    >>> bool(Verdict(False, "2 connections leaked", "close the generators"))
    False
    """

    passed: bool
    message: str
    hint: str = ""

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        if self.passed:
            return f"✅ Correct: {self.message}"
        hint = f" Hint: {self.hint}" if self.hint else ""
        return f"❌ Not yet: {self.message.rstrip('.')}.{hint}"

    __repr__ = __str__  # a notebook shows the repr of a cell's last value


class NotYet(Exception):
    """Raised by :func:`require` inside a check; :func:`exerciseCheck` turns it into a verdict."""


def require(condition: object, message: str) -> None:
    """Stop the check with a ❌ verdict saying ``message`` unless ``condition`` holds."""
    if not condition:
        raise NotYet(message)


def correct(message: str) -> Verdict:
    """The ✅ verdict, saying what the student's code achieved."""
    return Verdict(True, message)


def exerciseCheck(hint: str) -> Callable[[Callable[P, Verdict]], Callable[P, Verdict]]:
    """Make a check safe to run on anything: every failure becomes a ❌ verdict with ``hint``.

    A :func:`require` that fails gives its message; any other exception (the student's
    code raised) is described. ``KeyboardInterrupt`` still stops the cell, as it should.
    """

    def decorator(check: Callable[P, Verdict]) -> Callable[P, Verdict]:
        @functools.wraps(check)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Verdict:
            try:
                return check(*args, **kwargs)
            except NotYet as problem:
                return Verdict(False, str(problem), hint)
            except Exception as error:
                return Verdict(False, f"your code raised {describeError(error)}", hint)

        return wrapper

    return decorator


# -- what the checks share --------------------------------------------------------------


@contextmanager
def _quietLogging() -> Iterator[None]:
    """Silence logging while a check runs the student's code: the verdict is the output."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


@functools.cache
def _scratchDatabase() -> Path:
    """A small database of readings for the checks, created once per process."""
    folder = Path(tempfile.mkdtemp(prefix="pipeline-lib-checks-"))
    return makeSensorDatabase(folder / "check.sqlite", count=200, seed=7)


@contextmanager
def _scratchPool(size: int) -> Iterator[ConnectionPool]:
    """A fresh pool on the scratch database; whatever leaked is collected and closed after."""
    pool = ConnectionPool(_scratchDatabase(), size=size)
    try:
        yield pool
    finally:
        gc.collect()  # suspended generators kept alive by cycles give their connection back
        pool.close()


def _failingStage(atRecord: int = 20) -> tuple[Any, Fault]:
    fault = Fault(atRecord=atRecord)
    return failStage(ThresholdFilter(20.0, 80.0), fault), fault


def _describeHeld(pool: ConnectionPool) -> str:
    return f"{pool.inUse} of {pool.size} connections are still in use"


def _runsFailingAsInjected(run: Callable[[Any, Any], object], pool: ConnectionPool) -> str:
    """Three failing runs, exceptions kept; '' if each raised the injected error, else why not."""
    held: list[BaseException] = []
    try:
        for attempt in range(1, 4):
            stage, fault = _failingStage()
            try:
                run(stage, pool)
            except Exception as error:
                held.append(error)
                if isinstance(error, PoolExhausted):
                    return f"run {attempt} of 3 failed with PoolExhausted: {_describeHeld(pool)}"
                if not fault.raised or error is not fault.raised[0]:
                    return (
                        f"run {attempt} raised {describeError(error)} instead of the stage's "
                        "original error (it must reach the caller unchanged)"
                    )
            else:
                return f"run {attempt} raised nothing: the stage's error was swallowed"
        if pool.inUse:
            return f"after 3 failing runs (exceptions kept), {_describeHeld(pool)}"
        return ""
    finally:
        held.clear()


# -- 00_start_here --------------------------------------------------------------------


@exerciseCheck(hint="remember the last value you kept; skip a reading more than 40 away from it")
def checkSpikeFilter(stage: Any) -> Verdict:
    """Exercise 00.1: a duck-typed stage that drops spikes (a jump of more than 40)."""
    require(callable(getattr(stage, "process", None)), "your object has no process() method")
    values = [50.0, 52.0, 130.0, 51.0, 49.0, -20.0, 48.0]
    readings = [SensorReading("temp-1", float(t), v) for t, v in enumerate(values)]
    output = stage.process(iter(readings))
    require(inspect.isgenerator(output), "process() should be a generator function (use yield)")
    kept = [r.value for r in output]
    expected = [50.0, 52.0, 51.0, 49.0, 48.0]
    require(kept == expected, f"for the values {values} your stage kept {kept}, not {expected}")
    return correct(f"your stage keeps {expected} and drops the spikes 130.0 and -20.0")


@exerciseCheck(hint="in consume(), loop over the stream and add 1 to counts[reading.sensorId]")
def checkCountingSink(sinkClass: Any) -> Verdict:
    """Exercise 00.2: a duck-typed sink that counts readings per sensor in ``.counts``."""
    sink = sinkClass()
    stream = SensorSource(count=30, seed=1).stream()
    sink.consume(stream)
    expected = dict(Counter(r.sensorId for r in SensorSource(count=30, seed=1).stream()))
    require(hasattr(sink, "counts"), "your sink has no .counts attribute")
    counts = sink.counts
    require(
        dict(counts) == expected,
        f"after 30 readings your sink's counts are {dict(counts)}, expected {expected}",
    )
    return correct(f"your sink counted {expected}")


# -- 01_the_leak_problem ----------------------------------------------------------------


@exerciseCheck(
    hint="close the suspended source generator (.close()), or drop every reference to "
    "the kept exceptions and run gc.collect(); do not close the pool itself"
)
def checkLeakFixed(pool: ConnectionPool) -> Verdict:
    """Exercise 01.1: every connection of ``pool`` is back, and the pool still works."""
    require(pool.inUse == 0, f"{_describeHeld(pool)}, held by: {', '.join(pool.holders)}")
    with pool.connection(holder="checkLeakFixed") as conn:
        conn.execute("SELECT 1").fetchone()
    return correct(f"all {pool.size} connections are available again and the pool still works")


@exerciseCheck(
    hint="keep every generator you create in a list; in a finally block, close them "
    "newest first (gen.close()); do not catch the exception"
)
def checkSafeRunner(runFunction: Callable[[Any, Any, Any], object]) -> Verdict:
    """Exercise 01.2: ``runFunction(source, stages, sink)`` closes every generator, always."""
    with _quietLogging(), _scratchPool(size=2) as pool:
        sink = ListSink()
        count = runFunction(SqliteSource(pool), [ThresholdFilter(20.0, 80.0)], sink)
        require(sink.records, "a run without failures delivered no records")
        require(
            count == len(sink.records),
            f"a successful run returned {count!r}, expected the record count {len(sink.records)}",
        )
        require(pool.inUse == 0, f"after a successful run, {_describeHeld(pool)}")
        problem = _runsFailingAsInjected(
            lambda stage, pool: runFunction(SqliteSource(pool), [stage], ListSink()), pool
        )
        require(not problem, problem)
    return correct(
        f"{len(sink.records)} records on success; after 3 failing runs with their "
        "exceptions kept, every connection is back"
    )


# -- 02_context_managers ----------------------------------------------------------------


@exerciseCheck(hint="__enter__ returns self.pool.acquire(); __exit__ releases it and returns False")
def checkPooledConnection(managerClass: Any) -> Verdict:
    """Exercise 02.1: ``with managerClass(pool) as conn:`` borrows and always gives back."""
    with _quietLogging(), _scratchPool(size=1) as pool:
        with managerClass(pool) as conn:
            require(
                isinstance(conn, sqlite3.Connection),
                f"`with ... as conn` gave {conn!r}, expected a sqlite3.Connection",
            )
            require(pool.inUse == 1, "inside the block, no connection is acquired from the pool")
        require(pool.inUse == 0, "after the block, the connection was not released")
        propagated = False
        try:
            with managerClass(pool):
                raise ValueError("boom")
        except ValueError:
            propagated = True
        require(propagated, "an exception inside the block was swallowed: return False")
        require(pool.inUse == 0, "after a block that raised, the connection was not released")
    return correct("the connection is borrowed inside the block and given back, error or not")


@exerciseCheck(
    hint="in run(), keep the generators you chain; in __exit__, close them newest first "
    "(before logging), then return False"
)
def checkSlideContextFixed(contextClass: Any) -> Verdict:
    """Exercise 02.2: slide 3's ``PipelineContext``, fixed to close the generator chain."""

    def failingRun(stage: Any, pool: ConnectionPool) -> None:
        with contextClass(SqliteSource(pool), pipelineId="check") as ctx:
            ctx.run(stages=[stage], sink=ListSink())

    with _quietLogging(), _scratchPool(size=2) as pool:
        problem = _runsFailingAsInjected(failingRun, pool)
        require(not problem, problem)
        sink = ListSink()
        with contextClass(SqliteSource(pool), pipelineId="check") as ctx:
            ctx.run(stages=[ThresholdFilter(20.0, 80.0)], sink=sink)
        require(sink.records, "a run without failures delivered no records")
        require(pool.inUse == 0, f"after a successful run, {_describeHeld(pool)}")
    return correct(
        "failing runs give their connection back and re-raise the original error; "
        f"a healthy run still delivers {len(sink.records)} records"
    )


# -- notebook 04: measuring stages ------------------------------------------------------

__all__ += ["checkBottleneck", "checkTimelinePrediction"]  # kept beside the block they export
# (This block imports inside its functions, so that the notebooks' blocks stay independent.)

#: Exercise 04.2's costs per record, in ms: the timeline the student reads.
TIMELINE_COSTS_MS = {"source": 0.2, "Parser": 0.3, "Validator": 2.0, "sink": 1.0}


@exerciseCheck(
    hint="decorate each process() with @measuredStage(name, clock=labClock), run the "
    "pipeline, then pick the stage with the largest ctx.metrics[name].ownSeconds"
)
def checkBottleneck(metrics: Any, slowestStage: Any) -> Verdict:
    """Exercise 04.1: ``slowestStage`` names the stage with the most own time in ``metrics``."""
    from .metrics import StageMetrics  # the engine's metrics, not the slide's

    require(metrics, "ctx.metrics is empty: no stage was measured")
    expected = ["Calibrator", "OutlierFilter", "Enricher"]
    require(
        list(metrics) == expected,
        f"ctx.metrics holds {list(metrics)}, expected the stages {expected} in pipeline order",
    )
    stages: dict[str, StageMetrics] = {}
    for name, value in metrics.items():
        require(
            isinstance(value, StageMetrics),
            f"ctx.metrics[{name!r}] is a {type(value).__name__}: use pipeline_lib.measuredStage",
        )
        stages[name] = value
    require(
        min(stage.ownSeconds for stage in stages.values()) >= 1e-3,
        "the stages measured almost no time: they spend it on labClock, so pass clock=labClock",
    )
    total = max(stages, key=lambda name: stages[name].ownSeconds)
    perRecord = max(stages, key=lambda name: stages[name].meanLatencyMs)
    require(slowestStage is not None, "slowestStage is still None")
    require(
        not slowestStage == perRecord != total,
        f"{perRecord} is the slowest per record ({stages[perRecord].meanLatencyMs:.2f} ms), "
        f"but it sees only {stages[perRecord].recordsIn} records; {total} costs more in "
        "total. Optimising it saves the most time",
    )
    require(
        slowestStage == total,
        f"slowestStage is {slowestStage!r}; the stage with the most own time is another one",
    )
    return correct(
        f"{total} spent {stages[total].ownSeconds * 1000:.0f} ms of own time, more than any "
        "other stage: halving it saves the most"
    )


_ProcessOfInts = Callable[[Any, Iterator[int]], Iterator[int]]


def _timelineRun(
    decorator: Callable[..., Callable[[_ProcessOfInts], _ProcessOfInts]], stageNames: list[str]
) -> dict[str, float]:
    """Exercise 04.2's pipeline on a fake clock: mean ms per record each stage reports."""
    from .lifecycle import PipelineContext
    from .testing import FakeClock

    clock, costs = FakeClock(), {k: v / 1000.0 for k, v in TIMELINE_COSTS_MS.items()}

    class Source:
        def stream(self) -> Iterator[int]:
            for record in range(20):
                clock.spend(costs["source"], "source")
                yield record

    def stage(name: str) -> Any:
        class Costly:
            @decorator(name, clock=clock)
            def process(self, inputStream: Iterator[int]) -> Iterator[int]:
                for record in inputStream:
                    clock.spend(costs[name], name)
                    yield record

        return Costly

    class Sink:
        def consume(self, stream: Iterator[int]) -> None:
            for _ in stream:
                clock.spend(costs["sink"], "sink")

    classes = [stage(name) for name in stageNames]
    with PipelineContext(Source(), pipelineId="timeline") as ctx:
        ctx.run(stages=[cls() for cls in classes], sink=Sink())
    return {
        name: cls.process.lastMetrics.meanLatencyMs
        for name, cls in zip(stageNames, classes, strict=True)
    }


@exerciseCheck(
    hint="the slide's timer runs from a stage's yield until its consumer asks again (the "
    "consumer's work); the engine's is the stage's next() minus the time spent upstream"
)
def checkTimelinePrediction(predicted: Any) -> Verdict:
    """Exercise 04.2: predicted ms per record, ``{"slide": {...}, "engine": {...}}``."""
    from . import naive
    from .metrics import measuredStage

    names = ["Parser", "Validator"]
    with _quietLogging():
        measured = {
            "slide": _timelineRun(naive.measuredStage, names),
            "engine": _timelineRun(measuredStage, names),
        }
    require(isinstance(predicted, dict), f"predicted is a {type(predicted).__name__}, not a dict")
    for version, values in measured.items():
        guess = predicted.get(version)
        require(isinstance(guess, dict), f"predicted[{version!r}] should be a dict of ms by stage")
        for name in names:
            value = guess.get(name)
            require(
                isinstance(value, int | float) and not isinstance(value, bool),
                f"predicted[{version!r}][{name!r}] is {value!r}, expected a number of ms",
            )
            require(
                abs(value - values[name]) < 1e-6,
                f"predicted[{version!r}][{name!r}] is {value!r} ms; the run says otherwise",
            )
    slide, engine = measured["slide"], measured["engine"]
    return correct(
        f"slide 9 reports Parser {slide['Parser']:.1f} ms and Validator {slide['Validator']:.1f} "
        f"ms (their consumers' work); the engine reports their own {engine['Parser']:.1f} ms "
        f"and {engine['Validator']:.1f} ms"
    )

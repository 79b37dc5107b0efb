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
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, ParamSpec

from .cleanup import describeError
from .config import ConfigError, PipelineConfig
from .faults import Fault, failSource, failStage
from .leaks import makeSensorDatabase
from .lifecycle import PipelineContext
from .metrics import StageMetrics
from .protocols import SensorReading
from .resources import ConnectionPool, PoolExhausted
from .resume import isResumable
from .retry import retryOnFailure
from .retrypolicy import RetryPolicy
from .sinks import ListSink
from .sources import SensorSource, SqliteSource
from .stages import ThresholdFilter
from .validators import Validator

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


# -- notebook 03: descriptors -------------------------------------------------------------

__all__ += ["BROKEN_TOML", "checkFixedToml", "checkOneOf", "checkWindowRule"]


def _refusal(assign: Callable[[], object]) -> str:
    """The message of the TypeError/ValueError ``assign()`` raised, or '' if it raised none."""
    try:
        assign()
    except (TypeError, ValueError) as error:
        return str(error) or type(error).__name__
    return ""


@exerciseCheck(
    hint="in validate(), return value if it is one of self.options; otherwise raise "
    'ValueError(f"{self.qualifiedName} must be one of {self.options}, got {value!r}")'
)
def checkOneOf(validatorClass: Any) -> Verdict:
    """Exercise 03.1: ``OneOf(*options)``, a Validator accepting only the options given."""
    require(
        isinstance(validatorClass, type) and issubclass(validatorClass, Validator),
        f"{validatorClass!r} is not a subclass of pipeline_lib.Validator",
    )

    class Export:
        sinkKind = validatorClass("csv", "sqlite", "list")

    export = Export()
    for option in ("csv", "sqlite", "list"):
        export.sinkKind = option
        require(
            export.sinkKind == option, f"after sinkKind = {option!r}, it reads {export.sinkKind!r}"
        )
    for bad in ("xml", "CSV", None, ["csv"]):
        message = _refusal(functools.partial(setattr, export, "sinkKind", bad))
        require(message, f"sinkKind = {bad!r} was accepted, but the options are csv, sqlite, list")
        require(
            "Export.sinkKind" in message,
            f"the message {message!r} does not name the field (use self.qualifiedName)",
        )
        require(repr(bad) in message, f"the message {message!r} does not show the value {bad!r}")
        require(export.sinkKind == "list", f"a refused {bad!r} changed the stored value")
    return correct(
        "'csv', 'sqlite' and 'list' are stored; 'xml', 'CSV', None and ['csv'] are refused "
        "with a message naming Export.sinkKind and the value"
    )


@exerciseCheck(
    hint="call super().checkFields(values) first; then, only if both 'windowSize' and "
    "'samplingRateHz' are in values, raise ValueError when windowSize > samplingRateHz"
)
def checkWindowRule(configClass: Any) -> Verdict:
    """Exercise 03.2: a PipelineConfig whose window spans at most one second of samples."""
    require(
        isinstance(configClass, type) and issubclass(configClass, PipelineConfig),
        f"{configClass!r} is not a subclass of pipeline_lib.PipelineConfig",
    )
    config = configClass(100.0, 10, 20.0, 80.0)
    name = configClass.__name__
    require(configClass(100.0, 100, 20.0, 80.0).windowSize == 100, "a 1-second window is refused")
    message = _refusal(lambda: configClass(100.0, 500, 20.0, 80.0))
    require(message, f"{name}(100.0, 500, 20.0, 80.0) was accepted: 500 readings at 100 Hz")
    require("windowSize" in message, f"the message {message!r} does not name windowSize")
    for field, value in (("windowSize", 200), ("samplingRateHz", 5.0)):
        message = _refusal(functools.partial(setattr, config, field, value))
        require(message, f"{name}(100.0, 10, 20.0, 80.0).{field} = {value!r} was accepted")
    require(
        config.asDict()
        == {"samplingRateHz": 100.0, "windowSize": 10, "filterMin": 20.0, "filterMax": 80.0},
        f"refused assignments changed the config: {config!r}",
    )
    require(_refusal(lambda: setattr(config, "filterMin", 90.0)), "inverted bounds pass now")
    try:
        configClass.fromDict({**config.asDict(), "windowSize": 500})
    except ConfigError as error:
        require(
            any("windowSize" in problem for problem in error.problems),
            f"fromDict listed {error.problems}, nothing about windowSize",
        )
    else:
        raise NotYet("fromDict accepted a window of 500 readings at 100 Hz")
    return correct(
        "windows up to one second pass; longer ones are refused at construction, at "
        "assignment (from either field, object unchanged) and by fromDict"
    )


#: Exercise 03.3's file: meant as 100 Hz, a window of 10 readings, keep 20 to 80.
BROKEN_TOML = """\
# sensor_ingest.toml: 100 Hz, smooth over 10 readings, keep values from 20 to 80
samplingRate = 100
windowSize = 10.0
filterMin = 20
filtermax = 80
"""


@exerciseCheck(
    hint="read each problem of the ConfigError: rename the keys exactly, make the "
    "window an int; the values themselves (100, 10, 20, 80) are right"
)
def checkFixedToml(text: str) -> Verdict:
    """Exercise 03.3: TOML text that loads as ``PipelineConfig(100.0, 10, 20.0, 80.0)``."""
    require(isinstance(text, str), f"expected the file's text as a str, got {type(text).__name__}")
    with tempfile.TemporaryDirectory(prefix="pipeline-lib-checks-") as folder:
        path = Path(folder) / "sensor_ingest.toml"
        path.write_text(text, encoding="utf-8")
        try:
            config = PipelineConfig.fromFile(path)
        except ConfigError as error:
            count = len(error.problems)
            raise NotYet(
                f"the file still has {count} problem{'' if count == 1 else 's'}: "
                + "; ".join(error.problems)
            ) from None
    expected = PipelineConfig(100.0, 10, 20.0, 80.0)
    require(config == expected, f"the file loads as {config!r}, expected {expected!r}")
    return correct(f"the file loads as {config!r}")


# -- notebook 06: three layers ------------------------------------------------------------

__all__ += ["checkBottleneckStage", "checkSensorBounds", "checkTwoFaultsOnce"]


def _fakeStageMetrics(stages: dict[str, tuple[int, float]]) -> dict[str, StageMetrics]:
    """Metrics with known own times: name -> (records, ms per record), for a fixed verdict."""
    metrics: dict[str, StageMetrics] = {}
    for name, (records, msPerRecord) in stages.items():
        stage = metrics[name] = StageMetrics(name)
        stage.recordsIn = stage.recordsOut = records
        stage.histogram.add(msPerRecord / 1000.0, weight=records)
    return metrics


#: (stages, answer): in the first, the stage with the highest mean latency sees few records.
_BOTTLENECK_CASES = (
    ({"Fast": (1000, 0.002), "Busy": (1000, 0.010), "Rare": (100, 0.050)}, "Busy"),
    ({"First": (1000, 0.003), "Second": (1000, 0.001), "Third": (1000, 0.004)}, "Third"),
)


@exerciseCheck(
    hint="decorate the fourth stage's process with @measuredStage(...), return four stages, "
    "and let findBottleneck return max(metrics, key=lambda name: metrics[name].ownSeconds)"
)
def checkBottleneckStage(makeStages: Callable[[], list[Any]], findBottleneck: Any) -> Verdict:
    """Exercise 06.1: four measured stages, and the bottleneck named from ``ctx.metrics``."""
    stages = list(makeStages())
    require(len(stages) == 4, f"makeStages() returned {len(stages)} stages, expected 4")
    with _quietLogging(), PipelineContext(SensorSource(count=600, seed=6), "check") as ctx:
        ctx.run(stages=stages, sink=ListSink())
    names = list(ctx.metrics)
    require(
        len(names) == 4,
        f"ctx.metrics holds {len(names)} measured stages ({', '.join(names) or 'none'}), "
        "expected 4: is the fourth stage's process decorated?",
    )
    for stageTimes, answer in _BOTTLENECK_CASES:
        metrics = _fakeStageMetrics(stageTimes)
        named = findBottleneck(metrics)
        require(
            named == answer,
            f"for stages {', '.join(_describeOwnTime(m) for m in metrics.values())}, "
            f"findBottleneck named {named!r}; {answer!r} spends the most own time in total",
        )
    measured = {n: m for n, m in ctx.metrics.items() if isinstance(m, StageMetrics)}
    slowest = max(measured, key=lambda name: measured[name].ownSeconds)
    named = findBottleneck(measured)
    require(named == slowest, f"on a real run findBottleneck named {named!r}, not {slowest!r}")
    return correct(
        f"4 measured stages ({', '.join(names)}); findBottleneck names the stage with the "
        "most own time"
    )


def _describeOwnTime(metrics: StageMetrics) -> str:
    return f"{metrics.stageName} ({metrics.recordsOut} records x {metrics.meanLatencyMs:.3f} ms)"


def _configFile(folder: Path, name: str, **changes: object) -> Path:
    values: dict[str, object] = {
        "samplingRateHz": 10.0,
        "windowSize": 5,
        "filterMin": 20.0,
        "filterMax": 80.0,
    }
    values.update(changes)
    path = folder / name
    path.write_text("".join(f"{key} = {value!r}\n" for key, value in values.items()))
    return path


@exerciseCheck(
    hint="in SensorBound.validate, call super().validate(value) first, then raise "
    "ValueError(f'{self.qualifiedName} must be <= 100.0, got {value!r}') above 100.0"
)
def checkSensorBounds(configClass: Any) -> Verdict:
    """Exercise 06.2: ``configClass.fromFile`` refuses filter bounds above 100.0, all at once."""
    with tempfile.TemporaryDirectory(prefix="pipeline-lib-check-") as name:
        folder = Path(name)
        good = configClass.fromFile(_configFile(folder, "good.toml", filterMax=100.0))
        require(isinstance(good, PipelineConfig), f"fromFile returned {good!r}, not a config")
        require(good.filterMax == 100.0, "filterMax = 100.0 (the top of the range) was changed")
        try:
            configClass.fromFile(_configFile(folder, "typo.toml", filterMax=800.0))
        except ConfigError as error:
            problems = error.problems
        else:
            raise NotYet(f"{configClass.__name__}.fromFile accepted filterMax = 800.0")
        require(
            any("filterMax" in p and "800" in p for p in problems),
            f"the problems listed do not name filterMax and 800.0: {problems}",
        )
        try:
            configClass.fromFile(_configFile(folder, "two.toml", windowSize=0, filterMin=250.0))
        except ConfigError as error:
            count = len(error.problems)
        else:
            raise NotYet("fromFile accepted windowSize = 0 with filterMin = 250.0")
        require(count >= 2, f"a file with 2 mistakes gave {count} problem; list every one")
    config = configClass(10.0, 5, 20.0, 80.0)
    try:
        config.filterMax = 800.0
    except ValueError:
        pass
    else:
        raise NotYet("assigning config.filterMax = 800.0 was accepted")
    require(config.filterMax == 80.0, "a refused assignment changed config.filterMax")
    return correct(
        "the pipeline file is refused when a bound is above 100.0, with every problem listed, "
        "and so is the assignment"
    )


@exerciseCheck(
    hint="count attempts, not faults: two failures in one stream need maxAttempts=3; use "
    "pipeline_lib.retryOnFailure (it resumes) and pass resumeAfter on to the inner source"
)
def checkTwoFaultsOnce(hubClass: Any) -> Verdict:
    """Exercise 06.3: ``hubClass(inner)`` survives two transient faults, each record once."""
    with _quietLogging(), _scratchPool(size=2) as pool:
        expected = list(SqliteSource(pool).stream())
        fault = Fault(atRecords=(60, 150))
        hub = hubClass(failSource(SqliteSource(pool), fault))
        sink = ListSink()
        try:
            with PipelineContext(hub, pipelineId="check") as ctx:
                ctx.run(sink=sink)
        except Exception as error:
            raise NotYet(
                f"the run failed after {fault.failures} injected fault(s) and "
                f"{len(sink.records)} records: {describeError(error)}"
            ) from None
        duplicates = len(sink.records) - len(set(sink.records))
        require(not duplicates, f"{duplicates} records were delivered twice")
        require(
            sink.records == expected,
            f"{len(sink.records)} records delivered, expected the {len(expected)} of the table",
        )
        require(fault.failures == 2, f"the faults fired {fault.failures} times, expected 2")
        require(pool.inUse == 0, f"after the run, {_describeHeld(pool)}")
    return correct(f"two faults survived, all {len(expected)} records delivered exactly once")


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


# -- notebook 05: retry -----------------------------------------------------------------

__all__ += ["HUB_ERRORS", "checkResumableSource", "checkRetryBudget", "checkRetryOn"]


def _noSleep(seconds: float) -> None:
    """The checks' injected sleep: a retry never really waits."""


@exerciseCheck(
    hint="give stream a keyword resumeAfter=0 and let the query skip that many rows: SQL's "
    "OFFSET does it (SQLite wants a LIMIT before it; LIMIT -1 means no limit)"
)
def checkResumableSource(sourceClass: Any) -> Verdict:
    """Exercise 05.1: ``stream(resumeAfter=k)`` skips k rows; under retries, each row once."""
    with _quietLogging(), _scratchPool(size=2) as pool:
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
        require(pool.inUse == 0, f"after the streams ended, {_describeHeld(pool)}")
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
        require(pool.inUse == 0, f"after the retried run, {_describeHeld(pool)}")
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
    with _quietLogging():
        try:
            list(retried())
        except type(error):
            pass
    return retried.retryStats.attempts


def _recordsDelivered(retryOn: Any, error: Exception) -> list[int]:
    retried = retryOnFailure(maxAttempts=3, delaySeconds=0.0, retryOn=retryOn, sleep=_noSleep)(
        _flakyNumbers(error)
    )
    with _quietLogging():
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
    with _quietLogging():
        records = list(retried())
    require(records == list(range(10)), f"the stream delivered {records}")
    return correct(
        f"waits of {nominal[0]:g} to {max(nominal):g} s, {sum(shortest):.1f} to "
        f"{sum(nominal):.1f} s in total: a 20 s outage is ridden out, and the job gives "
        "up within its budget"
    )

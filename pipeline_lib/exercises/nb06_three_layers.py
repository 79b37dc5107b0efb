"""Checks for 06_three_layers's exercises: bottleneck stage, sensor bounds, two faults once."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..cleanup import describeError
from ..config import ConfigError, PipelineConfig
from ..faults import Fault, failSource
from ..lifecycle import PipelineContext
from ..metrics import StageMetrics
from ..sinks import ListSink
from ..sources import SensorSource, SqliteSource
from .scratch import (
    describeHeld,
    quietLogging,
    scratchPool,
)
from .verdict import NotYet, Verdict, correct, exerciseCheck, require

__all__ = ["checkBottleneckStage", "checkSensorBounds", "checkTwoFaultsOnce"]


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
    with quietLogging(), PipelineContext(SensorSource(count=600, seed=6), "check") as ctx:
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
    with quietLogging(), scratchPool(size=2) as pool:
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
        require(pool.inUse == 0, f"after the run, {describeHeld(pool)}")
    return correct(f"two faults survived, all {len(expected)} records delivered exactly once")

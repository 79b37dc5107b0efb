"""Checks for 04_measuring_stages's exercises: the bottleneck, a timeline prediction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .. import naive
from ..lifecycle import PipelineContext
from ..metrics import StageMetrics, measuredStage
from ..testing import FakeClock
from .scratch import (
    quietLogging,
)
from .verdict import Verdict, correct, exerciseCheck, require

__all__ = ["TIMELINE_COSTS_MS", "checkBottleneck", "checkTimelinePrediction"]


#: Exercise 04.2's costs per record, in ms: the timeline the student reads.
TIMELINE_COSTS_MS = {"source": 0.2, "Parser": 0.3, "Validator": 2.0, "sink": 1.0}


@exerciseCheck(
    hint="decorate each process() with @measuredStage(name, clock=labClock), run the "
    "pipeline, then pick the stage with the largest ctx.metrics[name].ownSeconds"
)
def checkBottleneck(metrics: Any, slowestStage: Any) -> Verdict:
    """Exercise 04.1: ``slowestStage`` names the stage with the most own time in ``metrics``."""
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
    names = ["Parser", "Validator"]
    with quietLogging():
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

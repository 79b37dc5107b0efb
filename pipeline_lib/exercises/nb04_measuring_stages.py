"""Checks for 04_measuring_stages's exercises: the bottleneck, a timeline prediction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from .. import naive
from ..cleanup import describeError
from ..lifecycle import PipelineContext
from ..metrics import StageMetrics, measuredStage
from ..testing import FakeClock
from .scratch import (
    quietLogging,
)
from .verdict import NotYet, Verdict, correct, exerciseCheck, require

__all__ = [
    "BOTTLENECK_COSTS_MS",
    "OTHER_PIPELINES",
    "TIMELINE_COSTS_MS",
    "checkBottleneck",
    "checkTimelinePrediction",
]


#: Exercise 04.2's costs per record, in ms: the timeline the student reads.
TIMELINE_COSTS_MS = {"source": 0.2, "Parser": 0.3, "Validator": 2.0, "sink": 1.0}


#: Exercise 04.1's costs per input record, in ms, as the starter cell spends them on labClock.
BOTTLENECK_COSTS_MS = {"Calibrator": 0.2, "OutlierFilter": 0.05, "Enricher": 0.6}

#: Other pipelines the student's ``findBottleneck`` must also get right, chosen so that each
#: typical wrong rule (per-record cost, record count, records dropped, the wrong direction,
#: per-output cost times input records, a fixed position or name) picks a wrong stage in at
#: least one of them, and no two of those rules pick the same stages in all of them (so
#: the rule a wrong answer follows can be named): (name, ms per input record, keep one
#: input record in every ``keepEvery``).
OTHER_PIPELINES: dict[str, list[tuple[str, float, int]]] = {
    "ingest": [("Decoder", 0.16, 1), ("Dedup", 0.15, 12), ("Geocoder", 2.0, 1)],
    "scoring": [("Parse", 0.05, 1), ("Score", 0.4, 4), ("Store", 1.0, 1)],
    "cleaning": [("Trim", 0.1, 1), ("Sample", 0.02, 10), ("Classify", 3.0, 1)],
}
_RECORDS = 2000  # records through each of OTHER_PIPELINES


def _measuredRun(stages: list[tuple[str, float, int]]) -> dict[str, StageMetrics]:
    """Run ``stages`` over ``_RECORDS`` records on a FakeClock; the engine's metrics, in order."""
    clock = FakeClock()

    def stage(name: str, costMs: float, keepEvery: int) -> Any:
        class Costly:
            @measuredStage(name, clock=clock)
            def process(self, inputStream: Iterator[int]) -> Iterator[int]:
                for record in inputStream:
                    clock.spend(costMs / 1000.0, name)
                    if record % keepEvery == 0:
                        yield record

        return Costly()

    class Source:
        def stream(self) -> Iterator[int]:
            yield from range(_RECORDS)

    class Sink:
        def consume(self, stream: Iterator[int]) -> None:
            for _ in stream:
                pass

    with PipelineContext(Source(), pipelineId="bottleneck-check") as ctx:
        ctx.run(stages=[stage(*spec) for spec in stages], sink=Sink())
    return {
        name: metrics for name, metrics in ctx.metrics.items() if isinstance(metrics, StageMetrics)
    }


def _requireLabMetrics(metrics: Any) -> dict[str, StageMetrics]:
    """The student's ``ctx.metrics``: the engine's, for the three stages, on labClock."""
    require(
        metrics,
        "ctx.metrics is empty: no stage was measured",
        hint="a stage appears in ctx.metrics once its process() carries the engine's decorator",
    )
    expected = list(BOTTLENECK_COSTS_MS)
    require(
        list(metrics) == expected,
        f"ctx.metrics holds {list(metrics)}, expected the stages {expected} in pipeline order",
        hint="each of the three stages needs its own decorator, named exactly as its class",
    )
    stages: dict[str, StageMetrics] = {}
    for name, value in metrics.items():
        require(
            isinstance(value, StageMetrics),
            f"ctx.metrics[{name!r}] is a {type(value).__name__}, not the engine's StageMetrics",
            hint="use pipeline_lib.measuredStage, the engine's decorator, not slide 9's",
        )
        stages[name] = value
    for name, stage in stages.items():
        spent = stage.recordsIn * BOTTLENECK_COSTS_MS[name]
        measured = stage.ownSeconds * 1000.0
        require(
            measured > 0.5 * spent,
            f"{name} measured {measured:.3f} ms of own time, but it spends "
            f"{BOTTLENECK_COSTS_MS[name]} ms per record on labClock ({spent:.0f} ms for its "
            f"{stage.recordsIn} records): its decorator read another clock",
            hint="the stages spend their time on labClock, and a decorator reads the clock "
            "it is given: the real one unless told otherwise",
        )
        require(
            abs(measured - spent) <= 0.01 * spent,
            f"{name} measured {measured:.1f} ms of own time, but the starter spends "
            f"{spent:.1f} ms on its {stage.recordsIn} records",
            hint="keep the starter's stages and costs as they are: add only the decorators",
        )
    return stages


def _askStudent(findBottleneck: Any, metrics: dict[str, StageMetrics], where: str) -> Any:
    """``findBottleneck(metrics)``; an exception from it is reported as itself."""
    try:
        return findBottleneck(dict(metrics))
    except Exception as error:
        raise NotYet(
            f"your findBottleneck raised {describeError(error)} on {where}",
            hint="the metrics map each stage's name to its StageMetrics; look at their "
            "attributes (recordsIn, recordsOut, meanLatencyMs, ownSeconds, ...)",
        ) from None


def _requireName(answer: Any, metrics: dict[str, StageMetrics], where: str) -> None:
    """``answer`` is one of the stage names of ``metrics``, or the mistake is named."""
    require(
        answer is not None,
        f"findBottleneck returned None on {where}",
        hint="it still returns the starter's None: make it return a stage's name",
    )
    require(
        isinstance(answer, str),
        f"findBottleneck returned a {type(answer).__name__} on {where}, not a stage's name",
        hint="return the key of ctx.metrics (a str), not the metrics object",
    )
    require(
        answer in metrics,
        f"findBottleneck returned {answer!r} on {where}, whose stages are {' → '.join(metrics)}",
        hint="it must read the metrics it is given: a name written by hand, or one taken "
        "from ctx.metrics instead of the argument, is right for one pipeline only",
    )


def _costliest(metrics: dict[str, StageMetrics]) -> str:
    """The model answer: the stage with the most own time."""
    return max(metrics, key=lambda name: metrics[name].ownSeconds)


def _picking(key: Callable[[StageMetrics], float]) -> Callable[[dict[str, StageMetrics]], str]:
    """The rule "the stage with the largest ``key``" (``max``: the first of equals)."""
    return lambda metrics: max(metrics, key=lambda name: key(metrics[name]))


class _WrongRule(NamedTuple):
    """A typical wrong way to choose: the stage it picks, what to say of it, the hint."""

    picks: Callable[[dict[str, StageMetrics]], str]
    says: Callable[[StageMetrics], str]  # of the stage it picked, on the pipeline shown
    hint: str


#: The typical wrong rules, in the order their hints are tried. A rule's hint is given
#: only when the student's function picks what the rule picks on *every* pipeline tried:
#: a rule that agrees with a wrong answer on one pipeline by accident is not named.
_WRONG_RULES = [
    _WrongRule(
        _picking(lambda m: m.meanLatencyMs),
        lambda m: (
            f"{m.stageName} is the slowest per record, but it handles only {m.recordsIn} records"
        ),
        "a per-record number (mean latency, throughput) leaves out how many records a "
        "stage handles",
    ),
    _WrongRule(
        _picking(lambda m: -m.throughputRps),
        lambda m: (
            f"{m.stageName} has the lowest throughput, but it handles only {m.recordsIn} records"
        ),
        "throughput is per record too: it leaves out how many records a stage handles",
    ),
    _WrongRule(
        _picking(lambda m: m.meanLatencyMs * m.recordsIn),
        lambda m: f"{m.stageName} reads {m.recordsIn} records but passes on {m.recordsOut}",
        "meanLatencyMs is own time per record *out*: multiplied by the records *in*, it "
        "overcounts a stage that drops records",
    ),
    _WrongRule(
        _picking(lambda m: m.recordsIn),
        lambda m: f"{m.stageName} handles the most records",
        "the number of records leaves out what each one costs",
    ),
    _WrongRule(
        _picking(lambda m: m.recordsIn - m.recordsOut),
        lambda m: f"{m.stageName} drops the most records ({m.recordsIn - m.recordsOut})",
        "a record dropped is not time spent: the question is how long each stage's work "
        "takes, over all the records it handles",
    ),
    _WrongRule(
        _picking(lambda m: -m.ownSeconds),
        lambda m: f"{m.stageName} is the stage whose work costs the pipeline the least",
        "check the direction of your comparison (max or min, the sort order)",
    ),
]


def _judgeAnswers(answers: dict[str, Any], cases: dict[str, dict[str, StageMetrics]]) -> None:
    """Accept the stage with the most own time everywhere; else name the rule followed."""
    for where, metrics in cases.items():
        _requireName(answers[where], metrics, where)
    wrong = [where for where, metrics in cases.items() if answers[where] != _costliest(metrics)]
    if not wrong:
        return
    where, metrics = wrong[0], cases[wrong[0]]
    answer, right = answers[where], _costliest(metrics)
    for rule in _WRONG_RULES:
        if all(answers[w] == rule.picks(m) for w, m in cases.items()):
            raise NotYet(
                f"on {where}, {rule.says(metrics[answer])}; {right} costs more in total",
                rule.hint,
            )
    raise NotYet(f"on {where}, findBottleneck picked {answer}; {right} costs more in total")


@exerciseCheck(
    hint="which number in a stage's metrics is its cost to the pipeline, summed over all "
    "the records it handled?"
)
def checkBottleneck(metrics: Any, findBottleneck: Any) -> Verdict:
    """Exercise 04.1: ``findBottleneck(metrics)`` names the stage with the most own time.

    ``metrics`` is the student's ``ctx.metrics`` (the engine's, measured on labClock); the
    function is tried on it and on :data:`OTHER_PIPELINES`, so a name written by hand or
    a rule that is right by accident on one pipeline is refused, with the rule named when
    the function follows it on every pipeline.
    """
    stages = _requireLabMetrics(metrics)
    require(
        callable(findBottleneck),
        f"findBottleneck is a {type(findBottleneck).__name__}, not a function",
        hint="keep the starter's def findBottleneck(metrics): the check calls it on other "
        "pipelines too",
    )
    with quietLogging():
        cases = {"this pipeline (ctx.metrics)": stages} | {
            f"the pipeline {label!r}": _measuredRun(spec) for label, spec in OTHER_PIPELINES.items()
        }
    _judgeAnswers(
        {where: _askStudent(findBottleneck, m, where) for where, m in cases.items()}, cases
    )
    total = _costliest(stages)
    return correct(
        f"{total} spent {stages[total].ownSeconds * 1000:.0f} ms of own time, more than any "
        f"other stage, and findBottleneck also finds the costliest stage of "
        f"{len(OTHER_PIPELINES)} other pipelines"
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


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 1e-6


def _requireNumbers(predicted: Any, names: list[str]) -> dict[str, dict[str, float]]:
    require(isinstance(predicted, dict), f"predicted is a {type(predicted).__name__}, not a dict")
    numbers: dict[str, dict[str, float]] = {}
    for version in ("slide", "engine"):
        guess = predicted.get(version)
        require(isinstance(guess, dict), f"predicted[{version!r}] should be a dict of ms by stage")
        numbers[version] = {}
        for name in names:
            value = guess.get(name)
            require(
                isinstance(value, int | float) and not isinstance(value, bool),
                f"predicted[{version!r}][{name!r}] is {value!r}, expected a number of ms",
            )
            numbers[version][name] = float(value)
    return numbers


def _timelineMistakes(
    guess: dict[str, dict[str, float]], measured: dict[str, dict[str, float]]
) -> None:
    """Name the typical misreadings of the timeline, before the general mismatch."""
    costs = TIMELINE_COSTS_MS
    values = [v for version in guess.values() for v in version.values()]
    require(any(values), "every prediction is still the starter's 0.0")
    require(
        not all(_close(guess[v][n] * 1000, measured[v][n]) for v in guess for n in guess[v]),
        "your numbers are the right ones in seconds; the check asks for ms",
        hint="multiply by 1000",
    )

    def same(mine: dict[str, float], theirs: dict[str, float]) -> bool:
        return all(_close(mine[name], theirs[name]) for name in theirs)

    require(
        not (same(guess["slide"], measured["engine"]) or same(guess["engine"], measured["slide"])),
        "your prediction for one decorator is what the other one reports",
        hint="slide 9 times from a stage's yield until it is asked again; the engine times "
        "the stage's own work. Which is which?",
    )
    upstreamIncluded = {"Parser": costs["source"] + costs["Parser"]}
    upstreamIncluded["Validator"] = upstreamIncluded["Parser"] + costs["Validator"]
    for name, withUpstream in upstreamIncluded.items():
        require(
            not _close(guess["engine"][name], withUpstream),
            f"predicted['engine'][{name!r}] = {guess['engine'][name]} ms is the whole of "
            f"{name}'s next(), the time upstream included",
            hint="the engine subtracts the time a stage spends waiting on its own input",
        )
    require(
        not _close(guess["slide"]["Parser"], costs["Validator"]),
        f"predicted['slide']['Parser'] = {guess['slide']['Parser']} ms counts Validator's "
        "work only",
        hint="follow the record Parser yields: who works before Validator asks Parser again?",
    )
    require(
        not _close(guess["slide"]["Parser"], costs["Validator"] + costs["sink"] + costs["source"]),
        f"predicted['slide']['Parser'] = {guess['slide']['Parser']} ms includes the source's "
        "next read",
        hint="slide 9's timer stops the moment Parser is asked again, before it asks the source",
    )
    _slideMisreadings(guess["slide"], measured["slide"])
    require(
        not _close(guess["engine"]["Validator"], costs["Validator"] + costs["Parser"]),
        f"predicted['engine']['Validator'] = {guess['engine']['Validator']} ms subtracts only "
        "the source's read",
        hint="Validator waits on its input for the whole of Parser's next(): whose work "
        "happens in there?",
    )


def _slideMisreadings(guess: dict[str, float], measured: dict[str, float]) -> None:
    """Slide 9's numbers swapped between the stages, or with the stage's own work counted."""
    costs = TIMELINE_COSTS_MS
    require(
        not (
            _close(guess["Parser"], measured["Validator"])
            and _close(guess["Validator"], measured["Parser"])
        ),
        "your slide 9 numbers are swapped between Parser and Validator",
        hint="slide 9's timer for a stage covers everything that runs after its yield: "
        "which stage has more running after it?",
    )
    after = {"Parser": costs["Validator"] + costs["sink"], "Validator": costs["sink"]}
    for name, consumers in after.items():
        require(
            not _close(guess[name], consumers + costs[name]),
            f"predicted['slide'][{name!r}] = {guess[name]} ms counts {name}'s own work too",
            hint="slide 9 starts its timer at the yield, after the stage has done its work",
        )
    cycle = sum(costs.values())
    require(
        not _close(guess["Parser"], cycle),
        f"predicted['slide']['Parser'] = {guess['Parser']} ms is a whole cycle, from one "
        "request to the next",
        hint="slide 9's timer starts when Parser yields, not when Parser is asked",
    )


@exerciseCheck(
    hint="the slide's timer runs from a stage's yield until its consumer asks again; the "
    "engine's is the stage's next() minus the time spent upstream. Walk the table row by row"
)
def checkTimelinePrediction(predicted: Any) -> Verdict:
    """Exercise 04.2: predicted ms per record, ``{"slide": {...}, "engine": {...}}``.

    Both decorators really run on the timeline's costs (a FakeClock), so the answer is
    whatever they measure; typical misreadings are named before the general mismatch.
    """
    names = ["Parser", "Validator"]
    with quietLogging():
        measured = {
            "slide": _timelineRun(naive.measuredStage, names),
            "engine": _timelineRun(measuredStage, names),
        }
    guess = _requireNumbers(predicted, names)
    if any(not _close(guess[v][n], measured[v][n]) for v in measured for n in names):
        _timelineMistakes(guess, measured)
    for version, values in measured.items():
        for name in names:
            require(
                _close(guess[version][name], values[name]),
                f"predicted[{version!r}][{name!r}] is {guess[version][name]!r} ms; the run says "
                "otherwise",
            )
    slide, engine = measured["slide"], measured["engine"]
    return correct(
        f"slide 9 reports Parser {slide['Parser']:.1f} ms and Validator {slide['Validator']:.1f} "
        f"ms (their consumers' work); the engine reports their own {engine['Parser']:.1f} ms "
        f"and {engine['Validator']:.1f} ms"
    )

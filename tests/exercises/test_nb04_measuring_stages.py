"""Notebook 04's checks: right answers, however written, get ✅; each typical wrong one a ❌
whose hint names that mistake; nothing raises."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pipeline_lib import ListSink, PipelineContext, SensorSource, StageMetrics, measuredStage
from pipeline_lib.exercises import checkBottleneck, checkTimelinePrediction
from pipeline_lib.naive import NaiveStageMetrics
from pipeline_lib.testing import FakeClock

MS = 1e-3
NAMES = ["Calibrator", "OutlierFilter", "Enricher"]
COSTS = {"Calibrator": 0.2 * MS, "OutlierFilter": 0.05 * MS, "Enricher": 0.6 * MS}


def labMetrics(
    *, measured: bool = True, clock: Any = None, onFakeClock: tuple[str, ...] = tuple(NAMES)
) -> dict[str, Any]:
    """Exercise 04.1's pipeline: the starter's costs; ``onFakeClock`` get ``clock=labClock``."""
    labClock = FakeClock()

    def stage(name: str) -> Any:
        def process(self: Any, inputStream: Iterator[Any]) -> Iterator[Any]:
            for reading in inputStream:
                labClock.spend(COSTS[name])
                if name != "OutlierFilter" or 60.0 <= reading.value <= 80.0:
                    yield reading

        if measured:
            if name in onFakeClock:
                process = measuredStage(name, clock=clock or labClock)(process)
            else:
                process = measuredStage(name)(process)  # forgot clock=labClock
        return type(name, (), {"process": process})()

    with PipelineContext(SensorSource(count=1000, seed=42), pipelineId="lab") as ctx:
        ctx.run(stages=[stage(name) for name in NAMES], sink=ListSink())
    return ctx.metrics


@pytest.fixture(scope="module")
def lab() -> dict[str, Any]:
    return labMetrics()


def byOwnTime(metrics: dict[str, Any]) -> str:
    """The model answer."""
    return max(metrics, key=lambda name: metrics[name].ownSeconds)


def byLatencyTimesOutput(metrics: dict[str, Any]) -> Any:
    """Right, written differently: mean own time per output record times the records out."""
    totals = sorted((m.meanLatencyMs * m.recordsOut, name) for name, m in metrics.items())
    return totals[-1][1]


def byLoop(metrics: dict[str, Any]) -> Any:
    """Right, as a loop over the values, reading each metrics object's own name."""
    best = None
    for stage in metrics.values():
        if best is None or stage.ownSeconds > best.ownSeconds:
            best = stage
    return best.stageName if best is not None else None


def byInputOverThroughput(metrics: dict[str, Any]) -> Any:
    """Right, from the report's numbers: records in / (records in per second) = seconds."""
    seconds = {name: m.recordsIn / m.throughputRps for name, m in metrics.items()}
    return sorted(seconds, key=seconds.__getitem__)[-1]


@pytest.mark.parametrize(
    "findBottleneck", [byOwnTime, byLatencyTimesOutput, byLoop, byInputOverThroughput]
)
def test_bottleneck_right_answers_written_differently_pass(
    lab: dict[str, Any], findBottleneck: Callable[[Any], Any]
) -> None:
    verdict = checkBottleneck(lab, findBottleneck)
    assert verdict, verdict
    assert "Calibrator" in verdict.message


WRONG_RULES: list[tuple[str, Callable[[Any], Any], str]] = [
    # (what the student did, their findBottleneck, words the hint must contain)
    ("hard-coded name", lambda metrics: "Calibrator", "written by hand"),
    (
        "the slide's rule: highest mean latency",
        lambda m: max(m, key=lambda n: m[n].meanLatencyMs),
        "per-record",
    ),
    (
        "lowest throughput",
        lambda m: min(m, key=lambda n: m[n].throughputRps),
        "throughput is per record",
    ),
    (
        "own time per record in (1 / throughput)",
        lambda m: max(m, key=lambda n: m[n].ownSeconds / m[n].recordsIn),
        "throughput is per record",
    ),
    (
        "the stage that drops the most records",
        lambda m: max(m, key=lambda n: m[n].recordsIn - m[n].recordsOut),
        "a record dropped is not time spent",
    ),
    ("wrong direction", lambda m: min(m, key=lambda n: m[n].ownSeconds), "direction"),
    ("most records", lambda m: max(m, key=lambda n: m[n].recordsIn), "number of records"),
    (
        "per-output latency times records in",
        lambda m: max(m, key=lambda n: m[n].meanLatencyMs * m[n].recordsIn),
        "per record *out*",
    ),
    (
        "the metrics object, not its name",
        lambda m: max(m.values(), key=lambda s: s.ownSeconds),
        "key of ctx.metrics",
    ),
    ("the starter", lambda metrics: None, "starter"),
]


@pytest.mark.parametrize(
    ("mistake", "findBottleneck", "hintWords"), WRONG_RULES, ids=[w[0] for w in WRONG_RULES]
)
def test_bottleneck_typical_wrong_answers_are_refused_with_their_mistake_named(
    lab: dict[str, Any], mistake: str, findBottleneck: Callable[[Any], Any], hintWords: str
) -> None:
    verdict = checkBottleneck(lab, findBottleneck)
    assert not verdict, mistake
    assert hintWords in verdict.hint, (mistake, str(verdict))
    assert "ownSeconds" not in str(verdict), "a hint must not give the answer away"


GENERAL_HINT = "summed over all the records it handled"

# Rules that pick what a named mistake picks (the cheapest stage, the one dropping most,
# the slowest per record) on *one* pipeline by accident: they are refused, but not told a
# mistake they did not make; they get the exercise's general hint.
UNNAMED_RULES: list[tuple[str, Callable[[Any], Any]]] = [
    (
        "p99 times records in",
        lambda m: max(m, key=lambda n: m[n].percentileMs(99) * m[n].recordsIn),
    ),
    (
        "max latency times records out",
        lambda m: max(m, key=lambda n: m[n].maxLatencyMs * m[n].recordsOut),
    ),
]


@pytest.mark.parametrize(
    ("mistake", "findBottleneck"), UNNAMED_RULES, ids=[rule[0] for rule in UNNAMED_RULES]
)
def test_bottleneck_a_rule_matching_a_named_mistake_on_one_pipeline_only_is_not_misnamed(
    lab: dict[str, Any], mistake: str, findBottleneck: Callable[[Any], Any]
) -> None:
    verdict = checkBottleneck(lab, findBottleneck)
    assert not verdict, mistake
    assert GENERAL_HINT in verdict.hint, (mistake, str(verdict))
    assert "direction" not in verdict.hint and "dropped" not in verdict.hint, str(verdict)


def test_bottleneck_the_direction_hint_needs_the_cheapest_stage_on_every_pipeline(
    lab: dict[str, Any],
) -> None:
    def cheapestHereOnly(metrics: dict[str, Any]) -> Any:
        """The cheapest stage on the lab pipeline, the costliest elsewhere."""
        pick = min if "OutlierFilter" in metrics else max
        return pick(metrics, key=lambda name: metrics[name].ownSeconds)

    verdict = checkBottleneck(lab, cheapestHereOnly)
    assert not verdict and "direction" not in verdict.hint, str(verdict)
    reversedSort = checkBottleneck(lab, lambda m: sorted(m, key=lambda n: -m[n].ownSeconds)[-1])
    assert not reversedSort and "direction" in reversedSort.hint, str(reversedSort)


def test_bottleneck_a_name_instead_of_a_function_is_refused(lab: dict[str, Any]) -> None:
    verdict = checkBottleneck(lab, "Calibrator")  # the old exercise's hard-coded answer
    assert not verdict and "not a function" in verdict.message


def test_bottleneck_an_exception_in_the_students_function_is_reported_as_itself(
    lab: dict[str, Any],
) -> None:
    verdict = checkBottleneck(lab, lambda metrics: metrics["Calibrator"].total)
    assert not verdict
    assert "your findBottleneck raised AttributeError" in verdict.message


def test_bottleneck_forgetting_the_lab_clock_is_refused_even_when_real_time_adds_up() -> None:
    slowRealClock = labMetrics(clock=lambda: time.perf_counter() * 1000)  # wall time, inflated
    for metrics in (labMetrics(clock=time.perf_counter), slowRealClock):
        verdict = checkBottleneck(metrics, byOwnTime)
        assert not verdict
        assert "another clock" in verdict.message or "starter spends" in verdict.message
    partial = checkBottleneck(labMetrics(onFakeClock=("Calibrator", "OutlierFilter")), byOwnTime)
    assert not partial and partial.message.startswith("Enricher measured")
    assert "clock it is given" in partial.hint


def test_bottleneck_a_stage_left_undecorated_is_named() -> None:
    labClock = FakeClock()

    def stage(name: str, decorated: bool) -> Any:
        def process(self: Any, inputStream: Iterator[Any]) -> Iterator[Any]:
            for reading in inputStream:
                labClock.spend(COSTS[name])
                yield reading

        if decorated:
            process = measuredStage(name, clock=labClock)(process)
        return type(name, (), {"process": process})()

    with PipelineContext(SensorSource(count=200, seed=42), pipelineId="partial") as ctx:
        ctx.run(stages=[stage(n, n != "Enricher") for n in NAMES], sink=ListSink())
    verdict = checkBottleneck(ctx.metrics, byOwnTime)
    assert not verdict and "['Calibrator', 'OutlierFilter']" in verdict.message
    assert "each of the three stages" in verdict.hint


def test_bottleneck_needs_every_stage_measured_by_the_engine() -> None:
    assert "empty" in checkBottleneck(labMetrics(measured=False), byOwnTime).message
    naive = {name: NaiveStageMetrics(name) for name in NAMES}
    verdict = checkBottleneck(naive, byOwnTime)
    assert "not slide 9's" in verdict.hint
    assert not checkBottleneck({"Other": StageMetrics("Other")}, byOwnTime)
    assert not checkBottleneck(42, byOwnTime)


RIGHT = {"slide": {"Parser": 3.0, "Validator": 1.0}, "engine": {"Parser": 0.3, "Validator": 2.0}}


@pytest.mark.parametrize(
    "predicted",
    [
        RIGHT,
        {"engine": {"Validator": 2, "Parser": 0.3}, "slide": {"Validator": 1, "Parser": 3}},
        {
            "slide": {"Parser": 2.0 + 1.0, "Validator": 1.0},
            "engine": {"Parser": 0.5 - 0.2, "Validator": 2.5 - 0.5},
        },
    ],
)
def test_timeline_prediction_right_answers_pass(predicted: Any) -> None:
    verdict = checkTimelinePrediction(predicted)
    assert verdict, verdict


@pytest.mark.parametrize(
    ("predicted", "hintWords"),
    [
        ({"slide": RIGHT["engine"], "engine": RIGHT["engine"]}, "Which is which"),  # own time twice
        ({"slide": RIGHT["engine"], "engine": RIGHT["slide"]}, "Which is which"),  # swapped
        ({"slide": RIGHT["slide"], "engine": {"Parser": 0.5, "Validator": 2.5}}, "subtracts"),
        ({"slide": {"Parser": 2.0, "Validator": 1.0}, "engine": RIGHT["engine"]}, "who works"),
        ({"slide": {"Parser": 3.2, "Validator": 1.0}, "engine": RIGHT["engine"]}, "before it asks"),
        ({v: {n: x / 1000 for n, x in d.items()} for v, d in RIGHT.items()}, "1000"),
        # slide 9's numbers swapped between the two stages
        (
            {"slide": {"Parser": 1.0, "Validator": 3.0}, "engine": RIGHT["engine"]},
            "after its yield",
        ),
        # the stage's own work counted into slide 9's timer (Parser, then Validator)
        (
            {"slide": {"Parser": 3.3, "Validator": 1.0}, "engine": RIGHT["engine"]},
            "after the stage",
        ),
        (
            {"slide": {"Parser": 3.0, "Validator": 3.0}, "engine": RIGHT["engine"]},
            "after the stage",
        ),
        # a whole cycle, from Parser being asked to Parser being asked again
        ({"slide": {"Parser": 3.5, "Validator": 1.0}, "engine": RIGHT["engine"]}, "not when"),
        # Validator's engine time minus the source's read only, not Parser's whole next()
        ({"slide": RIGHT["slide"], "engine": {"Parser": 0.3, "Validator": 2.3}}, "whole of Parser"),
    ],
)
def test_timeline_prediction_typical_misreadings_are_named(predicted: Any, hintWords: str) -> None:
    verdict = checkTimelinePrediction(predicted)
    assert not verdict
    assert hintWords in verdict.hint, str(verdict)


@pytest.mark.parametrize(
    "predicted",
    [
        {"slide": {"Parser": 0.0, "Validator": 0.0}, "engine": {"Parser": 0.0, "Validator": 0.0}},
        {"slide": RIGHT["slide"]},
        {"slide": RIGHT["slide"], "engine": {"Parser": "0.3", "Validator": 2.0}},
        {"slide": RIGHT["slide"], "engine": {"Parser": True, "Validator": 2.0}},
        None,
        [],
    ],
)
def test_timeline_prediction_other_wrong_answers_fail_without_raising(predicted: Any) -> None:
    assert not checkTimelinePrediction(predicted)

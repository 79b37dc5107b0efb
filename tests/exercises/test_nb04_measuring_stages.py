"""Notebook 04's checks: the right answer gets ✅, wrong ones a ❌ with a reason, never a raise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pipeline_lib import ListSink, PipelineContext, SensorSource, StageMetrics, measuredStage
from pipeline_lib.exercises import checkBottleneck, checkTimelinePrediction
from pipeline_lib.naive import NaiveStageMetrics
from pipeline_lib.testing import FakeClock

MS = 1e-3
NAMES = ["Calibrator", "OutlierFilter", "Enricher"]


def labMetrics(*, measured: bool = True, clock: Any = None) -> dict[str, Any]:
    """Exercise 04.1's pipeline: per-record costs 0.2, 0.05 and 0.6 ms; the filter keeps ~30 %."""
    fake = FakeClock()
    costs = {"Calibrator": 0.2 * MS, "OutlierFilter": 0.05 * MS, "Enricher": 0.6 * MS}

    def stage(name: str) -> Any:
        def process(self: Any, inputStream: Iterator[Any]) -> Iterator[Any]:
            for reading in inputStream:
                fake.spend(costs[name])
                if name != "OutlierFilter" or 60.0 <= reading.value <= 80.0:
                    yield reading

        if measured:
            process = measuredStage(name, clock=clock or fake)(process)
        return type(name, (), {"process": process})()

    with PipelineContext(SensorSource(count=1000, seed=42), pipelineId="lab") as ctx:
        ctx.run(stages=[stage(name) for name in NAMES], sink=ListSink())
    return ctx.metrics


def test_bottleneck_is_the_stage_with_the_most_own_time() -> None:
    verdict = checkBottleneck(labMetrics(), "Calibrator")
    assert verdict, verdict
    assert "Calibrator" in verdict.message


def test_bottleneck_by_mean_latency_is_refused_with_the_reason() -> None:
    verdict = checkBottleneck(labMetrics(), "Enricher")
    assert not verdict
    assert "slowest per record" in verdict.message and "Calibrator costs more" in verdict.message


@pytest.mark.parametrize("answer", [None, "OutlierFilter", "nonsense", 3])
def test_bottleneck_other_wrong_answers_fail(answer: Any) -> None:
    assert not checkBottleneck(labMetrics(), answer)


def test_bottleneck_needs_the_stages_measured_on_the_fake_clock() -> None:
    assert "empty" in checkBottleneck(labMetrics(measured=False), "Calibrator").message
    realClock = checkBottleneck(labMetrics(clock=lambda: 0.0), "Calibrator")
    assert not realClock and "clock=labClock" in realClock.message


def test_bottleneck_refuses_the_slides_metrics_and_odd_input_without_raising() -> None:
    naive = {name: NaiveStageMetrics(name) for name in NAMES}
    assert "pipeline_lib.measuredStage" in checkBottleneck(naive, "Calibrator").message
    assert not checkBottleneck({"Other": StageMetrics("Other")}, "Other")
    assert not checkBottleneck(42, "Calibrator")


RIGHT = {"slide": {"Parser": 3.0, "Validator": 1.0}, "engine": {"Parser": 0.3, "Validator": 2.0}}


def test_timeline_prediction_right_answer_passes() -> None:
    verdict = checkTimelinePrediction(RIGHT)
    assert verdict, verdict


@pytest.mark.parametrize(
    "predicted",
    [
        {"slide": {"Parser": 0.3, "Validator": 2.0}, "engine": RIGHT["engine"]},  # own time twice
        {"slide": RIGHT["slide"], "engine": {"Parser": 0.5, "Validator": 2.5}},  # not subtracted
        {"slide": RIGHT["slide"]},
        {"slide": RIGHT["slide"], "engine": {"Parser": "0.3", "Validator": 2.0}},
        {"slide": RIGHT["slide"], "engine": {"Parser": True, "Validator": 2.0}},
        None,
        [],
    ],
)
def test_timeline_prediction_wrong_answers_fail_without_raising(predicted: Any) -> None:
    assert not checkTimelinePrediction(predicted)

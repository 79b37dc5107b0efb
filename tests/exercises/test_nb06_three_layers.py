"""Notebook 06's checks: a right answer gets ✅, a wrong one ❌ with a hint, never an exception."""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from pipeline_lib import (
    Normalizer,
    PipelineConfig,
    PositiveFloat,
    SensorReading,
    StageMetrics,
    ThresholdFilter,
    WindowAverage,
    measuredStage,
    retryOnFailure,
)
from pipeline_lib.exercises import (
    checkBottleneckStage,
    checkSensorBounds,
    checkTwoFaultsOnce,
)
from pipeline_lib.naive import retryOnFailure as naiveRetryOnFailure

# -- exercise 1: a fourth measured stage, and the bottleneck -----------------------------


class MeasuredFilter(ThresholdFilter):
    @measuredStage("ThresholdFilter")
    def process(self, inputStream: Iterator[SensorReading]) -> Iterator[SensorReading]:
        return super().process(inputStream)


class MeasuredNormalizer(Normalizer):
    @measuredStage("Normalizer")
    def process(self, inputStream: Iterator[SensorReading]) -> Iterator[SensorReading]:
        return super().process(inputStream)


class MeasuredWindow(WindowAverage):
    @measuredStage("WindowAverage")
    def process(self, inputStream: Iterator[SensorReading]) -> Iterator[SensorReading]:
        return super().process(inputStream)


class MedianSmoother:
    def process(self, inputStream: Iterator[SensorReading]) -> Iterator[SensorReading]:
        windows: dict[str, deque[float]] = {}
        for reading in inputStream:
            window = windows.setdefault(reading.sensorId, deque(maxlen=25))
            window.append(reading.value)
            yield replace(reading, value=statistics.median(window))


class MeasuredMedian(MedianSmoother):
    @measuredStage("MedianSmoother")
    def process(self, inputStream: Iterator[SensorReading]) -> Iterator[SensorReading]:
        return super().process(inputStream)


def threeStages() -> list[Any]:
    return [MeasuredFilter(20.0, 80.0), MeasuredNormalizer(20.0, 80.0), MeasuredWindow(5)]


def mostOwnTime(metrics: dict[str, StageMetrics]) -> str:
    return max(metrics, key=lambda name: metrics[name].ownSeconds)


def test_four_measured_stages_and_the_most_own_time_pass() -> None:
    verdict = checkBottleneckStage(lambda: [*threeStages(), MeasuredMedian()], mostOwnTime)
    assert verdict, verdict
    assert "MedianSmoother" in str(verdict)


def test_three_stages_are_not_four() -> None:
    verdict = checkBottleneckStage(threeStages, mostOwnTime)
    assert not verdict and "returned 3 stages" in str(verdict)


def test_an_unmeasured_fourth_stage_is_named() -> None:
    verdict = checkBottleneckStage(lambda: [*threeStages(), MedianSmoother()], mostOwnTime)
    assert not verdict and "3 measured stages" in str(verdict)


def test_the_highest_mean_latency_is_not_the_bottleneck() -> None:
    def slowestPerRecord(metrics: dict[str, StageMetrics]) -> str:
        return max(metrics, key=lambda name: metrics[name].meanLatencyMs)

    verdict = checkBottleneckStage(lambda: [*threeStages(), MeasuredMedian()], slowestPerRecord)
    assert not verdict and "'Busy' spends the most own time" in str(verdict)


def test_a_bottleneck_function_that_raises_gets_a_verdict() -> None:
    verdict = checkBottleneckStage(lambda: [*threeStages(), MeasuredMedian()], lambda m: 1 / 0)
    assert not verdict and "ZeroDivisionError" in str(verdict)


# -- exercise 2: the pipeline file rejects a bad config ---------------------------------


class SensorBound(PositiveFloat):
    def validate(self, value: Any) -> float:
        value = super().validate(value)
        if value > 100.0:
            raise ValueError(f"{self.qualifiedName} must be <= 100.0, got {value!r}")
        return value


class IngestConfig(PipelineConfig):
    filterMin = SensorBound()
    filterMax = SensorBound()


def test_bounds_above_the_sensor_range_are_refused_in_files_and_assignments() -> None:
    verdict = checkSensorBounds(IngestConfig)
    assert verdict, verdict


def test_the_plain_config_accepts_the_typo() -> None:
    verdict = checkSensorBounds(PipelineConfig)
    assert not verdict and "accepted filterMax = 800.0" in str(verdict)


def test_a_bound_that_refuses_100_itself_is_too_strict() -> None:
    class Strict(PositiveFloat):
        def validate(self, value: Any) -> float:
            value = super().validate(value)
            if value >= 100.0:
                raise ValueError(f"{self.qualifiedName} must be < 100.0, got {value!r}")
            return value

    class StrictConfig(PipelineConfig):
        filterMax = Strict()

    verdict = checkSensorBounds(StrictConfig)
    assert not verdict and "100.0" in str(verdict)


# -- exercise 3: two transient faults, each record once ---------------------------------


class ResilientHub:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    @retryOnFailure(maxAttempts=3, delaySeconds=0.0)
    def stream(self, resumeAfter: int = 0) -> Iterator[Any]:
        return self.inner.stream(resumeAfter=resumeAfter)


class ImpatientHub(ResilientHub):
    @retryOnFailure(maxAttempts=2, delaySeconds=0.0)
    def stream(self, resumeAfter: int = 0) -> Iterator[Any]:
        return self.inner.stream(resumeAfter=resumeAfter)


class RestartingHub(ResilientHub):
    @naiveRetryOnFailure(maxAttempts=3, delaySeconds=0.0)
    def stream(self) -> Iterator[Any]:
        return self.inner.stream()  # type: ignore[no-any-return]


def test_three_attempts_survive_two_faults_exactly_once() -> None:
    verdict = checkTwoFaultsOnce(ResilientHub)
    assert verdict, verdict


def test_two_attempts_give_up_on_the_second_fault() -> None:
    verdict = checkTwoFaultsOnce(ImpatientHub)
    assert not verdict and "the run failed after 2 injected fault(s)" in str(verdict)


def test_the_slides_retry_survives_but_duplicates() -> None:
    verdict = checkTwoFaultsOnce(RestartingHub)
    assert not verdict and "210 records were delivered twice" in str(verdict)


def test_a_hub_without_stream_gets_a_verdict() -> None:
    verdict = checkTwoFaultsOnce(lambda inner: object())
    assert not verdict and "stream" in str(verdict)

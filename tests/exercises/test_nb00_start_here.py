"""Exercise 00.1's check tells a per-sensor spike filter from the typical wrong ones."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from pipeline_lib import SensorSource
from pipeline_lib.exercises import checkSpikeFilter
from pipeline_lib.exercises.nb00_start_here import keepWithoutSpikes

# -- right answers, written differently ----------------------------------------------------


class PerSensorDict:
    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        lastKept: dict[str, float] = {}
        for reading in inputStream:
            previous = lastKept.get(reading.sensorId)
            if previous is None or abs(reading.value - previous) <= 40:
                lastKept[reading.sensorId] = reading.value
                yield reading


class PerSensorDefaultdict:
    def __init__(self, maxJump: float = 40.0) -> None:
        self.maxJump = maxJump

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        lastKept: defaultdict[str, float | None] = defaultdict(lambda: None)
        for reading in inputStream:
            last = lastKept[reading.sensorId]
            if last is not None and abs(reading.value - last) > self.maxJump:
                continue
            lastKept[reading.sensorId] = reading.value
            yield reading


# -- typical wrong answers -------------------------------------------------------------------


class OneLastKept:
    """The old model answer: one lastKept shared by all sensors."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        lastKept = None
        for reading in inputStream:
            if lastKept is None or abs(reading.value - lastKept) <= 40:
                lastKept = reading.value
                yield reading


class LastSeen:
    """Compares with the last reading seen, so the reading after a spike is dropped too."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        lastSeen: dict[str, float] = {}
        for reading in inputStream:
            previous = lastSeen.get(reading.sensorId)
            lastSeen[reading.sensorId] = reading.value
            if previous is None or abs(reading.value - previous) <= 40:
                yield reading


class HardCoded:
    """Drops the two spikes of the example by value."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        for reading in inputStream:
            if reading.value not in (130.0, -20.0):
                yield reading


class ReturnsAList:
    def process(self, inputStream: Iterator[Any]) -> list[Any]:
        return list(inputStream)


class PassThrough:
    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        yield from inputStream


def test_the_reference_drops_few_readings_per_sensor_and_one_last_kept_drops_many() -> None:
    readings = list(SensorSource(count=300, seed=42).stream())
    perSensor = len(readings) - len(keepWithoutSpikes(readings))
    shared = len(readings) - len(list(OneLastKept().process(iter(readings))))
    assert perSensor == 5
    assert shared == 82


def test_two_right_answers_written_differently_are_accepted() -> None:
    for answer in (PerSensorDict(), PerSensorDefaultdict()):
        verdict = checkSpikeFilter(answer)
        assert verdict.passed, verdict
        assert "5 of 300" in verdict.message


def test_one_last_kept_across_sensors_is_rejected_naming_the_other_sensor() -> None:
    verdict = checkSpikeFilter(OneLastKept())
    assert not verdict.passed
    assert "dropped 82 of 300" in verdict.message
    assert "*another* sensor" in verdict.message


def test_comparing_with_the_last_reading_seen_is_rejected_naming_that() -> None:
    verdict = checkSpikeFilter(LastSeen())
    assert not verdict.passed
    assert "last reading *seen*" in verdict.message


def test_a_hard_coded_filter_is_rejected_on_the_sensor_data() -> None:
    verdict = checkSpikeFilter(HardCoded())
    assert not verdict.passed
    assert "SensorSource(count=300, seed=42)" in verdict.message


def test_a_pass_through_a_list_and_an_object_without_process_are_rejected() -> None:
    assert "130.0" in checkSpikeFilter(PassThrough()).message
    assert "generator function" in checkSpikeFilter(ReturnsAList()).message
    assert "no process() method" in checkSpikeFilter(object()).message


def test_the_hint_points_at_the_idea_without_the_code() -> None:
    verdict = checkSpikeFilter(OneLastKept())
    assert "per sensor" in verdict.hint and "yield" not in verdict.hint

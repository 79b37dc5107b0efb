"""Exercise 00.1's and 00.2's checks tell right answers from the typical wrong ones.

Each wrong answer is rejected with a message and a hint that name *its* mistake; right
answers written in different ways are accepted.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline_lib import SensorSource
from pipeline_lib.exercises import checkCountingSink, checkSpikeFilter
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


class StateOnTheInstance:
    """Right, with the memory made in __init__ (each run gets a fresh stage)."""

    def __init__(self) -> None:
        self.lastKept: dict[str, float] = {}

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        for reading in inputStream:
            last = self.lastKept.setdefault(reading.sensorId, reading.value)
            if abs(reading.value - last) <= 40:
                self.lastKept[reading.sensorId] = reading.value
                yield reading


class ReturnsAGenerator:
    """Right: process() is not itself a generator function, but returns a generator."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        return (r for r in keepWithoutSpikes(inputStream))


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


class FirstReadingAsReference:
    """Compares with each sensor's first reading, which never moves."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        first: dict[str, float] = {}
        for reading in inputStream:
            if abs(reading.value - first.setdefault(reading.sensorId, reading.value)) <= 40:
                yield reading


class StrictComparison:
    """Drops a jump of exactly 40 (< for <=)."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        lastKept: dict[str, float] = {}
        for reading in inputStream:
            previous = lastKept.get(reading.sensorId)
            if previous is None or abs(reading.value - previous) < 40:
                lastKept[reading.sensorId] = reading.value
                yield reading


class UpwardOnly:
    """No abs(): a spike downwards passes."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        lastKept: dict[str, float] = {}
        for reading in inputStream:
            previous = lastKept.get(reading.sensorId)
            if previous is None or reading.value - previous <= 40:
                lastKept[reading.sensorId] = reading.value
                yield reading


class DropsTheFirst:
    """Keeps a reading only when there is something to compare it with."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        lastKept: dict[str, float] = {}
        for reading in inputStream:
            previous = lastKept.setdefault(reading.sensorId, reading.value)
            if previous != reading.value and abs(reading.value - previous) <= 40:
                lastKept[reading.sensorId] = reading.value
                yield reading


class RelativeJump:
    """A 40 % jump rather than 40 units: per sensor, but the wrong measure."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        lastKept: dict[str, float] = {}
        for reading in inputStream:
            previous = lastKept.get(reading.sensorId)
            if previous is None or abs(reading.value - previous) <= 0.4 * abs(previous):
                lastKept[reading.sensorId] = reading.value
                yield reading


class RoundsTheValues:
    """Filters right but yields changed readings."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        for reading in keepWithoutSpikes(inputStream):
            yield reading._replace(value=round(reading.value))


class FixedBand:
    """ThresholdFilter's idea: a reading is a spike by its size."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        for reading in inputStream:
            if 0.0 <= reading.value <= 100.0:
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


@pytest.mark.parametrize(
    "answer", [PerSensorDict, PerSensorDefaultdict, StateOnTheInstance, ReturnsAGenerator]
)
def test_right_answers_written_differently_are_accepted(answer: type) -> None:
    verdict = checkSpikeFilter(answer())
    assert verdict.passed, verdict
    assert "5 of 300" in verdict.message


@pytest.mark.parametrize(
    ("answer", "said", "hinted"),
    [
        (OneLastKept, "*another* sensor", "each sensor"),
        (LastSeen, "last reading *seen*", "only when you keep"),
        (HardCoded, "climbs 40 at a time", "more than 40 away"),
        (FirstReadingAsReference, "does not follow the sensor", "moves as the sensor drifts"),
        (StrictComparison, "exactly 40 was dropped", "40 away is allowed, 41 is not"),
        (UpwardOnly, "the spike 130.0 was dropped but -20.0 was kept", "down as well as up"),
        (DropsTheFirst, "first reading, 50.0, was dropped", "nothing to compare with"),
        (RelativeJump, "your stage kept [50.0]", "in the reading's own units"),
        (RoundsTheValues, "not in its input", "unchanged"),
        (FixedBand, "not by its size", "compare each new reading"),
        (PassThrough, "130.0", "per sensor"),
        (ReturnsAList, "not a generator", "generator function"),
    ],
)
def test_each_typical_wrong_answer_is_rejected_naming_its_own_mistake(
    answer: type, said: str, hinted: str
) -> None:
    verdict = checkSpikeFilter(answer())
    assert not verdict.passed
    assert said in verdict.message, verdict
    assert hinted in verdict.hint, verdict


def test_a_wrong_diagnosis_is_not_given_to_a_per_sensor_answer() -> None:
    for answer in (RelativeJump(), RoundsTheValues(), HardCoded()):
        assert "*another* sensor" not in checkSpikeFilter(answer).message


def test_an_object_without_process_and_a_class_are_told_what_to_pass() -> None:
    assert "no process() method" in checkSpikeFilter(object()).message
    verdict = checkSpikeFilter(PerSensorDict)
    assert not verdict.passed and "checkSpikeFilter(PerSensorDict())" in verdict.message


def test_the_first_hint_points_at_the_idea_without_the_code() -> None:
    verdict = checkSpikeFilter(PassThrough())
    assert "per sensor" in verdict.hint
    assert not {"yield", "dict", "abs"} & set(re.findall(r"\w+", verdict.hint))


# -- exercise 2: the counting sink -----------------------------------------------------------


class CountsWithGet:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def consume(self, stream: Iterator[Any]) -> None:
        for reading in stream:
            self.counts[reading.sensorId] = self.counts.get(reading.sensorId, 0) + 1


class CountsWithCounter:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def consume(self, stream: Iterator[Any]) -> None:
        self.counts.update(reading.sensorId for reading in stream)


class WrittenIn:
    """The expected counts written in by hand."""

    def __init__(self) -> None:
        self.counts = {"temp-1": 10, "temp-2": 10, "temp-3": 10}

    def consume(self, stream: Iterator[Any]) -> None:
        pass


class SharedDict:
    """One dict on the class, shared by every sink."""

    counts: dict[str, int] = {}  # noqa: RUF012 - the mistake under test

    def consume(self, stream: Iterator[Any]) -> None:
        for reading in stream:
            self.counts[reading.sensorId] = self.counts.get(reading.sensorId, 0) + 1


class SetsToOne(CountsWithGet):
    def consume(self, stream: Iterator[Any]) -> None:
        for reading in stream:
            self.counts[reading.sensorId] = 1


class YieldingConsume(CountsWithGet):
    def consume(self, stream: Iterator[Any]) -> Iterator[Any]:  # type: ignore[override]
        for reading in stream:
            self.counts[reading.sensorId] = self.counts.get(reading.sensorId, 0) + 1
            yield reading


class KeyedByReading(CountsWithGet):
    def consume(self, stream: Iterator[Any]) -> None:
        for reading in stream:
            self.counts[reading] = self.counts.get(reading, 0) + 1


@pytest.mark.parametrize("answer", [CountsWithGet, CountsWithCounter])
def test_two_counting_sinks_written_differently_are_accepted(answer: type) -> None:
    verdict = checkCountingSink(answer)
    assert verdict.passed, verdict
    assert "{'temp-2': 4, 'hall-7': 1}" in verdict.message


@pytest.mark.parametrize(
    ("answer", "said", "hinted"),
    [
        (WrittenIn, "do not come from the readings", "by hand"),
        (SharedDict, "shares one dict, a class attribute", "in __init__"),
        (SetsToOne, "every count is 1", "instead of setting it"),
        (YieldingConsume, "contains yield", "yields nothing"),
        (KeyedByReading, "keys should be sensor ids", "reading.sensorId"),
    ],
)
def test_each_wrong_counting_sink_is_rejected_naming_its_own_mistake(
    answer: type, said: str, hinted: str
) -> None:
    verdict = checkCountingSink(answer)
    assert not verdict.passed
    assert said in verdict.message, verdict
    assert hinted in verdict.hint, verdict


def test_a_long_wrong_dict_is_shortened_in_the_message() -> None:
    assert len(checkCountingSink(KeyedByReading).message) < 300


def test_an_instance_instead_of_the_class_is_told_to_pass_the_class() -> None:
    verdict = checkCountingSink(CountsWithGet())
    assert not verdict.passed and "pass the class itself" in verdict.message

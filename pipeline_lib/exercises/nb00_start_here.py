"""Checks for 00_start_here's exercises: your own duck-typed stage and sink."""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Iterable
from typing import Any

from ..protocols import SensorReading
from ..sources import SensorSource
from .verdict import Verdict, correct, exerciseCheck, require

__all__ = ["checkCountingSink", "checkSpikeFilter", "keepWithoutSpikes"]


MAX_JUMP = 40.0
SPIKES = [50.0, 52.0, 130.0, 51.0, 49.0, -20.0, 48.0]
WITHOUT_SPIKES = [50.0, 52.0, 51.0, 49.0, 48.0]


def keepWithoutSpikes(readings: Iterable[SensorReading]) -> list[SensorReading]:
    """What a right answer keeps: per sensor, a reading within 40 of that sensor's last kept.

    >>> r = [SensorReading("a", 0.0, 10.0), SensorReading("b", 0.0, 90.0),
    ...      SensorReading("a", 0.1, 12.0), SensorReading("b", 0.1, 95.0)]
    >>> [x.value for x in keepWithoutSpikes(r)]
    [10.0, 90.0, 12.0, 95.0]
    """
    lastKept: dict[str, float] = {}
    kept = []
    for reading in readings:
        previous = lastKept.get(reading.sensorId)
        if previous is None or abs(reading.value - previous) <= MAX_JUMP:
            lastKept[reading.sensorId] = reading.value
            kept.append(reading)
    return kept


def _kept(stage: Any, readings: list[SensorReading]) -> list[SensorReading]:
    output = stage.process(iter(readings))
    require(inspect.isgenerator(output), "process() should be a generator function (use yield)")
    return list(output)


@exerciseCheck(
    hint="per sensor, remember the value of the last reading you kept (a dict keyed by "
    "reading.sensorId); skip a reading more than 40 away from it"
)
def checkSpikeFilter(stage: Any) -> Verdict:
    """Exercise 00.1: a duck-typed stage that drops spikes (a jump of more than 40), per sensor."""
    require(callable(getattr(stage, "process", None)), "your object has no process() method")
    oneSensor = [SensorReading("temp-1", float(t), v) for t, v in enumerate(SPIKES)]
    kept = [r.value for r in _kept(stage, oneSensor)]
    if kept == [50.0, 52.0, 49.0, 48.0] or kept == [50.0, 52.0, 49.0]:
        require(
            False,
            f"for {SPIKES} your stage kept {kept}: the reading right after a spike "
            "was dropped too, because it was compared with the spike (the last reading "
            "*seen*) rather than with the last reading *kept*",
        )
    require(
        kept == WITHOUT_SPIKES,
        f"for the values {SPIKES} your stage kept {kept}, not {WITHOUT_SPIKES}",
    )
    mixed = list(SensorSource(count=300, seed=42).stream())
    expected, got = keepWithoutSpikes(mixed), _kept(stage, mixed)
    sensorIds = sorted({r.sensorId for r in mixed})
    require(
        got == expected,
        f"on SensorSource(count=300, seed=42), three sensors interleaved ({', '.join(sensorIds)}), "
        f"your stage dropped {len(mixed) - len(got)} of {len(mixed)} readings where a per-sensor "
        f"filter drops {len(mixed) - len(expected)}"
        + (
            ": it compares a reading with the last reading of *another* sensor"
            if len(got) < len(expected)
            else ""
        ),
    )
    return correct(
        f"your stage drops the spikes 130.0 and -20.0, and on three interleaved sensors it "
        f"drops only their own spikes ({len(mixed) - len(expected)} of {len(mixed)} readings)"
    )


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

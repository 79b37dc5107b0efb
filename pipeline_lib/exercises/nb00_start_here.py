"""Checks for 00_start_here's exercises: your own duck-typed stage and sink.

Each check feeds the student's object a few small streams chosen so that every typical
mistake gives a different result, and names the mistake that result reveals:

- the spike filter: one sensor with spikes up and down (comparing with the last reading
  *seen*, dropping the first reading, one direction only), a jump of exactly 40 (``<``
  for ``<=``), a slow drift (a fixed reference instead of the last reading kept), then
  three interleaved sensors (one memory for all sensors, changing the readings);
- the counting sink: two fresh sinks on two different streams (counts written in by
  hand, one dict shared by every sink), a ``consume`` that is a generator.
"""

from __future__ import annotations

import copy
import inspect
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from ..protocols import SensorReading
from ..sources import SensorSource
from ..validators import shortRepr
from .verdict import Verdict, correct, exerciseCheck, require

__all__ = ["checkCountingSink", "checkSpikeFilter", "keepWithoutSpikes"]


MAX_JUMP = 40.0
SPIKES = [50.0, 52.0, 130.0, 51.0, 49.0, -20.0, 48.0]
WITHOUT_SPIKES = [50.0, 52.0, 51.0, 49.0, 48.0]
# Jumps of exactly 40 are kept: "more than 40 away" is dropped, 40 is not.
BOUNDARY = [200.0, 240.0, 280.0, 240.0]
# A sensor that climbs 40 at a time, one real spike (181.0), then falls back.
DRIFT = [50.0, 90.0, 130.0, 170.0, 140.0, 181.0, 100.0]
DRIFT_KEPT = [50.0, 90.0, 130.0, 170.0, 140.0, 100.0]
# What comparing with a fixed reference (the first reading, or the running mean) keeps.
FIXED_BOUNDARY = [200.0, 240.0, 240.0]
FIXED_DRIFT = [50.0, 90.0]

SPIKE_HINT = "per sensor, remember the last value you kept, and compare each new reading with it"


def keepWithoutSpikes(
    readings: Iterable[SensorReading], keyOf: Callable[[SensorReading], object] | None = None
) -> list[SensorReading]:
    """What a right answer keeps: per sensor, a reading within 40 of that sensor's last kept.

    ``keyOf`` groups the readings (by ``sensorId`` unless given); a constant key is the
    mistake of one memory for all sensors.

    >>> r = [SensorReading("a", 0.0, 10.0), SensorReading("b", 0.0, 90.0),
    ...      SensorReading("a", 0.1, 12.0), SensorReading("b", 0.1, 95.0)]
    >>> [x.value for x in keepWithoutSpikes(r)]
    [10.0, 90.0, 12.0, 95.0]
    >>> [x.value for x in keepWithoutSpikes(r, keyOf=lambda reading: "all")]
    [10.0, 12.0]
    """
    key = keyOf or (lambda reading: reading.sensorId)
    lastKept: dict[object, float] = {}
    kept = []
    for reading in readings:
        previous = lastKept.get(key(reading))
        if previous is None or abs(reading.value - previous) <= MAX_JUMP:
            lastKept[key(reading)] = reading.value
            kept.append(reading)
    return kept


def _oneSensor(values: list[float]) -> list[SensorReading]:
    return [SensorReading("temp-1", float(t), v) for t, v in enumerate(values)]


def _kept(stage: Any, readings: list[SensorReading]) -> list[SensorReading]:
    output = stage.process(iter(readings))
    require(
        inspect.isgenerator(output),
        f"process() returned {shortRepr(output)}, not a generator",
        hint="a stage's process() is a generator function: it yields each reading it keeps",
    )
    return list(output)


def _fresh(stage: Any) -> Any:
    """A copy of the student's stage for each test stream, so that state kept on the
    instance (a dict made in ``__init__``) starts empty each time, as in a new run."""
    try:
        return copy.deepcopy(stage)
    except Exception:
        return stage


def _keptValues(stage: Any, values: list[float]) -> list[float]:
    return [reading.value for reading in _kept(stage, _oneSensor(values))]


def _checkSpikes(stage: Any) -> None:
    kept = _keptValues(_fresh(stage), SPIKES)
    if kept == WITHOUT_SPIKES:
        return
    said = f"for {SPIKES} your stage kept {kept}"
    require(
        kept not in ([50.0, 52.0, 49.0, 48.0], [50.0, 52.0, 49.0]),
        f"{said}: the reading right after a spike was dropped too, because it was compared "
        "with the spike (the last reading *seen*) rather than with the last reading *kept*",
        hint="change the remembered value only when you keep a reading",
    )
    require(
        not kept or kept[0] == SPIKES[0],
        f"{said}: the sensor's first reading, {SPIKES[0]}, was dropped",
        hint="a sensor's first reading has nothing to compare with: keep it",
    )
    for spike, other in ((130.0, -20.0), (-20.0, 130.0)):
        require(
            not (spike not in kept and other in kept),
            f"{said}: the spike {spike} was dropped but {other} was kept",
            hint="a spike can jump down as well as up: compare the distance, whatever its sign",
        )
    require(False, f"for the values {SPIKES} your stage kept {kept}, not {WITHOUT_SPIKES}")


def _checkBoundaryAndDrift(stage: Any) -> None:
    kept = _keptValues(_fresh(stage), BOUNDARY)
    drifted = _keptValues(_fresh(stage), DRIFT)
    said = f"for {BOUNDARY}, each step exactly 40, your stage kept {kept}"
    require(
        kept != BOUNDARY[:1],
        f"{said}: every jump of exactly 40 was dropped, but only a reading *more than* 40 "
        "away is a spike",
        hint="check which comparison you use: 40 away is allowed, 41 is not",
    )
    require(
        kept,
        f"{said}: even the first reading was dropped, yet a reading is a spike by its jump "
        "from the last one kept, not by its size",
    )
    for values, got, fixed in ((BOUNDARY, kept, FIXED_BOUNDARY), (DRIFT, drifted, FIXED_DRIFT)):
        require(
            got != fixed,
            f"for {values} your stage kept {got}: it compares with a reference that does not "
            "follow the sensor (its first reading, an average) rather than with the last "
            "reading kept",
            hint="compare with the last reading kept, which moves as the sensor drifts",
        )
    require(kept == BOUNDARY, f"{said}, not all four")
    require(
        drifted == DRIFT_KEPT,
        f"for a sensor that climbs 40 at a time, {DRIFT}, your stage kept {drifted}, "
        f"not {DRIFT_KEPT}",
        hint="a spike is a reading more than 40 away (in the reading's own units) from the "
        "last one kept",
    )


def _checkInterleaved(stage: Any) -> str:
    mixed = list(SensorSource(count=300, seed=42).stream())
    expected, got = keepWithoutSpikes(mixed), _kept(_fresh(stage), mixed)
    changed = [reading for reading in got if reading not in mixed]
    if changed:
        require(
            False,
            f"your stage yielded {len(changed)} readings that were not in its input, the "
            f"first {changed[0]!r}",
            hint="a filter yields the readings it keeps as they are, unchanged",
        )
    said = (
        f"on SensorSource(count=300, seed=42), three sensors interleaved "
        f"({', '.join(sorted({r.sensorId for r in mixed}))}), your stage dropped "
        f"{len(mixed) - len(got)} of {len(mixed)} readings where a per-sensor filter drops "
        f"{len(mixed) - len(expected)}"
    )
    require(
        got != keepWithoutSpikes(mixed, keyOf=lambda reading: "every sensor"),
        f"{said}: it compares a reading with the last reading of *another* sensor",
        hint="keep one remembered value for each sensor (reading.sensorId)",
    )
    require(got == expected, said)
    return f"{len(mixed) - len(expected)} of {len(mixed)} readings"


@exerciseCheck(hint=SPIKE_HINT)
def checkSpikeFilter(stage: Any) -> Verdict:
    """Exercise 00.1: a duck-typed stage that drops spikes (a jump of more than 40), per sensor."""
    require(
        not inspect.isclass(stage),
        f"you passed the class {getattr(stage, '__name__', stage)} itself: pass an instance, "
        f"checkSpikeFilter({getattr(stage, '__name__', 'SpikeFilter')}())",
    )
    require(callable(getattr(stage, "process", None)), "your object has no process() method")
    _checkSpikes(stage)
    _checkBoundaryAndDrift(stage)
    dropped = _checkInterleaved(stage)
    return correct(
        "your stage drops the spikes 130.0 and -20.0, keeps jumps of exactly 40, follows a "
        f"drifting sensor, and on three interleaved sensors drops only their own spikes ({dropped})"
    )


# -- exercise 2: the counting sink ----------------------------------------------------------

SECOND_STREAM = [
    SensorReading("temp-2", 0.0, 55.0),
    SensorReading("hall-7", 0.0, 21.0),
    SensorReading("temp-2", 0.1, 56.0),
    SensorReading("temp-2", 0.2, 54.0),
    SensorReading("temp-2", 0.3, 57.0),
]
COUNT_HINT = "in consume(), loop over the stream and count each reading under its sensor's id"


def _counted(sinkClass: Any, readings: list[SensorReading]) -> tuple[Any, dict[Any, Any]]:
    sink = sinkClass()
    result = sink.consume(iter(readings))
    require(
        not inspect.isgenerator(result),
        "your consume() returned a generator: it contains yield, so calling it ran none of "
        "its code and counted nothing",
        hint="a sink is the end of the pipeline: it drains the stream with a loop, and "
        "yields nothing",
    )
    require(hasattr(sink, "counts"), "your sink has no .counts attribute")
    return sink, dict(sink.counts)


def _diagnoseCounts(counts: dict[Any, Any], expected: dict[str, int], total: int) -> None:
    said = f"after {total} readings your sink's counts are {shortRepr(counts)}, expected {expected}"
    require(counts, said)
    require(
        set(counts) <= set(expected),
        f"{said}: the keys should be sensor ids",
        hint="count under reading.sensorId, not under the whole reading",
    )
    require(
        set(counts.values()) != {1},
        f"{said}: every count is 1",
        hint="add 1 to the count a sensor already has, instead of setting it",
    )
    require(counts == expected, said)


@exerciseCheck(hint=COUNT_HINT)
def checkCountingSink(sinkClass: Any) -> Verdict:
    """Exercise 00.2: a duck-typed sink that counts readings per sensor in ``.counts``.

    Two fresh sinks, on two different streams: counts that do not come from the readings,
    or one dict shared by every sink, show on the second.
    """
    require(
        inspect.isclass(sinkClass),
        f"you passed an instance, {shortRepr(sinkClass)}: pass the class itself, "
        "checkCountingSink(CountingSink), so that the check can make fresh sinks",
    )
    first = list(SensorSource(count=30, seed=1).stream())
    expected = dict(Counter(r.sensorId for r in first))
    firstSink, counts = _counted(sinkClass, first)
    _diagnoseCounts(counts, expected, len(first))
    secondExpected = dict(Counter(r.sensorId for r in SECOND_STREAM))
    _, secondCounts = _counted(sinkClass, SECOND_STREAM)
    require(
        secondCounts != expected,
        f"a second sink, fed {len(SECOND_STREAM)} other readings, also reports {expected}: "
        "the counts do not come from the readings it consumed",
        hint="count the readings that consume() receives; write no numbers in by hand",
    )
    require(
        dict(firstSink.counts) == expected,
        f"a second sink changed the first one's counts (now {shortRepr(dict(firstSink.counts))}): "
        "every sink shares one dict, a class attribute",
        hint="give each sink its own dict, created in __init__",
    )
    require(
        secondCounts == secondExpected,
        f"a second sink, fed {len(SECOND_STREAM)} other readings, counted "
        f"{shortRepr(secondCounts)}, expected {secondExpected}",
    )
    return correct(f"your sink counted {expected}, and a second sink counted {secondExpected}")

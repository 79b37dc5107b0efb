"""Checks for 00_start_here's exercises: your own duck-typed stage and sink."""

from __future__ import annotations

import inspect
from collections import Counter
from typing import Any

from ..protocols import SensorReading
from ..sources import SensorSource
from .verdict import Verdict, correct, exerciseCheck, require

__all__ = ["checkCountingSink", "checkSpikeFilter"]


@exerciseCheck(hint="remember the last value you kept; skip a reading more than 40 away from it")
def checkSpikeFilter(stage: Any) -> Verdict:
    """Exercise 00.1: a duck-typed stage that drops spikes (a jump of more than 40)."""
    require(callable(getattr(stage, "process", None)), "your object has no process() method")
    values = [50.0, 52.0, 130.0, 51.0, 49.0, -20.0, 48.0]
    readings = [SensorReading("temp-1", float(t), v) for t, v in enumerate(values)]
    output = stage.process(iter(readings))
    require(inspect.isgenerator(output), "process() should be a generator function (use yield)")
    kept = [r.value for r in output]
    expected = [50.0, 52.0, 51.0, 49.0, 48.0]
    require(kept == expected, f"for the values {values} your stage kept {kept}, not {expected}")
    return correct(f"your stage keeps {expected} and drops the spikes 130.0 and -20.0")


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

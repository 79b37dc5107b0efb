"""Built-in stages: keep readings in range, rescale them, smooth them.

Each ``process`` is a generator: it pulls one reading at a time from its input and
yields as it goes, so memory does not grow with the length of the stream. They read a
record's ``sensorId``, ``timestamp`` and ``value`` attributes, so any record with those
works; ``Normalizer`` and ``WindowAverage`` yield new ``SensorReading`` records (built
directly with ``protocols.newReading``: cheaper than copying with ``_replace``, or than
calling ``SensorReading(...)``, whose ``__new__`` is a Python function).

>>> from pipeline_lib import SensorReading
>>> readings = [SensorReading("a", float(t), v) for t, v in enumerate([10.0, 30.0, 50.0, 95.0])]
>>> [r.value for r in ThresholdFilter(20.0, 80.0).process(iter(readings))]
[30.0, 50.0]
>>> [r.value for r in Normalizer(0.0, 100.0).process(iter(readings))]
[0.1, 0.3, 0.5, 0.95]
>>> [r.value for r in WindowAverage(2).process(iter(readings))]
[20.0, 40.0, 72.5]
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any

from .protocols import SensorReading, newReading
from .validators import BoundedInt, FiniteFloat, checkOrdered

__all__ = ["Normalizer", "ThresholdFilter", "WindowAverage"]


class ThresholdFilter:
    """Keep the readings with ``filterMin <= value <= filterMax``; drop the rest (and NaN).

    The bounds are validated fields (layer 2), at construction and at any later change:

    >>> ThresholdFilter(80.0, 20.0)
    Traceback (most recent call last):
    ...
    ValueError: ThresholdFilter: filterMin must be < filterMax, got 80.0 >= 20.0
    """

    filterMin = FiniteFloat()
    filterMax = FiniteFloat()

    def __init__(self, filterMin: float, filterMax: float) -> None:
        self.filterMin = filterMin
        self.filterMax = filterMax

    @staticmethod
    def checkFields(values: Mapping[str, Any]) -> None:
        """Refuse inverted or equal bounds (called by the fields before they store)."""
        checkOrdered("ThresholdFilter", values, "filterMin", "filterMax")

    def __repr__(self) -> str:
        return f"ThresholdFilter({self.filterMin}, {self.filterMax})"

    def process(self, inputStream: Iterator[SensorReading]) -> Iterator[SensorReading]:
        low, high = self.filterMin, self.filterMax
        for reading in inputStream:
            if low <= reading.value <= high:
                yield reading


class Normalizer:
    """Rescale values linearly so that ``valueMin`` maps to 0.0 and ``valueMax`` to 1.0.

    >>> Normalizer(1.0, "high")
    Traceback (most recent call last):
    ...
    TypeError: Normalizer.valueMax must be numeric, got 'high'
    """

    valueMin = FiniteFloat()
    valueMax = FiniteFloat()

    def __init__(self, valueMin: float, valueMax: float) -> None:
        self.valueMin = valueMin
        self.valueMax = valueMax

    @staticmethod
    def checkFields(values: Mapping[str, Any]) -> None:
        """Refuse ``valueMin >= valueMax`` (the scale would divide by zero or flip)."""
        checkOrdered("Normalizer", values, "valueMin", "valueMax")

    def __repr__(self) -> str:
        return f"Normalizer({self.valueMin}, {self.valueMax})"

    def process(self, inputStream: Iterator[SensorReading]) -> Iterator[SensorReading]:
        low, span = self.valueMin, self.valueMax - self.valueMin
        for reading in inputStream:
            value = round((reading.value - low) / span, 12)
            yield newReading(SensorReading, (reading.sensorId, reading.timestamp, value))


class WindowAverage:
    """Moving average over each sensor's last ``windowSize`` readings.

    Sensors are averaged separately (mixing two sensors' values means nothing). A
    sensor's first output comes with its ``windowSize``-th reading, then one output per
    reading, stamped with the newest reading's timestamp. A running sum keeps each step
    O(1); it is recomputed exactly once per window so rounding errors cannot build up.

    >>> WindowAverage(0)
    Traceback (most recent call last):
    ...
    ValueError: WindowAverage.windowSize must be >= 1, got 0
    """

    windowSize = BoundedInt(1)

    def __init__(self, windowSize: int) -> None:
        self.windowSize = windowSize

    def __repr__(self) -> str:
        return f"WindowAverage({self.windowSize})"

    def process(self, inputStream: Iterator[SensorReading]) -> Iterator[SensorReading]:
        windows: dict[str, _RunningMean] = {}
        for reading in inputStream:
            window = windows.get(reading.sensorId)
            if window is None:
                window = windows[reading.sensorId] = _RunningMean(self.windowSize)
            mean = window.add(reading.value)
            if mean is not None:
                yield newReading(SensorReading, (reading.sensorId, reading.timestamp, mean))


class _RunningMean:
    """The mean of the last ``size`` values, updated in O(1) per value."""

    __slots__ = ("_added", "_size", "_total", "_values")

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: deque[float] = deque(maxlen=size)
        self._total = 0.0
        self._added = 0

    def add(self, value: float) -> float | None:
        """Add a value; return the mean once ``size`` values have been seen, else None."""
        if len(self._values) == self._size:
            self._total -= self._values[0]
        self._values.append(value)
        self._added += 1
        # Recompute exactly once per window, so float error cannot accumulate.
        self._total = (
            math.fsum(self._values) if self._added % self._size == 0 else self._total + value
        )
        if len(self._values) < self._size:
            return None
        return round(self._total / self._size, 12)

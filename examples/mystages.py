"""A stage of your own for custom_stage.toml: a plain class, no base class, no import."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class ClampSpikes:
    """Pull spikes back into ``[low, high]`` instead of dropping them."""

    def __init__(self, low: float = 0.0, high: float = 100.0) -> None:
        if not low < high:
            raise ValueError(f"ClampSpikes: low must be < high, got {low!r} >= {high!r}")
        self.low = low
        self.high = high

    def __repr__(self) -> str:
        return f"ClampSpikes(low={self.low}, high={self.high})"

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        for reading in inputStream:
            value = min(max(reading.value, self.low), self.high)
            yield type(reading)(reading.sensorId, reading.timestamp, value)

"""The Stage 1 protocols (Lecture 33) and the record type of the built-in components.

A pipeline is ``Source -> Stage -> ... -> Sink``, and every arrow is a generator:

- ``Source.stream()`` yields records;
- ``Stage.process(inputStream)`` consumes one stream and yields another;
- ``Sink.consume(stream)`` drains a stream.

The protocols are structural (:class:`typing.Protocol`): a student's own class with the
right method plugs in without inheriting from anything or importing this module.

>>> class Countdown:
...     def stream(self):
...         yield from (3, 2, 1)
>>> isinstance(Countdown(), Source)
True
>>> isinstance(Countdown(), Sink)
False
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = ["ROLES", "Role", "SensorReading", "Sink", "Source", "Stage"]


@runtime_checkable
class Source(Protocol):
    """Anything with a ``stream()`` method that returns an iterator of records."""

    def stream(self) -> Iterator[Any]: ...


@runtime_checkable
class Stage(Protocol):
    """Anything with a ``process(inputStream)`` method that returns an iterator of records."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]: ...


@runtime_checkable
class Sink(Protocol):
    """Anything with a ``consume(stream)`` method that drains a stream (an iterator)."""

    def consume(self, stream: Iterator[Any]) -> object: ...


Role = Literal["source", "stage", "sink"]

#: The three roles: the method that makes an object fit each, and the role's protocol.
ROLES: dict[Role, tuple[str, type]] = {
    "source": ("stream", Source),
    "stage": ("process", Stage),
    "sink": ("consume", Sink),
}


@dataclass(frozen=True, slots=True)
class SensorReading:
    """One measurement: which sensor, when (seconds since the run's start), what value.

    Frozen (a record that travels through several stages must not change under them)
    and slotted (millions of them stay small).

    >>> r = SensorReading("temp-1", 0.25, 21.5)
    >>> r.value
    21.5
    >>> r.value = 0.0
    Traceback (most recent call last):
    ...
    dataclasses.FrozenInstanceError: cannot assign to field 'value'
    """

    sensorId: str
    timestamp: float
    value: float

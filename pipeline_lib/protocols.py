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
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

__all__ = ["ROLES", "Role", "SensorReading", "Sink", "Source", "Stage", "newReading"]


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


class SensorReading(NamedTuple):
    """One measurement: which sensor, when (seconds since the run's start), what value.

    Immutable (a record that travels through several stages must not change under
    them), with attribute access (``reading.value``).

    Why a :class:`typing.NamedTuple` and not a frozen dataclass: a pipeline builds one
    record per row, and a frozen dataclass pays for its immutability in ``__init__``
    (each field is set through ``object.__setattr__``), about twice the cost of building
    a tuple; on a million-row CSV job that alone was a quarter of the run. A named tuple
    is a tuple, immutable by construction, and as small as a slotted object.

    What that means for your code: a reading *is* a tuple of its three fields, so it
    unpacks (``sensorId, timestamp, value = reading``), indexes (``reading[2]``) and
    compares equal to a plain tuple with the same fields (and to any other named tuple
    with them: compare the type too when it matters). Make a changed copy with
    ``reading._replace(value=0.0)``, not ``dataclasses.replace`` (which accepts only
    dataclasses); ``reading._asdict()`` gives a dict. Assigning a field raises
    ``AttributeError``.

    >>> r = SensorReading("temp-1", 0.25, 21.5)
    >>> r.value
    21.5
    >>> r._replace(value=0.0)
    SensorReading(sensorId='temp-1', timestamp=0.25, value=0.0)
    >>> sensorId, timestamp, value = r
    >>> r == ("temp-1", 0.25, 21.5)
    True
    >>> r.value = 0.0
    Traceback (most recent call last):
    ...
    AttributeError: can't set attribute
    """

    sensorId: str
    timestamp: float
    value: float


#: ``newReading(SensorReading, (sensorId, timestamp, value))`` builds the same reading as
#: ``SensorReading(sensorId, timestamp, value)``, at C speed. The named tuple's own
#: ``__new__`` is a Python function (a Python call per record, about a third of what
#: building a reading from a CSV row costs); ``tuple.__new__`` makes the very same object
#: straight from a tuple of the fields. It checks nothing, so the built-ins use it only
#: where the tuple has exactly the three fields, in order:
#:
#: >>> newReading(SensorReading, ("temp-1", 0.25, 21.5)) == SensorReading("temp-1", 0.25, 21.5)
#: True
newReading = tuple.__new__

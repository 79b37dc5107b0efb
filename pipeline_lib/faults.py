"""Failure injection: make a source, a stage or a sink fail where and how you choose.

A :class:`Fault` says *when* to fail (at record ``k``, at several records in turn, or at
a seeded ``rate``), *how
often* (``times=n`` failures and then it heals: a transient fault; ``times=None``:
permanent) and *with what* (``error``: an exception class or instance).
``failSource``, ``failStage`` and ``failSink`` wrap a component so that it fails
accordingly; the wrapper keeps the component's protocol, opens and closes whatever
the component owns, and passes ``resumeAfter`` through to a resumable source.

>>> from pipeline_lib import SensorSource
>>> fault = Fault(atRecord=2, times=1)
>>> flaky = failSource(SensorSource(count=5, seed=1), fault)
>>> stream = flaky.stream()
>>> next(stream).sensorId, next(stream).sensorId
('temp-1', 'temp-2')
>>> next(stream)
Traceback (most recent call last):
...
OSError: injected failure at record 2 of SensorSource (1 of 1)
>>> len(list(flaky.stream()))   # the fault has healed: all 5 records
5

Record indexes count from 0 over the whole stream, so for a resumed source the first
record yielded is record ``resumeAfter``.

A *failure schedule* for retry tests: ``atRecords=(2, 2, 4)`` fails the first time record
2 is reached, again the next time record 2 is reached (after a retry resumed there), then
at record 4, and then heals:

>>> schedule = Fault(atRecords=(2, 2, 4))
>>> flaky = failSource(SensorSource(count=6, seed=1), schedule)
>>> for resumeAfter in (0, 2, 2, 4):
...     try:
...         print(resumeAfter, "->", len(list(flaky.stream(resumeAfter=resumeAfter))))
...     except OSError as error:
...         print(resumeAfter, "->", error)
0 -> injected failure at record 2 of SensorSource (1 of 3)
2 -> injected failure at record 2 of SensorSource (2 of 3)
2 -> injected failure at record 4 of SensorSource (3 of 3)
4 -> 2
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .cleanup import ComponentWrapper, closeIterator
from .resume import resumeStream

__all__ = [
    "Fault",
    "FaultySink",
    "FaultySource",
    "FaultyStage",
    "failSink",
    "failSource",
    "failStage",
]

ErrorSpec = type[BaseException] | BaseException | Callable[[str], BaseException]


@dataclass
class Fault:
    """When, how often and with what a wrapped component fails.

    - ``atRecord``: fail when record ``atRecord`` (0-based) is reached; or
    - ``atRecords``: a schedule; the n-th failure happens when record ``atRecords[n]``
      is reached (``times`` defaults to its length: the fault heals after the last); or
    - ``rate``: fail each record with this probability (``random.Random(seed)``);
    - ``times``: how many failures before the fault heals; ``None`` is permanent;
    - ``error``: exception class (called with a message), instance (raised as is, so a
      test can check identity), or any callable taking the message.

    ``raised`` keeps every exception raised, in order; ``failures`` counts them.
    """

    atRecord: int | None = None
    rate: float = 0.0
    times: int | None = None
    error: ErrorSpec = OSError
    seed: int = 0
    raised: list[BaseException] = field(default_factory=list, repr=False)
    atRecords: Sequence[int] | None = None

    def __post_init__(self) -> None:
        if self.atRecord is None and self.atRecords is None and not self.rate:
            raise ValueError(
                "Fault needs atRecord=k, atRecords=(k1, k2, ...) or rate=p (0 < p <= 1)"
            )
        if self.atRecords is not None and (self.atRecord is not None or self.rate):
            raise ValueError(
                "Fault.atRecords is a whole schedule: give it without atRecord or rate, got "
                f"atRecord={self.atRecord!r}, rate={self.rate!r}"
            )
        if self.atRecords is not None:
            self.atRecords = tuple(self.atRecords)
            if any(isinstance(k, bool) or not isinstance(k, int) or k < 0 for k in self.atRecords):
                raise ValueError(f"Fault.atRecords must be ints >= 0, got {self.atRecords!r}")
            if self.times is None:
                self.times = len(self.atRecords)
        if self.atRecord is not None and (isinstance(self.atRecord, bool) or self.atRecord < 0):
            raise ValueError(f"Fault.atRecord must be an int >= 0, got {self.atRecord!r}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"Fault.rate must be in [0, 1], got {self.rate!r}")
        if self.times is not None and self.times < 0:
            raise ValueError(f"Fault.times must be >= 0 or None, got {self.times!r}")
        self._rng = random.Random(self.seed)

    @property
    def failures(self) -> int:
        return len(self.raised)

    @property
    def healed(self) -> bool:
        """True once a transient fault has failed ``times`` times."""
        return self.times is not None and self.failures >= self.times

    def check(self, index: int, where: str) -> None:
        """Raise the fault's error if record ``index`` of ``where`` is a failure point."""
        if self.healed:
            return
        if self._hits(index):
            error = self._makeError(f"injected failure at record {index} of {where}")
            self.raised.append(error)
            raise error

    def _hits(self, index: int) -> bool:
        if self.atRecord is not None:
            return index == self.atRecord
        if self.atRecords is not None:
            return self.failures < len(self.atRecords) and index == self.atRecords[self.failures]
        return self._rng.random() < self.rate

    def _makeError(self, message: str) -> BaseException:
        if isinstance(self.error, BaseException):
            return self.error
        total = "permanent" if self.times is None else f"{self.failures + 1} of {self.times}"
        return self.error(f"{message} ({total})")


class _Faulty(ComponentWrapper):
    """What the three wrappers share: the fault, and naming the wrapped component."""

    def __init__(self, component: Any, fault: Fault) -> None:
        super().__init__(component)
        self.fault = fault

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.component!r}, {self.fault!r})"

    @property
    def _where(self) -> str:
        return type(self.component).__name__


class FaultySource(_Faulty):
    def stream(self, resumeAfter: int = 0) -> Iterator[Any]:
        inner = resumeStream(self.component, resumeAfter)
        try:
            for index, record in enumerate(inner, start=resumeAfter):
                self.fault.check(index, self._where)
                yield record
        finally:
            closeIterator(inner)


class FaultyStage(_Faulty):
    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        inner = self.component.process(inputStream)
        try:
            for index, record in enumerate(inner):
                self.fault.check(index, self._where)
                yield record
        finally:
            closeIterator(inner)


class FaultySink(_Faulty):
    def consume(self, stream: Iterable[Any]) -> Any:
        return self.component.consume(self._failing(stream))

    def _failing(self, stream: Iterable[Any]) -> Iterator[Any]:
        for index, record in enumerate(stream):
            self.fault.check(index, self._where)
            yield record


def failSource(source: Any, fault: Fault) -> FaultySource:
    """``source``, failing before it yields a failure-point record."""
    return FaultySource(source, fault)


def failStage(stage: Any, fault: Fault) -> FaultyStage:
    """``stage``, failing when it is about to yield a failure-point record."""
    return FaultyStage(stage, fault)


def failSink(sink: Any, fault: Fault) -> FaultySink:
    """``sink``, failing inside ``consume`` when it pulls a failure-point record."""
    return FaultySink(sink, fault)

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
OSError: injected failure at record 2 of SensorSource (transient, 1 of 1)
>>> len(list(flaky.stream()))   # the fault has healed: all 5 records
5

*Transient* (``times=n``) heals by itself, so a retry can succeed; *permanent*
(``times=None``, the default) never heals, and the message says which:

>>> next(failSource(SensorSource(count=5), Fault(atRecord=0)).stream())
Traceback (most recent call last):
...
OSError: injected failure at record 0 of SensorSource (permanent)

A fault does not keep the exceptions it raised: it counts them (``failures``) and keeps
their messages (``messages``). Keeping the exceptions would keep their tracebacks, the
frames those passed through and every generator those frames refer to, and so the very
connections a leak demonstration wants to see released. To ask whether an exception
came from a fault, use :meth:`Fault.failureNumber`.

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
0 -> injected failure at record 2 of SensorSource (transient, 1 of 3)
2 -> injected failure at record 2 of SensorSource (transient, 2 of 3)
2 -> injected failure at record 4 of SensorSource (transient, 3 of 3)
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


#: The attribute a fault marks its exceptions with: ``(fault's token, failure number)``.
_MARK = "_pipelineLibFault"


@dataclass
class Fault:
    """When, how often and with what a wrapped component fails.

    - ``atRecord``: fail when record ``atRecord`` (0-based) is reached; or
    - ``atRecords``: a schedule; the n-th failure happens when record ``atRecords[n]``
      is reached (``times`` defaults to its length: the fault heals after the last); or
    - ``rate``: fail each record with this probability (``random.Random(seed)``);
    - ``times``: how many failures before the fault heals (*transient*); ``None``, the
      default, never heals (*permanent*);
    - ``error``: exception class (called with a message), or any callable taking the
      message, or an instance (raised as is: *you* made it, so you keep it, and with it
      the traceback of its latest raise; pass a class when a test counts resources).

    ``failures`` counts the exceptions raised and ``messages`` keeps their messages; the
    exceptions themselves are not kept (see the module's docstring).
    """

    atRecord: int | None = None
    rate: float = 0.0
    times: int | None = None
    error: ErrorSpec = OSError
    seed: int = 0
    atRecords: Sequence[int] | None = None
    messages: list[str] = field(default_factory=list, init=False, repr=False)

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
        self._token = object()  # identifies this fault's marks on the exceptions it raised

    @property
    def failures(self) -> int:
        """How many times this fault has failed so far."""
        return len(self.messages)

    @property
    def transient(self) -> bool:
        """True if the fault heals after ``times`` failures; False if it is permanent."""
        return self.times is not None

    @property
    def healed(self) -> bool:
        """True once a transient fault has failed ``times`` times."""
        return self.times is not None and self.failures >= self.times

    def failureNumber(self, error: BaseException) -> int | None:
        """Which failure of this fault raised ``error`` (1 for the first), or ``None``.

        ``None`` means this fault did not raise it: it is another fault's error, or one
        wrapped or replaced on the way to the caller. The fault marks each exception it
        raises instead of keeping it, so asking costs no leak.

        >>> from pipeline_lib import SensorSource
        >>> fault = Fault(atRecords=(0, 0))
        >>> errors = []
        >>> for _ in range(2):
        ...     try:
        ...         next(failSource(SensorSource(count=3), fault).stream())
        ...     except OSError as error:
        ...         errors.append(error)
        >>> [fault.failureNumber(error) for error in errors], fault.failureNumber(OSError())
        ([1, 2], None)
        """
        mark = getattr(error, _MARK, None)
        if isinstance(mark, tuple) and len(mark) == 2 and mark[0] is self._token:
            return int(mark[1])
        return None

    @property
    def lastMessage(self) -> str | None:
        """The message of the latest failure, or ``None`` before the first."""
        return self.messages[-1] if self.messages else None

    def check(self, index: int, where: str) -> None:
        """Raise the fault's error if record ``index`` of ``where`` is a failure point."""
        if not self.healed and self._hits(index):
            # Raised straight from the call: a local variable holding the exception here
            # would be a reference cycle (exception -> traceback -> this frame -> exception)
            # that only the cycle collector could free.
            raise self._nextError(f"injected failure at record {index} of {where}")

    def _hits(self, index: int) -> bool:
        if self.atRecord is not None:
            return index == self.atRecord
        if self.atRecords is not None:
            return self.failures < len(self.atRecords) and index == self.atRecords[self.failures]
        return self._rng.random() < self.rate

    def _nextError(self, message: str) -> BaseException:
        """The next failure's exception, counted and marked (not kept)."""
        number = self.failures + 1
        if isinstance(self.error, BaseException):
            error = self.error.with_traceback(None)  # a fresh traceback for each raise
        else:
            how = "permanent" if self.times is None else f"transient, {number} of {self.times}"
            error = self.error(f"{message} ({how})")
        setattr(error, _MARK, (self._token, number))
        self.messages.append(str(error))
        return error


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

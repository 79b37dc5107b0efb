"""Helpers for testing pipelines, yours included: stages that report their lifecycle.

>>> events = []
>>> stage = TracingStage("double", events, transform=lambda r: r * 2)
>>> gen = stage.process(iter([1, 2, 3]))
>>> next(gen)
2
>>> gen.close()
>>> events
['double: started', 'double: closed']

Whether a generator's ``finally`` ran is exactly what a leak test needs to know:
``TracingStage`` logs ``closed`` from its ``finally`` block, however it ends.

``quietLogs()`` silences logging inside a block, for loops that would log many lines
(the notebooks print a table instead), and restores it afterwards, whatever happens:

>>> import logging
>>> with quietLogs():
...     logging.getLogger("pipeline_lib").error("not shown")
>>> logging.root.manager.disable
0
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .resources import ConnectionPool, openFileDescriptors

__all__ = [
    "BusyClock",
    "FakeClock",
    "ResourceSnapshot",
    "TracingComponent",
    "TracingStage",
    "quietLogs",
    "timerLanes",
]


@contextmanager
def quietLogs() -> Iterator[None]:
    """Silence log lines inside the block; restore the previous level after it, however it ends."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


class TracingStage:
    """A pass-through (or transforming) stage that logs ``started`` and ``closed`` events."""

    def __init__(
        self,
        name: str,
        events: list[str],
        transform: Callable[[Any], Any] | None = None,
    ) -> None:
        self.name = name
        self.events = events
        self.transform = transform

    def __repr__(self) -> str:
        return f"TracingStage({self.name!r})"

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        self.events.append(f"{self.name}: started")
        try:
            for record in inputStream:
                yield record if self.transform is None else self.transform(record)
        finally:
            self.events.append(f"{self.name}: closed")


class TracingComponent:
    """A resource owner: logs ``opened``/``closed``; ``failOnClose`` makes closing fail."""

    def __init__(self, name: str, events: list[str], failOnClose: BaseException | None = None):
        self.name = name
        self.events = events
        self.failOnClose = failOnClose

    def __enter__(self) -> TracingComponent:
        self.events.append(f"{self.name}: opened")
        return self

    def __exit__(self, *excInfo: object) -> None:
        self.events.append(f"{self.name}: closed")
        if self.failOnClose is not None:
            raise self.failOnClose


@dataclass(frozen=True)
class ResourceSnapshot:
    """Open descriptors and pooled connections in use at one moment, for before/after checks.

    >>> before = ResourceSnapshot.take()
    >>> ResourceSnapshot.take() - before
    ResourceSnapshot(fileDescriptors=0, connectionsInUse=0)
    """

    fileDescriptors: int
    connectionsInUse: int

    @classmethod
    def take(cls, pool: ConnectionPool | None = None) -> ResourceSnapshot:
        return cls(openFileDescriptors(), pool.inUse if pool is not None else 0)

    def __sub__(self, other: ResourceSnapshot) -> ResourceSnapshot:
        return ResourceSnapshot(
            self.fileDescriptors - other.fileDescriptors,
            self.connectionsInUse - other.connectionsInUse,
        )


class FakeClock:
    """A clock that moves only when a component says it spent time: exact, repeatable timings.

    Pass it as ``clock=`` to ``measuredStage`` and let each component call
    ``spend(seconds, who)`` where it would do its work. Nothing else moves the clock, so
    every measured latency is exactly the cost you chose, run after run. ``spans`` keeps
    who spent what, when: the timeline of the run.

    >>> clock = FakeClock()
    >>> clock.spend(0.002, "Parser")
    >>> clock.spend(0.010, "Enricher")
    >>> clock(), clock.spans["Enricher"]
    (0.012, [(0.002, 0.012)])
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = float(start)
        #: ``{who: [(startSeconds, endSeconds), ...]}`` in the order the time was spent.
        self.spans: dict[str, list[tuple[float, float]]] = {}

    def __repr__(self) -> str:
        return f"FakeClock(now={self.now!r})"

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Stand in for ``time.sleep`` (a retry's ``sleep=``): the wait passes at once.

        >>> clock = FakeClock()
        >>> clock.sleep(20.0)
        >>> clock()
        20.0
        """
        self.spend(seconds)

    def spend(self, seconds: float, who: str = "") -> None:
        """Move the clock forward by ``seconds`` (>= 0), on behalf of ``who`` if named."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise TypeError(f"FakeClock.spend seconds must be a number, got {seconds!r}")
        if not (0.0 <= seconds < math.inf):
            raise ValueError(f"FakeClock.spend seconds must be finite and >= 0, got {seconds!r}")
        start, self.now = self.now, self.now + seconds
        if who:
            self.spans.setdefault(who, []).append((start, self.now))


class BusyClock:
    """FakeClock's interface on real time: ``spend`` keeps the CPU busy, reads are real.

    Swap it in for a :class:`FakeClock` to check that a result seen on the fake clock
    also holds for real work: each ``spend(seconds)`` busy-waits ``seconds * scale`` (no
    sleeping, so a timer sees CPU work, as with a real stage), and calling the clock
    returns ``time.perf_counter()``. Timings are then real, so noisy.

    >>> clock = BusyClock(scale=0.5)
    >>> start = clock()
    >>> clock.spend(0.002)
    >>> clock() - start >= 0.001
    True
    """

    def __init__(self, scale: float = 1.0) -> None:
        if isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0:
            raise ValueError(f"BusyClock.scale must be a number > 0, got {scale!r}")
        self.scale = float(scale)

    def __repr__(self) -> str:
        return f"BusyClock(scale={self.scale!r})"

    def __call__(self) -> float:
        return time.perf_counter()

    def spend(self, seconds: float, who: str = "") -> None:
        """Busy-wait ``seconds * scale`` of real time (``who`` is accepted and ignored)."""
        end = time.perf_counter() + seconds * self.scale
        while time.perf_counter() < end:
            pass


def timerLanes(
    clock: FakeClock, stage: str, upstream: str, records: int | None = None
) -> dict[str, list[tuple[float, float]]]:
    """What each decorator's timer brackets for ``stage``, read off a FakeClock's ``spans``.

    For a stage whose input comes straight from ``upstream``, and components that spend
    time only through the clock, each record gives three intervals:

    - slide 9's timer: from the stage's ``yield`` (the end of its work) until its consumer
      asks again, which is when the next ``upstream`` read starts;
    - the engine's ``next()``: from the consumer's request (the ``upstream`` read starts)
      until the stage yields;
    - the engine's own time: that ``next()`` minus the upstream read, i.e. the stage's work.

    ``records`` keeps only the first few records' intervals.

    >>> clock = FakeClock()
    >>> for _ in range(2):
    ...     clock.spend(0.5, "source"); clock.spend(1.0, "Parser"); clock.spend(3.0, "sink")
    >>> lanes = timerLanes(clock, "Parser", upstream="source")
    >>> lanes["slide 9's timer: Parser"], lanes["engine: Parser's next()"][0]
    ([(1.5, 4.5)], (0.0, 1.5))
    """
    work, reads = clock.spans[stage][:records], clock.spans[upstream]
    return {
        f"slide 9's timer: {stage}": [
            (done, nextRead) for (_, done), (nextRead, _) in zip(work, reads[1:], strict=False)
        ],
        f"engine: {stage}'s next()": [
            (asked, done) for (asked, _), (_, done) in zip(reads, work, strict=False)
        ],
        f"engine: {stage}'s own time": list(work),
    }

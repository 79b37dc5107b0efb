"""Layer 3a: ``@measuredStage`` times each stage's *own* work, in constant memory.

Slide 9's wrapper starts its timer when the stage has produced a record and stops it
when the consumer asks for the next one: it measures the *consumer*, so a slow stage
makes the stage before it look slow. This one measures what the stage itself costs.

**Own time.** A stage's code runs only while someone waits in ``next()`` on its
generator. The wrapper times that ``next()`` call, and it hands the stage an input
iterator that times each ``next()`` the stage makes on *its* upstream. Own time = time
inside the stage's ``next()`` minus the upstream time spent during it. Time after
``yield`` (the consumer's) is never inside, and upstream time is subtracted, so a slow
source, sink or neighbour is nobody else's stage time. Measured stages compose: the
stages' own times plus the source's and the sink's add up to the run's time (less
about a microsecond of measuring per timed record, which is counted as the stage's).
A ``process`` that returns a list (or any iterable) rather than being a generator works
too: it does its work when called, so that call's own time is the stage's
(``callSeconds``) and the records it returns cost next to nothing each.

**Sampling.** Counts (``recordsIn``, ``recordsOut``) are always exact. Timing goes in
rounds of 256 timed records, and the first round times every record. When a round's
mean own time is under 20 µs (``FAST_STAGE_MS``), timing every record would cost a
noticeable share of the stage's time, so the next round times about one record in
``sampleEvery`` (default 32): after a random gap of untimed input records (pulled at C
speed), the next output record is timed, and it counts in the histogram for itself
and for the untimed output records before it. A slower round switches back to timing
every record. So for a fast stage, mean, percentiles and throughput are *estimates*
from the timed records, and ``maxLatencyMs`` is the largest *timed* latency;
``exact`` tells which. ``@measuredStage("X", sampleEvery=1)`` times every record.
Latencies go into a :class:`~pipeline_lib.histogram.LatencyHistogram` (percentiles
within 1 %, fixed size), never into a list.

>>> class Doubler:
...     @measuredStage("Doubler")
...     def process(self, inputStream):
...         for record in inputStream:
...             yield record * 2
>>> list(Doubler().process(iter([1, 2, 3])))
[2, 4, 6]
>>> metrics = Doubler.process.lastMetrics   # the newest run's metrics, also outside a context
>>> metrics.recordsIn, metrics.recordsOut, metrics.outcome
(3, 3, 'exhausted')
"""

from __future__ import annotations

import functools
import logging
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice, repeat
from typing import Any, TypeVar

from .cleanup import closeIterator, describeError
from .histogram import LatencyHistogram
from .observe import currentObservations
from .tally import Tally

__all__ = ["FAST_STAGE_MS", "ROUND_SIZE", "StageMetrics", "measuredStage"]

logger = logging.getLogger("pipeline_lib")

#: Timed records per round; the timing mode (every record or sampled) is decided per round.
ROUND_SIZE = 256
#: A round whose mean own time is below this (ms) makes the next round sampled.
FAST_STAGE_MS = 0.02

S = TypeVar("S")
R = TypeVar("R")
#: A ``process`` method: ``(self, inputStream) -> iterator of records``.
ProcessMethod = Callable[[S, Iterator[Any]], Iterator[R]]


class StageMetrics:
    """One stage's counts and own-time latencies for one run; ``summary()`` is slide 8's line.

    >>> metrics = StageMetrics("ThresholdFilter")
    >>> metrics.recordsIn, metrics.recordsOut = 10000, 7823
    >>> metrics.histogram.add(0.022e-3, weight=7823)   # seconds, as @measuredStage records
    >>> metrics.summary()
    'ThresholdFilter: in=10000 out=7823 throughput=58104rps meanLatency=0.022ms'
    """

    def __init__(self, stageName: str, *, sampleEvery: int = 1) -> None:
        self.stageName = stageName
        self.sampleEvery = sampleEvery
        self.recordsIn = 0
        self.recordsOut = 0
        #: Output records actually timed (all of them when ``exact``).
        self.timedRecords = 0
        #: Own time per output record, in *seconds*; a timed record is counted once for
        #: itself and once for each untimed record before it.
        self.histogram = LatencyHistogram(minValue=1e-9, maxValue=1e6)
        #: Own time of the final ``next()`` that found the stage exhausted (no record).
        self.tailSeconds = 0.0
        #: Own time of the ``process()`` call itself: all of a stage's time when it
        #: returns a list instead of being a generator.
        self.callSeconds = 0.0
        #: ``"created"``, ``"running"``, ``"exhausted"``, ``"closed"`` (early) or ``"failed"``.
        self.outcome = "created"
        #: ``"ValueError: boom"`` when the stage failed, else ``None``.
        self.error: str | None = None

    def __repr__(self) -> str:
        return f"StageMetrics({self.summary()}, outcome={self.outcome!r})"

    @property
    def exact(self) -> bool:
        """Whether every output record was timed (no sampling estimate)."""
        return self.timedRecords == self.recordsOut

    @property
    def ownSeconds(self) -> float:
        """The stage's own time in seconds (estimated from the timed records when sampled)."""
        return self.histogram.mean * self.recordsOut + self.tailSeconds + self.callSeconds

    @property
    def throughputRps(self) -> float:
        """Input records per second of the stage's own time; 0.0 before any time is measured."""
        own = self.ownSeconds
        return self.recordsIn / own if own > 0 else 0.0

    @property
    def meanLatencyMs(self) -> float:
        """Mean own time per output record, in milliseconds."""
        return self.histogram.mean * 1000.0

    def percentileMs(self, p: float) -> float:
        """The ``p``-th percentile (p in percent: 50, 95, 99) of own time per output record, ms."""
        return self.histogram.percentile(p) * 1000.0

    @property
    def maxLatencyMs(self) -> float:
        """The largest own time of a timed output record, ms (0.0 before any)."""
        return self.histogram.max * 1000.0 if self.histogram.count else 0.0

    def summary(self) -> str:
        """``Name: in=10000 out=7823 throughput=45000rps meanLatency=0.022ms`` (slide 8)."""
        return (
            f"{self.stageName}: in={self.recordsIn} out={self.recordsOut} "
            f"throughput={self.throughputRps:.0f}rps meanLatency={self.meanLatencyMs:.3f}ms"
        )


def measuredStage(
    stageName: str, *, sampleEvery: int = 32, clock: Callable[[], float] = time.perf_counter
) -> Callable[[ProcessMethod[S, R]], ProcessMethod[S, R]]:
    """Decorate a ``process`` method so that each call records a :class:`StageMetrics`.

    ``sampleEvery=1`` times every record (exact); ``clock`` returns seconds (inject a
    fake one in tests). Inside a :class:`~pipeline_lib.PipelineContext` the metrics are
    registered when ``process()`` is called, so ``ctx.metrics`` lists stages in pipeline
    order; outside one, the summary is logged (INFO) when the stream ends. Either way the
    newest metrics are ``YourStage.process.lastMetrics``.
    """
    if not isinstance(stageName, str):
        raise TypeError(f"measuredStage.stageName must be a str, got {stageName!r}")
    if not stageName:
        raise ValueError("measuredStage.stageName must be a non-empty name, got ''")
    if isinstance(sampleEvery, bool) or not isinstance(sampleEvery, int):
        raise TypeError(f"measuredStage.sampleEvery must be an int, got {sampleEvery!r}")
    if sampleEvery < 1:
        raise ValueError(f"measuredStage.sampleEvery must be >= 1, got {sampleEvery}")
    if not callable(clock):
        raise TypeError(f"measuredStage.clock must be callable (returning seconds), got {clock!r}")

    def decorator(processMethod: ProcessMethod[S, R]) -> ProcessMethod[S, R]:
        @functools.wraps(processMethod)
        def wrapper(self: S, inputStream: Iterator[Any]) -> Iterator[R]:
            # A plain function, not a generator: this runs when process() is *called*,
            # which PipelineContext.run does in pipeline order.
            metrics = StageMetrics(stageName, sampleEvery=sampleEvery)
            observations = currentObservations()
            if observations is not None:
                observations.addStage(metrics)
            wrapper.__dict__["lastMetrics"] = metrics
            tally = Tally(inputStream)
            timer = _StageTimer(metrics, clock, tally, logSummary=observations is None)
            segments = timer.inputSegments(tally.stream)
            inner = timer.call(processMethod, self, chain.from_iterable(segments))
            return timer.outputs(inner, closeAfter=segments)

        wrapper.__dict__["lastMetrics"] = None
        return wrapper

    return decorator


class _StageTimer:
    """The measuring machinery of one ``process()`` call: an input side and an output side.

    The input side is the iterator the stage reads from; the output side is the iterator
    the consumer reads from. The stage runs only inside the output side's ``next()``,
    and the input side runs only inside the stage, so the two sides never run at the
    same time: each reads what the other wrote while it was suspended. They talk
    through three fields, each written by one side only:

    ====================  ===========  ==================================  =========================
    field                 written by   when                                read by, to decide
    ====================  ===========  ==================================  =========================
    ``requestedTimings``  input side   +1 when an untimed gap ends         output side, after each
                                       (starts at 1: round 1 times all)    ``yield``: time the next?
    ``finishedTimings``   output side  := ``requestedTimings`` once it     input side: stop timing
                                       timed a record, in sampled rounds   and draw the next gap
    ``upstreamSeconds``   input side   + each timed fetch's duration       output side: to subtract
    ====================  ===========  ==================================  =========================

    Timing is on while ``requestedTimings != finishedTimings``: then the input side
    times every fetch and the output side times every ``next()`` on the stage. It goes
    on only at the input side's initiative (when a gap ends, at C speed inside the
    stage's ``next()``, which is therefore not timed) and off only at the output
    side's (after it timed a whole ``next()``). So whenever the output side times a
    record, every upstream fetch made during it was timed too, and its subtraction is
    exact. In a round that times every record the output side never finishes, and
    both sides time everything.
    """

    __slots__ = (
        "_latencies",
        "_random",
        "_sampled",
        "_tally",
        "_weights",
        "clock",
        "finishedTimings",
        "logSummary",
        "metrics",
        "requestedTimings",
        "upstreamSeconds",
    )

    def __init__(
        self, metrics: StageMetrics, clock: Callable[[], float], tally: Tally, logSummary: bool
    ) -> None:
        self.metrics = metrics
        self._tally = tally  # counts the records the stage takes in, at C speed
        self.clock = clock
        self.logSummary = logSummary
        self.requestedTimings = 1  # the first round times every record...
        self.finishedTimings = 0  # ...so timing starts on
        self.upstreamSeconds = 0.0
        self._sampled = False  # is the current round sampled? (the output side's to decide)
        self._latencies: list[float] = []  # the current round's timed records, in seconds
        self._weights: list[int] = []  # how many output records each of them stands for
        self._random = random.Random(metrics.stageName)

    def call(
        self, processMethod: ProcessMethod[S, R], stage: S, stream: Iterator[Any]
    ) -> Iterator[R]:
        """Call ``process``; return an iterator over what it returns (any iterable will do).

        A generator does its work later, inside ``next()``; a ``process`` that returns a
        list did it all now, so the call's own time is counted too (``callSeconds``).
        """
        upstream, start = self.upstreamSeconds, self.clock()
        result = processMethod(stage, stream)
        ownTime = self.clock() - start - (self.upstreamSeconds - upstream)
        self.metrics.callSeconds = max(0.0, ownTime)
        try:
            return iter(result)
        except TypeError:
            raise TypeError(
                f"measuredStage({self.metrics.stageName!r}): process() must return an "
                f"iterable of records (a generator, a list...), got {result!r}"
            ) from None

    # -- the input side: what the stage iterates over ----------------------------------

    def inputSegments(self, stream: Iterator[Any]) -> Iterator[Iterable[Any]]:
        """Timed fetches while timing is on, then an untimed gap (pulled at C speed by chain)."""
        clock, gaps = self.clock, list[int]()
        while True:
            while self.requestedTimings != self.finishedTimings:
                start = clock()
                try:
                    record = next(stream)
                except StopIteration:
                    return
                finally:
                    self.upstreamSeconds += clock() - start
                yield (record,)
            # The output side has timed its record: skip a random gap, then ask again.
            gaps = gaps or self._drawGaps()
            gap = gaps.pop()
            if gap:
                yield islice(stream, gap)
            self.requestedTimings += 1

    def _drawGaps(self) -> list[int]:
        """Untimed input records before each timed one: geometric, mean ``sampleEvery - 1``."""
        logMiss, draw = math.log(1.0 - 1.0 / self.metrics.sampleEvery), self._random.random
        return [int(math.log(1.0 - draw()) / logMiss) for _ in range(ROUND_SIZE)]

    # -- the output side: what the consumer iterates over ------------------------------

    def outputs(self, inner: Iterator[R], closeAfter: Iterator[Any]) -> Iterator[R]:
        """Yield the stage's records; time the stage's ``next()`` while timing is on."""
        clock, metrics, latencies, weights = (
            self.clock,
            self.metrics,
            self._latencies,
            self._weights,
        )
        # Counted at C speed, as the input is: `count += 1` per record would cost more than
        # this loop's other work together (an int above 256 is a new object each time).
        delivered = Tally(inner)
        records, lastTimed = delivered.stream, 0
        metrics.outcome = "running"
        try:
            while True:
                finished = self.finishedTimings  # only this side writes it
                if self.requestedTimings == finished:  # untimed until the input side asks
                    for record in records:
                        yield record
                        if self.requestedTimings != finished:
                            break
                    else:
                        metrics.outcome = "exhausted"
                        return
                upstream, start = self.upstreamSeconds, clock()
                try:
                    record = next(records)
                except StopIteration:
                    ownTime = clock() - start - (self.upstreamSeconds - upstream)
                    metrics.tailSeconds = max(0.0, ownTime)
                    metrics.outcome = "exhausted"
                    return
                ownTime = clock() - start - (self.upstreamSeconds - upstream)
                count = delivered.count
                latencies.append(ownTime)
                weights.append(count - lastTimed)  # itself and the untimed ones before it
                lastTimed = count
                if len(latencies) == ROUND_SIZE:
                    metrics.recordsOut = count
                    self._endRound()
                if self._sampled:
                    self.finishedTimings = self.requestedTimings  # the input side picks the next
                yield record
        except GeneratorExit:
            metrics.outcome = "closed"
            raise
        except BaseException as error:
            metrics.outcome, metrics.error = "failed", describeError(error)
            raise
        finally:
            metrics.recordsOut = delivered.count
            self._endRound()
            closeIterator(inner)  # the stage's own finally runs now, not at garbage collection
            closeIterator(closeAfter)
            self._finished()

    def _endRound(self) -> None:
        """Fold the round's latencies into the histogram; decide how to time the next round."""
        latencies, weights, metrics = self._latencies, self._weights, self.metrics
        if len(latencies) > len(weights):  # an interrupt landed between the two appends:
            del latencies[len(weights) :]  # that record's time goes, its count stays exact
        if latencies:
            if min(latencies) < 0.0:  # rounding, or a clock that is not monotonic
                latencies[:] = map(max, latencies, repeat(0.0))
            # All weights 1 (every record timed) takes the histogram's C-speed path.
            metrics.histogram.addMany(latencies, 1 if sum(weights) == len(weights) else weights)
            metrics.timedRecords += len(latencies)
            meanSeconds = math.fsum(latencies) / len(latencies)
            self._sampled = metrics.sampleEvery > 1 and meanSeconds < FAST_STAGE_MS / 1000.0
            latencies.clear()
            weights.clear()
        metrics.recordsIn = self._tally.count

    def _finished(self) -> None:
        if not self.logSummary:
            return  # inside a PipelineContext: ctx.report() shows it
        metrics = self.metrics
        if metrics.outcome == "exhausted":
            logger.info("%s", metrics.summary())
        else:
            logger.info("%s (%s)", metrics.summary(), metrics.error or metrics.outcome)

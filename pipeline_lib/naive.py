"""The slides' versions, kept as they are so notebooks can put "before" beside "after".

**Do not use these in real code.** Each one is faithful to its slide and each one has
the flaw the lecture's notebooks demonstrate:

- :func:`runWithoutCleanup` chains the generators and closes nothing: after a failure
  the suspended generators keep their connections and files for as long as anything
  (a held traceback, say) references them. Use :class:`~pipeline_lib.PipelineContext`.
- :func:`measuredStage` (slide 9) times the gap between handing a record downstream and
  being asked for the next one, which is the *consumer's* time, and keeps every latency
  in a list. Use :func:`pipeline_lib.measuredStage`.
- :func:`retryOnFailure` (slide 10) restarts the stream from scratch after an
  ``IOError``, so every record delivered before the failure is delivered again. Use
  :func:`pipeline_lib.retryOnFailure`.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["NaiveStageMetrics", "measuredStage", "retryOnFailure", "runWithoutCleanup"]

logger = logging.getLogger("pipeline_lib")


def runWithoutCleanup(source: Any, stages: Sequence[Any], sink: Any) -> int:
    """Slide 4's run() without the context manager: chain, drain, close nothing.

    Returns the number of records the sink received. If anything fails, the exception
    propagates and every generator upstream of the failure stays suspended, holding
    whatever it opened.
    """
    recordCount = 0

    def counted(stream: Iterator[Any]) -> Iterator[Any]:
        nonlocal recordCount
        for record in stream:
            recordCount += 1
            yield record

    stream = source.stream()
    for stage in stages:
        stream = stage.process(stream)
    sink.consume(counted(stream))
    return recordCount


@dataclass
class NaiveStageMetrics:
    """Slide 9's metrics: a list that grows by one float per record."""

    stageName: str
    latenciesMs: list[float] = field(default_factory=list)

    @property
    def meanLatencyMs(self) -> float:
        """The mean of the list: what slide 9 reports (the consumer's time, not the stage's)."""
        return sum(self.latenciesMs) / len(self.latenciesMs) if self.latenciesMs else 0.0

    def summary(self) -> str:
        count, mean = len(self.latenciesMs), self.meanLatencyMs
        return f"{self.stageName}: out={count} meanLatency={mean:.3f}ms (slide 9: consumer time)"


#: The metrics of every stage measured by the naive decorator, newest last.
naiveMetrics: list[NaiveStageMetrics] = []


def measuredStage(
    stageName: str, *, clock: Callable[[], float] = time.perf_counter
) -> Callable[[Callable[..., Iterator[Any]]], Callable[..., Any]]:
    """Slide 9, verbatim in spirit: times from ``yield`` until the consumer asks again.

    Not on the slide, for side-by-side demos with :func:`pipeline_lib.measuredStage`:
    ``clock`` (a fake one makes the comparison deterministic) and
    ``YourStage.process.lastMetrics`` (the newest call's metrics).
    """

    def decorator(processMethod: Callable[..., Iterator[Any]]) -> Callable[..., Any]:
        @functools.wraps(processMethod)
        def wrapper(self: Any, inputStream: Iterator[Any]) -> Iterator[Any]:
            metrics = NaiveStageMetrics(stageName=stageName)
            naiveMetrics.append(metrics)
            wrapper.__dict__["lastMetrics"] = metrics
            for record in processMethod(self, inputStream):
                recStart = clock()
                yield record
                metrics.latenciesMs.append((clock() - recStart) * 1000)
            logger.info("%s", metrics.summary())

        wrapper.__dict__["lastMetrics"] = None
        return wrapper

    return decorator


def retryOnFailure(
    maxAttempts: int = 3, delaySeconds: float = 1.0
) -> Callable[[Callable[..., Iterator[Any]]], Callable[..., Any]]:
    """Slide 10, verbatim in spirit: on ``IOError``, start the whole stream again."""

    def decorator(streamMethod: Callable[..., Iterator[Any]]) -> Callable[..., Any]:
        @functools.wraps(streamMethod)
        def wrapper(self: Any) -> Iterator[Any]:
            for attempt in range(maxAttempts):
                try:
                    yield from streamMethod(self)
                    return
                except OSError:  # IOError is an alias of OSError
                    if attempt < maxAttempts - 1:
                        time.sleep(delaySeconds)
                    else:
                        raise

        return wrapper

    return decorator

"""What the engine observes during one run: stage metrics and retries.

``PipelineContext.run`` opens an observation for the duration of the run; decorators
that run inside it (``@measuredStage``, ``@retryOnFailure``) report into it through a
:class:`contextvars.ContextVar`, so neither the decorators nor the stages need a
reference to the context. Outside a run there is no observation and they just log.

>>> with observing() as seen:
...     currentObservations() is seen
True
>>> currentObservations() is None
True
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["RunObservations", "StageReport", "currentObservations", "observing"]


class StageReport(Protocol):
    """What a run needs from a stage's metrics: a name and a one-line summary."""

    stageName: str

    def summary(self) -> str: ...


@dataclass
class RunObservations:
    """Stage metrics in pipeline order, and retry counts per retried method."""

    stageMetrics: dict[str, StageReport] = field(default_factory=dict)
    retries: dict[str, int] = field(default_factory=dict)

    def addStage(self, metrics: StageReport) -> str:
        """Register a stage's metrics; a repeated name gets ``#2``, ``#3``... Returns the key."""
        key, n = metrics.stageName, 1
        while key in self.stageMetrics:
            n += 1
            key = f"{metrics.stageName}#{n}"
        self.stageMetrics[key] = metrics
        return key

    def countRetry(self, name: str) -> None:
        self.retries[name] = self.retries.get(name, 0) + 1


_current: ContextVar[RunObservations | None] = ContextVar("pipelineObservations", default=None)


def currentObservations() -> RunObservations | None:
    """The observation of the run in progress, or ``None`` outside a run."""
    return _current.get()


@contextmanager
def observing() -> Iterator[RunObservations]:
    """Open a fresh observation for the code inside the ``with`` block."""
    observations = RunObservations()
    token = _current.set(observations)
    try:
        yield observations
    finally:
        _current.reset(token)

"""The FailureLab's parts: one run's record, the retried source, a progress tap, the plots."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure

from .. import naive
from ..cleanup import ComponentWrapper
from ..metrics import StageMetrics
from ..plotting import newFigure, plotLatencyPercentiles
from ..resume import resumeStream
from ..retry import retryOnFailure
from .kit import placeholderFigure

__all__ = ["HeldSeries", "LabRun", "ProgressTap", "RetriedSource", "latencyFigure"]


@dataclass(frozen=True)
class LabRun:
    """One Run of the lab: what was asked, how it ended, and what it left held afterwards."""

    run: int
    runner: str
    failAt: str
    status: str  # "completed" or "failed"
    error: str | None  # "OSError: injected failure at record 5 of SqliteSource (permanent)"
    delivered: int  # records that reached the sink
    duplicates: int  # records the sink received more than once
    faultsInjected: int  # failures the fault raised during this run
    connectionsInUse: int  # pooled connections still acquired after the run
    descriptorsHeld: int  # descriptors open on the lab's database, minus those at (re)start
    seconds: float
    retries: int = 0  # times the source's stream was started again after a failure
    #: Each stage's own-time metrics for this run (``@measuredStage``), in pipeline order.
    stageMetrics: Mapping[str, StageMetrics] = field(
        default_factory=dict, repr=False, compare=False
    )


class ProgressTap:
    """A pass-through stage that counts records (``seen``) and moves a bar every ``step``."""

    def __init__(self, bar: Any, step: int) -> None:
        self.bar = bar
        self.step = step
        self.seen = 0

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        for record in inputStream:
            self.seen += 1
            if self.seen % self.step == 0:
                self.bar.value = self.seen
            yield record


@dataclass
class HeldSeries:
    """The lab's runs as :func:`~pipeline_lib.plotting.plotOpenResources` reads a history."""

    label: str
    poolSize: int
    runs: list[int]
    connectionsInUse: list[int]
    descriptorsOpened: list[int]


def latencyFigure(run: LabRun | None) -> Figure:
    """The last run's own time per record by stage, or why there is nothing to show."""
    title = "Own time per record, by stage"
    if run is None:
        return placeholderFigure(newFigure(title, "stage", "own time (ms)")[0], "No run yet")
    metrics = run.stageMetrics
    suspended = any(m.outcome == "running" for m in metrics.values())
    if not any(m.histogram.count for m in metrics.values()):
        why = ": its stages were never closed" if suspended else ""
        message = f"Run {run.run} timed no record{why}"
        return placeholderFigure(newFigure(title, "stage", "own time (ms)")[0], message)
    partial = " (stages left suspended: partial)" if suspended else ""
    return plotLatencyPercentiles(metrics, title=f"{title}, run {run.run}{partial}")


class RetriedSource(ComponentWrapper):
    """The lab's source with its stream retried: the engine's decorator, or slide 10's.

    Both decorate the same function, which counts ``attempts`` and streams the source,
    resumed after ``resumeAfter`` records when the engine asks (slide 10 never does).
    """

    def __init__(
        self, source: Any, maxAttempts: int, naiveRetry: bool, sleep: Callable[[float], object]
    ) -> None:
        super().__init__(source)
        self.naive = naiveRetry
        self.attempts = 0

        def stream(resumeAfter: int = 0) -> Iterator[Any]:
            self.attempts += 1
            return resumeStream(source, resumeAfter)

        stream.__qualname__ = "SqliteSource.stream"  # how the engine's retry log names it
        self._stream: Callable[[], Iterator[Any]]
        if naiveRetry:
            slide10 = naive.retryOnFailure(maxAttempts=maxAttempts, delaySeconds=0)

            def restart(owner: object) -> Iterator[Any]:
                return stream()

            retried = slide10(restart)
            self._stream = lambda: retried(self)
        else:
            self._stream = retryOnFailure(maxAttempts=maxAttempts, sleep=sleep)(stream)

    def stream(self) -> Iterator[Any]:
        return self._stream()

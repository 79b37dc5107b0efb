"""Layer 1, lifecycle: ``PipelineContext`` guarantees cleanup and never hides an error.

Slide 3's context manager logs how a run ended, but closes nothing: when a stage fails,
the generators upstream of it stay suspended in mid-``for``, and whatever they opened
(a pooled connection, a file) stays open for as long as anything references them, for
example a traceback kept by a logger or a retry loop. This one closes everything::

    with PipelineContext(source, pipelineId="sensor_ingest") as ctx:
        ctx.run(stages=[filterStage, normalizeStage], sink=fileSink)

When the block exits (success, exception or ``KeyboardInterrupt``), every generator of
the chain has been closed, so its ``finally`` blocks have run, and every component that
owns a resource (a context manager, or an object with ``close()``) has been closed, in
reverse order of opening. A cleanup that fails is attached to the original exception as
a note and logged; the original is what reaches the caller, and ``__exit__`` returns
False. Limits: nothing runs on ``SIGKILL`` or ``os._exit``; the operating system then
closes descriptors, but a remote server may keep a session until it times out.

>>> from pipeline_lib import SensorSource, ThresholdFilter, ListSink
>>> sink = ListSink()
>>> with PipelineContext(SensorSource(count=100, seed=1), pipelineId="demo") as ctx:
...     ctx.run(stages=[ThresholdFilter(20.0, 80.0)], sink=sink)
>>> ctx.status, ctx.recordCount == len(sink.records)
('completed', True)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any, Literal

from .cleanup import CleanupStack, describeError, openComponent
from .observe import RunObservations, StageReport, observing
from .tally import Tally

__all__ = ["PipelineContext", "Report"]

logger = logging.getLogger("pipeline_lib")

Status = Literal["created", "running", "completed", "failed"]


class Report(str):
    """Text that shows as itself in a notebook: ``ctx.report()`` displays a table, not a repr."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


class PipelineContext:
    """Run one pipeline inside a ``with`` block, with cleanup guaranteed.

    After the block: ``recordCount`` (records delivered to the sink), ``elapsedSeconds``,
    ``status`` (``"completed"`` or ``"failed"``), ``error`` (the exception or ``None``),
    ``metrics`` (measured stages, in pipeline order) and :meth:`report`.
    """

    def __init__(self, source: Any, pipelineId: str = "pipeline") -> None:
        _requireMethod(source, "stream", "source")
        self.source = source
        self.pipelineId = pipelineId
        self.recordCount = 0
        self.status: Status = "created"
        self.error: BaseException | None = None
        self._startTime: float | None = None
        self._elapsed: float | None = None
        self._observations = RunObservations()
        self._ran = False

    def __repr__(self) -> str:
        return (
            f"PipelineContext(pipelineId={self.pipelineId!r}, status={self.status!r}, "
            f"recordCount={self.recordCount})"
        )

    # -- the context manager protocol -------------------------------------------------

    def __enter__(self) -> PipelineContext:
        if self.status != "created":
            raise RuntimeError(f"PipelineContext {self.pipelineId!r} cannot be entered twice")
        self.status = "running"
        self._startTime = time.perf_counter()
        logger.info("[%s] Started", self.pipelineId)
        return self

    def __exit__(
        self,
        excType: type[BaseException] | None,
        excVal: BaseException | None,
        excTb: TracebackType | None,
    ) -> Literal[False]:
        self._elapsed = self.elapsedSeconds
        if excVal is None:
            self.status = "completed"
            logger.info(
                "[%s] Completed: %d records in %.3fs",
                self.pipelineId,
                self.recordCount,
                self._elapsed,
            )
        else:
            self.status, self.error = "failed", excVal
            logger.error(
                "[%s] FAILED after %.3fs: %s", self.pipelineId, self._elapsed, describeError(excVal)
            )
        return False  # never suppress: the caller decides what an error means

    # -- running ----------------------------------------------------------------------

    def run(self, stages: Sequence[Any] = (), sink: Any = None) -> None:
        """Chain ``source -> stages -> sink``, count the records, and clean up afterwards.

        Components that own resources are opened first, in pipeline order; when the run
        ends, however it ends, the generators are closed (outermost first) and then the
        components, in reverse order of opening.
        """
        if self.status != "running":
            raise RuntimeError("PipelineContext.run() must be called inside its `with` block")
        if self._ran:
            raise RuntimeError(
                f"PipelineContext {self.pipelineId!r} runs once; open a new context per run"
            )
        self._ran = True
        stages = list(stages)
        for index, stage in enumerate(stages):
            _requireMethod(stage, "process", f"stages[{index}]")
        _requireMethod(sink, "consume", "sink")

        cleanup = CleanupStack()
        tally: Tally | None = None
        try:
            with observing() as self._observations:
                self._openComponents(cleanup, stages, sink)
                tally = Tally(self._chain(cleanup, stages))  # counting costs no Python step
                sink.consume(tally.stream)
        except BaseException as error:
            self.recordCount = tally.count if tally else 0
            cleanup.unwind(error)
            raise
        self.recordCount = tally.count
        cleanup.unwind()

    def _openComponents(self, cleanup: CleanupStack, stages: list[Any], sink: Any) -> None:
        openComponent(cleanup, self.source, f"source {_name(self.source)}")
        for index, stage in enumerate(stages):
            openComponent(cleanup, stage, f"stage {index} {_name(stage)}")
        openComponent(cleanup, sink, f"sink {_name(sink)}")

    def _chain(self, cleanup: CleanupStack, stages: list[Any]) -> Iterator[Any]:
        stream: Iterator[Any] = self.source.stream()
        cleanup.closeLater(stream, f"the stream of {_name(self.source)}")
        for stage in stages:
            stream = stage.process(stream)
            cleanup.closeLater(stream, f"the generator of {_name(stage)}")
        return stream

    # -- results ----------------------------------------------------------------------

    @property
    def elapsedSeconds(self) -> float:
        """Seconds from ``__enter__`` to ``__exit__`` (so far, while the block runs)."""
        if self._elapsed is not None:
            return self._elapsed
        if self._startTime is None:
            return 0.0
        return time.perf_counter() - self._startTime

    @property
    def metrics(self) -> dict[str, StageReport]:
        """Metrics of the ``@measuredStage`` stages of the run, keyed by name, in order."""
        return dict(self._observations.stageMetrics)

    @property
    def retries(self) -> dict[str, int]:
        """Retries made by ``@retryOnFailure`` methods during the run, by method."""
        return dict(self._observations.retries)

    def report(self) -> Report:
        """A short table: outcome, records, time, then one line per measured stage."""
        outcome = (
            self.status if self.error is None else f"{self.status} ({describeError(self.error)})"
        )
        lines = [
            f"Pipeline {self.pipelineId}: {outcome}, {self.recordCount} records "
            f"in {self.elapsedSeconds:.3f}s"
        ]
        lines += [f"  {metrics.summary()}" for metrics in self._observations.stageMetrics.values()]
        lines += [
            f"  retries: {name} retried {count} time{'s' if count != 1 else ''}"
            for name, count in self._observations.retries.items()
        ]
        return Report("\n".join(lines))


_PROTOCOL_OF = {"stream": "Source", "process": "Stage", "consume": "Sink"}


def _requireMethod(component: object, method: str, role: str) -> None:
    if not callable(getattr(component, method, None)):
        raise TypeError(
            f"PipelineContext: {role} must have a {method}() method "
            f"(the {_PROTOCOL_OF[method]} protocol), got {component!r}"
        )


def _name(component: object) -> str:
    return type(component).__name__

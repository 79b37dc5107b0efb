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
False. A second Ctrl-C during the cleanup waits until the cleanup has finished. A run
that raised is reported ``"failed"`` even if the block caught the exception.

Limits (the README's guarantee section has the full list): nothing runs on ``SIGKILL``
or ``os._exit``; a generator that swallows ``GeneratorExit`` cannot be made to stop; and
the engine closes only what it can see: a helper generator a stage creates inside
``process`` stays suspended in the stage's frame while a traceback holds that frame,
unless the stage closes it (``contextlib.closing``) or the context was made with
``clearFrames=True``, which clears the failed run's frames once cleanup has run.

>>> from pipeline_lib import SensorSource, ThresholdFilter, ListSink
>>> sink = ListSink()
>>> with PipelineContext(SensorSource(count=100, seed=1), pipelineId="demo") as ctx:
...     ctx.run(stages=[ThresholdFilter(20.0, 80.0)], sink=sink)
>>> ctx.status, ctx.recordCount == len(sink.records)
('completed', True)
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any, Literal

from .cleanup import CleanupStack, openComponent, ownsResource
from .observe import RunObservations, StageReport, observing
from .protocols import ROLES, Role, Sink, Source, Stage
from .runstate import Report, RunState, refuseDuplicates, sinkFinishedNote
from .tally import Tally
from .validators import shortRepr

__all__ = ["PipelineContext", "Report"]


class PipelineContext(RunState):
    """Run one pipeline inside a ``with`` block, with cleanup guaranteed.

    After the block: ``recordCount`` (records delivered to the sink), ``elapsedSeconds``,
    ``status`` (``"completed"`` or ``"failed"``), ``error`` (the exception or ``None``),
    ``metrics`` (measured stages, in pipeline order) and :meth:`report`.
    ``sinkFinished`` says whether the sink's ``consume()`` returned: the built-in sinks
    have then committed their output, even if closing a component failed afterwards
    (the error then carries a note saying so).

    ``clearFrames=True``: when a run fails, once every cleanup has run, clear the local
    variables of the frames in the error's traceback (:func:`traceback.clear_frames`),
    so whatever only a stage's locals kept alive (a helper generator holding a pooled
    connection) is released even while someone holds the error. The traceback still
    prints, but a debugger finds no locals in those frames.
    """

    def __init__(
        self, source: Source, pipelineId: str = "pipeline", *, clearFrames: bool = False
    ) -> None:
        _requireMethod(source, "source", "source")
        super().__init__(pipelineId)
        self.source = source
        self.clearFrames = clearFrames
        self._observations = RunObservations()

    # -- the context manager protocol -------------------------------------------------

    def __enter__(self) -> PipelineContext:
        self._begin()
        return self

    def __exit__(
        self,
        excType: type[BaseException] | None,
        excVal: BaseException | None,
        excTb: TracebackType | None,
    ) -> Literal[False]:
        self._end(excVal)
        return False  # never suppress: the caller decides what an error means

    # -- running ----------------------------------------------------------------------

    def run(self, stages: Sequence[Stage] = (), *, sink: Sink) -> None:
        """Chain ``source -> stages -> sink``, count the records, and clean up afterwards.

        Components that own resources are opened first, in pipeline order; when the run
        ends, however it ends, the generators are closed (outermost first) and then the
        components, in reverse order of opening. A component that owns a resource may
        take only one place in the pipeline (it would be opened twice); that is checked
        before anything is opened.
        """
        self._startRun("its `with` block")
        try:  # one frame, so a traceback reads run -> consume -> process, as on the slides
            stages = list(stages)
            for index, stage in enumerate(stages):
                _requireMethod(stage, "stage", f"stages[{index}]")
            _requireMethod(sink, "sink", "sink")
            refuseDuplicates("PipelineContext", self.source, stages, sink, ownsResource)
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
            self.sinkFinished = True
            try:
                cleanup.unwind()
            except BaseException as error:
                error.add_note(sinkFinishedNote(sink, self.recordCount))
                raise
        except BaseException as error:
            self._noteRunError(error)
            if self.clearFrames:
                _clearFrames(error)
            raise

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
    def metrics(self) -> dict[str, StageReport]:
        """Metrics of the ``@measuredStage`` stages of the run, keyed by name, in order."""
        return dict(self._observations.stageMetrics)

    @property
    def retries(self) -> dict[str, int]:
        """Retries made by ``@retryOnFailure`` methods during the run, by method."""
        return dict(self._observations.retries)

    def report(self) -> Report:
        """A short table: outcome, records, time, then one line per measured stage."""
        lines = [self._outcomeLine()]
        lines += [f"  {metrics.summary()}" for metrics in self._observations.stageMetrics.values()]
        lines += [
            f"  retries: {name} retried {count} time{'s' if count != 1 else ''}"
            for name, count in self._observations.retries.items()
        ]
        return Report("\n".join(lines))


def _requireMethod(component: object, role: Role, where: str) -> None:
    method, protocol = ROLES[role]
    if not callable(getattr(component, method, None)):
        raise TypeError(
            f"PipelineContext: {where} must have a {method}() method "
            f"(the {protocol.__name__} protocol), got {shortRepr(component)}"
        )


def _clearFrames(error: BaseException) -> None:
    """Clear the locals of the frames in ``error``'s traceback and in those it chains to."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        traceback.clear_frames(current.__traceback__)  # frames still running are skipped
        pending += [current.__cause__, current.__context__]


def _name(component: object) -> str:
    return type(component).__name__

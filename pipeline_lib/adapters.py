"""Layer 3 for components built from a pipeline file: measure any stage, retry any source.

``@measuredStage`` and ``@retryOnFailure`` decorate *methods*, in a class you write. A
pipeline file names classes that are already written (the built-ins, or yours), so the
command line wraps their *instances* instead: :class:`MeasuredStage` runs a stage's
``process`` under ``@measuredStage(stageName)``, :class:`RetriedSource` runs a source's
``stream`` under ``@retryOnFailure(...)``. Each adapter keeps the protocol of what it
wraps, opens and closes whatever the wrapped component owns, and shows it as
``.wrapped``.

>>> from pipeline_lib import PipelineContext, SensorSource, ThresholdFilter, ListSink
>>> stage = MeasuredStage(ThresholdFilter(20.0, 80.0), "filter")
>>> with PipelineContext(SensorSource(count=100, seed=1)) as ctx:
...     ctx.run(stages=[stage], sink=ListSink())
>>> list(ctx.metrics), ctx.metrics["filter"].recordsIn
(['filter'], 100)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .cleanup import ComponentWrapper
from .metrics import StageMetrics, measuredStage
from .resume import resumeStream
from .retry import retryOnFailure

__all__ = ["MeasuredStage", "RetriedSource", "isMeasured"]


class _Adapter(ComponentWrapper):
    """What both adapters share: the wrapped component, opened and closed with the adapter."""

    @property
    def wrapped(self) -> Any:
        """The component this adapter stands in for."""
        return self.component


class MeasuredStage(_Adapter):
    """``stage``, with each ``process`` call measured as ``stageName`` (see ``measuredStage``)."""

    def __init__(self, stage: Any, stageName: str) -> None:
        super().__init__(stage)
        self.stageName = stageName
        self._process = measuredStage(stageName)(_process)

    def __repr__(self) -> str:
        return f"MeasuredStage({self.wrapped!r}, {self.stageName!r})"

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        return self._process(self.wrapped, inputStream)

    @property
    def metrics(self) -> StageMetrics | None:
        """The metrics of the newest ``process`` call (``None`` before the first)."""
        metrics: StageMetrics | None = getattr(self._process, "lastMetrics", None)
        return metrics


def _process(stage: Any, inputStream: Iterator[Any]) -> Iterator[Any]:
    return stage.process(inputStream)  # type: ignore[no-any-return]


def isMeasured(stage: Any) -> bool:
    """Whether ``stage.process`` is already decorated with ``@measuredStage``."""
    return hasattr(getattr(stage, "process", None), "lastMetrics")


class RetriedSource(_Adapter):
    """``source``, its stream retried on transient errors with ``retryOnFailure(**options)``.

    The retry resumes after the last record delivered: with ``stream(resumeAfter=k)``
    when the source offers it, else by re-reading and skipping (``resumeStream``).
    """

    def __init__(self, source: Any, **options: Any) -> None:
        super().__init__(source)
        self.options = options

        def stream(resumeAfter: int = 0) -> Iterator[Any]:
            return resumeStream(source, resumeAfter)

        stream.__qualname__ = f"{type(source).__name__}.stream"  # its name in ctx.retries
        self._stream = retryOnFailure(**options)(stream)

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"RetriedSource({self.wrapped!r}, {options})"

    def stream(self, resumeAfter: int = 0) -> Iterator[Any]:
        return self._stream(resumeAfter=resumeAfter)

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

from collections.abc import Callable, Iterator
from typing import Any

from .cleanup import ComponentWrapper
from .metrics import StageMetrics, measuredStage
from .resume import resumeMethod, resumeStream
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
    """``source``, its stream retried: by ``retryOnFailure(**options)``, or by ``retry``.

    The engine's retry resumes after the last record delivered: with
    ``stream(resumeAfter=k)`` when the source offers it, else by re-reading and skipping
    (``resumeStream``). ``retry`` takes another decorator for a ``stream(self)`` method
    instead, such as slide 10's ``naive.retryOnFailure(maxAttempts=3, delaySeconds=0)``,
    which starts the stream again (the failure lab counts the duplicates that delivers).
    ``attempts`` counts the streams started, retries included. ``name`` is the source's
    name in the retry's log lines and in ``ctx.retries`` (by default, its class name).

    >>> from pipeline_lib import SensorSource, naive
    >>> from pipeline_lib.faults import Fault, failSource
    >>> def flaky():
    ...     return failSource(SensorSource(count=5, seed=1), Fault(atRecord=2, times=1))
    >>> engine = RetriedSource(flaky(), maxAttempts=2, delaySeconds=0.0, name="Hub")
    >>> len(list(engine.stream())), engine.attempts       # resumed: each record once
    (5, 2)
    >>> slide10 = RetriedSource(flaky(), retry=naive.retryOnFailure(2, delaySeconds=0))
    >>> len(list(slide10.stream())), slide10.attempts     # restarted: records 0 and 1 twice
    (7, 2)
    """

    def __init__(
        self,
        source: Any,
        *,
        name: str | None = None,
        retry: Callable[[Callable[..., Iterator[Any]]], Callable[..., Iterator[Any]]] | None = None,
        **options: Any,
    ) -> None:
        if retry is not None and options:
            raise TypeError(
                "RetriedSource takes retry=<decorator> or retryOnFailure's options, not both; "
                f"got retry={retry!r} and {', '.join(options)}"
            )
        super().__init__(source)
        self.options = options
        self.attempts = 0
        self._resumable = retry is None

        def stream(owner: RetriedSource, resumeAfter: int = 0) -> Iterator[Any]:
            owner.attempts += 1
            return resumeStream(owner.wrapped, resumeAfter)

        stream.__qualname__ = f"{name or type(source).__name__}.stream"  # its name in logs
        decorator = retryOnFailure(**options) if retry is None else retry
        self._stream = decorator(stream)

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"RetriedSource({self.wrapped!r}, {options})"

    def stream(self, resumeAfter: int = 0) -> Iterator[Any]:
        if self._resumable:
            return self._stream(self, resumeAfter=resumeAfter)
        return resumeMethod(lambda: self._stream(self), resumeAfter, resumable=False)

"""What a pipeline context records about its one run, shared by the sync and async contexts.

``PipelineContext`` and ``AsyncPipelineContext`` differ in how they open, chain and close
(``with`` and generators, ``async with`` and async generators), but they report a run the
same way, and the same promises hold for both: a run that raised is reported failed
whatever the block did with the exception; the same resource-owning object is refused in
two places before anything opens; a run that fails after the sink finished says that the
output was written. Those live here, once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from .cleanup import describeError
from .validators import shortRepr

__all__ = ["Report", "RunState", "refuseDuplicates", "sinkFinishedNote"]

logger = logging.getLogger("pipeline_lib")


class Report(str):
    """Text that shows as itself in a notebook: ``ctx.report()`` displays a table, not a repr."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


class RunState:
    """Status, error, record count and timing of one run, and the log lines that tell it.

    A subclass calls :meth:`_begin` on entering its block, :meth:`_end` on leaving it, and
    :meth:`_noteRunError` when its ``run()`` raised (so a caught failure still counts).
    """

    def __init__(self, pipelineId: str) -> None:
        self.pipelineId = pipelineId
        self.recordCount = 0
        self.sinkFinished = False
        self.status = "created"
        self.error: BaseException | None = None
        self._runError: BaseException | None = None
        self._startTime: float | None = None
        self._elapsed: float | None = None
        self._ran = False

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(pipelineId={self.pipelineId!r}, status={self.status!r}, "
            f"recordCount={self.recordCount})"
        )

    def _begin(self) -> None:
        if self.status != "created":
            raise RuntimeError(f"{type(self).__name__} {self.pipelineId!r} cannot be entered twice")
        self.status = "running"
        self._startTime = time.perf_counter()
        logger.info("[%s] Started", self.pipelineId)

    def _startRun(self, insideBlock: str) -> None:
        """Refuse a ``run()`` outside the block, or a second one."""
        if self.status != "running":
            raise RuntimeError(f"{type(self).__name__}.run() must be called inside {insideBlock}")
        if self._ran:
            raise RuntimeError(
                f"{type(self).__name__} {self.pipelineId!r} runs once; open a new context per run"
            )
        self._ran = True

    def _noteRunError(self, error: BaseException) -> None:
        self._runError = error  # failed, whatever the block does with the exception

    def _end(self, excVal: BaseException | None) -> None:
        self._elapsed = self.elapsedSeconds
        # A run that raised failed, even if the block caught the exception.
        excVal = excVal if excVal is not None else self._runError
        if excVal is None:
            self.status = "completed"
            logger.info(
                "[%s] Completed: %d records in %.3fs",
                self.pipelineId,
                self.recordCount,
                self._elapsed,
            )
        else:
            self.status, self.error = self._failedStatus(excVal), excVal
            if self.status == "cancelled":  # not an error: someone asked it to stop
                logger.warning("[%s] CANCELLED after %.3fs", self.pipelineId, self._elapsed)
            else:
                logger.error(
                    "[%s] FAILED after %.3fs: %s",
                    self.pipelineId,
                    self._elapsed,
                    describeError(excVal),
                )

    def _failedStatus(self, error: BaseException) -> str:
        """The status of a run that ended with ``error`` (the async context adds cancelled)."""
        return "failed"

    @property
    def elapsedSeconds(self) -> float:
        """Seconds from entering the block to leaving it (so far, while the block runs)."""
        if self._elapsed is not None:
            return self._elapsed
        if self._startTime is None:
            return 0.0
        return time.perf_counter() - self._startTime

    def _outcomeLine(self) -> str:
        outcome = (
            self.status if self.error is None else f"{self.status} ({describeError(self.error)})"
        )
        return (
            f"Pipeline {self.pipelineId}: {outcome}, {self.recordCount} records "
            f"in {self.elapsedSeconds:.3f}s"
        )


def sinkFinishedNote(sink: object, recordCount: int) -> str:
    """The note on an error raised while closing, after the sink had finished."""
    return (
        f"the sink {type(sink).__name__} had already finished ({recordCount} records): "
        "its output is written; the run failed afterwards, while closing"
    )


def refuseDuplicates(
    owner: str,
    source: object,
    stages: Sequence[Any],
    sink: object,
    ownsResource: Callable[[object], bool],
) -> None:
    """Refuse a component that owns a resource and takes two places: it would be opened twice."""
    places: dict[int, list[str]] = {}
    components: dict[int, object] = {}
    named = [("source", source), *((f"stages[{i}]", s) for i, s in enumerate(stages))]
    for where, component in [*named, ("sink", sink)]:
        if not ownsResource(component):
            continue  # nothing to open: a plain stage may be reused (its metrics get #2)
        places.setdefault(id(component), []).append(where)
        components[id(component)] = component
    for key, roles in places.items():
        if len(roles) > 1:
            raise ValueError(
                f"{owner}: the same object {shortRepr(components[key])} is "
                f"{' and '.join(roles)}; a component takes one place in a pipeline "
                "(it would be opened and closed twice): create one object per place"
            )

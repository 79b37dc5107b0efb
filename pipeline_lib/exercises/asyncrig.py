"""Check 08.3's rig: an async pipeline that records which generators started and closed.

The source and the stages are async generators whose ``finally`` notes that they closed;
the sink can fail, cancel its own task or stop reading early at record 5. The rig runs in
an event loop of its own, on a thread, because a notebook's loop is already running.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from .verdict import require

__all__ = ["Trace", "TracedSink", "TracedSource", "TracedStage", "runInFreshLoop"]


class Trace:
    """What the check's async components saw: started and closed generators."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.closed: list[str] = []
        self.raised: BaseException | None = None  # the very error a stage or the sink raised

    def fail(self, error: BaseException) -> BaseException:
        """Remember ``error`` as the one raised, to compare with what reaches the caller."""
        self.raised = error
        return error

    @property
    def open(self) -> list[str]:
        return [name for name in self.started if name not in self.closed]


class TracedSource:
    """Twenty records, one loop turn apart: where a cancellation can land."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace

    async def stream(self) -> AsyncIterator[int]:
        self.trace.started.append("source")
        try:
            for value in range(20):
                await asyncio.sleep(0)
                yield value
        finally:
            self.trace.closed.append("source")


class TracedStage:
    """Passes records on; raises OSError at record ``failAt`` if given."""

    def __init__(self, name: str, trace: Trace, failAt: int | None = None) -> None:
        self.name, self.trace, self.failAt = name, trace, failAt

    async def process(self, inputStream: AsyncIterator[int]) -> AsyncIterator[int]:
        self.trace.started.append(self.name)
        try:
            async for value in inputStream:
                if value == self.failAt:
                    raise self.trace.fail(OSError(f"{self.name} failed at record {value}"))
                yield value
        finally:
            self.trace.closed.append(self.name)


class TracedSink:
    """At record 5: raises (``"sink"``), cancels its task (``"cancel"``) or stops (``"early"``)."""

    def __init__(self, place: str, trace: Trace) -> None:
        self.records: list[int] = []
        self.place, self.trace = place, trace

    async def consume(self, stream: AsyncIterator[int]) -> None:
        async for value in stream:
            if value == 5 and self.place == "sink":
                raise self.trace.fail(ValueError(f"sink refused record {value}"))
            if value == 5 and self.place == "cancel":
                task = asyncio.current_task()
                if task is not None:
                    task.cancel()
                await asyncio.sleep(0)  # the cancellation lands here, every generator suspended
            if value == 5 and self.place == "early":
                break  # enough records: a successful run that leaves the chain suspended
            self.records.append(value)


def runInFreshLoop(coroutine: Coroutine[Any, Any, Any], seconds: float) -> Any:
    """Run ``coroutine`` in a new event loop on a worker thread: a notebook's loop is busy.

    A daemon thread, so that a runner that never ends (and ignores its cancellation) costs
    the student a verdict after ``seconds``, not a cell that hangs.

    >>> async def answer():
    ...     return 42
    >>> runInFreshLoop(answer(), seconds=5)
    42
    """
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = asyncio.run(coroutine)
        except BaseException as error:  # handed to the caller's thread below
            outcome["error"] = error

    worker = threading.Thread(target=work, name="checkAsyncRunner", daemon=True)
    worker.start()
    worker.join(timeout=seconds)
    require(
        not worker.is_alive(),
        f"your runner was still running after {seconds:g} s, even after it was cancelled",
        hint="let a CancelledError propagate: catching it and waiting on is a hang",
    )
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")

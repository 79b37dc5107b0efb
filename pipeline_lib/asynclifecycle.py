"""Layer 1 with asyncio: ``AsyncPipelineContext``, the same cleanup guarantee for async code.

Lecture 35 reads many sensors at once with ``asyncio``. Its pipelines are chains of
*async* generators (``async def stream(self): ... yield record``), and they leak exactly
as the synchronous ones of notebook 01 do: an ``async for`` left by an exception leaves
every generator upstream suspended, and its ``finally`` runs only when the event loop's
finalizer gets round to it (PEP 525's ``sys.set_asyncgen_hooks``), or never, while a held
traceback keeps the generator alive. ``contextlib.aclosing`` closes one generator;
this context closes the whole chain::

    async with AsyncPipelineContext(source, pipelineId="sensor_ingest") as ctx:
        await ctx.run(stages=[filterStage], sink=sink)

The async protocols mirror Stage 1's: ``source.stream()`` and ``stage.process(inputStream)``
return async iterators (async generators), ``await sink.consume(stream)`` drains one.
When the run ends, by success, exception **or cancellation** (``task.cancel()``,
``asyncio.timeout``), every async generator of the chain has been closed with
``aclose()`` (its ``finally`` has run), outermost first, then every component that owns
a resource (an async context manager, ``aclose()``, a context manager or ``close()``), in
reverse order of opening. The original exception, or the ``CancelledError``, is what
reaches the caller; cleanup failures are attached to it as notes and logged, by the same
machinery as :class:`~pipeline_lib.PipelineContext` (:mod:`pipeline_lib.cleanup`).
Limits: a *second* cancellation that arrives while the cleanup awaits interrupts that one
cleanup (it is noted, and the remaining cleanups still run); nothing runs on SIGKILL.

>>> import asyncio
>>> class Ramp:
...     async def stream(self):
...         for value in range(5):
...             yield value
>>> class Collect:
...     def __init__(self):
...         self.records = []
...     async def consume(self, stream):
...         async for record in stream:
...             self.records.append(record)
>>> async def main():
...     sink = Collect()
...     async with AsyncPipelineContext(Ramp(), pipelineId="demo") as ctx:
...         await ctx.run(sink=sink)
...     return ctx.status, ctx.recordCount, sink.records
>>> asyncio.run(main())  # doctest: +SKIP
('completed', 5, [0, 1, 2, 3, 4])

Where an event loop is already running in this thread (a notebook, a Playwright session),
``asyncio.run`` refuses; ``await main()`` there, or run it in a thread of its own:

>>> from concurrent.futures import ThreadPoolExecutor
>>> with ThreadPoolExecutor(max_workers=1) as thread:
...     thread.submit(asyncio.run, main()).result()
('completed', 5, [0, 1, 2, 3, 4])
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Literal

from .cleanup import raiseCleanupFailures, recordCleanupFailure
from .runstate import Report, RunState, refuseDuplicates, sinkFinishedNote

__all__ = ["AsyncCleanupStack", "AsyncPipelineContext"]

Cleanup = Callable[[BaseException | None], Awaitable[object]]


class AsyncCleanupStack:
    """Async cleanups registered as things are opened, awaited newest first by :meth:`unwind`.

    Same rules as :class:`~pipeline_lib.cleanup.CleanupStack`: every cleanup runs even
    if some fail; with the run's error, failures become notes on it; without one, the
    first failure is raised after all have run.
    """

    def __init__(self) -> None:
        self._callbacks: list[tuple[Cleanup, str]] = []

    def __len__(self) -> int:
        return len(self._callbacks)

    def push(self, close: Callable[[], object], label: str) -> None:
        """Call ``close()`` at unwind time, awaiting what it returns if it is awaitable."""

        async def callback(error: BaseException | None) -> None:
            result = close()
            if inspect.isawaitable(result):
                await result

        self._callbacks.append((callback, label))

    def acloseLater(self, iterator: object, label: str) -> None:
        """Close an async generator (``aclose()``: its ``finally`` runs) at unwind time."""
        aclose = getattr(iterator, "aclose", None)
        if callable(aclose):
            self.push(aclose, label)

    async def open(self, component: object, label: str) -> None:
        """Open a component that owns a resource now, and schedule its closing.

        An async context manager is entered (and exited with the run's error); else an
        object with ``aclose()`` is closed; else a context manager is entered; else an
        object with ``close()`` is closed. A component cannot swallow the run's error.
        """
        if hasattr(component, "__aenter__") and hasattr(component, "__aexit__"):
            await component.__aenter__()
            self._callbacks.append((_exiting(component.__aexit__), label))
        elif callable(getattr(component, "aclose", None)):
            self.push(component.aclose, label)  # type: ignore[attr-defined]
        elif hasattr(component, "__enter__") and hasattr(component, "__exit__"):
            component.__enter__()
            self._callbacks.append((_exiting(component.__exit__), label))
        elif callable(close := getattr(component, "close", None)):
            self.push(close, label)

    async def unwind(self, error: BaseException | None = None) -> None:
        """Await every cleanup, newest first, even if some fail or are cancelled."""
        failures: list[BaseException] = []
        while self._callbacks:
            callback, label = self._callbacks.pop()
            try:
                await callback(error)
            except BaseException as cleanupError:  # every cleanup must run
                failures.append(recordCleanupFailure(cleanupError, label, error))
        if error is None:
            raiseCleanupFailures(failures)


def _exiting(exit: Callable[..., object]) -> Cleanup:
    """A cleanup calling ``__exit__``/``__aexit__`` with the run's error; its result ignored."""

    async def callback(error: BaseException | None) -> None:
        excInfo = (None, None, None) if error is None else (type(error), error, error.__traceback__)
        result = exit(*excInfo)
        if inspect.isawaitable(result):
            await result

    return callback


class AsyncPipelineContext(RunState):
    """Run one async pipeline inside an ``async with`` block, with cleanup guaranteed.

    After the block: ``recordCount``, ``elapsedSeconds``, ``status`` (``"completed"``,
    ``"failed"`` or ``"cancelled"``), ``error``, ``sinkFinished`` and :meth:`report`, as
    for :class:`~pipeline_lib.PipelineContext`, with the same promises
    (:mod:`pipeline_lib.runstate`): a run that raised is reported failed (or cancelled)
    even if the block caught it; the same resource-owning object in two places is
    refused before anything opens; a close that fails after the sink finished says the
    output was written.
    """

    def __init__(self, source: Any, pipelineId: str = "pipeline") -> None:
        _requireMethod(source, "stream", "source")
        super().__init__(pipelineId)
        self.source = source

    async def __aenter__(self) -> AsyncPipelineContext:
        self._begin()
        return self

    async def __aexit__(
        self,
        excType: type[BaseException] | None,
        excVal: BaseException | None,
        excTb: TracebackType | None,
    ) -> Literal[False]:
        self._end(excVal)
        return False  # never suppress, a cancellation least of all

    def _failedStatus(self, error: BaseException) -> str:
        return "cancelled" if isinstance(error, asyncio.CancelledError) else "failed"

    async def run(self, stages: Sequence[Any] = (), sink: Any = None) -> None:
        """Chain ``source -> stages -> sink``, count the records, and clean up afterwards."""
        self._startRun("`async with`")
        try:
            await self._run(list(stages), sink)
        except BaseException as error:
            self._noteRunError(error)  # failed, whatever the block does with the exception
            raise

    async def _run(self, stages: list[Any], sink: Any) -> None:
        for index, stage in enumerate(stages):
            _requireMethod(stage, "process", f"stages[{index}]")
        _requireMethod(sink, "consume", "sink")
        refuseDuplicates("AsyncPipelineContext", self.source, stages, sink, _ownsResource)
        cleanup = AsyncCleanupStack()
        try:
            await cleanup.open(self.source, f"source {_name(self.source)}")
            for index, stage in enumerate(stages):
                await cleanup.open(stage, f"stage {index} {_name(stage)}")
            await cleanup.open(sink, f"sink {_name(sink)}")
            counted = self._counted(self._chain(cleanup, stages))
            cleanup.acloseLater(counted, "the record counter")
            consumed = sink.consume(counted)
            if not inspect.isawaitable(consumed):
                raise TypeError(
                    f"AsyncPipelineContext: sink.consume() must be a coroutine (async def), "
                    f"got {type(consumed).__name__} from {sink!r}"
                )
            await consumed
        except BaseException as error:  # CancelledError too: cleanup runs, then it propagates
            await cleanup.unwind(error)
            raise
        self.sinkFinished = True
        try:
            await cleanup.unwind()
        except BaseException as error:
            error.add_note(sinkFinishedNote(sink, self.recordCount))
            raise

    def _chain(self, cleanup: AsyncCleanupStack, stages: list[Any]) -> AsyncIterator[Any]:
        stream = _requireAsyncIterator(self.source.stream(), f"source {_name(self.source)}")
        cleanup.acloseLater(stream, f"the stream of {_name(self.source)}")
        for stage in stages:
            stream = _requireAsyncIterator(stage.process(stream), f"stage {_name(stage)}")
            cleanup.acloseLater(stream, f"the generator of {_name(stage)}")
        return stream

    async def _counted(self, stream: AsyncIterator[Any]) -> AsyncIterator[Any]:
        # A record counts once it is handed to the sink.
        async for record in stream:
            self.recordCount += 1
            yield record

    def report(self) -> Report:
        """One line: outcome, records, time."""
        return Report(self._outcomeLine())


_PROTOCOL_OF = {"stream": "Source", "process": "Stage", "consume": "Sink"}


def _requireMethod(component: object, method: str, role: str) -> None:
    if not callable(getattr(component, method, None)):
        raise TypeError(
            f"AsyncPipelineContext: {role} must have a {method}() method "
            f"(the async {_PROTOCOL_OF[method]} protocol), got {component!r}"
        )


def _ownsResource(component: object) -> bool:
    """Whether :meth:`AsyncCleanupStack.open` opens and closes ``component``."""
    return any(
        callable(getattr(component, name, None))
        for name in ("__aenter__", "aclose", "__enter__", "close")
    )


def _requireAsyncIterator(stream: object, role: str) -> AsyncIterator[Any]:
    if not hasattr(stream, "__anext__"):
        raise TypeError(
            f"AsyncPipelineContext: {role} must return an async iterator (an `async def` "
            f"with `yield`), got {type(stream).__name__}"
        )
    return stream  # type: ignore[return-value]


def _name(component: object) -> str:
    return type(component).__name__

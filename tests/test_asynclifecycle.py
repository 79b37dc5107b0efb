"""AsyncPipelineContext: every async generator closed on failure and on cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_lib.asynclifecycle import AsyncCleanupStack, AsyncPipelineContext

RECORDS = 12


class Events(list[str]):
    def count_(self, text: str) -> int:
        return sum(1 for event in self if event == text)


class Boom(Exception):
    pass


class TracingSource:
    """An async source that 'holds a connection' while its generator is open."""

    def __init__(self, events: Events, failAt: int | None = None, pause: bool = True) -> None:
        self.events, self.failAt, self.pause = events, failAt, pause
        self.holding = 0

    async def stream(self) -> AsyncIterator[int]:
        self.holding += 1
        self.events.append("source: started")
        try:
            for value in range(RECORDS):
                if self.pause:
                    await asyncio.sleep(0)  # a real await: where a cancellation lands
                if value == self.failAt:
                    raise Boom(f"source failed at {value}")
                yield value
        finally:
            self.holding -= 1
            self.events.append("source: closed")


class TracingStage:
    def __init__(self, name: str, events: Events, failAt: int | None = None) -> None:
        self.name, self.events, self.failAt = name, events, failAt

    async def process(self, inputStream: AsyncIterator[int]) -> AsyncIterator[int]:
        self.events.append(f"{self.name}: started")
        try:
            async for value in inputStream:
                if value == self.failAt:
                    raise Boom(f"{self.name} failed at {value}")
                yield value
        finally:
            self.events.append(f"{self.name}: closed")


class ManagedStage(TracingStage):
    """A stage that is an async context manager: opened before the run, closed after."""

    async def __aenter__(self) -> ManagedStage:
        self.events.append(f"{self.name}: opened")
        return self

    async def __aexit__(self, *excInfo: object) -> None:
        self.events.append(f"{self.name}: released")


class CollectSink:
    def __init__(self, failAt: int | None = None, cancelAt: int | None = None) -> None:
        self.records: list[int] = []
        self.failAt, self.cancelAt = failAt, cancelAt

    async def consume(self, stream: AsyncIterator[int]) -> None:
        async for value in stream:
            if value == self.failAt:
                raise Boom(f"sink failed at {value}")
            if value == self.cancelAt:
                task = asyncio.current_task()
                assert task is not None
                task.cancel()  # lands at the next await, deep inside the chain
            self.records.append(value)


def _pipeline(
    events: Events, place: str, at: int
) -> tuple[TracingSource, list[TracingStage], CollectSink]:
    source = TracingSource(events, failAt=at if place == "source" else None)
    stages = [
        TracingStage("a", events, failAt=at if place == "a" else None),
        ManagedStage("b", events, failAt=at if place == "b" else None),
    ]
    sink = CollectSink(failAt=at if place == "sink" else None)
    return source, stages, sink


def _assertAllClosed(events: Events, source: TracingSource) -> None:
    assert source.holding == 0, events
    for name in ("source", "a", "b"):
        assert events.count_(f"{name}: started") == events.count_(f"{name}: closed"), events
    assert events.count_("b: opened") == events.count_("b: released") == 1, events


async def _run(source: Any, stages: list[Any], sink: Any) -> AsyncPipelineContext:
    async with AsyncPipelineContext(source, pipelineId="test") as ctx:
        await ctx.run(stages=stages, sink=sink)
    return ctx


@settings(max_examples=40, deadline=None)
@given(place=st.sampled_from(["source", "a", "b", "sink"]), at=st.integers(0, RECORDS - 1))
def test_any_failure_point_closes_every_generator_and_raises_the_original(
    place: str, at: int
) -> None:
    events = Events()
    source, stages, sink = _pipeline(events, place, at)

    async def main() -> None:
        with pytest.raises(Boom) as raised:
            await _run(source, stages, sink)
        assert raised.value.args[0] == f"{place} failed at {at}"
        _assertAllClosed(events, source)  # inside the loop: before asyncio.run's own sweep

    asyncio.run(main())
    assert sink.records == list(range(at))


@settings(max_examples=20, deadline=None)
@given(at=st.integers(0, RECORDS - 2))  # after the last record nothing awaits: the run completes
def test_a_cancellation_at_any_record_closes_every_generator_and_reaches_the_caller(
    at: int,
) -> None:
    events = Events()
    source, stages, _ = _pipeline(events, "none", 0)
    sink = CollectSink(cancelAt=at)
    contexts: list[AsyncPipelineContext] = []

    async def pipeline() -> None:
        async with AsyncPipelineContext(source, pipelineId="cancel") as ctx:
            contexts.append(ctx)
            await ctx.run(stages=stages, sink=sink)

    async def main() -> None:
        with pytest.raises(asyncio.CancelledError):
            await asyncio.create_task(pipeline())
        _assertAllClosed(events, source)

    asyncio.run(main())
    assert contexts[0].status == "cancelled"
    assert isinstance(contexts[0].error, asyncio.CancelledError)


def test_a_cancellation_from_outside_the_task_closes_everything() -> None:
    events = Events()
    source, stages, _sink = _pipeline(events, "none", 0)
    source.pause = False

    class SlowSink(CollectSink):
        async def consume(self, stream: AsyncIterator[int]) -> None:
            async for value in stream:
                self.records.append(value)
                await asyncio.sleep(3600)  # stuck: only a cancellation ends this

    slow = SlowSink()

    async def main() -> None:
        task = asyncio.create_task(_run(source, stages, slow))
        while not slow.records:
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        _assertAllClosed(events, source)

    asyncio.run(main())
    assert slow.records == [0]


def test_a_timeout_closes_everything_and_the_caller_sees_timeout_error() -> None:
    events = Events()
    source, stages, _ = _pipeline(events, "none", 0)

    class StuckSink:
        async def consume(self, stream: AsyncIterator[int]) -> None:
            async for _ in stream:
                await asyncio.Event().wait()

    contexts: list[AsyncPipelineContext] = []

    async def pipeline() -> None:
        async with AsyncPipelineContext(source, pipelineId="timeout") as ctx:
            contexts.append(ctx)
            await ctx.run(stages=stages, sink=StuckSink())

    async def main() -> None:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await pipeline()
        _assertAllClosed(events, source)
        assert contexts[0].status == "cancelled"  # inside the block it was a cancellation

    asyncio.run(main())


def test_components_close_after_the_generators_in_reverse_order_of_opening() -> None:
    events = Events()
    source, stages, sink = _pipeline(events, "b", 3)

    async def main() -> None:
        with pytest.raises(Boom):
            await _run(source, stages, sink)

    asyncio.run(main())
    closing = [e for e in events if e.endswith(("closed", "released"))]
    # b fails and finishes itself; the counter, a and the source are closed, then b's resource.
    assert closing == ["b: closed", "a: closed", "source: closed", "b: released"]


def test_a_failing_cleanup_is_a_note_on_the_original_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class BadSource:
        async def stream(self) -> AsyncIterator[int]:
            try:
                for value in range(5):
                    yield value
            finally:
                raise OSError("disk gone while closing")

    with caplog.at_level(logging.ERROR, logger="pipeline_lib"), pytest.raises(Boom) as raised:
        asyncio.run(_run(BadSource(), [], CollectSink(failAt=2)))
    assert raised.value.args == ("sink failed at 2",)
    notes = getattr(raised.value, "__notes__", [])
    assert notes == ["while cleaning up the stream of BadSource: OSError: disk gone while closing"]
    assert "cleanup of the stream of BadSource failed" in caplog.text


def test_a_cleanup_failure_after_a_successful_run_is_raised() -> None:
    class BadClose:
        async def stream(self) -> AsyncIterator[int]:
            yield 1

        async def aclose(self) -> None:
            raise OSError("cannot close")

    with pytest.raises(OSError, match="cannot close"):
        asyncio.run(_run(BadClose(), [], CollectSink()))


def test_hundreds_of_failing_runs_with_held_exceptions_leave_nothing_open() -> None:
    events = Events()
    source = TracingSource(events)
    held: list[BaseException] = []

    async def main() -> int:  # one loop, as a service runs: asyncio.run's sweep never comes
        for _ in range(200):
            try:
                await _run(source, [TracingStage("a", events)], CollectSink(failAt=5))
            except Boom as error:
                held.append(error)
        return source.holding

    gc.disable()  # nothing may depend on the garbage collector
    try:
        assert asyncio.run(main()) == 0
    finally:
        gc.enable()
        held.clear()


def test_without_the_context_a_held_traceback_keeps_the_source_open_and_aclosing_fixes_it() -> None:
    """Notebook 08's claim: a naive runner closes nothing while its traceback is held."""
    events = Events()
    source = TracingSource(events)

    async def naive() -> None:
        stream = source.stream()  # a local, as in slide code: the held traceback keeps it
        async for value in stream:
            if value == 3:
                raise Boom("naive")

    async def closing() -> None:
        async with contextlib.aclosing(source.stream()) as stream:
            async for value in stream:
                if value == 3:
                    raise Boom("with aclosing")

    async def main() -> list[int]:
        held: list[BaseException] = []
        holding = []
        for attempt in (naive, closing):
            try:
                await attempt()
            except Boom as error:
                held.append(error)  # a logger or a retry loop keeping the exception
            for _ in range(10):
                await asyncio.sleep(0)  # give the loop's finalizer every chance
            holding.append(source.holding)
        held.clear()
        return holding

    gc.disable()
    try:
        assert asyncio.run(main()) == [1, 1]  # naive: still open; aclosing closed its own
    finally:
        gc.enable()
        gc.collect()


def test_an_unreferenced_async_generator_is_closed_later_by_the_loop_not_at_the_error() -> None:
    events = Events()
    source = TracingSource(events)

    async def temporary() -> None:
        async for value in source.stream():  # no name refers to the generator
            if value == 3:
                raise Boom("temporary")

    async def main() -> tuple[int, int]:
        with contextlib.suppress(Boom):
            await temporary()
        rightAfter = source.holding
        for _ in range(10):
            await asyncio.sleep(0)
        return rightAfter, source.holding

    assert asyncio.run(main()) == (1, 0)


def test_success_logs_start_and_completion_and_counts_records(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events = Events()
    with caplog.at_level(logging.INFO, logger="pipeline_lib"):
        ctx = asyncio.run(_run(TracingSource(events), [TracingStage("a", events)], CollectSink()))
    assert ctx.status == "completed" and ctx.recordCount == RECORDS and ctx.error is None
    assert "[test] Started" in caplog.text
    assert f"[test] Completed: {RECORDS} records in" in caplog.text
    assert ctx.report().startswith(f"Pipeline test: completed, {RECORDS} records in ")


def test_sync_components_are_named_in_a_type_error() -> None:
    class SyncSource:
        def stream(self) -> Any:
            yield 1

    class SyncSink:
        def consume(self, stream: Any) -> None:
            pass

    with pytest.raises(TypeError, match="source SyncSource must return an async iterator"):
        asyncio.run(_run(SyncSource(), [], CollectSink()))
    with pytest.raises(TypeError, match=r"sink.consume\(\) must be a coroutine"):
        asyncio.run(_run(TracingSource(Events()), [], SyncSink()))
    with pytest.raises(TypeError, match=r"stages\[0\] must have a process\(\) method"):
        AsyncPipelineContext(TracingSource(Events()))  # constructing is fine
        asyncio.run(_run(TracingSource(Events()), [object()], CollectSink()))


def test_the_stack_runs_every_cleanup_and_raises_the_first_failure() -> None:
    order: list[str] = []

    def failing() -> None:
        order.append("failing")
        raise ValueError("first")

    async def asyncClose() -> None:
        order.append("async")

    stack = AsyncCleanupStack()
    stack.push(lambda: order.append("oldest"), "oldest")
    stack.push(failing, "failing")
    stack.push(asyncClose, "async")
    with pytest.raises(ValueError, match="first"):
        asyncio.run(stack.unwind())
    assert order == ["async", "failing", "oldest"] and len(stack) == 0


def test_asyncio_run_closes_a_leftover_async_generator_only_when_its_loop_ends() -> None:
    """Notebook 08: the loop sweeps leftovers at its end, which a service's loop never reaches."""
    events = Events()
    source = TracingSource(events)
    kept: list[Any] = []

    async def main() -> int:
        stream = source.stream()
        kept.append(stream)  # referenced from outside: no finalizer will run
        await stream.__anext__()
        for _ in range(10):
            await asyncio.sleep(0)
        return source.holding

    assert asyncio.run(main()) == 1  # still open while the loop runs
    assert source.holding == 0  # asyncio.run's shutdown_asyncgens closed it at the end
    kept.clear()


# -- the promises PipelineContext makes hold for the async context too -----------------------


@settings(max_examples=20, deadline=None)
@given(
    st.integers(2, 4).flatmap(
        lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1), min_size=2))
    )
)
def test_any_object_in_two_places_is_refused_before_anything_opens(
    shape: tuple[int, set[int]],
) -> None:
    count, repeated = shape
    events = Events()
    shared = ManagedStage("shared", events)
    stages = [shared if i in repeated else TracingStage(f"s{i}", events) for i in range(count)]

    async def main() -> AsyncPipelineContext:
        async with AsyncPipelineContext(TracingSource(events)) as ctx:
            await ctx.run(stages=stages, sink=CollectSink())
        return ctx

    with pytest.raises(ValueError) as raised:
        asyncio.run(main())
    places = " and ".join(f"stages[{index}]" for index in sorted(repeated))
    assert f"is {places}; a component takes one place" in str(raised.value)
    assert events == []  # nothing opened, nothing started


def test_a_plain_async_stage_may_take_two_places() -> None:
    events = Events()
    stage = TracingStage("plain", events)  # owns nothing: nothing is opened twice
    sink = CollectSink()
    ctx = asyncio.run(_run(TracingSource(events), [stage, stage], sink))
    assert ctx.status == "completed" and sink.records == list(range(RECORDS))


def test_a_failure_caught_inside_the_block_is_still_reported_failed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events = Events()

    async def main() -> AsyncPipelineContext:
        async with AsyncPipelineContext(TracingSource(events), pipelineId="caught") as ctx:
            with contextlib.suppress(Boom):  # handled: the run still failed
                await ctx.run(stages=[TracingStage("a", events, failAt=3)], sink=CollectSink())
        return ctx

    with caplog.at_level(logging.INFO, logger="pipeline_lib"):
        ctx = asyncio.run(main())
    assert ctx.status == "failed" and isinstance(ctx.error, Boom)
    assert "FAILED" in caplog.text and "Completed" not in caplog.text
    assert ctx.report().startswith("Pipeline caught: failed (Boom")


def test_a_cancellation_caught_inside_the_block_is_still_reported_cancelled() -> None:
    events = Events()

    async def main() -> AsyncPipelineContext:
        async with AsyncPipelineContext(TracingSource(events), pipelineId="caught") as ctx:
            with contextlib.suppress(asyncio.CancelledError):
                await ctx.run(sink=CollectSink(cancelAt=2))
            asyncio.current_task().uncancel()  # type: ignore[union-attr]
        return ctx

    ctx = asyncio.run(main())
    assert ctx.status == "cancelled"


class FailingClose:
    """An async stage owning a resource whose closing fails."""

    async def aclose(self) -> None:
        raise RuntimeError("close failed")

    async def process(self, inputStream: AsyncIterator[int]) -> AsyncIterator[int]:
        async for value in inputStream:
            yield value


def test_a_close_failure_after_the_sink_finished_says_the_output_is_written() -> None:
    sink = CollectSink()
    with pytest.raises(RuntimeError, match="close failed") as raised:
        asyncio.run(_run(TracingSource(Events()), [FailingClose()], sink))
    assert sink.records == list(range(RECORDS))
    notes = raised.value.__notes__
    assert f"the sink CollectSink had already finished ({RECORDS} records)" in notes[-1]


def test_a_run_that_fails_before_the_sink_finished_says_nothing_was_written() -> None:
    events = Events()

    async def main() -> AsyncPipelineContext:
        async with AsyncPipelineContext(TracingSource(events, failAt=3)) as ctx:
            await ctx.run(sink=CollectSink())
        return ctx

    with pytest.raises(Boom) as raised:
        asyncio.run(main())
    assert not any("output is written" in n for n in getattr(raised.value, "__notes__", []))

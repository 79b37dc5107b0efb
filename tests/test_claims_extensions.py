"""Notebook 08's claims, pinned without the notebook (run on every Python we support).

The async claims the engine relies on (a held traceback keeps an async generator open,
``aclosing`` closes it, ``asyncio.run`` sweeps leftovers only at its end, a timeout is a
cancellation inside the block) are pinned in ``tests/test_asynclifecycle.py``; here are
the language facts the notebook states around them: where ``@contextmanager`` delivers
the block's exception, what makes a *data* descriptor, how many turns of the event loop
the finalizer of PEP 525 needs, and that no ``for`` closes its iterator (PEP 533 is
deferred).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import warnings
from collections.abc import AsyncGenerator, Generator, Iterator
from typing import Any

import pytest

# -- @contextmanager (cells "Slide 3 with @contextmanager") -------------------------------


def test_the_block_s_exception_arrives_at_the_yield_and_skips_what_follows_it() -> None:
    log: list[str] = []

    @contextlib.contextmanager
    def naiveTimed() -> Iterator[None]:
        log.append("Started")
        yield
        log.append("Completed")  # after a bare yield: skipped when the block raises

    boom = ValueError("boom")
    with pytest.raises(ValueError) as caught, naiveTimed():
        raise boom
    assert caught.value is boom  # nothing swallowed it
    assert log == ["Started"]


def test_an_exception_caught_in_the_generator_and_not_re_raised_is_suppressed() -> None:
    @contextlib.contextmanager
    def swallowing() -> Iterator[None]:
        try:  # noqa: SIM105 -- the common mistake, as students write it
            yield
        except ValueError:
            pass  # no `raise`

    with swallowing():
        raise ValueError("gone")  # no exception reaches this test


@pytest.mark.parametrize(
    "kind", [KeyboardInterrupt, SystemExit, asyncio.CancelledError, GeneratorExit]
)
def test_ctrl_c_exit_and_cancellation_are_not_exceptions(kind: type[BaseException]) -> None:
    """Exercises 1 and 3: ``except Exception`` lets these through."""
    assert issubclass(kind, BaseException) and not issubclass(kind, Exception)


# -- __delete__ and data descriptors --------------------------------------------------------


class _OnlyGet:
    def __get__(self, obj: Any, objtype: type | None = None) -> str:
        return "the descriptor's value"


class _GetAndDelete(_OnlyGet):
    def __delete__(self, obj: Any) -> None:
        obj.deleted = True


def test_delete_alone_makes_a_data_descriptor_that_the_instance_dict_cannot_hide() -> None:
    class Probe:
        plain = _OnlyGet()
        withDelete = _GetAndDelete()

    probe = Probe()
    probe.__dict__.update(plain="the instance's value", withDelete="the instance's value")
    assert (probe.plain, probe.withDelete) == ("the instance's value", "the descriptor's value")
    del probe.withDelete  # goes to __delete__, not to the instance's __dict__
    assert probe.__dict__["deleted"] is True
    assert probe.__dict__["withDelete"] == "the instance's value"


def test_del_calls_delete_and_a_deleted_private_value_reads_as_missing() -> None:
    class Logged:
        def __set_name__(self, owner: type, name: str) -> None:
            self._name = f"_{name}"

        def __get__(self, obj: Any, objtype: type | None = None) -> Any:
            return self if obj is None else getattr(obj, self._name)

        def __set__(self, obj: Any, value: Any) -> None:
            setattr(obj, self._name, value)

        def __delete__(self, obj: Any) -> None:
            delattr(obj, self._name)

    class Config:
        windowSize = Logged()

    config = Config()
    config.windowSize = 10
    del config.windowSize
    assert not hasattr(config, "windowSize")
    with pytest.raises(AttributeError):
        del config.windowSize  # nothing stored: delattr of the private name fails


# -- async generators: PEP 525's finalizer, PEP 533 deferred -------------------------------


class _Hub:
    def __init__(self) -> None:
        self.openConnections = 0

    async def stream(self) -> AsyncGenerator[int, None]:
        self.openConnections += 1
        try:
            for value in range(100):
                await asyncio.sleep(0)
                yield value
        finally:
            self.openConnections -= 1


def test_the_loop_closes_a_dropped_async_generator_two_turns_later_not_at_once() -> None:
    """Cell "Drop the held exception": one turn starts the closing task, one runs it."""
    hub = _Hub()

    async def naiveRead() -> None:
        stream = hub.stream()
        async for value in stream:
            if value == 3:
                raise OSError("sensor 3 unreachable")

    async def main() -> list[int]:
        held: list[BaseException] = []
        try:
            await naiveRead()
        except OSError as error:
            held.append(error)
        counts = [hub.openConnections]
        held.clear()  # nothing refers to the generator now
        counts.append(hub.openConnections)  # dropped, but its finally has not run
        for _ in range(2):
            await asyncio.sleep(0)
            counts.append(hub.openConnections)
        return counts

    assert asyncio.run(main()) == [1, 1, 1, 0]


def test_leaving_a_for_loop_by_break_does_not_close_its_generator() -> None:
    """PEP 533 (``__iterclose__``) is deferred: the loop leaves the generator suspended."""
    closed: list[str] = []

    def numbers() -> Generator[int, None, None]:
        try:
            yield from range(10)
        finally:
            closed.append("numbers")

    stream = numbers()
    for value in stream:
        if value == 3:
            break
    assert closed == []
    stream.close()
    assert closed == ["numbers"]


def test_leaving_an_async_for_loop_by_break_does_not_close_its_generator() -> None:
    hub = _Hub()

    async def main() -> tuple[int, int]:
        stream = hub.stream()
        async for value in stream:
            if value == 3:
                break
        for _ in range(5):
            await asyncio.sleep(0)
        stillOpen = hub.openConnections
        await stream.aclose()
        return stillOpen, hub.openConnections

    assert asyncio.run(main()) == (1, 0)


def test_aclosing_closes_the_generator_when_its_block_is_left_by_an_error() -> None:
    hub = _Hub()

    async def main() -> int:
        with contextlib.suppress(OSError):
            async with contextlib.aclosing(hub.stream()) as stream:
                async for value in stream:
                    if value == 3:
                        raise OSError("sensor 3 unreachable")
        return hub.openConnections  # no loop turn needed

    assert asyncio.run(main()) == 0


# -- the solution's remark on failing cleanups ----------------------------------------------


class _Closable:
    def __init__(self, name: str, closed: list[str], fails: bool) -> None:
        self.name, self.closed, self.fails = name, closed, fails

    async def aclose(self) -> None:
        self.closed.append(self.name)
        if self.fails:
            raise RuntimeError(f"closing {self.name} failed")


def _chain(closed: list[str]) -> list[_Closable]:
    """Oldest first: the source's close fails, so does stage B's (the newest)."""
    return [
        _Closable("source", closed, fails=True),
        _Closable("stage A", closed, fails=False),
        _Closable("stage B", closed, fails=True),
    ]


def test_a_finally_loop_stops_at_the_first_failing_close_and_hides_the_run_s_error() -> None:
    closed: list[str] = []

    async def runSafely() -> None:
        generators = _chain(closed)
        try:
            raise ValueError("the run's error")
        finally:
            for generator in reversed(generators):
                await generator.aclose()

    with pytest.raises(RuntimeError, match="closing stage B failed") as caught:
        asyncio.run(runSafely())
    assert closed == ["stage B"]  # stage A and the source stay open
    assert isinstance(caught.value.__context__, ValueError)


def test_an_async_exit_stack_runs_every_close_and_the_last_failure_wins() -> None:
    closed: list[str] = []

    async def runSafely() -> None:
        async with contextlib.AsyncExitStack() as stack:
            for generator in _chain(closed):
                await stack.enter_async_context(contextlib.aclosing(generator))
            raise ValueError("the run's error")

    with pytest.raises(RuntimeError, match="closing source failed") as caught:
        asyncio.run(runSafely())
    assert closed == ["stage B", "stage A", "source"]
    assert isinstance(caught.value.__context__, RuntimeError)
    assert isinstance(caught.value.__context__.__context__, ValueError)


def test_aclose_without_await_closes_nothing_and_python_3_13_warns_of_it() -> None:
    """Exercise 3's common mistake."""
    hub = _Hub()

    async def main() -> int:
        stream = hub.stream()
        await anext(stream)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            stream.aclose()  # type: ignore[unused-coroutine]  # the slip, dropped unawaited
        if sys.version_info >= (3, 13):
            assert any("never awaited" in str(w.message) for w in caught), caught
        stillOpen = hub.openConnections
        await stream.aclose()
        return stillOpen

    assert asyncio.run(main()) == 1

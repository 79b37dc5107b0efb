"""Checks 01.1 and 01.2: right answers written differently pass, typical wrong ones are named."""

from __future__ import annotations

import contextlib
import inspect
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline_lib import ConnectionPool
from pipeline_lib.exercises import checkLeakFixed, checkSafeRunner
from pipeline_lib.leaks import LeakHistory, makeSensorDatabase, repeatFailingRuns
from pipeline_lib.naive import runWithoutCleanup

# -- 01.1: release a leak by hand -----------------------------------------------------


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return makeSensorDatabase(tmp_path / "x.sqlite", count=100)


@pytest.fixture
def leaked(database: Path) -> Iterator[tuple[ConnectionPool, LeakHistory]]:
    """The exercise's starting point: 3 connections lent to failed runs."""
    with ConnectionPool(database, size=3) as pool:
        experiment = repeatFailingRuns(pool, runs=3, managed=False, failAtRecord=5)
        yield pool, experiment
        experiment.release()


def closeSuspendedGenerators(experiment: LeakHistory) -> None:
    """Route 1, as the solution writes it: walk the tracebacks, close what is suspended."""
    for error in experiment.heldErrors:
        for frame, _ in traceback.walk_tb(error.__traceback__):
            for value in frame.f_locals.values():
                if (
                    inspect.isgenerator(value)
                    and inspect.getgeneratorstate(value) == "GEN_SUSPENDED"
                ):
                    value.close()


def test_01_1_accepts_closing_the_suspended_generators(leaked: Any) -> None:
    pool, experiment = leaked
    closeSuspendedGenerators(experiment)
    assert checkLeakFixed(pool).passed


def test_01_1_accepts_dropping_the_kept_exceptions_without_gc(leaked: Any) -> None:
    pool, experiment = leaked
    experiment.heldErrors = []  # written differently from .clear(), and no gc.collect()
    assert checkLeakFixed(pool).passed


def test_01_1_accepts_dropping_the_whole_experiment_without_gc(database: Path) -> None:
    """`del experiment`: letting go of the history itself, which holds the exceptions."""
    import gc

    gc.disable()  # what frees the connections must be reference counting, not luck
    try:
        with ConnectionPool(database, size=3) as pool:
            experiment = repeatFailingRuns(pool, runs=3, managed=False, failAtRecord=5)
            del experiment
            verdict = checkLeakFixed(pool)
    finally:
        gc.enable()
    assert verdict.passed, verdict


def test_01_1_accepts_dropping_the_tracebacks(leaked: Any) -> None:
    """Written differently again: what keeps the generators alive is each traceback."""
    pool, experiment = leaked
    for error in experiment.heldErrors:
        error.__traceback__ = None
    assert checkLeakFixed(pool).passed


def test_01_1_accepts_release(leaked: Any) -> None:
    pool, experiment = leaked
    experiment.release()
    assert checkLeakFixed(pool).passed


def test_01_1_rejects_gc_collect_while_the_exceptions_are_still_kept(leaked: Any) -> None:
    import gc

    pool, _ = leaked
    gc.collect()
    verdict = checkLeakFixed(pool)
    assert not verdict
    assert "3 of 3 connections are still in use" in verdict.message
    assert "gc.collect() frees only what nothing refers to" in verdict.message


def test_01_1_rejects_dropping_only_some_of_the_exceptions(leaked: Any) -> None:
    pool, experiment = leaked
    experiment.heldErrors.pop()
    verdict = checkLeakFixed(pool)
    assert not verdict and "2 of 3 connections are still in use" in verdict.message
    assert "1 came back" in verdict.message and "gc.collect()" not in verdict.message


def test_01_1_rejects_closing_the_pool(leaked: Any) -> None:
    pool, _ = leaked
    pool.close()
    verdict = checkLeakFixed(pool)
    assert not verdict and "you closed the pool itself" in verdict.message


def test_01_1_rejects_a_fresh_pool_in_place_of_the_drained_one(database: Path) -> None:
    with ConnectionPool(database, size=3) as fresh:
        verdict = checkLeakFixed(fresh)
    assert not verdict and "it is a new pool" in verdict.message


def suspendedSources(experiment: LeakHistory) -> list[Any]:
    """The source generators the kept tracebacks still hold (suspended, each holding a loan)."""
    found = []
    for error in experiment.heldErrors:
        for frame, _ in traceback.walk_tb(error.__traceback__):
            found += [
                value
                for value in frame.f_locals.values()
                if inspect.isgenerator(value)
                and inspect.getgeneratorstate(value) == "GEN_SUSPENDED"
                and value not in found
            ]
    return found


def closeLoudly(experiment: LeakHistory) -> list[str]:
    """Close what a private-state answer left suspended; the errors their cleanup raises."""
    raised = []
    for generator in suspendedSources(experiment):
        try:
            generator.close()
        except ValueError as error:  # release() of a connection already released
            raised.append(str(error))
    experiment.heldErrors.clear()
    return raised


def test_01_1_rejects_releasing_through_the_private_holders(leaked: Any) -> None:
    pool, experiment = leaked
    for conn, _ in list(pool._holders.values()):
        pool.release(conn)
    assert pool.inUse == 0  # the pool is fooled ...
    verdict = checkLeakFixed(pool)
    assert not verdict
    assert "yet the 3 source generators that borrowed them are still suspended" in verdict.message
    assert "private `_holders`" in verdict.message
    assert "public side only" in verdict.hint and "hides the leak" in verdict.hint
    # ... and the message's forecast is true: closing them later fails, once each.
    assert (
        closeLoudly(experiment)
        == ["ConnectionPool(x.sqlite, size=3, inUse=0): release() of a connection already released"]
        * 3
    )


def test_01_1_rejects_clearing_the_private_holders(leaked: Any) -> None:
    pool, experiment = leaked
    lent = dict(pool._holders)
    pool._holders.clear()
    verdict = checkLeakFixed(pool)
    assert not verdict
    assert "yet 3 are still lent to suspended generators" in verdict.message
    assert "public side only" in verdict.hint
    pool._holders.update(lent)  # restore the bookkeeping, so the connections are closed
    assert closeLoudly(experiment) == []


def test_01_1_rejects_releasing_connections_fished_out_of_the_frames(leaked: Any) -> None:
    """The public release(), but on a loan that is not yours: the same mistake, named."""
    pool, experiment = leaked
    for source in suspendedSources(experiment):
        pool.release(source.gi_frame.f_locals["conn"])
    verdict = checkLeakFixed(pool)
    assert not verdict and "taken back behind their backs" in verdict.message
    assert len(closeLoudly(experiment)) == 3


def test_01_1_reports_a_wrong_argument_as_such() -> None:
    verdict = checkLeakFixed("exercisePool")
    assert not verdict and "expected the exercise's ConnectionPool" in verdict.message


# -- 01.2: a runner that cleans up ------------------------------------------------------


def solutionRunner(source: Any, stages: list[Any], sink: Any) -> Any:
    generators = [source.stream()]
    try:
        for stage in stages:
            generators.append(stage.process(generators[-1]))
        return sink.consume(generators[-1])
    finally:
        for generator in reversed(generators):
            generator.close()


def exitStackRunner(source: Any, stages: list[Any], sink: Any) -> Any:
    """Right, written differently: ExitStack closes newest first by design."""
    with contextlib.ExitStack() as stack:
        stream = source.stream()
        stack.callback(stream.close)
        for stage in stages:
            stream = stage.process(stream)
            stack.callback(stream.close)
        return sink.consume(stream)


def baseExceptionRunner(source: Any, stages: list[Any], sink: Any) -> Any:
    """Right, written differently: except BaseException, close, re-raise; close on success."""
    generators = [source.stream()]
    for stage in stages:
        generators.append(stage.process(generators[-1]))
    try:
        result = sink.consume(generators[-1])
    except BaseException:
        for generator in generators[::-1]:
            generator.close()
        raise
    for generator in generators[::-1]:
        generator.close()
    return result


def closingStackRunner(source: Any, stages: list[Any], sink: Any) -> Any:
    """Right, written differently: each generator under closing(), in one ExitStack."""
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(contextlib.closing(source.stream()))
        for stage in stages:
            stream = stack.enter_context(contextlib.closing(stage.process(stream)))
        return sink.consume(stream)


def stagesOnlyRunner(source: Any, stages: list[Any], sink: Any) -> Any:
    """Half a fix: every stage closed, newest first, but the source forgotten.

    On a chain whose failed stage is not the one reading the source, closing the stages
    frees the source generator's last reference and CPython closes it: the check must not
    be fooled by that luck, since on notebook 01's own chain the traceback holds it.
    """
    stream = source.stream()
    created = []
    for stage in stages:
        stream = stage.process(stream)
        created.append(stream)
    try:
        return sink.consume(stream)
    finally:
        for generator in reversed(created):
            generator.close()


def clearFramesRunner(source: Any, stages: list[Any], sink: Any) -> Any:
    """Drops what the frames hold instead of closing: frees them only if nothing else does."""
    stream = source.stream()
    for stage in stages:
        stream = stage.process(stream)
    try:
        return sink.consume(stream)
    except BaseException as error:
        traceback.clear_frames(error.__traceback__)
        raise


def oldestFirstRunner(source: Any, stages: list[Any], sink: Any) -> Any:
    generators = [source.stream()]
    try:
        for stage in stages:
            generators.append(stage.process(generators[-1]))
        return sink.consume(generators[-1])
    finally:
        for generator in generators:  # the wrong order
            generator.close()


def onlySourceRunner(source: Any, stages: list[Any], sink: Any) -> Any:
    stream = first = source.stream()
    try:
        for stage in stages:
            stream = stage.process(stream)
        return sink.consume(stream)
    finally:
        first.close()


def exceptExceptionRunner(source: Any, stages: list[Any], sink: Any) -> Any:
    generators = [source.stream()]
    for stage in stages:
        generators.append(stage.process(generators[-1]))
    try:
        return sink.consume(generators[-1])
    except Exception:  # misses KeyboardInterrupt
        for generator in reversed(generators):
            generator.close()
        raise


def swallowingRunner(source: Any, stages: list[Any], sink: Any) -> Any:
    try:
        return solutionRunner(source, stages, sink)
    except OSError:
        return 0


def wrappingRunner(source: Any, stages: list[Any], sink: Any) -> Any:
    try:
        return solutionRunner(source, stages, sink)
    except OSError as error:
        raise RuntimeError("the pipeline failed") from error


def tracebackDroppingRunner(source: Any, stages: list[Any], sink: Any) -> Any:
    """Notebook 01 showed that dropping the traceback frees the chain: so drop it, re-raise."""
    stream = source.stream()
    for stage in stages:
        stream = stage.process(stream)
    try:
        return sink.consume(stream)
    except BaseException as error:
        error.__traceback__ = None
        raise


def withTracebackNoneRunner(source: Any, stages: list[Any], sink: Any) -> Any:
    """The same mistake, written with with_traceback(None), and a close on success."""
    stream = source.stream()
    for stage in stages:
        stream = stage.process(stream)
    try:
        result = sink.consume(stream)
    except BaseException as error:
        raise error.with_traceback(None)  # noqa: B904 - the mistake under test
    stream.close()
    return result


def hardCodedRunner(source: Any, stages: list[Any], sink: Any) -> Any:
    solutionRunner(source, stages, sink)
    return 444  # the number notebook 01 printed


@pytest.mark.parametrize(
    "runner", [solutionRunner, exitStackRunner, baseExceptionRunner, closingStackRunner]
)
def test_01_2_accepts_right_runners_written_differently(runner: Any) -> None:
    verdict = checkSafeRunner(runner)
    assert verdict.passed, verdict


@pytest.mark.parametrize(
    ("runner", "named"),
    [
        (runWithoutCleanup, "your code closed no generator"),
        (oldestFirstRunner, "closed the source before stage 1"),
        (onlySourceRunner, "closed the source but not stage 1"),
        (stagesOnlyRunner, "closed stage 1 but not the source, which still holds"),
        (clearFramesRunner, "cleared the frames of its traceback"),
        (exceptExceptionRunner, "KeyboardInterrupt is a BaseException, not an Exception"),
        (swallowingRunner, "the error was swallowed"),
        (wrappingRunner, "raised RuntimeError: the pipeline failed instead of the stage's own"),
        (hardCodedRunner, "a successful run returned 444, but the sink received"),
        (tracebackDroppingRunner, "its traceback was cut in your code"),
        (withTracebackNoneRunner, "its traceback was cut in your code"),
    ],
)
def test_01_2_rejects_each_typical_mistake_naming_it(runner: Any, named: str) -> None:
    verdict = checkSafeRunner(runner)
    assert not verdict
    assert named in verdict.message
    assert "newest first" in verdict.hint and "finally" not in verdict.hint  # no answer given


def test_01_2_reports_an_unexpected_exception_as_itself() -> None:
    def typo(source: Any, stages: list[Any], sink: Any) -> Any:
        stream = source.stream()
        try:
            return sink.consume(stream)
        finally:
            stream.closeAll()  # no such method

    verdict = checkSafeRunner(typo)
    assert not verdict
    assert verdict.message == (
        "your code raised AttributeError: 'generator' object has no attribute 'closeAll'"
    )

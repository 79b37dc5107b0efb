"""The key claims of notebook 02, pinned outside it, without the fault injector or the pool.

Each test builds its pipeline from plain classes: a source that opens a real ``sqlite3``
connection inside its generator (closed in its ``finally``), a stage that raises by
itself, a list sink. What the notebook shows with ``failStage`` and ``ConnectionPool``
must hold with these too, or the teaching aids would be creating the phenomenon.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from notebookcode import classFromNotebook

from pipeline_lib import PipelineContext
from pipeline_lib.cleanup import CleanupStack

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "02_context_managers.ipynb"


class Connections:
    """Real sqlite3 connections opened by generators, and which of them are still open."""

    def __init__(self) -> None:
        self.open: list[str] = []
        self.events: list[str] = []

    def generatorHolding(self, name: str, inputStream: Iterator[Any] | None) -> Iterator[Any]:
        """A source (``inputStream`` None) or a helper: a connection open while it runs."""
        conn = sqlite3.connect(":memory:")
        self.open.append(name)
        try:
            if inputStream is None:
                inputStream = iter(range(1000))
            for record in inputStream:
                conn.execute("SELECT 1").fetchone()
                yield record
        finally:
            conn.close()
            self.open.remove(name)
            self.events.append(f"closed: {name}")


class DbSource:
    def __init__(self, connections: Connections) -> None:
        self.connections = connections

    def stream(self) -> Iterator[Any]:
        return self.connections.generatorHolding("source", None)


class FailingStage:
    """Passes records on and raises ``error`` by itself at record ``atRecord``."""

    def __init__(
        self, atRecord: int | None = 50, error: type[BaseException] = OSError, name: str = "stage"
    ) -> None:
        self.atRecord, self.error, self.name = atRecord, error, name
        self.events: list[str] | None = None

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        try:
            for index, record in enumerate(inputStream):
                if index == self.atRecord:
                    raise self.error(f"sensor link lost at record {index}")
                yield record
        finally:
            if self.events is not None:
                self.events.append(f"closed: {self.name}")


class Collect:
    def __init__(self) -> None:
        self.records: list[Any] = []

    def consume(self, stream: Iterator[Any]) -> None:
        self.records.extend(stream)


def _runKeepingTheError(context: Any, stage: Any, connections: Connections) -> BaseException:
    try:
        with context(DbSource(connections), pipelineId="claim") as ctx:
            ctx.run(stages=[stage], sink=Collect())
    except BaseException as error:  # KeyboardInterrupt too: the stage raised it
        return error
    raise AssertionError("the run did not fail")


# -- slide 3: __exit__ runs, and closes nothing ----------------------------------------------


@pytest.mark.parametrize("error", [OSError, KeyboardInterrupt])
def test_the_slide_context_logs_failed_and_still_leaks_while_the_error_is_kept(
    error: type[BaseException], caplog: pytest.LogCaptureFixture
) -> None:
    connections = Connections()
    with caplog.at_level(logging.INFO, logger="slides"):
        kept = [
            _runKeepingTheError(
                classFromNotebook("02_context_managers.ipynb", "PipelineContext"),
                FailingStage(error=error),
                connections,
            )
        ]
    assert any("FAILED after" in line for line in caplog.messages)  # it did what it promised
    assert connections.open == ["source"]  # "And yet": the source's connection stays open
    kept.clear()
    gc.collect()
    assert connections.open == []  # only the kept error held it


@pytest.mark.parametrize("error", [OSError, KeyboardInterrupt])
def test_the_engine_closes_the_chain_newest_first_while_the_error_is_kept(
    error: type[BaseException],
) -> None:
    connections = Connections()
    first, second = FailingStage(None, name="stage 1"), FailingStage(3, error, "stage 2")
    first.events = second.events = connections.events
    try:
        with PipelineContext(DbSource(connections), pipelineId="order") as ctx:
            ctx.run(stages=[first, second], sink=Collect())
    except BaseException as caught:  # kept, as a retry loop would
        kept = caught
    assert isinstance(kept, error) and ctx.error is kept  # the original, unchanged
    assert connections.open == []
    # The failing stage's own finally runs as the error leaves it; the engine closes the rest.
    assert connections.events == ["closed: stage 2", "closed: stage 1", "closed: source"]


# -- return True, and the engine that ignores it --------------------------------------------


class Swallowing:
    def __enter__(self) -> Swallowing:
        return self

    def __exit__(self, *exc: object) -> bool:
        return True


def test_a_true_return_from_exit_hides_the_failure_and_the_code_after_carries_on() -> None:
    archive = Collect()
    carriedOn = False
    with Swallowing(), PipelineContext(DbSource(Connections()), pipelineId="export") as ctx:
        ctx.run(stages=[FailingStage(50)], sink=archive)
    carriedOn = True
    assert carriedOn and len(archive.records) == 50 and ctx.status == "failed"


def test_the_engine_ignores_a_component_that_tries_to_swallow_the_error() -> None:
    class SwallowingSink(Collect, Swallowing):
        pass

    sink = SwallowingSink()
    with pytest.raises(OSError, match="record 50"), PipelineContext(DbSource(Connections())) as ctx:
        ctx.run(stages=[FailingStage(50)], sink=sink)
    assert len(sink.records) == 50


# -- a cleanup that fails: ExitStack versus CleanupStack --------------------------------------


def _failingClose() -> None:
    raise RuntimeError("disk full while closing the archive")


def test_exitstack_lets_a_failing_cleanup_replace_the_original_error() -> None:
    with pytest.raises(RuntimeError) as raised, contextlib.ExitStack() as stack:
        stack.callback(_failingClose)
        raise OSError("sensor link lost at record 50")
    assert isinstance(raised.value.__context__, OSError)  # only there


def test_cleanupstack_runs_every_cleanup_and_keeps_the_original_with_a_note() -> None:
    ran: list[str] = []
    stack = CleanupStack()
    stack.push(lambda: ran.append("the file"), "the file")
    stack.push(_failingClose, "the archive")
    stack.push(lambda: ran.append("the generator"), "the generator")
    original = OSError("sensor link lost at record 50")
    stack.unwind(original)  # returns: re-raising the original is the caller's `raise`
    assert ran == ["the generator", "the file"]
    assert original.__notes__ == [
        "while cleaning up the archive: RuntimeError: disk full while closing the archive"
    ]


# -- a helper generator inside a stage ------------------------------------------------------


class EnrichingStage:
    """Creates a helper generator of its own (a connection per lookup), then fails."""

    def __init__(self, connections: Connections, closeHelper: bool) -> None:
        self.connections, self.closeHelper = connections, closeHelper

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        helper = self.connections.generatorHolding("enrich", inputStream)
        with contextlib.closing(helper) if self.closeHelper else contextlib.nullcontext(helper):
            for index, record in enumerate(helper):
                if index == 50:
                    raise OSError("sensor link lost at record 50")
                yield record


def test_a_helper_generator_stays_open_while_the_error_is_kept_unless_the_stage_closes_it() -> None:
    connections = Connections()
    kept = [_runKeepingTheError(PipelineContext, EnrichingStage(connections, False), connections)]
    assert connections.open == ["enrich"]  # the engine's source closed; the helper did not
    kept.append(
        _runKeepingTheError(PipelineContext, EnrichingStage(connections, True), connections)
    )
    assert connections.open == ["enrich"]  # the closing stage added nothing to it
    kept.clear()
    gc.collect()
    assert connections.open == []


@pytest.mark.usefixtures("noCycleCollector")
def test_the_context_and_its_error_form_a_cycle_that_waits_for_the_garbage_collector() -> None:
    """02: "Even without ctx, the context and the exception's traceback form a reference cycle"."""
    connections = Connections()
    kept: list[BaseException] = []
    try:  # here, as in the notebook's cell: the catching frame keeps neither ctx nor error
        with PipelineContext(DbSource(connections), pipelineId="enrich") as ctx:
            ctx.run(stages=[EnrichingStage(connections, False)], sink=Collect())
    except OSError as error:
        kept.append(error)
    assert ctx.error is kept[0]  # the context keeps the run's error itself
    kept.clear()
    del ctx
    assert connections.open == ["enrich"]  # ctx.error -> traceback -> run's frame -> ctx
    gc.collect()
    assert connections.open == []


@pytest.mark.parametrize("remedy", ["contextlib.closing in the stage", "clearFrames=True"])
@pytest.mark.usefixtures("noCycleCollector")
def test_closing_the_helper_or_clearing_frames_frees_it_without_waiting_for_the_collector(
    remedy: str,
) -> None:
    """README: the helper waits for gc.collect() "unless the stage closes what it opens or
    clearFrames=True is used" -- with either, the cycle through ctx.error holds nothing."""
    connections = Connections()
    closeHelper, clearFrames = remedy.startswith("contextlib"), remedy.startswith("clearFrames")
    try:
        with PipelineContext(DbSource(connections), "enrich", clearFrames=clearFrames) as ctx:
            ctx.run(stages=[EnrichingStage(connections, closeHelper)], sink=Collect())
    except OSError:
        pass
    assert ctx.error is not None  # the cycle is still there, but it holds no helper
    del ctx
    assert connections.open == []


@pytest.mark.usefixtures("noCycleCollector")
def test_clear_frames_releases_the_helper_while_the_error_is_kept() -> None:
    connections = Connections()

    def clearing(source: Any, pipelineId: str) -> PipelineContext:
        return PipelineContext(source, pipelineId, clearFrames=True)

    kept = _runKeepingTheError(clearing, EnrichingStage(connections, False), connections)
    assert connections.open == []
    assert "sensor link lost" in str(kept)


# -- the limits: os._exit -------------------------------------------------------------------

CHILD = """
import os, sys
from pipeline_lib import CsvSink, PipelineContext, SensorSource

class Abrupt:
    def process(self, inputStream):
        for index, record in enumerate(inputStream):
            if index == 100:
                if sys.argv[1] == "os._exit":
                    os._exit(1)
                raise OSError("sensor link lost")
            yield record

with PipelineContext(SensorSource(count=1000, seed=1), pipelineId="child") as ctx:
    ctx.run(stages=[Abrupt()], sink=CsvSink("export.csv"))
"""


@pytest.mark.parametrize(("ending", "leftovers"), [("raise", 0), ("os._exit", 1)])
def test_no_cleanup_runs_on_os_exit(tmp_path: Path, ending: str, leftovers: int) -> None:
    child = subprocess.run(
        [sys.executable, "-c", CHILD, ending], cwd=tmp_path, capture_output=True, check=False
    )
    assert child.returncode == 1
    files = [path.name for path in tmp_path.iterdir()]
    assert len(files) == leftovers and all(name.endswith(".partial") for name in files)

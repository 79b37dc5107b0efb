"""Notebook widgets over the engine: inject failures, run, and watch what stays open.

:class:`FailureLab` runs a real pipeline, ``SqliteSource(pool) -> ThresholdFilter ->
Normalizer -> ListSink``, over a temporary SQLite database and a bounded
:class:`~pipeline_lib.ConnectionPool`. You choose where it fails (source, a stage, the
sink, nowhere), at which record or at what rate, transiently or permanently, and
whether it runs with the slides' :func:`~pipeline_lib.naive.runWithoutCleanup` or
with :class:`~pipeline_lib.PipelineContext`. Each Run adds a point to a plot of the
connections and descriptors still held: the lab keeps every failed run's exception,
as a retry loop or a logger would, so the naive runner's leak climbs run after run
until the pool is exhausted, while ``PipelineContext`` stays flat. Reset lets go.

No engine logic lives here: the widget builds components, calls the engine and shows
what it reports. Controls are attributes, callbacks are plain methods and results
are plain attributes, so a test or a notebook cell can drive it without a browser:

>>> lab = FailureLab(poolSize=3)
>>> lab.where.value, lab.runner.value = "ThresholdFilter", "runWithoutCleanup"
>>> for _ in range(4):
...     lab.runButton.click()
>>> [run.connectionsInUse for run in lab.history]
[1, 2, 3, 3]
>>> lab.lastRun.error.split(":")[0]
'PoolExhausted'
>>> lab.resetButton.click()
>>> lab.pool.inUse, lab.history
(0, [])
>>> lab.close()
"""

from __future__ import annotations

import gc
import html
import logging
import os
import shutil
import sys
import tempfile
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from .cleanup import describeError
from .faults import Fault, failSink, failSource, failStage
from .lifecycle import PipelineContext
from .naive import runWithoutCleanup
from .plotting import PALETTE, newFigure
from .resources import ConnectionPool, openFileDescriptors
from .sinks import ListSink, SqliteSink
from .sources import SensorSource, SqliteSource
from .stages import Normalizer, ThresholdFilter

__all__ = ["FailureLab", "LabRun"]

logger = logging.getLogger("pipeline_lib")

RUNNERS = ("PipelineContext", "runWithoutCleanup")
STAGE_NAMES = ("ThresholdFilter", "Normalizer")
RECORD_COUNTS = (100, 1_000, 10_000, 100_000)
PROGRESS_STEP_MIN = 2_000  # fewer records than this finish before a bar could be read


@dataclass(frozen=True)
class LabRun:
    """One Run of the lab: what was asked, how it ended, and what it left held afterwards."""

    run: int
    runner: str
    failAt: str
    status: str  # "completed" or "failed"
    error: str | None  # "OSError: injected failure at record 5 of SqliteSource (permanent)"
    delivered: int  # records that reached the sink
    duplicates: int  # records the sink received more than once
    faultsInjected: int  # failures the fault raised during this run
    connectionsInUse: int  # pooled connections still acquired after the run
    descriptorsHeld: int  # descriptors open on the lab's database, minus those at (re)start
    seconds: float


class FailureLab:
    """Choose where and how a pipeline fails, run it naive or managed, watch the leak.

    ``FailureLab(poolSize=4, records=1000, seed=0)`` (``records``: one of 100, 1000,
    10000, 100000; ``seed`` drives the data and rate faults). Show it as a cell's last
    value. The module docstring shows the pipeline it runs and an example. Attributes:

    - controls: ``where``, ``trigger`` (``"record"`` or ``"rate"``), ``atRecord``, ``rate``,
      ``permanence`` (``"transient"`` or ``"permanent"``), ``failTimes``, ``runner``,
      ``records``, ``runButton``, ``resetButton``;
    - displays: ``progress``, ``summary`` (HTML), ``plot`` (PNG ``Image``), ``logOutput``;
    - results: ``lastRun`` and ``history`` (:class:`LabRun`), ``log`` (lines),
      ``figure`` (the last plotted Figure), ``heldErrors``, ``pool``.

    A fault lives until its settings change or Reset, so a transient fault that failed
    ``failTimes`` times has healed: press Run again and the run completes.

    What to expect: with ``runWithoutCleanup`` a failure in a stage or the sink leaves
    the source suspended with its connection, one more per run, until ``PoolExhausted``;
    a failure in the source itself leaks nothing (the exception passes through the
    source's own ``with`` block). With ``PipelineContext`` nothing stays in use. The
    descriptor line counts those open on the lab's database since the last (re)start;
    the pool keeps idle connections open as production pools do, so a flat +1 is the
    idle connection.
    """

    def __init__(self, poolSize: int = 4, records: int = 1_000, seed: int = 0) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="failurelab-"))
        self._finalizer = weakref.finalize(self, shutil.rmtree, self._folder, ignore_errors=True)
        self.database = self._folder / "lab.sqlite"
        self.poolSize = poolSize
        self.seed = seed
        self.pool = ConnectionPool(self.database, size=poolSize)
        self.history: list[LabRun] = []
        self.lastRun: LabRun | None = None
        self.log: list[str] = []
        self.heldErrors: list[BaseException] = []
        self.figure: Figure | None = None
        self._fault: Fault | None = None
        self._tables: set[str] = set()
        self._buildControls(records)
        self._table(self.records.value)  # the default table is ready before the first Run
        self.root = self._layout()
        self._descriptorBaseline = self._descriptors()
        self._redraw()

    def __repr__(self) -> str:
        return f"FailureLab(poolSize={self.poolSize}, runs={len(self.history)})"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = self.root._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)  # short and stable, for nbval and plain consoles
        return bundle

    # -- controls and layout -----------------------------------------------------------

    def _buildControls(self, records: int) -> None:
        label = {"description_width": "5em"}
        self.where = widgets.Dropdown(
            options=[("nowhere", "nowhere"), ("source", "source")]
            + [(f"stage {name}", name) for name in STAGE_NAMES]
            + [("sink", "sink")],
            description="fail in",
            style=label,
        )
        self.trigger = _toggles([("at record", "record"), ("at rate", "rate")], "record")
        self.atRecord = widgets.IntSlider(value=50, max=99, description="record", style=label)
        self.rate = widgets.FloatSlider(
            value=0.01, min=0.001, max=0.1, step=0.001, readout_format=".3f", description="rate"
        )
        self.permanence = _toggles([(p, p) for p in ("transient", "permanent")], "permanent")
        self.failTimes = widgets.BoundedIntText(
            value=1, min=1, max=10, description="fails (times)", layout={"width": "13em"}
        )
        self.runner = _toggles([(name, name) for name in RUNNERS], RUNNERS[0], width="13em")
        self.records = widgets.Dropdown(
            options=[(f"{n:,}", n) for n in RECORD_COUNTS], value=records, description="records"
        )
        self.runButton = widgets.Button(description="Run", button_style="primary", icon="play")
        self.resetButton = widgets.Button(description="Reset", icon="undo")
        self.progress = widgets.IntProgress(max=1, description="read")
        self.summary = widgets.HTML()
        self.plot = widgets.Image(format="png")
        self.logOutput = widgets.Output(
            layout={"max_height": "16em", "overflow": "auto", "border": "1px solid #ddd"}
        )
        self.runButton.on_click(self.onRun)
        self.resetButton.on_click(self.onReset)
        settings = (self.where, self.trigger, self.atRecord, self.rate, self.permanence)
        for control in (*settings, self.failTimes, self.records):
            control.observe(self.onSettingsChanged, names="value")
        self.onSettingsChanged()

    def _layout(self) -> Any:
        row = widgets.HBox
        # Layer 3 extension point: a `retries` control joins the runner's row, and the
        # latency plot an Image beside `self.plot`, once measuredStage/retryOnFailure land.
        return widgets.VBox(
            [
                widgets.HTML("<b>FailureLab</b>: where and how to fail, naive or managed"),
                row([self.where, self.trigger]),
                row([self.atRecord, self.rate]),
                row([self.permanence, self.failTimes]),
                row([self.runner, self.records]),
                row([self.runButton, self.resetButton, self.progress]),
                self.summary,
                self.plot,
                self.logOutput,
            ]
        )

    # -- callbacks ---------------------------------------------------------------------

    def onSettingsChanged(self, change: object = None) -> None:
        """A fault setting changed: the next Run gets a fresh fault; grey out what is moot."""
        self._fault = None
        self.atRecord.max = self.records.value - 1
        failing = self.where.value != "nowhere"
        self.trigger.disabled = self.permanence.disabled = not failing
        self.atRecord.disabled = not failing or self.trigger.value != "record"
        self.rate.disabled = not failing or self.trigger.value != "rate"
        self.failTimes.disabled = not failing or self.permanence.value != "transient"

    def onRun(self, button: object = None) -> None:
        """The Run button: one run with the current settings (see :meth:`run`)."""
        self.run()

    def onReset(self, button: object = None) -> None:
        """The Reset button: see :meth:`reset`."""
        self.reset()

    # -- actions -----------------------------------------------------------------------

    def run(self) -> LabRun:
        """Run the pipeline once, record what it left held, redraw; errors go to the log."""
        self.runButton.disabled = True
        try:
            record = self._runOnce(len(self.history) + 1)
        finally:
            self.runButton.disabled = False
        self.history.append(record)
        self.lastRun = record
        self._redraw()
        return record

    def reset(self) -> None:
        """Let go of every held exception, collect, and start over with a fresh pool.

        Dropping the exceptions frees the naive runs' suspended generators; collecting
        runs their ``finally`` blocks, which give the connections back. The new pool
        and the new baseline make the plot start from zero again.
        """
        self._release()
        self.pool = ConnectionPool(self.database, size=self.poolSize)
        self._descriptorBaseline = self._descriptors()
        self.history.clear()
        self.lastRun = None
        self.log.clear()
        self.logOutput.outputs = ()
        self._redraw()

    def close(self) -> None:
        """Release everything (see :meth:`reset`), close the widgets, remove the database."""
        self._release()
        _closeTree(self.root)
        self._finalizer()

    def _release(self) -> None:
        # The fault goes too: Fault.raised keeps every exception it raised.
        self.heldErrors.clear()
        self._fault = None
        gc.collect()
        self.pool.close()

    # -- one run -----------------------------------------------------------------------

    def _runOnce(self, number: int) -> LabRun:
        fault = self._currentFault()
        failuresBefore = fault.failures if fault else 0
        total = self.records.value
        received = ListSink()
        source, stages, sink = self._components(self._table(total), fault, received)
        self.progress.max, self.progress.value = total, 0
        # Every bar update is a message to the browser: long runs get 20, short runs none.
        tap = _ProgressTap(self.progress, step=max(PROGRESS_STEP_MIN, total // 20))
        stages = [tap, *stages]
        lines = [f"run {number}: {self.runner.value}, {self._describeFault(fault)}"]
        started = time.perf_counter()
        with _capturedLog(logger) as logLines:
            error = self._execute(source, stages, sink, pipelineId=f"lab-run-{number}")
        seconds = time.perf_counter() - started
        self.progress.value = tap.seen
        gc.collect()  # count only what something still holds, not garbage awaiting collection
        record = LabRun(
            run=number,
            runner=self.runner.value,
            failAt=self.where.value,
            status="completed" if error is None else "failed",
            error=None if error is None else describeError(error),
            delivered=len(received.records),
            duplicates=len(received.records) - len(set(received.records)),
            faultsInjected=(fault.failures if fault else 0) - failuresBefore,
            connectionsInUse=self.pool.inUse,
            descriptorsHeld=self._descriptors() - self._descriptorBaseline,
            seconds=seconds,
        )
        lines += logLines
        lines.append(f"  -> {self._describeOutcome(record)}")
        self._writeLog(lines)
        return record

    def _execute(
        self, source: Any, stages: Sequence[Any], sink: Any, pipelineId: str
    ) -> Exception | None:
        """Run with the chosen runner; keep a failure's exception, as a logger or a retry would."""
        try:
            if self.runner.value == "runWithoutCleanup":
                runWithoutCleanup(source, stages, sink)
            else:
                with PipelineContext(source, pipelineId=pipelineId) as ctx:
                    ctx.run(stages=stages, sink=sink)
        except Exception as error:  # the lab reports every pipeline failure in its log
            self.heldErrors.append(error)
            return error
        return None

    def _components(
        self, table: str, fault: Fault | None, sink: ListSink
    ) -> tuple[Any, list[Any], Any]:
        # Layer 3 extension point: with a `retries` control, the source is wrapped here
        # in retryOnFailure(maxAttempts=...) (engine's or naive's, by runner), and the
        # stages in measuredStage(...) so the latency plot has data.
        where = self.where.value
        source: Any = SqliteSource(self.pool, table=table)
        stages: list[Any] = [ThresholdFilter(20.0, 80.0), Normalizer(0.0, 100.0)]
        if fault is None:
            return source, stages, sink
        if where == "source":
            source = failSource(source, fault)
        elif where == "sink":
            return source, stages, failSink(sink, fault)
        else:
            index = STAGE_NAMES.index(where)
            stages[index] = failStage(stages[index], fault)
        return source, stages, sink

    def _currentFault(self) -> Fault | None:
        if self.where.value == "nowhere":
            return None
        if self._fault is None:
            times = self.failTimes.value if self.permanence.value == "transient" else None
            if self.trigger.value == "record":
                self._fault = Fault(atRecord=self.atRecord.value, times=times)
            else:
                self._fault = Fault(rate=self.rate.value, times=times, seed=self.seed)
        return self._fault

    def _descriptors(self) -> int:
        """Descriptors open on the lab's files where the OS says which, else all of them.

        A kernel opens and closes sockets and fonts at its own pace, so the process-wide
        count (Windows) wobbles by a few; on Linux and macOS the count is exact.
        """
        onFolder = _descriptorsOn(self._folder)
        return openFileDescriptors() if onFolder is None else onFolder

    def _table(self, count: int) -> str:
        """The table of ``count`` readings, written once (by the engine's own sink)."""
        table = f"readings_{count}"
        if table not in self._tables:
            SqliteSink(self.database, table).consume(SensorSource(count, seed=self.seed).stream())
            self._tables.add(table)
        return table

    # -- showing results ---------------------------------------------------------------

    def _describeFault(self, fault: Fault | None) -> str:
        if fault is None:
            return "no fault"
        when = f"record {fault.atRecord}" if fault.atRecord is not None else f"rate {fault.rate}"
        if fault.times is None:
            how = "permanent"
        else:
            how = f"transient, {fault.failures} of {fault.times} failures used so far"
        return f"fail in {self.where.value} at {when} ({how})"

    def _describeOutcome(self, run: LabRun) -> str:
        outcome = "completed" if run.error is None else f"FAILED: {run.error}"
        return (
            f"{outcome}; delivered {run.delivered}, duplicates {run.duplicates}; "
            f"connections in use {run.connectionsInUse}/{self.poolSize}, "
            f"descriptors held {run.descriptorsHeld:+d}"
        )

    def _writeLog(self, lines: list[str]) -> None:
        self.log += lines
        self.logOutput.append_stdout("\n".join(lines) + "\n")

    def _redraw(self) -> None:
        self.figure = _plotHeldResources(self.history, self.poolSize)
        buffer = BytesIO()
        self.figure.savefig(buffer, format="png", dpi=90)
        self.plot.value = buffer.getvalue()
        self.summary.value = self._summaryHtml()

    def _summaryHtml(self) -> str:
        run = self.lastRun
        if run is None:
            return "<i>No run yet: choose a failure and press Run.</i>"
        colour = PALETTE[2] if run.error is None else PALETTE[3]
        outcome = "completed" if run.error is None else f"failed: {html.escape(run.error)}"
        return (
            f"<div class='failurelab-summary'>Run {run.run} ({run.runner}) "
            f"<b style='color:{colour}'>{outcome}</b><br>"
            f"records delivered <b>{run.delivered}</b> · duplicates <b>{run.duplicates}</b> · "
            f"connections in use <b>{run.connectionsInUse}</b> of {self.poolSize} · "
            f"descriptors held <b>{run.descriptorsHeld:+d}</b> · "
            f"exceptions kept <b>{len(self.heldErrors)}</b></div>"
        )


def _plotHeldResources(history: Sequence[LabRun], poolSize: int) -> Figure:
    """Connections and descriptors still held after each run; naive runs shaded, failures marked."""
    # The lab's own plot, until plotting.plotOpenResources (branch nb1) can draw it too.
    figure, axes = newFigure("Resources still held after each run", "run", "count", size=(7.5, 3.2))
    runs = [run.run for run in history]
    for run in history:
        if run.runner == "runWithoutCleanup":
            axes.axvspan(run.run - 0.5, run.run + 0.5, color=PALETTE[1], alpha=0.15, linewidth=0)
    axes.plot(
        runs, [r.connectionsInUse for r in history], "o-", markersize=8, label="connections in use"
    )
    axes.plot(
        runs,
        [r.descriptorsHeld for r in history],
        "s--",
        markersize=4,
        label="descriptors held (+)",
    )
    failed = [run for run in history if run.error is not None]
    axes.plot(
        [r.run for r in failed],
        [r.connectionsInUse for r in failed],
        "x",
        color=PALETTE[3],
        markersize=9,
        label="failed run",
    )
    axes.axhline(poolSize, color=PALETTE[7], linestyle=":", label=f"pool size ({poolSize})")
    top = max([poolSize, *(r.descriptorsHeld for r in history)])
    axes.set_xlim(0.5, max(len(runs), 5) + 0.5)
    axes.set_ylim(-0.5, top + 1)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = axes.get_legend_handles_labels()
    handles.append(Patch(color=PALETTE[1], alpha=0.15))
    labels.append("runWithoutCleanup")
    axes.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return figure


class _ProgressTap:
    """A pass-through stage that counts records (``seen``) and moves a bar every ``step``."""

    def __init__(self, bar: Any, step: int) -> None:
        self.bar = bar
        self.step = step
        self.seen = 0

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        for record in inputStream:
            self.seen += 1
            if self.seen % self.step == 0:
                self.bar.value = self.seen
            yield record


def _descriptorsOn(folder: Path) -> int | None:
    """How many of this process's descriptors are open on files in ``folder``; None: unknown."""
    if sys.platform == "darwin":  # pragma: no cover - students' Macs
        paths = [_darwinPath(int(fd)) for fd in os.listdir("/dev/fd")]
    elif os.path.isdir("/proc/self/fd"):
        paths = [_linkTarget(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")]
    else:  # pragma: no cover - Windows: no per-handle paths without extra packages
        return None
    prefix = f"{folder.resolve()}{os.sep}"
    return sum(1 for path in paths if path.startswith(prefix))


def _linkTarget(link: str) -> str:
    try:
        return os.readlink(link)
    except OSError:  # closed between the listing and the lookup
        return ""


def _darwinPath(fd: int) -> str:  # pragma: no cover - macOS only
    import fcntl

    getPath: int = fcntl.F_GETPATH  # type: ignore[attr-defined,unused-ignore]
    try:
        return fcntl.fcntl(fd, getPath, bytes(1024)).split(b"\0", 1)[0].decode()
    except OSError:
        return ""


def _toggles(options: list[tuple[str, str]], value: str, width: str = "8em") -> Any:
    """Toggle buttons side by side, of one width."""
    return widgets.ToggleButtons(options=options, value=value, style={"button_width": width})


def _closeTree(widget: Any) -> None:
    """Close a widget and every widget inside it (their views disappear from the page)."""
    for child in getattr(widget, "children", ()):
        _closeTree(child)
    widget.close()


class _LineHandler(logging.Handler):
    """Keeps each log record as an indented ``LEVEL: message`` line."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.INFO)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"  {record.levelname}: {record.getMessage()}")


@contextmanager
def _capturedLog(target: logging.Logger) -> Iterator[list[str]]:
    """The lines ``target`` logs inside the block, INFO and up (its level is lowered briefly)."""
    lines: list[str] = []
    handler, level = _LineHandler(lines), target.level
    target.addHandler(handler)
    if not target.isEnabledFor(logging.INFO):
        target.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        target.removeHandler(handler)
        target.setLevel(level)

"""Notebook widgets over the engine: inject failures, run, and watch what stays open.

:class:`FailureLab` runs a real pipeline, ``SqliteSource(pool) -> ThresholdFilter ->
Normalizer -> ListSink``, over a temporary SQLite database and a bounded
:class:`~pipeline_lib.ConnectionPool`. You choose where it fails (source, a stage, the
sink, nowhere), at which record or at what rate, transiently or permanently, and
whether it runs with the slides' :func:`~pipeline_lib.naive.runWithoutCleanup` or
with :class:`~pipeline_lib.PipelineContext`, and how many attempts the source gets: the
engine's :func:`~pipeline_lib.retryOnFailure` with ``PipelineContext``, slide 10's
:func:`~pipeline_lib.naive.retryOnFailure` with the naive runner, so the duplicates a
restart-from-scratch retry delivers show up in the counts. Each Run adds a point to a
plot of the connections and descriptors still held: the lab keeps every failed run's
exception, as a retry loop or a logger would, so the naive runner's leak climbs run
after run until the pool is exhausted, while ``PipelineContext`` stays flat. Reset lets
go. A second plot shows each stage's own time per record in the last run
(:func:`~pipeline_lib.measuredStage`).

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
>>> lab.runner.value = "PipelineContext"       # without Reset: the naive runs hold the pool
>>> lab.runButton.click()
>>> lab.lastRun.advice
'the earlier runWithoutCleanup runs still hold 3 connections: press Reset'
>>> lab.resetButton.click()
>>> lab.pool.inUse, lab.history, lab.where.value   # every setting back to its start
(0, [], 'nowhere')
>>> lab.where.value, lab.permanence.value, lab.maxAttempts.value = "source", "transient", 2
>>> lab.runner.value = "runWithoutCleanup"
>>> lab.runButton.click()              # slide 10's retry restarts: records come twice
>>> lab.lastRun.status, lab.lastRun.retries, lab.lastRun.duplicates > 0
('completed', 1, True)
>>> lab.close()
"""

from __future__ import annotations

import gc
import html
import logging
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from .. import naive
from ..adapters import MeasuredStage, RetriedSource
from ..cleanup import describeError
from ..faults import Fault, failSink, failSource, failStage
from ..lifecycle import PipelineContext
from ..resources import ConnectionPool, PoolExhausted, openDescriptorsOn, openFileDescriptors
from ..sinks import ListSink, SqliteSink
from ..sources import SensorSource, SqliteSource
from ..stages import Normalizer, ThresholdFilter
from .kit import ShownAsRoot, capturedLog, closeTree, showFigure
from .labcontrols import MAX_ATTEMPTS, RECORD_COUNTS, RUNNERS, STAGE_NAMES, LabControls
from .labparts import LabRun, WidgetProgress, latencyFigure, latencyNote
from .labview import (
    HELD_LABEL,
    describeFault,
    describeOutcome,
    describeRetries,
    heldFigure,
    summaryHtml,
)

__all__ = [
    "HELD_LABEL",
    "MAX_ATTEMPTS",
    "RECORD_COUNTS",
    "RUNNERS",
    "STAGE_NAMES",
    "FailureLab",
]

logger = logging.getLogger("pipeline_lib")


class FailureLab(LabControls, ShownAsRoot):
    """Choose where and how a pipeline fails, run it naive or managed, watch the leak.

    ``FailureLab(poolSize=4, records=1000, seed=0, *, sleep=None, renderPngs=True)``
    (``records``: one of 100, 1000, 10000, 100000; ``seed`` drives the data and rate
    faults; ``sleep`` is what a retry waits with: by default the lab does not wait, it
    notes each wait in ``waits``; ``renderPngs=False`` builds the figures without
    drawing PNGs, for scripts and tests). Show it as a cell's last value. The module
    docstring shows the pipeline it runs and an example. Attributes:

    - controls: ``where``, ``trigger`` (``"record"`` or ``"rate"``), ``atRecord``, ``rate``,
      ``permanence`` (``"transient"`` or ``"permanent"``), ``failTimes``, ``runner``,
      ``maxAttempts`` (1: no retry), ``records``, ``runButton``, ``resetButton``;
    - displays: ``instructions`` (the steps to try), ``progress``, ``summary`` (HTML),
      ``plot`` (PNG ``Image``: resources held), ``latencyNote`` (why there is no latency
      chart), ``latencyPlot`` (PNG ``Image``: own time per stage), ``logOutput``; a chart
      with nothing to show is hidden;
    - results: ``lastRun`` and ``history`` (:class:`LabRun`, with ``retries``,
      ``stageMetrics`` and ``advice``), ``log`` (lines), ``figure`` and ``latencyFigure``
      (the Figures of the runs so far, built when first asked for), ``heldErrors``,
      ``waits``, ``pool``.

    A fault lives until a setting (runner and attempts included) changes or Reset, so
    a transient fault that failed ``failTimes`` times has healed: press Run again and
    the run completes.

    Retries: with ``maxAttempts`` > 1 the source is wrapped in the engine's
    ``retryOnFailure`` (``PipelineContext``), which resumes after the records already
    delivered, or in slide 10's (``runWithoutCleanup``), which starts the stream again:
    a transient source fault then gives ``duplicates`` > 0 with the naive pair and 0
    with the engine's. Only the source is retried: a stage or sink failure is final.

    What to expect: with ``runWithoutCleanup`` a failure in a stage or the sink leaves
    the source suspended with its connection, one more per run, until ``PoolExhausted``;
    a failure in the source itself leaks nothing (the exception passes through the
    source's own ``with`` block). With ``PipelineContext`` nothing stays in use. The
    descriptor line counts those open on the lab's database file beyond the pool's
    idle connections (which a production pool keeps open too): exactly one per
    connection still in use.

    Reset lets go of the kept exceptions, starts a fresh pool and restores every
    setting to its value when the lab was made. A run that cannot start because earlier
    naive runs hold the pool says so in ``lastRun.advice``.
    """

    def __init__(
        self,
        poolSize: int = 4,
        records: int = 1_000,
        seed: int = 0,
        *,
        sleep: Callable[[float], object] | None = None,
        renderPngs: bool = True,
    ) -> None:
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
        self._figures: tuple[Figure, Figure | None] | None = None  # built when first needed
        self.waits: list[float] = []
        self.renderPngs = renderPngs
        self._sleep = self.waits.append if sleep is None else sleep
        self._fault: Fault | None = None
        self._tables: set[str] = set()
        self._buildControls(records)
        self._connectControls()
        self._defaults = {control: control.value for control in self._settingControls()}
        self._table(self.records.value)  # the default table is ready before the first Run
        self.root = self._layout()
        self._descriptorBaseline = self._descriptors()
        self._redraw()

    def __repr__(self) -> str:
        return f"FailureLab(poolSize={self.poolSize}, runs={len(self.history)})"

    # -- callbacks ---------------------------------------------------------------------

    def _connectControls(self) -> None:
        self.runButton.on_click(self.onRun)
        self.resetButton.on_click(self.onReset)
        self._faultKey: tuple[object, ...] = ()
        for control in self._settingControls():
            control.observe(self.onSettingsChanged, names="value")
        self.onSettingsChanged()

    def onSettingsChanged(self, change: object = None) -> None:
        """A setting changed: the next Run gets a fresh fault; grey out what is moot."""
        key = self._settingsKey()
        if key != self._faultKey:
            self._fault, self._faultKey = None, key
        self._greyOutMoot()

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
        """Let go of every held exception, restore every setting, start over with a fresh pool.

        Dropping the exceptions frees the naive runs' suspended generators, whose
        ``finally`` blocks give the connections back (``gc.collect()`` makes sure, should
        anything else have formed a cycle). The new pool and the new baseline make the plot
        start from zero again.
        """
        self._release()
        for control, value in self._defaults.items():
            control.value = value
        self.pool = ConnectionPool(self.database, size=self.poolSize)
        self._descriptorBaseline = self._descriptors()
        self.history.clear()
        self.lastRun = None
        self.log.clear()
        self.waits.clear()
        self.logOutput.outputs = ()
        self._redraw()

    def close(self) -> None:
        """Release everything (see :meth:`reset`), close the widgets, remove the database."""
        self._release()
        closeTree(self.root)
        self._finalizer()

    def _release(self) -> None:
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
        source, measured, sink = self._components(self._table(total), fault, received)
        self.progress.max, self.progress.value = total, 0
        tap = WidgetProgress(self.progress, total)
        lines = [f"run {number}: {self.runner.value}, {describeFault(fault, self.where.value)}"]
        waitsBefore = len(self.waits)
        started = time.perf_counter()
        with capturedLog(logger) as logLines:
            error = self._execute(source, [tap, *measured], sink, pipelineId=f"lab-run-{number}")
        seconds = time.perf_counter() - started
        self.progress.value = tap.count
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
            retries=source.attempts - 1 if isinstance(source, RetriedSource) else 0,
            stageMetrics={s.stageName: s.metrics for s in measured if s.metrics is not None},
            advice=self._advice(error),
        )
        lines += logLines
        restarted = self.runner.value == "runWithoutCleanup"
        lines += describeRetries(source, self.waits[waitsBefore:], restarted=restarted)
        lines.append(f"  -> {describeOutcome(record, self.poolSize)}")
        if record.advice:
            lines.append(f"  !! {record.advice}")
        self._writeLog(lines)
        return record

    def _execute(
        self, source: Any, stages: Sequence[Any], sink: Any, pipelineId: str
    ) -> Exception | None:
        """Run with the chosen runner; keep a failure's exception, as a logger or a retry would."""
        try:
            if self.runner.value == "runWithoutCleanup":
                naive.runWithoutCleanup(source, stages, sink)
            else:
                with PipelineContext(source, pipelineId=pipelineId) as ctx:
                    ctx.run(stages=stages, sink=sink)
        except Exception as error:  # the lab reports every pipeline failure in its log
            self.heldErrors.append(error)
            return error
        return None

    def _components(
        self, table: str, fault: Fault | None, received: ListSink
    ) -> tuple[Any, list[MeasuredStage], Any]:
        """Source, measured stages and sink, with the fault where chosen and the retry."""
        where = self.where.value
        source: Any = SqliteSource(self.pool, table=table)
        stages: list[Any] = [ThresholdFilter(20.0, 80.0), Normalizer(0.0, 100.0)]
        sink: Any = received
        if fault is not None and where == "source":
            source = failSource(source, fault)
        elif fault is not None and where == "sink":
            sink = failSink(received, fault)
        elif fault is not None:
            index = STAGE_NAMES.index(where)
            stages[index] = failStage(stages[index], fault)
        attempts = self.maxAttempts.value
        if attempts > 1 and self.runner.value == "runWithoutCleanup":  # slide 10's: restarts
            slide10 = naive.retryOnFailure(maxAttempts=attempts, delaySeconds=0)
            source = RetriedSource(source, name="SqliteSource", retry=slide10)
        elif attempts > 1:  # the engine's: resumes
            source = RetriedSource(
                source, name="SqliteSource", maxAttempts=attempts, sleep=self._sleep
            )
        measured = [
            MeasuredStage(stage, name) for stage, name in zip(stages, STAGE_NAMES, strict=True)
        ]
        return source, measured, sink

    def _advice(self, error: Exception | None) -> str:
        """What to do when the run could not start because earlier naive runs hold the pool."""
        naiveRuns = any(run.runner == "runWithoutCleanup" for run in self.history)
        if not isinstance(error, PoolExhausted) or not naiveRuns or not self.pool.inUse:
            return ""
        return (
            f"the earlier runWithoutCleanup runs still hold {self.pool.inUse} connections: "
            "press Reset"
        )

    def _currentFault(self) -> Fault | None:
        if self.where.value == "nowhere":
            return None
        if self._fault is None:
            self._fault = self._settingsFault(self.seed)
        return self._fault

    def _descriptors(self) -> int:
        """Descriptors open on the lab's database file, beyond the pool's idle connections.

        Each SQLite connection holds one descriptor on the file, so this is one per
        connection in use. Where the OS does not say which file a descriptor is on
        (Windows), the process-wide count stands in; a kernel opens and closes sockets
        and fonts at its own pace, so that one wobbles by a few.
        """
        onFile = openDescriptorsOn(self.database)
        return (openFileDescriptors() if onFile is None else onFile) - self.pool.idle

    def _table(self, count: int) -> str:
        """The table of ``count`` readings, written once (by the engine's own sink)."""
        table = f"readings_{count}"
        if table not in self._tables:
            SqliteSink(self.database, table).consume(SensorSource(count, seed=self.seed).stream())
            self._tables.add(table)
        return table

    # -- showing results ---------------------------------------------------------------

    def _writeLog(self, lines: list[str]) -> None:
        self.log += lines
        self.logOutput.append_stdout("\n".join(lines) + "\n")

    def _redraw(self) -> None:
        """Summary and plots; a chart with nothing to show is hidden, and a line says why."""
        self._figures = None
        note = latencyNote(self.lastRun)
        self.latencyNote.value = f"<i>{html.escape(note)}</i>" if note else ""
        self.plot.layout.display = None if self.history else "none"
        self.latencyPlot.layout.display = None if self.lastRun and not note else "none"
        if self.renderPngs:
            if self.history:
                showFigure(self.figure, self.plot)
            if self.latencyFigure is not None:
                showFigure(self.latencyFigure, self.latencyPlot)
        self.summary.value = summaryHtml(self.lastRun, self.poolSize, len(self.heldErrors))

    @property
    def figure(self) -> Figure:
        """The held-resources plot of the runs so far (built on first use after a run)."""
        return self._builtFigures()[0]

    @property
    def latencyFigure(self) -> Figure | None:
        """The last run's own time per stage; None when it timed no record (see latencyNote)."""
        return self._builtFigures()[1]

    def _builtFigures(self) -> tuple[Figure, Figure | None]:
        if self._figures is None:
            self._figures = (heldFigure(self.history, self.poolSize), latencyFigure(self.lastRun))
        return self._figures

"""The FailureLab's parts: one run's record, its progress bar, the data of its plots."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure

from ..cli.progress import ProgressBar
from ..metrics import StageMetrics
from ..plotting import plotLatencyPercentiles

__all__ = ["HeldSeries", "LabRun", "WidgetProgress", "latencyFigure", "latencyNote"]


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
    descriptorsHeld: int  # descriptors on the lab's database held by connections in use
    seconds: float
    retries: int = 0  # times the source's stream was started again after a failure
    #: Each stage's own-time metrics for this run (``@measuredStage``), in pipeline order.
    stageMetrics: Mapping[str, StageMetrics] = field(
        default_factory=dict, repr=False, compare=False
    )
    #: What to do when the run could not start because earlier runs hold the pool.
    advice: str = ""


class WidgetProgress(ProgressBar):
    """The command line's progress stage, drawing into an ``ipywidgets.IntProgress``.

    The same pass-through stage and the same pacing (at most ten redraws a second, each
    a message to the browser); only where it draws differs.
    """

    def __init__(self, bar: Any, total: int) -> None:
        super().__init__(io.StringIO(), total=total, delay=0.0)
        self.bar = bar

    def draw(self) -> None:
        self.bar.value = self.count

    def clear(self) -> None:
        self.bar.value = self.count


@dataclass
class HeldSeries:
    """The lab's runs as :func:`~pipeline_lib.plotting.plotOpenResources` reads a history."""

    label: str
    poolSize: int
    runs: list[int]
    connectionsInUse: list[int]
    descriptorsOpened: list[int]


def latencyNote(run: LabRun | None) -> str:
    """Why the last run has no latency chart, in one line; ``""`` when it has one (or no run)."""
    if run is None:
        return ""
    metrics = run.stageMetrics
    if any(m.histogram.count for m in metrics.values()):
        return ""
    if any(m.outcome == "running" for m in metrics.values()):
        why = "its stages were left suspended, never closed"
    else:
        why = "it failed before its first record" if run.error else "no record reached a stage"
    return f"No latency chart for run {run.run}: it timed no record ({why})."


def latencyFigure(run: LabRun | None) -> Figure | None:
    """The last run's own time per record by stage; None if there is nothing to show."""
    if run is None or latencyNote(run):
        return None
    suspended = any(m.outcome == "running" for m in run.stageMetrics.values())
    partial = " (stages left suspended: partial)" if suspended else ""
    title = f"Own time per record, by stage, run {run.run}{partial}"
    return plotLatencyPercentiles(run.stageMetrics, title=title)

"""What the FailureLab shows of its runs: the steps to try, log lines, summary, leak plot.

Plain functions of a run's record (:class:`~.labparts.LabRun`) and the lab's settings,
so the lab itself only decides *when* to show them. The latency chart and its note are
in :mod:`.labparts`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from matplotlib.figure import Figure

from ..adapters import RetriedSource
from ..faults import Fault
from ..plotting import PALETTE, plotOpenResources
from .labparts import HeldSeries, LabRun

__all__ = [
    "HELD_LABEL",
    "INSTRUCTIONS",
    "describeFault",
    "describeOutcome",
    "describeRetries",
    "heldFigure",
    "summaryHtml",
]

#: What the lab tells a student to do; the browser test follows it literally.
INSTRUCTIONS = (
    "Try it: choose <b>fail in: stage ThresholdFilter</b> and the runner "
    "<b>runWithoutCleanup</b>, press <b>Run</b> three times: connections in use climb by one "
    "per Run. Then press <b>Reset</b> (it restores every setting), choose <b>fail in: stage "
    "ThresholdFilter</b> again, keep <b>PipelineContext</b>, press <b>Run</b> three times: "
    "flat at 0."
)
HELD_LABEL = "after each run"  # the one line per panel of the held-resources plot


def describeFault(fault: Fault | None, where: str) -> str:
    """The log's words for the fault of a run in ``where``: when it fires and whether it heals.

    >>> describeFault(Fault(atRecord=5, times=2), "sink")
    'fail in sink at record 5 (transient: 0 of 2 failures used so far)'
    >>> describeFault(None, "nowhere")
    'no fault'
    """
    if fault is None:
        return "no fault"
    when = f"record {fault.atRecord}" if fault.atRecord is not None else f"rate {fault.rate:g}"
    if fault.times is None:
        how = "permanent"
    else:
        how = f"transient: {fault.failures} of {fault.times} failures used so far"
    return f"fail in {where} at {when} ({how})"


def describeRetries(source: object, waits: Sequence[float], *, restarted: bool) -> list[str]:
    """Log lines on the source's retries (none if it was started once), and the waits skipped.

    ``restarted``: slide 10's retry, which starts the stream again from record 0.
    """
    if not isinstance(source, RetriedSource) or source.attempts < 2:
        return []
    how = "restarted from record 0" if restarted else "resumed after the records delivered"
    lines = [f"  retry: the stream was started {source.attempts} times ({how})"]
    if waits:
        lines.append(f"  retry waits skipped by the lab: {', '.join(f'{w:g}s' for w in waits)}")
    return lines


def describeOutcome(run: LabRun, poolSize: int) -> str:
    """The log's last line on a run: how it ended, what it delivered, what it left held."""
    outcome = "completed" if run.error is None else f"FAILED: {run.error}"
    retries = f"; retries {run.retries}" if run.retries else ""
    return (
        f"{outcome}; delivered {run.delivered}, duplicates {run.duplicates}{retries}; "
        f"connections in use {run.connectionsInUse}/{poolSize}, "
        f"descriptors held {run.descriptorsHeld:+d}"
    )


def summaryHtml(run: LabRun | None, poolSize: int, exceptionsKept: int) -> str:
    """The summary above the plots: the last run's outcome and counts, and its advice.

    >>> summaryHtml(None, poolSize=4, exceptionsKept=0)
    '<i>No run yet: the plots appear after the first Run.</i>'
    """
    if run is None:
        return "<i>No run yet: the plots appear after the first Run.</i>"
    colour = PALETTE[2] if run.error is None else PALETTE[3]
    outcome = "completed" if run.error is None else f"failed: {html.escape(run.error)}"
    return (
        f"<div class='failurelab-summary'>Run {run.run} ({run.runner}) "
        f"<b style='color:{colour}'>{outcome}</b><br>"
        f"records delivered <b>{run.delivered}</b> · duplicates <b>{run.duplicates}</b> · "
        f"connections in use <b>{run.connectionsInUse}</b> of {poolSize} · "
        f"descriptors held <b>{run.descriptorsHeld:+d}</b> · retries <b>{run.retries}</b> · "
        f"exceptions kept <b>{exceptionsKept}</b>"
        + (f"<br><b>{html.escape(run.advice)}</b>" if run.advice else "")
        + "</div>"
    )


def heldFigure(runs: Sequence[LabRun], poolSize: int) -> Figure:
    """The notebooks' leak plot, of the lab's runs: failures crossed, naive runs shaded."""
    figure = plotOpenResources(
        HeldSeries(
            label=HELD_LABEL,
            poolSize=poolSize,
            runs=[run.run for run in runs],
            connectionsInUse=[run.connectionsInUse for run in runs],
            descriptorsOpened=[run.descriptorsHeld for run in runs],
        ),
        title="Resources still held after each run",
        failedRuns=[run.run for run in runs if run.error is not None],
        shadedRuns=[run.run for run in runs if run.runner == "runWithoutCleanup"],
    )
    figure.axes[0].set_xlim(0.5, max(len(runs), 5) + 0.5)  # the panels share x
    return figure

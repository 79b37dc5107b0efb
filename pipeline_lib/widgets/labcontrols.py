"""The FailureLab's controls and displays: the widgets, their layout, the fault they describe.

:class:`LabControls` is a mixin: it makes every control and display an attribute of the
lab (``lab.where``, ``lab.runButton``, ``lab.summary``, ...) and says which are moot for
the current settings; what a click or a change *does* stays in :mod:`.failurelab`.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..faults import Fault
from .kit import toggles
from .labview import INSTRUCTIONS

__all__ = ["MAX_ATTEMPTS", "RECORD_COUNTS", "RUNNERS", "STAGE_NAMES", "LabControls"]

RUNNERS = ("PipelineContext", "runWithoutCleanup")
STAGE_NAMES = ("ThresholdFilter", "Normalizer")
RECORD_COUNTS = (100, 1_000, 10_000, 100_000)
MAX_ATTEMPTS = 5


class LabControls:
    """Mixin: the lab's widgets as attributes, laid out; the settings they hold."""

    def _buildControls(self, records: int) -> None:
        label = {"description_width": "5em"}
        self.where = widgets.Dropdown(
            options=[("nowhere", "nowhere"), ("source", "source")]
            + [(f"stage {name}", name) for name in STAGE_NAMES]
            + [("sink", "sink")],
            description="fail in",
            style=label,
        )
        self.trigger = toggles([("at record", "record"), ("at rate", "rate")], "record")
        self.atRecord = widgets.IntSlider(value=50, max=99, description="record", style=label)
        self.rate = widgets.FloatSlider(
            value=0.01, min=0.001, max=0.1, step=0.001, readout_format=".3f", description="rate"
        )
        self.permanence = toggles([(p, p) for p in ("transient", "permanent")], "permanent")
        self.failTimes = widgets.BoundedIntText(
            value=1, min=1, max=10, description="fails (times)", layout={"width": "13em"}
        )
        self.runner = toggles([(name, name) for name in RUNNERS], RUNNERS[0], width="13em")
        self.maxAttempts = widgets.BoundedIntText(
            value=1, min=1, max=MAX_ATTEMPTS, description="attempts", layout={"width": "10em"}
        )
        self.records = widgets.Dropdown(
            options=[(f"{n:,}", n) for n in RECORD_COUNTS], value=records, description="records"
        )
        self.runButton = widgets.Button(description="Run", button_style="primary", icon="play")
        self.resetButton = widgets.Button(description="Reset", icon="undo")
        self.progress = widgets.IntProgress(max=1, description="read")
        self.instructions = widgets.HTML(INSTRUCTIONS)
        self.summary = widgets.HTML()
        self.plot = widgets.Image(format="png")
        self.latencyPlot = widgets.Image(format="png")
        self.latencyNote = widgets.HTML()  # one line instead of an empty chart
        self.logOutput = widgets.Output(
            layout={"max_height": "16em", "overflow": "auto", "border": "1px solid #ddd"}
        )

    def _layout(self) -> Any:
        row = widgets.HBox
        return widgets.VBox(
            [
                widgets.HTML("<b>FailureLab</b>: where and how to fail, naive or managed"),
                self.instructions,
                row([self.where, self.trigger]),
                row([self.atRecord, self.rate]),
                row([self.permanence, self.failTimes]),
                row([self.runner, self.maxAttempts, self.records]),
                row([self.runButton, self.resetButton, self.progress]),
                self.summary,
                self.plot,
                self.latencyNote,
                self.latencyPlot,
                self.logOutput,
            ]
        )

    def _settingControls(self) -> tuple[Any, ...]:
        return (
            self.where, self.trigger, self.atRecord, self.rate, self.permanence,
            self.failTimes, self.runner, self.maxAttempts, self.records,
        )  # fmt: skip

    def _settingsKey(self) -> tuple[object, ...]:
        """The settings as a value that changes only when a student changed one."""
        # A browser echoes slider values back rounded to the slider's step (0.01 may
        # return as 0.010000000000000002): that is not a new setting, and re-arming
        # the fault would make a healed transient fault fail again.
        return tuple(
            round(c.value, 9) if isinstance(c.value, float) else c.value
            for c in self._settingControls()
        )

    def _greyOutMoot(self) -> None:
        """Disable what the current settings make moot (a rate when failing at a record, ...)."""
        self.atRecord.max = self.records.value - 1
        failing = self.where.value != "nowhere"
        self.trigger.disabled = self.permanence.disabled = not failing
        self.atRecord.disabled = not failing or self.trigger.value != "record"
        self.rate.disabled = not failing or self.trigger.value != "rate"
        self.failTimes.disabled = not failing or self.permanence.value != "transient"

    def _settingsFault(self, seed: int) -> Fault:
        """A new fault as the settings describe it (where it fails is the caller's)."""
        times = self.failTimes.value if self.permanence.value == "transient" else None
        if self.trigger.value == "record":
            return Fault(atRecord=self.atRecord.value, times=times)
        rate = round(self.rate.value, 6)  # the slider's float, as its readout shows it
        return Fault(rate=rate, times=times, seed=seed)

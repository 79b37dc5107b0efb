"""Notebook widgets over the engine (ipywidgets): the classroom's instruments, no engine logic.

- :class:`FailureLab` (:mod:`.failurelab`; its controls in :mod:`.labcontrols`, what it
  shows in :mod:`.labview`, its parts in :mod:`.labparts`): choose where and how a pipeline
  fails, run it with the slides' ``runWithoutCleanup`` or with
  ``PipelineContext``, with or without retries, and watch what stays open;
- :class:`LatencyDashboard` (:mod:`.latencydashboard`): a cost per stage, its latency
  percentiles and the bottleneck by own time, on a simulated clock;
- :class:`ConfigPlayground` (:mod:`.configplayground`): type values, see each descriptor's
  exact verdict (a :class:`FieldVerdict`) live;
- :mod:`.kit`: what they share (figures into Image widgets, closing, captured logs).

Every control is an attribute and every callback a plain method, so a test or a notebook
cell drives a widget without a browser (``.value = ...``, ``.click()``).
"""

from __future__ import annotations

from .configplayground import ConfigPlayground, FieldVerdict, parseFieldText
from .failurelab import FailureLab
from .labparts import LabRun
from .latencydashboard import LatencyDashboard

__all__ = [
    "ConfigPlayground",
    "FailureLab",
    "FieldVerdict",
    "LabRun",
    "LatencyDashboard",
    "parseFieldText",
]

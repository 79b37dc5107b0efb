"""Matplotlib figures for the series: stage latencies, throughput, resources over runs.

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot``, so
nothing accumulates in pyplot's global list and widgets can redraw freely. In a
notebook, run ``%matplotlib inline`` once and make the figure a cell's last value to
show it. Figures share one look: a white background (readable in dark themes too),
the Okabe-Ito colour-blind-safe palette, a title, and axis labels with units.

Modules: :mod:`.style` (palette, ``newFigure``), :mod:`.conceptmap` (00's map of the
series), :mod:`.stagemetrics` (notebook 04, the LatencyDashboard), :mod:`.resources`
(01, 02, the FailureLab), :mod:`.errorsites` (03), :mod:`.retrydelays` (05).
"""

from __future__ import annotations

from .conceptmap import plotConceptMap
from .errorsites import errorStack, plotErrorSites
from .resources import plotOpenResources
from .retrydelays import plotRetryDelays
from .stagemetrics import plotLatencyPercentiles, plotThroughput, plotTimeline
from .style import PALETTE, newFigure

__all__ = [
    "PALETTE",
    "errorStack",
    "newFigure",
    "plotConceptMap",
    "plotErrorSites",
    "plotLatencyPercentiles",
    "plotOpenResources",
    "plotRetryDelays",
    "plotThroughput",
    "plotTimeline",
]

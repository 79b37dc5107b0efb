"""One look for every figure: the palette and :func:`newFigure` (title, labelled axes, units)."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["PALETTE", "newFigure", "styleAxes"]

#: Okabe & Ito (2008): distinguishable with every common form of colour blindness.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)


def newFigure(
    title: str, xlabel: str, ylabel: str, *, size: tuple[float, float] = (7.0, 3.5)
) -> tuple[Figure, Axes]:
    """A white figure with one labelled axes, in the series' style.

    >>> figure, axes = newFigure("Open connections", "run", "connections (count)")
    >>> axes.get_title(), axes.get_xlabel()
    ('Open connections', 'run')
    """
    figure = Figure(figsize=size, facecolor="white", layout="constrained")
    axes = figure.add_subplot()
    styleAxes(axes, title, xlabel, ylabel)
    return figure, axes


def styleAxes(axes: Axes, title: str, xlabel: str, ylabel: str) -> None:
    """Give ``axes`` the series' look: background, palette, title, labels, a light grid."""
    axes.set_facecolor("white")
    axes.set_prop_cycle(color=PALETTE)
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(True, color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)

"""One look for every figure: the palette and :func:`newFigure` (title, labelled axes, units).

Figures read on a light page and on a dark one (JupyterLab Dark, the site's dark mode):
they draw no background of their own, and their text, axes and reference lines are in
:data:`INK`, a grey with a contrast of at least 4:1 on white and on JupyterLab Dark's
near-black. The figure's facecolor stays opaque white although it is never drawn:
matplotlib-inline asks JupyterLab to paint a light box behind any figure whose facecolor
is transparent and whose tick labels are dark, which is the bright box this avoids.
"""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.colors import same_color
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

__all__ = ["GRID", "INK", "PALETTE", "newFigure", "styleAxes"]

#: Text, axes, ticks and reference lines: 4.4:1 on white, 4.3:1 on JupyterLab Dark (#111).
INK = "#787878"
#: The grid: the ink, faint, so it recedes on either background.
GRID = (0.47, 0.47, 0.47, 0.3)

#: Okabe & Ito (2008): distinguishable with every common form of colour blindness.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    INK,  # Okabe & Ito's black, which would vanish on a dark page
)


def newFigure(
    title: str, xlabel: str, ylabel: str, *, size: tuple[float, float] = (7.0, 3.5)
) -> tuple[Figure, Axes]:
    """A figure with one labelled axes, in the series' style, for light and dark pages.

    >>> figure, axes = newFigure("Open connections", "run", "connections (count)")
    >>> axes.get_title(), axes.get_xlabel()
    ('Open connections', 'run')
    >>> figure.get_frameon(), axes.title.get_color()
    (False, '#787878')
    """
    figure = _InkedFigure(figsize=size, facecolor="white", frameon=False, layout="constrained")
    axes = figure.add_subplot()
    styleAxes(axes, title, xlabel, ylabel)
    return figure, axes


def styleAxes(axes: Axes, title: str, xlabel: str, ylabel: str) -> None:
    """Give ``axes`` the series' look: no background, palette, ink, title, labels, a grid."""
    axes.set_facecolor("none")
    axes.set_prop_cycle(color=PALETTE)
    axes.set_title(title, color=INK)
    axes.set_xlabel(xlabel, color=INK)
    axes.set_ylabel(ylabel, color=INK)
    axes.tick_params(colors=INK)
    for spine in axes.spines.values():
        spine.set_edgecolor(INK)
    axes.grid(True, color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)


def _isDefaultBlack(colour: Any) -> bool:
    return isinstance(colour, str | tuple) and same_color(colour, "black")


def _inkDefaults(figure: Figure) -> None:
    """Draw in :data:`INK` what was left in matplotlib's default black; clear legend boxes.

    Plot functions add legends, annotations and suptitles after :func:`newFigure`, and
    matplotlib gives those black text and a white legend box, invisible or glaring on a
    dark page. Run before every draw of a figure made by :func:`newFigure`.
    """
    for artist in figure.findobj():
        if isinstance(artist, Text | Line2D) and _isDefaultBlack(artist.get_color()):
            artist.set_color(INK)
        elif isinstance(artist, Legend):
            artist.get_frame().set_facecolor("none")
            artist.get_frame().set_edgecolor(INK)
        elif isinstance(artist, Patch) and _isDefaultBlack(artist.get_edgecolor()):
            artist.set_edgecolor(INK)


class _InkedFigure(Figure):
    """A Figure that applies :func:`_inkDefaults` before it draws (PNG, inline, widgets)."""

    def draw(self, renderer: Any) -> None:
        _inkDefaults(self)
        super().draw(renderer)

"""What the notebook widgets share: figures into Image widgets, closing, captured logs.

Used by :mod:`.failurelab`, :mod:`.latencydashboard` and :mod:`.configplayground`;
nothing here is engine logic. Widgets write to
the page only by replacing a widget's value (an Image's PNG, an HTML's text) or with
``Output.append_stdout``: ``with output:`` captures nothing outside a kernel, and under
nbval its output would show up as unexpected cell output.

>>> from pipeline_lib.plotting import newFigure
>>> import ipywidgets
>>> image = ipywidgets.Image(format="png")
>>> figure, _ = newFigure("A title", "x", "y")
>>> showFigure(figure, image)
>>> bytes(image.value[:4])
b'\\x89PNG'
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure

__all__ = [
    "PNG_DPI",
    "ShownAsRoot",
    "capturedLog",
    "closeTree",
    "placeholderFigure",
    "showFigure",
    "toggles",
]

#: Dots per inch of the PNGs the widgets show (a compromise of sharpness and redraw time).
PNG_DPI = 90


def showFigure(figure: Figure, image: Any, dpi: int = PNG_DPI) -> None:
    """Render ``figure`` as a PNG into the ``ipywidgets.Image`` ``image`` (one update)."""
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    image.value = buffer.getvalue()


def placeholderFigure(figure: Figure, message: str) -> Figure:
    """``figure`` with ``message`` written in the middle of its axes (no data yet)."""
    axes = figure.axes[0]
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)
    axes.set_xticks([])
    return figure


def toggles(options: list[tuple[str, str]], value: str, width: str = "8em") -> Any:
    """Toggle buttons side by side, of one width."""
    return widgets.ToggleButtons(options=options, value=value, style={"button_width": width})


def closeTree(widget: Any) -> None:
    """Close a widget and every widget inside it (their views disappear from the page)."""
    for child in getattr(widget, "children", ()):
        closeTree(child)
    widget.close()


class _LineHandler(logging.Handler):
    """Keeps each log record as an indented ``LEVEL: message`` line."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.INFO)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"  {record.levelname}: {record.getMessage()}")


@contextmanager
def capturedLog(target: logging.Logger, *, propagate: bool = True) -> Iterator[list[str]]:
    """The lines ``target`` logs inside the block, INFO and up (its level is lowered briefly).

    ``propagate=False`` also keeps them from the application's handlers for the block's
    duration (a dashboard that re-runs on every slider move should not print).
    """
    lines: list[str] = []
    handler, level, propagating = _LineHandler(lines), target.level, target.propagate
    target.addHandler(handler)
    target.propagate = propagating and propagate
    if not target.isEnabledFor(logging.INFO):
        target.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        target.removeHandler(handler)
        target.setLevel(level)
        target.propagate = propagating


class ShownAsRoot:
    """Mixin: a notebook shows the object as its ``root`` widget, its text form as ``repr``.

    The widget's own text form (``VBox(children=...``) changes with every control added;
    a short, stable ``repr`` is what nbval compares and a plain console shows.
    """

    root: Any

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = self.root._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle

"""Where an error surfaces and where it was caused: the traceback as a picture (03)."""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from .style import PALETTE, newFigure

__all__ = ["errorStack", "plotErrorSites"]


_RAISED, _CAUSE, _BETWEEN = PALETTE[3], PALETTE[2], PALETTE[5]
#: The frame names sit on the opaque coloured bars, not on the page, so they need a dark
#: ink of their own (the series' grey would be 1.1:1 on vermillion); at least 4.5:1 on
#: each bar colour, in a light or a dark theme alike.
_ON_BAR = "#1A1A1A"


def errorStack(error: BaseException, topLevel: str = "your cell") -> list[str]:
    """The frames ``error`` passed through, outermost first, by qualified function name.

    A frame running module-level code (a notebook cell, a script) is called ``topLevel``.
    This is the order Python prints a traceback in: the raising frame comes last.

    >>> def inner():
    ...     raise ValueError("boom")
    >>> def outer():
    ...     inner()
    >>> try:
    ...     outer()
    ... except ValueError as error:
    ...     errorStack(error)
    ['your cell', 'outer', 'inner']
    """
    return [
        topLevel if frame.f_code.co_name == "<module>" else frame.f_code.co_qualname
        for frame, _ in traceback.walk_tb(error.__traceback__)
    ]


def plotErrorSites(
    stacks: Mapping[str, Sequence[str] | BaseException],
    causes: Mapping[str, int | None],
    *,
    notes: Mapping[str, str] | None = None,
    title: str = "Where the error surfaces: the call stack at the raise",
) -> Figure:
    """One column per error: its stack at the raise, outermost frame at the bottom.

    ``stacks`` maps a label to frame names, outermost first (the last one raised), or to
    the exception itself, whose frames :func:`errorStack` then reads.
    ``causes`` gives, per label, the index of the frame running the line that put the
    bad value in, or None when that line is not on the stack at all (it ran earlier).
    ``notes`` adds a line of text above a column.

    >>> stacks = {"slide 5": ["cell", "run", "process"], "slide 6": ["cell", "__set__"]}
    >>> figure = plotErrorSites(stacks, {"slide 5": None, "slide 6": 0})
    >>> axes = figure.axes[0]
    >>> axes.get_ylabel(), [t.get_text() for t in axes.get_xticklabels()]
    ('stack depth at the raise (frames)', ['slide 5', 'slide 6'])
    """
    if not stacks:
        raise ValueError("plotErrorSites needs at least one stack, got none")
    frameNames = {
        label: errorStack(frames) if isinstance(frames, BaseException) else list(frames)
        for label, frames in stacks.items()
    }
    return _drawStacks(frameNames, causes, notes or {}, title)


def _drawStacks(
    stacks: Mapping[str, Sequence[str]],
    causes: Mapping[str, int | None],
    notes: Mapping[str, str],
    title: str,
) -> Figure:
    width = max(6.0, 3.0 * len(stacks))
    figure, axes = newFigure(
        title, "how the bad value got in", "stack depth at the raise (frames)", size=(width, 4.2)
    )
    deepest = max(len(frames) for frames in stacks.values())
    for column, (label, frames) in enumerate(stacks.items()):
        cause = causes.get(label)
        for depth, name in enumerate(frames):
            color = _CAUSE if depth == cause else _RAISED if depth == len(frames) - 1 else _BETWEEN
            axes.add_patch(
                Rectangle(
                    (column - 0.42, depth + 0.08),
                    0.84,
                    0.84,
                    facecolor=color,
                    edgecolor=PALETTE[7],
                    linewidth=0.8,
                )
            )
            axes.text(
                column, depth + 0.5, name, ha="center", va="center", fontsize=9, color=_ON_BAR
            )
        if label in notes:
            axes.text(
                column,
                len(frames) + 0.3,
                notes[label],
                ha="center",
                va="bottom",
                fontsize=9,
                style="italic",
            )
    axes.set_xticks(range(len(stacks)), list(stacks))
    axes.set_xlim(-0.6, len(stacks) - 0.4)
    axes.set_ylim(0, deepest + 1.4)
    axes.set_yticks([depth + 0.5 for depth in range(deepest)], [str(d + 1) for d in range(deepest)])
    axes.grid(False)
    handles = [
        Patch(facecolor=color, edgecolor=PALETTE[7], label=text)
        for color, text in (
            (_RAISED, "raised here"),
            (_CAUSE, "the line that set the bad value"),
            (_BETWEEN, "frames in between"),
        )
    ]
    axes.legend(handles=handles, loc="upper right", fontsize=9)
    return figure

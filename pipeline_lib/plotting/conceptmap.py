"""The series on one page: Source → Stages → Sink, the three layers around it (notebook 00).

Slide 11's three layers, drawn where they act: lifecycle wraps the whole run (a context
manager), configuration feeds validated values into the components (descriptors),
observability and resilience wrap the generator methods (two decorators:
``@measuredStage`` on a stage's ``process``, ``@retryOnFailure`` on a source's
``stream``). Each notebook sits on the part it teaches (:data:`NOTEBOOK_PLACES`).
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .style import PALETTE

__all__ = ["LAYERS", "NOTEBOOK_PLACES", "plotConceptMap"]

#: Slide 11's three layers: (name, pattern, problem solved). Retry is layer 3's second
#: decorator, not a fourth layer.
LAYERS = (
    ("Lifecycle", "context manager: PipelineContext", "resource leaks on failure"),
    ("Configuration", "descriptors: PipelineConfig", "invalid config causes a distant crash"),
    (
        "Observability and resilience",
        "decorators on generators: @measuredStage, @retryOnFailure",
        "no visibility into performance; transient failures",
    ),
)

#: Where each notebook sits on the map: notebook → the part of the picture it teaches.
NOTEBOOK_PLACES = {
    "00": "the protocols: Source → Stages → Sink",
    "01": "layer 1: what a failed run leaves open",
    "02": "layer 1: with PipelineContext",
    "03": "layer 2: PipelineConfig's descriptors",
    "04": "layer 3: @measuredStage",
    "05": "layer 3: @retryOnFailure",
    "06": "all three layers together",
    "07": "self-assessment: all three layers",
    "08": "extensions: @contextmanager, __delete__, async with",
}

_LIFECYCLE, _CONFIG, _OBSERVE, _CORE = PALETTE[0], PALETTE[2], PALETTE[1], PALETTE[7]


def plotConceptMap() -> Figure:
    """The concept map of the series, one labelled box per layer and notebook tags.

    >>> figure = plotConceptMap()
    >>> texts = [t.get_text() for t in figure.axes[0].texts]
    >>> sum(text.startswith("Layer ") for text in texts)
    3
    """
    figure = Figure(figsize=(9.0, 5.4), facecolor="white")
    axes = figure.add_axes((0.01, 0.01, 0.98, 0.92))
    axes.set_xlim(0, 10)
    axes.set_ylim(0, 6.0)
    axes.set_axis_off()
    figure.suptitle("The series on one page: the pipeline and slide 11's three layers")

    _box(axes, (0.2, 1.0), 9.6, 4.7, _LIFECYCLE, fill=0.05)
    axes.text(
        0.4,
        5.4,
        "Layer 1 · Lifecycle: with PipelineContext(...), every generator and "
        "resource is closed  [01 02]",
        color=_LIFECYCLE,
        fontsize=9.5,
        weight="bold",
        va="center",
    )

    pipeline = {"Source": 1.9, "Stages": 5.0, "Sink": 8.1}
    for name, centre in pipeline.items():
        _box(axes, (centre - 1.0, 1.65), 2.0, 0.9, _CORE, fill=0.0)
        axes.text(centre, 2.1, name, ha="center", va="center", fontsize=12, weight="bold")
    for left, right in (("Source", "Stages"), ("Stages", "Sink")):
        _arrow(axes, (pipeline[left] + 1.25, 2.1), (pipeline[right] - 1.25, 2.1), _CORE)
        middle = (pipeline[left] + pipeline[right]) / 2
        axes.text(middle, 2.22, "generator", ha="center", va="bottom", fontsize=8)
    axes.text(
        5.0,
        1.2,
        "[00] Lecture 33's protocols: stream() → process(inputStream) → consume(stream)",
        ha="center",
        va="center",
        fontsize=8.5,
    )

    for x, decorator, tag in ((1.9, "@retryOnFailure", "05"), (5.0, "@measuredStage", "04")):
        _box(axes, (x - 1.2, 1.5), 2.4, 1.6, _OBSERVE, fill=0.0, dashed=True)
        axes.text(
            x,
            2.8,
            f"{decorator}  [{tag}]",
            ha="center",
            va="center",
            fontsize=8.5,
            color=_OBSERVE,
            weight="bold",
        )
    axes.text(
        6.6,
        3.45,
        "Layer 3 · Observability and resilience:\ntwo decorators on generators  [04 05]",
        color=_OBSERVE,
        fontsize=9,
        weight="bold",
        va="center",
    )

    _box(axes, (0.7, 3.75), 5.6, 1.1, _CONFIG, fill=0.08)
    axes.text(
        0.85,
        4.5,
        "Layer 2 · Configuration: descriptors validate at assignment  [03]",
        color=_CONFIG,
        fontsize=9,
        weight="bold",
        va="center",
    )
    axes.text(
        0.85,
        4.05,
        "PipelineConfig: samplingRateHz, windowSize, filterMin, filterMax",
        fontsize=8.5,
        color=_CONFIG,
        va="center",
    )
    for x in (1.9, 5.0):
        _arrow(axes, (x, 3.75), (x, 3.1), _CONFIG)

    axes.text(
        0.2,
        0.6,
        "[06] all three layers together (slides 11–12)   ·   [07] self-assessment quiz",
        fontsize=8.5,
        va="center",
    )
    axes.text(
        0.2,
        0.2,
        "[08] extensions: @contextmanager, __delete__, async with (→ Lecture 35)"
        "   ·   [NN] = the notebook that teaches it",
        fontsize=8.5,
        va="center",
    )
    return figure


def _box(
    axes: Axes,
    corner: tuple[float, float],
    width: float,
    height: float,
    color: str,
    *,
    fill: float,
    dashed: bool = False,
) -> None:
    axes.add_patch(
        FancyBboxPatch(
            corner,
            width,
            height,
            boxstyle="round,pad=0.02,rounding_size=0.15",
            edgecolor=color,
            facecolor=(*_rgb(color), fill),
            linewidth=1.8,
            linestyle="--" if dashed else "-",
        )
    )


def _arrow(axes: Axes, start: tuple[float, float], end: tuple[float, float], color: str) -> None:
    axes.add_patch(
        FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, color=color, linewidth=1.5)
    )


def _rgb(color: str) -> tuple[float, float, float]:
    value = color.lstrip("#")
    red, green, blue = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return red, green, blue

"""The series' figure style reads on light and dark pages: no background, ink with contrast.

JupyterLab Light and the site draw figures on white, JupyterLab Dark on #111111. A figure
made by ``newFigure`` must leave the page's colour showing (a transparent PNG), must not
ask JupyterLab for a light box behind it (matplotlib-inline's ``needs_background``), and
every piece of text must keep a contrast of 4:1 on both backgrounds, legends and
annotations added after ``newFigure`` included.
"""

from __future__ import annotations

from io import BytesIO
from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.image import imread
from matplotlib.text import Text
from matplotlib_inline.backend_inline import _fetch_figure_metadata

from pipeline_lib.plotting import PALETTE, newFigure, plotOpenResources

LIGHT_PAGE, DARK_PAGE = "#ffffff", "#111111"  # JupyterLab's --jp-layout-color0 in each theme


def luminance(colour: object) -> float:
    channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(a: object, b: object) -> float:
    first, second = sorted((luminance(a), luminance(b)), reverse=True)
    return (first + 0.05) / (second + 0.05)


def typicalFigures() -> list[object]:
    figure, axes = newFigure("Open connections", "run (number)", "connections (count)")
    axes.plot([1, 2, 3], [0, 1, 2], marker="o", label="naive")
    axes.axhline(2, color="black", linestyle="--")
    axes.annotate("pool size = 2", (1, 2))
    axes.legend()
    figure.suptitle("A suptitle", fontweight="bold")
    history = SimpleNamespace(
        label="naive",
        poolSize=5,
        runs=[0, 1, 2],
        connectionsInUse=[0, 1, 2],
        descriptorsOpened=[0, 1, 2],
    )
    return [figure, plotOpenResources(history, title="Leak")]


def png(figure: object) -> np.ndarray:
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=50)  # type: ignore[attr-defined]
    buffer.seek(0)
    return imread(buffer)


@pytest.mark.parametrize("index", [0, 1])
def test_the_png_is_transparent_where_nothing_is_drawn(index: int) -> None:
    image = png(typicalFigures()[index])
    corners = [image[0, 0], image[0, -1], image[-1, 0], image[-1, -1]]
    assert all(corner[3] == 0.0 for corner in corners)
    assert image[..., 3].mean() < 0.5  # mostly page, some ink


@pytest.mark.parametrize("index", [0, 1])
def test_jupyterlab_is_not_asked_to_paint_a_box_behind_the_figure(index: int) -> None:
    assert _fetch_figure_metadata(typicalFigures()[index]) is None


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize("page", [LIGHT_PAGE, DARK_PAGE])
def test_every_text_reads_on_light_and_dark_pages(index: int, page: str) -> None:
    figure = typicalFigures()[index]
    png(figure)  # draw once: legends and annotations get their colours at draw time
    texts = [t for t in figure.findobj(Text) if t.get_text() and t.get_visible()]  # type: ignore[attr-defined]
    assert len(texts) > 5
    poor = {t.get_text(): round(contrast(t.get_color(), page), 2) for t in texts}
    assert {text: ratio for text, ratio in poor.items() if ratio < 4.0} == {}


def test_no_palette_colour_vanishes_on_a_dark_page() -> None:
    # Okabe & Ito's eighth colour is black; the series replaces it with its ink.
    assert min(contrast(colour, DARK_PAGE) for colour in PALETTE) >= 3.0

"""Notebook 00's concept map: the slide's three layers (never four), every notebook placed."""

from __future__ import annotations

import re
from pathlib import Path

from matplotlib.patches import FancyBboxPatch

from pipeline_lib.plotting import plotConceptMap
from pipeline_lib.plotting.conceptmap import LAYERS, NOTEBOOK_PLACES

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _texts() -> list[str]:
    return [text.get_text() for text in plotConceptMap().axes[0].texts]


def test_the_map_shows_the_pipeline_and_exactly_the_slides_three_layers() -> None:
    texts = _texts()
    for part in ("Source", "Stages", "Sink"):
        assert part in texts
    layers = [text for text in texts if text.startswith("Layer ")]
    assert [text.split(" · ")[0] for text in layers] == ["Layer 1", "Layer 3", "Layer 2"]
    assert not any("Layer 4" in text or "Resilience" in text.split(":")[0] for text in layers)
    assert [name for name, _, _ in LAYERS] == [
        "Lifecycle",
        "Configuration",
        "Observability and resilience",
    ]


def test_retry_is_layer_threes_second_decorator_not_a_layer_of_its_own() -> None:
    texts = _texts()
    (layer3,) = [text for text in texts if text.startswith("Layer 3")]
    assert "two decorators" in layer3
    assert any(text.startswith("@measuredStage") for text in texts)
    assert any(text.startswith("@retryOnFailure") for text in texts)
    assert "@measuredStage, @retryOnFailure" in LAYERS[2][1]


def test_every_notebook_of_the_series_is_placed_on_the_map() -> None:
    tags = set(re.findall(r"\b(0\d)\b", " ".join(_texts())))
    onDisk = {path.name[:2] for path in NOTEBOOKS.glob("0*.ipynb")}
    assert onDisk <= tags, f"not on the map: {sorted(onDisk - tags)}"
    assert set(NOTEBOOK_PLACES) >= onDisk


def test_the_map_has_a_title_and_boxes_and_no_axes() -> None:
    figure = plotConceptMap()
    axes = figure.axes[0]
    assert "three layers" in figure.get_suptitle()
    assert not axes.axison
    boxes = [patch for patch in axes.patches if isinstance(patch, FancyBboxPatch)]
    assert len(boxes) == 1 + 3 + 2 + 1  # lifecycle, three components, two decorators, config

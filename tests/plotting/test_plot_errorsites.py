"""plotErrorSites: one column of frames per error, the raise and the cause coloured."""

from __future__ import annotations

import io

import pytest
from matplotlib.colors import to_hex, to_rgb
from matplotlib.patches import Rectangle

from pipeline_lib.plotting import PALETTE, errorStack, plotErrorSites

STACKS = {
    "no validation": ["your cell", "PipelineContext.run", "ListSink.consume", "Window.process"],
    "descriptor": ["your cell", "BoundedInt.__set__"],
}


def boxes(stacks: dict[str, list[str]], causes: dict[str, int | None]) -> list[Rectangle]:
    axes = plotErrorSites(stacks, causes).axes[0]
    return [patch for patch in axes.patches if isinstance(patch, Rectangle)]


def test_the_plot_is_titled_labelled_and_shows_every_frame_by_name() -> None:
    figure = plotErrorSites(STACKS, {"no validation": None, "descriptor": 0})
    axes = figure.axes[0]
    assert axes.get_title() == "Where the error surfaces: the call stack at the raise"
    assert axes.get_ylabel() == "stack depth at the raise (frames)"
    assert axes.get_xlabel() == "how the bad value got in"
    assert [t.get_text() for t in axes.get_xticklabels()] == list(STACKS)
    assert [t.get_text() for t in axes.get_yticklabels()] == ["1", "2", "3", "4"]
    texts = {text.get_text() for text in axes.texts}
    assert {name for frames in STACKS.values() for name in frames} <= texts
    assert to_hex(figure.get_facecolor()) == "#ffffff"


def test_the_raising_frame_and_the_cause_have_their_own_colours() -> None:
    patches = boxes(STACKS, {"no validation": None, "descriptor": 0})
    colours = [to_hex(patch.get_facecolor()) for patch in patches]
    raised, cause, between = (PALETTE[3].lower(), PALETTE[2].lower(), PALETTE[5].lower())
    assert colours == [between, between, between, raised, cause, raised]
    assert [patch.get_y() for patch in patches] == pytest.approx(
        [0.08, 1.08, 2.08, 3.08, 0.08, 1.08]
    )


def test_notes_are_written_above_their_column_and_an_empty_mapping_is_refused() -> None:
    figure = plotErrorSites(STACKS, {}, notes={"no validation": "cause: an earlier cell"})
    assert "cause: an earlier cell" in {text.get_text() for text in figure.axes[0].texts}
    with pytest.raises(ValueError, match="at least one stack"):
        plotErrorSites({}, {})


def test_errors_can_be_given_as_themselves_their_frames_read_outermost_first() -> None:
    class Window:
        def process(self) -> None:
            raise ZeroDivisionError("division by zero")

    def run() -> None:
        Window().process()

    try:
        run()
    except ZeroDivisionError as error:
        caught = error
    frames = errorStack(caught)
    assert frames[-2:] == [
        "test_errors_can_be_given_as_themselves_their_frames_read_outermost_first.<locals>.run",
        "test_errors_can_be_given_as_themselves_their_frames_read_outermost_first.<locals>.Window.process",
    ]
    figure = plotErrorSites({"as an error": caught, "as names": frames}, {"as names": 0})
    columns = [t.get_text() for t in figure.axes[0].texts]
    assert columns.count(frames[-1]) == 2  # both columns show the same frames


def test_module_level_code_is_named_your_cell() -> None:
    namespace: dict[str, object] = {}
    exec("try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    error = e\n", namespace)
    assert errorStack(namespace["error"]) == ["your cell"]  # type: ignore[arg-type]
    assert errorStack(namespace["error"], topLevel="script") == ["script"]  # type: ignore[arg-type]


def _contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""

    def luminance(colour: str) -> float:
        channels = [
            c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)
        ]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    darker, lighter = sorted((luminance(first), luminance(second)))
    return (lighter + 0.05) / (darker + 0.05)


def test_every_frame_name_is_readable_on_its_bar() -> None:
    """The names are the picture's content: at least 4.5:1 against the bar behind each."""
    figure = plotErrorSites(STACKS, {"no validation": None, "descriptor": 0})
    figure.savefig(io.BytesIO(), format="png")  # the series' inking runs as it is drawn
    axes = figure.axes[0]
    bars = [patch for patch in axes.patches if isinstance(patch, Rectangle)]
    names = [
        text for text in axes.texts if text.get_text() in {n for f in STACKS.values() for n in f}
    ]
    assert len(names) == len(bars) == 6
    for text, bar in zip(names, bars, strict=True):
        ratio = _contrast(to_hex(text.get_color()), to_hex(bar.get_facecolor()))
        assert ratio >= 4.5, f"{text.get_text()!r}: {ratio:.1f}:1"

"""Slides in class (``make slides``): the core path as an offline reveal.js deck.

Which cells are slides is derived from the notebooks' course markers; those rules are
pinned on small made-up notebooks and on the real lessons. The decks are then built once
(``scripts/build_slides.py``, a few seconds) and opened in Debian's Chromium from a server
on 127.0.0.1 with every other request refused: each deck opens, advances, and shows its
plots (and a widget, from its saved state).
"""

from __future__ import annotations

import doctest
from pathlib import Path
from typing import Any

import pytest
from browser_harness import SCREENSHOTS
from webharness import OfflineGuard, loadScript, requireBuildTools, servedFolder

builder = loadScript("build_slides")
LESSONS = builder.lessonNotebooks()
DEEPER = "🔵 **Deeper** — self-study, skip on the core path"


def md(text: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "source": text}


def code(text: str = "x") -> dict[str, Any]:
    return {"cell_type": "code", "source": text}


def test_the_builders_examples_hold() -> None:
    assert doctest.testmod(builder).failed == 0


def test_core_sections_are_slides_deeper_sections_and_setup_are_skipped() -> None:
    cells = [
        md("# 03 · Descriptors\n\n[← 02](02.ipynb) · [03 →](04.ipynb)\n\nOne paragraph."),
        md("> ⏱ **Time:** 25 min teaching · **core path: 30 min**"),
        md("## Learning objectives\n\n- one"),
        md("## Setup\n\nRun this first."),
        code("import logging"),
        md("## Validation on assignment\n🟢 **Core**\n\nThe slide's version."),
        code(),
        md("> 🤔 **Predict, then run:** what happens?"),
        code(),
        md(f"## The descriptor protocol in detail\n{DEEPER}\n\nText."),
        code(),
        md("### An unmarked subsection of a deeper section"),
        code(),
        md("## Exercises\n\nEach ends with a check.\n\n### Exercise 1 — bounds\n🟢 **Core**\n"),
        code(),
        md(f"### Exercise 2 — choices\n{DEEPER}\n\nWrite OneOf."),
        code(),
        md("## Key points\n\n- one"),
        md("## Further reading\n\n- PEP 343"),
        md("[← 02](02.ipynb) · [Series map](00.ipynb#The-series) · [04 →](04.ipynb)"),
    ]
    assert builder.slideTypes(cells) == [
        "slide",  # the title
        "-",  # the time box, on the title slide
        "slide",
        "skip",  # Setup, prose and code
        "skip",
        "slide",  # a core section
        "-",
        "subslide",  # prose after code starts a sub-slide
        "-",
        "skip",  # a deeper section, with its unmarked subsection
        "skip",
        "skip",
        "skip",
        "slide",  # Exercises, opening a core exercise
        "-",
        "skip",  # a deeper exercise
        "skip",
        "slide",  # Key points
        "skip",  # Further reading: for self-study
        "skip",  # the navigation line
    ]


def test_a_notebook_without_markers_yet_shows_all_but_setup() -> None:
    cells = [md("# 07 · New"), md("## Setup"), code(), md("## Idea"), code(), md("## Key points")]
    assert builder.slideTypes(cells) == ["slide", "skip", "skip", "slide", "-", "slide"]


def test_each_lessons_markers_decide_its_slides_and_the_file_is_untouched() -> None:
    for path in LESSONS:
        before = path.read_bytes()
        deck = builder.deckNotebook(path)
        assert path.read_bytes() == before
        for cell in deck.cells:
            kind = cell.metadata["slideshow"]["slide_type"]
            lines = cell.source.splitlines()
            if cell.cell_type != "markdown" or len(lines) < 2 or not lines[0].startswith("#"):
                continue
            if lines[1].startswith("🔵 **Deeper**"):
                assert kind == "skip", (path.name, lines[0])
            if lines[1].startswith("🟢 **Core**"):
                assert kind in {"slide", "subslide"}, (path.name, lines[0])


@pytest.fixture(scope="module")
def slides(tmp_path_factory: pytest.TempPathFactory) -> Path:
    requireBuildTools()
    output = tmp_path_factory.mktemp("slides")
    assert builder.main(["--output", str(output)]) == 0
    return output


def expectedSlides(path: Path) -> int:
    kinds = [cell.metadata["slideshow"]["slide_type"] for cell in builder.deckNotebook(path).cells]
    return kinds.count("slide") + kinds.count("subslide")


def showsStoredPlot(path: Path) -> bool:
    """Whether a cell on the deck (not skipped) has a stored PNG."""
    return any(
        cell.metadata["slideshow"]["slide_type"] != "skip"
        and any("image/png" in output.get("data", {}) for output in cell.get("outputs", []))
        for cell in builder.deckNotebook(path).cells
    )


def test_every_lesson_has_a_deck_without_its_setup_cell(slides: Path) -> None:
    assert (slides / "index.html").is_file()
    for path in LESSONS:
        deck = slides / f"{path.stem}.slides.html"
        assert deck.is_file(), path.name
        # Every lesson's Setup cell configures logging; it is skipped, so never shown.
        assert "basicConfig" not in deck.read_text(encoding="utf-8"), path.name
    assert not list(slides.rglob("*solution*")), "a deck of worked solutions was built"


SLIDE_WITH = """selector => {
    for (const slide of Reveal.getSlides()) {
        if (slide.querySelector(selector)) return Reveal.getIndices(slide);
    }
    return null;
}"""
PRESENT_IMAGES_SHOWN = """() => [...document.querySelectorAll('.slides section.present img')]
    .filter(i => i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width > 0).length"""


def goToSlideWith(page: Any, selector: str) -> None:
    indices = page.evaluate(SLIDE_WITH, selector)
    assert indices is not None, f"no slide holds {selector}"
    page.evaluate("i => Reveal.slide(i.h, i.v)", indices)
    page.wait_for_function(
        "i => Reveal.getIndices().h === i.h && Reveal.getIndices().v === i.v", arg=indices
    )


@pytest.mark.browser
def test_every_deck_opens_offline_advances_and_shows_its_plots(slides: Path, chromium: Any) -> None:
    with servedFolder(slides) as base:
        context = chromium.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(20_000)
        page = context.new_page()
        guard = OfflineGuard(page, base)
        withWidgets = plotted = 0
        for path in LESSONS:
            page.goto(f"{base}{path.stem}.slides.html", wait_until="networkidle")
            page.wait_for_function("window.Reveal && Reveal.isReady()")
            assert page.evaluate("Reveal.getTotalSlides()") == expectedSlides(path), path.name
            assert page.evaluate("Reveal.getIndices().h") == 0
            page.keyboard.press("ArrowRight")
            page.wait_for_function("Reveal.getIndices().h === 1")
            if showsStoredPlot(path):
                plotted += 1
                goToSlideWith(page, ".jp-OutputArea-output img")
                page.wait_for_function(f"({PRESENT_IMAGES_SHOWN})() > 0")
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"slides-{path.stem}-plot.png"))
            deck = (slides / f"{path.stem}.slides.html").read_text(encoding="utf-8")
            # A widget view shown on a slide (the renderer's own code names the type too).
            if '<script type="application/vnd.jupyter.widget-view+json">' in deck:
                withWidgets += 1
                # Any rendered widget (a box, a control): not every deck's has a button.
                rendered = ".jupyter-widgets .lm-Widget"
                page.wait_for_selector(rendered, state="attached")
                goToSlideWith(page, rendered)
                shown = page.locator(f"section.present {rendered}")
                assert shown.first.is_visible(), path.name
        context.close()
    assert withWidgets, "no deck shows a widget: nothing checked its saved state"
    assert plotted, "no deck shows a plot: nothing checked them"
    assert guard.outside == [], f"decks asked other hosts: {guard.outside}"
    assert guard.missing == [], f"decks asked for files they lack: {guard.missing}"
    assert guard.errors == [], f"JavaScript errors: {guard.errors}"

"""Build the instructor path of each lesson as an offline reveal.js deck (``make slides``).

    python scripts/build_slides.py                 # -> build/slides/index.html, NN_x.slides.html
    python scripts/build_slides.py --output DIR

What goes on the slides is read from the notebooks' own course markers, at build time, so
no notebook carries hand-kept slide metadata: a section marked ``🟢 **Core**`` (and the
title, learning objectives, core exercises and key points) is shown; a section marked
``🔵 **Deeper** — self-study, skip on the core path`` and ``## Setup`` are skipped. A
``#``/``##`` heading starts a slide, a ``###`` heading a sub-slide (below it), and prose
that follows code starts a new sub-slide, so each one shows an explanation, its code and
its stored output. Nothing is executed. reveal.js and the widget renderer are copied
from ``web/node_modules`` (``npm ci`` in ``web/``) beside the decks, which therefore
open from a USB stick or a local server with no network.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import SlidesExporter

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
WEB = ROOT / "web"
NODE_MODULES = WEB / "node_modules"
TEMPLATES = WEB / "slides"
OUTPUT = ROOT / "build" / "slides"

CORE = "🟢 **Core**"
DEEPER = "🔵 **Deeper**"
# Unmarked `##` sections left off the slides; the others (Learning objectives, Exercises,
# Key points, and any a notebook has not marked yet) are shown.
SKIPPED_UNMARKED = {"Setup", "Further reading"}
HEADING = re.compile(r"^(#{1,3}) +(.+?) *$")
NAVIGATION = re.compile(r"^\[[^\]]*\]\([^)]*\)( · \[[^\]]*\]\([^)]*\))+$")


def lessonNotebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The lessons, in series order (solutions and instructor material are not decks)."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def _headings(text: str) -> list[tuple[int, str, str]]:
    """Each heading of a markdown text: (level, title, the first non-empty line after it)."""
    lines = text.splitlines()
    found = []
    for index, line in enumerate(lines):
        if match := HEADING.match(line):
            following = next((rest.strip() for rest in lines[index + 1 :] if rest.strip()), "")
            found.append((len(match[1]), match[2], following))
    return found


def _sectionShown(level: int, title: str, marker: str, parentShown: bool) -> bool:
    if marker.startswith(CORE):
        return True
    if marker.startswith(DEEPER):
        return False
    if level == 1:
        return True
    if level == 3:
        return parentShown
    return title not in SKIPPED_UNMARKED


def slideTypes(cells: list[dict[str, Any]]) -> list[str]:
    """The reveal slide type of each cell: ``slide``, ``subslide``, ``-`` or ``skip``.

    >>> md = lambda text: {"cell_type": "markdown", "source": text}
    >>> code = {"cell_type": "code", "source": "plot()"}
    >>> slideTypes([md("# 01 · Leaks"), md("## Setup"), code,
    ...             md("## Where it leaks\\n🟢 **Core**\\n\\nText."), code, md("So."), code,
    ...             md("## Under the hood\\n🔵 **Deeper** — self-study, skip on the core path"),
    ...             code, md("## Key points\\n\\n- one"), md("[← 00](00.ipynb) · [02](02.ipynb)")])
    ['slide', 'skip', 'skip', 'slide', '-', 'subslide', '-', 'skip', 'skip', 'slide', 'skip']
    """
    types = []
    shown = True  # before the first heading: the title cell's neighbours
    sectionShown = True  # the current `##` section, inherited by unmarked `###`
    previous = None  # the type of the previous cell shown
    for cell in cells:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        headings = _headings(text) if cell["cell_type"] == "markdown" else []
        opensShown = False
        kind = "-"
        for level, title, marker in headings:
            shown = _sectionShown(level, title, marker, sectionShown)
            if level <= 2:
                sectionShown = shown
            if shown and not opensShown:
                kind = "slide" if level <= 2 else "subslide"
                opensShown = True
        if cell["cell_type"] == "markdown" and NAVIGATION.match(text.strip()):
            types.append("skip")
            continue
        if not (shown or opensShown):
            types.append("skip")
            continue
        if not headings and cell["cell_type"] == "markdown" and previous == "code":
            kind = "subslide"
        types.append(kind)
        previous = cell["cell_type"]
    return types


def deckNotebook(path: Path) -> nbformat.NotebookNode:
    """The notebook with slide metadata derived from its markers (the file is untouched)."""
    notebook = copy.deepcopy(nbformat.read(path, as_version=4))
    for cell, kind in zip(notebook.cells, slideTypes(notebook.cells), strict=True):
        cell.metadata["slideshow"] = {"slide_type": kind}
    return notebook


def exporter() -> SlidesExporter:
    slides = SlidesExporter(
        extra_template_basedirs=[str(TEMPLATES)],
        template_name="reveal_offline",
        reveal_url_prefix="reveal.js",
        reveal_theme="white",  # its fonts ship with reveal.js; "simple" imports web fonts
        reveal_scroll=True,
        reveal_width="1280",
        reveal_height="800",
        widget_renderer_url="jupyter-widgets/embed.js",
    )
    slides.exclude_input_prompt = True
    slides.exclude_output_prompt = True
    return slides


def copyAssets(output: Path) -> None:
    """reveal.js (its dist/ and the notes plugin) and the widget renderer, beside the decks."""
    reveal = NODE_MODULES / "reveal.js"
    widgets = NODE_MODULES / "@jupyter-widgets" / "html-manager" / "dist"
    for needed in (reveal / "dist" / "reveal.js", widgets / "embed.js"):
        if not needed.is_file():
            raise SystemExit(f"build_slides: {needed} is missing: run `npm ci` in web/")
    shutil.copytree(reveal / "dist", output / "reveal.js" / "dist")
    shutil.copytree(reveal / "plugin" / "notes", output / "reveal.js" / "plugin" / "notes")
    shutil.copy2(reveal / "LICENSE", output / "reveal.js" / "LICENSE")
    shutil.copytree(
        widgets, output / "jupyter-widgets", ignore=shutil.ignore_patterns("*.map", "*-amd.js")
    )


def indexPage(decks: list[tuple[str, str]]) -> str:
    items = "\n".join(f'  <li><a href="{href}">{title}</a></li>' for href, title in decks)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
        "<title>pipeline_lib: slides</title></head>\n<body>\n"
        "<h1>Slides: the core path of each notebook</h1>\n"
        "<p>Arrow keys or space to advance; <kbd>S</kbd> opens the speaker view.</p>\n"
        f"<ul>\n{items}\n</ul>\n</body>\n</html>\n"
    )


def build(output: Path) -> list[Path]:
    """Write one deck per lesson, the assets and an index into ``output``; return the decks."""
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    copyAssets(output)
    slides = exporter()
    decks = []
    titles = []
    for path in lessonNotebooks():
        body, _ = slides.from_notebook_node(
            deckNotebook(path), resources={"metadata": {"name": path.stem}}
        )
        deck = output / f"{path.stem}.slides.html"
        deck.write_text(body, encoding="utf-8")
        decks.append(deck)
        titles.append((deck.name, path.stem.replace("_", " ", 1).replace("_", " ")))
    (output / "index.html").write_text(indexPage(titles), encoding="utf-8")
    return decks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="folder to (re)create")
    output = parser.parse_args(argv).output.resolve()
    start = time.perf_counter()
    decks = build(output)
    elapsed = time.perf_counter() - start
    print(f"slides: {len(decks)} decks in {elapsed:.1f}s -> {output / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

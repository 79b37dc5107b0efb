"""The static site (``make site``): every lesson, no solutions, anchors resolving, offline.

The site is built once per module into a temporary folder by ``scripts/build_site.py``
(Jupyter Book 1 from the stored outputs, about 40 s). The browser test then opens every
page in Debian's Chromium from a server on 127.0.0.1, with every other request refused
and recorded, and looks at the plots and the widgets drawn from their saved state.
"""

from __future__ import annotations

import html.parser
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from browser_harness import SCREENSHOTS
from webharness import OfflineGuard, loadScript, requireBuildTools, servedFolder

builder = loadScript("build_site")
LESSONS = builder.lessonNotebooks()
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    requireBuildTools()
    output = tmp_path_factory.mktemp("site")
    assert builder.main(["--output", str(output)]) == 0, "scripts/build_site.py failed"
    return output / "_build" / "html"


class _PageParser(html.parser.HTMLParser):
    """Collects a page's element ids and the targets of its links."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))


def parsePage(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def notebook(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def markdownHeadings(path: Path) -> list[str]:
    """The text of every markdown heading of a notebook, as a reader sees it."""
    headings = []
    for cell in notebook(path)["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for line in "".join(cell["source"]).splitlines():
            if match := re.match(r"^#{1,6} +(.+?) *$", line):
                text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match[1])
                headings.append(re.sub(r"[`*]", "", text))
    return headings


def storedImages(path: Path) -> int:
    """How many PNG outputs a notebook stores outside widgets."""
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook(path)["cells"]
        for output in cell.get("outputs", [])
    )


def widgetNotebooks() -> list[Path]:
    """Lessons that display a widget and saved its state."""
    found = []
    for path in LESSONS:
        content = notebook(path)
        shown = any(
            WIDGET_VIEW in output.get("data", {})
            for cell in content["cells"]
            for output in cell.get("outputs", [])
        )
        if shown and content["metadata"].get("widgets"):
            found.append(path)
    return found


def widgetPlots(path: Path) -> int:
    """How many pictures the displayed widgets hold (Image widgets with saved bytes).

    Only models reachable from a displayed view count (a notebook may build widgets it
    never shows, a demo driven from code), and only images with bytes (a widget hides a
    chart it has nothing to draw in yet).
    """
    content = notebook(path)
    state = content["metadata"].get("widgets", {})
    models = state.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    pending = [
        output["data"][WIDGET_VIEW]["model_id"]
        for cell in content["cells"]
        for output in cell.get("outputs", [])
        if WIDGET_VIEW in output.get("data", {})
    ]
    reachable: set[str] = set()
    while pending:
        model = pending.pop()
        if model in reachable or model not in models:
            continue
        reachable.add(model)
        pending += re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(models[model]["state"]))
    return sum(
        models[model]["model_name"] == "ImageModel"
        and any(buffer["data"] for buffer in models[model].get("buffers", []))
        for model in reachable
    )


def test_every_widget_a_lesson_shows_has_its_state_saved() -> None:
    # The site draws widgets from this state (scripts/execute_notebooks.py stores it).
    for path in LESSONS:
        content = notebook(path)
        shown = [
            output["data"][WIDGET_VIEW]["model_id"]
            for cell in content["cells"]
            for output in cell.get("outputs", [])
            if WIDGET_VIEW in output.get("data", {})
        ]
        state = content["metadata"].get("widgets", {})
        saved = state.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
        assert [model for model in shown if model not in saved] == [], path.name


def test_links_to_pages_not_on_the_site_keep_their_text_and_say_where() -> None:
    published = {"00_start_here.ipynb", "01_the_leak_problem.ipynb"}
    text = (
        "Worked solutions are in [`solutions/`](solutions/00_start_here_solutions.ipynb). "
        "Next: [the leak](01_the_leak_problem.ipynb#Setup), [docs](https://docs.python.org), "
        "[here](#The-series)."
    )
    rewritten = builder.rewriteLinks(text, published)
    assert "](solutions/" not in rewritten
    where = "`solutions/` (in the repository: `notebooks/solutions/00_start_here_solutions.ipynb`"
    assert where in rewritten
    for kept in ("(01_the_leak_problem.ipynb#Setup)", "(https://docs.python.org)", "(#The-series)"):
        assert kept in rewritten


def test_every_lesson_is_a_page_and_no_solution_or_instructor_file_is_published(
    site: Path,
) -> None:
    assert LESSONS, "no lessons found in notebooks/"
    for lesson in LESSONS:
        assert (site / f"{lesson.stem}.html").is_file(), f"no page for {lesson.name}"
    published = [path.relative_to(site) for path in site.rglob("*") if path.is_file()]
    leaked = [
        str(path)
        for path in published
        if "solution" in str(path).lower() or "instructor" in str(path).lower()
    ]
    assert leaked == [], f"the site publishes solutions or instructor material: {leaked}"
    assert not [p for p in published if p.suffix == ".ipynb"], "the site ships notebooks"


def test_every_link_between_pages_resolves_with_its_anchor(site: Path) -> None:
    pages = {path.resolve(): parsePage(path) for path in site.glob("*.html")}
    broken = []
    for page, parsed in pages.items():
        for href in parsed.hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.suffix == ".ipynb" or not target.is_file():
                broken.append(f"{page.name}: {href} (no such page)")
            elif target in pages and unquote(parts.fragment or "") not in pages[target].ids | {""}:
                broken.append(f"{page.name}: {href} (no such anchor)")
    assert broken == []
    # The lessons' own "Series map" links, written `00_start_here.ipynb#The-series`,
    # are among them: they became links to that section, not plain text.
    for lesson in LESSONS[1:]:
        hrefs = parsePage(site / f"{lesson.stem}.html").hrefs
        assert any(h.startswith(f"{LESSONS[0].stem}.html#") for h in hrefs), lesson.name


def test_every_heading_carries_the_anchor_jupyterlab_gives_it(site: Path) -> None:
    missing = []
    for lesson in LESSONS:
        ids = parsePage(site / f"{lesson.stem}.html").ids
        for heading in markdownHeadings(lesson):
            anchor = heading.replace(" ", "-")
            if anchor not in ids:
                missing.append(f"{lesson.stem}.html#{anchor}")
    assert missing == []
    assert "The-series" in parsePage(site / f"{LESSONS[0].stem}.html").ids


SHOWN_IMAGES = """([selector, expected]) => {
    const shown = [...document.querySelectorAll(selector)].filter(
        i => i.complete && i.naturalWidth > 0 && i.offsetWidth > 0 && i.offsetHeight > 0);
    return shown.length >= expected;
}"""


def waitForImages(page: Any, selector: str, expected: int) -> None:
    """Wait until ``expected`` images matching ``selector`` are loaded, sized and displayed."""
    page.wait_for_function(SHOWN_IMAGES, arg=[selector, expected])


@pytest.mark.browser
def test_every_page_opens_offline_with_its_plots_and_widgets(site: Path, chromium: Any) -> None:
    withWidgets = widgetNotebooks()
    assert withWidgets, "no lesson shows a widget with saved state: nothing to check"
    with servedFolder(site) as base:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(20_000)
        page = context.new_page()
        guard = OfflineGuard(page, base)
        for path in sorted(site.glob("*.html")):
            page.goto(base + path.name, wait_until="networkidle")
            lesson = next((nb for nb in LESSONS if nb.stem == path.stem), None)
            if lesson is None:
                continue
            waitForImages(page, ".cell_output > img", storedImages(lesson))
            if lesson in withWidgets:
                page.wait_for_selector(".jupyter-widgets .widget-button", state="visible")
                buttons = page.locator(".jupyter-widgets .widget-button")
                assert buttons.count() > 0
                views = page.locator(".cell_output .jupyter-widgets")
                assert views.first.is_visible()
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                views.first.screenshot(path=str(SCREENSHOTS / f"site-{lesson.stem}-widget.png"))
        # Plots drawn inside a widget (Image widgets) come back from the saved state too.
        plotting = [nb for nb in withWidgets if widgetPlots(nb)]
        assert plotting, "no saved widget state holds a plot: nothing to check"
        for lesson in plotting:
            page.goto(base + f"{lesson.stem}.html", wait_until="networkidle")
            waitForImages(page, ".jupyter-widgets img.widget-image", widgetPlots(lesson))
        context.close()
    assert guard.outside == [], f"pages asked other hosts: {guard.outside}"
    assert guard.missing == [], f"pages asked for files the site lacks: {guard.missing}"
    assert guard.errors == [], f"JavaScript errors: {guard.errors}"

"""JupyterLab Light and Dark: the chosen toggle is visible and plots sit on the page.

One private JupyterLab per theme runs a small notebook (a figure from ``newFigure`` and a
FailureLab) in Chromium. In both themes exactly the chosen button of each toggle group
shows the check mark, the plot is a transparent PNG that JupyterLab paints no box behind,
and its ink keeps a 4:1 contrast on the theme's real background. Screenshots of both
themes land in artifacts/screenshots/ (``lab-theme-light.png``, ``lab-theme-dark.png``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import browser_harness
import nbformat
import pytest
from browser_harness import JupyterLabServer, openNotebook, runAllCells, saveScreenshot
from matplotlib.colors import to_rgb

from pipeline_lib.plotting.style import INK

CELLS = [
    "%matplotlib inline\nfrom pipeline_lib.plotting import newFigure\n"
    "from pipeline_lib.widgets import FailureLab",
    "figure, axes = newFigure('Open connections', 'run (number)', 'connections (count)')\n"
    "axes.plot([1, 2, 3], [0, 1, 2], marker='o', label='naive')\naxes.legend()\nfigure",
    "lab = FailureLab(poolSize=4)\nlab",
]
# The PNG's corner pixel: [red, green, blue, alpha] (0-255), read through a canvas.
CORNER_PIXEL = """img => {
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d');
    context.drawImage(img, 0, 0);
    return Array.from(context.getImageData(1, 1, 1, 1).data);
}"""


def contrast(first: tuple[float, ...], second: tuple[float, ...]) -> float:
    def luminance(rgb: tuple[float, ...]) -> float:
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def cssColour(value: str) -> tuple[float, ...]:
    """``rgb(17, 17, 17)`` / ``rgba(...)`` as 0-1 channels."""
    numbers = value[value.index("(") + 1 : value.index(")")].split(",")
    return tuple(float(n) / 255 for n in numbers[:3])


@pytest.fixture(params=["JupyterLab Light", "JupyterLab Dark"])
def themedLab(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    chromium: Any,
) -> Iterator[tuple[str, Any]]:
    overrides = dict(browser_harness.LAB_OVERRIDES)
    overrides["@jupyterlab/apputils-extension:themes"] = {"theme": request.param}
    monkeypatch.setattr(browser_harness, "LAB_OVERRIDES", overrides)
    folder = tmp_path / "theme"
    folder.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, folder / "theme.ipynb")
    with JupyterLabServer(folder, tmp_path / "lab") as server:
        context = chromium.new_context(viewport={"width": 1300, "height": 1100})
        context.set_default_timeout(60_000)
        page = context.new_page()
        openNotebook(page, server, "theme.ipynb")
        runAllCells(page)
        yield request.param, page
        context.close()


@pytest.mark.browser
def test_the_chosen_toggle_and_the_plot_read_in_both_themes(themedLab: tuple[str, Any]) -> None:
    theme, page = themedLab
    plot = page.locator(".jp-OutputArea-output img").first
    plot.wait_for(state="attached")
    groups = page.locator(".widget-toggle-buttons")
    groups.first.wait_for(state="attached")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=plot.element_handle())
    assert page.evaluate("document.body.dataset.jpThemeName") == theme

    assert groups.count() >= 3
    for index in range(groups.count()):
        buttons = groups.nth(index).locator(".widget-toggle-button")
        chosen = [
            buttons.nth(i).evaluate("b => b.classList.contains('mod-active')")
            for i in range(buttons.count())
        ]
        marked = [buttons.nth(i).locator("i.fa-check").count() == 1 for i in range(buttons.count())]
        assert chosen.count(True) == 1 and marked == chosen, (theme, index, chosen, marked)
        icon = buttons.nth(chosen.index(True)).locator("i.fa-check")
        assert icon.bounding_box() is not None and icon.bounding_box()["width"] > 0  # type: ignore[index]

    # No box behind the plot: the PNG is transparent and Lab paints no background under it.
    assert plot.evaluate(CORNER_PIXEL)[3] == 0
    assert plot.evaluate("img => getComputedStyle(img).backgroundColor") == "rgba(0, 0, 0, 0)"
    page_ = plot.evaluate(
        """img => { let e = img; while (e) { const c = getComputedStyle(e).backgroundColor;
            if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c; e = e.parentElement; }
            return 'rgb(255, 255, 255)'; }"""
    )
    assert contrast(to_rgb(INK), cssColour(page_)) >= 4.0, (theme, page_)

    tag = theme.split()[-1].lower()
    saveScreenshot(page.locator(".jp-Notebook"), f"lab-theme-{tag}")

"""The widgets in a real JupyterLab and Chromium: run the notebook, operate them, see results.

Skips when Chromium is absent, fails instead under PIPELINE_LIB_REQUIRE_BROWSER=1 (CI).
Timings are printed (``-s``), never asserted.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import browser_harness
import pytest
from browser_harness import (
    REQUIRE_VARIABLE,
    JupyterLabServer,
    labEnvironment,
    openNotebook,
    requireBrowser,
    runAllCells,
    saveScreenshot,
    waitForIdleKernel,
)

SERIES = Path(__file__).resolve().parent.parent / "notebooks"


def test_a_missing_chromium_skips_but_fails_when_ci_requires_a_browser(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(browser_harness, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv(REQUIRE_VARIABLE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium is absent"):
        requireBrowser()
    monkeypatch.setenv(REQUIRE_VARIABLE, "1")
    with pytest.raises(pytest.fail.Exception, match="PIPELINE_LIB_REQUIRE_BROWSER=1"):
        requireBrowser()


def test_jupyterlab_gets_no_mplbackend_so_kernels_plot_inline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")
    env = labEnvironment(tmp_path)
    assert "MPLBACKEND" not in env and env["PATH"] == os.environ["PATH"]


def imageSource(lab: Any) -> str:
    """The (first) plot's current ``src`` once the PNG has loaded (a new blob URL per redraw).

    Before a lab's first Run its plot is hidden (a line says why): then ``""``.
    """
    image = lab.locator(".widget-image").first
    if not image.is_visible():
        return ""
    page = lab.page
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    return str(image.get_attribute("src"))


def clickRunAndWait(lab: Any, runNumber: int) -> float:
    """Click Run; return seconds until the summary shows run ``runNumber`` and the plot changed."""
    before = imageSource(lab)
    started = time.perf_counter()
    lab.locator(".widget-button", has_text="Run").click()
    lab.locator(".failurelab-summary", has_text=f"Run {runNumber} (").wait_for()
    lab.page.wait_for_function(
        "([img, old]) => img.getAttribute('src') !== old && img.complete && img.naturalWidth > 0",
        arg=[lab.locator(".widget-image").first.element_handle(), before],
    )
    return time.perf_counter() - started


@dataclass
class DemoNotebook:
    """The demo notebook open in one page, every cell run, for the tests of this module."""

    page: Any
    readySeconds: float


@pytest.fixture(scope="module")
def demoNotebook(chromium: Any, jupyterLab: JupyterLabServer) -> Iterator[DemoNotebook]:
    """Open and run tests/notebooks/widgets_demo.ipynb once (~10 s) for every widget test."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    started = time.perf_counter()
    openNotebook(page, jupyterLab, "widgets_demo.ipynb")
    runAllCells(page)
    page.locator(".widget-vbox", has_text="FailureLab").first.get_by_text("No run yet").wait_for(
        timeout=30_000
    )
    page.locator(".configplayground-config").wait_for(timeout=30_000)  # the last cell's
    waitForIdleKernel(page)  # every cell has run: the kernel is free for the clicks
    yield DemoNotebook(page, time.perf_counter() - started)
    context.close()


@pytest.mark.browser
def test_failure_lab_leak_climbs_then_reset_and_pipeline_context_stay_flat(
    demoNotebook: DemoNotebook,
) -> None:
    page, ready = demoNotebook.page, demoNotebook.readySeconds
    lab = page.locator(".widget-vbox", has_text="FailureLab").first
    lab.get_by_text("No run yet").wait_for()

    lab.locator(".widget-dropdown", has_text="fail in").locator("select").select_option(
        label="stage ThresholdFilter"
    )
    lab.get_by_role("button", name="runWithoutCleanup").click()
    handle = lab.locator(".widget-slider", has_text="record").locator(".noUi-handle")
    handle.focus()
    for _ in range(3):
        handle.press("ArrowRight")
    slider = lab.locator(".widget-slider", has_text="record").locator(".widget-readout")
    assert slider.inner_text().strip() == "53"

    clickTimes = [clickRunAndWait(lab, run) for run in range(1, 6)]
    summary = lab.locator(".failurelab-summary")
    assert re.search(r"connections in use 4 of 4", summary.inner_text())
    assert "PoolExhausted" in summary.inner_text()
    assert "delivered 53" in lab.locator(".widget-output").inner_text()
    assert "FAILED: PoolExhausted" in lab.locator(".widget-output").inner_text()
    saveScreenshot(lab, "failurelab_leak")

    lab.locator(".widget-button", has_text="Reset").click()
    lab.get_by_text("No run yet").wait_for()
    assert slider.inner_text().strip() == "50"  # Reset restored every setting
    lab.locator(".widget-dropdown", has_text="fail in").locator("select").select_option(
        label="stage ThresholdFilter"
    )
    lab.get_by_role("button", name="PipelineContext").click()
    clickTimes += [clickRunAndWait(lab, run) for run in (1, 2)]
    assert "connections in use 0 of 4" in summary.inner_text()
    assert "OSError: injected failure at record 50 of ThresholdFilter" in summary.inner_text()
    saveScreenshot(lab, "failurelab_flat")
    print(
        f"\nbrowser: notebook ready in {ready:.1f}s; Run click to redrawn plot: "
        f"max {max(clickTimes):.2f}s, mean {sum(clickTimes) / len(clickTimes):.2f}s"
    )


@pytest.mark.browser
def test_latency_dashboard_and_config_playground_answer_in_the_browser(
    demoNotebook: DemoNotebook,
) -> None:
    page = demoNotebook.page
    dashboard = page.locator(".widget-vbox", has_text="LatencyDashboard").first
    bottleneck = dashboard.locator(".latencydashboard-bottleneck")
    assert bottleneck.inner_text() == "Normalizer"

    # Move WindowAverage's cost to its maximum: the kernel re-measures and redraws.
    before = imageSource(dashboard)
    moved = time.perf_counter()
    handle = dashboard.locator(".widget-slider", has_text="WindowAverage").locator(".noUi-handle")
    handle.focus()
    handle.press("End")
    readout = dashboard.locator(".widget-slider", has_text="WindowAverage").locator(
        ".widget-readout"
    )
    assert readout.inner_text().strip() == "200"
    dashboard.locator(".latencydashboard-bottleneck", has_text="WindowAverage").wait_for()
    page.wait_for_function(
        "([img, old]) => img.getAttribute('src') !== old && img.complete && img.naturalWidth > 0",
        arg=[dashboard.locator(".widget-image").first.element_handle(), before],
    )
    redraw = time.perf_counter() - moved
    saveScreenshot(dashboard, "latencydashboard_bottleneck")

    # Type a bad window size: the descriptor's own message appears, then an accept.
    playground = page.locator(".widget-vbox", has_text="ConfigPlayground").first
    box = playground.locator(".widget-text", has_text="windowSize").locator("input")
    box.fill("0")
    box.press("Enter")  # a box is judged when its value is entered
    playground.get_by_text("PipelineConfig.windowSize must be in [1, 10000], got 0").wait_for()
    assert (
        "kept until every check passes"
        in playground.locator(".configplayground-config").inner_text()
    )
    box.fill("25")
    box.press("Enter")
    playground.locator(".configplayground-config", has_text="windowSize=25").wait_for()
    saveScreenshot(playground, "configplayground_verdicts")

    # 90 typed key by key, as a student does: the 9 on the way is never assigned.
    lower = playground.locator(".widget-text", has_text="filterMin").locator("input")
    lower.click()
    lower.press("Control+a")
    lower.press_sequentially("90", delay=150)
    time.sleep(0.5)  # long enough for a keystroke's round trip, were it sent
    assert "filterMin=20.0" in playground.locator(".configplayground-config").inner_text()
    lower.press("Enter")
    playground.get_by_text("filterMin must be < filterMax, got 90.0 >= 80.0").wait_for()
    config = playground.locator(".configplayground-config").inner_text()
    assert "filterMin=20.0" in config and "filterMin=9.0" not in config, config
    print(f"\nbrowser: LatencyDashboard slider move to redrawn plot {redraw:.2f}s")


def waitForRunAll(page: Any, timeout: float = 90.0) -> None:
    """Wait until Run All has run every cell: prompts go to ``[*]``, then all have numbers.

    The stored notebook already shows numbered prompts (and its saved widget state), so
    the wait starts from the queued ``[*]`` that Run All sets, never from stored outputs.
    """
    prompts = ".jp-Notebook .jp-CodeCell .jp-InputPrompt"
    page.wait_for_function(
        "sel => [...document.querySelectorAll(sel)].some(p => p.textContent.includes('*'))",
        arg=prompts,
        timeout=timeout * 1000,
    )
    page.wait_for_function(
        "sel => [...document.querySelectorAll(sel)].every(p => /\\[\\d+\\]/.test(p.textContent))",
        arg=prompts,
        timeout=timeout * 1000,
    )
    waitForIdleKernel(page, timeout)


@pytest.mark.browser
def test_series_notebook_06_runs_all_then_its_failure_lab_answers_a_real_click(
    chromium: Any, jupyterLab: JupyterLabServer
) -> None:
    """notebooks/06 as a student meets it: Run All in Lab, then Run in the lab redraws."""
    serveSeries(jupyterLab)
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        started = time.perf_counter()
        openNotebook(page, jupyterLab, "series/06_three_layers.ipynb")
        opened = time.perf_counter() - started
        runAllCells(page)
        waitForRunAll(page)
        ranAll = time.perf_counter() - started
        stderr = page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        )
        assert stderr.count() == 0, stderr.first.inner_text()
        # After Run All the student's lab is untouched (the cells drove a lab of their own).
        lab = page.locator(".widget-vbox", has_text="FailureLab").first
        summary = lab.locator(".failurelab-summary")
        lab.get_by_text("No run yet").wait_for()
        steps = str(lab.locator(".widget-html", has_text="Try it").first.text_content())

        # Its printed steps, literally: fail in: stage ThresholdFilter, runWithoutCleanup,
        # Run three times; Reset; fail in: stage ThresholdFilter again, keep
        # PipelineContext, Run three times.
        assert "choose fail in: stage ThresholdFilter and the runner runWithoutCleanup" in steps
        failIn = lab.locator(".widget-dropdown", has_text="fail in").locator("select")
        failIn.select_option(label="stage ThresholdFilter")
        lab.get_by_role("button", name="runWithoutCleanup").click()
        climbing = [inUse(lab, run) for run in (1, 2, 3)]
        saveScreenshot(lab, "notebook06_failurelab_naive")
        lab.get_by_role("button", name="Reset").click()
        lab.get_by_text("No run yet").wait_for()
        assert failIn.input_value() == "nowhere"  # Reset restored every setting
        pressed = lab.locator(".widget-toggle-button.mod-active", has_text="PipelineContext")
        assert pressed.count() == 1  # "keep PipelineContext": it is the runner again
        failIn.select_option(label="stage ThresholdFilter")
        flat = [inUse(lab, run) for run in (1, 2, 3)]
        assert (climbing, flat) == ([1, 2, 3], [0, 0, 0])
        assert "Run 3 (PipelineContext) failed" in str(summary.text_content())
        assert "descriptors held +0" in str(summary.text_content())
        saveScreenshot(lab, "notebook06_failurelab_managed")
    finally:
        context.close()
    print(
        f"\nbrowser: notebook 06 opened in {opened:.1f}s, Run All done at {ranAll:.1f}s; "
        "the lab's printed steps followed"
    )


def serveSeries(jupyterLab: JupyterLabServer) -> None:
    """The series' folder, beside the demo notebook in the served copy (once a session)."""
    shutil.copytree(
        SERIES,
        jupyterLab.root / "series",
        ignore=shutil.ignore_patterns(".ipynb_checkpoints"),
        dirs_exist_ok=True,
    )


@pytest.mark.browser
def test_series_notebook_03_runs_all_then_its_playground_does_what_its_steps_say(
    chromium: Any, jupyterLab: JupyterLabServer
) -> None:
    """notebooks/03 as a student meets it: Run All, then the playground's two steps, typed
    key by key and entered, as the markdown above it says."""
    serveSeries(jupyterLab)
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        started = time.perf_counter()
        openNotebook(page, jupyterLab, "series/03_descriptors.ipynb")
        runAllCells(page)
        waitForRunAll(page)
        ranAll = time.perf_counter() - started
        playground = page.locator(".widget-vbox", has_text="ConfigPlayground").first
        config = playground.locator(".configplayground-config")
        rule = playground.locator(".widget-html", has_text="rules between fields")
        playground.scroll_into_view_if_needed()  # Lab renders the cells in view
        # After Run All the student's playground is untouched (the demo cell drove its own).
        config.get_by_text("(applied: every check passed)").wait_for()

        def enter(field: str, text: str) -> None:
            box = playground.locator(".widget-text", has_text=field).locator("input")
            box.click()
            box.press("Control+a")
            box.press_sequentially(text, delay=60)
            box.press("Enter")

        # Step 1: 0, fast, and nan as a filter bound; the rule says what it left out.
        enter("windowSize", "0")
        enter("samplingRateHz", "fast")
        enter("filterMax", "nan")
        playground.get_by_text(
            "PipelineConfig.filterMax must be a finite number, got nan"
        ).wait_for()
        assert "✓" not in rule.inner_text() and "filterMax" in rule.inner_text()
        saveScreenshot(playground, "notebook03_playground_step1")
        # Step 2: Reset, then 90 (refused by the rule), then 120 (both applied together).
        playground.get_by_role("button", name="Reset").click()
        config.get_by_text("applied: every check passed").wait_for()
        enter("filterMin", "90")
        rule.get_by_text("filterMin must be < filterMax, got 90.0 >= 80.0").wait_for()
        assert "filterMin=20.0" in config.inner_text()  # no 9.0 applied on the way
        enter("filterMax", "120")
        config.get_by_text("filterMin=90.0, filterMax=120.0").wait_for()
        assert "(applied: every check passed)" in config.inner_text()
        saveScreenshot(playground, "notebook03_playground_step2")
    finally:
        context.close()
    print(f"\nbrowser: notebook 03 Run All done at {ranAll:.1f}s; the playground's steps followed")


def inUse(lab: Any, runNumber: int) -> int:
    """Click Run, wait for run ``runNumber``'s summary (and its plot); connections in use."""
    clickRunAndWait(lab, runNumber)
    text = str(lab.locator(".failurelab-summary").text_content())
    match = re.search(r"connections in use (\d+) of 4", text)
    assert match, text
    held = re.search(r"descriptors held \+(\d+)", text)
    assert held and held.group(1) == match.group(1), text  # one descriptor per connection
    return int(match.group(1))

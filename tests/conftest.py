"""Shared fixtures. Plots render off-screen in the test process only.

The backend is chosen with ``matplotlib.use`` rather than the ``MPLBACKEND`` variable,
which would leak into the Jupyter kernels that notebook and browser tests start.

Browser tests get a private JupyterLab (``jupyterLab``) and Debian's Chromium
(``chromium``), one of each per session, and a fresh page per test (``labPage``); the
machinery lives in ``browser_harness.py``.

Hypothesis: with ``CI=true`` (CI sets it) the ``ci`` profile runs derandomized, so a
run is reproducible, and prints the blob that replays a failure
(``@reproduce_failure``); locally the ``dev`` profile keeps exploring new examples.
Choose one explicitly with ``HYPOTHESIS_PROFILE=ci``.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib
import pytest
from browser_harness import JupyterLabServer, launchChromium, requireBrowser
from hypothesis import settings

matplotlib.use("Agg")


def hypothesisProfile(environment: dict[str, str] | os._Environ[str]) -> str:
    """``ci`` when the environment says CI (``CI=true``), else ``dev``; an explicit choice wins."""
    if environment.get("HYPOTHESIS_PROFILE"):
        return environment["HYPOTHESIS_PROFILE"]
    return "ci" if environment.get("CI", "").lower() in ("true", "1", "yes") else "dev"


settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
# Explicit: under CI, Hypothesis itself may already have loaded a derandomized default.
settings.register_profile("dev", derandomize=False, print_blob=True)
settings.load_profile(hypothesisProfile(os.environ))

BROWSER_NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


@pytest.fixture
def noCycleCollector() -> Iterator[None]:
    """Reference counting alone during the test: a claim "freed at once" must hold without
    the cycle collector, and what a reference cycle keeps alive stays alive until
    ``gc.collect()``. Collected before and after, so no other test's garbage is counted."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


@pytest.fixture(scope="session")
def jupyterLab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLabServer]:
    """JupyterLab serving a copy of tests/notebooks; stopped (kernels too) after the session."""
    requireBrowser()
    with JupyterLabServer(BROWSER_NOTEBOOKS, tmp_path_factory.mktemp("jupyterlab")) as server:
        yield server


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, shared by one test module's browser tests.

    Per module, not per session: Playwright's sync API keeps an event loop running in the
    main thread while it is started, and every later ``asyncio.run`` in the session would
    fail with "cannot be called from a running event loop".
    """
    requireBrowser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launchChromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def labPage(chromium: Any, jupyterLab: JupyterLabServer) -> Iterator[Any]:
    """A fresh page (own context) on the session's JupyterLab."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()

"""Helpers for the static site's and the slides' tests: a local server, a network guard.

``servedFolder(folder)`` serves a built folder on 127.0.0.1 (a free port, a thread, shut
down on exit). ``OfflineGuard(page, base)`` makes a Playwright page refuse and record every
request that would leave that server, so a test can assert that a page needs nothing
from any other host. ``loadScript(name)`` imports ``scripts/NAME.py`` (the builders are
scripts, not part of the installed package).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from browser_harness import REQUIRE_VARIABLE, browserRequired

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "web" / "node_modules"
# Schemes a page creates for itself (object URLs, inline data): they reach no host.
LOCAL_SCHEMES = ("data:", "blob:", "about:")


def loadScript(name: str) -> ModuleType:
    """Import ``scripts/NAME.py`` as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def requireBuildTools() -> None:
    """Skip (fail under CI) when ``npm ci`` has not run in web/ or jupyter-book is absent."""
    missing = []
    if not (NODE_MODULES / ".package-lock.json").is_file():
        missing.append("web/node_modules (run `npm ci` in web/, or `make site`)")
    if not Path(sys.executable).with_name("jupyter-book").exists():
        missing.append("jupyter-book (pip install -e '.[dev]')")
    if missing:
        message = "cannot build the site or slides: missing " + ", ".join(missing)
        if browserRequired():
            pytest.fail(f"{message} ({REQUIRE_VARIABLE}=1)")
        pytest.skip(message)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def servedFolder(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1; yield its base URL (ending in ``/``)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class OfflineGuard:
    """Refuse and record every request of ``page`` that is not for ``base``.

    Requests are aborted at the route, so nothing leaves the machine even when a test is
    wrong; ``outside`` lists what was attempted, ``missing`` what the server did not have
    (status 404 and up, the browser's own ``/favicon.ico`` probe excepted), ``errors``
    the page's uncaught JavaScript exceptions.
    """

    def __init__(self, page: Any, base: str) -> None:
        self.base = base
        self.outside: list[str] = []
        self.missing: list[str] = []
        self.errors: list[str] = []
        page.route("**/*", self._route)
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _isLocal(self, url: str) -> bool:
        return url.startswith(self.base) or url.startswith(LOCAL_SCHEMES)

    def _route(self, route: Any) -> None:
        if self._isLocal(route.request.url):
            route.continue_()
        else:
            route.abort()

    def _request(self, request: Any) -> None:
        if not self._isLocal(request.url) and request.url not in self.outside:
            self.outside.append(request.url)

    def _response(self, response: Any) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.missing.append(f"{response.status} {response.url}")

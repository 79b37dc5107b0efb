"""Drive JupyterLab in a real Chromium: start a private Lab, open a notebook, run it, click.

Used by the fixtures in ``conftest.py`` (``jupyterLab``, ``labPage``); usable on its own::

    with JupyterLabServer(Path("tests/notebooks"), workDir) as server:
        ...  # server.url("lab/tree/NB.ipynb"), server.kernels()

The server runs the venv's own ``python -m jupyter lab`` on 127.0.0.1, on a free port
with a random token, over a *copy* of the notebooks (Lab writes checkpoints), with
settings that stop it fetching news and autosaving, and without ``MPLBACKEND`` in its
environment (kernels must draw inline). Stopping it shuts its kernels down through the
REST API, then ends Lab and any process it started, each by PID. Chromium is Debian's
(``/usr/bin/chromium``): Playwright is used only as a driver, it downloads nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
REQUIRE_VARIABLE = "PIPELINE_LIB_REQUIRE_BROWSER"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"

# No news, no update checks, a kernel without asking, no autosave over the copy.
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True},
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
}


def browserUnavailableReason() -> str | None:
    """Why a browser test cannot run here, or None when it can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is absent (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def browserRequired() -> bool:
    """CI sets PIPELINE_LIB_REQUIRE_BROWSER=1: then a missing browser fails instead of skipping."""
    return os.environ.get(REQUIRE_VARIABLE) == "1"


def requireBrowser() -> None:
    """Skip when Chromium or Playwright is missing; fail instead when CI requires them."""
    reason = browserUnavailableReason()
    if reason is not None:
        message = f"browser test cannot run: {reason}"
        if browserRequired():
            pytest.fail(f"{message} ({REQUIRE_VARIABLE}=1)")
        pytest.skip(message)


def labEnvironment(workDir: Path) -> dict[str, str]:
    """This process's environment for Lab, minus MPLBACKEND (kernels must plot inline)."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["JUPYTER_RUNTIME_DIR"] = str(workDir / "runtime")
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    return env


def freePort() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class JupyterLabServer:
    """A private JupyterLab over a copy of ``notebooks``, started and stopped by PID."""

    def __init__(self, notebooks: Path, workDir: Path, startTimeout: float = 60.0) -> None:
        self.notebooks = notebooks
        self.workDir = workDir
        self.root = workDir / "notebooks"
        self.port = freePort()
        self.token = secrets.token_hex(16)
        self.startTimeout = startTimeout
        self.process: subprocess.Popen[bytes] | None = None
        self.logPath = workDir / "jupyterlab.log"

    def __enter__(self) -> JupyterLabServer:
        self.start()
        return self

    def __exit__(
        self,
        excType: type[BaseException] | None,
        excVal: BaseException | None,
        excTb: TracebackType | None,
    ) -> None:
        self.stop()

    def url(self, path: str = "lab") -> str:
        """``http://127.0.0.1:PORT/PATH?token=...`` (``path`` may carry its own query)."""
        separator = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path}{separator}token={self.token}"

    def start(self) -> None:
        shutil.copytree(self.notebooks, self.root)
        settings = self.workDir / "settings"
        settings.mkdir()
        (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES))
        command = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--LabApp.app_settings_dir={settings}",
            f"--LabApp.workspaces_dir={self.workDir / 'workspaces'}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        with self.logPath.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=labEnvironment(self.workDir),
            )
        self._waitUntilReady()

    def _waitUntilReady(self) -> None:
        deadline = time.monotonic() + self.startTimeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited at start:\n{self.logTail()}")
            try:
                self.api("status")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise RuntimeError(f"JupyterLab not ready after {self.startTimeout}s:\n{self.logTail()}")

    def api(self, path: str, method: str = "GET") -> Any:
        """Call Jupyter Server's REST API (``/api/PATH``) and decode its JSON answer."""
        request = urllib.request.Request(self.url(f"api/{path}"), method=method)
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
        return json.loads(body) if body else None

    def kernels(self) -> list[dict[str, Any]]:
        return list(self.api("kernels"))

    def logTail(self, lines: int = 40) -> str:
        text = self.logPath.read_text(errors="replace") if self.logPath.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Shut the kernels down, then end Lab and whatever it started, by PID."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            for kernel in self.kernels():
                self.api(f"kernels/{kernel['id']}", method="DELETE")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # Lab is unresponsive: the PIDs below still end everything
        children = _childPids(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for pid in children:
            _killIfAlive(pid)


def _childPids(parent: int) -> list[int]:
    """The PIDs whose parent is ``parent`` (Linux's /proc; elsewhere none are known)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            pids.append(int(stat.parent.name))
    return pids


def _killIfAlive(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def launchChromium(playwright: Any) -> Any:
    """Debian's Chromium through Playwright's driver (never Playwright's own download)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def openNotebook(page: Any, server: JupyterLabServer, name: str, timeout: float = 30.0) -> None:
    """Open ``name`` in Lab (fresh workspace) and wait until its kernel is idle."""
    page.goto(server.url(f"lab/tree/{name}?reset"))
    page.locator(".jp-Notebook").first.wait_for(timeout=timeout * 1000)
    waitForIdleKernel(page, timeout)


def waitForIdleKernel(page: Any, timeout: float = 30.0) -> None:
    """Wait for the status bar's ``| Idle`` (the toolbar's indicator says idle too early)."""
    statusBar = page.locator("#jp-main-statusbar")
    statusBar.get_by_text(re.compile(r"\| Idle")).wait_for(timeout=timeout * 1000)


def runAllCells(page: Any) -> None:
    """Menu Run > Run All Cells (honours ``raises-exception`` tags, like nbval)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator("[data-command='runmenu:run-all']").click()


def saveScreenshot(locator: Any, name: str) -> Path:
    """An element screenshot under artifacts/screenshots/ (the notebook scrolls on its own)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    locator.screenshot(path=str(path))
    return path

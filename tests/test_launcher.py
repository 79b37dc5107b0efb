"""``pipeline-lib``'s entry point installs the signal handlers before the library is imported.

Issue 12.7: a Ctrl-C or SIGTERM during ``import pipeline_lib`` (before ``main()`` ran)
gave Python's traceback and exit 1, or death by SIGTERM (-15). The console script now
calls ``pipeline_lib_launcher.main``, outside the package, which installs the handlers
first; only the interpreter's own start-up before it remains uncovered.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
SIGNALS = [(signal.SIGINT, 130), (signal.SIGTERM, 143)]
LONG_DEMO = ["demo", "--count", "100000000", "-q"]


def _entryPoint() -> tuple[str, str]:
    """The module and function ``pipeline-lib`` runs, as pyproject.toml declares them."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, function = scripts["pipeline-lib"].partition(":")
    return module, function


def _consoleScript(prelude: str = "") -> list[str]:
    """What pip's generated ``pipeline-lib`` script runs, after ``prelude``."""
    module, function = _entryPoint()
    return [
        sys.executable,
        "-c",
        f"{prelude}\nimport re, sys\nfrom {module} import {function}\nsys.exit({function}())",
    ]


def test_the_entry_point_is_a_module_that_imports_no_part_of_the_library() -> None:
    module, _ = _entryPoint()
    assert not module.startswith("pipeline_lib."), "importing it would import the package first"
    probe = (
        f"import sys, {module}; "
        "print(sorted(m for m in sys.modules if m.partition('.')[0] == 'pipeline_lib'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# While `import pipeline_lib` runs: made slow (30 s) by a finder the child installs first.
SLOW_PACKAGE_IMPORT = """
import sys, time

class SlowLibrary:
    def find_spec(self, name, path=None, target=None):
        if name == "pipeline_lib":
            sys.meta_path.remove(self)
            print("importing pipeline_lib", file=sys.stderr, flush=True)
            time.sleep(30)
        return None

sys.meta_path.insert(0, SlowLibrary())
"""


@POSIX
@pytest.mark.parametrize(("signum", "status"), SIGNALS)
def test_a_signal_while_the_library_is_still_importing_exits_130_or_143(
    signum: int, status: int
) -> None:
    process = subprocess.Popen(
        [*_consoleScript(SLOW_PACKAGE_IMPORT), *LONG_DEMO],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    assert process.stderr.readline().strip() == "importing pipeline_lib"
    process.send_signal(signum)
    _, rest = process.communicate(timeout=60)
    assert process.returncode == status, rest
    assert "Traceback" not in rest
    assert rest.strip() == "pipeline-lib: interrupted"


def _handlersInstalled(pid: int) -> bool:
    """Whether the process catches SIGTERM: Python never does by itself, our handlers do."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signal.SIGTERM - 1) & 1)
    raise AssertionError("no SigCgt line")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
@pytest.mark.parametrize(("signum", "status"), SIGNALS)
def test_a_signal_at_any_moment_once_the_launcher_runs_exits_130_or_143(
    signum: int, status: int
) -> None:
    """Signals at several delays after spawn; each one sent after the handlers were in
    place (seen in /proc, not timed) must give 130/143 and no traceback. One sent during
    the interpreter's own start-up may get Python's defaults: that window is not ours."""
    covered = 0
    for delay in (0.0, 0.01, 0.05, 0.2, 0.5, 1.5):
        process = subprocess.Popen(
            [*_consoleScript(), *LONG_DEMO],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        installed = _handlersInstalled(process.pid)  # they are never removed while it runs
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)
        if installed:
            covered += 1
            assert process.returncode == status, (delay, err)
            assert "Traceback" not in err, (delay, err)
            assert "interrupted" in err, (delay, err)
    assert covered >= 1, "no signal arrived after the handlers were installed: nothing tested"

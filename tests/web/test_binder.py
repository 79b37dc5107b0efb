"""The Binder configuration (repo2docker's binder/ folder) installs what a student gets.

No Docker engine runs here, so Binder itself is not started; these pin what its documented
files say: the Python that CI tests the notebooks on, and the `lab` extra at the locked
versions, installed from the repository's root.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"


def test_binder_runs_the_python_the_notebooks_are_tested_on() -> None:
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), runtime
    # The notebooks are executed and checked on the oldest supported Python (make test's
    # python3); the other Pythons run only the unit tests, so compare with the minimum.
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert required.startswith(">="), required
    assert runtime == f"python-{required[2:]}"


def test_post_build_installs_the_lab_extra_at_the_locked_versions() -> None:
    script = BINDER / "postBuild"
    assert os.access(script, os.X_OK), "repo2docker runs postBuild only when it is executable"
    command = [line for line in script.read_text().splitlines() if "pip install" in line]
    assert len(command) == 1
    extra = re.search(r'"\.\[(\w+)\]"', command[0])
    assert extra is not None and extra[1] == "lab"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert "lab" in extras, "pyproject.toml has no `lab` extra for Binder to install"
    lock = re.search(r"--constraint (\S+)", command[0])
    assert lock is not None and (ROOT / lock[1]).is_file(), "the lock postBuild names is missing"

"""The repository's own promises: pins that cannot drift, an import that stays light."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pyprojectRequirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return {_normalise(r) for r in [*project["dependencies"], *extras["dev"]]}


def _condaRequirements() -> set[str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("dependencies:")
    entries = [line.strip()[2:] for line in lines[start + 1 :] if line.strip().startswith("- ")]
    return {_normalise(e) for e in entries if not e.startswith(("python", "pip"))}


def _normalise(requirement: str) -> str:
    name, spec = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", requirement).groups()  # type: ignore[union-attr]
    return f"{name.lower().replace('_', '-')}{spec.replace(' ', '')}"


def test_environment_yml_pins_the_same_packages_as_pyproject() -> None:
    assert _condaRequirements() == _pyprojectRequirements()


def test_importing_pipeline_lib_does_not_import_plotting_or_widget_libraries() -> None:
    code = (
        "import sys, pipeline_lib, pipeline_lib.naive, pipeline_lib.faults\n"
        "heavy = [m for m in ('matplotlib', 'ipywidgets', 'IPython') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_every_public_name_is_exported_and_documented() -> None:
    import pipeline_lib

    for name in pipeline_lib.__all__:
        obj = getattr(pipeline_lib, name)
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"

"""The repository's own promises: a name of its own, a student install, a lock that holds.

Fast tests read the files (pyproject.toml, constraints.txt, environment.yml, Makefile,
scripts/dev.py). The ``slow`` ones build the sdist and the wheel, run the unpacked
sdist's own tests, and install the ``lab`` extra into a fresh venv that runs notebooks:
``make test`` runs them once, on the main Python; ``make test-pythons`` skips them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
LOCK = ROOT / "constraints.txt"
DISTRIBUTION = "pipeline-lib-course"
# What a student needs, nothing else (notebook 07 is a jupyterquiz quiz).
LAB_PACKAGES = {"jupyterlab", "ipykernel", "ipywidgets", "jupyterquiz", "matplotlib"}
# The classroom and the command line live in subpackages (issue 13's layout).
LAYOUT = ("widgets", "exercises", "cli", "plotting")
UNIT_ONLY = ("-m", "not browser and not slow")
DEV_TOOLS = ("pytest", "mypy", "ruff", "hypothesis", "playwright", "nbval", "uv")


def _loadDevScript() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "scripts" / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dev = _loadDevScript()


def _extra(name: str) -> list[Requirement]:
    return [Requirement(r) for r in PROJECT["optional-dependencies"][name]]


def _lockPins() -> dict[str, list[tuple[Version, str]]]:
    """Package -> [(version, marker)] from constraints.txt (a package may have one per Python)."""
    pins: dict[str, list[tuple[Version, str]]] = {}
    for line in LOCK.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier  # exactly one ==
        assert specifier.operator == "==", f"constraints.txt: {line!r} is not an exact pin"
        pins.setdefault(canonicalize_name(requirement.name), []).append(
            (Version(specifier.version), str(requirement.marker or ""))
        )
    return pins


def _makefileVariable(name: str) -> str:
    match = re.search(rf"^{name}\s*:?=\s*(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, f"Makefile defines no {name}"
    return match.group(1).strip()


# --- 1. A name of its own ---------------------------------------------------------------


def test_distribution_has_its_own_name_and_the_readme_says_both_names() -> None:
    assert PROJECT["name"] == DISTRIBUTION
    assert canonicalize_name(PROJECT["name"]) != "pipeline-lib"  # someone else's project
    readme = (ROOT / "README.md").read_text()
    assert DISTRIBUTION in readme and "import pipeline_lib" in readme


def test_readme_first_screen_is_the_two_make_commands() -> None:
    firstScreen = (ROOT / "README.md").read_text().split("\n## ", 1)[0]
    commands = re.findall(r"^make \w+", firstScreen, re.MULTILINE)
    assert commands == ["make lab", "make test"]


# --- 2. A student install ---------------------------------------------------------------


def test_lab_extra_is_what_a_student_needs_and_nothing_else() -> None:
    assert {canonicalize_name(r.name) for r in _extra("lab")} == LAB_PACKAGES


def test_dev_extra_contains_the_lab_extra_so_a_dev_install_satisfies_make_lab() -> None:
    devRequirements = {canonicalize_name(r.name): r.specifier for r in _extra("dev")}
    for requirement in _extra("lab"):
        assert devRequirements.get(canonicalize_name(requirement.name)) == requirement.specifier
    assert dev.STAMPS["dev"] == (".installed-stamp", ".lab-stamp")


# --- 3. The lock -------------------------------------------------------------------------


def test_lock_pins_every_requirement_of_every_extra_within_its_range() -> None:
    pins = _lockPins()
    for extra in PROJECT["optional-dependencies"]:
        for requirement in _extra(extra):
            name = canonicalize_name(requirement.name)
            assert name in pins, f"constraints.txt lacks {name} ({extra} extra): run `make lock`"
            for version, marker in pins[name]:
                assert requirement.specifier.contains(version, prereleases=True), (
                    f"constraints.txt pins {name}=={version} ({marker or 'all'}), "
                    f"outside pyproject's {requirement.specifier}: run `make lock`"
                )


def test_lock_resolves_for_every_tested_python_and_not_for_the_project_itself() -> None:
    pins = _lockPins()
    assert canonicalize_name(DISTRIBUTION) not in pins
    header = LOCK.read_text().splitlines()[:2]
    assert header[1].strip() == "#    make lock"  # the documented refresh command
    # A universal lock: a package split by Python version has a pin for each of them.
    for name, entries in pins.items():
        for python in ("3.11.7", "3.12.1", "3.13.0"):
            environment = {"python_full_version": python, "python_version": python[:4]}
            applying = [v for v, marker in entries if _markerApplies(marker, environment)]
            assert len(applying) <= 1, f"{name}: two pins apply on Python {python}"


def _markerApplies(marker: str, environment: dict[str, str]) -> bool:
    if not marker:
        return True
    return Requirement(f"x ; {marker}").marker.evaluate(environment)  # type: ignore[union-attr]


def test_make_and_dev_script_install_with_the_lock() -> None:
    assert _makefileVariable("LOCK") == dev.LOCK == LOCK.name
    (command,) = [c for c in dev.installCommands("lab", Path("/nonexistent")) if "pip" in c]
    assert command[command.index("--constraint") + 1] == LOCK.name
    assert command[-1] == ".[lab]"


def test_environment_yml_installs_the_project_with_exactly_the_lock() -> None:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    (pipSection,) = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    # Conda brings only Python and pip: a conda pin could disagree with the lock.
    assert sorted(conda) == ["pip", f"python{_supportedPythonRange()}"]
    assert pipSection == [f"--constraint {LOCK.name}", "--editable .[lab]"]


def _supportedPythonRange() -> str:
    newest = max(_testedPythons(), key=Version)
    major, minor = newest.split(".")
    return f"{PROJECT['requires-python']},<{major}.{int(minor) + 1}"


# --- 4. Three Pythons ----------------------------------------------------------------------


def _testedPythons() -> list[str]:
    main = PROJECT["requires-python"].removeprefix(">=")
    return [main, *_makefileVariable("OTHER_PYTHONS").split()]


def test_classifiers_and_requires_python_say_what_ci_tests() -> None:
    assert _testedPythons() == ["3.11", "3.12", "3.13"]
    classified = [
        c.rsplit(" :: ", 1)[1]
        for c in PROJECT["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert classified == _testedPythons()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test\n" in ci and "make test-pythons" in ci


def test_find_python_takes_the_newest_pyenv_patch_that_really_is_that_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for release, reports in [("3.12.1", "3.12"), ("3.12.10", "3.12"), ("3.12.99", "3.11")]:
        python = tmp_path / ".pyenv" / "versions" / release / "bin" / "python"
        python.parent.mkdir(parents=True)
        python.write_text(f"#!/bin/sh\necho {reports}\n")
        python.chmod(0o755)
    monkeypatch.delenv("PYENV_ROOT", raising=False)
    emptyPath = str(tmp_path / "empty-path")
    # 3.12.99 claims to be 3.11: skipped; 3.12.10 is newer than 3.12.1 (numerically).
    expected = tmp_path / ".pyenv" / "versions" / "3.12.10" / "bin" / "python"
    assert dev.findPython("3.12", searchPath=emptyPath, home=tmp_path) == str(expected)
    assert dev.findPython("3.13", searchPath=emptyPath, home=tmp_path) is None


def test_find_python_finds_the_machines_own_interpreter() -> None:
    version = "{}.{}".format(*sys.version_info[:2])
    found = dev.findPython(version, searchPath=str(Path(sys.executable).parent))
    assert found is not None


def test_a_missing_python_is_skipped_locally_and_fails_when_required(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(dev, "findPython", lambda version: None)
    assert dev.testOtherPythons(["3.13"], dryRun=True, require=False) == 0
    assert dev.testOtherPythons(["3.13"], dryRun=True, require=True) == 1
    assert "no Python 3.13 found" in capsys.readouterr().err


def test_other_pythons_run_the_unit_tests_in_their_own_venv_without_slow_or_browser_tests(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(dev, "findPython", lambda version: f"/opt/python{version}")
    monkeypatch.chdir(tmp_path)  # no .venv-3.13 here yet, and no .venv with uv: pip
    assert dev.testOtherPythons(["3.13"], dryRun=True, require=True) == 0
    assert capsys.readouterr().out.splitlines() == [
        "+ /opt/python3.13 -m venv .venv-3.13",
        "+ .venv-3.13/bin/python -m pip install --quiet --constraint constraints.txt"
        " --editable .[dev]",
        "+ .venv-3.13/bin/python -m pytest -p no:cacheprovider -q -m not browser and not slow",
    ]


def test_other_pythons_install_with_the_main_venvs_uv_and_the_same_lock(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(dev, "findPython", lambda version: f"/opt/python{version}")
    monkeypatch.chdir(tmp_path)
    uv = dev.venvExecutable(Path(".venv"), "uv")
    uv.parent.mkdir(parents=True)
    uv.touch()
    assert dev.testOtherPythons(["3.12"], dryRun=True, require=True) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [
        "+ .venv/bin/uv venv --quiet --seed --python /opt/python3.12 .venv-3.12",
        "+ .venv/bin/uv pip install --quiet --python .venv-3.12/bin/python"
        " --constraint constraints.txt --editable .[dev]",
    ]


def test_parallel_sessions_each_print_their_log_and_a_failure_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    passing, failing = tmp_path / ".venv-3.12", tmp_path / ".venv-3.13"
    passing.mkdir()
    failing.mkdir()
    sessions = [
        (passing, [sys.executable, "-c", "print('12 passed')"]),
        (failing, [sys.executable, "-c", "import sys; print('1 failed'); sys.exit(1)"]),
    ]
    assert dev._runSessions(sessions, dryRun=False, parallel=True) == [failing]
    last = capsys.readouterr().out.splitlines()[-4:]
    assert [line.split(":")[0] for line in last] == [
        f"== {passing}",
        "12 passed",
        f"== {failing}",
        "1 failed",
    ]


# --- 5. Licence and metadata ---------------------------------------------------------------


def test_licence_is_mit_everywhere() -> None:
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert PROJECT["license"] == "MIT"  # an SPDX expression, not the deprecated table
    assert PROJECT["license-files"] == ["LICENSE"]
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["license"] == "MIT" and citation["version"] == PROJECT["version"]
    assert citation["cff-version"] == "1.2.0" and citation["authors"]


def test_contributing_says_how_to_add_a_notebook_reexecute_and_check() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text()
    for needed in ("## Add a notebook", "scripts/execute_notebooks.py", "make test", "make lock"):
        assert needed in text


# --- 10. Without make -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "python", "jupyter"),
    [
        ("win32", ".venv/Scripts/python.exe", ".venv/Scripts/jupyter.exe"),
        ("darwin", ".venv/bin/python", ".venv/bin/jupyter"),
        ("linux", ".venv/bin/python", ".venv/bin/jupyter"),
    ],
)
def test_dev_script_uses_each_platforms_venv_layout(
    platform: str, python: str, jupyter: str, tmp_path: Path
) -> None:
    missing = tmp_path / "nothing-here"
    create, pipInstall = dev.installCommands("dev", missing, "base-python", platform)
    assert create == ["base-python", "-m", "venv", str(missing)]
    assert Path(pipInstall[0]).relative_to(missing).as_posix() == python.removeprefix(".venv/")
    assert pipInstall[-2:] == ["--editable", ".[dev]"]
    lab = dev.labCommand(Path(".venv"), platform, isRoot=False)
    assert Path(lab[0]).as_posix() == jupyter and "--allow-root" not in lab
    assert "--allow-root" in dev.labCommand(Path(".venv"), platform, isRoot=True)


def test_dev_script_doctests_pass() -> None:
    import doctest

    failed, attempted = doctest.testmod(dev)
    assert (failed, attempted > 0) == (0, True)


def test_dev_script_does_not_recreate_an_existing_venv(tmp_path: Path) -> None:
    python = dev.venvExecutable(tmp_path, "python")
    python.parent.mkdir(parents=True)
    python.touch()
    (only,) = dev.installCommands("lab", tmp_path)
    assert only[:3] == [str(python), "-m", "pip"]


def test_dev_script_removes_the_project_installed_under_its_old_name(tmp_path: Path) -> None:
    python = dev.venvExecutable(tmp_path, "python")
    python.parent.mkdir(parents=True)
    python.touch()
    sitePackages = tmp_path / "lib" / "python3.11" / "site-packages"
    (sitePackages / "pipeline_lib_course-0.2.0.dist-info").mkdir(parents=True)
    assert len(dev.installCommands("lab", tmp_path)) == 1  # the new name alone: nothing to do
    (sitePackages / "pipeline_lib-0.2.0.dist-info").mkdir()
    uninstall, _ = dev.installCommands("lab", tmp_path)
    assert uninstall == [str(python), "-m", "pip", "uninstall", "--yes", "pipeline_lib"]


def _fakePython(folder: Path, version: str) -> Path:
    """An executable that answers dev.py's version question as Python ``version`` would."""
    major, minor = version.split(".")
    folder.mkdir(parents=True, exist_ok=True)
    fake = folder / "python"
    fake.write_text(f"#!/bin/sh\necho {major} {minor}\n")
    fake.chmod(0o755)
    return fake


def test_dev_script_needs_the_python_pyproject_requires() -> None:
    required = PROJECT["requires-python"].removeprefix(">=")
    assert ".".join(map(str, dev.MIN_PYTHON)) == required


@pytest.mark.skipif(sys.platform == "win32", reason="the fake interpreter is a shell script")
def test_dev_script_refuses_a_python_too_old_before_installing_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """macOS's own python3 is 3.9: pip's refusal would not say so ("ResolutionImpossible")."""
    old = _fakePython(tmp_path / "old", "3.9")
    venv = tmp_path / "venv"
    assert dev.main(["install", "lab", "--venv", str(venv), "--python", str(old)]) == 1
    assert not venv.exists(), "nothing was created"
    message = capsys.readouterr().err
    assert f"{old} is Python 3.9" in message and "3.11 or newer" in message
    assert "make PYTHON=python3.12 lab" in message and "py -3.12" in message
    assert dev.tooOldProblem(venv, str(_fakePython(tmp_path / "new", "3.12"))) is None


@pytest.mark.skipif(sys.platform == "win32", reason="the fake interpreter is a shell script")
def test_dev_script_refuses_a_venv_made_with_an_old_python_instead_of_reusing_it(
    tmp_path: Path,
) -> None:
    """A venv is reused, not recreated: one made by an old Python would fail forever."""
    venv = tmp_path / "venv"
    _fakePython(venv / "bin", "3.10")
    problem = dev.tooOldProblem(venv, sys.executable, "linux")
    assert problem is not None
    assert "made with Python 3.10" in problem and f"Delete the folder {venv}" in problem
    assert "make PYTHON" not in problem, "this Python is new enough: only the folder is wrong"
    _fakePython(venv / "bin", "3.11")
    assert dev.tooOldProblem(venv, sys.executable, "linux") is None


def test_dev_script_rejects_an_unknown_extra() -> None:
    with pytest.raises(ValueError, match=r"extra must be one of \('lab', 'dev'\), got 'widgets'"):
        dev.installCommands("widgets", Path(".venv"))


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("step", ["lint", "typecheck", "unit", "notebooks-check"])
def test_dev_script_runs_the_same_checks_as_make_test(step: str) -> None:
    """`python scripts/dev.py test` and `make test` must not drift apart.

    Install prerequisites are taken as done (``-o``): the venv, and web/'s ``npm ci``,
    which make runs only where node_modules is missing (the tests in tests/web skip then,
    outside CI, as they do under dev.py on a machine without Node).
    """
    installs = ["-o", ".venv/.installed-stamp", "-o", "web/node_modules/.package-lock.json"]
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", *installs, step],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    madeCommands = [shlex.split(line) for line in result.stdout.splitlines() if line.strip()]
    assert madeCommands == dev.checkCommands(Path(".venv"), "linux")[step]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_lock_and_dev_script_lock_run_the_same_command() -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", ".venv/.installed-stamp", "lock"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shlex.split(result.stdout) == dev.lockCommand(Path(".venv"), "linux")


def test_dev_script_test_dry_run_lists_every_check_in_order(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dev, "isStale", lambda venv, extra: False)
    assert dev.main(["--dry-run", "test"]) == 0
    printed = [line.split()[1:3] for line in capsys.readouterr().out.splitlines()]
    assert printed == [
        [".venv/bin/ruff", "check"],
        [".venv/bin/ruff", "format"],
        [".venv/bin/mypy"],
        [".venv/bin/python", "-m"],
        [".venv/bin/python", "-m"],
    ]


# --- The light import (unchanged promise) ---------------------------------------------------


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


# --- Slow: build, unpack, install (once, on the main Python) --------------------------------


def _buildWith(backendCall: str, source: Path, out: Path) -> tuple[Path, str]:
    """Run setuptools' PEP 517 hook in ``source``; the built file and everything printed."""
    code = f"from setuptools import build_meta; print(build_meta.{backendCall}({str(out)!r}))"
    result = subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return out / result.stdout.strip().splitlines()[-1], result.stdout + result.stderr


@pytest.fixture(scope="module")
def builtSdist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, str]]:
    """The sdist built from this checkout, unpacked: (sdist, unpacked folder, build output)."""
    out = tmp_path_factory.mktemp("sdist")
    sdist, printed = _buildWith("build_sdist", ROOT, out)
    with tarfile.open(sdist) as archive:
        archive.extractall(out, filter="data")
    yield sdist, out / sdist.name.removesuffix(".tar.gz"), printed


@pytest.mark.slow
def test_wheel_built_from_the_sdist_carries_licence_subpackages_and_py_typed(
    builtSdist: tuple[Path, Path, str], tmp_path: Path
) -> None:
    _, unpacked, sdistOutput = builtSdist
    wheel, wheelOutput = _buildWith("build_wheel", unpacked, tmp_path)
    for printed in (sdistOutput, wheelOutput):
        assert "Warning" not in printed and "deprecat" not in printed.lower(), printed
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (metadataName,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadataName).decode()
    distInfo = metadataName.removesuffix("METADATA")
    assert f"{distInfo}licenses/LICENSE" in names
    for header in (
        f"Name: {DISTRIBUTION}",
        "License-Expression: MIT",
        "License-File: LICENSE",
        "Requires-Python: >=3.11",
        "Provides-Extra: lab",
    ):
        assert header in metadata.splitlines()
    subpackages = {
        p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "pipeline_lib").rglob("__init__.py")
    }
    assert {"pipeline_lib", *(f"pipeline_lib/{name}" for name in LAYOUT)} <= subpackages
    for package in subpackages:
        assert f"{package}/__init__.py" in names, f"the wheel lacks {package}"
    assert "pipeline_lib/py.typed" in names
    assert not any(n.startswith(("tests/", "notebooks/")) for n in names)
    # The console script's launcher sits outside the package (it must not import it).
    assert "pipeline_lib_launcher.py" in names
    with zipfile.ZipFile(wheel) as archive:
        entryPoints = archive.read(f"{distInfo}entry_points.txt").decode()
    assert "pipeline-lib = pipeline_lib_launcher:main" in entryPoints.splitlines()


@pytest.mark.slow
def test_sdist_ships_what_its_tests_need_and_no_build_or_venv_debris(
    builtSdist: tuple[Path, Path, str],
) -> None:
    sdist, unpacked, _ = builtSdist
    for needed in (
        "tests/conftest.py",
        "tests/browser_harness.py",
        "tests/nbval_sanitize.cfg",
        "tests/notebooks/widgets_demo.ipynb",
        "notebooks/00_start_here.ipynb",
        "notebooks/CONVENTIONS.md",
        "examples/sensors_to_csv.toml",
        "examples/data/readings.csv",
        "scripts/execute_notebooks.py",
        "scripts/dev.py",
        "constraints.txt",
        "environment.yml",
        "Makefile",
        "LICENSE",
        "CITATION.cff",
    ):
        assert (unpacked / needed).is_file(), f"the sdist lacks {needed}"
    for tracked in _gitFiles("notebooks", "tests", "examples"):
        assert (unpacked / tracked).exists(), f"the sdist lacks {tracked}"
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    debris = ("/.venv", "__pycache__", ".ipynb_checkpoints", ".sqlite")
    assert not [m for m in members if any(d in m for d in debris)]


def _gitFiles(*folders: str) -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return []
    result = subprocess.run(
        ["git", "ls-files", *folders], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.split()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_unpacked_sdist_passes_its_own_unit_tests(builtSdist: tuple[Path, Path, str]) -> None:
    _, unpacked, _ = builtSdist
    # `python -m pytest` puts the unpacked folder first on sys.path: its pipeline_lib is tested.
    where = subprocess.run(
        [sys.executable, "-c", "import pipeline_lib; print(pipeline_lib.__file__)"],
        cwd=unpacked,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(unpacked)
    # The unpacked sdist has not run `npm ci` in web/: its site and slides tests skip there
    # rather than fail, as on any machine where they cannot run (they run in this checkout).
    environment = {k: v for k, v in os.environ.items() if k != "PIPELINE_LIB_REQUIRE_BROWSER"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *UNIT_ONLY],
        cwd=unpacked,
        capture_output=True,
        text=True,
        timeout=840,
        env=environment,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\d+ passed", result.stdout)


def _nbconvert(venv: Path) -> list[str]:
    return [str(dev.venvExecutable(venv, "jupyter")), "nbconvert", "--to", "notebook", "--execute"]


@pytest.fixture(scope="module")
def labVenv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the lab extra, installed the way `make lab` does it."""
    venv = tmp_path_factory.mktemp("labvenv") / "venv"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "dev.py"), "install", "lab", "--venv", str(venv)],
        check=True,
        timeout=840,
        capture_output=True,
    )
    return venv


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_fresh_lab_venv_has_a_kernel_and_only_the_students_packages(labVenv: Path) -> None:
    jupyter = dev.venvExecutable(labVenv, "jupyter")
    specs = json.loads(
        subprocess.run(
            [str(jupyter), "kernelspec", "list", "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )["kernelspecs"]
    assert "python3" in specs
    python = str(dev.venvExecutable(labVenv, "python"))
    for tool in DEV_TOOLS:
        found = subprocess.run(
            [python, "-c", f"import importlib.util as u; print(u.find_spec({tool!r}) is None)"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert found.stdout.strip() == "True", f"the lab extra brought in {tool}"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_fresh_lab_venv_runs_a_notebook_with_widgets_and_a_plot(
    labVenv: Path, tmp_path: Path
) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [
        nbformat.v4.new_code_cell("import sys, pipeline_lib\nprint(sys.prefix)"),
        nbformat.v4.new_code_cell("from pipeline_lib.widgets import FailureLab\nFailureLab()"),
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()"
        ),
    ]
    source = tmp_path / "student.ipynb"
    nbformat.write(notebook, source)
    subprocess.run(
        [*_nbconvert(labVenv), "--output", "executed.ipynb", str(source)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=300,
    )
    executed = nbformat.read(tmp_path / "executed.ipynb", as_version=4)
    prefix, widget, plot = (cell.outputs for cell in executed.cells)
    assert Path(prefix[0]["text"].strip()).resolve() == labVenv.resolve()
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in widget)
    assert any("image/png" in o.get("data", {}) for o in plot)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_fresh_lab_venv_runs_the_first_notebook_of_the_series(
    labVenv: Path, tmp_path: Path
) -> None:
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    result = subprocess.run(
        [*_nbconvert(labVenv), "--output-dir", str(tmp_path / "out"), "00_start_here.ipynb"],
        cwd=tmp_path / "notebooks",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]

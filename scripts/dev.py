"""The Makefile's two commands without make, for Windows, macOS and Linux alike.

    python scripts/dev.py lab      # first time: create .venv with the `lab` extra; then JupyterLab
    python scripts/dev.py test     # first time: create .venv with the `dev` extra; then every check

(``py scripts/dev.py ...`` on Windows.) Both install with the committed lock
(``constraints.txt``), so every student gets the same versions. Other commands:

    python scripts/dev.py install lab|dev [--venv DIR] [--python PYTHON]   # only the install
    python scripts/dev.py pythons 3.12 3.13    # unit and property tests on other Pythons
    python scripts/dev.py lock                 # refresh constraints.txt (the same as `make lock`)
    python scripts/dev.py find-python 3.13     # print where that Python is, or fail

``--dry-run`` prints the commands instead of running them. The Makefile calls this
script for installs and the other Pythons, so both ways install the same thing.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # so that an old Python gets as far as saying it is too old (3.7 and up)
    from collections.abc import Sequence

    Command = list[str]

ROOT = Path(__file__).resolve().parent.parent
LOCK = "constraints.txt"
VENV = ".venv"
EXTRAS = ("lab", "dev")
# pyproject.toml's requires-python (tests/test_packaging.py keeps the two equal). Checked
# before anything is installed: pip's own refusal ("ResolutionImpossible") names no Python.
MIN_PYTHON = (3, 11)
OLD_DISTRIBUTION = "pipeline_lib"  # the project's name before it had one of its own
# The dev extra contains the lab extra (tests/test_packaging.py checks it), so a dev
# install also satisfies `lab`.
STAMPS = {"lab": (".lab-stamp",), "dev": (".installed-stamp", ".lab-stamp")}
# The unit and property tests; browser tests and the slow install/build tests run once,
# on the main Python (`make test`).
OTHER_PYTHONS_MARKERS = "not browser and not slow"


class TooOldPython(Exception):
    """The interpreter (or the existing venv's) is older than ``MIN_PYTHON``."""


def venvExecutable(venv: Path, name: str, platform: str = sys.platform) -> Path:
    """Where a venv keeps ``name``: ``Scripts\\name.exe`` on Windows, else ``bin/name``.

    >>> venvExecutable(Path(".venv"), "python", "linux").as_posix()
    '.venv/bin/python'
    >>> venvExecutable(Path(".venv"), "jupyter", "win32").as_posix()
    '.venv/Scripts/jupyter.exe'
    """
    if platform == "win32":
        return venv / "Scripts" / f"{name}.exe"
    return venv / "bin" / name


def installCommands(
    extra: str,
    venv: Path,
    python: str = sys.executable,
    platform: str = sys.platform,
    uv: str | None = None,
) -> list[Command]:
    """Create ``venv`` if it is missing, then install the project with ``extra`` and the lock.

    With ``uv`` (a path to it) the same install is done by uv: the same pins, fetched in
    parallel and cached, which keeps CI's extra Pythons quick. Students get pip.
    """
    if extra not in EXTRAS:
        raise ValueError(f"dev.py install: extra must be one of {EXTRAS}, got {extra!r}")
    commands: list[Command] = []
    venvPython = str(venvExecutable(venv, "python", platform))
    exists = Path(venvPython).exists()
    project = ["--constraint", LOCK, "--editable", f".[{extra}]"]
    if uv is None:
        if not exists:
            commands.append([python, "-m", "venv", str(venv)])
        if hasOldDistribution(venv):
            commands.append([venvPython, "-m", "pip", "uninstall", "--yes", OLD_DISTRIBUTION])
        commands.append([venvPython, "-m", "pip", "install", "--quiet", *project])
    else:
        if not exists:
            commands.append([uv, "venv", "--quiet", "--seed", "--python", python, str(venv)])
        commands.append([uv, "pip", "install", "--quiet", "--python", venvPython, *project])
    return commands


def hasOldDistribution(venv: Path) -> bool:
    """Does ``venv`` still hold this project under its old name (``pipeline_lib`` 0.2 and before)?

    pip does not replace a distribution that changed its name: both would stay
    installed, and ``importlib.metadata`` would go on reporting the old one.
    """
    sitePackages = [*venv.glob("lib/python3*/site-packages"), venv / "Lib" / "site-packages"]
    return any(any(folder.glob(f"{OLD_DISTRIBUTION}-*.dist-info")) for folder in sitePackages)


def checkCommands(venv: Path, platform: str = sys.platform) -> dict[str, list[Command]]:
    """``make test``'s steps, in order: lint, types, unit tests, every notebook (nbval)."""

    def tool(name: str) -> str:
        return str(venvExecutable(venv, name, platform))

    python = tool("python")
    return {
        "lint": [[tool("ruff"), "check", "."], [tool("ruff"), "format", "--check", "."]],
        "typecheck": [[tool("mypy")]],
        "unit": [[python, "-m", "pytest"]],
        "notebooks-check": [
            [
                python,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "--nbval",
                "--nbval-current-env",
                "--nbval-sanitize-with",
                "tests/nbval_sanitize.cfg",
                "-o",
                "addopts=",
                "-o",
                "testpaths=",
                "notebooks",
            ]
        ],
    }


def labCommand(venv: Path, platform: str = sys.platform, isRoot: bool | None = None) -> Command:
    """JupyterLab on 127.0.0.1 over ``notebooks/``; ``--allow-root`` when root (CI, containers)."""
    if isRoot is None:
        geteuid = getattr(os, "geteuid", None)  # absent on Windows
        isRoot = geteuid is not None and geteuid() == 0
    command = [
        str(venvExecutable(venv, "jupyter", platform)),
        "lab",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.root_dir=notebooks",
    ]
    return [*command, "--allow-root"] if isRoot else command


def lockCommand(venv: Path, platform: str = sys.platform) -> Command:
    """One resolution for every supported Python and platform, written to ``constraints.txt``."""
    return [
        str(venvExecutable(venv, "uv", platform)),
        "pip",
        "compile",
        "pyproject.toml",
        "--all-extras",
        "--universal",
        "--python-version",
        "3.11",
        "--upgrade",
        "--quiet",
        "--custom-compile-command",
        "make lock",
        "--output-file",
        LOCK,
    ]


def isStale(venv: Path, extra: str) -> bool:
    """True when ``venv`` lacks ``extra``'s stamp, or it is older than pyproject or the lock."""
    stamp = venv / STAMPS[extra][0]
    if not stamp.exists():
        return True
    newest = max(Path(name).stat().st_mtime for name in ("pyproject.toml", LOCK))
    return stamp.stat().st_mtime < newest


def findPython(version: str, searchPath: str | None = None, home: Path | None = None) -> str | None:
    """An interpreter for ``version`` (e.g. ``"3.13"``): on PATH, else pyenv's newest patch release.

    Each candidate is asked for its version, so a stray symlink cannot pass for another Python.
    """
    candidates: list[str] = []
    onPath = shutil.which(f"python{version}", path=searchPath)
    if onPath:
        candidates.append(onPath)
    pyenvRoot = Path(os.environ.get("PYENV_ROOT", (home or Path.home()) / ".pyenv"))
    pattern = str(pyenvRoot / "versions" / f"{version}.*" / "bin" / "python")
    candidates += sorted(glob.glob(pattern), key=_patchNumber, reverse=True)
    for candidate in candidates:
        if _reportsVersion(candidate, version):
            return candidate
    return None


def _patchNumber(path: str) -> int:
    release = Path(path).parent.parent.name  # .../versions/3.12.1/bin/python -> 3.12.1
    patch = release.split(".")[2] if release.count(".") >= 2 else ""
    return int(patch) if patch.isdigit() else -1


def _reportsVersion(python: str, version: str) -> bool:
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and result.stdout.strip() == version


def run(commands: Sequence[Command], dryRun: bool) -> None:
    """Run each command (from the repository root: ``main`` moves there), stopping at a failure."""
    for command in commands:
        print("+", " ".join(command), flush=True)
        if not dryRun:
            subprocess.run(command, check=True)


def pythonVersion(python: str) -> tuple[int, int] | None:
    """The ``(major, minor)`` version ``python`` reports, or ``None`` when it does not run."""
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        major, minor = result.stdout.split()
        return int(major), int(minor)
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None


def tooOldProblem(venv: Path, python: str, platform: str = sys.platform) -> str | None:
    """Why ``venv`` cannot get the project from ``python`` (too old a Python), or ``None``.

    An existing venv is judged by its own interpreter: it is reused, not recreated, so a
    venv once made with an old Python would fail the same way after a new one is installed.

    >>> tooOldProblem(Path("no-such-venv"), sys.executable) is None   # this Python is fine
    True
    """
    venvPython = venvExecutable(venv, "python", platform)
    existing = venvPython.exists()
    version = pythonVersion(str(venvPython) if existing else python)
    if version is None or version >= MIN_PYTHON:
        return None  # a Python that does not run at all fails loudly in the next step
    found, needed = _dotted(version), _dotted(MIN_PYTHON)
    if not existing:
        return (
            f"dev.py: pipeline_lib needs Python {needed} or newer; {python} is Python {found}."
            f"\n{_newerPythonAdvice()}"
        )
    problem = (
        f"dev.py: {venv} was made with Python {found}, but pipeline_lib needs {needed} or "
        f"newer. Delete the folder {venv}, then run this again."
    )
    ownVersion = pythonVersion(python)
    if ownVersion is not None and ownVersion < MIN_PYTHON:
        problem += f" {python} is Python {_dotted(ownVersion)} too:\n{_newerPythonAdvice()}"
    return problem


def _dotted(version: tuple[int, int]) -> str:
    return ".".join(map(str, version))


def _newerPythonAdvice() -> str:
    return (
        "Install Python 3.11, 3.12 or 3.13 (python.org, Homebrew, or your package manager),\n"
        "then run with it:  make PYTHON=python3.12 lab   or   python3.12 scripts/dev.py lab\n"
        "(Windows:  py -3.12 scripts\\dev.py lab)"
    )


def install(extra: str, venv: Path, python: str, dryRun: bool, uv: str | None = None) -> None:
    """Install and touch the stamps the Makefile reads; refuse a Python that is too old."""
    problem = tooOldProblem(venv, python)
    if problem is not None:
        raise TooOldPython(problem)
    run(installCommands(extra, venv, python, uv=uv), dryRun)
    if not dryRun:
        for stamp in STAMPS[extra]:
            (venv / stamp).touch()


def testOtherPythons(
    versions: Sequence[str], dryRun: bool, require: bool, parallel: bool = False
) -> int:
    """Unit and property tests on each version in its own ``.venv-X.Y``; 1 if any fails.

    A missing version is only reported unless ``require`` (CI) makes it a failure.
    ``parallel`` runs the versions' test sessions side by side (one core each), each
    writing to ``.venv-X.Y/pytest.log``, printed when it ends.
    """
    missing, sessions = [], []
    mainUv = venvExecutable(Path(VENV), "uv")
    uv = str(mainUv) if mainUv.exists() else None  # the dev extra brings uv
    for version in versions:
        python = findPython(version)
        if python is None:
            missing.append(version)
            print(f"dev.py pythons: no Python {version} found (PATH, pyenv)", file=sys.stderr)
            continue
        venv = Path(f"{VENV}-{version}")
        install("dev", venv, python, dryRun, uv)
        testPython = str(venvExecutable(venv, "python"))
        sessions.append(
            (
                venv,
                [
                    testPython,
                    "-m",
                    "pytest",
                    "-p",
                    "no:cacheprovider",
                    "-q",
                    "-m",
                    OTHER_PYTHONS_MARKERS,
                ],
            )
        )
    failed = [str(venv) for venv in _runSessions(sessions, dryRun, parallel)]
    if failed:
        print(f"dev.py pythons: tests failed in {', '.join(failed)}", file=sys.stderr)
    if missing and require:
        print(f"dev.py pythons: missing {', '.join(missing)}: failing (CI)", file=sys.stderr)
    return 1 if failed or (missing and require) else 0


def _runSessions(sessions: list[tuple[Path, Command]], dryRun: bool, parallel: bool) -> list[Path]:
    """Run each venv's test command; the venvs whose tests failed."""
    for _, command in sessions:
        print("+", " ".join(command), flush=True)
    if dryRun:
        return []
    if not parallel:
        return [venv for venv, command in sessions if subprocess.run(command).returncode != 0]
    running = []
    for venv, command in sessions:
        log = (venv / "pytest.log").open("w")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        running.append((venv, command, log, process))
    failed = []
    for venv, command, log, process in running:
        returnCode = process.wait()
        log.close()
        print(f"== {venv}: {' '.join(command)}", flush=True)
        print((venv / "pytest.log").read_text(), end="", flush=True)
        if returnCode != 0:
            failed.append(venv)
    return failed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("lab", help="install the lab extra if needed, then start JupyterLab")
    sub.add_parser("test", help="install the dev extra if needed, then run every check")
    installParser = sub.add_parser("install", help="(re)install the project with an extra")
    installParser.add_argument("extra", choices=EXTRAS)
    installParser.add_argument("--venv", default=VENV)
    installParser.add_argument("--python", default=sys.executable)
    pythonsParser = sub.add_parser("pythons", help="unit and property tests on other Pythons")
    pythonsParser.add_argument("versions", nargs="+")
    pythonsParser.add_argument(
        "--require", action="store_true", help="fail when one is missing (default when CI=true)"
    )
    pythonsParser.add_argument(
        "--parallel", action="store_true", help="run the versions' tests side by side"
    )
    findParser = sub.add_parser("find-python", help="print the interpreter for a version")
    findParser.add_argument("version")
    sub.add_parser("lock", help="refresh constraints.txt with uv (needs the dev extra)")
    args = parser.parse_args(argv)

    os.chdir(ROOT)  # every path below is relative to the repository, as in the Makefile
    venv = Path(VENV)
    try:
        if args.command in ("lab", "test", "lock"):
            extra = "lab" if args.command == "lab" else "dev"
            if isStale(venv, extra):
                install(extra, venv, sys.executable, args.dry_run)
        if args.command == "lab":
            run([labCommand(venv)], args.dry_run)
        elif args.command == "test":
            run([c for step in checkCommands(venv).values() for c in step], args.dry_run)
        elif args.command == "lock":
            run([lockCommand(venv)], args.dry_run)
        elif args.command == "install":
            install(args.extra, Path(args.venv), args.python, args.dry_run)
        elif args.command == "pythons":
            require = args.require or os.environ.get("CI") == "true"
            return testOtherPythons(args.versions, args.dry_run, require, args.parallel)
        elif args.command == "find-python":
            found = findPython(args.version)
            if found is None:
                print(f"dev.py: no Python {args.version} found (PATH, pyenv)", file=sys.stderr)
                return 1
            print(found)
    except TooOldPython as error:
        print(error, file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"dev.py: {' '.join(error.cmd)} exited with {error.returncode}", file=sys.stderr)
        return error.returncode or 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

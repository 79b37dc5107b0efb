"""What a pipeline file may make us do: import the classes it names, and nothing more.

Issue 12.1: ``type = "os:system"`` ran a shell command under ``--dry-run``. Now a
user type must be a class whose instances have the role's method, judged without
calling it, and ``--dry-run`` constructs no user class at all.
"""

from __future__ import annotations

import io
import signal
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline_lib.cli import main
from pipeline_lib.cli.components import Problems, buildComponent

USER_MODULE = """
import pathlib

CONSTRUCTED = pathlib.Path(__file__).with_name("constructed.txt")


class Doubler:
    def __init__(self, factor=2):
        CONSTRUCTED.write_text("constructed")   # visible proof that it was called
        self.factor = factor

    def process(self, inputStream):
        for record in inputStream:
            yield record


class NoProcess:
    def __init__(self):
        CONSTRUCTED.write_text("constructed")


class WrongArity:
    def process(self):
        return iter(())


def makeStage(**kwargs):
    CONSTRUCTED.write_text("constructed")
"""


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def _file(folder: Path, stage: str, sink: str | None = None) -> Path:
    (folder / "userstages.py").write_text(USER_MODULE, encoding="utf-8")
    sink = sink or f'type = "CsvSink"\npath = "{folder / "out.csv"}"'
    path = folder / "p.toml"
    path.write_text(
        f'[source]\ntype = "SensorSource"\ncount = 5\n\n[[stages]]\n{stage}\n\n[sink]\n{sink}\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(autouse=True)
def _forgetUserModules() -> Any:
    yield
    sys.modules.pop("userstages", None)


@pytest.mark.parametrize(
    ("stage", "problem"),
    [
        ('type = "os:system"\ncommand = "touch pwned"', "is a function, not a class"),
        ('type = "builtins:open"\nfile = "victim.txt"\nmode = "w"', "is a function, not a class"),
        ('type = "builtins:dict"', "is one of Python's built-in types, not a stage"),
        ('type = "userstages:makeStage"', "is a function, not a class"),
        ('type = "userstages:NoProcess"', "it has no process() method"),
        ('type = "userstages:WrongArity"', "cannot be called as process(self, inputStream)"),
    ],
)
@pytest.mark.parametrize("dryRun", [True, False])
def test_a_type_that_is_not_a_stage_class_is_a_listed_problem_never_a_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str, problem: str, dryRun: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    path = _file(tmp_path, stage)
    status, _, err = _run("run", *(["--dry-run"] if dryRun else []), str(path))
    assert status == 2, err
    assert problem in err
    assert "Traceback" not in err
    assert victim.read_text() == "precious"
    assert not (tmp_path / "pwned").exists()
    assert not (tmp_path / "constructed.txt").exists()


def test_dry_run_checks_a_user_class_without_constructing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = _file(tmp_path, 'type = "userstages:Doubler"\nfactor = 3')
    status, out, err = _run("run", "--dry-run", str(path))
    assert status == 0, err
    assert "userstages:Doubler(factor=3)  [checked, not constructed]" in out
    assert not (tmp_path / "constructed.txt").exists()
    assert not (tmp_path / "out.csv").exists()
    status, out, err = _run(
        "run", "--dry-run", str(_file(tmp_path, 'type = "userstages:Doubler"\nfactr = 3'))
    )
    assert status == 2 and "did you mean 'factor'" in err
    assert not (tmp_path / "constructed.txt").exists()


def test_a_real_run_constructs_the_user_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, _, err = _run("run", "-q", str(_file(tmp_path, 'type = "userstages:Doubler"')))
    assert status == 0, err
    assert (tmp_path / "constructed.txt").exists() and (tmp_path / "out.csv").exists()


# -- every argument of every component is checked before reporting ----------------------------


def test_a_file_with_five_mistakes_lists_all_five(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        '[source]\ntype = "SensorSource"\ncount = -1\nsensorIds = []\nsamplingRateHz = -3.0\n\n'
        '[[stages]]\ntype = "ThresholdFilter"\nfilterMin = "low"\nfilterMax = "high"\n\n'
        '[sink]\ntype = "ListSink"\n',
        encoding="utf-8",
    )
    status, _, err = _run("run", "--dry-run", str(path))
    assert status == 2
    for problem in (
        "source: SensorSource.count must be an int >= 0, got -1",
        "source: SensorSource.sensorIds must be a non-empty list of names, got []",
        "source: SensorSource.samplingRateHz must be a positive number, got -3.0",
        "stages[0]: ThresholdFilter.filterMin must be numeric, got 'low'",
        "stages[0]: ThresholdFilter.filterMax must be numeric, got 'high'",
        "sink.type: unknown sink 'ListSink'",
    ):
        assert problem in err, err
    assert "6 problems" in err


@given(
    st.dictionaries(
        st.sampled_from(["count", "seed", "sensorIds", "samplingRateHz"]),
        st.one_of(st.integers(-5, -1), st.just([]), st.just("x"), st.just(-1.5)),
        min_size=1,
    )
)
def test_any_set_of_bad_sensor_source_arguments_is_listed_in_full(values: dict[str, Any]) -> None:
    problems = Problems()
    buildComponent(
        {"type": "SensorSource", **values}, role="source", where="source", problems=problems
    )
    # Each bad argument is refused on its own, so each gets its own line.
    alone = []
    for name, value in values.items():
        single = Problems()
        buildComponent(
            {"type": "SensorSource", name: value}, role="source", where="source", problems=single
        )
        alone += list(single)
    assert sorted(problems) == sorted(alone)


# -- malformed files: exit 2, one listing, no traceback ---------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("x = " + "[" * 50_000 + "]" * 50_000, "invalid TOML: nested too deeply"),
        ("[config]\nwindowSize = 1" + "0" * 5000 + "\n", "Exceeds the limit (4300 digits)"),
        ("[config]\nwindowSize = -1" + "0" * 80 + "\n", "got -1000000000...0000000000 (an int"),
    ],
)
def test_a_malformed_pipeline_file_exits_2_with_the_problem_and_no_traceback(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    status, _, err = _run("run", "--dry-run", str(path))
    assert status == 2, err
    assert problem in err and str(path) in err
    assert "Traceback" not in err


# -- a close() failing after the sink committed: the CLI says exactly that -----------------------

CLOSING_SOURCE = """
from pipeline_lib import SensorSource


class ClosingFails(SensorSource):
    def close(self):
        raise OSError("hub did not say goodbye")
"""


@pytest.mark.parametrize("sink", ["csv", "sqlite"])
def test_a_close_failure_after_the_output_was_written_is_reported_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sink: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "closingsource.py").write_text(CLOSING_SOURCE, encoding="utf-8")
    output = tmp_path / ("out.csv" if sink == "csv" else "out.sqlite")
    table = (
        f'type = "CsvSink"\npath = "{output.name}"'
        if sink == "csv"
        else f'type = "SqliteSink"\ndatabase = "{output.name}"'
    )
    path = tmp_path / "p.toml"
    path.write_text(
        f'[source]\ntype = "closingsource:ClosingFails"\ncount = 5\n\n[sink]\n{table}\n',
        encoding="utf-8",
    )
    try:
        status, _, err = _run("run", "-q", str(path))
    finally:
        sys.modules.pop("closingsource", None)
    assert status == 1
    assert output.exists(), "the committed output was removed"
    assert (
        f"pipeline-lib: pipeline 'p': output written to {output}; closing source ClosingFails "
        "then failed: OSError: hub did not say goodbye"
    ) in err
    assert "no output" not in err


# -- Ctrl-C or SIGTERM before the run starts: 130/143, never a traceback -------------------------

SLOW_IMPORT = """
import sys, time
print("importing", file=sys.stderr, flush=True)
time.sleep(30)


class Late:
    def stream(self):
        yield from ()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_the_file_is_still_loading_exits_130_or_143(
    tmp_path: Path, signum: int, status: int
) -> None:
    (tmp_path / "slowmodule.py").write_text(SLOW_IMPORT, encoding="utf-8")
    path = tmp_path / "p.toml"
    path.write_text(
        '[source]\ntype = "slowmodule:Late"\n\n[sink]\ntype = "CsvSink"\npath = "o.csv"\n',
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline_lib", "run", str(path)],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    assert process.stderr.readline().strip() == "importing"
    process.send_signal(signum)
    _, rest = process.communicate(timeout=60)
    assert process.returncode == status, rest
    assert "Traceback" not in rest
    assert rest.strip().endswith("pipeline-lib: interrupted")


def test_help_and_examples_say_a_named_class_imports_your_code() -> None:
    from pipeline_lib.cli import buildParser

    help = buildParser().format_help()
    runHelp = buildParser()._subparsers._group_actions[0].choices["run"].format_help()  # type: ignore[union-attr]
    assert "run only pipeline files you trust" in " ".join(runHelp.split())
    assert 'absolute paths and ".." are allowed' in " ".join(runHelp.split())
    assert help
    examples = Path(__file__).resolve().parents[2] / "examples"
    assert "run only pipeline files you trust" in (examples / "custom_stage.toml").read_text()

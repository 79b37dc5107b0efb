"""The command line, run as a student runs it: a subprocess, its exit status, its output.

Exit statuses pinned here: 0 success, 1 pipeline failure, 2 file problems, 130 Ctrl-C,
143 SIGTERM. However a run ends, no output file and no temporary file is left behind.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline_lib import openFileDescriptors
from pipeline_lib.cli import DEMO_PIPELINE, main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# A user module for the tests: a slow source that says when it is running and when it
# is closed, and a source that fails at a chosen record.
USER_SOURCES = """
import sys, time
from pipeline_lib import SensorReading

class SlowSource:
    def __init__(self, count=100000, delaySeconds=0.01, announceAfter=5):
        self.count, self.delaySeconds, self.announceAfter = count, delaySeconds, announceAfter

    def stream(self):
        try:
            for i in range(self.count):
                if i == self.announceAfter:
                    print("slow source: running", file=sys.stderr, flush=True)
                time.sleep(self.delaySeconds)
                yield SensorReading("temp-1", float(i), 50.0)
        finally:
            print("slow source: closed", file=sys.stderr, flush=True)

class FlakySource:
    # Fails at record failAt on its first `failures` attempts (not resumable).
    attempts = 0

    def __init__(self, count=50, failAt=10, failures=2):
        self.count, self.failAt, self.failures = count, failAt, failures

    def stream(self):
        FlakySource.attempts += 1
        for i in range(self.count):
            if i == self.failAt and FlakySource.attempts <= self.failures:
                raise ConnectionResetError(f"sensor hub dropped the link at record {i}")
            yield SensorReading("temp-1", float(i), 50.0)

class FailingSource:
    def __init__(self, count=50, failAt=10):
        self.count, self.failAt = count, failAt

    def stream(self):
        for i in range(self.count):
            if i == self.failAt:
                raise OSError(f"sensor bus lost at record {i}")
            yield SensorReading("temp-1", float(i), 50.0)
"""

SINKS = {
    "csv": 'type = "CsvSink"\npath = "out/result.csv"',
    "sqlite": 'type = "SqliteSink"\ndatabase = "out/result.sqlite"',
}


def _pipeline(folder: Path, source: str, sink: str = "csv", name: str = "p.toml") -> Path:
    """A pipeline file in ``folder`` (with the user module and an empty out/ folder)."""
    (folder / "usersources.py").write_text(USER_SOURCES, encoding="utf-8")
    (folder / "out").mkdir(exist_ok=True)
    text = f'[source]\n{source}\n\n[[stages]]\ntype = "WindowAverage"\nwindowSize = 2\n\n'
    path = folder / name
    path.write_text(text + f"[sink]\n{SINKS[sink]}\n", encoding="utf-8")
    return path


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline_lib", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A private copy of examples/, so that runs write nothing into the repository."""
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for output in (copy / "output").iterdir():
        if output.name != ".gitignore":
            output.unlink()
    return copy


# -- success --------------------------------------------------------------------------------


def test_run_prints_the_report_on_stdout_and_the_log_on_stderr(examples: Path) -> None:
    result = _cli("run", str(examples / "sensors_to_csv.toml"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Pipeline sensors_to_csv: completed, ")
    assert "[sensors_to_csv] Started" in result.stderr
    assert "[sensors_to_csv] Completed" in result.stderr
    output = examples / "output" / "sensors.csv"
    assert output.read_text().splitlines()[0] == "sensorId,timestamp,value"
    assert "records read" not in result.stderr  # no progress bar when not a terminal
    report = result.stdout.splitlines()
    assert [line.split(":")[0].strip() for line in report[1:]] == [
        "ThresholdFilter",
        "Normalizer",
        "Smoothing",
    ]
    assert report[1].startswith("  ThresholdFilter: in=50000 out=")


@pytest.mark.parametrize("example", ["csv_to_sqlite", "custom_stage"])
def test_every_example_runs(examples: Path, example: str) -> None:
    result = _cli("run", str(examples / f"{example}.toml"), cwd=examples.parent)
    assert result.returncode == 0, result.stderr
    assert f"Pipeline {example}: completed" in result.stdout


def test_quiet_prints_the_report_and_nothing_else(examples: Path) -> None:
    result = _cli("run", "--quiet", str(examples / "custom_stage.toml"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "Pipeline custom_stage: completed" in result.stdout


def test_dry_run_prints_the_plan_and_runs_nothing(examples: Path) -> None:
    result = _cli("run", "--dry-run", str(examples / "sensors_to_csv.toml"))
    assert result.returncode == 0, result.stderr
    assert "ThresholdFilter(filterMin=20.0, filterMax=80.0)  [checked, not constructed]" in (
        result.stdout
    )
    assert "measured as 'Smoothing'" in result.stdout
    assert "Nothing was run" in result.stdout
    assert _leftovers(examples / "output") == [".gitignore"]


def test_demo_runs_end_to_end_and_cleans_up_its_temporary_file() -> None:
    result = _cli("demo", "--count", "3000")
    assert result.returncode == 0, result.stderr
    assert "Pipeline sensor_demo: completed" in result.stdout
    assert "rows to table 'readings' in a temporary file (removed" in result.stdout


def test_demo_show_prints_a_pipeline_file_that_runs(tmp_path: Path) -> None:
    shown = _cli("demo", "--show").stdout
    assert shown == DEMO_PIPELINE
    (tmp_path / "demo.toml").write_text(shown.replace("count = 200000", "count = 500"))
    result = _cli("run", "--quiet", str(tmp_path / "demo.toml"))
    assert result.returncode == 0, result.stderr
    assert tomllib.loads(shown)["sink"]["database"] in _leftovers(tmp_path)


@pytest.mark.parametrize("args", [[], ["run"], ["demo"]])
def test_every_command_has_help_for_students(args: list[str]) -> None:
    result = _cli(*args, "--help")
    assert result.returncode == 0
    assert "usage:" in result.stdout
    assert len(result.stdout.splitlines()) > 8


def test_no_command_shows_the_help_and_exits_2() -> None:
    result = _cli()
    assert result.returncode == 2
    assert "run" in result.stderr and "demo" in result.stderr


# -- file problems: exit 2 ------------------------------------------------------------------------


def test_a_file_with_several_mistakes_lists_them_all_and_exits_2(examples: Path) -> None:
    result = _cli("run", str(examples / "broken.toml"))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].endswith(f"broken.toml: {len(lines) - 1} problems")
    assert len(lines) - 1 >= 4
    assert result.stdout == ""
    assert _leftovers(examples / "output") == [".gitignore"]


def test_a_toml_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[source]\ntype = "SensorSource"\ncount = = 3\n')
    result = _cli("run", str(path))
    assert result.returncode == 2
    assert "line 3, column 9: invalid TOML" in result.stderr


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = _cli("run", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert "nope.toml: 1 problem\n  - no such file" in result.stderr


# -- pipeline failures: exit 1, nothing half-written ------------------------------------------


@pytest.mark.parametrize("sink", ["csv", "sqlite"])
def test_a_failing_source_exits_1_with_one_clear_line_and_no_output(
    tmp_path: Path, sink: str
) -> None:
    path = _pipeline(tmp_path, 'type = "usersources:FailingSource"\nfailAt = 20', sink)
    result = _cli("run", str(path))
    assert result.returncode == 1
    assert "[p] FAILED after" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "pipeline-lib: pipeline 'p' failed: OSError: sensor bus lost at record 20"
    )
    assert "Traceback" not in result.stderr
    assert _leftovers(tmp_path / "out") == []


def test_a_malformed_input_file_fails_the_run_naming_the_line(tmp_path: Path) -> None:
    rows = ["sensorId,timestamp,value", *[f"t,{i},50.0" for i in range(30)], "t,oops,1"]
    (tmp_path / "in.csv").write_text("\n".join(rows) + "\n")
    path = _pipeline(tmp_path, 'type = "CsvSource"\npath = "in.csv"')
    result = _cli("run", str(path))
    assert result.returncode == 1
    assert "line 32: timestamp and value must be numbers" in result.stderr.splitlines()[-1]
    assert _leftovers(tmp_path / "out") == []


def test_verbose_adds_the_traceback(tmp_path: Path) -> None:
    path = _pipeline(tmp_path, 'type = "usersources:FailingSource"')
    result = _cli("run", "--verbose", str(path))
    assert result.returncode == 1
    assert "Traceback" in result.stderr


def test_a_quiet_failure_still_shows_the_whole_log(tmp_path: Path) -> None:
    path = _pipeline(tmp_path, 'type = "usersources:FailingSource"')
    result = _cli("run", "--quiet", str(path))
    assert result.returncode == 1
    assert "[p] Started" in result.stderr and "[p] FAILED" in result.stderr


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(failAt=st.integers(0, 49), sink=st.sampled_from(sorted(SINKS)))
def test_for_any_failure_point_nothing_is_left_open_or_written(
    tmp_path: Path, failAt: int, sink: str
) -> None:
    path = _pipeline(tmp_path, f'type = "usersources:FailingSource"\nfailAt = {failAt}', sink)
    before = openFileDescriptors()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        status = main(["run", str(path)])
    assert status == 1
    assert openFileDescriptors() == before
    assert _leftovers(tmp_path / "out") == []


# -- interruption: Ctrl-C and SIGTERM --------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    ("signum", "status", "sink"),
    [
        (signal.SIGINT, 130, "csv"),
        (signal.SIGINT, 130, "sqlite"),
        (signal.SIGTERM, 143, "csv"),
    ],
)
def test_an_interrupted_run_closes_everything_and_writes_nothing(
    tmp_path: Path, signum: int, status: int, sink: str
) -> None:
    path = _pipeline(tmp_path, 'type = "usersources:SlowSource"', sink)
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline_lib", "run", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    seen = []
    while "slow source: running" not in (line := process.stderr.readline()):
        assert line, f"the run ended before it was interrupted: {seen}"
        seen.append(line)
    process.send_signal(signum)
    stdout, rest = process.communicate(timeout=60)
    stderr = "".join(seen) + rest
    assert process.returncode == status, stderr
    assert "slow source: closed" in stderr
    assert "[p] FAILED after" in stderr
    assert stderr.splitlines()[-1].startswith("pipeline-lib: pipeline 'p' interrupted")
    assert "Pipeline p: failed" in stdout
    # Named for what happened: no one pressed Ctrl-C when a SIGTERM arrived.
    expected = "Terminated: SIGTERM" if signum == signal.SIGTERM else "KeyboardInterrupt"
    assert f"failed ({expected})" in stdout
    assert (signum == signal.SIGTERM) == ("Terminated" in stderr)
    assert _leftovers(tmp_path / "out") == []


# -- the progress bar, on a real terminal -------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_a_long_run_on_a_terminal_shows_a_progress_bar_then_blanks_it_out(tmp_path: Path) -> None:
    import pty

    source = 'type = "usersources:SlowSource"\ncount = 60\ndelaySeconds = 0.02'
    path = _pipeline(tmp_path, source)
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "pipeline_lib", "run", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=follower,
    ) as process:
        os.close(follower)
        terminal = _readAll(leader)
    assert process.returncode == 0
    assert b"records read" in terminal and b"/60 records read" in terminal
    assert b"\r" + b" " * 20 in terminal  # blanked out before log lines and at the end
    assert b"\x1b" not in terminal  # no escape codes: plain carriage returns and spaces


def _readAll(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side closed (Linux)
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def test_a_failed_run_keeps_a_database_that_existed_before_unchanged(tmp_path: Path) -> None:
    path = _pipeline(tmp_path, 'type = "usersources:FailingSource"', "sqlite")
    database = tmp_path / "out" / "result.sqlite"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE readings (sensorId TEXT, timestamp REAL, value REAL)")
        conn.execute("INSERT INTO readings VALUES ('old', 0.0, 1.0)")
    conn.close()
    assert _cli("run", str(path)).returncode == 1
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT sensorId FROM readings").fetchall()
    conn.close()
    assert rows == [("old",)]
    assert _leftovers(tmp_path / "out") == ["result.sqlite"]


def test_demo_keep_leaves_the_database_and_says_where(tmp_path: Path) -> None:
    result = _cli("demo", "--count", "500", "--keep", "--quiet")
    assert result.returncode == 0, result.stderr
    database = Path(result.stdout.rsplit(" in ", 1)[1].rstrip(".\n"))
    try:
        with sqlite3.connect(database) as conn:
            (rows,) = conn.execute("SELECT COUNT(*) FROM readings").fetchone()
        conn.close()
        assert f"Wrote {rows:,} rows" in result.stdout
    finally:
        shutil.rmtree(database.parent)


def test_a_retry_setting_heals_a_flaky_source_without_duplicates(tmp_path: Path) -> None:
    source = 'type = "usersources:FlakySource"\nretry = { maxAttempts = 3, delaySeconds = 0 }'
    path = _pipeline(tmp_path, source)
    result = _cli("run", str(path))
    assert result.returncode == 0, result.stderr
    assert "retries: FlakySource.stream retried 2 times" in result.stdout
    rows = (tmp_path / "out" / "result.csv").read_text().splitlines()[1:]
    timestamps = [float(row.split(",")[1]) for row in rows]
    assert timestamps == [float(i) for i in range(1, 50)]  # WindowAverage(2): from record 1


def test_without_enough_attempts_the_flaky_source_fails_the_run(tmp_path: Path) -> None:
    source = 'type = "usersources:FlakySource"\nretry = { maxAttempts = 2, delaySeconds = 0 }'
    result = _cli("run", str(_pipeline(tmp_path, source)))
    assert result.returncode == 1
    assert "ConnectionResetError: sensor hub dropped the link at record 10" in result.stderr
    assert _leftovers(tmp_path / "out") == []

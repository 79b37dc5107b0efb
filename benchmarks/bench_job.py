"""The engine on the jobs users run, against the script they would write by hand.

Run with ``make bench`` (``--quick``: 200,000 rows, 5 rounds) or
``python benchmarks/bench_job.py`` (1,000,000 rows, 5 rounds) for the README's table.
It prints ratios and never fails on timing (the machine may be shared).

Three jobs, each a whole process started afresh (interpreter start-up and imports
included, as a user meets them), the variants taking turns round after round so that a
burst of load from another process hits them alike:

1. CSV -> keep 25..80 -> SQLite table: ``pipeline-lib run job1.toml`` (CsvSource ->
   ThresholdFilter -> SqliteSink) vs ``csv.reader`` + a generator + ``executemany`` in
   one transaction; and pandas (``read_csv`` + a boolean mask + ``to_sql``) when pandas
   is importable (``pip install -e '.[bench]'``).
2. SQLite table -> keep 25..80 -> CSV file: ``pipeline-lib run job2.toml`` vs a cursor +
   a generator + ``csv.writer.writerows``.
3. SensorSource -> ThresholdFilter, Normalizer, WindowAverage -> CSV file:
   ``pipeline-lib run job3.toml`` vs three generator functions over the same synthetic
   readings and ``writerows``.

Every output is compared with the hand-written script's (same rows, same order), so the
engine is never timed doing less work. Each process may cache bytecode, as a user's
Python does (a wheel install compiles it, a plain run writes ``__pycache__``): the
benchmark points ``PYTHONPYCACHEPREFIX`` into its temporary folder (and overrides
``PYTHONDONTWRITEBYTECODE``, set in some sandboxes, which would make every run compile
the whole package again: about 0.15 s that no user pays), and the untimed first run of
each variant fills the cache for the timed ones. For each variant it prints the median wall time,
the median CPU time (user + system of the process: less disturbed by other processes
than wall time on a busy machine) and peak resident memory; the ratios are engine /
hand-written. Goals (issue 16): each ratio <= 1.25, engine's peak memory <= the
hand-written script's + 10 MiB.
"""

from __future__ import annotations

import argparse
import csv
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

from pipeline_lib import SensorSource

# Each variant runs under this wrapper, which reports the process's peak resident memory
# on its last line of standard error. (Not ru_maxrss from wait4: on Linux a child's
# ru_maxrss starts at the *parent's* peak, which would hide a small script's.)
PEAK_WRAPPER = """\
import os, runpy, sys
kind, target, *arguments = sys.argv[1:]
sys.argv = [target, *arguments]
status = 0
try:
    if kind == "module":
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        runpy.run_path(target, run_name="__main__")
except SystemExit as stop:
    status = stop.code
try:
    with open("/proc/self/status") as file:  # Linux: this process's own high-water mark
        peakKiB = next(int(line.split()[1]) for line in file if line.startswith("VmHWM"))
except OSError:  # no /proc (macOS): ru_maxrss, in bytes there
    import resource
    peakKiB = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
sys.stderr.write(f"\\npeakKiB={peakKiB}\\n")
sys.exit(status)
"""
PIPELINE_LIB = [sys.executable, "-c", PEAK_WRAPPER, "module", "pipeline_lib", "run"]

# -- the pipeline files ---------------------------------------------------------------

JOB1_TOML = """\
pipelineId = "csv_to_sqlite"
[source]
type = "CsvSource"
path = "readings.csv"
[[stages]]
type = "ThresholdFilter"
filterMin = 25.0
filterMax = 80.0
[sink]
type = "SqliteSink"
database = "out/engine.sqlite"
table = "readings"
"""

JOB2_TOML = """\
pipelineId = "sqlite_to_csv"
[source]
type = "SqliteSource"
database = "readings.sqlite"
table = "readings"
[[stages]]
type = "ThresholdFilter"
filterMin = 25.0
filterMax = 80.0
[sink]
type = "CsvSink"
path = "out/engine.csv"
"""

JOB3_TOML = """\
pipelineId = "sensors_to_csv"
[source]
type = "SensorSource"
count = {rows}
seed = 42
samplingRateHz = 100.0
[[stages]]
type = "ThresholdFilter"
filterMin = 20.0
filterMax = 80.0
[[stages]]
type = "Normalizer"
valueMin = 20.0
valueMax = 80.0
[[stages]]
type = "WindowAverage"
windowSize = 10
[sink]
type = "CsvSink"
path = "out/engine.csv"
"""

# -- the hand-written equivalents -----------------------------------------------------

JOB1_HAND = """\
import csv, sqlite3

def inRange(rows):
    next(rows)  # the header
    for sensorId, timestamp, value in rows:
        value = float(value)
        if 25.0 <= value <= 80.0:
            yield sensorId, float(timestamp), value

with open("readings.csv", newline="", encoding="utf-8") as file:
    conn = sqlite3.connect("out/hand.sqlite", isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("CREATE TABLE readings "
                 "(sensorId TEXT NOT NULL, timestamp REAL NOT NULL, value REAL)")
    conn.executemany("INSERT INTO readings VALUES (?, ?, ?)", inRange(csv.reader(file)))
    conn.commit()
    conn.close()
"""

JOB1_PANDAS = """\
import sqlite3
import pandas

frame = pandas.read_csv("readings.csv")
kept = frame[(frame["value"] >= 25.0) & (frame["value"] <= 80.0)]
conn = sqlite3.connect("out/pandas.sqlite")
kept.to_sql("readings", conn, index=False)
conn.close()
"""

JOB2_HAND = """\
import csv, os, sqlite3

def inRange(rows):
    for row in rows:
        if 25.0 <= row[2] <= 80.0:
            yield row

conn = sqlite3.connect("readings.sqlite")
rows = conn.execute("SELECT sensorId, timestamp, value FROM readings ORDER BY rowid")
with open("out/hand.csv.partial", "w", newline="", encoding="utf-8") as file:
    writer = csv.writer(file)
    writer.writerow(("sensorId", "timestamp", "value"))
    writer.writerows(inRange(rows))
conn.close()
os.replace("out/hand.csv.partial", "out/hand.csv")
"""

JOB3_HAND = """\
import csv, math, os
from collections import deque
from pipeline_lib import SensorSource

def inRange(readings):
    for reading in readings:
        if 20.0 <= reading.value <= 80.0:
            yield reading.sensorId, reading.timestamp, reading.value

def normalized(readings):
    for sensorId, timestamp, value in readings:
        yield sensorId, timestamp, round((value - 20.0) / 60.0, 12)

def smoothed(readings, size=10):
    windows = {}
    for sensorId, timestamp, value in readings:
        window = windows.get(sensorId)
        if window is None:
            window = windows[sensorId] = [deque(maxlen=size), 0.0, 0]
        values = window[0]
        if len(values) == size:
            window[1] -= values[0]
        values.append(value)
        window[2] += 1
        window[1] = math.fsum(values) if window[2] % size == 0 else window[1] + value
        if len(values) == size:
            yield sensorId, timestamp, round(window[1] / size, 12)

readings = SensorSource(count={rows}, seed=42, samplingRateHz=100.0).stream()
with open("out/hand.csv.partial", "w", newline="", encoding="utf-8") as file:
    writer = csv.writer(file)
    writer.writerow(("sensorId", "timestamp", "value"))
    writer.writerows(smoothed(normalized(inRange(readings))))
os.replace("out/hand.csv.partial", "out/hand.csv")
"""


# -- running and measuring ------------------------------------------------------------


@dataclass
class Variant:
    """One way of doing a job: a command line, and the output file it writes."""

    label: str
    command: list[str]
    output: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peakBytes: list[int] = field(default_factory=list)

    def run(self, folder: Path) -> None:
        output = folder / self.output
        output.unlink(missing_ok=True)  # SqliteSink appends to an existing table
        start = time.perf_counter()
        process = subprocess.Popen(
            self.command,
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=cachingBytecode(folder),
        )
        assert process.stderr is not None
        errors = process.stderr.read().decode()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        self.wall.append(time.perf_counter() - start)
        process.stderr.close()
        if process.returncode != 0:
            raise RuntimeError(f"{self.label} exited {process.returncode}:\n{errors}")
        self.cpu.append(usage.ru_utime + usage.ru_stime)
        self.peakBytes.append(int(errors.rpartition("peakKiB=")[2]) * 1024)


def cachingBytecode(folder: Path) -> dict[str, str]:
    """The environment for a variant: bytecode cached under ``folder``, as a user's is."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = os.fspath(folder / "pycache")
    return env


@dataclass
class Job:
    title: str
    variants: list[Variant]
    readOutput: Callable[[Path], list[tuple[object, ...]]]


def readSqlite(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT sensorId, timestamp, value FROM readings ORDER BY rowid"
        ).fetchall()
    finally:
        conn.close()


def readCsv(path: Path) -> list[tuple[object, ...]]:
    with path.open(newline="", encoding="utf-8") as file:
        return [tuple(row) for row in csv.reader(file)]


def buildInputs(folder: Path, rows: int) -> None:
    """The same ``rows`` synthetic readings (seed 1) as a CSV file and as a SQLite table."""
    readings = [
        (r.sensorId, r.timestamp, r.value) for r in SensorSource(count=rows, seed=1).stream()
    ]
    with (folder / "readings.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(("sensorId", "timestamp", "value"))
        writer.writerows(readings)
    conn = sqlite3.connect(folder / "readings.sqlite")
    with conn:
        conn.execute(
            "CREATE TABLE readings (sensorId TEXT NOT NULL, timestamp REAL NOT NULL, value REAL)"
        )
        conn.executemany("INSERT INTO readings VALUES (?, ?, ?)", readings)
    conn.close()
    (folder / "out").mkdir()


def script(folder: Path, name: str, text: str) -> list[str]:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return [sys.executable, "-c", PEAK_WRAPPER, "path", name]


def buildJobs(folder: Path, rows: int) -> list[Job]:
    (folder / "job1.toml").write_text(JOB1_TOML, encoding="utf-8")
    (folder / "job2.toml").write_text(JOB2_TOML, encoding="utf-8")
    (folder / "job3.toml").write_text(JOB3_TOML.format(rows=rows), encoding="utf-8")
    job1 = [
        Variant("pipeline-lib run", [*PIPELINE_LIB, "job1.toml"], "out/engine.sqlite"),
        Variant("hand-written", script(folder, "job1_hand.py", JOB1_HAND), "out/hand.sqlite"),
    ]
    if find_spec("pandas") is not None:
        job1.append(
            Variant("pandas", script(folder, "job1_pandas.py", JOB1_PANDAS), "out/pandas.sqlite")
        )
    return [
        Job(f"1. CSV ({rows:,} rows) -> keep 25..80 -> SQLite", job1, readSqlite),
        Job(
            f"2. SQLite ({rows:,} rows) -> keep 25..80 -> CSV",
            [
                Variant("pipeline-lib run", [*PIPELINE_LIB, "job2.toml"], "out/engine.csv"),
                Variant("hand-written", script(folder, "job2_hand.py", JOB2_HAND), "out/hand.csv"),
            ],
            readCsv,
        ),
        Job(
            f"3. SensorSource ({rows:,}) -> 3 stages -> CSV",
            [
                Variant("pipeline-lib run", [*PIPELINE_LIB, "job3.toml"], "out/engine.csv"),
                Variant(
                    "hand-written",
                    script(folder, "job3_hand.py", JOB3_HAND.replace("{rows}", str(rows))),
                    "out/hand.csv",
                ),
            ],
            readCsv,
        ),
    ]


def checkSameOutput(folder: Path, job: Job) -> str:
    """Run each variant once and compare its output with the hand-written one's."""
    outputs = {}
    for variant in job.variants:
        variant.run(folder)
        outputs[variant.label] = job.readOutput(folder / variant.output)
        variant.wall.clear()
        variant.cpu.clear()
        variant.peakBytes.clear()
    expected = outputs["hand-written"]
    for label, rows in outputs.items():
        if rows != expected:
            raise RuntimeError(f"{job.title}: {label} wrote {len(rows)} rows that differ from "
                               f"the hand-written script's {len(expected)}")  # fmt: skip
    return f"{len(expected) - (job.readOutput is readCsv):,} rows"


def printJob(job: Job, rowsOut: str) -> None:
    hand = next(v for v in job.variants if v.label == "hand-written")
    handWall, handCpu = statistics.median(hand.wall), statistics.median(hand.cpu)
    handPeak = min(hand.peakBytes)
    print(f"\n{job.title}  ({rowsOut} out, identical in every variant)")
    print(f"  {'variant':<18} {'wall':>8} {'ratio':>6}   {'CPU':>8} {'ratio':>6}   {'peak RSS':>9}")
    for variant in job.variants:
        wall, cpu, peak = (
            statistics.median(variant.wall),
            statistics.median(variant.cpu),
            min(variant.peakBytes),
        )
        extra = "" if variant is hand else f"  ({(peak - handPeak) / 2**20:+.1f} MiB)"
        print(
            f"  {variant.label:<18} {wall:7.2f}s {wall / handWall:6.2f}   "
            f"{cpu:7.2f}s {cpu / handCpu:6.2f}   {peak / 2**20:6.1f} MiB{extra}"
        )
    for variant in job.variants:
        if variant is not hand:  # how far one round's ratio strays: the noise to read through
            paired = sorted(e / h for e, h in zip(variant.cpu, hand.cpu, strict=True))
            print(f"    {variant.label}: CPU ratio round by round "
                  f"{paired[0]:.2f}..{paired[-1]:.2f}")  # fmt: skip


def machineLoad() -> str:
    """The load averages (how shared the machine is), where the system tells them."""
    try:
        loads = os.getloadavg()
    except (AttributeError, OSError):  # Windows
        return "load average unknown"
    return "load average " + ", ".join(f"{load:.1f}" for load in loads) + " (1, 5, 15 min)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5, help="runs of each variant")
    parser.add_argument("--quick", action="store_true", help="200,000 rows (for make bench)")
    args = parser.parse_args(argv)
    rows = 200_000 if args.quick else args.rows
    started = time.perf_counter()
    print(f"Python {sys.version.split()[0]}; {rows:,} rows; median of {args.rounds} rounds, "
          "whole processes, variants taking turns, bytecode cached.")  # fmt: skip
    print(f"{os.cpu_count()} CPUs; {machineLoad()}")
    if find_spec("pandas") is None:
        print("pandas not installed: no pandas figure (pip install -e '.[bench]')")
    with tempfile.TemporaryDirectory(prefix="bench_job.") as name:
        folder = Path(name)
        buildInputs(folder, rows)
        jobs = buildJobs(folder, rows)
        rowsOut = [checkSameOutput(folder, job) for job in jobs]
        for _ in range(args.rounds):
            for job in jobs:
                for variant in job.variants:
                    variant.run(folder)
        for job, out in zip(jobs, rowsOut, strict=True):
            printJob(job, out)
    print("\nratios: engine / hand-written (goal <= 1.25); "
          "peak RSS: engine's within hand-written + 10 MiB")  # fmt: skip
    print(f"benchmark took {time.perf_counter() - started:.1f}s; {machineLoad()}")


if __name__ == "__main__":
    main()

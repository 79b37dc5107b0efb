"""Where the engine's time goes, per record: the costs that ``bench_job.py``'s gap is made of.

Each line is the CPU time per record of one piece of the engine's path, measured over
300,000 records already in memory (best of 7), as a difference from the bare loop it is
added to. The README's benchmark section quotes these figures. It prints numbers and
never fails on timing. Takes a few seconds.
"""

from __future__ import annotations

import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterator
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any

from pipeline_lib import SensorReading, measuredStage
from pipeline_lib.protocols import newReading
from pipeline_lib.tally import Tally

N = 300_000
ROWS = [("temp-1", float(i), 50.0) for i in range(N)]
READINGS = [SensorReading(*row) for row in ROWS]


def passThrough(stream: Iterator[Any]) -> Iterator[Any]:
    for record in stream:  # noqa: UP028 (a stage's loop, as ThresholdFilter's, is the point)
        yield record


class Plain:
    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        return passThrough(inputStream)


class Sampled(Plain):
    process = measuredStage("Sampled")(Plain.process)  # the default: sampleEvery=32


class EveryRecord(Plain):
    process = measuredStage("EveryRecord", sampleEvery=1)(Plain.process)


class AlmostNone(Plain):
    process = measuredStage("AlmostNone", sampleEvery=N)(Plain.process)


def insert(rows: Iterator[Any]) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE readings (sensorId TEXT, timestamp REAL, value REAL)")
    conn.executemany("INSERT INTO readings VALUES (?, ?, ?)", rows)
    conn.close()


def drain(stream: Iterator[Any]) -> None:
    deque(stream, maxlen=0)


def nanosecondsPerRecord(run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(7):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best / N * 1e9


def main() -> None:
    fields = attrgetter("sensorId", "timestamp", "value")
    bare = nanosecondsPerRecord(lambda: drain(iter(ROWS)))
    layer = nanosecondsPerRecord(lambda: drain(Plain().process(iter(READINGS))))
    pieces = {
        "a plain tuple of a row's three fields (the script's record)": lambda: drain(
            map(itemgetter(0, 1, 2), ROWS)
        ),
        "a SensorReading from a row (protocols.newReading)": lambda: drain(
            map(newReading, repeat(SensorReading), ROWS)
        ),
        "the fields by name (attrgetter, as SqliteSink)": lambda: drain(map(fields, READINGS)),
        "counting (Tally)": lambda: drain(Tally(iter(READINGS)).stream),
        "a pass-through generator (a stage's own loop)": lambda: drain(
            Plain().process(iter(READINGS))
        ),
    }
    print(f"CPU time per record, {N:,} records in memory, best of 7 (ns):")
    for label, run in pieces.items():
        print(f"  {label:<58} {nanosecondsPerRecord(run) - bare:6.1f}")
    for label, cls in [
        ("@measuredStage on it, default sampling (1 in 32 timed)", Sampled),
        ("@measuredStage on it, sampleEvery=1 (every record timed)", EveryRecord),
        ("@measuredStage on it, hardly any record timed (the floor)", AlmostNone),
    ]:
        cost = nanosecondsPerRecord(lambda cls=cls: drain(cls().process(iter(READINGS)))) - layer
        print(f"  {label:<58} {cost:6.1f}")
    for label, rows in [
        ("inserting a row into SQLite, bound from an exact tuple", lambda: iter(ROWS)),
        ("... from a SensorReading as it is", lambda: iter(READINGS)),
        ("... from a SensorReading through attrgetter", lambda: map(fields, READINGS)),
    ]:
        cost = nanosecondsPerRecord(lambda rows=rows: insert(rows())) - bare
        print(f"  {label:<58} {cost:6.1f}")
    clock = time.perf_counter
    print(f"  {'one time.perf_counter() call':<58} "
          f"{nanosecondsPerRecord(lambda: drain(clock() for _ in ROWS)) - layer:6.1f}")  # fmt: skip


if __name__ == "__main__":
    main()

"""Built-in sources: synthetic sensors, a CSV file, a SQLite table.

Every built-in source can **resume**: ``stream(resumeAfter=k)`` yields the same records
as ``stream()`` minus the first ``k``, without re-delivering them. ``@retryOnFailure``
uses this to continue after the last record it delivered; a source without the keyword
is re-read from the start and the first ``k`` records are skipped instead.

>>> readings = list(SensorSource(count=5, seed=7).stream())
>>> len(readings), readings[0].sensorId
(5, 'temp-1')
>>> list(SensorSource(count=5, seed=7).stream(resumeAfter=3)) == readings[3:]
True
"""

from __future__ import annotations

import csv
import itertools
import math
import os
import random
import sqlite3
from collections.abc import Iterator, Sequence

from .fields import Count, DatabaseField, FilePath, Names, PositiveNumber, TableName
from .protocols import SensorReading, newReading
from .sqlitedb import Database, connectionFor, describeDatabase, quotedTable

__all__ = ["CSV_HEADER", "CsvSource", "SensorSource", "SqliteSource"]

CSV_HEADER = ("sensorId", "timestamp", "value")


class SensorSource:
    """Synthetic, deterministic sensor readings: noise, spikes and dropouts.

    Each sensor has its own baseline and a slow drift; every reading adds Gaussian
    noise; about 1 reading in 100 is a spike far outside the normal range; now and
    then a sensor drops out for a few sampling periods (those readings are missing,
    so timestamps have gaps). The same ``seed`` always gives the same readings.

    ``count`` is the number of readings yielded (all sensors together); sensors take
    turns within each sampling period of ``1 / samplingRateHz`` seconds.
    """

    # Each checked argument is a field (layer 2): __init__ assigns, the field validates,
    # and `pipeline-lib run --dry-run` checks a file's values with the same fields
    # without constructing anything (pipeline_lib.fields).
    count = Count()
    sensorIds = Names()
    samplingRateHz = PositiveNumber()

    def __init__(
        self,
        count: int = 1000,
        seed: int = 0,
        sensorIds: Sequence[str] = ("temp-1", "temp-2", "temp-3"),
        samplingRateHz: float = 10.0,
    ) -> None:
        self.count = count
        self.seed = seed
        self.sensorIds = sensorIds  # the field stores a tuple
        self.samplingRateHz = samplingRateHz

    def __repr__(self) -> str:
        return (
            f"SensorSource(count={self.count}, seed={self.seed}, "
            f"sensorIds={list(self.sensorIds)}, samplingRateHz={self.samplingRateHz})"
        )

    def stream(self, resumeAfter: int = 0) -> Iterator[SensorReading]:
        """Yield ``count`` readings, skipping the first ``resumeAfter`` (generated, not I/O)."""
        yield from itertools.islice(self._readings(), resumeAfter, self.count)

    def _readings(self) -> Iterator[SensorReading]:
        rng = random.Random(self.seed)
        baselines = [rng.uniform(40.0, 60.0) for _ in self.sensorIds]
        phases = [rng.uniform(0.0, 2 * math.pi) for _ in self.sensorIds]
        silentUntil = [-1] * len(self.sensorIds)
        period = 1.0 / self.samplingRateHz
        for slot in itertools.count():
            timestamp = slot * period
            for i, sensorId in enumerate(self.sensorIds):
                if slot < silentUntil[i]:
                    continue
                if rng.random() < 0.002:  # a dropout: silent for 3 to 10 periods
                    silentUntil[i] = slot + rng.randint(3, 10)
                    continue
                drift = 15.0 * math.sin(timestamp / 60.0 + phases[i])
                value = baselines[i] + drift + rng.gauss(0.0, 6.0)
                if rng.random() < 0.01:  # a spike
                    value += rng.choice((-1.0, 1.0)) * rng.uniform(40.0, 80.0)
                yield newReading(SensorReading, (sensorId, round(timestamp, 6), round(value, 3)))


class CsvSource:
    """Readings from a CSV file with the header ``sensorId,timestamp,value``.

    The file is opened when streaming starts and closed when the stream ends or is
    closed. A malformed row raises ``ValueError`` naming the file and line.
    """

    path = FilePath()

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path  # the field stores a Path

    def __repr__(self) -> str:
        return f"CsvSource({os.fspath(self.path)!r})"

    def stream(self, resumeAfter: int = 0) -> Iterator[SensorReading]:
        """Yield one reading per data row, skipping (unparsed) the first ``resumeAfter``."""
        if not self.path.is_file():
            raise FileNotFoundError(2, "CsvSource: no such file", os.fspath(self.path))
        with self.path.open(newline="", encoding="utf-8") as file:
            rows = csv.reader(file)
            header = next(rows, None)
            if header is None or tuple(h.strip() for h in header) != CSV_HEADER:
                raise ValueError(
                    f"{self.path}, line 1: expected the header {','.join(CSV_HEADER)}, "
                    f"got {','.join(header) if header else 'an empty file'}"
                )
            for row in itertools.islice(rows, resumeAfter, None):
                # Parsed inline, not in a helper, and built with newReading: a Python
                # call per row is a noticeable share of a large file's time. The `try`
                # covers the parsing alone, so an error thrown in at `yield` is never
                # mistaken for a malformed row.
                try:
                    sensorId, timestamp, value = row
                    reading = newReading(SensorReading, (sensorId, float(timestamp), float(value)))
                except ValueError:
                    raise self._malformed(row, rows.line_num) from None
                yield reading

    def _malformed(self, row: list[str], line: int) -> ValueError:
        if len(row) != 3:
            return ValueError(f"{self.path}, line {line}: expected 3 fields, got {len(row)}: {row}")
        return ValueError(
            f"{self.path}, line {line}: timestamp and value must be numbers, got {row}"
        )


class SqliteSource:
    """Readings from a SQLite table with columns ``sensorId, timestamp, value``, in rowid order.

    ``database`` is a file path or a :class:`~pipeline_lib.ConnectionPool`. The
    connection is opened (or borrowed) when streaming starts and closed (or given back)
    when the stream ends or is closed — which is exactly what a failed run without
    cleanup never does.
    """

    database = DatabaseField()
    table = TableName()

    def __init__(self, database: Database, table: str = "readings") -> None:
        self.database = database
        self.table = table

    def __repr__(self) -> str:
        return f"SqliteSource({describeDatabase(self.database)!r}, table={self.table!r})"

    def stream(self, resumeAfter: int = 0) -> Iterator[SensorReading]:
        """Yield the table's rows as readings; ``resumeAfter`` is an SQL ``OFFSET``."""
        holder = f"SqliteSource({self.table})"
        quoted = quotedTable(self.table, name="SqliteSource.table")  # now: table may change
        with connectionFor(self.database, holder, mustExist=True) as conn:
            query = (
                f"SELECT sensorId, timestamp, value FROM {quoted} ORDER BY rowid LIMIT -1 OFFSET ?"
            )
            try:
                cursor = conn.execute(query, (resumeAfter,))
            except sqlite3.OperationalError as error:
                if not str(error).startswith("no such"):
                    raise  # e.g. "database is locked": may be transient, keep its type
                raise ValueError(
                    f"{holder}: cannot read {self.table!r} from "
                    f"{describeDatabase(self.database)}: {error}"
                ) from error
            try:
                # Each row is a tuple (sensorId, timestamp, value): it becomes a reading
                # at C speed, with no Python call per row (see newReading).
                yield from map(newReading, itertools.repeat(SensorReading), cursor)
            finally:
                cursor.close()

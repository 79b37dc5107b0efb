"""Built-in sinks: a list in memory, a CSV file written atomically, a SQLite transaction.

A sink that fails halfway must not leave half a result behind: ``CsvSink`` writes to a
temporary file beside the target and renames it only on success; ``SqliteSink`` writes
in one transaction and rolls it back on failure.

>>> from pipeline_lib import SensorSource
>>> sink = ListSink()
>>> sink.consume(SensorSource(count=3, seed=1).stream())
3
>>> len(sink.records)
3
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from itertools import islice
from operator import attrgetter, countOf
from pathlib import Path
from typing import Any

from .fields import DatabaseField, FilePath, TableName
from .protocols import SensorReading
from .sources import CSV_HEADER
from .sqlitedb import Database, connectionFor, describeDatabase, quotedTable
from .tally import Tally

__all__ = ["CsvSink", "ListSink", "SqliteSink"]

# Any record with these attributes can be written, not just SensorReading.
_fields = attrgetter(*CSV_HEADER)
#: Records a sink takes at a time (see _rows).
_BATCH = 1024


def _rows(records: Iterator[Any]) -> Iterator[Iterable[Any]]:
    """The records as batches of ``(sensorId, timestamp, value)`` rows, for ``csv.writer``.

    A ``SensorReading`` already *is* that row (a tuple of its fields, in this order), so
    a batch of nothing but readings is written as it is; a batch with any other record
    type is read by name. Checking a batch's types runs at C speed, while reading three
    attributes per record costs about as much as a pipeline stage does.

    >>> rows = _rows(iter([SensorReading("a", 0.0, 1.0)]))
    >>> list(next(rows))
    [SensorReading(sensorId='a', timestamp=0.0, value=1.0)]
    """
    while batch := tuple(islice(records, _BATCH)):
        if countOf(map(type, batch), SensorReading) == len(batch):
            yield batch
        else:  # a subclass may override a field: read every record by name
            yield map(_fields, batch)


class ListSink:
    """Keep every record in ``.records`` (appending across runs); handy in tests and notebooks."""

    def __init__(self) -> None:
        self.records: list[Any] = []

    def __repr__(self) -> str:
        return f"ListSink(<{len(self.records)} records>)"

    def consume(self, stream: Iterable[Any]) -> int:
        """Append every record of ``stream``; return how many were added."""
        before = len(self.records)
        self.records.extend(stream)
        return len(self.records) - before


class CsvSink:
    """Write ``sensorId,timestamp,value`` rows to ``path``, all or nothing.

    Rows go to a hidden temporary file in the same folder, which replaces ``path`` in
    one atomic rename once the stream is exhausted. If anything fails first, the
    temporary file is removed and an existing ``path`` is left untouched. A file that
    is replaced keeps its permissions; a symlink is written through (its target is
    replaced, the link stays). If an interrupt lands just as the rename returns, the
    interrupt is what the caller gets, with a note that the file was completely written.
    """

    path = FilePath()  # a field: checked the same way by the constructor and --dry-run

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path  # the field stores a Path

    def __repr__(self) -> str:
        return f"CsvSink({os.fspath(self.path)!r})"

    def consume(self, stream: Iterable[Any]) -> int:
        """Write every record; return how many were written."""
        import tempfile  # here, not at the top: only this sink needs it (faster start-up)

        # Through a symlink to its target: replacing the link itself would cut it.
        target = Path(os.path.realpath(self.path))
        folder = target.parent
        if not folder.is_dir():
            raise FileNotFoundError(2, "CsvSink: no such folder", os.fspath(folder))
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".partial")
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as file:
                writer = csv.writer(file)
                writer.writerow(CSV_HEADER)
                tally = Tally(stream)
                for rows in _rows(tally.stream):
                    writer.writerows(rows)
            # mkstemp makes the file private (0600): give it the existing file's mode, or
            # the mode any file created with open() would have.
            os.chmod(temporary, _modeFor(target))
            os.replace(temporary, target)
        except BaseException as error:
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                # Only the rename removes it: an interrupt landed just after os.replace.
                error.add_note(f"CsvSink: {os.fspath(self.path)} was completely written")
            raise
        return tally.count


def _modeFor(target: Path) -> int:
    try:
        return os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_currentUmask()


def _currentUmask() -> int:
    mask = os.umask(0)  # the only way to read the umask is to set it...
    os.umask(mask)  # ...and put it back at once
    return mask


class SqliteSink:
    """Insert records into ``table`` (created if missing) in one transaction.

    Commit when the stream is exhausted; roll back if anything fails, so a failed run
    adds no rows at all. ``database`` is a file path (created if missing) or a
    :class:`~pipeline_lib.ConnectionPool`. Values are always bound as parameters.
    """

    database = DatabaseField()  # fields: checked the same way by the constructor and --dry-run
    table = TableName()

    def __init__(self, database: Database, table: str = "readings") -> None:
        self.database = database
        self.table = table

    def __repr__(self) -> str:
        return f"SqliteSink({describeDatabase(self.database)!r}, table={self.table!r})"

    def consume(self, stream: Iterable[Any]) -> int:
        """Insert every record in one transaction; return how many were inserted."""
        quoted = quotedTable(self.table, name="SqliteSink.table")  # now: table may change
        with connectionFor(self.database, f"SqliteSink({self.table})", mustExist=False) as conn:
            tally = Tally(stream)
            try:
                conn.execute("BEGIN")
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {quoted} "
                    "(sensorId TEXT NOT NULL, timestamp REAL NOT NULL, value REAL)"
                )
                # Exact tuples, whatever the records: sqlite3 binds a tuple subclass such as
                # SensorReading through its slower sequence path (more than _fields costs).
                conn.executemany(
                    f"INSERT INTO {quoted} (sensorId, timestamp, value) VALUES (?, ?, ?)",
                    map(_fields, tally.stream),
                )
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            return tally.count

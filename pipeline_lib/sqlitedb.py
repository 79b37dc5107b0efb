"""What ``SqliteSource`` and ``SqliteSink`` share: safe table names and borrowed connections.

A table name cannot be a bound parameter in SQL, so it is checked against a strict
identifier pattern and then quoted; values are always bound as parameters.

>>> quotedTable("readings", name="SqliteSink.table")
'"readings"'
>>> quotedTable("readings; DROP TABLE x", name="SqliteSink.table")
Traceback (most recent call last):
...
ValueError: SqliteSink.table must be a plain identifier (letters, digits, _),
    got 'readings; DROP TABLE x'
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .resources import ConnectionPool, PooledConnection
from .validators import shortRepr

__all__ = ["Database", "checkDatabase", "connectionFor", "describeDatabase", "quotedTable"]

Database = str | os.PathLike[str] | ConnectionPool

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def quotedTable(table: str, name: str) -> str:
    """``table`` quoted for SQL, after checking it is a plain identifier.

    ``name`` is the field's name in messages (``"SqliteSink.table"``).
    """
    if not isinstance(table, str):
        raise TypeError(f"{name} must be a str (a table name), got {shortRepr(table)}")
    if not _IDENTIFIER.fullmatch(table):
        raise ValueError(
            f"{name} must be a plain identifier (letters, digits, _), got {shortRepr(table)}"
        )
    return f'"{table}"'


def checkDatabase(database: object, name: str) -> None:
    """Refuse (``TypeError``) anything that is neither a path nor a ``ConnectionPool``."""
    if not isinstance(database, str | os.PathLike | ConnectionPool):
        raise TypeError(
            f"{name} must be a file path or a ConnectionPool, got {shortRepr(database)}"
        )


def describeDatabase(database: Database) -> str:
    return repr(database) if isinstance(database, ConnectionPool) else os.fspath(database)


@contextmanager
def connectionFor(
    database: Database, holder: str, *, mustExist: bool
) -> Iterator[sqlite3.Connection | PooledConnection]:
    """A connection for the duration of the block: borrowed from a pool, or opened and closed.

    ``mustExist`` turns SQLite's habit of silently creating a missing database file
    into a :class:`FileNotFoundError` that names the path (a reader wants data, not an
    empty new file); a writer still gets a clear error when the folder is missing.
    """
    if isinstance(database, ConnectionPool):
        with database.connection(holder) as conn:
            yield conn
        return
    path = Path(database)
    if mustExist and not path.is_file():
        raise FileNotFoundError(2, f"{holder}: no such database file", os.fspath(path))
    if not path.parent.is_dir():
        raise FileNotFoundError(2, f"{holder}: no such folder", os.fspath(path.parent))
    own = sqlite3.connect(path)
    try:
        yield own
    finally:
        own.close()

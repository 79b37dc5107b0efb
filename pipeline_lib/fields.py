"""The checked arguments of the built-in components, as fields: each rule written once.

A built-in source, stage or sink declares every argument it checks as a field (layer 2's
descriptors, :mod:`.validators`); its ``__init__`` only assigns them, and assigning
validates. Because a field's ``validate`` needs no instance, ``pipeline-lib run
--dry-run`` checks a pipeline file's values with the very same rules *without
constructing anything*: it calls each field's ``validate``, then the class's
``checkFields`` (the rules between fields), as :func:`pipeline_lib.cli.arguments` does.

>>> class Reader:
...     path = FilePath()
...     table = TableName()
>>> Reader.path.validate("data/in.csv")
PosixPath('data/in.csv')
>>> Reader.table.validate("readings; DROP TABLE x")
Traceback (most recent call last):
...
ValueError: Reader.table must be a plain identifier (letters, digits, _),
    got 'readings; DROP TABLE x'
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .sqlitedb import Database, checkDatabase, quotedTable
from .validators import Validator, shortRepr

__all__ = ["Count", "DatabaseField", "FilePath", "Names", "PositiveNumber", "TableName"]


class Count(Validator[int]):
    """An int >= 0 (not bool): how many records.

    >>> Count().validate(-1)
    Traceback (most recent call last):
    ...
    ValueError: value must be an int >= 0, got -1
    """

    expectation = "an int >= 0"

    def validate(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{self.qualifiedName} must be an int, got {shortRepr(value)}")
        if value < 0:
            raise ValueError(f"{self.qualifiedName} must be an int >= 0, got {shortRepr(value)}")
        return value


class PositiveNumber(Validator[float]):
    """A number with ``0 < x < inf`` (not bool, not NaN), stored as float.

    >>> PositiveNumber().validate(50)
    50.0
    """

    expectation = "a positive number"

    def validate(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{self.qualifiedName} must be a number, got {shortRepr(value)}")
        try:
            number = float(value)
        except OverflowError:  # an int too large for a float
            number = math.inf
        if not 0 < number < math.inf:
            raise ValueError(
                f"{self.qualifiedName} must be a positive number, got {shortRepr(value)}"
            )
        return number


class Names(Validator[tuple[str, ...]]):
    """A non-empty list of non-empty names (one string is refused), stored as a tuple.

    >>> Names().validate(["temp-1", "temp-2"])
    ('temp-1', 'temp-2')
    >>> Names().validate("temp-1")
    Traceback (most recent call last):
    ...
    TypeError: value must be a list of names, not one name, got 'temp-1'
    """

    expectation = "a non-empty list of names"

    def validate(self, value: Any) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise TypeError(
                f"{self.qualifiedName} must be a list of names, not one name, "
                f"got {shortRepr(value)}"
            )
        if not value or not all(isinstance(name, str) and name for name in value):
            raise ValueError(
                f"{self.qualifiedName} must be a non-empty list of names, got {shortRepr(value)}"
            )
        return tuple(value)


class FilePath(Validator[Path]):
    """A file path: a non-empty ``str`` or an ``os.PathLike``, stored as a :class:`~pathlib.Path`.

    >>> FilePath().validate("")
    Traceback (most recent call last):
    ...
    ValueError: value must be a file path, got ''
    """

    expectation = "a file path"

    def validate(self, value: Any) -> Path:
        if not isinstance(value, str | os.PathLike):
            raise TypeError(f"{self.qualifiedName} must be a file path, got {shortRepr(value)}")
        if value == "":  # Path("") is the current folder, never a file
            raise ValueError(f"{self.qualifiedName} must be a file path, got ''")
        return Path(value)


class DatabaseField(Validator[Database]):
    """A SQLite database: a file path or a :class:`~pipeline_lib.ConnectionPool` (kept as given)."""

    expectation = "a file path or a ConnectionPool"

    def validate(self, value: Any) -> Database:
        checkDatabase(value, name=self.qualifiedName)
        return value  # type: ignore[no-any-return]


class TableName(Validator[str]):
    """A table name that is a plain identifier (letters, digits, ``_``), so it can be quoted."""

    expectation = "a plain identifier (letters, digits, _)"

    def validate(self, value: Any) -> str:
        quotedTable(value, name=self.qualifiedName)  # raises unless it is one
        return value  # type: ignore[no-any-return]

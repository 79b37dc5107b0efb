"""Reading a configuration or pipeline file: every way it can be unreadable, said once.

``PipelineConfig.fromFile`` and the command line's pipeline files both read a file of
data (TOML or JSON): never eval'd, never unpickled. Whatever is wrong with the file (it
is missing, unreadable, not UTF-8, not valid TOML/JSON, nested too deeply, holds a
number too long to convert) becomes one line in a list of problems, never an exception
of its own, so the caller can raise one :class:`~pipeline_lib.ConfigError` for all.

>>> problems = []
>>> readDocument("nowhere.toml", problems) is UNREADABLE, problems
(True, ['no such file (looked for .../nowhere.toml)'])
>>> problems = []
>>> parseJson('[' * 100_000 + ']' * 100_000, problems) is UNREADABLE, problems
(True, ['invalid JSON: nested too deeply'])
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["UNREADABLE", "describeTomlError", "parseJson", "parseToml", "readDocument"]

#: What a file that could not be read or parsed gives (a JSON ``null`` is ``None``).
UNREADABLE: Any = object()

Parser = Callable[[str, list[str]], object]


def readDocument(
    path: str | os.PathLike[str], problems: list[str], parse: Parser | None = None
) -> object:
    """The parsed file, or :data:`UNREADABLE` with the reason appended to ``problems``.

    ``parse`` is :func:`parseToml` or :func:`parseJson`; by default the file's suffix
    (``.toml``, ``.json``) chooses, and any other suffix is a problem.
    """
    path = Path(path)
    if parse is None:
        parse = PARSERS.get(path.suffix.lower())
        if parse is None:
            kind = f"unsupported file type {path.suffix!r}" if path.suffix else "no file type"
            problems.append(f"{kind}: name the file .toml or .json")
            return UNREADABLE
    try:
        # utf-8-sig: a byte-order mark (Windows editors add one) is not a syntax error.
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        problems.append(f"no such file (looked for {path.absolute()})")
        return UNREADABLE
    except OSError as error:
        problems.append(f"cannot read the file: {error.strerror or error}")
        return UNREADABLE
    except UnicodeDecodeError as error:
        problems.append(f"not UTF-8 text: byte {error.start} cannot be decoded")
        return UNREADABLE
    return parse(text, problems)


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def describeTomlError(error: tomllib.TOMLDecodeError) -> str:
    """``line 3, column 9: invalid TOML: Invalid value`` from tomllib's message.

    Python 3.11-3.13 put the position only in the message: ``... (at line 3, column 9)``.
    """
    message = str(error).splitlines()[0]
    position = _TOML_POSITION.search(message)
    if position is None:
        return f"invalid TOML: {message}"
    line, column = position.groups()
    return f"line {line}, column {column}: invalid TOML: {message[: position.start()]}"


def parseToml(text: str, problems: list[str]) -> object:
    """``tomllib.loads(text)``, or :data:`UNREADABLE` with the problem listed."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        problems.append(describeTomlError(error))
    except (RecursionError, ValueError) as error:
        problems.append(_describeLimit("TOML", error))
    return UNREADABLE


def parseJson(text: str, problems: list[str]) -> object:
    """``json.loads(text)`` refusing duplicate keys, or :data:`UNREADABLE` with the problem."""
    import json  # here, not at the top: only a JSON file needs it (the CLI starts faster)

    def keepPairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # json keeps the last of duplicate keys silently; a config file should not.
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                problems.append(f"key {key!r} appears twice")
            seen[key] = value
        return seen

    try:
        return json.loads(text, object_pairs_hook=keepPairs)
    except json.JSONDecodeError as error:
        problems.append(f"line {error.lineno}, column {error.colno}: invalid JSON: {error.msg}")
    except (RecursionError, ValueError) as error:
        problems.append(_describeLimit("JSON", error))
    return UNREADABLE


def _describeLimit(kind: str, error: BaseException) -> str:
    """A parser gave up on valid syntax: too deep for the stack, or a number too long."""
    if isinstance(error, RecursionError):
        return f"invalid {kind}: nested too deeply"
    # "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits..."
    return f"invalid {kind}: {str(error).split(';')[0]}"


PARSERS: Mapping[str, Parser] = {".toml": parseToml, ".json": parseJson}

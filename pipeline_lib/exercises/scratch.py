"""What the checks share: quiet logs, a scratch database and pool."""

from __future__ import annotations

import functools
import gc
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..leaks import makeSensorDatabase
from ..resources import ConnectionPool
from ..testing import quietLogs

__all__ = [
    "capturedLogs",
    "describeHeld",
    "quietLogging",
    "scratchDatabase",
    "scratchPool",
]


#: Silence logging while a check runs the student's code: the verdict is the output.
quietLogging = quietLogs


class _Capture(logging.Handler):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def capturedLogs() -> Iterator[list[str]]:
    """Collect the messages logged inside the block, showing none of them.

    For a check that must see what the student's code logs (slide 3's ``Completed:`` and
    ``FAILED`` lines) while staying quiet, inside :func:`quietLogging` too: the root
    logger's handlers are replaced by one that only collects, and restored afterwards.
    """
    messages: list[str] = []
    root = logging.getLogger()
    disabled, handlers, level = logging.root.manager.disable, root.handlers[:], root.level
    logging.disable(logging.NOTSET)
    root.handlers = [_Capture(messages)]
    root.setLevel(logging.DEBUG)
    try:
        yield messages
    finally:
        root.handlers = handlers
        root.setLevel(level)
        logging.disable(disabled)


@functools.cache
def scratchDatabase() -> Path:
    """A small database of readings for the checks, created once per process."""
    folder = Path(tempfile.mkdtemp(prefix="pipeline-lib-checks-"))
    return makeSensorDatabase(folder / "check.sqlite", count=200, seed=7)


@contextmanager
def scratchPool(size: int) -> Iterator[ConnectionPool]:
    """A fresh pool on the scratch database; whatever leaked is collected and closed after."""
    pool = ConnectionPool(scratchDatabase(), size=size)
    try:
        yield pool
    finally:
        # A student's code may leave reference cycles holding suspended generators (an
        # exception kept in a local of its own frame, say): collect them before closing.
        gc.collect()
        # A wrong answer may never release its connection: close it anyway, or it would
        # be garbage-collected unclosed (Python 3.13 then warns "unclosed database").
        pool.close(force=True)


def describeHeld(pool: ConnectionPool) -> str:
    return f"{pool.inUse} of {pool.size} connections are still in use"

"""What the checks share: quiet logs, a scratch database and pool, a failing stage."""

from __future__ import annotations

import functools
import gc
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..cleanup import describeError
from ..faults import Fault, failStage
from ..leaks import makeSensorDatabase
from ..resources import ConnectionPool, PoolExhausted
from ..stages import ThresholdFilter

__all__ = [
    "describeHeld",
    "failingStage",
    "quietLogging",
    "runsFailingAsInjected",
    "scratchDatabase",
    "scratchPool",
]


@contextmanager
def quietLogging() -> Iterator[None]:
    """Silence logging while a check runs the student's code: the verdict is the output."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


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
        gc.collect()  # suspended generators kept alive by cycles give their connection back
        # A wrong answer may never release its connection: close it anyway, or it would
        # be garbage-collected unclosed (Python 3.13 then warns "unclosed database").
        pool.close(force=True)


def failingStage(atRecord: int = 20) -> tuple[Any, Fault]:
    fault = Fault(atRecord=atRecord)
    return failStage(ThresholdFilter(20.0, 80.0), fault), fault


def describeHeld(pool: ConnectionPool) -> str:
    return f"{pool.inUse} of {pool.size} connections are still in use"


def runsFailingAsInjected(run: Callable[[Any, Any], object], pool: ConnectionPool) -> str:
    """Three failing runs, exceptions kept; '' if each raised the injected error, else why not."""
    held: list[BaseException] = []
    try:
        for attempt in range(1, 4):
            stage, fault = failingStage()
            try:
                run(stage, pool)
            except Exception as error:
                held.append(error)
                if isinstance(error, PoolExhausted):
                    return f"run {attempt} of 3 failed with PoolExhausted: {describeHeld(pool)}"
                if not fault.raised or error is not fault.raised[0]:
                    return (
                        f"run {attempt} raised {describeError(error)} instead of the stage's "
                        "original error (it must reach the caller unchanged)"
                    )
            else:
                return f"run {attempt} raised nothing: the stage's error was swallowed"
        if pool.inUse:
            return f"after 3 failing runs (exceptions kept), {describeHeld(pool)}"
        return ""
    finally:
        held.clear()

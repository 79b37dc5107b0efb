"""The leak experiment: the same failing run, repeated, with the resources counted after each.

Slide 2 in numbers. Each run reads a SQLite table through a :class:`ConnectionPool`,
passes it through a stage that fails at record ``failAtRecord``, and keeps the
exception (as a logger or a retry loop does). Run *naive* (``runWithoutCleanup``), each
failure leaves a suspended generator holding a pooled connection, until the pool runs
dry; run *managed* (``PipelineContext``), the connections go back every time.

>>> import tempfile, os
>>> database = makeSensorDatabase(os.path.join(tempfile.mkdtemp(), "leak.sqlite"), count=100)
>>> with ConnectionPool(database, size=2) as pool:
...     naive = repeatFailingRuns(pool, runs=3, managed=False, failAtRecord=10)
...     naive.connectionsInUse
...     naive.samples[-1].outcome
...     naive.release()         # drop the kept exceptions: the connections come back
...     pool.inUse
[0, 1, 2, 2]
'PoolExhausted'
0
"""

from __future__ import annotations

import gc
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from .faults import Fault, failStage
from .lifecycle import PipelineContext
from .naive import runWithoutCleanup
from .resources import ConnectionPool, openFileDescriptors
from .sinks import ListSink, SqliteSink
from .sources import SensorSource, SqliteSource
from .stages import ThresholdFilter

__all__ = ["LeakHistory", "ResourceSample", "makeSensorDatabase", "repeatFailingRuns"]

logger = logging.getLogger("pipeline_lib")


@dataclass(frozen=True)
class ResourceSample:
    """What was open after one run: ``run`` 0 is the baseline, before the first run.

    ``descriptorsOpened`` is a difference from the baseline, not an absolute count: the
    absolute number depends on the machine, the interpreter and Jupyter.
    """

    run: int
    connectionsInUse: int
    descriptorsOpened: int
    outcome: str


@dataclass
class LeakHistory:
    """The samples of one experiment, and the exceptions it kept (which hold the leak)."""

    label: str
    poolSize: int
    samples: list[ResourceSample] = field(default_factory=list)
    heldErrors: list[BaseException] = field(default_factory=list, repr=False)

    @property
    def runs(self) -> list[int]:
        return [sample.run for sample in self.samples]

    @property
    def connectionsInUse(self) -> list[int]:
        return [sample.connectionsInUse for sample in self.samples]

    @property
    def descriptorsOpened(self) -> list[int]:
        return [sample.descriptorsOpened for sample in self.samples]

    def table(self) -> str:
        """One line per sample: run, connections in use, descriptors opened, outcome."""
        lines = [f"{self.label}: pool of {self.poolSize}"]
        lines += [
            f"  run {s.run}: connections in use {s.connectionsInUse}/{self.poolSize}, "
            f"descriptors {s.descriptorsOpened:+d}, {s.outcome}"
            for s in self.samples
        ]
        return "\n".join(lines)

    def release(self) -> None:
        """Drop the kept exceptions and collect garbage, so suspended generators finish.

        The exceptions' tracebacks form reference cycles (a frame refers to the
        exception that refers to the frame), so dropping them is not enough on its own:
        the cycle collector must run, which in a real program happens at no set time.
        """
        self.heldErrors.clear()
        gc.collect()


def makeSensorDatabase(
    path: str | os.PathLike[str], count: int = 500, seed: int = 42, table: str = "readings"
) -> Path:
    """Create a SQLite database at ``path`` with ``count`` synthetic readings; return its path."""
    SqliteSink(path, table).consume(SensorSource(count=count, seed=seed).stream())
    return Path(path)


def repeatFailingRuns(
    pool: ConnectionPool,
    runs: int = 8,
    *,
    managed: bool,
    failAtRecord: int = 50,
    table: str = "readings",
) -> LeakHistory:
    """Run a failing pipeline ``runs`` times, keep every exception, count what stays open.

    ``managed=False`` runs :func:`~pipeline_lib.naive.runWithoutCleanup`; ``managed=True``
    runs :class:`~pipeline_lib.PipelineContext`. Either way each run's exception is
    kept in ``heldErrors`` — call :meth:`LeakHistory.release` when done with them.
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"repeatFailingRuns.runs must be an int >= 1, got {runs!r}")
    label = "managed (PipelineContext)" if managed else "naive (runWithoutCleanup)"
    history = LeakHistory(label=label, poolSize=pool.size)
    baseline = openFileDescriptors()
    history.samples.append(ResourceSample(0, pool.inUse, 0, "baseline"))
    for run in range(1, runs + 1):
        source = SqliteSource(pool, table)
        stages = [failStage(ThresholdFilter(20.0, 80.0), Fault(atRecord=failAtRecord))]
        try:
            if managed:
                with PipelineContext(source, pipelineId=f"leak run {run}") as ctx:
                    ctx.run(stages=stages, sink=ListSink())
            else:
                runWithoutCleanup(source, stages, ListSink())
            outcome = "completed"
        except Exception as error:  # kept, as a logger or a retry loop would
            history.heldErrors.append(error)
            outcome = type(error).__name__
        history.samples.append(
            ResourceSample(run, pool.inUse, openFileDescriptors() - baseline, outcome)
        )
    return history

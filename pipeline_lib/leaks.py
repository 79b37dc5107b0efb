"""The leak experiment: the same failing run, repeated, with the resources counted after each.

Slide 2 in numbers. Each run reads a SQLite table through a :class:`ConnectionPool` and
passes it through a stage whose sensor link drops at record ``failAtRecord``: one
*transient* fault, shared by the runs, that fails ``failures`` times and then heals. Each
run's exception is kept (as a logger or a retry loop does). Run *naive*
(``runWithoutCleanup``), each failure leaves a suspended generator holding a pooled
connection, until the pool runs dry and even the runs after the fault healed are
refused; run *managed* (``PipelineContext``), the connections go back every time.

Descriptors are counted on the pool's database file (:func:`openDescriptorsOn`), so the
count is exactly the connections open on it, whatever else the process opens meanwhile.
Give each experiment a database file of its own: when a connection closes while another
connection of the process holds a lock on the same file, SQLite keeps its descriptor
open (closing it would drop the other's POSIX lock) and hands it to the next connection
it opens there, so other pools' connections on a shared file can shift the count.

>>> import tempfile, os
>>> database = makeSensorDatabase(os.path.join(tempfile.mkdtemp(), "leak.sqlite"), count=100)
>>> with ConnectionPool(database, size=2) as pool:
...     naive = repeatFailingRuns(pool, runs=3, managed=False, failAtRecord=10)
...     naive.connectionsInUse, naive.descriptorsOpened
...     naive.samples[-1].outcome
...     naive.release()         # drop the kept exceptions: the connections come back
...     pool.inUse
([0, 1, 2, 2], [0, 1, 2, 2])
'PoolExhausted'
0
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .faults import Fault, failStage
from .lifecycle import PipelineContext
from .naive import runWithoutCleanup
from .resources import ConnectionPool, openDescriptorsOn, openFileDescriptors
from .sinks import ListSink, SqliteSink
from .sources import SensorSource, SqliteSource
from .stages import ThresholdFilter

__all__ = [
    "LeakHistory",
    "ResourceSample",
    "descriptorsOn",
    "makeSensorDatabase",
    "repeatFailingRuns",
]

logger = logging.getLogger("pipeline_lib")


@dataclass(frozen=True)
class ResourceSample:
    """What was open after one run: ``run`` 0 is the baseline, before the first run.

    ``descriptorsOpened`` counts the descriptors open on the pool's database file, as a
    difference from the baseline (other pools on the same file may hold some already).
    Where the platform cannot tell which file a descriptor is on (Windows), it counts the
    whole process's instead: see :attr:`LeakHistory.descriptorsCounted`.
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
    #: What ``descriptorsOpened`` counts: ``"on sensors.sqlite"`` or ``"in the process"``.
    descriptorsCounted: str = "in the process"

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
            f"descriptors {self.descriptorsCounted} {s.descriptorsOpened:+d}, {s.outcome}"
            for s in self.samples
        ]
        return "\n".join(lines)

    def release(self) -> None:
        """Drop the kept exceptions, so the suspended generators they keep alive finish.

        Each exception keeps its traceback, the traceback the frames the error passed
        through, and the failing stage's frame the source generator (its ``inputStream``)
        that holds the connection. These were the last references: reference counting
        frees them at once, each generator's ``finally`` runs and its connection goes
        back. No ``gc.collect()`` is needed, because the runs make no reference cycle:
        dropping the whole history (``del experiment``) frees them just as well.
        """
        self.heldErrors.clear()


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
    failures: int | None = None,
    table: str = "readings",
) -> LeakHistory:
    """Run a pipeline ``runs`` times over a flaky link, keep the exceptions, count what stays open.

    The link is one transient fault, ``Fault(atRecord=failAtRecord, times=failures)``:
    it fails the first ``failures`` runs that reach record ``failAtRecord`` (all of them,
    by default) and then heals. ``managed=False`` runs
    :func:`~pipeline_lib.naive.runWithoutCleanup`; ``managed=True`` runs
    :class:`~pipeline_lib.PipelineContext`. Either way each run's exception is kept in
    ``heldErrors``: call :meth:`LeakHistory.release` when done with them.
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"repeatFailingRuns.runs must be an int >= 1, got {runs!r}")
    if failures is None:
        failures = runs
    if isinstance(failures, bool) or not isinstance(failures, int) or failures < 0:
        raise ValueError(f"repeatFailingRuns.failures must be an int >= 0, got {failures!r}")
    label = "managed (PipelineContext)" if managed else "naive (runWithoutCleanup)"
    countDescriptors, counted = _descriptorCounter(pool)
    history = LeakHistory(label=label, poolSize=pool.size, descriptorsCounted=counted)
    baseline = countDescriptors()
    history.samples.append(ResourceSample(0, pool.inUse, 0, "baseline"))
    link = Fault(atRecord=failAtRecord, times=failures)
    for run in range(1, runs + 1):
        source = SqliteSource(pool, table)
        stages = [failStage(ThresholdFilter(20.0, 80.0), link)]
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
            ResourceSample(run, pool.inUse, countDescriptors() - baseline, outcome)
        )
    # Each kept exception's traceback holds this frame (the error was caught here), and
    # the frame its locals: with `history` among them, history -> exceptions ->
    # tracebacks -> this frame -> history would be a reference cycle, and dropping the
    # whole history (`del experiment`) would free nothing until the cycle collector ran.
    # That would be this helper's doing, not the leak's: unbind it on the way out.
    try:
        return history
    finally:
        del history


def descriptorsOn(path: str | os.PathLike[str]) -> int:
    """Descriptors open on ``path`` (:func:`openDescriptorsOn`); all of the process's on Windows.

    Windows cannot tell which file a handle is on, so there the count is the process's
    (:func:`openFileDescriptors`): use it as a difference, as the notebooks do.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "data.txt")
    >>> before = descriptorsOn(path)
    >>> f = open(path, "w")
    >>> descriptorsOn(path) - before
    1
    >>> f.close()
    """
    counted = openDescriptorsOn(path)
    return openFileDescriptors() if counted is None else counted


def _descriptorCounter(pool: ConnectionPool) -> tuple[Callable[[], int], str]:
    """Count descriptors on the pool's file where the platform can tell, else the process's."""
    if openDescriptorsOn(pool.database) is None:  # pragma: no cover - Windows
        return openFileDescriptors, "in the process"
    return lambda: descriptorsOn(pool.database), f"on {pool.database.name}"

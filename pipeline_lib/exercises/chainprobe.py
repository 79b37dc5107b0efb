"""What checks 01.2 and 02.2 share: run a student's runner on a traced chain and say what it closed.

The chain is a real pooled source, a traced pass-through ``stage 1`` and a traced
``stage 2`` that fails at record 20, so that after the failure the source and stage 1
are suspended, exactly as in notebook 01. Each generator logs ``closed`` from its
``finally``. A runner that cleans up must close both, newest first (stage 1, then the
source), before the stage's own exception reaches the caller, on ``KeyboardInterrupt``
too. :func:`probeFailingRuns` returns the first problem it sees, named so a student
recognises their mistake, or ``""``.

The probe source keeps a reference to each generator it hands out, as a debugger, a
profiler or a registry of open streams may: it closes only when the runner closes it.
Without that, a runner that closes the stages but forgets the source would pass here by
luck (closing stage 1 frees its frame, the source generator's last reference, and
reference counting closes it), and leak on notebook 01's own chain, where the failing
stage reads the source directly and the kept traceback holds it.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from typing import Any

from ..cleanup import describeError
from ..faults import Fault, failStage
from ..resources import ConnectionPool
from ..testing import TracingStage
from .scratch import describeHeld

__all__ = ["ProbeSource", "probeFailingRuns", "probeStages"]

#: ``run(source, stages, pool)``: one run of the student's code over the probe's chain.
Runner = Callable[[Any, list[Any], ConnectionPool], object]


class ProbeSource:
    """A source that holds a pooled connection inside its generator and logs when it closes."""

    def __init__(self, pool: ConnectionPool, events: list[str]) -> None:
        self.pool = pool
        self.events = events
        #: Every generator handed out: only an explicit close() closes them (module doc).
        self.streams: list[Iterator[Any]] = []

    def __repr__(self) -> str:
        return "ProbeSource()"

    def stream(self) -> Iterator[Any]:
        generator = self._stream()
        self.streams.append(generator)
        return generator

    def _stream(self) -> Iterator[Any]:
        with self.pool.connection(holder="the source") as conn:
            try:
                for (value,) in conn.execute("SELECT value FROM readings ORDER BY rowid"):
                    yield value
            finally:
                self.events.append("source: closed")


def probeStages(events: list[str], fault: Fault | None = None) -> list[Any]:
    """``stage 1`` (pass-through) and ``stage 2`` (failing with ``fault``, if given)."""
    second = TracingStage("stage 2", events)
    return [TracingStage("stage 1", events), second if fault is None else failStage(second, fault)]


def probeFailingRuns(run: Runner, pool: ConnectionPool) -> str:
    """Three failing runs (one a KeyboardInterrupt), exceptions kept; '' or the first problem."""
    held: list[BaseException] = []
    try:
        for attempt, error in ((1, OSError), (2, KeyboardInterrupt), (3, OSError)):
            problem = _oneFailingRun(run, pool, attempt, error, held)
            if problem:
                return problem
        return ""
    finally:
        held.clear()


def _oneFailingRun(
    run: Runner, pool: ConnectionPool, attempt: int, kind: type[BaseException], held: list[Any]
) -> str:
    events: list[str] = []
    fault = Fault(atRecord=20, error=kind)
    label = "a KeyboardInterrupt (Ctrl-C)" if kind is KeyboardInterrupt else "an OSError"
    source = ProbeSource(pool, events)
    try:
        run(source, probeStages(events, fault), pool)
    except BaseException as error:  # KeyboardInterrupt included: the fault raised it
        held.append(error)
        closed = [event.split(":")[0] for event in events if event.endswith("closed")]
        held.extend(source.streams)  # released with the errors, after the verdict
        if fault.failureNumber(error) is None:
            return (
                f"run {attempt} (stage 2 failing with {label}) raised {describeError(error)} "
                "instead of the stage's own error: let the original reach the caller unchanged"
            )
        if not _raisedWhereItFailed(error):
            return (
                f"run {attempt}'s error reached the caller without the frames it passed "
                "through: its traceback was cut in your code. That frees the suspended "
                "generators only while nothing else refers to them, and whoever debugs the "
                "failure can no longer see where it happened"
            )
        problem = _closingProblem(closed, attempt, label, pool)
        if problem and _framesCleared(error):
            return (
                f"when stage 2 failed with {label} (run {attempt}), your code cleared the "
                "frames of its traceback (traceback.clear_frames, say) instead of closing the "
                "generators: that frees them only while nothing else refers to them, and here "
                f"something does ({describeHeld(pool)}); close every generator you created"
            )
        return problem
    return (
        f"run {attempt} raised nothing, though stage 2 failed with {label}: "
        "the error was swallowed, so the caller believes the run succeeded"
    )


def _raisedWhereItFailed(error: BaseException) -> bool:
    """Whether the traceback still reaches where ``error`` was raised: the library's stage.

    A runner that sets ``error.__traceback__ = None`` (or ``with_traceback(None)``) before
    re-raising leaves a traceback whose innermost frame is its own, or (a bare ``raise``
    adds no entry for the frame that re-raises) the check's that called it.
    """
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
    module = str(frames[-1].f_globals.get("__name__", "")) if frames else ""
    return module.startswith("pipeline_lib.") and not module.startswith("pipeline_lib.exercises")


def _framesCleared(error: BaseException) -> bool:
    """Whether the frame that raised ``error`` lost its local variables (``frame.clear()``)."""
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
    return bool(frames) and not frames[-1].f_locals  # the fault's check(): self, index, where


def _closingProblem(closed: list[str], attempt: int, label: str, pool: ConnectionPool) -> str:
    """What is wrong with the generators closed by the time the error reached the caller."""
    after = f"when stage 2 failed with {label} (run {attempt})"
    upstream = [name for name in closed if name != "stage 2"]
    if upstream == ["stage 1", "source"]:
        return ""
    if not upstream and "KeyboardInterrupt" in label and attempt > 1:
        return (
            f"{after}, your code closed no generator, though it did for an OSError in run 1: "
            "KeyboardInterrupt is a BaseException, not an Exception, so cleanup that runs only "
            f"in `except Exception` is skipped ({describeHeld(pool)})"
        )
    if not upstream:
        return (
            f"{after}, your code closed no generator: stage 1 and the source stay suspended, "
            f"the source holding its connection ({describeHeld(pool)})"
        )
    if upstream == ["source", "stage 1"]:
        return (
            f"{after}, your code closed the source before stage 1, which reads from it: "
            "oldest first, where cleanup must go newest first"
        )
    if "stage 1" not in upstream:
        return (
            f"{after}, your code closed the source but not stage 1: its generator stays "
            "suspended, its finally not run; close every generator you created"
        )
    return (
        f"{after}, your code closed stage 1 but not the source, which still holds its "
        f"connection ({describeHeld(pool)})"
    )

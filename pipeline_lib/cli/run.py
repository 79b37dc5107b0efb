"""Running a checked plan: the context, signals, output guard, log and one-line messages."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..cleanup import describeError
from ..lifecycle import PipelineContext
from .pipelinefile import PipelinePlan
from .progress import ProgressBar
from .signals import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK, signalsInterrupt

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "LogHandler",
    "execute",
    "importsNextTo",
    "logTo",
    "say",
]


logger = logging.getLogger("pipeline_lib")


def execute(plan: PipelinePlan, log: LogHandler, *, quiet: bool, verbose: bool) -> int:
    """Run a checked plan in a :class:`PipelineContext`; print the report; return the status."""
    stages = list(plan.stages)
    if not quiet and _isTerminal(sys.stderr):
        log.progress = ProgressBar(sys.stderr, total=plan.expectedRecords)
        stages.insert(0, log.progress)  # counts the records read from the source
    guard = _OutputGuard(plan.outputs)
    context = PipelineContext(plan.source, pipelineId=plan.pipelineId)
    with signalsInterrupt() as received:
        try:
            with context:
                context.run(stages=stages, sink=plan.sink)
        except BaseException as error:
            if not context.sinkFinished:  # the output was committed: never unwrite it
                guard.removeNewOutputs()
            log.writeHeld(failed=True)
            print(context.report())
            return _explainFailure(plan, error, received, verbose, context.sinkFinished)
    log.writeHeld(failed=False)
    print(context.report())
    return EXIT_OK


def _explainFailure(
    plan: PipelinePlan,
    error: BaseException,
    signals: list[int],
    verbose: bool,
    outputWritten: bool,
) -> int:
    # Say only what is true: if the sink finished, its output is there to stay.
    written = f"output written{_outputs(plan)}; " if outputWritten else ""
    if isinstance(error, KeyboardInterrupt):
        signum = signals[0] if signals else signal.SIGINT
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        if written:
            say(f"pipeline {plan.pipelineId!r}: {written}then interrupted ({name}) while "
                "closing: all resources closed")  # fmt: skip
        else:
            say(f"pipeline {plan.pipelineId!r} interrupted ({name}): all resources closed, "
                "no output written")  # fmt: skip
        return 128 + signum
    if not isinstance(error, Exception):
        raise error  # SystemExit and the like are not ours to explain
    if verbose:
        logger.error("traceback of the failure", exc_info=error)
    if written:
        say(
            f"pipeline {plan.pipelineId!r}: {written}closing {_failedCleanup(error)} "
            f"then failed: {describeError(error)}"
        )
    else:
        say(f"pipeline {plan.pipelineId!r} failed: {describeError(error)}")
    for note in getattr(error, "__notes__", ()):
        say(f"  note: {note}")
    return EXIT_FAILED


def _outputs(plan: PipelinePlan) -> str:
    return f" to {', '.join(map(str, plan.outputs))}" if plan.outputs else ""


def _failedCleanup(error: BaseException) -> str:
    """What the error was raised while cleaning up (the engine's note), or "a component"."""
    prefix = "raised while cleaning up "
    notes: list[str] = getattr(error, "__notes__", [])
    for note in notes:
        if note.startswith(prefix):
            return note.removeprefix(prefix)
    return "a component"


class _OutputGuard:
    """Remove the output files a failed run created (an aborted SQLite file is left empty).

    ``CsvSink`` renames its temporary file only on success and ``SqliteSink`` rolls
    back, but SQLite creates the database file as soon as it connects: a failed run
    into a new database would leave an empty file. Files that existed before the run
    are never touched.
    """

    _SQLITE_LEFTOVERS = ("-journal", "-wal", "-shm")

    def __init__(self, outputs: list[Path]) -> None:
        self.new = [path for path in outputs if not path.exists()]

    def removeNewOutputs(self) -> None:
        for path in self.new:
            for leftover in (path, *(Path(f"{path}{s}") for s in self._SQLITE_LEFTOVERS)):
                leftover.unlink(missing_ok=True)


# -- output: the log, the progress bar, one-line messages --------------------------------


class LogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes the ``pipeline_lib`` log to standard error, out of the progress bar's way.

    With ``quiet``, records are held back and written only if the run fails (or, for
    warnings and errors, at the end): silent unless something goes wrong.
    """

    def __init__(self, stream: Any, quiet: bool) -> None:
        super().__init__(stream)
        self.quiet = quiet
        self.held: list[logging.LogRecord] = []
        self.progress: ProgressBar | None = None
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        if self.quiet:
            self.held.append(record)
            return
        if self.progress is not None:
            self.progress.clear()  # redrawn at its next tick
        super().emit(record)

    def writeHeld(self, *, failed: bool) -> None:
        """Write what ``quiet`` held back: all of it after a failure, else warnings only."""
        held, self.held = self.held, []
        for record in held:
            if failed or record.levelno >= logging.WARNING:
                super().emit(record)
        self.flush()


@contextmanager
def logTo(stream: Any, *, quiet: bool, verbose: bool) -> Iterator[LogHandler]:
    handler = LogHandler(stream, quiet)
    previousLevel = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previousLevel)


def say(message: str) -> None:
    """One line for the person at the terminal, on standard error."""
    print(f"pipeline-lib: {message}", file=sys.stderr, flush=True)


def _isTerminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@contextmanager
def importsNextTo(path: Path) -> Iterator[None]:
    """Let ``module:Class`` find modules beside the pipeline file and in the current folder.

    (``python -m`` puts the current folder on ``sys.path``, a console script does not.)
    ``sys.path`` is restored afterwards, for callers of :func:`main` in a notebook or test.
    """
    saved = list(sys.path)
    for folder in (os.getcwd(), os.fspath(path.resolve().parent)):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    try:
        yield
    finally:
        sys.path[:] = saved

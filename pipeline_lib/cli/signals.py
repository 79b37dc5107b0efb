"""Ctrl-C and SIGTERM for the command line: exit 130/143, and cleanup is never cut short.

This module imports only the standard library, so :func:`~pipeline_lib.cli.main` can
install the handlers before it imports the rest of the command line (the pipeline file
reader, the components, your own modules): from then on a Ctrl-C or SIGTERM gives exit
130 or 143, never a traceback.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "Terminated",
    "exitStatusFor",
    "signalsInterrupt",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2  # argparse uses 2 for a bad command line too
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as an interrupt so that the same cleanup runs, and named for what it is.

    A subclass of ``KeyboardInterrupt``: everything that makes Ctrl-C safe (the engine's
    cleanup, the deferred second signal) treats it alike, while the log and the report
    say ``Terminated: SIGTERM`` rather than a Ctrl-C nobody pressed.
    """


def exitStatusFor(received: list[int]) -> int:
    """128 + the first signal received (130 for Ctrl-C when none was recorded)."""
    return 128 + (received[0] if received else signal.SIGINT)


def _say(message: str) -> None:
    print(f"pipeline-lib: {message}", file=sys.stderr, flush=True)


@contextmanager
def signalsInterrupt() -> Iterator[list[int]]:
    """Turn the first SIGINT into ``KeyboardInterrupt``, SIGTERM into :class:`Terminated`.

    Cleanup takes milliseconds; a second Ctrl-C arriving during it would interrupt the
    cleanup itself and leave a temporary file behind, so later signals only print a
    line. The list yielded receives the signal numbers, in order.
    """
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        if len(received) == 1:
            raise Terminated("SIGTERM") if signum == signal.SIGTERM else KeyboardInterrupt
        _say("still closing resources, one moment...")

    watched = [signal.SIGINT, signal.SIGTERM]
    try:
        previous = {signum: signal.signal(signum, handler) for signum in watched}
    except ValueError:  # not the main thread: keep Python's default behaviour
        yield received
        return
    try:
        yield received
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)

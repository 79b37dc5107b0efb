"""The ``pipeline-lib`` command's entry point: Ctrl-C and SIGTERM handled before the library loads.

Why a module of its own, outside the ``pipeline_lib`` package: importing anything inside
the package runs ``pipeline_lib/__init__.py`` first (the engine, sources, stages...). Until
our handlers are installed, Python's defaults apply: Ctrl-C prints a ``KeyboardInterrupt``
traceback and exits 1, SIGTERM kills the process (exit -15). So the console script calls
:func:`main` here, which imports only ``signal`` and ``sys``, installs the handlers, and
only then imports the command line (:func:`pipeline_lib.cli.main`, which installs its own
for the run and puts these back afterwards). From the first line of :func:`main` on, a
Ctrl-C or SIGTERM exits 130 or 143 with one line, never a traceback.

What no code of ours can cover: the interpreter's own start-up before this module runs
(a few tens of milliseconds; ``python -m pipeline_lib`` also imports the package first).
See the README's "What the engine guarantees".
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from types import FrameType

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Install the signal handlers, then import and run the command line; its exit status.

    Meant to be a process's entry point: the handlers stay installed when it returns, and
    then only note a signal, so the interpreter's exit cannot be turned into a traceback.
    """
    received: list[int] = []
    armed = True

    def interrupt(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        if armed and len(received) == 1:  # the first one stops us; repeats are only noted
            raise KeyboardInterrupt

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, interrupt)
    try:
        try:
            from pipeline_lib.cli.main import main as commandLine  # the heavy imports

            return commandLine(argv)
        finally:
            armed = False  # an interrupt raised before this line is caught just below
    except KeyboardInterrupt:
        print("pipeline-lib: interrupted", file=sys.stderr, flush=True)
        return 128 + (received[0] if received else signal.SIGINT)


if __name__ == "__main__":
    raise SystemExit(main())

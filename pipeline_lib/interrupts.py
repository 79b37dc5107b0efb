"""Holding back Ctrl-C while a cleanup runs, so the cleanup finishes first.

Python raises :class:`KeyboardInterrupt` wherever the main thread happens to be when
Ctrl-C arrives: between the two lines of a cleanup, a connection is then neither in
use nor back in the pool. Inside :class:`deferredInterrupts` a ``SIGINT`` is recorded
instead of raised; when the block ends, ``interrupted`` says whether one came, and the
caller raises it at a point where nothing is half done.

>>> import os, signal
>>> with deferredInterrupts() as shield:
...     os.kill(os.getpid(), signal.SIGINT)     # a Ctrl-C in the middle of the cleanup
...     print("the cleanup goes on")
the cleanup goes on
>>> shield.interrupted
True
>>> try:
...     shield.raiseIfInterrupted()           # now that nothing is half done
... except KeyboardInterrupt as interrupt:
...     print(repr(interrupt))
KeyboardInterrupt('deferred until the cleanup had finished')

Limits: only the main thread receives signals, so only there is anything deferred (other
threads never see a ``KeyboardInterrupt``); if a handler other than Python's default is
installed (the command line's own, say), it is left alone and decides itself.
"""

from __future__ import annotations

# The C module itself: ``signal.signal`` wraps it in Python code (enum conversions) where
# a Ctrl-C could land between installing a handler and returning.
import _signal  # type: ignore[import-not-found]
import logging
import threading
from types import FrameType, TracebackType

__all__ = ["deferredInterrupts"]

logger = logging.getLogger("pipeline_lib")


class deferredInterrupts:
    """Record ``SIGINT`` instead of raising it, until the ``with`` block ends."""

    def __init__(self) -> None:
        self.interrupted = False
        self._installed = False

    def __enter__(self) -> deferredInterrupts:
        # Only Python's default handler is replaced: a nested shield, or a program's own
        # handler, already decides what Ctrl-C does.
        if (
            threading.current_thread() is threading.main_thread()
            and _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler
        ):
            _signal.signal(_signal.SIGINT, self._record)
            self._installed = True
        return self

    def __exit__(
        self,
        excType: type[BaseException] | None,
        excVal: BaseException | None,
        excTb: TracebackType | None,
    ) -> None:
        if self._installed:
            _signal.signal(_signal.SIGINT, _signal.default_int_handler)
            self._installed = False

    def _record(self, signum: int, frame: FrameType | None) -> None:
        if not self.interrupted:
            logger.warning("interrupt received during cleanup: deferred until it finishes")
        self.interrupted = True

    def raiseIfInterrupted(self) -> None:
        """Raise the deferred :class:`KeyboardInterrupt`, if one came."""
        if self.interrupted:
            raise KeyboardInterrupt("deferred until the cleanup had finished")

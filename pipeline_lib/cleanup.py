"""A LIFO stack of cleanups that runs them all and never hides the original error.

:class:`contextlib.ExitStack` is the model, with one deliberate difference: when a
cleanup fails while an exception is already on its way out, ``ExitStack`` lets the new
error replace it (the original survives only as ``__context__``). Here the original
always wins: it is re-raised unchanged, and each cleanup failure is attached to it with
:meth:`BaseException.add_note` and logged, so nothing is lost and nothing is hidden.

>>> stack = CleanupStack()
>>> stack.push(lambda: print("closed the file"), "file")
>>> stack.push(lambda: print("closed the connection"), "connection")
>>> stack.unwind()          # LIFO, to match nested ``with`` blocks
closed the connection
closed the file
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Self

from .interrupts import deferredInterrupts

__all__ = [
    "CleanupStack",
    "ComponentWrapper",
    "closeIterator",
    "describeError",
    "openComponent",
    "ownsResource",
    "raiseCleanupFailures",
    "recordCleanupFailure",
]

logger = logging.getLogger("pipeline_lib")


def ownsResource(component: object) -> bool:
    """Whether the engine opens and closes ``component``: a context manager or ``close()``."""
    return _isContextManager(component) or callable(getattr(component, "close", None))


def _isContextManager(component: object) -> bool:
    return hasattr(component, "__enter__") and hasattr(component, "__exit__")


class CleanupStack:
    """Cleanups registered as things are opened, run in reverse order by :meth:`unwind`."""

    def __init__(self) -> None:
        self._callbacks: list[tuple[Callable[[BaseException | None], object], str]] = []

    def __len__(self) -> int:
        return len(self._callbacks)

    def push(self, close: Callable[[], object], label: str) -> None:
        """Run ``close()`` at unwind time; ``label`` names it in notes and logs."""
        self._callbacks.append((lambda error: close(), label))

    def enter(self, manager: AbstractContextManager[Any], label: str) -> Any:
        """Enter a context manager now and exit it, with the run's error, at unwind time."""
        result = manager.__enter__()

        def exit(error: BaseException | None) -> None:
            # A component may not swallow the run's error: its return value is ignored.
            if error is None:
                manager.__exit__(None, None, None)
            else:
                manager.__exit__(type(error), error, error.__traceback__)

        self._callbacks.append((exit, label))
        return result

    def closeLater(self, iterator: Iterator[Any], label: str) -> None:
        """Close a generator (running its ``finally`` blocks) at unwind time."""
        self.push(lambda: closeIterator(iterator), label)

    def unwind(self, error: BaseException | None = None) -> None:
        """Run every cleanup, newest first, even if some of them fail.

        With ``error`` (the exception the run is failing with), cleanup failures are
        attached to it as notes and logged; the caller then re-raises ``error``
        itself. Without one, the first cleanup failure is raised after all cleanups
        have run, carrying the later ones as notes.

        A Ctrl-C that arrives while the cleanups run (in the main thread) is held back
        until they have all run: if the run was already failing with a
        ``KeyboardInterrupt``, that one is what the caller re-raises; otherwise a
        ``KeyboardInterrupt`` is raised here, after the last cleanup.
        """
        failures: list[BaseException] = []
        labels: list[str] = []  # what the first failure was cleaning up
        with deferredInterrupts() as shield:
            while self._callbacks:
                callback, label = self._callbacks.pop()
                try:
                    callback(error)
                except BaseException as cleanupError:  # every cleanup must run
                    failures.append(recordCleanupFailure(cleanupError, label, error))
                    labels.append(label)
        if shield.interrupted:
            if isinstance(error, KeyboardInterrupt):
                error.add_note("another interrupt came during cleanup; cleanup finished first")
            else:
                shield.raiseIfInterrupted()
        if error is None and failures:
            failures[0].add_note(f"raised while cleaning up {labels[0]}")
            raiseCleanupFailures(failures)


def recordCleanupFailure(
    cleanupError: BaseException, label: str, error: BaseException | None
) -> BaseException:
    """Log a failed cleanup and, if a run is failing with ``error``, attach it as a note.

    Shared by :class:`CleanupStack` and the async stack of ``asynclifecycle``, so both
    say the same thing. Returns ``cleanupError``.
    """
    logger.error("cleanup of %s failed: %s", label, describeError(cleanupError))
    if error is not None:
        error.add_note(f"while cleaning up {label}: {describeError(cleanupError)}")
    return cleanupError


def raiseCleanupFailures(failures: list[BaseException]) -> None:
    """After a successful run: raise the first cleanup failure, the later ones as notes."""
    if failures:
        first = failures[0]
        for later in failures[1:]:
            first.add_note(f"another cleanup also failed: {describeError(later)}")
        raise first


def openComponent(stack: CleanupStack, component: object, label: str) -> None:
    """Open a pipeline component that owns a resource, and schedule its closing.

    A context manager is entered (and exited at unwind); an object with ``close()`` is
    closed at unwind; anything else owns nothing and is left alone.
    """
    if _isContextManager(component):
        stack.enter(component, label)  # type: ignore[arg-type]
    elif callable(close := getattr(component, "close", None)):
        stack.push(close, label)


def closeIterator(iterator: object) -> None:
    """Close a generator (its ``finally`` blocks run now); plain iterators need nothing."""
    close = getattr(iterator, "close", None)
    if callable(close):
        close()


def describeError(error: BaseException) -> str:
    """``ValueError: boom`` (or just the type name when the message is empty)."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class ComponentWrapper:
    """Base for wrappers around a pipeline component: opening and closing pass through.

    A wrapper (a fault injector, a measuring or retrying adapter) stands in for the
    component in the pipeline, so the engine opens and closes the *wrapper*; this
    base opens the wrapped component with it and closes it with it, so that whatever
    the component owns is still released.
    """

    def __init__(self, component: Any) -> None:
        self.component = component
        self._cleanup = CleanupStack()

    def __enter__(self) -> Self:
        openComponent(self._cleanup, self.component, type(self.component).__name__)
        return self

    def __exit__(
        self,
        excType: type[BaseException] | None,
        excVal: BaseException | None,
        excTb: TracebackType | None,
    ) -> None:
        self._cleanup.unwind(excVal)

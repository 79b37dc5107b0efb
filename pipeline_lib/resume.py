"""The resume protocol: continue a source's stream after its first ``k`` records.

A source is *resumable* when its ``stream`` method takes the keyword ``resumeAfter``:
``stream(resumeAfter=k)`` must yield exactly what ``stream()`` yields, minus the first
``k`` records, ideally without reading them (an SQL ``OFFSET``, a seek, skipped
generation). Every built-in source is resumable. Any other source still works: it is
re-read from the start and the first ``k`` records are skipped.

>>> class Letters:                       # not resumable: no resumeAfter keyword
...     def stream(self):
...         yield from "abcde"
>>> list(resumeStream(Letters(), 3))
['d', 'e']
>>> isResumable(Letters().stream)
False

:func:`resumeMethod` does the same for any callable that returns a stream (a bound
``stream`` method, a ``functools.partial``); ``@retryOnFailure`` uses it to continue
after the last record it delivered.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .cleanup import closeIterator

__all__ = ["isResumable", "resumeMethod", "resumeStream"]


def isResumable(streamMethod: Callable[..., Any]) -> bool:
    """Whether ``streamMethod`` takes the ``resumeAfter`` keyword.

    >>> from pipeline_lib import SensorSource
    >>> isResumable(SensorSource().stream), isResumable(lambda: iter("ab"))
    (True, False)
    """
    try:
        parameter = inspect.signature(streamMethod).parameters.get("resumeAfter")
    except (TypeError, ValueError):  # builtins without a signature
        return False
    return parameter is not None and parameter.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )


def resumeMethod(
    streamMethod: Callable[..., Iterable[Any]],
    resumeAfter: int,
    resumable: bool | None = None,
) -> Iterator[Any]:
    """Call ``streamMethod`` for its records after the first ``resumeAfter``.

    Resumed (``streamMethod(resumeAfter=k)``) when it takes the keyword, else re-read
    (``streamMethod()``) with the first ``k`` records skipped. ``resumable`` skips the
    signature check when the caller already knows the answer. The call happens now, so
    an error raised by ``streamMethod`` itself is raised here; closing the returned
    iterator closes the stream.

    >>> def numbers():
    ...     yield from range(5)
    >>> list(resumeMethod(numbers, 2))
    [2, 3, 4]
    """
    if resumeAfter == 0:
        return iter(streamMethod())
    if resumable if resumable is not None else isResumable(streamMethod):
        return iter(streamMethod(resumeAfter=resumeAfter))
    return _skipping(iter(streamMethod()), resumeAfter)


def _skipping(inner: Iterator[Any], count: int) -> Iterator[Any]:
    try:
        yield from itertools.islice(inner, count, None)
    finally:
        closeIterator(inner)  # islice would not pass close() on to it


def resumeStream(source: Any, resumeAfter: int) -> Iterator[Any]:
    """``source``'s records after the first ``resumeAfter``: resumed if it can, else skipped."""
    inner: Iterator[Any] | None = None
    try:
        inner = resumeMethod(source.stream, resumeAfter)
        yield from inner
    finally:
        closeIterator(inner)

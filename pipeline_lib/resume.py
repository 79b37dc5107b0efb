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
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterator
from typing import Any

from .cleanup import closeIterator

__all__ = ["isResumable", "resumeStream"]


def isResumable(streamMethod: Callable[..., Any]) -> bool:
    """Whether ``streamMethod`` takes the ``resumeAfter`` keyword."""
    try:
        return "resumeAfter" in inspect.signature(streamMethod).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False


def resumeStream(source: Any, resumeAfter: int) -> Iterator[Any]:
    """``source``'s records after the first ``resumeAfter``: resumed if it can, else skipped."""
    if resumeAfter == 0:
        yield from source.stream()
    elif isResumable(source.stream):
        yield from source.stream(resumeAfter=resumeAfter)
    else:
        inner = source.stream()
        try:
            yield from itertools.islice(inner, resumeAfter, None)
        finally:
            closeIterator(inner)  # islice would not pass close() on to it

"""Count the records that pass through an iterator, for (almost) free.

The obvious counter is a generator (``for r in stream: n += 1; yield r``), which costs a
Python-level step per record, as much as a trivial stage. ``compress(stream, count(1))``
moves the counting into C, but ``count`` still allocates a new ``int`` per record.

``Tally`` selects records with ``itertools.compress`` against ``repeat(True, n)`` for a
huge ``n``: each record costs one step of ``repeat`` in C (a decrement, no allocation),
and the number of records so far is ``n`` minus what ``repeat`` has left, which its
``__length_hint__`` tells. ``compress`` pulls the record before its selector, so a
record is counted only once it has really been delivered, even if the stream fails.
No generator is involved, so there is no reference cycle either: a suspended pipeline
dropped by its last owner frees its source (and the source's connection) at once.

>>> tally = Tally(iter("abcde"))
>>> tally.count
0
>>> next(tally.stream), tally.count
('a', 1)
>>> list(tally.stream), tally.count
(['b', 'c', 'd', 'e'], 5)
"""

from __future__ import annotations

import itertools
import operator
import sys
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["Tally"]

# More records than any stream will deliver (2**63 - 1 on 64-bit machines).
_LIMIT = sys.maxsize


class Tally:
    """``tally.stream`` yields what ``stream`` yields; ``tally.count`` says how many so far."""

    __slots__ = ("_selectors", "stream")

    def __init__(self, stream: Iterable[Any]) -> None:
        self._selectors = itertools.repeat(True, _LIMIT)
        self.stream: Iterator[Any] = itertools.compress(stream, self._selectors)

    @property
    def count(self) -> int:
        return _LIMIT - operator.length_hint(self._selectors)

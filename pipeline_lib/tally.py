"""Count the records that pass through an iterator, at C speed.

The obvious counter is a generator (``for r in stream: n += 1; yield r``), which costs a
Python-level step per record, as much as a trivial stage. ``compress(stream, count(1))``
does the counting inside C: it yields every record (the counter's values are all true)
and pulls from ``stream`` first, so the counter advances only when a record is actually
delivered, even if the stream fails. (One C iterator, no tuples: about a third cheaper
than ``map(itemgetter(0), zip(stream, count()))``.)

>>> tally = Tally(iter("abc"))
>>> next(tally.stream), tally.count
('a', 1)
>>> list(tally.stream), tally.count
(['b', 'c'], 3)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["Tally"]


class Tally:
    """``tally.stream`` yields what ``stream`` yields; ``tally.count`` says how many so far."""

    __slots__ = ("_counter", "_reads", "stream")

    def __init__(self, stream: Iterable[Any]) -> None:
        self._counter = itertools.count(1)
        self._reads = 1  # the counter starts at 1, so that every value is true
        self.stream: Iterator[Any] = itertools.compress(stream, self._counter)

    @property
    def count(self) -> int:
        # Reading the counter advances it; earlier reads are subtracted back out.
        value = next(self._counter) - self._reads
        self._reads += 1
        return value

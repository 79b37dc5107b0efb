"""Count the records that pass through an iterator, for (almost) free.

The obvious counter is a generator (``for r in stream: n += 1; yield r``), which costs a
Python-level step per record, as much as a trivial stage. ``compress(stream, count(1))``
moves the counting into C, but ``count`` still allocates a new ``int`` per record.

``Tally`` selects records with ``itertools.compress`` against a stream of ``True``
values drawn from one preallocated block, so each record costs one list-iterator step
and no allocation at all (measured with callgrind: no difference from the bare chain
within noise). The position inside the current block is known from the block's
``__length_hint__``, and a tiny generator counts whole blocks, once every
``blockSize`` records. ``compress`` pulls the record before its selector, so a record
is counted only once it has really been delivered, even if the stream fails.

>>> tally = Tally(iter("abcde"), blockSize=2)
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
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["Tally"]


class Tally:
    """``tally.stream`` yields what ``stream`` yields; ``tally.count`` says how many so far."""

    __slots__ = ("_blocks", "stream")

    def __init__(self, stream: Iterable[Any], blockSize: int = 4096) -> None:
        if blockSize < 1:
            raise ValueError(f"Tally.blockSize must be >= 1, got {blockSize}")
        # The block generator gets the block counter, not the Tally: a generator method
        # would keep ``self`` in its frame, and Tally -> stream -> selectors -> that frame
        # -> Tally would be a reference cycle. Then a suspended pipeline dropped by its
        # last owner would keep its source (and the source's connection) until the cycle
        # collector ran, instead of being freed at once.
        self._blocks = _Blocks([True] * blockSize)
        selectors = itertools.chain.from_iterable(_startBlocks(self._blocks))
        self.stream: Iterator[Any] = itertools.compress(stream, selectors)

    @property
    def count(self) -> int:
        # Every started block is full except the current one, whose unused part is
        # its length hint.
        blocks = self._blocks
        return blocks.started * len(blocks.block) - operator.length_hint(blocks.current)


class _Blocks:
    """The selector blocks of one Tally: the block, the current pass over it, how many."""

    __slots__ = ("block", "current", "started")

    def __init__(self, block: list[bool]) -> None:
        self.block = block
        self.current: Iterator[bool] = iter(())
        self.started = 0


def _startBlocks(blocks: _Blocks) -> Iterator[Iterator[bool]]:
    while True:
        blocks.current = iter(blocks.block)
        blocks.started += 1
        yield blocks.current

"""A streaming histogram of latencies: percentiles within 1 %, in constant memory.

Keeping every latency in a list (slide 9) costs memory in proportion to the number of
records and a sort to read a percentile. This histogram keeps one counter per
*logarithmic* bucket instead, as DDSketch does (Masson, Rim & Lee, VLDB 2019): bucket
``i`` holds the values in ``(gamma**(i-1), gamma**i]`` with
``gamma = (1 + alpha) / (1 - alpha)``, and reports ``2 * gamma**i / (gamma + 1)`` for
all of them, which is within a relative error ``alpha`` of every value in the bucket.
So a percentile read from the histogram is within ``alpha`` (``relativeAccuracy``,
default 1 %) of the exact percentile of the values added, however many there were.

Values are clamped into ``[minValue, maxValue]`` (by default 1e-6 to 1e9, which in
milliseconds is one nanosecond to eleven days), so the number of buckets is fixed when
the histogram is made: 1,728 counters for the defaults, whatever the number of values.
Below ``minValue`` the error is absolute, at most ``minValue * (1 + alpha)``; above
``maxValue`` a value counts in the top bucket (read back as about ``maxValue``). Count,
sum, min and max are kept exactly. Two histograms with the same settings merge exactly:
merging gives the histogram of all the values together.

>>> histogram = LatencyHistogram()
>>> histogram.addMany([1.0, 2.0, 3.0, 4.0, 100.0])
>>> histogram.count, histogram.max
(5, 100.0)
>>> round(histogram.percentile(50), 2)      # the exact median is 3.0: within 1 %
2.97
>>> abs(histogram.percentile(99) - 100.0) <= 0.01 * 100.0
True
"""

from __future__ import annotations

import math
import operator
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import repeat

__all__ = ["LatencyHistogram"]


class LatencyHistogram:
    """Counts of values in log-spaced buckets: mergeable, fixed size, percentiles within ``alpha``.

    ``add(value, weight)`` counts ``value`` ``weight`` times (a sampled measurement
    stands for the records it represents); ``addMany`` does the same for a batch at C
    speed. ``percentile(p)`` is the nearest-rank percentile: the smallest value with at
    least ``p`` % of the total weight at or below it.

    >>> histogram = LatencyHistogram(relativeAccuracy=0.05)
    >>> histogram.add(10.0, weight=3)
    >>> histogram.count, histogram.mean, histogram.percentile(50)
    (3, 10.0, 10.0)
    """

    __slots__ = (
        "_bucketsPerOctave",
        "_counts",
        "_gamma",
        "_offset",
        "count",
        "max",
        "maxValue",
        "min",
        "minValue",
        "relativeAccuracy",
        "sum",
    )

    def __init__(
        self, relativeAccuracy: float = 0.01, minValue: float = 1e-6, maxValue: float = 1e9
    ) -> None:
        for name, value in (
            ("relativeAccuracy", relativeAccuracy),
            ("minValue", minValue),
            ("maxValue", maxValue),
        ):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"LatencyHistogram.{name} must be a number, got {value!r}")
        _check("relativeAccuracy", relativeAccuracy, 0.0 < relativeAccuracy < 1.0, "in (0, 1)")
        _check("minValue", minValue, 0.0 < minValue < math.inf, "a positive finite number")
        _check("maxValue", maxValue, minValue < maxValue < math.inf, f"finite and > {minValue}")
        self.relativeAccuracy = float(relativeAccuracy)
        self.minValue = float(minValue)
        self.maxValue = float(maxValue)
        self._gamma = (1.0 + relativeAccuracy) / (1.0 - relativeAccuracy)
        self._bucketsPerOctave = 1.0 / math.log2(self._gamma)  # log_gamma(x) = log2(x) * this
        self._offset = self._index(self.minValue)
        # One machine-integer counter per bucket, allocated now: memory never grows.
        self._counts = array("q", [0]) * (self._index(self.maxValue) - self._offset + 1)
        self.count = 0  # total weight
        self.sum = 0.0  # weighted sum
        self.min = math.inf
        self.max = -math.inf

    def __repr__(self) -> str:
        return (
            f"LatencyHistogram(count={self.count}, buckets={self.bucketCount}/{self.maxBuckets}, "
            f"relativeAccuracy={self.relativeAccuracy})"
        )

    def _index(self, value: float) -> int:
        # The same expression as in _indexes, so that both round alike at the edges.
        return math.ceil(self._bucketsPerOctave * math.log2(value))

    # -- adding ------------------------------------------------------------------------

    def add(self, value: float, weight: int = 1) -> None:
        """Count ``value`` (>= 0) ``weight`` times."""
        self.addMany((value,), weight)

    def addMany(self, values: Iterable[float], weights: int | Iterable[int] = 1) -> None:
        """Count each of ``values`` (each >= 0) ``weights`` times, or each with its own weight.

        With one weight for all, the per-value work (log, round up, count) runs in C,
        through ``map`` and :class:`collections.Counter`.
        """
        batch = values if isinstance(values, list) else list(values)
        if not batch:
            return
        low, high, total = min(batch), max(batch), math.fsum(batch)
        # NaN or inf makes the sum non-finite; without them, min() is reliable.
        if not (low >= 0.0 and math.isfinite(total)):
            bad = next(v for v in batch if not 0.0 <= v < math.inf)
            raise ValueError(f"LatencyHistogram values must be finite and >= 0, got {bad!r}")
        counts, offset = self._counts, self._offset
        if isinstance(weights, int):
            _checkWeight(weights)
            for index, n in Counter(self._indexes(batch, low, high)).items():
                counts[index - offset] += n * weights
            self.count += len(batch) * weights
            self.sum += total * weights
        else:
            weightList = weights if isinstance(weights, list) else list(weights)
            if len(weightList) != len(batch):
                raise ValueError(
                    f"LatencyHistogram.addMany needs one weight per value, "
                    f"got {len(weightList)} weights for {len(batch)} values"
                )
            _checkWeight(min(weightList))
            for index, weight in zip(self._indexes(batch, low, high), weightList, strict=True):
                counts[index - offset] += weight
            self.count += sum(weightList)
            self.sum += math.fsum(map(operator.mul, batch, weightList))
        self.min = min(self.min, low)
        self.max = max(self.max, high)

    def _indexes(self, batch: list[float], low: float, high: float) -> Iterator[int]:
        """Each value's bucket: log base gamma, rounded up, after clamping into range."""
        inRange: Iterable[float] = batch
        if low < self.minValue or high > self.maxValue:
            inRange = map(min, map(max, batch, repeat(self.minValue)), repeat(self.maxValue))
        # C-level maps, no Python step per value. (log2 and a multiplication are about
        # twice as fast as math.log(x, gamma) in CPython.)
        return map(math.ceil, map(self._bucketsPerOctave.__mul__, map(math.log2, inRange)))

    def merge(self, other: LatencyHistogram) -> None:
        """Add every value counted by ``other`` (same settings) into this histogram."""
        mine = (self.relativeAccuracy, self.minValue, self.maxValue)
        theirs = (other.relativeAccuracy, other.minValue, other.maxValue)
        if mine != theirs:
            raise ValueError(
                "LatencyHistogram.merge needs the same (relativeAccuracy, minValue, maxValue), "
                f"got {theirs} into {mine}"
            )
        self._counts = array("q", map(operator.add, self._counts, other._counts))
        self.count += other.count
        self.sum += other.sum
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)

    # -- reading -----------------------------------------------------------------------

    @property
    def mean(self) -> float:
        """The (weighted) mean of the values added, or 0.0 when empty."""
        return self.sum / self.count if self.count else 0.0

    @property
    def bucketCount(self) -> int:
        """How many buckets hold at least one value."""
        return sum(1 for n in self._counts if n)

    @property
    def maxBuckets(self) -> int:
        """The fixed number of buckets: the memory bound, whatever the number of values."""
        return len(self._counts)

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile, ``p`` in [0, 100], within ``relativeAccuracy``; 0.0 if empty."""
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 100:
            raise ValueError(f"LatencyHistogram.percentile p must be in [0, 100], got {p!r}")
        if not self.count:
            return 0.0
        rank = max(1, math.ceil(p * self.count / 100))
        seen = 0
        for position, n in enumerate(self._counts):
            seen += n
            if seen >= rank:
                estimate = 2.0 * self._gamma ** (position + self._offset) / (self._gamma + 1.0)
                # The exact answer lies in [min, max]: clamping can only bring us closer.
                return min(max(estimate, self.min), self.max)
        return self.max  # unreachable: the counts add up to self.count


def _checkWeight(weight: object) -> None:
    if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
        raise ValueError(f"LatencyHistogram weights must be ints >= 1, got {weight!r}")


def _check(name: str, value: float, ok: bool, expected: str) -> None:
    if not ok:
        raise ValueError(f"LatencyHistogram.{name} must be {expected}, got {value!r}")

"""LatencyHistogram: percentiles within the stated bound, exact merges, fixed memory."""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_lib.histogram import LatencyHistogram

ALPHA = 0.01
inRange = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False)
percent = st.floats(min_value=0.0, max_value=100.0)


def exactPercentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered) / 100)) - 1]


@settings(max_examples=200, deadline=None)
@given(values=st.lists(inRange, min_size=1, max_size=300), p=percent)
def test_percentile_is_within_the_relative_accuracy_of_the_exact_one(
    values: list[float], p: float
) -> None:
    histogram = LatencyHistogram(relativeAccuracy=ALPHA)
    histogram.addMany(values)
    exact = exactPercentile(values, p)
    assert abs(histogram.percentile(p) - exact) <= ALPHA * exact * (1 + 1e-9)


@settings(max_examples=100, deadline=None)
@given(
    pairs=st.lists(st.tuples(inRange, st.integers(1, 20)), min_size=1, max_size=100),
    p=percent,
)
def test_a_weighted_value_counts_as_that_many_copies(
    pairs: list[tuple[float, int]], p: float
) -> None:
    weighted, repeated = LatencyHistogram(), LatencyHistogram()
    weighted.addMany([v for v, _ in pairs], [w for _, w in pairs])
    for value, weight in pairs:
        repeated.addMany([value] * weight)
    assert weighted.count == repeated.count == sum(w for _, w in pairs)
    assert weighted.percentile(p) == repeated.percentile(p)
    assert weighted.mean == pytest.approx(repeated.mean, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(st.floats(min_value=0.0, max_value=1e-6), min_size=1, max_size=50),
    p=percent,
)
def test_below_min_value_the_error_is_absolute_and_small(values: list[float], p: float) -> None:
    histogram = LatencyHistogram(relativeAccuracy=ALPHA, minValue=1e-6)
    histogram.addMany(values)
    assert abs(histogram.percentile(p) - exactPercentile(values, p)) <= 1e-6 * (1 + ALPHA)


@settings(max_examples=100, deadline=None)
@given(a=st.lists(inRange, max_size=100), b=st.lists(inRange, max_size=100), p=percent)
def test_merging_gives_the_histogram_of_all_the_values(
    a: list[float], b: list[float], p: float
) -> None:
    left, right, together = LatencyHistogram(), LatencyHistogram(), LatencyHistogram()
    left.addMany(a)
    right.addMany(b)
    together.addMany(a + b)
    left.merge(right)
    assert left.count == together.count
    assert left.percentile(p) == together.percentile(p)
    assert left.min == together.min and left.max == together.max
    assert left.sum == pytest.approx(together.sum, rel=1e-12)


def test_merge_refuses_histograms_with_other_buckets() -> None:
    with pytest.raises(ValueError, match=r"LatencyHistogram.merge needs the same"):
        LatencyHistogram(relativeAccuracy=0.01).merge(LatencyHistogram(relativeAccuracy=0.02))


def test_memory_is_fixed_whatever_the_number_of_values() -> None:
    histogram = LatencyHistogram()
    before = (histogram.maxBuckets, sys.getsizeof(histogram._counts))
    # a million values over 20 orders of magnitude, most of them out of range
    for exponent in range(-10, 11):
        histogram.addMany([10.0**exponent * (1 + i / 50_000) for i in range(50_000)])
    assert histogram.count == 21 * 50_000
    assert (histogram.maxBuckets, sys.getsizeof(histogram._counts)) == before
    assert histogram.bucketCount <= histogram.maxBuckets == 1728


def test_count_sum_min_max_are_exact() -> None:
    histogram = LatencyHistogram()
    histogram.addMany([0.5, 2.0, 1e12, 0.0])
    histogram.add(3.0, weight=2)
    assert (histogram.count, histogram.min, histogram.max) == (6, 0.0, 1e12)
    assert histogram.sum == 0.5 + 2.0 + 1e12 + 6.0
    # Out of range, a value is counted in the top bucket: its percentile reads about maxValue.
    assert histogram.percentile(100) == pytest.approx(1e9, rel=ALPHA)


def test_an_empty_histogram_reads_zero() -> None:
    histogram = LatencyHistogram()
    assert (histogram.count, histogram.mean, histogram.percentile(99)) == (0, 0.0, 0.0)
    histogram.addMany([])
    assert histogram.bucketCount == 0


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_bad_values_are_refused_and_nothing_is_counted(bad: float) -> None:
    histogram = LatencyHistogram()
    with pytest.raises(ValueError, match=r"values must be finite and >= 0, got"):
        histogram.addMany([1.0, bad, 2.0])
    assert histogram.count == 0 and histogram.bucketCount == 0


@pytest.mark.parametrize("weights", [0, [1, 0], [1, 2, 3], True])
def test_bad_weights_are_refused(weights: object) -> None:
    with pytest.raises(ValueError, match=r"LatencyHistogram.*weight"):
        LatencyHistogram().addMany([1.0, 2.0], weights)  # type: ignore[arg-type]


@pytest.mark.parametrize("p", [-1, 100.5, math.nan, True])
def test_percentile_outside_0_to_100_is_refused(p: float) -> None:
    with pytest.raises(ValueError, match=r"LatencyHistogram.percentile p must be in \[0, 100\]"):
        LatencyHistogram().percentile(p)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"relativeAccuracy": 0.0}, ValueError, r"relativeAccuracy must be in \(0, 1\), got 0.0"),
        ({"relativeAccuracy": "1%"}, TypeError, r"relativeAccuracy must be a number, got '1%'"),
        ({"minValue": -1.0}, ValueError, r"minValue must be a positive finite number"),
        ({"minValue": 1.0, "maxValue": 1.0}, ValueError, r"maxValue must be finite and > 1.0"),
    ],
)
def test_settings_are_checked(kwargs: dict[str, object], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        LatencyHistogram(**kwargs)  # type: ignore[arg-type]

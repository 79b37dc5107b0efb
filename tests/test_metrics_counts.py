"""@measuredStage's counts stay exact between timed records, however the stream ends.

After the first round (``ROUND_SIZE`` timed records) a fast stage is sampled: most of
its records pass untimed, at C speed, and the input side decides when the next one is
timed. These tests make a stage fail, or its consumer stop, at any record of such a
stretch, and check that ``recordsIn``/``recordsOut`` are what really went in and out.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_lib import measuredStage
from pipeline_lib.metrics import ROUND_SIZE
from pipeline_lib.testing import FakeClock

# Past the first (fully timed) round, so that most records pass untimed.
AFTER_FIRST_ROUND = st.integers(ROUND_SIZE + 1, 6 * ROUND_SIZE)


class Flaky:
    """Yields ``copies[i]`` copies of input ``i`` (0, 1 or more) and fails at output ``failAt``."""

    def __init__(self, copies: list[int], failAt: int | None) -> None:
        self.copies, self.failAt, self.pulled = copies, failAt, 0

    @measuredStage("Flaky", clock=FakeClock())  # no time passes: a fast, sampled stage
    def process(self, inputStream: Iterator[int]) -> Iterator[int]:
        produced = 0
        for record in inputStream:
            self.pulled += 1
            for _ in range(self.copies[record % len(self.copies)]):
                if produced == self.failAt:
                    raise ValueError(f"boom at output {produced}")
                produced += 1
                yield record


copiesPerInput = st.lists(st.integers(0, 3), min_size=1, max_size=7).filter(any)


def expectedOutputs(copies: list[int], inputs: int) -> list[int]:
    return [r for r in range(inputs) for _ in range(copies[r % len(copies)])]


@settings(max_examples=60, deadline=None)
@given(copies=copiesPerInput, failAt=AFTER_FIRST_ROUND, extra=st.integers(0, 500))
def test_a_stage_failing_at_any_record_reports_exactly_what_went_in_and_out(
    copies: list[int], failAt: int, extra: int
) -> None:
    stage = Flaky(copies, failAt)
    received: list[int] = []
    inputs = len(copies) * (failAt + 1) + extra  # enough to reach output failAt
    with pytest.raises(ValueError, match=f"boom at output {failAt}"):
        for record in stage.process(iter(range(inputs))):
            received.append(record)
    metrics = Flaky.process.lastMetrics
    assert received == expectedOutputs(copies, inputs)[:failAt]  # none lost, none twice
    assert metrics.recordsOut == failAt
    assert metrics.recordsIn == stage.pulled
    assert (metrics.outcome, metrics.error) == ("failed", f"ValueError: boom at output {failAt}")


@settings(max_examples=60, deadline=None)
@given(copies=copiesPerInput, stopAfter=AFTER_FIRST_ROUND)
def test_a_consumer_stopping_at_any_record_leaves_exact_counts(
    copies: list[int], stopAfter: int
) -> None:
    stage = Flaky(copies, None)
    stream = stage.process(iter(range(len(copies) * stopAfter)))
    received = list(islice(stream, stopAfter))
    stream.close()  # type: ignore[attr-defined]
    metrics = Flaky.process.lastMetrics
    assert metrics.recordsOut == len(received)
    assert metrics.recordsIn == stage.pulled
    assert metrics.outcome == ("closed" if len(received) == stopAfter else "exhausted")


@settings(max_examples=40, deadline=None)
@given(copies=copiesPerInput, extra=st.integers(0, 5 * ROUND_SIZE))
def test_a_stage_that_runs_out_passes_every_record_once(copies: list[int], extra: int) -> None:
    stage = Flaky(copies, None)
    inputs = len(copies) * 2 * ROUND_SIZE + extra  # at least two rounds of outputs
    received = list(stage.process(iter(range(inputs))))
    expected = expectedOutputs(copies, inputs)
    metrics = Flaky.process.lastMetrics
    assert received == expected
    assert (metrics.recordsIn, metrics.recordsOut) == (inputs, len(expected))
    assert metrics.outcome == "exhausted"
    assert metrics.timedRecords < metrics.recordsOut  # the stretch under test was untimed


def test_a_stage_yielding_many_records_per_input_passes_them_all() -> None:
    """Untimed stretches of thousands of outputs between two inputs."""

    class Exploder:
        @measuredStage("Exploder", clock=FakeClock())
        def process(self, inputStream: Iterator[int]) -> Iterator[Any]:
            for record in inputStream:
                yield from [record] * 10_000

    received = list(Exploder().process(iter(range(30))))
    metrics = Exploder.process.lastMetrics
    assert received == [r for r in range(30) for _ in range(10_000)]
    assert (metrics.recordsIn, metrics.recordsOut, metrics.outcome) == (30, 300_000, "exhausted")

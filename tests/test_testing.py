"""pipeline_lib.testing: helpers users reuse in their own tests (here: FakeClock)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline_lib import measuredStage
from pipeline_lib.testing import FakeClock


def test_fake_clock_moves_only_when_time_is_spent_and_records_who_spent_it() -> None:
    clock = FakeClock(start=5.0)
    assert clock() == clock() == 5.0
    clock.spend(0.25, "Parser")
    clock.spend(1.0)  # anonymous: moves the clock, records no span
    clock.spend(0.5, "Parser")
    assert clock() == 6.75
    assert clock.spans == {"Parser": [(5.0, 5.25), (6.25, 6.75)]}


@pytest.mark.parametrize("bad", [-1.0, math.inf, math.nan])
def test_fake_clock_refuses_bad_durations(bad: float) -> None:
    with pytest.raises(ValueError, match=r"FakeClock\.spend seconds must be finite and >= 0"):
        FakeClock().spend(bad)


@pytest.mark.parametrize("bad", ["1", None, True])
def test_fake_clock_refuses_non_numbers(bad: Any) -> None:
    with pytest.raises(TypeError, match=r"FakeClock\.spend seconds must be a number"):
        FakeClock().spend(bad)


def test_measured_stage_on_a_fake_clock_reports_exactly_the_cost_spent() -> None:
    clock = FakeClock()

    class Parser:
        @measuredStage("Parser", clock=clock)
        def process(self, inputStream: Iterator[int]) -> Iterator[int]:
            for record in inputStream:
                clock.spend(0.002, "Parser")
                yield record

    assert list(Parser().process(iter(range(10)))) == list(range(10))
    metrics = Parser.process.lastMetrics  # type: ignore[attr-defined]
    assert metrics.meanLatencyMs == pytest.approx(2.0)
    assert len(clock.spans["Parser"]) == 10


def test_quiet_logs_silences_the_block_and_restores_the_previous_level_even_on_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from pipeline_lib.testing import quietLogs

    logger = logging.getLogger("pipeline_lib")
    with pytest.raises(ValueError), quietLogs():
        logger.error("hidden")
        raise ValueError("boom")
    logger.error("shown")
    assert [r.getMessage() for r in caplog.records] == ["shown"]
    logging.disable(logging.INFO)
    try:
        with quietLogs():
            pass
        assert logging.root.manager.disable == logging.INFO  # the previous level, not 0
    finally:
        logging.disable(logging.NOTSET)

"""Failure injection: where, how often and with what a component fails."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_lib import ListSink, SensorSource, ThresholdFilter
from pipeline_lib.faults import Fault, failSink, failSource, failStage

RECORDS = list(SensorSource(count=20, seed=9).stream())


def drain(stream: Iterator[Any]) -> list[Any] | BaseException:
    delivered: list[Any] = []
    try:
        delivered.extend(stream)
    except BaseException as error:  # the test inspects it
        return error
    return delivered


def recordOf(error: BaseException) -> int:
    """The failure point named in an injected error's message."""
    return int(str(error).split("record ")[1].split()[0])


def test_at_record_fails_there_and_a_transient_fault_heals_after_times() -> None:
    fault = Fault(atRecord=3, times=2)
    source = failSource(SensorSource(count=20, seed=9), fault)
    assert isinstance(drain(source.stream()), OSError)
    assert isinstance(drain(source.stream()), OSError)
    assert drain(source.stream()) == RECORDS
    assert fault.failures == 2 and fault.healed


def test_a_permanent_fault_never_heals() -> None:
    fault = Fault(atRecord=0)
    source = failSource(SensorSource(count=3), fault)
    for _ in range(5):
        assert isinstance(drain(source.stream()), OSError)
    assert not fault.healed and fault.failures == 5


@settings(max_examples=80, deadline=None)
@given(schedule=st.lists(st.integers(0, 19), max_size=6).map(sorted))
def test_at_records_fails_at_each_offset_in_turn_when_resumed_there(schedule: list[int]) -> None:
    fault = Fault(atRecords=schedule)
    source = failSource(SensorSource(count=20, seed=9), fault)
    position, failedAt = 0, []
    while isinstance(outcome := drain(source.stream(resumeAfter=position)), BaseException):
        position = recordOf(outcome)  # resume exactly where it failed, as a retry would
        failedAt.append(position)
    assert failedAt == schedule and fault.healed
    assert [type(e) for e in fault.raised] == [OSError] * len(schedule)


def test_at_records_reached_by_re_reading_fires_on_the_re_read() -> None:
    fault = Fault(atRecords=(5, 2))  # out of order: 2 is reached while re-reading
    source = failSource(SensorSource(count=20, seed=9), fault)
    assert isinstance(drain(source.stream()), OSError)  # at 5
    assert isinstance(drain(source.stream()), OSError)  # at 2, on the way back to 5
    assert drain(source.stream()) == RECORDS


def test_an_error_instance_is_raised_as_is_each_time() -> None:
    original = ConnectionResetError("the same object")
    fault = Fault(atRecords=(1, 1), error=original)
    source = failSource(SensorSource(count=5), fault)
    assert drain(source.stream()) is original
    assert drain(source.stream()) is original
    assert fault.raised == [original, original]


def test_messages_count_the_failures() -> None:
    fault = Fault(atRecords=(2, 4))
    source = failSource(SensorSource(count=9), fault)
    assert str(drain(source.stream())) == "injected failure at record 2 of SensorSource (1 of 2)"
    assert str(drain(source.stream(resumeAfter=2))) == (
        "injected failure at record 4 of SensorSource (2 of 2)"
    )
    assert "(permanent)" in str(drain(failSource(SensorSource(), Fault(atRecord=0)).stream()))


def test_a_seeded_rate_is_reproducible() -> None:
    def failuresFor(seed: int) -> list[int]:
        fault = Fault(rate=0.2, seed=seed)
        source = failSource(SensorSource(count=50), fault)
        for _ in range(5):
            drain(source.stream())
        return [recordOf(error) for error in fault.raised]

    assert failuresFor(3) == failuresFor(3) and failuresFor(3) != failuresFor(4)


def test_stages_and_sinks_fail_at_their_record() -> None:
    stage = failStage(ThresholdFilter(-1e9, 1e9), Fault(atRecord=4, error=ValueError))
    assert isinstance(drain(stage.process(iter(RECORDS))), ValueError)
    sink = ListSink()
    with pytest.raises(OSError, match="record 6 of ListSink"):
        failSink(sink, Fault(atRecord=6)).consume(RECORDS)
    assert sink.records == RECORDS[:6]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "Fault needs atRecord=k, atRecords="),
        ({"atRecords": (1,), "atRecord": 1}, "Fault.atRecords is a whole schedule"),
        ({"atRecords": (1,), "rate": 0.5}, "Fault.atRecords is a whole schedule"),
        ({"atRecords": (1, -2)}, r"Fault.atRecords must be ints >= 0, got \(1, -2\)"),
        ({"atRecords": (True,)}, "Fault.atRecords must be ints >= 0"),
        ({"atRecord": -1}, "Fault.atRecord must be an int >= 0, got -1"),
        ({"rate": 1.5}, r"Fault.rate must be in \[0, 1\], got 1.5"),
        ({"atRecord": 1, "times": -1}, "Fault.times must be >= 0 or None, got -1"),
    ],
)
def test_bad_faults_are_rejected_with_the_field(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Fault(**options)


def test_times_can_cut_a_schedule_short() -> None:
    fault = Fault(atRecords=(1, 2, 3), times=1)
    source = failSource(SensorSource(count=5), fault)
    assert isinstance(drain(source.stream()), OSError)
    assert len(drain(source.stream())) == 5  # type: ignore[arg-type]

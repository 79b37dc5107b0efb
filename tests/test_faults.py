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
    return recordOfMessage(str(error))


def recordOfMessage(message: str) -> int:
    return int(message.split("record ")[1].split()[0])


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
    assert [recordOfMessage(m) for m in fault.messages] == schedule


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
    assert fault.failures == 2 and fault.messages == ["the same object"] * 2
    assert fault.failureNumber(original) == 2  # the latest raise


def test_messages_count_the_failures() -> None:
    fault = Fault(atRecords=(2, 4))
    source = failSource(SensorSource(count=9), fault)
    first = "injected failure at record 2 of SensorSource (transient, 1 of 2)"
    assert str(drain(source.stream())) == first
    second = "injected failure at record 4 of SensorSource (transient, 2 of 2)"
    assert str(drain(source.stream(resumeAfter=2))) == second
    assert fault.messages == [first, second] and fault.lastMessage == second
    permanent = Fault(atRecord=0)
    assert str(drain(failSource(SensorSource(), permanent).stream())) == (
        "injected failure at record 0 of SensorSource (permanent)"
    )
    assert not permanent.transient and fault.transient


def test_a_seeded_rate_is_reproducible() -> None:
    def failuresFor(seed: int) -> list[int]:
        fault = Fault(rate=0.2, seed=seed)
        source = failSource(SensorSource(count=50), fault)
        for _ in range(5):
            drain(source.stream())
        return [recordOfMessage(message) for message in fault.messages]

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


def test_failure_number_names_the_fault_and_the_failure_that_raised_an_error() -> None:
    fault, other = Fault(atRecord=1, times=3), Fault(atRecord=1)
    errors = [drain(failSource(SensorSource(count=5), fault).stream()) for _ in range(3)]
    assert [fault.failureNumber(e) for e in errors] == [1, 2, 3]  # type: ignore[arg-type]
    assert len(drain(failSource(SensorSource(count=5), fault).stream())) == 5  # type: ignore[arg-type]
    otherError = drain(failSource(SensorSource(count=5), other).stream())
    assert fault.failureNumber(otherError) is None  # type: ignore[arg-type]
    assert other.failureNumber(otherError) == 1  # type: ignore[arg-type]
    assert fault.failureNumber(OSError(str(errors[0]))) is None  # same text, not the same error
    assert fault.lastMessage is not None and fault.lastMessage.endswith("(transient, 3 of 3)")


def test_a_fault_keeps_no_exception_it_raised_alive() -> None:
    import gc
    import sys

    gc.collect()
    gc.disable()  # reference counting alone must free it: no cycle through the fault
    try:
        fault = Fault(atRecord=1)
        error = drain(failStage(ThresholdFilter(-1e9, 1e9), fault).process(iter(RECORDS)))
        assert isinstance(error, OSError)
        # the test's own name and getrefcount's argument: the fault holds no reference
        assert sys.getrefcount(error) == 2
        assert fault.failures == 1
    finally:
        gc.enable()

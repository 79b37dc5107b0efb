"""Exercise checks: the verdict framework, and notebook 00's checks (01 and 02: their own files)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pipeline_lib.exercises import (
    Verdict,
    checkCountingSink,
    correct,
    exerciseCheck,
    require,
)


def test_a_verdict_reads_as_one_line_and_is_truthy_only_when_correct() -> None:
    assert repr(Verdict(True, "done")) == "✅ Correct: done"
    verdict = Verdict(False, "2 leaked.", "close them")
    assert str(verdict) == "❌ Not yet: 2 leaked. Hint: close them"
    assert str(Verdict(False, "2 leaked")) == "❌ Not yet: 2 leaked."
    assert Verdict(True, "x") and not Verdict(False, "x")


def test_a_check_turns_any_exception_from_student_code_into_a_verdict() -> None:
    @exerciseCheck(hint="h")
    def check(value: Any) -> Verdict:
        require(value(), "value() was falsy")
        return correct("fine")

    assert check(lambda: 1).passed
    assert str(check(lambda: 0)) == "❌ Not yet: value() was falsy. Hint: h"
    assert str(check(lambda: 1 / 0)) == (
        "❌ Not yet: your code raised ZeroDivisionError: division by zero. Hint: h"
    )


def test_a_check_lets_keyboard_interrupt_through() -> None:
    @exerciseCheck(hint="h")
    def check() -> Verdict:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check()


# -- 00 (the spike filter: tests/exercises/test_nb00_start_here.py) -----------------


class CountingSink:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def consume(self, stream: Iterator[Any]) -> None:
        for reading in stream:
            self.counts[reading.sensorId] = self.counts.get(reading.sensorId, 0) + 1


class LazySink:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def consume(self, stream: Iterator[Any]) -> None:
        pass


class PassThroughSink:
    def consume(self, stream: Iterator[Any]) -> None:
        pass


def test_check_counting_sink() -> None:
    assert checkCountingSink(CountingSink).passed
    assert "counts are {}" in checkCountingSink(LazySink).message
    assert "no .counts" in checkCountingSink(PassThroughSink).message
    assert "no attribute 'consume'" in checkCountingSink(object).message

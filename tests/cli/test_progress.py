"""ProgressBar: silent on short runs, throttled, erased however the stream ends."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from pipeline_lib.cli.progress import ProgressBar


class FakeClock:
    """Advances by ``step`` seconds every time it is read."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def _drawn(output: io.StringIO) -> list[str]:
    return [part.strip() for part in output.getvalue().split("\r") if part.strip()]


def test_records_pass_through_unchanged_and_counted() -> None:
    bar = ProgressBar(io.StringIO(), clock=FakeClock(0.0))
    assert list(bar.process(iter(range(5)))) == [0, 1, 2, 3, 4]
    assert bar.count == 5


def test_a_short_run_draws_nothing() -> None:
    output = io.StringIO()
    bar = ProgressBar(output, delay=0.5, clock=FakeClock(0.001))
    list(bar.process(iter(range(100))))  # 100 records in ~0.2 s
    assert output.getvalue() == ""


def test_a_long_run_redraws_at_most_once_per_interval() -> None:
    output = io.StringIO()
    bar = ProgressBar(output, total=1000, delay=0.5, interval=0.1, clock=FakeClock(0.001))
    list(bar.process(iter(range(1000))))  # ~2 s of fake time, 2 clock reads per record
    lines = [line for line in _drawn(output) if line]
    assert 5 <= len(lines) <= 2 * 2.0 / 0.1
    assert lines[-1].startswith("[") and "/1,000 records read" in lines[-1]


def test_the_line_is_blanked_out_when_the_stream_fails() -> None:
    def failing() -> Iterator[int]:
        yield from range(10)
        raise OSError("gone")

    output = io.StringIO()
    bar = ProgressBar(output, delay=0.0, clock=FakeClock(1.0))
    with pytest.raises(OSError):
        list(bar.process(failing()))
    *_, lastDrawn, blank, end = output.getvalue().split("\r")
    assert "records read" in lastDrawn
    assert end == "" and blank.strip() == "" and len(blank) >= len(lastDrawn.rstrip())


def test_without_a_total_it_shows_a_count_and_a_rate() -> None:
    bar = ProgressBar(io.StringIO(), clock=lambda: 4.0)
    bar.count = 12000
    assert bar.line() == "12,000 records read  4s  3,000 records/s"


def test_a_total_shows_a_bar_and_never_overflows() -> None:
    bar = ProgressBar(io.StringIO(), total=10, clock=lambda: 1.0, width=4)
    bar.count = 15  # a source that yields more than it announced
    assert bar.line() == "[####] 100%  15/10 records read  1s"

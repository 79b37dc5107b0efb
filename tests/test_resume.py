"""The resume protocol: resumed where possible, re-read and skipped otherwise, never leaky."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_lib import CsvSink, CsvSource, SensorSource, openFileDescriptors
from pipeline_lib.resume import isResumable, resumeMethod, resumeStream


class Counting:
    """A non-resumable source that counts what it produced."""

    def __init__(self, count: int) -> None:
        self.count, self.produced, self.closed = count, 0, 0

    def stream(self) -> Iterator[int]:
        try:
            for value in range(self.count):
                self.produced += 1
                yield value
        finally:
            self.closed += 1


class Resumable(Counting):
    def stream(self, resumeAfter: int = 0) -> Iterator[int]:  # type: ignore[override]
        for value in range(resumeAfter, self.count):
            self.produced += 1
            yield value


def test_is_resumable_needs_a_resume_after_keyword() -> None:
    def keywordOnly(*, resumeAfter: int = 0) -> Iterator[int]:
        yield 1

    def positionalOnly(resumeAfter: int = 0, /) -> Iterator[int]:
        yield 1

    def anyKeywords(**options: int) -> Iterator[int]:
        yield 1

    assert isResumable(keywordOnly) and isResumable(Resumable(1).stream)
    assert not isResumable(positionalOnly) and not isResumable(anyKeywords)
    assert not isResumable(Counting(1).stream) and not isResumable(len)
    assert isResumable(functools.partial(Resumable(1).stream))


@settings(max_examples=80, deadline=None)
@given(count=st.integers(0, 50), k=st.integers(0, 60))
def test_resuming_and_skipping_give_the_same_records(count: int, k: int) -> None:
    resumable, plain = Resumable(count), Counting(count)
    expected = list(range(count))[k:]
    assert list(resumeMethod(resumable.stream, k)) == expected
    assert list(resumeMethod(plain.stream, k)) == expected
    assert list(resumeStream(Counting(count), k)) == expected
    assert resumable.produced == len(expected)  # resumed: the prefix is never produced
    assert plain.produced == count  # re-read: the prefix is produced and dropped


def test_resume_method_trusts_the_callers_answer_about_resumability() -> None:
    source = Resumable(10)
    assert list(resumeMethod(source.stream, 4, resumable=True)) == [4, 5, 6, 7, 8, 9]
    assert source.produced == 6


def test_closing_a_skipping_stream_closes_the_re_read_source() -> None:
    plain = Counting(100)
    stream = resumeMethod(plain.stream, 5)
    assert next(stream) == 5
    stream.close()  # type: ignore[attr-defined]
    assert plain.closed == 1


def test_closing_a_resumed_source_stream_closes_its_file(tmp_path: Path) -> None:
    CsvSink(tmp_path / "r.csv").consume(SensorSource(count=20).stream())
    before = openFileDescriptors()
    stream = resumeStream(CsvSource(tmp_path / "r.csv"), 7)
    next(stream)
    assert openFileDescriptors() == before + 1
    stream.close()
    assert openFileDescriptors() == before

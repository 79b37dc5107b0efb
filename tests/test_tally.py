"""Tally counts exactly the records delivered, across block boundaries and failures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline_lib.tally import Tally


@given(records=st.integers(0, 60), taken=st.integers(0, 70))
def test_the_count_is_the_number_of_records_taken(records: int, taken: int) -> None:
    tally = Tally(iter(range(records)))
    out = [record for _, record in zip(range(taken), tally.stream, strict=False)]
    assert out == list(range(min(records, taken)))
    assert tally.count == len(out)
    assert tally.count == len(out)  # reading the count changes nothing


@given(failAt=st.integers(0, 30))
def test_a_record_that_never_arrived_is_not_counted(failAt: int) -> None:
    def failing() -> Iterator[int]:
        yield from range(failAt)
        raise OSError("upstream failed")

    tally = Tally(failing())
    with pytest.raises(OSError):
        list(tally.stream)
    assert tally.count == failAt


def test_a_dropped_tally_frees_its_stream_at_once_without_the_cycle_collector() -> None:
    import gc
    import weakref

    class Stream:
        def __iter__(self) -> Stream:
            return self

        def __next__(self) -> int:
            return 1

    source = Stream()
    alive = weakref.ref(source)
    gc.collect()
    gc.disable()  # reference counting alone: no cycle may keep the source
    try:
        tally = Tally(source)
        next(tally.stream)
        del source, tally
        assert alive() is None
    finally:
        gc.enable()

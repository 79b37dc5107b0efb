"""Hypothesis strategies shared by the test modules (one place, as attrs keeps its own)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

#: Anything a user might assign: numbers of every kind, edge floats, and non-numbers.
anything = st.one_of(
    st.floats(),
    st.integers(),
    st.integers(-(10**400), 10**400),
    st.booleans(),
    st.fractions(),
    st.decimals(),
    st.text(max_size=5),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


class BrokenRepr:
    """A value whose ``repr`` raises: a message built from it must not fail with it."""

    def __init__(self, error: type[Exception] = RuntimeError) -> None:
        self.error = error

    def __repr__(self) -> str:
        raise self.error("repr refused")


#: Values a hostile or careless file or user may give: huge ints (over 4300 digits,
#: which ``repr`` refuses), long strings, deep lists, values whose ``repr`` raises.
hostileValues: st.SearchStrategy[Any] = st.one_of(
    st.integers(min_value=4301, max_value=6000).map(lambda digits: 10**digits + 7),
    st.integers(min_value=4301, max_value=6000).map(lambda digits: -(10**digits)),
    st.text(min_size=100, max_size=300),
    st.integers(min_value=1, max_value=2000).map(lambda depth: _nested(depth)),
    st.sampled_from([RuntimeError, ValueError, RecursionError]).map(BrokenRepr),
)

#: Anything at all a user might assign to a field: ordinary and hostile.
anyValue: st.SearchStrategy[Any] = st.one_of(
    st.floats(),
    st.integers(),
    st.integers(-(10**400), 10**400),
    st.booleans(),
    st.text(max_size=5),
    st.none(),
    st.lists(st.integers(), max_size=2),
    hostileValues,
)


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value

"""Hypothesis strategies shared by the test modules (one place, as attrs keeps its own)."""

from __future__ import annotations

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

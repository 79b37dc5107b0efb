"""The problems found in a pipeline file, collected rather than raised, each at its place.

A file with five mistakes gets five messages in one go; each message starts with where
it is (``stages[1].type``) and says what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["Problems"]


class Problems:
    """Every problem found so far, in order, each message starting with its place.

    Give it a list to add to that list (a caller that collects more than components).

    >>> problems = Problems()
    >>> problems.add("stages[1].type", "unknown stage 'Normaliser'")
    >>> len(problems), bool(problems), list(problems)
    (1, True, ["stages[1].type: unknown stage 'Normaliser'"])
    """

    def __init__(self, messages: list[str] | None = None) -> None:
        self.messages: list[str] = [] if messages is None else messages

    def add(self, place: str, message: str) -> None:
        """One problem at ``place`` (``source``, ``stages[0].type``, ``sink.path``)."""
        self.messages.append(f"{place}: {message}")

    def extend(self, other: Problems) -> None:
        self.messages.extend(other.messages)

    def __len__(self) -> int:
        return len(self.messages)

    def __iter__(self) -> Iterator[str]:
        return iter(self.messages)

    def __repr__(self) -> str:
        return f"Problems({self.messages!r})"

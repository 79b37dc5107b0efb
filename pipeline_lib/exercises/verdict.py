"""Self-checks for the notebooks' exercises: a friendly verdict, never an exception.

Each exercise ends with a cell like ``checkSafeRunner(runWithCleanup)``. The check runs
the student's code against real resources and returns a :class:`Verdict`, which shows
as one line: ``✅ Correct: ...`` or ``❌ Not yet: ... Hint: ...``. A check never raises,
whatever the student's code does, so "Run All" always reaches the end of the notebook.

Writing a check for a new exercise takes three pieces (see the checks below):

- decorate it with :func:`exerciseCheck`, giving the hint shown when it fails;
- inside, call :func:`require` for each expectation (its message says what is wrong);
- return :func:`correct` with what the student achieved.

>>> @exerciseCheck(hint="return the sum, not the product")
... def checkAdd(add):
...     require(add(2, 3) == 5, f"add(2, 3) returned {add(2, 3)!r}, expected 5")
...     return correct("add(2, 3) == 5")
>>> checkAdd(lambda a, b: a + b)
✅ Correct: add(2, 3) == 5
>>> checkAdd(lambda a, b: a * b)
❌ Not yet: add(2, 3) returned 6, expected 5. Hint: return the sum, not the product
>>> checkAdd(lambda a: a)
❌ Not yet: your code raised TypeError: <lambda>() takes 1 positional argument but 2 were
    given. Hint: return the sum, not the product
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec

from ..cleanup import describeError

__all__ = ["NotYet", "Verdict", "correct", "exerciseCheck", "require"]

P = ParamSpec("P")


@dataclass(frozen=True)
class Verdict:
    """The outcome of a self-check; true when correct. Shows as one line of text.

    >>> Verdict(True, "all 3 connections came back")
    ✅ Correct: all 3 connections came back
    >>> bool(Verdict(False, "2 connections leaked", "close the generators"))
    False
    """

    passed: bool
    message: str
    hint: str = ""

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        if self.passed:
            return f"✅ Correct: {self.message}"
        hint = f" Hint: {self.hint}" if self.hint else ""
        return f"❌ Not yet: {self.message.rstrip('.')}.{hint}"

    __repr__ = __str__  # a notebook shows the repr of a cell's last value


class NotYet(Exception):
    """Raised by :func:`require` inside a check; :func:`exerciseCheck` turns it into a verdict.

    ``hint``, when given, replaces the check's general hint: a hint for the mistake that
    this particular failure reveals.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def require(condition: object, message: str, hint: str | None = None) -> None:
    """Stop the check with a ❌ verdict saying ``message`` unless ``condition`` holds.

    ``hint`` names the mistake this failure reveals; without it the check's own hint shows.
    """
    if not condition:
        raise NotYet(message, hint)


def correct(message: str) -> Verdict:
    """The ✅ verdict, saying what the student's code achieved."""
    return Verdict(True, message)


def exerciseCheck(hint: str) -> Callable[[Callable[P, Verdict]], Callable[P, Verdict]]:
    """Make a check safe to run on anything: every failure becomes a ❌ verdict with ``hint``.

    A :func:`require` that fails gives its message; any other exception (the student's
    code raised) is described. ``KeyboardInterrupt`` still stops the cell, as it should.
    """

    def decorator(check: Callable[P, Verdict]) -> Callable[P, Verdict]:
        @functools.wraps(check)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Verdict:
            try:
                return check(*args, **kwargs)
            except NotYet as problem:
                return Verdict(False, str(problem), problem.hint or hint)
            except Exception as error:
                return Verdict(False, f"your code raised {describeError(error)}", hint)

        return wrapper

    return decorator

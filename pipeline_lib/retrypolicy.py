"""Retry policies: how many attempts, how long to wait between them, which errors to retry.

A :class:`RetryPolicy` is pure data, like tenacity's ``stop`` and ``wait`` strategies
rolled into one small frozen dataclass, so a notebook can compute and plot the waiting
schedule without running anything (``policy.delays()``). ``@retryOnFailure`` (in
:mod:`pipeline_lib.retry`) builds one from its keywords and follows it.

>>> policy = RetryPolicy(maxAttempts=6, delaySeconds=0.1, backoff=2.0, maxDelaySeconds=1.0)
>>> policy.delays()
(0.1, 0.2, 0.4, 0.8, 1.0)
>>> policy.isTransient(TimeoutError()), policy.isTransient(PermissionError())
(True, False)
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeAlias

__all__ = ["PERMANENT_OS_ERRORS", "RetryOn", "RetryPolicy", "isTransientOSError", "validatePolicy"]

#: ``OSError`` subclasses that no amount of waiting heals: the path is wrong or forbidden.
PERMANENT_OS_ERRORS: tuple[type[OSError], ...] = (
    FileNotFoundError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
)

RetryOn: TypeAlias = type[Exception] | tuple[type[Exception], ...] | Callable[[BaseException], bool]


def isTransientOSError(error: BaseException) -> bool:
    """The default ``retryOn``: an ``OSError`` that is not one of :data:`PERMANENT_OS_ERRORS`.

    >>> isTransientOSError(ConnectionResetError()), isTransientOSError(FileNotFoundError())
    (True, False)
    """
    return isinstance(error, OSError) and not isinstance(error, PERMANENT_OS_ERRORS)


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try, how long to wait between tries, and which errors are transient.

    The wait after failed attempt ``n`` (1-based) is
    ``min(delaySeconds * backoff ** (n - 1), maxDelaySeconds)``, then, with ``jitter``
    ``j`` in [0, 1], drawn uniformly from ``[(1 - j) * wait, wait]`` (``j = 1`` is "full
    jitter"): jitter only shortens a wait, so the cap holds. ``seed`` makes the jitter
    repeatable: every retried stream draws from a fresh ``random.Random(seed)``, so
    :meth:`delays` is exactly the schedule a stream will sleep.

    >>> policy = RetryPolicy(maxAttempts=5, delaySeconds=0.5, backoff=2.0, maxDelaySeconds=3.0)
    >>> policy.delays()
    (0.5, 1.0, 2.0, 3.0)
    >>> jittered = RetryPolicy(maxAttempts=4, delaySeconds=1.0, jitter=0.5, seed=7)
    >>> jittered.delays() == jittered.delays()
    True
    """

    maxAttempts: int = 3
    delaySeconds: float = 1.0
    backoff: float = 1.0
    maxDelaySeconds: float | None = None
    jitter: float = 0.0
    seed: int | None = None
    retryOn: RetryOn = field(default=isTransientOSError)

    def __post_init__(self) -> None:
        validatePolicy("RetryPolicy", vars(self))

    def __repr__(self) -> str:
        return (
            f"RetryPolicy(maxAttempts={self.maxAttempts}, delaySeconds={self.delaySeconds}, "
            f"backoff={self.backoff}, maxDelaySeconds={self.maxDelaySeconds}, "
            f"jitter={self.jitter}, seed={self.seed}, retryOn={_describeRetryOn(self.retryOn)})"
        )

    def isTransient(self, error: BaseException) -> bool:
        """Whether ``error`` is worth another attempt (never for a non-``Exception``)."""
        if not isinstance(error, Exception):
            return False
        if isinstance(self.retryOn, type | tuple):
            return isinstance(error, self.retryOn)
        return bool(self.retryOn(error))

    def newRandom(self) -> random.Random:
        """The jitter's random numbers for one retried stream."""
        return random.Random(self.seed)

    def delayAfter(self, failedAttempt: int, rng: random.Random) -> float:
        """Seconds to wait after attempt ``failedAttempt`` (1-based) has failed."""
        try:
            wait = (
                self.delaySeconds * self.backoff ** (failedAttempt - 1)
                if self.delaySeconds
                else 0.0
            )
        except OverflowError:  # a long exponential schedule: the cap, if any, decides
            wait = math.inf
        if self.maxDelaySeconds is not None:
            wait = min(wait, self.maxDelaySeconds)
        if self.jitter:
            wait *= 1.0 - self.jitter * rng.random()
        return wait

    def delays(self) -> tuple[float, ...]:
        """The ``maxAttempts - 1`` waits of a stream that fails every attempt, in order."""
        rng = self.newRandom()
        return tuple(self.delayAfter(n, rng) for n in range(1, self.maxAttempts))


def validatePolicy(owner: str, options: Mapping[str, Any]) -> None:
    """Check a policy's options, naming ``owner`` (``retryOnFailure`` or ``RetryPolicy``).

    >>> validatePolicy("retryOnFailure", {"maxAttempts": 0})
    Traceback (most recent call last):
    ...
    ValueError: retryOnFailure.maxAttempts must be >= 1, got 0
    """
    policy = {option.name: option.default for option in fields(RetryPolicy)} | dict(options)

    def number(name: str, value: object, lo: float, hi: float = math.inf) -> None:
        expected = (
            f"{owner}.{name} must be a finite number >= {lo:g}"
            if hi == math.inf
            else f"{owner}.{name} must be a number in [{lo:g}, {hi:g}]"
        )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{expected}, got {value!r}")
        if not (math.isfinite(value) and lo <= value <= hi):
            raise ValueError(f"{expected}, got {value!r}")

    attempts = policy["maxAttempts"]
    if isinstance(attempts, bool) or not isinstance(attempts, int):
        raise TypeError(f"{owner}.maxAttempts must be an int, got {attempts!r}")
    if attempts < 1:
        raise ValueError(f"{owner}.maxAttempts must be >= 1, got {attempts}")
    number("delaySeconds", policy["delaySeconds"], 0.0)
    number("backoff", policy["backoff"], 1.0)
    if policy["maxDelaySeconds"] is not None:
        number("maxDelaySeconds", policy["maxDelaySeconds"], 0.0)
    number("jitter", policy["jitter"], 0.0, 1.0)
    if policy["seed"] is not None and (
        isinstance(policy["seed"], bool) or not isinstance(policy["seed"], int)
    ):
        raise TypeError(f"{owner}.seed must be an int or None, got {policy['seed']!r}")
    _validateRetryOn(owner, policy["retryOn"])


def _validateRetryOn(owner: str, retryOn: object) -> None:
    types = (
        retryOn if isinstance(retryOn, tuple) else (retryOn,) if isinstance(retryOn, type) else None
    )
    if types is None:
        if not callable(retryOn):
            raise TypeError(
                f"{owner}.retryOn must be an exception type, a tuple of them or a predicate "
                f"error -> bool, got {retryOn!r}"
            )
        return
    for kind in types:
        if not (isinstance(kind, type) and issubclass(kind, Exception)):
            raise TypeError(
                f"{owner}.retryOn must name Exception subclasses (KeyboardInterrupt and "
                f"other BaseExceptions are never retried), got {kind!r}"
            )


def _describeRetryOn(retryOn: RetryOn) -> str:
    if isinstance(retryOn, tuple):
        return "(" + ", ".join(kind.__name__ for kind in retryOn) + ")"
    return getattr(retryOn, "__name__", repr(retryOn))

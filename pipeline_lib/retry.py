"""Layer 3, resilience: ``@retryOnFailure`` retries a source's stream without duplicates.

Slide 10's decorator restarts the generator from scratch after an ``IOError``, so every
record delivered before the failure is delivered again (a sink counting readings counts
them twice), which is why tenacity does not support generators. (Its ``@retry`` on a
generator function retries nothing: it wraps the call, which only creates the generator,
and a failure raised later, while iterating, reaches the caller at the first attempt.)
This one counts the records it has delivered and, after a transient failure with ``k`` delivered,
continues with record ``k + 1``: through the resume protocol (``stream(resumeAfter=k)``,
see :mod:`pipeline_lib.resume`) when the wrapped method takes ``resumeAfter``, otherwise
by calling it again and skipping the first ``k`` records.

>>> from pipeline_lib.faults import Fault, failSource
>>> from pipeline_lib import SensorSource
>>> class FlakySensors:
...     def __init__(self):
...         self.inner = failSource(SensorSource(count=5, seed=1), Fault(atRecords=(2, 4)))
...     @retryOnFailure(maxAttempts=3, delaySeconds=0.0)
...     def stream(self, resumeAfter=0):
...         return self.inner.stream(resumeAfter=resumeAfter)
>>> readings = list(FlakySensors().stream())     # failed at records 2 and 4, retried
>>> readings == list(SensorSource(count=5, seed=1).stream())   # each record exactly once
True
>>> FlakySensors.stream.retryStats.retries
2

What is retried: only exceptions raised while *producing* a record (calling the method
or advancing its stream), and only those ``retryOn`` accepts; by default ``OSError``
except the four subclasses that waiting cannot heal
(:data:`~pipeline_lib.retrypolicy.PERMANENT_OS_ERRORS`).
``BaseException``\\s that are not ``Exception``\\s (``KeyboardInterrupt``,
``GeneratorExit``...) are never retried, nor is an exception the consumer throws in.
After the last attempt the last attempt's exception itself is raised, with a note.

Between attempts the failed attempt's iterator is closed (its ``finally`` blocks run,
its connection goes back to the pool) *before* the wrapper sleeps, and the exception is
dropped, so a traceback cannot keep the failed attempt's frame, and what it holds,
alive. Closing the retried stream closes the current attempt's iterator.

Where it applies: any method or function that returns a stream of records and can be
called again (a ``Source.stream``). It refuses ``process`` and ``consume`` methods, and
any call that passes an iterator: an input stream is consumed once and cannot be
replayed, so retry the source instead.
"""

from __future__ import annotations

import functools
import inspect
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

from .cleanup import closeIterator, describeError
from .observe import currentObservations
from .resume import isResumable, resumeMethod
from .retrypolicy import RetryOn, RetryPolicy, isTransientOSError, validatePolicy

__all__ = ["RetryEvent", "RetryStats", "RetryingStream", "retryOnFailure"]

logger = logging.getLogger("pipeline_lib")

Sleep: TypeAlias = Callable[[float], object]

# -- what a decorated method remembers, outside any PipelineContext ------------------


@dataclass(frozen=True)
class RetryEvent:
    """One retry: which method, after which failed attempt, why, and how long it waited."""

    name: str
    attempt: int
    maxAttempts: int
    delivered: int
    delaySeconds: float
    error: str


@dataclass
class RetryStats:
    """Counts for one decorated method, all instances and calls together.

    ``calls``: streams started; ``attempts``: calls of the wrapped method; ``retries``;
    ``gaveUp``: streams that failed all ``maxAttempts``; ``history``: the latest retries
    (at most 100, so memory stays bounded). :meth:`reset` starts again from zero.
    """

    calls: int = 0
    attempts: int = 0
    retries: int = 0
    gaveUp: int = 0
    history: deque[RetryEvent] = field(default_factory=lambda: deque(maxlen=100))

    def reset(self) -> None:
        self.calls = self.attempts = self.retries = self.gaveUp = 0
        self.history.clear()


class RetryingStream(Protocol):
    """What ``@retryOnFailure`` returns: the stream method, plus its policy and counts."""

    retryPolicy: RetryPolicy
    retryStats: RetryStats

    def __call__(self, *args: Any, **kwargs: Any) -> Iterator[Any]: ...


# -- the decorator --------------------------------------------------------------------


def retryOnFailure(
    maxAttempts: int = 3,
    delaySeconds: float = 1.0,
    *,
    retryOn: RetryOn = isTransientOSError,
    backoff: float = 1.0,
    maxDelaySeconds: float | None = None,
    jitter: float = 0.0,
    seed: int | None = None,
    sleep: Sleep | None = None,
) -> Callable[[Callable[..., Iterable[Any]]], RetryingStream]:
    """Retry a ``stream`` method on transient errors, delivering each record exactly once.

    The defaults are slide 10's: 3 attempts, 1 second apart, no backoff, no jitter.
    ``sleep`` is called with each wait in seconds; by default ``time.sleep``, looked up
    at each retry (so a test may monkeypatch it). Use ``sleep=lambda s: None`` or
    ``delaySeconds=0`` in notebooks. ``retryOn`` (an exception type, a tuple of them, or
    a predicate), ``backoff``, ``maxDelaySeconds``, ``jitter`` and ``seed`` are those of
    :class:`~pipeline_lib.retrypolicy.RetryPolicy`.

    The decorated method gains the keyword ``resumeAfter`` (so a retried source stays
    resumable) and the attributes ``retryPolicy`` and ``retryStats``.

    >>> waits = []
    >>> class Flaky:
    ...     failures = 2
    ...     @retryOnFailure(maxAttempts=3, delaySeconds=0.5, backoff=2.0, sleep=waits.append)
    ...     def stream(self):                     # not resumable: re-read and skip
    ...         yield "a"
    ...         if Flaky.failures:
    ...             Flaky.failures -= 1
    ...             raise ConnectionResetError("sensor hub dropped the link")
    ...         yield "b"
    >>> list(Flaky().stream()), waits
    (['a', 'b'], [0.5, 1.0])
    """
    options = dict(
        maxAttempts=maxAttempts,
        delaySeconds=delaySeconds,
        backoff=backoff,
        maxDelaySeconds=maxDelaySeconds,
        jitter=jitter,
        seed=seed,
        retryOn=retryOn,
    )
    validatePolicy("retryOnFailure", options)
    if sleep is not None and not callable(sleep):
        raise TypeError(f"retryOnFailure.sleep must be a callable taking seconds, got {sleep!r}")
    policy = RetryPolicy(**options)  # type: ignore[arg-type]

    def decorator(streamMethod: Callable[..., Iterable[Any]]) -> RetryingStream:
        _refuseConsumers(streamMethod)
        retried = _RetriedMethod(streamMethod, policy, sleep)

        @functools.wraps(streamMethod)
        def wrapper(*args: Any, resumeAfter: int = 0, **kwargs: Any) -> Iterator[Any]:
            return retried.start(args, kwargs, resumeAfter)

        wrapper.__signature__ = _withResumeAfter(streamMethod)  # type: ignore[attr-defined]
        wrapper.retryPolicy = policy  # type: ignore[attr-defined]
        wrapper.retryStats = retried.stats  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


class _RetriedMethod:
    """The state shared by every call of one decorated method: policy, counts, name."""

    def __init__(
        self, streamMethod: Callable[..., Iterable[Any]], policy: RetryPolicy, sleep: Sleep | None
    ) -> None:
        self.method = streamMethod
        self.policy = policy
        self.sleepOverride = sleep
        self.name = _displayName(streamMethod)
        self.resumable = isResumable(streamMethod)
        self.stats = RetryStats()

    def start(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], resumeAfter: int
    ) -> Iterator[Any]:
        """Check the call now (errors surface at the call, not at the first ``next``)."""
        if isinstance(resumeAfter, bool) or not isinstance(resumeAfter, int):
            raise TypeError(f"{self.name}: resumeAfter must be an int, got {resumeAfter!r}")
        if resumeAfter < 0:
            raise ValueError(f"{self.name}: resumeAfter must be >= 0, got {resumeAfter}")
        self._refuseIterators(args, kwargs)
        return self._attempts(functools.partial(self.method, *args, **kwargs), resumeAfter)

    def _attempts(self, call: Callable[..., Iterable[Any]], resumeAfter: int) -> Iterator[Any]:
        """One retried stream: attempts until the records run out or an error is final.

        Only the call and ``next(inner)`` are inside the ``try``: an error there is the
        source's, and may be retried. The ``yield`` is outside it, so whatever the
        consumer throws in at the ``yield`` goes straight out, never mistaken for one.
        """
        self.stats.calls += 1
        rng = self.policy.newRandom()
        delivered = 0
        inner: Iterator[Any] | None = None
        try:
            for attempt in range(1, self.policy.maxAttempts + 1):
                self.stats.attempts += 1
                inner = None
                while True:
                    try:
                        if inner is None:
                            inner = resumeMethod(call, resumeAfter + delivered, self.resumable)
                        record = next(inner)
                    except StopIteration:
                        return
                    except Exception as error:
                        if not self.policy.isTransient(error):
                            raise
                        if attempt == self.policy.maxAttempts:
                            self._giveUp(error, delivered)
                            raise
                        failure = describeError(error)
                        break
                    delivered += 1
                    yield record
                # Out of the except block, the error and its traceback are released, so
                # the failed attempt's frame cannot keep a connection alive while we wait.
                closeIterator(inner)
                inner = None
                self._wait(attempt, delivered, failure, rng)
        finally:
            closeIterator(inner)

    def _wait(self, attempt: int, delivered: int, failure: str, rng: random.Random) -> None:
        delay = self.policy.delayAfter(attempt, rng)
        logger.warning(
            "%s: attempt %d/%d failed: %s; %d records delivered so far; retrying in %.3fs",
            self.name,
            attempt,
            self.policy.maxAttempts,
            failure,
            delivered,
            delay,
        )
        self.stats.retries += 1
        self.stats.history.append(
            RetryEvent(self.name, attempt, self.policy.maxAttempts, delivered, delay, failure)
        )
        observations = currentObservations()
        if observations is not None:
            observations.countRetry(self.name)
        sleep = time.sleep if self.sleepOverride is None else self.sleepOverride
        sleep(delay)

    def _giveUp(self, error: Exception, delivered: int) -> None:
        self.stats.gaveUp += 1
        attempts = self.policy.maxAttempts
        logger.error(
            "%s: attempt %d/%d failed: %s; %d records delivered so far; giving up",
            self.name,
            attempts,
            attempts,
            describeError(error),
            delivered,
        )
        if attempts > 1:
            error.add_note(
                f"{self.name} failed {attempts} attempts (retryOnFailure gave up); "
                f"{delivered} records had been delivered"
            )

    def _refuseIterators(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        for value in (*args, *kwargs.values()):
            if isinstance(value, Iterator):
                raise TypeError(
                    f"retryOnFailure: {self.name} was given an iterator ({value!r}); an input "
                    "stream is consumed once and cannot be replayed by a retry: put "
                    "@retryOnFailure on the source's stream method instead"
                )


def _refuseConsumers(streamMethod: Callable[..., Any]) -> None:
    name = getattr(streamMethod, "__name__", "")
    if name in ("process", "consume"):
        raise TypeError(
            f"retryOnFailure cannot wrap {_displayName(streamMethod)}: {name}() consumes an "
            "input stream once, and a retry cannot replay it; put @retryOnFailure on the "
            "source's stream method instead"
        )


def _displayName(streamMethod: Callable[..., Any]) -> str:
    """``SensorSource.stream``: the qualified name without any ``<locals>`` prefix."""
    qualname = getattr(streamMethod, "__qualname__", None) or repr(streamMethod)
    return qualname.rpartition("<locals>.")[2]


def _withResumeAfter(streamMethod: Callable[..., Any]) -> inspect.Signature:
    """The wrapped method's signature, with a keyword-only ``resumeAfter: int = 0`` added."""
    try:
        signature = inspect.signature(streamMethod)
    except (TypeError, ValueError):  # no signature: say what the wrapper accepts
        return inspect.signature(lambda *args, resumeAfter=0, **kwargs: None)
    if "resumeAfter" in signature.parameters:
        return signature
    parameters = list(signature.parameters.values())
    hasVarKeyword = bool(parameters) and parameters[-1].kind is inspect.Parameter.VAR_KEYWORD
    at = len(parameters) - hasVarKeyword  # **kwargs must stay last
    keyword = inspect.Parameter(
        "resumeAfter", inspect.Parameter.KEYWORD_ONLY, default=0, annotation=int
    )
    return signature.replace(parameters=[*parameters[:at], keyword, *parameters[at:]])

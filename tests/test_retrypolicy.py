"""RetryPolicy: the waiting schedule a notebook can compute, plot and trust."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_lib import RetryPolicy
from pipeline_lib.retrypolicy import PERMANENT_OS_ERRORS, isTransientOSError

policies = st.builds(
    RetryPolicy,
    maxAttempts=st.integers(1, 12),
    delaySeconds=st.floats(0, 10),
    backoff=st.floats(1, 5),
    maxDelaySeconds=st.none() | st.floats(0, 30),
    jitter=st.floats(0, 1),
    seed=st.none() | st.integers(0, 2**32),
)


def test_defaults_are_the_slides_three_attempts_one_second_apart() -> None:
    assert RetryPolicy().delays() == (1.0, 1.0)


def test_backoff_multiplies_and_the_cap_holds() -> None:
    policy = RetryPolicy(maxAttempts=6, delaySeconds=0.1, backoff=3.0, maxDelaySeconds=2.0)
    assert policy.delays() == pytest.approx((0.1, 0.3, 0.9, 2.0, 2.0))


@settings(max_examples=150, deadline=None)
@given(policy=policies)
def test_every_wait_is_the_capped_backoff_shortened_by_at_most_the_jitter(
    policy: RetryPolicy,
) -> None:
    delays = policy.delays()
    assert len(delays) == policy.maxAttempts - 1
    cap = math.inf if policy.maxDelaySeconds is None else policy.maxDelaySeconds
    for n, wait in enumerate(delays, start=1):
        full = min(policy.delaySeconds * policy.backoff ** (n - 1), cap)
        assert (1 - policy.jitter) * full - 1e-9 <= wait <= full + 1e-9
        assert math.isfinite(wait) and wait >= 0


@settings(max_examples=60, deadline=None)
@given(policy=policies.filter(lambda p: p.seed is not None))
def test_a_seeded_schedule_is_the_same_every_time(policy: RetryPolicy) -> None:
    assert policy.delays() == policy.delays()


def test_unseeded_jitter_varies_and_no_jitter_is_exact() -> None:
    jittered = RetryPolicy(maxAttempts=20, jitter=1.0)
    assert jittered.delays() != jittered.delays()
    assert RetryPolicy(maxAttempts=4, delaySeconds=2.0, jitter=0.0).delays() == (2.0, 2.0, 2.0)


def test_a_long_exponential_schedule_does_not_overflow_below_its_cap() -> None:
    policy = RetryPolicy(maxAttempts=3000, delaySeconds=1.0, backoff=2.0, maxDelaySeconds=60.0)
    assert policy.delays()[-1] == 60.0
    assert set(RetryPolicy(maxAttempts=3000, delaySeconds=0.0, backoff=2.0).delays()) == {0.0}


@pytest.mark.parametrize("error", [cls() for cls in PERMANENT_OS_ERRORS])
def test_the_four_path_errors_are_permanent(error: OSError) -> None:
    assert not isTransientOSError(error) and not RetryPolicy().isTransient(error)


@pytest.mark.parametrize(
    "error",
    [OSError(), TimeoutError(), ConnectionResetError(), BrokenPipeError(), InterruptedError()],
)
def test_other_os_errors_are_transient_by_default(error: OSError) -> None:
    assert RetryPolicy().isTransient(error)


def test_non_exceptions_are_never_transient_even_for_a_permissive_predicate() -> None:
    policy = RetryPolicy(retryOn=lambda error: True)
    assert not policy.isTransient(KeyboardInterrupt()) and not policy.isTransient(GeneratorExit())
    assert policy.isTransient(ValueError())


def test_repr_names_the_predicate_and_has_no_address() -> None:
    assert repr(RetryPolicy()) == (
        "RetryPolicy(maxAttempts=3, delaySeconds=1.0, backoff=1.0, maxDelaySeconds=None, "
        "jitter=0.0, seed=None, retryOn=isTransientOSError)"
    )
    assert "retryOn=(TimeoutError, ValueError)" in repr(
        RetryPolicy(retryOn=(TimeoutError, ValueError))
    )


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"maxAttempts": 0}, ValueError, r"RetryPolicy.maxAttempts must be >= 1, got 0"),
        (
            {"delaySeconds": -0.1},
            ValueError,
            r"RetryPolicy.delaySeconds must be a finite number >= 0, got -0.1",
        ),
        ({"backoff": math.inf}, ValueError, r"RetryPolicy.backoff .* got inf"),
        (
            {"jitter": -0.1},
            ValueError,
            r"RetryPolicy.jitter must be a number in \[0, 1\], got -0.1",
        ),
        ({"maxDelaySeconds": "10"}, TypeError, r"RetryPolicy.maxDelaySeconds .* got '10'"),
        ({"retryOn": SystemExit}, TypeError, r"RetryPolicy.retryOn must name Exception subclasses"),
    ],
)
def test_a_policy_rejects_bad_values_naming_the_field(
    options: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        RetryPolicy(**options)  # type: ignore[arg-type]


def test_a_policy_is_frozen() -> None:
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.maxAttempts = 5  # type: ignore[misc]

"""Notebook 06's checks: a right answer gets ✅, a wrong one ❌ with a hint, never an exception."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline_lib import PipelineConfig, PositiveFloat, retryOnFailure
from pipeline_lib.exercises import checkSensorBounds, checkTwoFaultsOnce
from pipeline_lib.naive import retryOnFailure as naiveRetryOnFailure
from pipeline_lib.validators import FiniteFloat, Validator

# -- exercise 1: bounds the sensors can have --------------------------------------------


class SensorBound(FiniteFloat):
    """The solution's: the base class's checks, then the sensors' range."""

    def validate(self, value: Any) -> float:
        value = super().validate(value)
        if not 0.0 <= value <= 100.0:
            raise ValueError(f"{self.qualifiedName} must be in [0.0, 100.0], got {value!r}")
        return value


class OwnChecksBound(Validator[float]):
    """Right, written differently: its own type and finiteness checks, no FiniteFloat."""

    def validate(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{self.qualifiedName} must be a number, got {value!r}")
        if math.isnan(value) or value < 0 or value > 100:
            raise ValueError(f"{self.qualifiedName} must be within 0..100, got {value!r}")
        return float(value)


class SlideBound(PositiveFloat):
    """The slide's base class with the upper end added: refuses 0.0."""

    def validate(self, value: Any) -> float:
        value = super().validate(value)
        if value > 100.0:
            raise ValueError(f"{self.qualifiedName} must be <= 100.0, got {value!r}")
        return value


class NoLowerEnd(FiniteFloat):
    def validate(self, value: Any) -> float:
        value = super().validate(value)
        if value > 100.0:
            raise ValueError(f"{self.qualifiedName} must be <= 100.0, got {value!r}")
        return value


class NoSuper(FiniteFloat):
    """The range test alone: a word fails with a bare comparison error, NaN passes."""

    def validate(self, value: Any) -> float:
        if value < 0.0 or value > 100.0:
            raise ValueError(f"{self.qualifiedName} must be in [0.0, 100.0], got {value!r}")
        return value  # type: ignore[no-any-return]


class NoSuperChained(FiniteFloat):
    """The range test alone, chained: NaN is refused, but a word still is not named."""

    def validate(self, value: Any) -> float:
        if not 0.0 <= value <= 100.0:
            raise ValueError(f"{self.qualifiedName} must be in [0.0, 100.0], got {value!r}")
        return value  # type: ignore[no-any-return]


class HardCodedTypo(FiniteFloat):
    def validate(self, value: Any) -> float:
        value = super().validate(value)
        if value == 800.0:
            raise ValueError(f"{self.qualifiedName} must not be 800.0, got {value!r}")
        return value


class TopExcluded(FiniteFloat):
    def validate(self, value: Any) -> float:
        value = super().validate(value)
        if not 0.0 <= value < 100.0:
            raise ValueError(f"{self.qualifiedName} must be in [0.0, 100.0), got {value!r}")
        return value


class Nameless(FiniteFloat):
    def validate(self, value: Any) -> float:
        value = super().validate(value)
        if not 0.0 <= value <= 100.0:
            raise ValueError("out of range")
        return value


class SelfName(FiniteFloat):
    """Names its field as ``self.name``, which a validator does not have."""

    def validate(self, value: Any) -> float:
        value = super().validate(value)
        if not 0.0 <= value <= 100.0:
            raise ValueError(f"{self.name} must be in [0.0, 100.0], got {value!r}")  # type: ignore[attr-defined]
        return value


class CheckedInSet(FiniteFloat):
    """Slide 6's place for the check: __set__, which fromFile does not ask before building."""

    def __set__(self, obj: Any, value: Any) -> None:
        number = self.validate(value)
        if not 0.0 <= number <= 100.0:
            raise ValueError(f"{self.qualifiedName} must be in [0.0, 100.0], got {value!r}")
        super().__set__(obj, number)


def configWith(bound: type) -> type:
    return type("IngestConfig", (PipelineConfig,), {"filterMin": bound(), "filterMax": bound()})


@pytest.mark.parametrize("bound", [SensorBound, OwnChecksBound])
def test_bounds_in_the_sensor_range_are_accepted_and_the_rest_refused(bound: type) -> None:
    verdict = checkSensorBounds(configWith(bound))
    assert verdict, verdict


@pytest.mark.parametrize(
    ("answer", "expected", "hint"),
    [
        (PipelineConfig, "refused filterMin = 0.0", "slide 7's flaw"),  # the starter, unchanged
        (configWith(SlideBound), "refused filterMin = 0.0", "build SensorBound on FiniteFloat"),
        (configWith(NoLowerEnd), "accepted filterMin = -5.0", "lower end"),
        (
            configWith(NoSuper),
            "assigning config.filterMin = 'hot' was refused with TypeError",
            "super().validate",
        ),
        (configWith(NoSuperChained), "does not name the field", "super().validate"),
        (configWith(HardCodedTypo), "accepted filterMax = 150.0", "not just the one typo"),
        (
            configWith(TopExcluded),
            "refused filterMin = 0.0, filterMax = 100.0",
            "refuse only what lies outside",
        ),
        (configWith(Nameless), "do not name IngestConfig.filterMax", "self.qualifiedName"),
        (configWith(CheckedInSet), "instead of listing it", "in __set__"),
        (configWith(SelfName), "raised AttributeError", "self.qualifiedName"),
    ],
)
def test_a_wrong_bound_fails_with_a_hint_naming_the_mistake(
    answer: Any, expected: str, hint: str
) -> None:
    verdict = checkSensorBounds(answer)
    assert not verdict
    assert expected in verdict.message, str(verdict)
    assert hint in verdict.hint, str(verdict)


def test_a_nan_bound_slipping_through_is_caught() -> None:
    class NanSlips(FiniteFloat):
        def validate(self, value: Any) -> float:
            if isinstance(value, str):
                raise TypeError(f"{self.qualifiedName} must be numeric, got {value!r}")
            if value < 0.0 or value > 100.0:
                raise ValueError(f"{self.qualifiedName} must be in [0.0, 100.0], got {value!r}")
            return float(value)

    verdict = checkSensorBounds(configWith(NanSlips))
    assert not verdict and "filterMax's validator accepted nan" in verdict.message
    assert "super().validate" in verdict.hint


def test_a_bound_that_raises_something_else_is_reported_as_itself() -> None:
    class Broken(FiniteFloat):
        def validate(self, value: Any) -> float:
            raise KeyError(value)

    verdict = checkSensorBounds(configWith(Broken))
    assert not verdict and "your code raised KeyError" in verdict.message


# -- exercise 2: two transient faults, each record once ---------------------------------


class ResilientHub:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    @retryOnFailure(maxAttempts=3, delaySeconds=0.0)
    def stream(self, resumeAfter: int = 0) -> Iterator[Any]:
        return self.inner.stream(resumeAfter=resumeAfter)


class ImpatientHub(ResilientHub):
    @retryOnFailure(maxAttempts=2, delaySeconds=0.0)
    def stream(self, resumeAfter: int = 0) -> Iterator[Any]:
        return self.inner.stream(resumeAfter=resumeAfter)


class RestartingHub(ResilientHub):
    @naiveRetryOnFailure(maxAttempts=3, delaySeconds=0.0)
    def stream(self) -> Iterator[Any]:
        return self.inner.stream()  # type: ignore[no-any-return]


def test_three_attempts_survive_two_faults_exactly_once() -> None:
    verdict = checkTwoFaultsOnce(ResilientHub)
    assert verdict, verdict


class PassThroughHub(ResilientHub):
    """No retry at all."""

    def stream(self, resumeAfter: int = 0) -> Iterator[Any]:
        return self.inner.stream(resumeAfter=resumeAfter)  # type: ignore[no-any-return]


class ReReadingHub(ResilientHub):
    """Right, written differently: no resumeAfter, so the engine re-reads and skips."""

    @retryOnFailure(maxAttempts=4, delaySeconds=0.0)
    def stream(self) -> Iterator[Any]:  # type: ignore[override]
        return self.inner.stream()  # type: ignore[no-any-return]


class GeneratorHub(ResilientHub):
    """Right, written differently: a generator, five attempts."""

    @retryOnFailure(maxAttempts=5, delaySeconds=0.0)
    def stream(self, resumeAfter: int = 0) -> Iterator[Any]:
        yield from self.inner.stream(resumeAfter=resumeAfter)


class IgnoresResumeHub(ResilientHub):
    """The engine's decorator, but resumeAfter is taken and not passed on: a restart."""

    @retryOnFailure(maxAttempts=3, delaySeconds=0.0)
    def stream(self, resumeAfter: int = 0) -> Iterator[Any]:
        return self.inner.stream()  # type: ignore[no-any-return]


@pytest.mark.parametrize("answer", [ReReadingHub, GeneratorHub])
def test_a_hub_written_differently_passes(answer: Any) -> None:
    verdict = checkTwoFaultsOnce(answer)
    assert verdict, verdict


@pytest.mark.parametrize(
    ("answer", "expected", "hint"),
    [
        (ImpatientHub, "the run failed after 2 injected fault(s)", "the first one included"),
        (RestartingHub, "210 records were delivered twice", "slide 10's decorator"),
        (IgnoresResumeHub, "210 records were delivered twice", "does not use it"),
        (PassThroughHub, "the run failed after 1 injected fault(s)", "nothing retried"),
    ],
)
def test_a_wrong_hub_fails_with_a_hint_naming_the_mistake(
    answer: Any, expected: str, hint: str
) -> None:
    verdict = checkTwoFaultsOnce(answer)
    assert not verdict
    assert expected in verdict.message, str(verdict)
    assert hint in verdict.hint, str(verdict)
    assert "maxAttempts=3" not in verdict.hint  # the answer stays in solutions/


def test_a_hub_without_stream_gets_a_verdict() -> None:
    verdict = checkTwoFaultsOnce(lambda inner: object())
    assert not verdict and "stream" in str(verdict)

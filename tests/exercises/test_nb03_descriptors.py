"""Notebook 03's checks: a right answer gets ✅, wrong ones a ❌ with a hint, never an exception."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from pipeline_lib import PipelineConfig, Validator
from pipeline_lib.exercises import BROKEN_TOML, checkFixedToml, checkOneOf, checkWindowRule


class OneOf(Validator[Any]):
    def __init__(self, *options: Any) -> None:
        super().__init__()
        self.options = options

    def validate(self, value: Any) -> Any:
        if value not in self.options:
            raise ValueError(f"{self.qualifiedName} must be one of {self.options}, got {value!r}")
        return value


class AcceptsAnything(OneOf):
    def validate(self, value: Any) -> Any:
        return value


class VagueOneOf(OneOf):
    def validate(self, value: Any) -> Any:
        if value not in self.options:
            raise ValueError("bad value")
        return value


class SetOfOptions(OneOf):
    """Options in a set: an unhashable value raises a TypeError that names no field."""

    def validate(self, value: Any) -> Any:
        if value not in set(self.options):
            raise TypeError(f"{self.qualifiedName} must be one of {self.options}, got {value!r}")
        return value


def test_one_of_passes_for_a_validator_that_names_field_and_value() -> None:
    assert checkOneOf(OneOf).passed


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (AcceptsAnything, "was accepted"),
        (VagueOneOf, "does not name the field"),
        (SetOfOptions, "unhashable type"),
        (str, "not a subclass of pipeline_lib.Validator"),
        ("OneOf", "not a subclass"),
    ],
)
def test_one_of_fails_with_the_reason(answer: Any, expected: str) -> None:
    verdict = checkOneOf(answer)
    assert not verdict.passed
    assert expected in verdict.message
    assert verdict.hint


class WindowRule(PipelineConfig):
    @classmethod
    def checkFields(cls, values: Mapping[str, Any]) -> None:
        super().checkFields(values)
        both = "windowSize" in values and "samplingRateHz" in values
        if both and values["windowSize"] > values["samplingRateHz"]:
            raise ValueError(
                f"{cls.__name__}: windowSize must be <= samplingRateHz (one second), "
                f"got {values['windowSize']} > {values['samplingRateHz']}"
            )


class ForgetsSuper(PipelineConfig):
    @classmethod
    def checkFields(cls, values: Mapping[str, Any]) -> None:
        both = "windowSize" in values and "samplingRateHz" in values
        if both and values["windowSize"] > values["samplingRateHz"]:
            raise ValueError("windowSize too long")


class AssumesAllSet(PipelineConfig):
    @classmethod
    def checkFields(cls, values: Mapping[str, Any]) -> None:
        super().checkFields(values)
        if values["windowSize"] > values["samplingRateHz"]:
            raise ValueError("windowSize too long")


def test_window_rule_passes_for_a_rule_checked_by_every_path() -> None:
    assert checkWindowRule(WindowRule).passed


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (PipelineConfig, "was accepted"),
        (ForgetsSuper, "inverted bounds pass"),
        (AssumesAllSet, "KeyError"),
        (dict, "not a subclass"),
    ],
)
def test_window_rule_fails_with_the_reason(answer: Any, expected: str) -> None:
    verdict = checkWindowRule(answer)
    assert not verdict.passed
    assert expected in verdict.message


def test_fixed_toml_passes_for_the_intended_file() -> None:
    fixed = "samplingRateHz = 100\nwindowSize = 10\nfilterMin = 20\nfilterMax = 80\n"
    verdict = checkFixedToml(fixed)
    assert verdict.passed, verdict


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BROKEN_TOML, "still has 5 problems"),
        ("samplingRateHz = 100\nwindowSize = 10\nfilterMin = 20\nfilterMax = [", "invalid TOML"),
        ("samplingRateHz = 50\nwindowSize = 10\nfilterMin = 20\nfilterMax = 80\n", "expected"),
        (None, "expected the file's text as a str"),
    ],
)
def test_fixed_toml_fails_with_the_problems_left(text: Any, expected: str) -> None:
    verdict = checkFixedToml(text)
    assert not verdict.passed
    assert expected in verdict.message

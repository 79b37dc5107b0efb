"""Notebook 03's checks: right answers, however written, get ✅; each typical wrong one a ❌
whose hint names that mistake (an unexpected exception reported as itself); nothing raises."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import pytest

from pipeline_lib import PipelineConfig, Validator
from pipeline_lib.exercises import BROKEN_TOML, checkFixedToml, checkOneOf, checkWindowRule

# -- Exercise 1: OneOf --------------------------------------------------------------------


class OneOf(Validator[Any]):
    """The model answer: a tuple, `in`, a ValueError naming field and value."""

    def __init__(self, *options: Any) -> None:
        super().__init__()
        self.options = options

    def validate(self, value: Any) -> Any:
        if value not in self.options:
            raise ValueError(f"{self.qualifiedName} must be one of {self.options}, got {value!r}")
        return value


class GuardedFrozenSet(Validator[Any]):
    """Right, written differently: a frozenset, with a hashability test first so lists never
    reach it."""

    def __init__(self, *options: Any) -> None:
        super().__init__()
        self.options = frozenset(options)

    def validate(self, value: Any) -> Any:
        if not isinstance(value, Hashable) or value not in self.options:
            allowed = ", ".join(sorted(map(repr, self.options)))
            raise ValueError(f"{self.qualifiedName}: expected one of {allowed}; got {value!r}")
        return value


class AnyOfLoop(Validator[Any]):
    """Right, written differently again: a loop comparing with ==, no return on refusal path."""

    def __init__(self, *options: Any) -> None:
        super().__init__()
        self.options = list(options)

    def validate(self, value: Any) -> Any:
        for option in self.options:
            if type(value) is type(option) and value == option:
                return value
        raise ValueError(f"{value!r} is not allowed for {self.qualifiedName}")


@pytest.mark.parametrize("answer", [OneOf, GuardedFrozenSet, AnyOfLoop])
def test_one_of_right_answers_written_differently_pass(answer: type) -> None:
    verdict = checkOneOf(answer)
    assert verdict, verdict


def test_one_of_in_the_descriptor_howtos_style_passes() -> None:
    class HowToOneOf(Validator[Any]):
        def __init__(self, *options: Any) -> None:
            self.options = options  # the HowTo never calls super().__init__()

        def validate(self, value: Any) -> None:
            if value not in self.options:
                raise ValueError(
                    f"Expected {self.qualifiedName} to be one of {self.options!r}, got {value!r}"
                )

    verdict = checkOneOf(HowToOneOf)
    assert verdict, verdict


class AcceptsAnything(OneOf):
    """The starter."""

    def validate(self, value: Any) -> Any:
        return value


class CaseInsensitive(OneOf):
    def validate(self, value: Any) -> Any:
        if str(value).lower() not in self.options:
            raise ValueError(f"{self.qualifiedName} must be one of {self.options}, got {value!r}")
        return value


class StripsSpaces(OneOf):
    """Calls a str method on whatever comes in: None has no .strip()."""

    def validate(self, value: Any) -> Any:
        if value.strip() not in self.options:
            raise ValueError(f"{self.qualifiedName} must be one of {self.options}, got {value!r}")
        return value


class FrozenSetUnguarded(Validator[Any]):
    """Issue 11.6's answer: a frozenset and qualifiedName, but ['csv'] cannot be hashed."""

    def __init__(self, *options: Any) -> None:
        super().__init__()
        self.options = frozenset(options)

    def validate(self, value: Any) -> Any:
        if value not in self.options:
            raise ValueError(f"{self.qualifiedName} must be one of {self.options}, got {value!r}")
        return value


class NamesFieldOnly(OneOf):
    def validate(self, value: Any) -> Any:
        if value not in self.options:
            raise ValueError(f"sinkKind must be one of {self.options}, got {value!r}")
        return value


class VagueOneOf(OneOf):
    def validate(self, value: Any) -> Any:
        if value not in self.options:
            raise ValueError("bad value")
        return value


class NoRepr(OneOf):
    def validate(self, value: Any) -> Any:
        if value not in self.options:
            raise ValueError(f"{self.qualifiedName} must be one of {self.options}, got {value}")
        return value


class ReturnsTheTest(OneOf):
    def validate(self, value: Any) -> Any:
        if value not in self.options:
            raise ValueError(f"{self.qualifiedName} must be one of {self.options}, got {value!r}")
        return value in self.options


class HardCodedOptions(OneOf):
    """Ignores self.options: the three strings of the notebook's example written in."""

    def validate(self, value: Any) -> Any:
        if value not in ("csv", "sqlite", "list"):
            raise ValueError(
                f"{self.qualifiedName} must be one of csv, sqlite, list, got {value!r}"
            )
        return value


class ComparesText(OneOf):
    """str(value): right while every option is a string."""

    def validate(self, value: Any) -> Any:
        if str(value) not in self.options:
            raise ValueError(f"{self.qualifiedName} must be one of {self.options}, got {value!r}")
        return value


class StringsOnly(OneOf):
    """A type guard that assumes the options are strings."""

    def validate(self, value: Any) -> Any:
        if not isinstance(value, str) or value not in self.options:
            raise ValueError(f"{self.qualifiedName} must be one of {self.options}, got {value!r}")
        return value


class Substring(OneOf):
    """`in` on one string of all the options: a piece of an option passes."""

    def validate(self, value: Any) -> Any:
        joined = " ".join(map(str, self.options))
        if not isinstance(value, str | int) or str(value) not in joined:
            raise ValueError(f"{self.qualifiedName} must be one of {self.options}, got {value!r}")
        return value


class AssertsMembership(OneOf):
    def validate(self, value: Any) -> Any:
        assert value in self.options, f"{self.qualifiedName} got {value!r}"
        return value


class DeliberateTypeError(OneOf):
    def validate(self, value: Any) -> Any:
        if value not in self.options:
            raise TypeError(f"{self.qualifiedName} must be one of {self.options}, got {value!r}")
        return value


@pytest.mark.parametrize(
    ("answer", "inMessage", "inHint"),
    [
        (AcceptsAnything, "'xml' was accepted", "must be refused"),
        (CaseInsensitive, "'CSV' was accepted", "compared exactly"),
        (StripsSpaces, "your OneOf raised AttributeError", "any value"),
        (
            FrozenSetUnguarded,
            "your OneOf raised TypeError: unhashable type: 'list' for sinkKind = ['csv']",
            "cannot be hashed",
        ),
        (NamesFieldOnly, "names sinkKind but not its class", "qualifiedName"),
        (VagueOneOf, "does not name the field", "qualifiedName"),
        (NoRepr, "does not show the value as 'xml'", "!r"),
        (ReturnsTheTest, "it reads True", "what validate() returns"),
        (DeliberateTypeError, "refused with a TypeError", "ValueError"),
        (HardCodedOptions, "chunkSize = 256 was refused", "its own options"),
        (ComparesText, "chunkSize = 256 was refused", "any type"),
        (StringsOnly, "chunkSize = 256 was refused", "any type"),
        (Substring, "sinkKind = 'sql' was accepted", "a part of an option"),
        (AssertsMembership, "raised AssertionError", "raising ValueError"),
        (OneOf("csv"), "you passed an instance", "the class itself"),
        (lambda *options: None, "the function <lambda> is not a subclass", "Validator"),
        (str, "not a subclass of pipeline_lib.Validator", "Validator"),
        ("OneOf", "not a subclass", "Validator"),
    ],
)
def test_one_of_typical_wrong_answers_are_refused_with_their_mistake_named(
    answer: Any, inMessage: str, inHint: str
) -> None:
    verdict = checkOneOf(answer)
    assert not verdict
    assert inMessage in verdict.message, str(verdict)
    assert inHint in verdict.hint, str(verdict)


def test_one_of_hints_never_give_the_answer_away() -> None:
    for answer in (
        AcceptsAnything,
        CaseInsensitive,
        VagueOneOf,
        FrozenSetUnguarded,
        HardCodedOptions,
        ComparesText,
        Substring,
    ):
        hint = checkOneOf(answer).hint
        assert "raise ValueError(" not in hint and "not in self.options" not in hint


# -- Exercise 2: the window rule ----------------------------------------------------------


def _tooLong(values: Mapping[str, Any]) -> bool:
    both = "windowSize" in values and "samplingRateHz" in values
    return both and values["windowSize"] > values["samplingRateHz"]


class WindowRule(PipelineConfig):
    """The model answer."""

    @classmethod
    def checkFields(cls, values: Mapping[str, Any]) -> None:
        super().checkFields(values)
        if _tooLong(values):
            raise ValueError(
                f"{cls.__name__}: windowSize must be <= samplingRateHz (one second), "
                f"got {values['windowSize']} > {values['samplingRateHz']}"
            )


class WindowRuleAsStaticRule(PipelineConfig):
    """Right, written differently: rule first, engine's rule after, .get() for missing fields."""

    @staticmethod
    def checkFields(values: Mapping[str, Any]) -> None:
        window, rate = values.get("windowSize"), values.get("samplingRateHz")
        if window is not None and rate is not None and window / rate > 1.0:
            raise ValueError(f"windowSize {window} spans {window / rate:.1f} s at {rate} Hz")
        PipelineConfig.checkFields(values)


class ForgetsSuper(PipelineConfig):
    @classmethod
    def checkFields(cls, values: Mapping[str, Any]) -> None:
        if _tooLong(values):
            raise ValueError("windowSize too long")


class AssumesAllSet(PipelineConfig):
    @classmethod
    def checkFields(cls, values: Mapping[str, Any]) -> None:
        super().checkFields(values)
        if values["windowSize"] > values["samplingRateHz"]:
            raise ValueError("windowSize too long")


class StrictComparison(PipelineConfig):
    @classmethod
    def checkFields(cls, values: Mapping[str, Any]) -> None:
        super().checkFields(values)
        both = "windowSize" in values and "samplingRateHz" in values
        if both and values["windowSize"] >= values["samplingRateHz"]:
            raise ValueError("windowSize too long")


class FixedRate(PipelineConfig):
    """Hard-codes the notebook's 100 Hz."""

    @classmethod
    def checkFields(cls, values: Mapping[str, Any]) -> None:
        super().checkFields(values)
        if values.get("windowSize", 0) > 100:
            raise ValueError("windowSize must be <= 100")


class RuleInInit(PipelineConfig):
    """Right idea, wrong place: checked at construction only."""

    def __init__(
        self, samplingRateHz: Any, windowSize: Any, filterMin: Any, filterMax: Any
    ) -> None:
        if windowSize > samplingRateHz:
            raise ValueError("windowSize must be <= samplingRateHz")
        super().__init__(samplingRateHz, windowSize, filterMin, filterMax)


class AssertsTheRule(PipelineConfig):
    @classmethod
    def checkFields(cls, values: Mapping[str, Any]) -> None:
        super().checkFields(values)
        assert not _tooLong(values), "windowSize too long"


class PlainMethod(PipelineConfig):
    """@classmethod dropped: assignments still work, fromDict (no object yet) cannot."""

    def checkFields(self, values: Mapping[str, Any]) -> None:  # type: ignore[override]
        super().checkFields(values)
        if _tooLong(values):
            raise ValueError(f"windowSize {values['windowSize']} is over one second")


class ComparesTheDescriptors(PipelineConfig):
    """Reads the fields from the class: that is the descriptors, not the values."""

    @classmethod
    def checkFields(cls, values: Mapping[str, Any]) -> None:
        super().checkFields(values)
        if cls.windowSize > cls.samplingRateHz:  # type: ignore[operator]
            raise ValueError("windowSize is over one second")


class NamesTheFieldOnly(PipelineConfig):
    """The rule is right; its message names windowSize but shows neither value."""

    @classmethod
    def checkFields(cls, values: Mapping[str, Any]) -> None:
        super().checkFields(values)
        if _tooLong(values):
            raise ValueError(f"{cls.__name__}: windowSize is longer than one second")


@pytest.mark.parametrize("answer", [WindowRule, WindowRuleAsStaticRule])
def test_window_rule_right_answers_written_differently_pass(answer: type) -> None:
    verdict = checkWindowRule(answer)
    assert verdict, verdict


@pytest.mark.parametrize(
    ("answer", "inMessage", "inHint"),
    [
        (PipelineConfig, "was accepted: 500 readings", "not checked yet"),
        (ForgetsSuper, "inverted bounds pass", "engine's"),
        (AssumesAllSet, "raised KeyError", "only those set so far"),
        (StrictComparison, "exactly one second", "at most"),
        (FixedRate, "10 readings at 5 Hz", "not a rate you know"),
        (RuleInInit, "windowSize = 200 was accepted", "only at construction"),
        (AssertsTheRule, "raised AssertionError", "ValueError"),
        (PlainMethod, "checkFields is a plain method", "@classmethod"),
        (NamesTheFieldOnly, "does not show the window given, 500", "the value it refuses"),
        (ComparesTheDescriptors, "'BoundedInt' and 'PositiveFloat'", "the descriptor itself"),
        (dict, "not a subclass", "PipelineConfig"),
    ],
)
def test_window_rule_typical_wrong_answers_are_refused_with_their_mistake_named(
    answer: Any, inMessage: str, inHint: str
) -> None:
    verdict = checkWindowRule(answer)
    assert not verdict
    assert inMessage in verdict.message, str(verdict)
    assert inHint in verdict.hint, str(verdict)


# -- Exercise 3: the config file ----------------------------------------------------------

FIXED = "samplingRateHz = 100\nwindowSize = 10\nfilterMin = 20\nfilterMax = 80\n"


@pytest.mark.parametrize(
    "text",
    [
        FIXED,
        "# sensor_ingest.toml\nfilterMax = 80.0\nfilterMin = 20.0\n"
        'windowSize = 10\n"samplingRateHz" = 100.0\n',
    ],
)
def test_fixed_toml_right_answers_written_differently_pass(text: str) -> None:
    verdict = checkFixedToml(text)
    assert verdict, verdict


@pytest.mark.parametrize(
    ("text", "inMessage", "inHint"),
    [
        (BROKEN_TOML, "still has 5 problems", "spelt differently"),
        (
            BROKEN_TOML.replace("samplingRate =", "samplingRateHz =").replace(
                "filtermax", "filterMax"
            ),
            "must be an int, got 10.0",
            "decimal point",
        ),
        (FIXED.replace("100", '"100"'), "must be numeric", "in quotes"),
        (FIXED.replace("windowSize = 10\n", ""), "windowSize is missing", "needs its key"),
        (FIXED.replace("filterMax = 80", "filterMax = ["), "problem", "valid TOML"),
        (
            FIXED.replace("windowSize = 10", "windowSize = 1"),
            "expected PipelineConfig",
            "comment at the top",
        ),
        (None, "expected the file's text as a str", "text of the file"),
        (
            FIXED.replace("filterMin = 20", "filterMin = 80").replace(
                "filterMax = 80", "filterMax = 20"
            ),
            "filterMin must be < filterMax",
            "lower bound",
        ),
        (FIXED.replace("windowSize = 10", 'windowSize = "10"'), "got '10'", "in quotes"),
        (FIXED + "seed = 42\n", "no field 'seed'", "not a field of PipelineConfig at all"),
        ("[pipeline]\n" + FIXED, "no field 'pipeline'", "[header]"),
        (
            FIXED.replace("samplingRateHz = 100", "samplingRateHz = -100"),
            "must be > 0",
            "comment at the top",
        ),
    ],
)
def test_fixed_toml_typical_wrong_answers_are_refused_with_their_mistake_named(
    text: Any, inMessage: str, inHint: str
) -> None:
    verdict = checkFixedToml(text)
    assert not verdict
    assert inMessage in verdict.message, str(verdict)
    assert inHint in verdict.hint, str(verdict)

"""Validator descriptors: what they accept, what they store, how they refuse."""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from strategies import anything

from pipeline_lib import BoundedInt, PositiveFloat, Validator
from pipeline_lib.validators import FiniteFloat, checkOrdered, fieldValues, validatedFields


class Probe:
    rate = PositiveFloat()
    offset = FiniteFloat()
    count = BoundedInt(1, 10)


def _asFloat(value: Any) -> float | None:
    """The float a number stands for (inf when too big), None for non-numbers and bool."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _assertNamesOwnerFieldValue(error: BaseException, field: str, value: Any) -> None:
    message = str(error)
    assert message.startswith(f"Probe.{field} must "), message
    assert message.endswith(f", got {value!r}"), message


# -- the base class -----------------------------------------------------------------------


def test_set_name_records_the_public_private_and_owner_names() -> None:
    field = Probe.__dict__["count"]
    assert (field.publicName, field.privateName, field.ownerName) == ("count", "_count", "Probe")
    assert field.qualifiedName == "Probe.count"


def test_class_access_returns_the_descriptor_itself() -> None:
    assert Probe.rate is Probe.__dict__["rate"]
    assert isinstance(Probe.rate, PositiveFloat)


def test_the_value_is_stored_under_the_private_name() -> None:
    probe = Probe()
    probe.count = 3
    assert vars(probe) == {"_count": 3}
    assert probe.count == 3


def test_reading_an_unset_field_names_owner_and_field() -> None:
    with pytest.raises(AttributeError, match=r"^Probe\.rate has not been set$"):
        _ = Probe().rate


def test_a_field_cannot_be_deleted() -> None:
    probe = Probe()
    probe.rate = 2.0
    with pytest.raises(AttributeError, match=r"Probe\.rate cannot be deleted"):
        del probe.rate
    assert probe.rate == 2.0


def test_a_students_one_method_subclass_works() -> None:
    class Percent(Validator[float]):
        def validate(self, value: Any) -> float:
            if not isinstance(value, int | float) or not 0 <= value <= 100:
                raise ValueError(f"{self.qualifiedName} must be a percentage, got {value!r}")
            return float(value)

    class Battery:
        charge = Percent()

    battery = Battery()
    battery.charge = 40
    assert battery.charge == 40.0 and isinstance(battery.charge, float)
    with pytest.raises(ValueError, match=r"^Battery\.charge must be a percentage, got 140$"):
        battery.charge = 140
    assert battery.charge == 40.0


def test_a_subclass_without_validate_says_what_is_missing() -> None:
    class Lazy(Validator[int]):
        pass

    class Owner:
        field = Lazy()

    with pytest.raises(NotImplementedError, match=r"Lazy must define validate\(value\)"):
        Owner().field = 1


def test_a_validator_used_on_its_own_calls_the_value_value() -> None:
    with pytest.raises(ValueError, match=r"^value must be > 0, got 0$"):
        PositiveFloat().validate(0)


# -- floats -------------------------------------------------------------------------------


@given(anything)
def test_positive_float_stores_a_float_or_refuses_and_keeps_the_old_value(value: Any) -> None:
    probe = Probe()
    probe.rate = 1.5
    number = _asFloat(value)
    if number is not None and math.isfinite(number) and number > 0:
        probe.rate = value
        assert type(probe.rate) is float and probe.rate == number
        return
    with pytest.raises(TypeError if number is None else ValueError) as raised:
        probe.rate = value
    _assertNamesOwnerFieldValue(raised.value, "rate", value)
    assert probe.rate == 1.5


@given(anything)
def test_finite_float_accepts_every_finite_real_and_nothing_else(value: Any) -> None:
    probe = Probe()
    number = _asFloat(value)
    if number is not None and math.isfinite(number):
        probe.offset = value
        assert type(probe.offset) is float and probe.offset == number
        return
    with pytest.raises(TypeError if number is None else ValueError) as raised:
        probe.offset = value
    _assertNamesOwnerFieldValue(raised.value, "offset", value)
    assert "_offset" not in vars(probe)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("fast", TypeError, "Probe.rate must be numeric, got 'fast'"),
        (True, TypeError, "Probe.rate must be numeric, got True"),
        (None, TypeError, "Probe.rate must be numeric, got None"),
        (math.nan, ValueError, "Probe.rate must be a finite number, got nan"),
        (math.inf, ValueError, "Probe.rate must be a finite number, got inf"),
        (-math.inf, ValueError, "Probe.rate must be a finite number, got -inf"),
        (10**400, ValueError, f"Probe.rate must be a finite number, got {10**400!r}"),
        (0, ValueError, "Probe.rate must be > 0, got 0"),
        (-5, ValueError, "Probe.rate must be > 0, got -5"),
    ],
)
def test_positive_float_messages(value: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as raised:
        Probe().rate = value
    assert str(raised.value) == message


def test_an_int_or_fraction_is_stored_as_float() -> None:
    probe = Probe()
    probe.rate = 3
    assert probe.rate == 3.0 and type(probe.rate) is float
    probe.rate = Fraction(1, 4)
    assert probe.rate == 0.25


# -- ints ---------------------------------------------------------------------------------


@given(anything)
def test_bounded_int_accepts_ints_in_range_only(value: Any) -> None:
    probe = Probe()
    isInt = isinstance(value, int) and not isinstance(value, bool)
    if isInt and 1 <= value <= 10:
        probe.count = value
        assert probe.count == value
        return
    with pytest.raises(ValueError if isInt else TypeError) as raised:
        probe.count = value
    _assertNamesOwnerFieldValue(raised.value, "count", value)


@pytest.mark.parametrize(
    ("field", "value", "error", "message"),
    [
        (BoundedInt(1, 10), 0, ValueError, "value must be in [1, 10], got 0"),
        (BoundedInt(1, 10), 11, ValueError, "value must be in [1, 10], got 11"),
        (BoundedInt(1), 0, ValueError, "value must be >= 1, got 0"),
        (BoundedInt(hi=5), 6, ValueError, "value must be <= 5, got 6"),
        (BoundedInt(1, 10), 2.0, TypeError, "value must be an int, got 2.0"),
        (BoundedInt(1, 10), True, TypeError, "value must be an int, got True"),
    ],
)
def test_bounded_int_messages(
    field: BoundedInt, value: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        field.validate(value)
    assert str(raised.value) == message


def test_bounds_are_inclusive_and_open_bounds_are_open() -> None:
    assert BoundedInt(1, 10).validate(1) == 1
    assert BoundedInt(1, 10).validate(10) == 10
    assert BoundedInt().validate(-(10**30)) == -(10**30)
    assert BoundedInt(1, 10).expectation == "an int in [1, 10]"


def test_inverted_bounds_are_refused_when_the_validator_is_made() -> None:
    with pytest.raises(ValueError, match=r"BoundedInt: lo must be <= hi, got \[5, 1\]"):
        BoundedInt(5, 1)


# -- fields of a class, and rules between them --------------------------------------------


def test_validated_fields_lists_fields_in_definition_order_bases_first() -> None:
    class Child(Probe):
        extra = BoundedInt(0)

    assert list(validatedFields(Child)) == ["rate", "offset", "count", "extra"]


def test_field_values_leaves_out_unset_fields() -> None:
    probe = Probe()
    probe.count = 2
    assert fieldValues(probe) == {"count": 2}


class Band:
    low = FiniteFloat()
    high = FiniteFloat()

    def __init__(self, low: float, high: float) -> None:
        self.low = low
        self.high = high

    @staticmethod
    def checkFields(values: dict[str, Any]) -> None:
        checkOrdered("Band", values, "low", "high")


def test_a_cross_field_rule_refuses_before_storing() -> None:
    band = Band(1.0, 5.0)
    with pytest.raises(ValueError, match=r"^Band: low must be < high, got 7\.0 >= 5\.0$"):
        band.low = 7
    assert (band.low, band.high) == (1.0, 5.0)
    with pytest.raises(ValueError, match=r"got 1\.0 >= 1\.0"):
        band.high = 1
    assert (band.low, band.high) == (1.0, 5.0)


def test_check_ordered_waits_until_both_values_are_there() -> None:
    checkOrdered("Band", {"low": 9.0}, "low", "high")
    checkOrdered("Band", {}, "low", "high")

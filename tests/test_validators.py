"""Validator descriptors: what they accept, what they store, how they refuse."""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import anything, hostileValues

from pipeline_lib import BoundedInt, PositiveFloat, Validator
from pipeline_lib.validators import (
    LONGEST_REPR,
    FieldsOnly,
    FiniteFloat,
    checkOrdered,
    fieldValues,
    shortRepr,
    validatedFields,
)


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
    assert message.endswith(f", got {shortRepr(value)}"), message


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
        (
            10**400,
            ValueError,
            "Probe.rate must be a finite number, "
            "got 1000000000...0000000000 (an int of 401 digits)",
        ),
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


# -- the Descriptor HowTo's validators, verbatim apart from the base class ----------------
# (Doc/howto/descriptor.rst, "Custom validators"): validate() returns nothing, and the
# subclasses' __init__ never calls super().__init__().


class OneOf(Validator):
    def __init__(self, *options):  # type: ignore[no-untyped-def]
        self.options = set(options)

    def validate(self, value):  # type: ignore[no-untyped-def]
        if value not in self.options:
            raise ValueError(f"Expected {value!r} to be one of {self.options!r}")


class Number(Validator):
    def __init__(self, minvalue=None, maxvalue=None):  # type: ignore[no-untyped-def]
        self.minvalue = minvalue
        self.maxvalue = maxvalue

    def validate(self, value):  # type: ignore[no-untyped-def]
        if not isinstance(value, (int, float)):
            raise TypeError(f"Expected {value!r} to be an int or float")
        if self.minvalue is not None and value < self.minvalue:
            raise ValueError(f"Expected {value!r} to be at least {self.minvalue!r}")
        if self.maxvalue is not None and value > self.maxvalue:
            raise ValueError(f"Expected {value!r} to be no more than {self.maxvalue!r}")


class String(Validator):
    def __init__(self, minsize=None, maxsize=None, predicate=None):  # type: ignore[no-untyped-def]
        self.minsize = minsize
        self.maxsize = maxsize
        self.predicate = predicate

    def validate(self, value):  # type: ignore[no-untyped-def]
        if not isinstance(value, str):
            raise TypeError(f"Expected {value!r} to be an str")
        if self.minsize is not None and len(value) < self.minsize:
            raise ValueError(f"Expected {value!r} to be no smaller than {self.minsize!r}")
        if self.maxsize is not None and len(value) > self.maxsize:
            raise ValueError(f"Expected {value!r} to be no bigger than {self.maxsize!r}")
        if self.predicate is not None and not self.predicate(value):
            raise ValueError(f"Expected {self.predicate} to be true for {value!r}")


class Component:
    name = String(minsize=3, maxsize=10, predicate=str.isupper)
    kind = OneOf("wood", "metal", "plastic")
    quantity = Number(minvalue=0)

    def __init__(self, name, kind, quantity):  # type: ignore[no-untyped-def]
        self.name = name
        self.kind = kind
        self.quantity = quantity


def test_the_howto_component_stores_the_values_given() -> None:
    component = Component("WIDGET", "metal", 5)
    assert (component.name, component.kind, component.quantity) == ("WIDGET", "metal", 5)


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (("Widget", "metal", 5), ValueError),  # not all upper case
        (("WIDGET", "metle", 5), ValueError),  # misspelt kind
        (("WIDGET", "metal", -5), ValueError),  # negative quantity
        (("WIDGET", "metal", "V"), TypeError),  # not a number
    ],
)
def test_the_howto_component_refuses_what_the_howto_refuses(
    arguments: tuple[Any, ...], error: type[Exception]
) -> None:
    with pytest.raises(error, match=r"^Expected "):
        Component(*arguments)


@given(st.sampled_from(["wood", "metal", "plastic"]), st.integers(0) | st.floats(0, 1e9))
def test_any_value_a_howto_validator_accepts_is_stored_as_given(kind: str, quantity: Any) -> None:
    component = Component("WIDGET", "wood", 1)
    component.kind = kind
    component.quantity = quantity
    assert component.kind is kind
    assert component.quantity is quantity


def test_a_validator_that_skips_super_init_still_names_its_field() -> None:
    assert Component.kind.qualifiedName == "Component.kind"
    assert OneOf("a").qualifiedName == "value"  # used on its own, before __set_name__


# -- fields only: a typo is an AttributeError with a did-you-mean --------------------------


class Strict(FieldsOnly):
    rate = PositiveFloat()
    count = BoundedInt(1, 10)
    label = "declared in the class, so assignable"


@given(st.text(min_size=1).filter(lambda name: not name.startswith("_")))
def test_any_name_that_is_not_a_field_is_refused_and_nothing_is_added(name: str) -> None:
    strict = Strict()
    if hasattr(Strict, name):
        return
    with pytest.raises(AttributeError, match=r"^Strict has no field ") as raised:
        setattr(strict, name, 1)
    assert "(fields: rate, count)" in str(raised.value)
    assert name not in vars(strict)


def test_a_misspelt_field_suggests_the_field() -> None:
    strict = Strict()
    with pytest.raises(AttributeError, match=r"has no field 'Rate'; did you mean 'rate'\?"):
        strict.Rate = 5  # type: ignore[attr-defined]
    strict.rate = 5
    strict.label = "fine"
    strict._private = 1  # private names stay open to the class's own code
    assert (strict.rate, strict.label) == (5.0, "fine")


# -- shortRepr: messages about hostile values neither fail nor flood ------------------------


@given(hostileValues)
def test_any_hostile_value_gets_a_short_repr_that_never_raises(value: Any) -> None:
    text = shortRepr(value)
    assert len(text) <= LONGEST_REPR + 50


@given(hostileValues)
def test_any_hostile_value_given_to_a_field_gets_a_message_naming_class_and_field(
    value: Any,
) -> None:
    probe = Probe()
    with pytest.raises((TypeError, ValueError)) as raised:
        probe.rate = value
    message = str(raised.value)
    assert message.startswith("Probe.rate must be "), message
    assert shortRepr(value) in message
    assert len(message) < 200


def test_a_huge_int_is_shortened_with_its_digit_count() -> None:
    with pytest.raises(ValueError) as raised:
        Probe().count = 10**5000
    assert str(raised.value) == (
        "Probe.count must be in [1, 10], got 1000000000...0000000000 (an int of 5001 digits)"
    )
    assert shortRepr(-(10**4300) + 1) == "-9999999999...9999999999 (an int of 4300 digits)"
    assert shortRepr(12345) == "12345"

"""Descriptors that validate a value at assignment, so bad values never get in (layer 2).

Slide 6's ``PositiveFloat``, grown into a base class. A :class:`Validator` learns its
field's name when the owner class is created (``__set_name__``), hands itself back on
class access, and on every assignment calls :meth:`Validator.validate` and stores what
it returns under a private name (``_windowSize``), so ``__get__`` never recurses.

>>> class Sensor:
...     rateHz = PositiveFloat()
...     channels = BoundedInt(1, 8)
>>> sensor = Sensor()
>>> sensor.rateHz = 50           # an int is accepted for a float field, stored as float
>>> sensor.rateHz
50.0
>>> sensor.channels = 9
Traceback (most recent call last):
...
ValueError: Sensor.channels must be in [1, 8], got 9
>>> Sensor.rateHz                # class access returns the descriptor itself
PositiveFloat()

A new rule is one method, ``validate(value)``: return a value to store it instead
(normalised), return nothing (``None``) to store the value as given, or raise to refuse.
So the Descriptor HowTo's validators, whose ``validate`` only raises, port verbatim
(``__init__`` need not call ``super().__init__()``):

>>> class OneOf(Validator):
...     def __init__(self, *options):
...         self.options = set(options)
...     def validate(self, value):
...         if value not in self.options:
...             raise ValueError(f'Expected {value!r} to be one of {self.options!r}')
>>> class Export:
...     kind = OneOf("csv")
>>> export = Export()
>>> export.kind = "csv"
>>> export.kind
'csv'

>>> class EvenInt(BoundedInt):
...     def validate(self, value):
...         value = super().validate(value)
...         if value % 2:
...             raise ValueError(f"{self.qualifiedName} must be even, got {shortRepr(value)}")
...         return value
>>> class Grid:
...     cells = EvenInt(0, 100)
>>> Grid().cells = 3
Traceback (most recent call last):
...
ValueError: Grid.cells must be even, got 3

Rules that involve several fields (``filterMin < filterMax``) belong to the owner: if
the owner class has a ``checkFields(values)`` method, every assignment calls it with the
values the object *would* have, before anything is stored; it raises to refuse, and the
object keeps its old values. See :class:`~pipeline_lib.PipelineConfig`.

A class that inherits :class:`FieldsOnly` also refuses assignments to names that are not
fields, so a typo (``config.windowsize = 0``) is an error, not a new attribute.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any, Generic, Self, TypeVar, overload

__all__ = [
    "BoundedInt",
    "FieldsOnly",
    "FiniteFloat",
    "PositiveFloat",
    "Validator",
    "checkOrdered",
    "didYouMean",
    "fieldValues",
    "shortRepr",
    "validatedFields",
]

T = TypeVar("T")


class Validator(Generic[T]):
    """Descriptor base: validate on assignment, store under ``_name``; subclass ``validate``.

    After the owner class is created, ``publicName`` is the field's name
    (``"windowSize"``), ``privateName`` where the value lives (``"_windowSize"``),
    ``ownerName`` the class's name and ``qualifiedName`` both (``"PipelineConfig.windowSize"``):
    messages start with it, so every error names its owner and field.

    Before storing, ``__set__`` calls the owner's ``checkFields(values)`` if it has one
    (a static or class method), with every field set so far plus the new value; it
    raises to refuse, and then nothing is stored.

    >>> class Anything(Validator):
    ...     def validate(self, value):
    ...         return value
    >>> class Box:
    ...     item = Anything()
    >>> box = Box()
    >>> box.item = [1, 2]
    >>> box.item, box._item, Box.item.qualifiedName
    ([1, 2], [1, 2], 'Box.item')
    """

    #: What a valid value looks like, for messages such as "is missing (expected ...)".
    expectation = "a valid value"
    # Until __set_name__ runs (a validator used on its own), messages say "value". These
    # are class attributes, so a subclass whose __init__ skips super().__init__() (as
    # the Descriptor HowTo's do) still has them.
    ownerName = ""
    publicName = "value"
    privateName = "_value"

    def __init__(self) -> None:
        pass

    def __set_name__(self, owner: type, name: str) -> None:
        """Called once, when the class body that assigns this descriptor is executed."""
        self.ownerName = owner.__name__
        self.publicName = name
        self.privateName = f"_{name}"

    @property
    def qualifiedName(self) -> str:
        """``Owner.field``: how every message names the field."""
        return f"{self.ownerName}.{self.publicName}" if self.ownerName else self.publicName

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> Self: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> T: ...
    def __get__(self, obj: object | None, objtype: type | None = None) -> Self | T:
        if obj is None:  # class access: hand out the descriptor, for introspection
            return self
        try:
            value: T = getattr(obj, self.privateName)
        except AttributeError:
            raise AttributeError(f"{self.qualifiedName} has not been set") from None
        return value

    def __set__(self, obj: object, value: Any) -> None:
        stored = self.validate(value)
        if stored is None:  # validate() returned nothing: keep the value as given
            stored = value
        # Cross-field rules see the object as it would be, and may refuse: nothing is
        # stored until they agree, so a rejected assignment leaves the object unchanged.
        checkFields = getattr(obj, "checkFields", None)
        if checkFields is not None:
            checkFields({**fieldValues(obj), self.publicName: stored})
        setattr(obj, self.privateName, stored)

    def __delete__(self, obj: object) -> None:
        raise AttributeError(f"{self.qualifiedName} cannot be deleted")

    def validate(self, value: Any) -> T | None:
        """Return the value to store, or ``None`` to store ``value`` as given; raise to refuse."""
        raise NotImplementedError(f"{type(self).__name__} must define validate(value)")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class FiniteFloat(Validator[float]):
    """Any real number except NaN and ±inf (and bool), stored as float.

    >>> FiniteFloat().validate(3)
    3.0
    >>> FiniteFloat().validate(float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: value must be a finite number, got nan
    """

    expectation = "a finite number"

    def validate(self, value: Any) -> float:
        # bool is an int subclass, but True is not a number anyone means to configure.
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{self.qualifiedName} must be numeric, got {shortRepr(value)}")
        try:
            number = float(value)
        except OverflowError:  # an int too large for a float
            number = math.inf
        if not math.isfinite(number):
            raise ValueError(
                f"{self.qualifiedName} must be a finite number, got {shortRepr(value)}"
            )
        return number


class PositiveFloat(FiniteFloat):
    """A finite number > 0, stored as float (slide 6).

    >>> PositiveFloat().validate(-5)
    Traceback (most recent call last):
    ...
    ValueError: value must be > 0, got -5
    """

    expectation = "a number > 0"

    def validate(self, value: Any) -> float:
        number = super().validate(value)
        if number <= 0:
            raise ValueError(f"{self.qualifiedName} must be > 0, got {shortRepr(value)}")
        return number


class BoundedInt(Validator[int]):
    """An int (not bool, not float) in ``[lo, hi]``; either bound may be ``None`` (open).

    >>> BoundedInt(1, 10000).validate(0)
    Traceback (most recent call last):
    ...
    ValueError: value must be in [1, 10000], got 0
    >>> BoundedInt(1).validate(2.0)
    Traceback (most recent call last):
    ...
    TypeError: value must be an int, got 2.0
    """

    def __init__(self, lo: int | None = None, hi: int | None = None) -> None:
        super().__init__()
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"BoundedInt: lo must be <= hi, got [{lo}, {hi}]")
        self.lo = lo
        self.hi = hi
        self.expectation = f"an int {self._range()}"

    def _range(self) -> str:
        if self.lo is not None and self.hi is not None:
            return f"in [{self.lo}, {self.hi}]"
        if self.lo is not None:
            return f">= {self.lo}"
        if self.hi is not None:
            return f"<= {self.hi}"
        return "(any)"

    def validate(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{self.qualifiedName} must be an int, got {shortRepr(value)}")
        number = int(value)
        tooLow = self.lo is not None and number < self.lo
        tooHigh = self.hi is not None and number > self.hi
        if tooLow or tooHigh:
            raise ValueError(
                f"{self.qualifiedName} must be {self._range()}, got {shortRepr(value)}"
            )
        return number

    def __repr__(self) -> str:
        return f"BoundedInt({self.lo}, {self.hi})"


def validatedFields(cls: type) -> dict[str, Validator[Any]]:
    """The class's :class:`Validator` fields, by name, in definition order (bases first).

    >>> class Point:
    ...     x = FiniteFloat()
    ...     y = FiniteFloat()
    >>> list(validatedFields(Point))
    ['x', 'y']
    """
    fields: dict[str, Validator[Any]] = {}
    for klass in reversed(cls.__mro__):
        for name, attribute in vars(klass).items():
            if isinstance(attribute, Validator):
                fields[name] = attribute
    return fields


def fieldValues(obj: object) -> dict[str, Any]:
    """The object's validated fields that have been set, by name (unset ones left out).

    >>> class Point:
    ...     x = FiniteFloat()
    ...     y = FiniteFloat()
    >>> point = Point()
    >>> point.y = 2
    >>> fieldValues(point)
    {'y': 2.0}
    """
    values: dict[str, Any] = {}
    for name, field in validatedFields(type(obj)).items():
        try:
            values[name] = getattr(obj, field.privateName)
        except AttributeError:
            continue
    return values


def checkOrdered(owner: str, values: Mapping[str, Any], lowName: str, highName: str) -> None:
    """Raise ValueError unless ``values[lowName] < values[highName]`` (skipped if either is absent).

    >>> checkOrdered("Band", {"low": 5.0, "high": 1.0}, "low", "high")
    Traceback (most recent call last):
    ...
    ValueError: Band: low must be < high, got 5.0 >= 1.0
    >>> checkOrdered("Band", {"low": 5.0}, "low", "high")  # high not set yet: nothing to compare
    """
    if lowName in values and highName in values:
        low, high = values[lowName], values[highName]
        if not low < high:
            raise ValueError(f"{owner}: {lowName} must be < {highName}, got {low!r} >= {high!r}")


class FieldsOnly:
    """Base for classes of validated fields: assigning a name that is not a field fails.

    Without it, ``config.windowsize = 0`` (a typo) quietly adds a new attribute and no
    validator runs: slide 5's error that surfaces three stages later. Names the class
    defines (fields, properties, class attributes) and private names (``_x``) may be
    assigned; anything else raises :class:`AttributeError` with a did-you-mean.

    >>> class Point(FieldsOnly):
    ...     x = FiniteFloat()
    ...     y = FiniteFloat()
    >>> point = Point()
    >>> point.x = 1
    >>> point.X = 2
    Traceback (most recent call last):
    ...
    AttributeError: Point has no field 'X'; did you mean 'x'? (fields: x, y)
    """

    def __setattr__(self, name: str, value: Any) -> None:
        owner = type(self)
        if not (name.startswith("_") or hasattr(owner, name)):
            fields = list(validatedFields(owner))
            # No name=/obj=: from 3.12 Python would append a second "Did you mean" to ours.
            raise AttributeError(
                f"{owner.__name__} has no field {name!r}{didYouMean(name, fields)} "
                f"(fields: {', '.join(fields)})"
            )
        super().__setattr__(name, value)


def didYouMean(name: str, choices: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices`` (any case), or ``""``.

    >>> didYouMean("windowsize", ["samplingRateHz", "windowSize"])
    "; did you mean 'windowSize'?"
    >>> didYouMean("colour", ["windowSize"])
    ''
    """
    import difflib  # here, not at the top: only a mistake needs it (the CLI starts faster)

    folded = {choice.lower(): choice for choice in choices}
    matches = difflib.get_close_matches(name.lower(), list(folded), n=1, cutoff=0.6)
    return f"; did you mean {folded[matches[0]]!r}?" if matches else ""


#: Longer reprs are shortened in messages: a value read from a file may be huge.
LONGEST_REPR = 60


def shortRepr(value: object) -> str:
    """``repr(value)`` for a message: shortened when long, and never raising.

    An int too long for ``repr`` (over 4300 digits), a value whose ``repr`` raises, or
    a long string would otherwise make the message itself fail or fill the screen.

    >>> shortRepr(10**5000)
    '1000000000...0000000000 (an int of 5001 digits)'
    >>> shortRepr("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... (a str, repr of 102 characters)"
    >>> class Broken:
    ...     def __repr__(self):
    ...         raise RuntimeError("no")
    >>> shortRepr(Broken())
    '<a Broken whose repr() raised RuntimeError>'
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 190:
        return _shortInt(value)
    try:
        text = repr(value)
    except Exception as error:
        return f"<a {type(value).__name__} whose repr() raised {type(error).__name__}>"
    if len(text) <= LONGEST_REPR:
        return text
    return f"{text[:48]}... (a {type(value).__name__}, repr of {len(text)} characters)"


def _shortInt(value: int) -> str:
    """The first and last ten digits and the count, without ``str()`` (limited to 4300 digits)."""
    number = abs(value)
    digits = int(number.bit_length() * math.log10(2)) + 1
    if number < 10 ** (digits - 1):  # the estimate can be one too high
        digits -= 1
    head, tail = number // 10 ** (digits - 10), number % 10**10
    sign = "-" if value < 0 else ""
    return f"{sign}{head}...{tail:010d} (an int of {digits} digits)"

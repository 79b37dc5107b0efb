"""``PipelineConfig``: slide 7's configuration, checked at the boundary (layer 2).

Every field is a :mod:`~pipeline_lib.validators` descriptor, so a bad value is refused
the moment it is assigned, with a message that names the class, the field, what was
expected and what was given:

>>> config = PipelineConfig(100.0, 10, 20.0, 80.0)
>>> config.windowSize = 0
Traceback (most recent call last):
...
ValueError: PipelineConfig.windowSize must be in [1, 10000], got 0
>>> config.filterMin = 95.0      # refused: the object keeps its valid bounds
Traceback (most recent call last):
...
ValueError: PipelineConfig: filterMin must be < filterMax, got 95.0 >= 80.0
>>> config
PipelineConfig(samplingRateHz=100.0, windowSize=10, filterMin=20.0, filterMax=80.0)

Values from outside (a dict, a TOML or JSON file) go through :meth:`PipelineConfig.fromDict`
and :meth:`PipelineConfig.fromFile`, which report *every* problem at once in one
:class:`ConfigError`. Files are parsed as data (``tomllib``, ``json``): never eval'd or
unpickled. The config then builds the engine's parts, so nobody copies values by hand:
``config.stages()``, ``config.sensorSource(count=..., seed=...)``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

from .documents import UNREADABLE, describeTomlError, readDocument
from .protocols import Stage
from .sources import SensorSource
from .stages import Normalizer, ThresholdFilter, WindowAverage
from .validators import (
    BoundedInt,
    FieldsOnly,
    PositiveFloat,
    Validator,
    checkOrdered,
    didYouMean,
    fieldValues,
    shortRepr,
    validatedFields,
)

__all__ = ["ConfigError", "PipelineConfig", "describeTomlError", "didYouMean"]


class ConfigError(ValueError):
    """Everything wrong with a configuration: ``.problems`` (one line each) and ``.path``.

    ``path`` is the file the values came from, or None for a dict. ``str()`` lists every
    problem on its own line; a caller may append its own problems to ``.problems``
    before showing it (the listing is built when printed).

    >>> print(ConfigError(["PipelineConfig.windowSize must be in [1, 10000], got 0",
    ...                    "PipelineConfig.filterMax is missing (expected a number > 0)"]))
    invalid configuration: 2 problems
      - PipelineConfig.windowSize must be in [1, 10000], got 0
      - PipelineConfig.filterMax is missing (expected a number > 0)
    """

    def __init__(self, problems: Sequence[str], path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(list(problems), path)  # args as given, so the error pickles
        self.problems: list[str] = list(problems)
        self.path: Path | None = None if path is None else Path(path)

    def __str__(self) -> str:
        where = "invalid configuration" if self.path is None else str(self.path)
        count = len(self.problems)
        header = f"{where}: {count} problem{'' if count == 1 else 's'}"
        return "\n  - ".join([header, *self.problems])


class PipelineConfig(FieldsOnly):
    """The pipeline's settings, each validated on every assignment (slide 7).

    ``filterMin``/``filterMax`` bound the :class:`~pipeline_lib.ThresholdFilter` and the
    :class:`~pipeline_lib.Normalizer`; ``filterMin < filterMax`` is checked at construction
    and at every later assignment, before anything is stored. Assigning a name that is
    not a field is refused too (a typo must not become a new attribute):

    >>> PipelineConfig(100.0, 10, 20.0, 80.0).windowsize = 0
    Traceback (most recent call last):
    ...
    AttributeError: PipelineConfig has no field 'windowsize'; did you mean 'windowSize'? \
(fields: samplingRateHz, windowSize, filterMin, filterMax)

    >>> config = PipelineConfig(samplingRateHz=100.0, windowSize=10, filterMin=20.0, filterMax=80.0)
    >>> config.samplingRateHz = "fast"
    Traceback (most recent call last):
    ...
    TypeError: PipelineConfig.samplingRateHz must be numeric, got 'fast'
    >>> config.asDict()
    {'samplingRateHz': 100.0, 'windowSize': 10, 'filterMin': 20.0, 'filterMax': 80.0}
    """

    samplingRateHz = PositiveFloat()
    windowSize = BoundedInt(1, 10000)
    filterMin = PositiveFloat()
    filterMax = PositiveFloat()

    def __init__(
        self, samplingRateHz: float, windowSize: int, filterMin: float, filterMax: float
    ) -> None:
        self.samplingRateHz = samplingRateHz
        self.windowSize = windowSize
        self.filterMin = filterMin
        self.filterMax = filterMax

    @classmethod
    def checkFields(cls, values: Mapping[str, Any]) -> None:
        """The rules between fields; the validators call it before storing any value."""
        checkOrdered(cls.__name__, values, "filterMin", "filterMax")

    # -- from outside: dicts and files, every problem at once ----------------------------

    @classmethod
    def fromDict(cls, mapping: Mapping[str, Any]) -> Self:
        """Build a config from field names to values, or raise one :class:`ConfigError`.

        >>> PipelineConfig.fromDict({"samplingRateHz": 100, "windowSize": 10,
        ...                          "filterMin": 20, "filterMax": 80})
        PipelineConfig(samplingRateHz=100.0, windowSize=10, filterMin=20.0, filterMax=80.0)
        >>> PipelineConfig.fromDict({"samplingRateHz": -5, "windowsize": 10, "filterMin": 90.0,
        ...                          "filterMax": 10.0})
        Traceback (most recent call last):
        ...
        pipeline_lib.config.ConfigError: invalid configuration: 4 problems
          - PipelineConfig has no field 'windowsize'; did you mean 'windowSize'? \
(fields: samplingRateHz, windowSize, filterMin, filterMax)
          - PipelineConfig.samplingRateHz must be > 0, got -5
          - PipelineConfig.windowSize is missing (expected an int in [1, 10000])
          - PipelineConfig: filterMin must be < filterMax, got 90.0 >= 10.0
        """
        return cls._build(mapping, [], path=None)

    @classmethod
    def fromFile(cls, path: str | os.PathLike[str]) -> Self:
        """Read a ``.toml`` or ``.json`` file of field names to values (as :meth:`fromDict`).

        Problems are listed under the file's path; a syntax error gives its line and column.

        >>> PipelineConfig.fromFile("nowhere.toml")
        Traceback (most recent call last):
        ...
        pipeline_lib.config.ConfigError: nowhere.toml: 1 problem
          - no such file (looked for .../nowhere.toml)
        """
        problems: list[str] = []
        document = readDocument(path, problems)
        if document is UNREADABLE:
            raise ConfigError(problems, path)
        return cls._build(document, problems, path=path)

    @classmethod
    def _build(
        cls, mapping: object, problems: list[str], path: str | os.PathLike[str] | None
    ) -> Self:
        values = cls._collect(mapping, problems)
        if problems:
            raise ConfigError(problems, path)
        return cls(**values)

    @classmethod
    def _collect(cls, mapping: object, problems: list[str]) -> dict[str, Any]:
        """Validate every field separately, then the rules between them; gather problems."""
        if not isinstance(mapping, Mapping):
            problems.append(
                f"{cls.__name__} needs a table of field names to values, got {shortRepr(mapping)}"
            )
            return {}
        fields = validatedFields(cls)
        for key in mapping:
            if key not in fields:
                hint = didYouMean(key, list(fields)) if isinstance(key, str) else ""
                problems.append(
                    f"{cls.__name__} has no field {shortRepr(key)}{hint} "
                    f"(fields: {', '.join(fields)})"
                )
        values: dict[str, Any] = {}
        for name, field in fields.items():
            if name not in mapping:
                problems.append(f"{field.qualifiedName} is missing (expected {field.expectation})")
                continue
            values.update(_checkOne(field, mapping[name], problems))
        try:  # the pair is compared when both of its values are valid
            cls.checkFields(values)
        except ValueError as error:
            problems.append(str(error))
        return values

    # -- values out ----------------------------------------------------------------------

    def asDict(self) -> dict[str, Any]:
        """The fields, by name, in declaration order (what :meth:`fromDict` takes back)."""
        return fieldValues(self)

    def replace(self, **changes: Any) -> Self:
        """A new config with some fields changed, all checked together (this one unchanged).

        Changing both bounds at once is easy here, where one assignment at a time could
        pass through an inverted pair:

        >>> PipelineConfig(100.0, 10, 20.0, 80.0).replace(filterMin=90.0, filterMax=120.0)
        PipelineConfig(samplingRateHz=100.0, windowSize=10, filterMin=90.0, filterMax=120.0)
        """
        return type(self)(**{**self.asDict(), **changes})

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self.asDict().items())
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.asDict() == other.asDict()

    __hash__ = None  # type: ignore[assignment]  # mutable: equal configs may not stay equal

    # -- the engine's parts, built from the config ---------------------------------------

    def thresholdFilter(self) -> ThresholdFilter:
        """``ThresholdFilter(filterMin, filterMax)``."""
        return ThresholdFilter(self.filterMin, self.filterMax)

    def normalizer(self) -> Normalizer:
        """``Normalizer(filterMin, filterMax)``: the kept range is rescaled to [0, 1]."""
        return Normalizer(self.filterMin, self.filterMax)

    def windowAverage(self) -> WindowAverage:
        """``WindowAverage(windowSize)``."""
        return WindowAverage(self.windowSize)

    def stages(self) -> list[Stage]:
        """The built-in stages in pipeline order: filter, normalise, smooth.

        >>> PipelineConfig(100.0, 10, 20.0, 80.0).stages()
        [ThresholdFilter(20.0, 80.0), Normalizer(20.0, 80.0), WindowAverage(10)]
        """
        return [self.thresholdFilter(), self.normalizer(), self.windowAverage()]

    def sensorSource(
        self, *, count: int = 1000, seed: int = 0, sensorIds: Sequence[str] | None = None
    ) -> SensorSource:
        """A :class:`~pipeline_lib.SensorSource` sampling at ``samplingRateHz``.

        >>> PipelineConfig(100.0, 10, 20.0, 80.0).sensorSource(count=50, seed=1)
        SensorSource(count=50, seed=1, sensorIds=['temp-1', 'temp-2', 'temp-3'], \
samplingRateHz=100.0)
        """
        if sensorIds is None:  # SensorSource's own default
            return SensorSource(count=count, seed=seed, samplingRateHz=self.samplingRateHz)
        return SensorSource(
            count=count, seed=seed, sensorIds=sensorIds, samplingRateHz=self.samplingRateHz
        )


def _checkOne(field: Validator[Any], value: object, problems: list[str]) -> dict[str, Any]:
    """``{name: stored value}`` if the field accepts ``value``; else ``{}``, problem listed.

    Only a refusal (TypeError, ValueError) is a problem with the value; anything else a
    validator raises is a bug in the validator, and propagates as itself.
    """
    try:
        stored = field.validate(value)
    except (TypeError, ValueError) as error:
        problems.append(str(error))
        return {}
    return {field.publicName: value if stored is None else stored}

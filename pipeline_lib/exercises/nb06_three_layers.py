"""Checks for 06_three_layers's exercises: sensor bounds, two faults once."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ..cleanup import describeError
from ..config import ConfigError, PipelineConfig
from ..faults import Fault, failSource
from ..lifecycle import PipelineContext
from ..sinks import ListSink
from ..sources import SqliteSource
from ..validators import Validator, validatedFields
from .scratch import (
    describeHeld,
    quietLogging,
    scratchPool,
)
from .verdict import NotYet, Verdict, correct, exerciseCheck, require

__all__ = ["checkSensorBounds", "checkTwoFaultsOnce"]


def _configFile(folder: Path, name: str, **changes: object) -> Path:
    values: dict[str, object] = {
        "samplingRateHz": 10.0,
        "windowSize": 5,
        "filterMin": 20.0,
        "filterMax": 80.0,
    }
    values.update(changes)
    path = folder / name
    path.write_text("".join(f"{key} = {value!r}\n" for key, value in values.items()))
    return path


_SENSOR_RANGE = "[0.0, 100.0]"
_HINT_SUPER = (
    "keep the base class's checks: call super().validate(value) first and go on with what "
    "it returns"
)


def _refusal(
    config: Any, field: str, value: object, validator: Validator[Any] | None = None
) -> BaseException | None:
    """The TypeError or ValueError ``config.field = value`` raised, or None if accepted.

    With ``validator``, only its ``validate(value)`` is asked (no other field's rule).
    """
    try:
        if validator is None:
            setattr(config, field, value)
        else:
            validator.validate(value)
    except (TypeError, ValueError) as error:
        return error
    return None


class _Holder:
    """Stands in for a config when one validator alone is asked."""


@exerciseCheck(hint="a filter bound is a number the sensors can read: from 0.0 to 100.0")
def checkSensorBounds(configClass: Any) -> Verdict:
    """Exercise 06.1: ``configClass``'s bounds accept [0.0, 100.0] and nothing else."""
    name = getattr(configClass, "__name__", repr(configClass))
    with tempfile.TemporaryDirectory(prefix="pipeline-lib-check-") as folderName:
        folder = Path(folderName)
        edges = _configFile(folder, "edges.toml", filterMin=0.0, filterMax=100.0)
        try:
            good = configClass.fromFile(edges)
        except ConfigError as error:
            refused = "; ".join(error.problems)
            raise NotYet(
                f"{name}.fromFile refused filterMin = 0.0, filterMax = 100.0, the ends of "
                f"the sensors' range: {refused}",
                hint="PositiveFloat refuses 0.0, a reading the sensors can produce (slide 7's "
                "flaw for this job): build SensorBound on FiniteFloat"
                if "> 0" in refused
                else "both ends of the range are readings the sensors can produce: refuse "
                "only what lies outside it",
            ) from None
        require(isinstance(good, PipelineConfig), f"fromFile returned {good!r}, not a config")
        require(
            (good.filterMin, good.filterMax) == (0.0, 100.0),
            f"fromFile stored filterMin={good.filterMin!r}, filterMax={good.filterMax!r}",
        )
        for field, value in (("filterMax", 800.0), ("filterMax", 150.0), ("filterMin", -5.0)):
            try:
                configClass.fromFile(_configFile(folder, "bad.toml", **{field: value}))
            except ConfigError as error:
                problems = error.problems
            except AttributeError as error:
                raise NotYet(
                    f"refusing {field} = {value}, your validator raised AttributeError: {error}",
                    hint="a validator knows its field as self.qualifiedName "
                    f"('{name}.{field}'); self.name is not one of its attributes"
                    if "'name'" in str(error)
                    else None,
                ) from None
            except (TypeError, ValueError) as error:
                raise NotYet(
                    f"{name}.fromFile raised {type(error).__name__}: {error}, instead of "
                    "listing it with the file's other problems",
                    hint="fromFile asks each field's validate(value) and lists what it "
                    "refuses; a check made elsewhere (in __set__) runs only when the "
                    "config is built, and its error escapes unlisted",
                ) from None
            else:
                raise NotYet(
                    f"{name}.fromFile accepted {field} = {value}",
                    hint="the range has a lower end too: no sensor reads below 0.0"
                    if value < 0
                    else "refuse every value above 100.0, not just the one typo"
                    if value == 150.0
                    else None,
                )
            require(
                any(f"{name}.{field}" in p and f"{value:g}" in p for p in problems),
                f"for {field} = {value}, the problems listed do not name {name}.{field} and "
                f"the value: {problems}",
                hint="say whose field it is and what was given: self.qualifiedName and the value",
            )
        try:
            configClass.fromFile(_configFile(folder, "two.toml", windowSize=0, filterMin=250.0))
        except ConfigError as error:
            count = len(error.problems)
        else:
            raise NotYet("fromFile accepted windowSize = 0 with filterMin = 250.0")
        require(count >= 2, f"a file with 2 mistakes gave {count} problem; list every one")
    config = configClass(10.0, 5, 20.0, 80.0)
    assignments: tuple[tuple[str, object], ...] = (
        ("filterMax", 800.0),
        ("filterMin", "hot"),
    )
    for attribute, given in assignments:
        refusal = _refusal(config, attribute, given)
        require(
            refusal is not None,
            f"assigning config.{attribute} = {given!r} was accepted",
            hint=_HINT_SUPER if given != 800.0 else None,
        )
        require(
            f"{name}.{attribute}" in str(refusal),
            f"assigning config.{attribute} = {given!r} was refused with "
            f"{type(refusal).__name__}: {refusal}, which does not name the field",
            hint=_HINT_SUPER if given == "hot" else None,
        )
    require(
        (config.filterMin, config.filterMax) == (20.0, 80.0),
        "a refused assignment changed the config",
    )
    bound = validatedFields(configClass).get("filterMax")
    require(
        bound is not None and _refusal(_Holder(), "value", float("nan"), bound) is not None,
        f"{name}.filterMax's validator accepted nan (not a number)",
        hint=_HINT_SUPER,
    )
    config.filterMin = 0
    require(
        type(config.filterMin) is float,
        f"config.filterMin = 0 stored {config.filterMin!r}, an int",
        hint=_HINT_SUPER,
    )
    return correct(
        f"filter bounds in {_SENSOR_RANGE} are accepted, 0.0 and 100.0 included; the typo, "
        "a negative bound, a word and NaN are refused, in files with every problem listed "
        "and in assignments"
    )


_HINT_ATTEMPTS = (
    "maxAttempts counts the attempts of the whole stream, the first one included: how many "
    "does a stream need that fails twice?"
)


_HINT_RESTART = (
    "slide 10's decorator starts the stream again from record 0: the engine's "
    "retryOnFailure resumes after the records already delivered"
)
_HINT_IGNORED_RESUME = (
    "the engine's retryOnFailure calls stream(resumeAfter=k) after k records were "
    "delivered, and your stream read the inner source from record 0 again: it takes "
    "resumeAfter but does not use it"
)


def _engineRetried(hubClass: Any) -> bool:
    """Whether ``hubClass.stream`` is wrapped by the engine's retryOnFailure (not slide 10's)."""
    return getattr(getattr(hubClass, "stream", None), "retryPolicy", None) is not None


@exerciseCheck(hint="two drops, one stream, every record once")
def checkTwoFaultsOnce(hubClass: Any) -> Verdict:
    """Exercise 06.2: ``hubClass(inner)`` survives two transient faults, each record once."""
    with quietLogging(), scratchPool(size=2) as pool:
        expected = list(SqliteSource(pool).stream())
        fault = Fault(atRecords=(60, 150))
        hub = hubClass(failSource(SqliteSource(pool), fault))
        sink = ListSink()
        try:
            with PipelineContext(hub, pipelineId="check") as ctx:
                ctx.run(sink=sink)
        except OSError as error:
            raise NotYet(
                f"the run failed after {fault.failures} injected fault(s) and "
                f"{len(sink.records)} records: {describeError(error)}",
                hint=_HINT_ATTEMPTS
                if fault.failures == 2
                else "the first drop ended the run: nothing retried the stream (layer 3's "
                "second decorator)",
            ) from None
        duplicates = len(sink.records) - len(set(sink.records))
        require(
            not duplicates,
            f"{duplicates} records were delivered twice",
            hint=_HINT_IGNORED_RESUME if _engineRetried(hubClass) else _HINT_RESTART,
        )
        require(
            sink.records == expected,
            f"{len(sink.records)} records delivered, expected the {len(expected)} of the table",
        )
        require(fault.failures == 2, f"the faults fired {fault.failures} times, expected 2")
        require(pool.inUse == 0, f"after the run, {describeHeld(pool)}")
    return correct(f"two faults survived, all {len(expected)} records delivered exactly once")

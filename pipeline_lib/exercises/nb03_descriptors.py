"""Checks for 03_descriptors's exercises: a OneOf validator, the window rule, a fixed file."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import ConfigError, PipelineConfig
from ..validators import Validator
from .verdict import NotYet, Verdict, correct, exerciseCheck, require

__all__ = ["BROKEN_TOML", "checkFixedToml", "checkOneOf", "checkWindowRule"]


def _refusal(assign: Callable[[], object]) -> str:
    """The message of the TypeError/ValueError ``assign()`` raised, or '' if it raised none."""
    try:
        assign()
    except (TypeError, ValueError) as error:
        return str(error) or type(error).__name__
    return ""


@exerciseCheck(
    hint="in validate(), return value if it is one of self.options; otherwise raise "
    'ValueError(f"{self.qualifiedName} must be one of {self.options}, got {value!r}")'
)
def checkOneOf(validatorClass: Any) -> Verdict:
    """Exercise 03.1: ``OneOf(*options)``, a Validator accepting only the options given."""
    require(
        isinstance(validatorClass, type) and issubclass(validatorClass, Validator),
        f"{validatorClass!r} is not a subclass of pipeline_lib.Validator",
    )

    class Export:
        sinkKind = validatorClass("csv", "sqlite", "list")

    export = Export()
    for option in ("csv", "sqlite", "list"):
        export.sinkKind = option
        require(
            export.sinkKind == option, f"after sinkKind = {option!r}, it reads {export.sinkKind!r}"
        )
    for bad in ("xml", "CSV", None, ["csv"]):
        message = _refusal(functools.partial(setattr, export, "sinkKind", bad))
        require(message, f"sinkKind = {bad!r} was accepted, but the options are csv, sqlite, list")
        require(
            "Export.sinkKind" in message,
            f"the message {message!r} does not name the field (use self.qualifiedName)",
        )
        require(repr(bad) in message, f"the message {message!r} does not show the value {bad!r}")
        require(export.sinkKind == "list", f"a refused {bad!r} changed the stored value")
    return correct(
        "'csv', 'sqlite' and 'list' are stored; 'xml', 'CSV', None and ['csv'] are refused "
        "with a message naming Export.sinkKind and the value"
    )


@exerciseCheck(
    hint="call super().checkFields(values) first; then, only if both 'windowSize' and "
    "'samplingRateHz' are in values, raise ValueError when windowSize > samplingRateHz"
)
def checkWindowRule(configClass: Any) -> Verdict:
    """Exercise 03.2: a PipelineConfig whose window spans at most one second of samples."""
    require(
        isinstance(configClass, type) and issubclass(configClass, PipelineConfig),
        f"{configClass!r} is not a subclass of pipeline_lib.PipelineConfig",
    )
    config = configClass(100.0, 10, 20.0, 80.0)
    name = configClass.__name__
    require(configClass(100.0, 100, 20.0, 80.0).windowSize == 100, "a 1-second window is refused")
    message = _refusal(lambda: configClass(100.0, 500, 20.0, 80.0))
    require(message, f"{name}(100.0, 500, 20.0, 80.0) was accepted: 500 readings at 100 Hz")
    require("windowSize" in message, f"the message {message!r} does not name windowSize")
    for field, value in (("windowSize", 200), ("samplingRateHz", 5.0)):
        message = _refusal(functools.partial(setattr, config, field, value))
        require(message, f"{name}(100.0, 10, 20.0, 80.0).{field} = {value!r} was accepted")
    require(
        config.asDict()
        == {"samplingRateHz": 100.0, "windowSize": 10, "filterMin": 20.0, "filterMax": 80.0},
        f"refused assignments changed the config: {config!r}",
    )
    require(_refusal(lambda: setattr(config, "filterMin", 90.0)), "inverted bounds pass now")
    try:
        configClass.fromDict({**config.asDict(), "windowSize": 500})
    except ConfigError as error:
        require(
            any("windowSize" in problem for problem in error.problems),
            f"fromDict listed {error.problems}, nothing about windowSize",
        )
    else:
        raise NotYet("fromDict accepted a window of 500 readings at 100 Hz")
    return correct(
        "windows up to one second pass; longer ones are refused at construction, at "
        "assignment (from either field, object unchanged) and by fromDict"
    )


#: Exercise 03.3's file: meant as 100 Hz, a window of 10 readings, keep 20 to 80.
BROKEN_TOML = """\
# sensor_ingest.toml: 100 Hz, smooth over 10 readings, keep values from 20 to 80
samplingRate = 100
windowSize = 10.0
filterMin = 20
filtermax = 80
"""


@exerciseCheck(
    hint="read each problem of the ConfigError: rename the keys exactly, make the "
    "window an int; the values themselves (100, 10, 20, 80) are right"
)
def checkFixedToml(text: str) -> Verdict:
    """Exercise 03.3: TOML text that loads as ``PipelineConfig(100.0, 10, 20.0, 80.0)``."""
    require(isinstance(text, str), f"expected the file's text as a str, got {type(text).__name__}")
    with tempfile.TemporaryDirectory(prefix="pipeline-lib-checks-") as folder:
        path = Path(folder) / "sensor_ingest.toml"
        path.write_text(text, encoding="utf-8")
        try:
            config = PipelineConfig.fromFile(path)
        except ConfigError as error:
            count = len(error.problems)
            raise NotYet(
                f"the file still has {count} problem{'' if count == 1 else 's'}: "
                + "; ".join(error.problems)
            ) from None
    expected = PipelineConfig(100.0, 10, 20.0, 80.0)
    require(config == expected, f"the file loads as {config!r}, expected {expected!r}")
    return correct(f"the file loads as {config!r}")

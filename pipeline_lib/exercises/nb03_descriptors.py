"""Checks for 03_descriptors's exercises: a OneOf validator, the window rule, a fixed file.

Each check tells the typical wrong answers apart and names the mistake in its hint; an
exception the student's code did not mean to raise is reported as itself
(``your OneOf raised TypeError: unhashable type: 'list' ...``), never as a guess.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..cleanup import describeError
from ..config import ConfigError, PipelineConfig
from ..validators import Validator
from .verdict import NotYet, Verdict, correct, exerciseCheck, require

__all__ = ["BROKEN_TOML", "checkFixedToml", "checkOneOf", "checkWindowRule"]


def _outcome(action: Callable[[], object], who: str, doing: str, hint: str) -> str | None:
    """Run ``action``: None if it passed, the message of a ValueError it raised, and for any
    other exception a ❌ reporting it as itself (``your OneOf raised TypeError: ...``)."""
    try:
        action()
    except ValueError as error:
        return str(error) or type(error).__name__
    except Exception as error:
        raise NotYet(f"your {who} raised {describeError(error)} {doing}", hint=hint) from None
    return None


# -- Exercise 1: OneOf --------------------------------------------------------------------

OPTIONS = ("csv", "sqlite", "list")

#: Values a OneOf("csv", "sqlite", "list") must refuse, and the mistake accepting each reveals.
REFUSE: list[tuple[Any, str]] = [
    ("xml", "a value that is not one of the options must be refused, by raising"),
    ("CSV", "options are compared exactly: 'CSV' is not 'csv'"),
    (None, "None is not an option either: refuse it like any other value"),
    (("csv",), "a container holding an option is not an option"),
    (["csv"], "a list holding an option is not an option"),
]


def _unexpectedHint(error: Exception) -> str:
    text = str(error)
    if "unhashable" in text:
        return (
            "looking a value up in a set (or frozenset, or dict) hashes it first, and a "
            "list cannot be hashed: validate() receives any value a program assigns"
        )
    if isinstance(error, AttributeError) and any(n in text for n in ("ownerName", "publicName")):
        return "the base class sets up the names qualifiedName needs in its __init__"
    return "validate() receives any value a program assigns, not only strings"


@exerciseCheck(
    hint="validate() sees one value: compare it with the options, and refuse what is not "
    "one of them with a ValueError whose message names the field and shows the value"
)
def checkOneOf(validatorClass: Any) -> Verdict:
    """Exercise 03.1: ``OneOf(*options)``, a Validator accepting only the options given."""
    require(
        isinstance(validatorClass, type) and issubclass(validatorClass, Validator),
        f"{validatorClass!r} is not a subclass of pipeline_lib.Validator",
        hint="class OneOf(pipeline_lib.Validator): the base class does the descriptor work",
    )
    field: list[Any] = []
    _outcome(
        lambda: field.append(validatorClass(*OPTIONS)),
        "OneOf",
        "when created as OneOf('csv', 'sqlite', 'list')",
        "__init__(self, *options) receives the options as a tuple",
    )

    class Export:
        sinkKind = field[0]

    export = Export()
    for option in OPTIONS:
        message = _outcome(
            functools.partial(setattr, export, "sinkKind", option),
            "OneOf",
            f"for sinkKind = {option!r}, one of the options",
            "validate() receives any value a program assigns",
        )
        require(
            message is None,
            f"sinkKind = {option!r} was refused: {message}",
            hint="an option must pass: compare the value with the options themselves",
        )
        stored = export.sinkKind
        require(
            stored == option and type(stored) is str,
            f"after sinkKind = {option!r}, it reads {stored!r}",
            hint="what validate() returns is what gets stored (returning nothing keeps the "
            "value as given): not the result of the test",
        )
    for bad, acceptedHint in REFUSE:
        try:
            export.sinkKind = bad
        except ValueError as error:
            refusal: str | None = str(error)
        except TypeError as error:
            if "Export.sinkKind" not in str(error):
                raise NotYet(
                    f"your OneOf raised {describeError(error)} for sinkKind = {bad!r}",
                    hint=_unexpectedHint(error),
                ) from None
            raise NotYet(
                f"sinkKind = {bad!r} was refused with a TypeError",
                hint="a value that is not one of the options is a bad value: ValueError",
            ) from None
        except Exception as error:
            raise NotYet(
                f"your OneOf raised {describeError(error)} for sinkKind = {bad!r}",
                hint=_unexpectedHint(error),
            ) from None
        else:
            refusal = None
        require(
            refusal is not None,
            f"sinkKind = {bad!r} was accepted, but the options are {', '.join(OPTIONS)}",
            hint=acceptedHint,
        )
        _judgeMessage(bad, refusal or "", export.sinkKind)
    return correct(
        "'csv', 'sqlite' and 'list' are stored; 'xml', 'CSV', None, ('csv',) and ['csv'] are "
        "refused with a message naming Export.sinkKind and the value"
    )


def _judgeMessage(bad: Any, message: str, stored: Any) -> None:
    if "Export.sinkKind" not in message:
        named = "sinkKind" in message
        raise NotYet(
            f"the message {message!r} "
            + ("names sinkKind but not its class" if named else "does not name the field"),
            hint="self.qualifiedName holds the class and the field: Export.sinkKind",
        )
    require(
        repr(bad) in message,
        f"the message {message!r} does not show the value as {bad!r}",
        hint="show the value with !r, so that 'csv' and csv, 1 and '1' look different",
    )
    require(
        stored == OPTIONS[-1],
        f"a refused {bad!r} changed the stored value to {stored!r}",
        hint="validate() only decides; storing is the base class's job, after validate() agrees",
    )


# -- Exercise 2: a rule between two fields ------------------------------------------------

_FIELDS = {"samplingRateHz": 100.0, "windowSize": 10, "filterMin": 20.0, "filterMax": 80.0}


def _windowRuleHint(error: Exception) -> str:
    if isinstance(error, KeyError):
        return (
            "while __init__ assigns the fields one by one, values holds only those set so "
            "far: compare only when both are there"
        )
    return "checkFields refuses with a ValueError; anything else is a bug in the rule"


@exerciseCheck(
    hint="a rule between two fields belongs where both values are seen together, before "
    "anything is stored; keep the engine's own rule as it is"
)
def checkWindowRule(configClass: Any) -> Verdict:
    """Exercise 03.2: a PipelineConfig whose window spans at most one second of samples."""
    require(
        isinstance(configClass, type) and issubclass(configClass, PipelineConfig),
        f"{configClass!r} is not a subclass of pipeline_lib.PipelineConfig",
        hint="class ShortWindowConfig(pipeline_lib.PipelineConfig): keep the starter's line",
    )
    name = configClass.__name__

    def attempt(action: Callable[[], object], doing: str) -> str | None:
        try:
            action()
        except ValueError as error:
            return str(error) or type(error).__name__
        except Exception as error:
            raise NotYet(
                f"your {name} raised {describeError(error)} {doing}", hint=_windowRuleHint(error)
            ) from None
        return None

    def build(rate: float, window: int) -> str | None:
        return attempt(
            lambda: configClass(rate, window, 20.0, 80.0),
            f"when constructing {name}({rate}, {window}, 20.0, 80.0)",
        )

    require(
        build(100.0, 10) is None,
        f"{name}(100.0, 10, 20.0, 80.0) is refused: {build(100.0, 10)}",
        hint="a window shorter than one second must pass",
    )
    oneSecond = build(100.0, 100)
    require(
        oneSecond is None,
        f"a window of exactly one second, {name}(100.0, 100, 20.0, 80.0), is refused: {oneSecond}",
        hint="the rule is *at most* one second of readings: look at your comparison",
    )
    config = configClass(**_FIELDS)
    assignedWindow = attempt(lambda: setattr(config, "windowSize", 200), "for windowSize = 200")
    constructed = build(100.0, 500)
    if constructed is None:
        require(
            assignedWindow is not None,
            f"{name}(100.0, 500, 20.0, 80.0) was accepted: 500 readings at 100 Hz",
            hint="the rule is not checked yet: where does the engine check filterMin < filterMax?",
        )
        raise NotYet(
            f"{name}(100.0, 500, 20.0, 80.0) was accepted, though windowSize = 200 is refused",
            hint="during construction values holds only the fields set so far: is your rule "
            "skipped then?",
        )
    require(
        "windowSize" in constructed,
        f"the message {constructed!r} does not name windowSize",
        hint="say which field breaks the rule, and with what values",
    )
    require(
        assignedWindow is not None,
        f"{name}(100.0, 10, 20.0, 80.0).windowSize = 200 was accepted",
        hint="a rule in __init__ runs only at construction; every assignment goes through "
        "the descriptors, and they ask the class",
    )
    slowRate = build(5.0, 10)
    require(
        slowRate is not None,
        f"{name}(5.0, 10, 20.0, 80.0) was accepted: 10 readings at 5 Hz is two seconds",
        hint="compare with the sampling rate the config is given, not a rate you know",
    )
    assignedRate = attempt(
        lambda: setattr(config, "samplingRateHz", 5.0), "for samplingRateHz = 5.0"
    )
    require(
        assignedRate is not None,
        f"{name}(100.0, 10, 20.0, 80.0).samplingRateHz = 5.0 was accepted",
        hint="the rule involves two fields: it must hold when either of them changes",
    )
    require(
        config.asDict() == _FIELDS,
        f"refused assignments changed the config: {config!r}",
        hint="a rule refuses by raising, before anything is stored: it never assigns",
    )
    inverted = attempt(lambda: setattr(config, "filterMin", 90.0), "for filterMin = 90.0")
    require(
        inverted is not None,
        f"{name}(100.0, 10, 20.0, 80.0).filterMin = 90.0 was accepted: inverted bounds pass now",
        hint="your checkFields replaces the engine's: its rule (filterMin < filterMax) must "
        "still run",
    )
    try:
        configClass.fromDict({**_FIELDS, "windowSize": 500})
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


# -- Exercise 3: fix a config file --------------------------------------------------------

#: Exercise 03.3's file: meant as 100 Hz, a window of 10 readings, keep 20 to 80.
BROKEN_TOML = """\
# sensor_ingest.toml: 100 Hz, smooth over 10 readings, keep values from 20 to 80
samplingRate = 100
windowSize = 10.0
filterMin = 20
filtermax = 80
"""

#: A hint per kind of problem the ConfigError lists, first match wins.
_FILE_HINTS = [
    ("has no field", "a key is spelt differently from its field: letters and capitals count"),
    ("must be an int", "in TOML a number with a decimal point is a float, even when it is whole"),
    ("must be numeric", "in TOML a value in quotes is a string, whatever it spells"),
    ("is missing", "every field needs its key; a misspelt key counts as missing"),
]


@exerciseCheck(
    hint="each problem the check lists names a key or a value and what was expected; change "
    "only what the problems name"
)
def checkFixedToml(text: str) -> Verdict:
    """Exercise 03.3: TOML text that loads as ``PipelineConfig(100.0, 10, 20.0, 80.0)``."""
    require(
        isinstance(text, str),
        f"expected the file's text as a str, got {type(text).__name__}",
        hint="fixedToml is the text of the file, between the triple quotes",
    )
    with tempfile.TemporaryDirectory(prefix="pipeline-lib-checks-") as folder:
        path = Path(folder) / "sensor_ingest.toml"
        path.write_text(text, encoding="utf-8")
        try:
            config = PipelineConfig.fromFile(path)
        except ConfigError as error:
            problems = [p.replace(str(path), "the file") for p in error.problems] or [str(error)]
            count = len(problems)
            hint = next(
                (h for words, h in _FILE_HINTS if any(words in p for p in problems)),
                "the text is no longer valid TOML: one key = value per line",
            )
            raise NotYet(
                f"the file still has {count} problem{'' if count == 1 else 's'}: "
                + "; ".join(problems),
                hint=hint,
            ) from None
    expected = PipelineConfig(100.0, 10, 20.0, 80.0)
    require(
        config == expected,
        f"the file loads as {config!r}, expected {expected!r}",
        hint="the comment at the top says what was meant: the numbers were right, only "
        "their spelling was not",
    )
    return correct(f"the file loads as {config!r}")

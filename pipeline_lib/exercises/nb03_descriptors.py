"""Checks for 03_descriptors's exercises: a OneOf validator, the window rule, a fixed file.

Each check tells the typical wrong answers apart and names the mistake in its hint; an
exception the student's code did not mean to raise is reported as itself
(``your OneOf raised TypeError: unhashable type: 'list' ...``), never as a guess.
"""

from __future__ import annotations

import functools
import inspect
import re
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..cleanup import describeError
from ..config import ConfigError, PipelineConfig
from ..validators import Validator, shortRepr
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
#: A second field with options of another kind: an answer that ignores ``self.options``
#: (the three strings written into validate), or compares ``str(value)``, fails on it.
SIZES = (256, 512, 1024)

#: Values a OneOf("csv", "sqlite", "list") must refuse, and the mistake accepting each reveals.
REFUSE: list[tuple[Any, str]] = [
    ("xml", "a value that is not one of the options must be refused, by raising"),
    ("sql", "a part of an option is not an option: compare whole values, not pieces of text"),
    ("CSV", "options are compared exactly: 'CSV' is not 'csv'"),
    (None, "None is not an option either: refuse it like any other value"),
    (("csv",), "a container holding an option is not an option"),
    (["csv"], "a list holding an option is not an option"),
]
#: Values a OneOf(256, 512, 1024) must refuse.
REFUSE_SIZES: list[tuple[Any, str]] = [
    (500, "a value that is not one of the options must be refused, by raising"),
    ("512", "'512' is text, not the number 512: compare the value itself, not its text"),
]


def _unexpectedHint(error: Exception) -> str:
    text = str(error)
    if "unhashable" in text:
        return (
            "looking a value up in a set (or frozenset, or dict) hashes it first, and a "
            "list cannot be hashed: validate() receives any value a program assigns"
        )
    if isinstance(error, AssertionError):
        return (
            "refuse by raising ValueError: an assert is for bugs in your own code, and "
            "python -O removes it"
        )
    if isinstance(error, AttributeError) and any(n in text for n in ("ownerName", "publicName")):
        return "the base class sets up the names qualifiedName needs in its __init__"
    return "validate() receives any value a program assigns, not only strings"


def _named(thing: Any) -> str:
    """How a check names what it was given: a class or function by name, never an address."""
    name = getattr(thing, "__qualname__", None)
    if isinstance(name, str) and callable(thing):
        return f"the {'class' if isinstance(thing, type) else 'function'} {name}"
    return shortRepr(thing)


@exerciseCheck(
    hint="validate() sees one value: compare it with the options, and refuse what is not "
    "one of them with a ValueError whose message names the field and shows the value"
)
def checkOneOf(validatorClass: Any) -> Verdict:
    """Exercise 03.1: ``OneOf(*options)``, a Validator accepting only the options given."""
    require(
        not isinstance(validatorClass, Validator),
        f"you passed an instance, {type(validatorClass).__name__}(...)",
        hint="pass the class itself: checkOneOf(OneOf); the check creates its own fields",
    )
    require(
        isinstance(validatorClass, type) and issubclass(validatorClass, Validator),
        f"{_named(validatorClass)} is not a subclass of pipeline_lib.Validator",
        hint="class OneOf(pipeline_lib.Validator): the base class does the descriptor work",
    )

    class Export:
        sinkKind = _makeField(validatorClass, OPTIONS)
        chunkSize = _makeField(validatorClass, SIZES)

    export = Export()
    # The first field completely, then the second: its options are not strings.
    for name, options, refused in (
        ("sinkKind", OPTIONS, REFUSE),
        ("chunkSize", SIZES, REFUSE_SIZES),
    ):
        _acceptsEach(export, name, options)
        for bad, acceptedHint in refused:
            _refuses(export, name, options, bad, acceptedHint)
    return correct(
        "'csv', 'sqlite' and 'list' are stored, and 256, 512 and 1024 for a second field; "
        "'xml', 'sql', 'CSV', None, ('csv',), ['csv'], 500 and '512' are refused with a "
        "message naming the field and the value"
    )


def _makeField(validatorClass: type, options: tuple[Any, ...]) -> Any:
    created = ", ".join(map(repr, options))
    hint = (
        "__init__(self, *options) receives the options as a tuple"
        if options == OPTIONS
        else f"OneOf({created}) must work too: options can be of any type, so keep them as given"
    )
    field: list[Any] = []
    _outcome(
        lambda: field.append(validatorClass(*options)),
        "OneOf",
        f"when created as OneOf({created})",
        hint,
    )
    return field[0]


def _acceptsEach(export: Any, name: str, options: tuple[Any, ...]) -> None:
    """Every option is stored, as itself."""
    for option in options:
        message = _outcome(
            functools.partial(setattr, export, name, option),
            "OneOf",
            f"for {name} = {option!r}, one of the options",
            "validate() receives any value a program assigns",
        )
        if message is not None:
            raise NotYet(
                f"{name} = {option!r} was refused, though the field is "
                f"OneOf({', '.join(map(repr, options))}): {message}",
                hint=_optionRefusedHint(export, name, option, options),
            )
        stored = getattr(export, name)
        require(
            stored == option and type(stored) is type(option),
            f"after {name} = {option!r}, it reads {stored!r}",
            hint="what validate() returns is what gets stored (returning nothing keeps the "
            "value as given): not the result of the test",
        )


def _optionRefusedHint(export: Any, name: str, option: Any, options: tuple[Any, ...]) -> str:
    """Why an option was refused: its text passes, the first field's options pass, or neither."""
    if options == OPTIONS:
        return "an option must pass: compare the value with the options themselves"
    if _accepts(export, name, str(option)):
        return (
            f"the text {str(option)!r} passes but the number {option!r} does not: compare "
            "the value itself with the options, not its text"
        )
    if _accepts(export, name, OPTIONS[0]):
        return (
            "each OneOf(...) has its own options, the ones it was created with: compare with "
            "those, not with options written into validate()"
        )
    return (
        f"{option!r} is one of this field's options though not a string: options can be of "
        "any type, so compare with them as they are"
    )


def _accepts(export: Any, name: str, value: Any) -> bool:
    try:
        setattr(export, name, value)
    except Exception:
        return False
    return True


def _refuses(export: Any, name: str, options: tuple[Any, ...], bad: Any, acceptedHint: str) -> None:
    """``bad`` is refused with a ValueError naming the field and the value; nothing stored."""
    before = getattr(export, name)
    qualified = f"Export.{name}"
    try:
        setattr(export, name, bad)
    except ValueError as error:
        refusal: str | None = str(error)
    except TypeError as error:
        if qualified not in str(error):
            raise NotYet(
                f"your OneOf raised {describeError(error)} for {name} = {bad!r}",
                hint=_unexpectedHint(error),
            ) from None
        raise NotYet(
            f"{name} = {bad!r} was refused with a TypeError",
            hint="a value that is not one of the options is a bad value: ValueError",
        ) from None
    except Exception as error:
        raise NotYet(
            f"your OneOf raised {describeError(error)} for {name} = {bad!r}",
            hint=_unexpectedHint(error),
        ) from None
    else:
        refusal = None
    require(
        refusal is not None,
        f"{name} = {bad!r} was accepted, but the options are {', '.join(map(repr, options))}",
        hint=acceptedHint,
    )
    _judgeMessage(qualified, bad, refusal or "", before, getattr(export, name))


def _judgeMessage(qualified: str, bad: Any, message: str, before: Any, stored: Any) -> None:
    if qualified not in message:
        field = qualified.split(".")[1]
        raise NotYet(
            f"the message {message!r} "
            + (
                f"names {field} but not its class"
                if field in message
                else "does not name the field"
            ),
            hint=f"self.qualifiedName holds the class and the field: {qualified}",
        )
    require(
        repr(bad) in message,
        f"the message {message!r} does not show the value as {bad!r}",
        hint="show the value with !r, so that 'csv' and csv, 1 and '1' look different",
    )
    require(
        stored == before,
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
    if isinstance(error, TypeError) and any(
        f"'{kind.__name__}'" in str(error) for kind in _validatorKinds()
    ):
        return (
            "on the class, cls.windowSize is the descriptor itself, not a value: the values "
            "to compare are the ones checkFields receives"
        )
    return "checkFields refuses with a ValueError; anything else is a bug in the rule"


def _validatorKinds() -> list[type]:
    """Validator and every subclass of it defined so far (the fields' descriptor classes)."""
    kinds: list[type] = []
    todo: list[type] = [Validator]
    while todo:
        kind = todo.pop()
        kinds.append(kind)
        todo.extend(kind.__subclasses__())
    return kinds


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
    require(
        isinstance(inspect.getattr_static(configClass, "checkFields"), classmethod | staticmethod),
        f"{name}.checkFields is a plain method, so it needs an object, and fromDict checks "
        "the values before there is one",
        hint="keep the starter's @classmethod line above def checkFields",
    )

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
    # The rule works: now its message, which a user reads (names the field, shows the values).
    require(
        "windowSize" in constructed,
        f"the message {constructed!r} does not name windowSize",
        hint="say which field breaks the rule, and with what values",
    )
    require(
        "500" in constructed,
        f"the message {constructed!r} does not show the window given, 500",
        hint="a refusal shows the value it refuses, so the user sees what to change",
    )
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

_MEANT = (
    "the comment at the top says what was meant: the numbers were right, only their "
    "spelling was not"
)

#: A hint per kind of problem the ConfigError lists: the first kind any problem matches
#: wins, so the hint is about the most basic mistake still in the file.
_FILE_HINTS: list[tuple[str, str]] = [
    (r"invalid TOML", "the text is no longer valid TOML: one key = value per line"),
    (
        r"has no field '[^']*'; did you mean",
        "a key is spelt differently from its field: letters and capitals count",
    ),
    (
        r"has no field",
        "this key is not a field of PipelineConfig at all: the file holds the four fields only",
    ),
    (
        r"must be (numeric|an int), got '",
        "in TOML a value in quotes is a string, whatever it spells",
    ),
    (
        r"must be an int, got \d",
        "in TOML a number with a decimal point is a float, even when it is whole",
    ),
    (r"must be (numeric|an int)", "write each value as a plain number, as the comment says"),
    (r"is missing", "every field needs its key; a misspelt key counts as missing"),
    (
        r"filterMin must be < filterMax",
        "filterMin is the lower bound and filterMax the upper one: which value belongs where?",
    ),
]


def _fileHint(text: str, problems: list[str]) -> str:
    """The hint for the most basic mistake the problems reveal."""
    if _hasTable(text):
        return (
            "a [header] line puts the keys below it into a table of that name: the fields "
            "are keys at the top level of the file"
        )
    for pattern, hint in _FILE_HINTS:
        if any(re.search(pattern, problem) for problem in problems):
            return hint
    return _MEANT


def _hasTable(text: str) -> bool:
    try:
        return any(isinstance(value, dict) for value in tomllib.loads(text).values())
    except tomllib.TOMLDecodeError:
        return False


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
            hint = _fileHint(text, problems)
            raise NotYet(
                f"the file still has {count} problem{'' if count == 1 else 's'}: "
                + "; ".join(problems),
                hint=hint,
            ) from None
    expected = PipelineConfig(100.0, 10, 20.0, 80.0)
    require(
        config == expected,
        f"the file loads as {config!r}, expected {expected!r}",
        hint=_MEANT,
    )
    return correct(f"the file loads as {config!r}")

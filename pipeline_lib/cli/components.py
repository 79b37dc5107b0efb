"""Build a source, a stage or a sink from one table of a pipeline file, listing every problem.

A table names its component with ``type``: a built-in (``"SensorSource"``,
``"ThresholdFilter"``, ``"CsvSink"``...) or a class of your own as ``"module:Class"``,
which is imported with :mod:`importlib` (never ``eval``). Every other key is a keyword
argument of the constructor. Nothing is opened here: constructing a component only
checks its arguments; the engine opens and closes what it owns during the run.

Problems are *collected*, not raised, so that a file with five mistakes gets five
messages in one go. Each names where it is (``stages[1].type``) and what is wrong.

>>> problems = []
>>> built = buildComponent({"type": "ThresholdFilter", "filterMin": 20.0, "filterMax": 80.0},
...                        role="stage", where="stages[0]", problems=problems)
>>> built.component, problems
(ThresholdFilter(20.0, 80.0), [])
>>> buildComponent({"type": "Normaliser"}, role="stage", where="stages[1]", problems=problems)
>>> problems
["stages[1].type: unknown stage 'Normaliser'; did you mean 'Normalizer'? (built-in stages: \
Normalizer, ThresholdFilter, WindowAverage; or your own as 'module:Class')"]
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..cleanup import describeError
from ..config import didYouMean
from ..sinks import CsvSink, SqliteSink
from ..sources import CsvSource, SensorSource, SqliteSource
from ..stages import Normalizer, ThresholdFilter, WindowAverage

__all__ = [
    "BUILTINS",
    "BuiltComponent",
    "Builtin",
    "Role",
    "buildComponent",
    "importObject",
]

Role = Literal["source", "stage", "sink"]

#: The method that makes an object a source, a stage or a sink (the Stage 1 protocols).
PROTOCOL_METHOD: dict[Role, str] = {"source": "stream", "stage": "process", "sink": "consume"}

_USER_CLASS = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


@dataclass(frozen=True)
class Builtin:
    """How a pipeline file builds one built-in component.

    ``inputs`` and ``outputs`` name path parameters: relative paths are resolved against
    the pipeline file's folder; an input must exist, an output's folder must exist.
    ``fromConfig`` maps a parameter to the ``[config]`` value used when it is not given.
    """

    factory: Callable[..., Any]
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    fromConfig: Mapping[str, str] = field(default_factory=dict)


BUILTINS: dict[Role, dict[str, Builtin]] = {
    "source": {
        "CsvSource": Builtin(CsvSource, inputs=("path",)),
        "SensorSource": Builtin(SensorSource, fromConfig={"samplingRateHz": "samplingRateHz"}),
        "SqliteSource": Builtin(SqliteSource, inputs=("database",)),
    },
    "stage": {
        # The normalizer maps the filter's window onto [0, 1] unless told otherwise.
        "Normalizer": Builtin(
            Normalizer, fromConfig={"valueMin": "filterMin", "valueMax": "filterMax"}
        ),
        "ThresholdFilter": Builtin(
            ThresholdFilter, fromConfig={"filterMin": "filterMin", "filterMax": "filterMax"}
        ),
        "WindowAverage": Builtin(WindowAverage, fromConfig={"windowSize": "windowSize"}),
    },
    "sink": {
        "CsvSink": Builtin(CsvSink, outputs=("path",)),
        "SqliteSink": Builtin(SqliteSink, outputs=("database",)),
    },
}


@dataclass
class BuiltComponent:
    """A component built from a table, with what the command line needs to know about it."""

    component: Any
    typeName: str
    builtin: bool
    outputs: list[Path] = field(default_factory=list)


def buildComponent(
    table: Mapping[str, Any],
    *,
    role: Role,
    where: str,
    problems: list[str],
    baseFolder: Path = Path("."),
    config: object | None = None,
    configFailed: bool = False,
) -> BuiltComponent | None:
    """Build the component ``table`` describes, or add its problems and return ``None``.

    ``where`` names the table in messages (``source``, ``stages[2]``); ``config`` (an
    object with the ``[config]`` values as attributes) fills parameters a built-in
    takes from it; ``baseFolder`` anchors relative paths. With ``configFailed`` (the
    ``[config]`` table has problems of its own, already reported), a built-in that
    needs a value from it is checked but not constructed, so no problem is listed twice.
    """
    before = len(problems)
    typeName = table.get("type")
    if not isinstance(typeName, str) or not typeName:
        hint = ", ".join(sorted(BUILTINS[role]))
        given = "nothing" if typeName is None else repr(typeName)
        problems.append(
            f"{where}.type: expected the name of a built-in {role} ({hint}) "
            f"or 'module:Class', got {given}"
        )
        return None
    params = {key: value for key, value in table.items() if key != "type"}
    builtin = BUILTINS[role].get(typeName)
    hints: Mapping[str, str] = builtin.fromConfig if builtin else {}
    waiting = {name for name in hints if name not in params} if configFailed else set()
    if builtin is not None:
        params = _prepareBuiltin(builtin, params, where, problems, baseFolder, config)
        factory: Callable[..., Any] | None = builtin.factory
    else:
        factory = _userFactory(typeName, role, where, problems)
    if factory is None:
        return None
    missing = _checkArguments(factory, typeName, params, where, problems, hints, waiting)
    if len(problems) > before or missing:
        return None
    component = _construct(factory, params, where, problems)
    if component is None:
        return None
    method = PROTOCOL_METHOD[role]
    if not callable(getattr(component, method, None)):
        problems.append(
            f"{where}.type: {typeName!r} is not a {role}: it has no {method}() method "
            f"(the {role.capitalize()} protocol)"
        )
        return None
    outputs = [Path(params[name]) for name in builtin.outputs] if builtin else []
    return BuiltComponent(component, typeName, builtin is not None, outputs)


def _prepareBuiltin(
    builtin: Builtin,
    params: dict[str, Any],
    where: str,
    problems: list[str],
    baseFolder: Path,
    config: object | None,
) -> dict[str, Any]:
    for name, configName in builtin.fromConfig.items():
        if name not in params and config is not None and hasattr(config, configName):
            params[name] = getattr(config, configName)
    for name in (*builtin.inputs, *builtin.outputs):
        value = params.get(name)
        if value is None:
            continue  # reported as missing by the argument check
        if not isinstance(value, str) or not value:
            problems.append(f"{where}.{name}: expected a path (a string), got {value!r}")
            continue
        path = params[name] = baseFolder / value
        if name in builtin.inputs and not path.is_file():
            problems.append(f"{where}.{name}: no such file: {path}")
        elif name in builtin.outputs and not path.parent.is_dir():
            problems.append(
                f"{where}.{name}: the folder {path.parent} does not exist (create it first)"
            )
    return params


def _userFactory(
    typeName: str, role: Role, where: str, problems: list[str]
) -> Callable[..., Any] | None:
    if not _USER_CLASS.fullmatch(typeName):
        known = sorted(BUILTINS[role])
        problems.append(
            f"{where}.type: unknown {role} {typeName!r}{didYouMean(typeName, known)} "
            f"(built-in {role}s: {', '.join(known)}; or your own as 'module:Class')"
        )
        return None
    try:
        factory = importObject(typeName)
    except ImportError as error:
        problems.append(f"{where}.type: cannot import {typeName!r}: {error}")
        return None
    if not callable(factory):
        problems.append(f"{where}.type: {typeName!r} is not a class, got {factory!r}")
        return None
    return factory  # type: ignore[no-any-return]


def importObject(reference: str) -> Any:
    """Import ``"package.module:Name"`` and return ``Name``, with :mod:`importlib` only.

    Any failure, including an error raised by the module's own code while it is
    imported, becomes an :class:`ImportError` that says what went wrong.

    >>> importObject("collections:OrderedDict").__name__
    'OrderedDict'
    >>> importObject("collections:NoSuchThing")
    Traceback (most recent call last):
    ...
    ImportError: module 'collections' has no attribute 'NoSuchThing'
    """
    moduleName, _, attribute = reference.partition(":")
    try:
        module = importlib.import_module(moduleName)
    except ImportError:
        raise
    except Exception as error:  # the module's own code failed while importing
        raise ImportError(f"importing {moduleName!r} failed: {describeError(error)}") from error
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ImportError(f"module {moduleName!r} has no attribute {attribute!r}") from None


def _checkArguments(
    factory: Callable[..., Any],
    typeName: str,
    params: Mapping[str, Any],
    where: str,
    problems: list[str],
    fromConfig: Mapping[str, str],
    waiting: set[str],
) -> set[str]:
    """Report unknown and missing keyword arguments; return the missing ones in ``waiting``."""
    try:
        parameters = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):  # no signature to check against: let the call decide
        return set()
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        accepted = None
    else:
        accepted = [
            p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
    for name in params:
        if accepted is not None and name not in accepted:
            problems.append(
                f"{where}.{name}: {typeName} has no parameter {name!r}"
                f"{didYouMean(name, accepted)} (it takes: {', '.join(accepted) or 'nothing'})"
            )
    excused: set[str] = set()
    for parameter in parameters:
        required = parameter.default is parameter.empty and parameter.kind in (
            parameter.POSITIONAL_OR_KEYWORD,
            parameter.KEYWORD_ONLY,
        )
        if required and parameter.name in waiting:
            excused.add(parameter.name)  # [config] is broken; its problem is listed already
        elif required and parameter.name not in params:
            hint = (
                f" (give it here, or {fromConfig[parameter.name]} in [config])"
                if parameter.name in fromConfig
                else ""
            )
            problems.append(f"{where}: {typeName} needs {parameter.name!r}, which is missing{hint}")
    return excused


def _construct(
    factory: Callable[..., Any], params: Mapping[str, Any], where: str, problems: list[str]
) -> Any:
    try:
        return factory(**params)
    except (TypeError, ValueError) as error:  # a bad value: the message says which
        problems.append(f"{where}: {error}")
    except Exception as error:  # the constructor of a user's class failed otherwise
        problems.append(f"{where}: constructing it failed: {describeError(error)}")
        return None

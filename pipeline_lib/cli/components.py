"""Build a source, a stage or a sink from one table of a pipeline file, listing every problem.

A table names its component with ``type``: a built-in (``"SensorSource"``,
``"ThresholdFilter"``, ``"CsvSink"``...) or a class of your own as ``"module:Class"``,
which is imported with :mod:`importlib` (never ``eval``). Every other key is a keyword
argument of the constructor. Every argument is checked *before* anything is constructed:
against the constructor's signature, and for a built-in against its fields (the rules its
``__init__`` applies, :mod:`.arguments`). Nothing is opened here; the engine opens and
closes what it owns during the run.

Trust: naming ``"module:Class"`` imports that module, which runs its code, as running
a script would: run only pipeline files you trust. Built-in types import nothing. A
user type must be a **class** whose instances have the role's method, checked on the
class without calling anything (:mod:`.usertypes`). With ``construct=False`` (``run
--dry-run``) nothing is constructed at all, built-in or yours: a user class's arguments
are checked against its signature only (its own ``__init__`` checks are not run).

Problems are *collected* (in a :class:`Problems`), not raised, so that a file with five
mistakes gets five messages in one go. Each names where it is (``stages[1].type``) and
what is wrong. What every component of one file shares is one :class:`BuildSettings`.

>>> problems = Problems()
>>> built = buildComponent({"type": "ThresholdFilter", "filterMin": 20.0, "filterMax": 80.0},
...                        role="stage", where="stages[0]", problems=problems)
>>> built.component, len(problems)
(ThresholdFilter(20.0, 80.0), 0)
>>> buildComponent({"type": "Normaliser"}, role="stage", where="stages[1]", problems=problems)
>>> list(problems)
["stages[1].type: unknown stage 'Normaliser'; did you mean 'Normalizer'? (built-in stages: \
Normalizer, ThresholdFilter, WindowAverage; or your own as 'module:Class')"]
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cleanup import describeError
from ..protocols import ROLES, Role
from ..sinks import CsvSink, SqliteSink
from ..sources import CsvSource, SensorSource, SqliteSource
from ..stages import Normalizer, ThresholdFilter, WindowAverage
from ..validators import didYouMean, shortRepr
from .arguments import checkFieldValues, checkSignature
from .problems import Problems
from .usertypes import importObject, namesUserClass, roleProblem

__all__ = [
    "BUILTINS",
    "BuildSettings",
    "BuiltComponent",
    "Builtin",
    "Problems",
    "Role",
    "buildComponent",
    "importObject",
]


@dataclass(frozen=True)
class Builtin:
    """How a pipeline file builds one built-in component.

    ``inputs`` and ``outputs`` name path parameters: relative paths are resolved against
    the pipeline file's folder; an input must exist, an output's folder must exist.
    ``fromConfig`` maps a parameter to the ``[config]`` value used when it is not given.
    """

    factory: type
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


class Unconstructed:
    """A component ``--dry-run`` checked but did not construct (built-in or yours): how it reads.

    ``measuredAs`` is the name a real run would measure it under (``None``: not measured).
    """

    def __init__(self, typeName: str, params: Mapping[str, Any], cls: type) -> None:
        self.typeName = typeName
        self.params = dict(params)
        self.cls = cls
        self.measuredAs: str | None = None

    def measuredByItsClass(self) -> bool:
        """Whether the class's ``process`` is already ``@measuredStage`` (read, not called)."""
        return hasattr(inspect.getattr_static(self.cls, "process", None), "lastMetrics")

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={_shown(value)}" for key, value in self.params.items())
        return f"{self.typeName}({arguments})  [checked, not constructed]"


def _shown(value: object) -> str:
    return repr(os.fspath(value)) if isinstance(value, Path) else shortRepr(value)


@dataclass(frozen=True)
class BuildSettings:
    """What building any component of one pipeline file needs besides its table.

    ``baseFolder`` anchors relative paths; ``config`` (an object with the ``[config]``
    values as attributes) fills parameters a built-in takes from it; ``configFailed``:
    the ``[config]`` table has problems of its own, already reported, so a built-in that
    needs a value from it is checked but not constructed and no problem is listed twice;
    ``construct=False`` (``--dry-run``): every component is checked and none constructed.
    """

    baseFolder: Path = Path(".")
    config: object | None = None
    configFailed: bool = False
    construct: bool = True


@dataclass(frozen=True)
class _Request:
    """One table to build: its role, where it is in the file, its type and arguments."""

    role: Role
    where: str
    typeName: str
    params: dict[str, Any]
    builtin: Builtin | None

    def at(self, name: str) -> str:
        """The place of one of the table's keys in messages: ``stages[1].filterMin``."""
        return f"{self.where}.{name}"


def buildComponent(
    table: Mapping[str, Any],
    *,
    role: Role,
    where: str,
    problems: Problems,
    settings: BuildSettings = BuildSettings(),
) -> BuiltComponent | None:
    """Build the component ``table`` describes, or add its problems and return ``None``.

    ``where`` names the table in messages (``source``, ``stages[2]``); ``settings`` says
    where paths start, what ``[config]`` gives, and whether to construct (without: the
    result holds an :class:`Unconstructed` in its place, and no constructor has run).
    """
    request = _request(table, role, where, problems)
    if request is None:
        return None
    checked = _checkedCall(request, settings, problems)
    if checked is None:
        return None
    factory, params = checked
    builtin = request.builtin
    outputs = [Path(params[name]) for name in builtin.outputs] if builtin else []
    if not settings.construct:
        unbuilt = Unconstructed(request.typeName, params, factory)
        return BuiltComponent(unbuilt, request.typeName, builtin is not None, outputs)
    component = _construct(factory, params, request, problems)
    if component is None or not _takesRole(component, request, problems):
        return None
    return BuiltComponent(component, request.typeName, builtin is not None, outputs)


def _request(
    table: Mapping[str, Any], role: Role, where: str, problems: Problems
) -> _Request | None:
    """What the table asks for, if it names a type at all."""
    typeName = table.get("type")
    if not isinstance(typeName, str) or not typeName:
        hint = ", ".join(sorted(BUILTINS[role]))
        given = "nothing" if typeName is None else shortRepr(typeName)
        problems.add(
            f"{where}.type",
            f"expected the name of a built-in {role} ({hint}) or 'module:Class', got {given}",
        )
        return None
    params = {key: value for key, value in table.items() if key != "type"}
    return _Request(role, where, typeName, params, BUILTINS[role].get(typeName))


def _checkedCall(
    request: _Request, settings: BuildSettings, problems: Problems
) -> tuple[type, dict[str, Any]] | None:
    """The factory and the arguments to call it with; None when the table has any problem.

    Every check runs, whatever the ones before found, so that all problems are listed;
    each returns its own verdict. Nothing is constructed: a built-in's values are checked
    by its fields (:mod:`.arguments`), the very rules its constructor applies.
    """
    builtin = request.builtin
    if builtin is not None:
        params, pathsGood = _prepareBuiltin(builtin, request, settings, problems)
        factory: type | None = builtin.factory
    else:
        params, pathsGood, factory = request.params, True, _userClass(request, problems)
    if factory is None:
        return None
    fromConfig: Mapping[str, str] = builtin.fromConfig if builtin else {}
    waiting = [name for name in fromConfig if name not in params] if settings.configFailed else []
    signatureGood = checkSignature(
        factory, params, request.where, problems,
        typeName=request.typeName, fromConfig=fromConfig, waiting=waiting,
    )  # fmt: skip
    # Our own fields' rules only: a user class's code is never run to check it.
    valuesGood = builtin is None or checkFieldValues(factory, params, request.where, problems)
    return (factory, params) if pathsGood and signatureGood and valuesGood else None


def _takesRole(component: object, request: _Request, problems: Problems) -> bool:
    """Whether the constructed ``component`` has its role's method (a built-in always has)."""
    method = ROLES[request.role][0]
    if callable(getattr(component, method, None)):
        return True
    role = request.role
    problems.add(
        request.at("type"),
        f"{request.typeName!r} is not a {role}: it has no {method}() method "
        f"(the {role.capitalize()} protocol)",
    )
    return False


def _prepareBuiltin(
    builtin: Builtin, request: _Request, settings: BuildSettings, problems: Problems
) -> tuple[dict[str, Any], bool]:
    """The table's arguments, with ``[config]``'s values added and paths resolved; whether
    every input exists and every output's folder does (a path's type is its field's rule)."""
    params = dict(request.params)
    config = settings.config
    for name, configName in builtin.fromConfig.items():
        if name not in params and config is not None and hasattr(config, configName):
            params[name] = getattr(config, configName)
    good = True
    for name in (*builtin.inputs, *builtin.outputs):
        value = params.get(name)
        if not isinstance(value, str) or not value:
            continue  # missing, or not a path: the signature and the field report it
        path = params[name] = settings.baseFolder / value
        if name in builtin.inputs and not path.is_file():
            problems.add(request.at(name), f"no such file: {path}")
            good = False
        elif name in builtin.outputs and not path.parent.is_dir():
            problems.add(
                request.at(name), f"the folder {path.parent} does not exist (create it first)"
            )
            good = False
    return params, good


def _userClass(request: _Request, problems: Problems) -> type | None:
    """The class ``module:Class`` names, if it is one whose instances can take the role."""
    typeName, role = request.typeName, request.role
    if not namesUserClass(typeName):
        known = sorted(BUILTINS[role])
        problems.add(
            request.at("type"),
            f"unknown {role} {typeName!r}{didYouMean(typeName, known)} "
            f"(built-in {role}s: {', '.join(known)}; or your own as 'module:Class')",
        )
        return None
    try:
        found = importObject(typeName)
    except ImportError as error:
        problems.add(request.at("type"), f"cannot import {typeName!r}: {error}")
        return None
    problem = roleProblem(found, role)
    if problem is not None:
        problems.add(request.at("type"), f"{typeName!r} {problem}")
        return None
    assert isinstance(found, type)
    return found


def _construct(
    factory: Callable[..., Any], params: Mapping[str, Any], request: _Request, problems: Problems
) -> Any:
    """``factory(**params)``, after every check passed; a refusal is listed, never raised.

    A built-in cannot refuse here (its checks are its fields, already run); a class of
    your own may check more in its ``__init__``, or fail otherwise.
    """
    try:
        return factory(**params)
    except (TypeError, ValueError) as error:  # a bad value: the message says which
        problems.add(request.where, str(error))
    except Exception as error:  # the constructor of a user's class failed otherwise
        problems.add(request.where, f"constructing it failed: {describeError(error)}")
    return None

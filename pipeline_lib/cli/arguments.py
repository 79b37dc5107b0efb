"""A component's arguments checked without constructing it: its signature, its fields.

Two checks, each adding *every* problem it finds and returning its verdict (``True``:
nothing wrong), so that a caller never guesses success from whether a list grew:

- :func:`checkSignature`: unknown keyword arguments (with a did-you-mean) and missing
  required ones, read from the constructor's signature; nothing is called;
- :func:`checkFieldValues`: each argument that is a validated field of the class
  (:mod:`pipeline_lib.fields`) by that field's ``validate``, then the class's
  ``checkFields`` rule between fields, on the values the object would have. A built-in's
  ``__init__`` only assigns its fields, so these are exactly the checks constructing it
  would make: ``--dry-run`` reports the same problems, and constructs nothing.

>>> from pipeline_lib import ThresholdFilter
>>> problems = Problems()
>>> checkFieldValues(ThresholdFilter, {"filterMin": 80.0, "filterMax": 20.0}, "stages[0]", problems)
False
>>> list(problems)
['stages[0]: ThresholdFilter: filterMin must be < filterMax, got 80.0 >= 20.0']
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Mapping
from typing import Any

from ..validators import didYouMean, validatedFields
from .problems import Problems

__all__ = ["checkFieldValues", "checkSignature"]

_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def checkSignature(
    factory: Callable[..., Any],
    params: Mapping[str, Any],
    where: str,
    problems: Problems,
    *,
    typeName: str,
    fromConfig: Mapping[str, str],
    waiting: Collection[str] = (),
) -> bool:
    """Whether ``factory(**params)`` matches its signature; each mismatch added to ``problems``.

    ``fromConfig`` maps a parameter to the ``[config]`` value that may give it (named in
    the hint when it is missing); ``waiting`` are required parameters that a broken
    ``[config]`` would have given: not reported again (its problem is listed), but the
    call is incomplete.
    """
    try:
        parameters = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):  # no signature to check against: let the call decide
        return True
    good = True
    if not any(p.kind is p.VAR_KEYWORD for p in parameters):
        accepted = [p.name for p in parameters if p.kind in _NAMED]
        for name in params:
            if name not in accepted:
                good = False
                problems.add(
                    f"{where}.{name}",
                    f"{typeName} has no parameter {name!r}{didYouMean(name, accepted)} "
                    f"(it takes: {', '.join(accepted) or 'nothing'})",
                )
    for parameter in parameters:
        name = parameter.name
        if parameter.default is not parameter.empty or parameter.kind not in _NAMED:
            continue
        if name in params:
            continue
        good = False
        if name in waiting:
            continue  # [config] is broken; its problem is listed already
        hint = f" (give it here, or {fromConfig[name]} in [config])" if name in fromConfig else ""
        problems.add(where, f"{typeName} needs {name!r}, which is missing{hint}")
    return good


def checkFieldValues(cls: type, params: Mapping[str, Any], where: str, problems: Problems) -> bool:
    """Whether every argument that is a field of ``cls`` passes it, and ``checkFields`` too.

    Each field is checked on its own (so every bad value is listed); the rule between
    fields sees the values that passed, and the defaults of fields not given, as the
    object would have them after ``__init__``. Arguments that are not fields are not
    looked at here. Only our own classes' rules are run: call it for built-ins only.
    """
    fields = validatedFields(cls)
    values: dict[str, Any] = {}
    good = True
    for name, value in params.items():
        if name not in fields:
            continue
        try:
            stored = fields[name].validate(value)
        except (TypeError, ValueError) as error:
            problems.add(where, str(error))
            good = False
            continue
        values[name] = value if stored is None else stored
    for name, default in _fieldDefaults(cls, fields).items():
        if name not in params:  # a given value that failed is left out, not defaulted
            values[name] = default
    checkFields = getattr(cls, "checkFields", None)
    if checkFields is not None:
        try:
            checkFields(values)
        except (TypeError, ValueError) as error:
            problems.add(where, str(error))
            good = False
    return good


def _fieldDefaults(cls: type, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The constructor's defaults for parameters that are fields, as the fields store them."""
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return {}
    defaults: dict[str, Any] = {}
    for parameter in parameters:
        if parameter.name in fields and parameter.default is not parameter.empty:
            try:
                stored = fields[parameter.name].validate(parameter.default)
            except (TypeError, ValueError):
                continue  # never for a built-in; a user class's __init__ would say
            defaults[parameter.name] = parameter.default if stored is None else stored
    return defaults

"""A class of your own named in a pipeline file: imported with importlib, judged uncalled.

Naming ``"module:Class"`` imports that module, which runs its code, as running a script
would: run only pipeline files you trust. The name must look like a reference (never
an expression: nothing is ``eval``-ed); what it names must be a **class** (not a
function, not one of Python's built-in types) whose instances have the role's method
(``stream``, ``process`` or ``consume``, with the protocol's parameters). That is
checked on the class, by signature, without calling anything.

>>> namesUserClass("mymodule:MySource"), namesUserClass("__import__('os')")
(True, False)
>>> roleProblem(len, "stage")
'is a function, not a class: a pipeline file names classes only'
"""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

from ..cleanup import describeError
from ..protocols import ROLES, Role

__all__ = ["importObject", "namesUserClass", "roleProblem"]

#: How many arguments (after ``self``) each role's method takes: stream(), process(s), consume(s).
_METHOD_ARGUMENTS: dict[Role, int] = {"source": 0, "stage": 1, "sink": 1}

_USER_CLASS = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


def namesUserClass(typeName: str) -> bool:
    """Whether ``typeName`` reads as ``"package.module:Class"`` (and nothing else)."""
    return _USER_CLASS.fullmatch(typeName) is not None


def roleProblem(found: object, role: Role) -> str | None:
    """Why ``found`` cannot be a ``role`` (None if it can), judged without calling it."""
    method, protocol = ROLES[role]
    if not inspect.isclass(found):
        kind = "a function" if inspect.isroutine(found) else f"a {type(found).__name__}"
        return f"is {kind}, not a class: a pipeline file names classes only"
    if found.__module__ == "builtins":
        return f"is one of Python's built-in types, not a {role}"
    attribute = inspect.getattr_static(found, method, None)  # no descriptor code runs
    if attribute is None or not callable(attribute):
        return f"is not a {role}: it has no {method}() method (the {protocol.__name__} protocol)"
    if not _acceptsArguments(attribute, _METHOD_ARGUMENTS[role]):
        wanted = {"source": "stream(self)", "stage": "process(self, inputStream)"}
        signature = wanted.get(role, "consume(self, stream)")
        return f"is not a {role}: its {method}() cannot be called as {signature}"
    return None


def _acceptsArguments(attribute: Any, count: int) -> bool:
    """Whether the method, called on an instance, takes ``count`` positional arguments."""
    if isinstance(attribute, staticmethod):
        function, bound = attribute.__func__, 0
    elif isinstance(attribute, classmethod):
        function, bound = attribute.__func__, 1
    elif inspect.isfunction(attribute):
        function, bound = attribute, 1
    else:
        return True  # some other callable: nothing to read a signature from safely
    try:
        inspect.signature(function).bind(*[None] * (bound + count))
    except TypeError:
        return False
    except ValueError:  # no signature available
        return True
    return True


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

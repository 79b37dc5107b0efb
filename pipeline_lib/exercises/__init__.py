"""Self-checks for the notebooks' exercises: a friendly verdict, never an exception.

One module per notebook, on a small verdict framework:

- :mod:`.verdict`: :class:`Verdict`, :func:`exerciseCheck`, :func:`require`, :func:`correct`
  (how to write a check: see its docstring);
- :mod:`.scratch`: what the checks share (quiet logs, a scratch database and pool);
- ``nb00_start_here`` ... ``nb08_extensions``: the checks of each notebook, named as the
  notebook is; :mod:`.quiz`: notebook 07's quiz (its questions in ``quiz1_lifecycle``,
  ``quiz2_configuration``, ``quiz3_observability``, their type in :mod:`.quizformat`);
  :mod:`.asyncrig`: the traced async pipeline and private event loop of check 08.3.

Notebooks import every check from here: ``from pipeline_lib.exercises import checkSafeRunner``.
"""

from __future__ import annotations

from .nb00_start_here import checkCountingSink, checkSpikeFilter
from .nb01_the_leak_problem import checkLeakFixed, checkSafeRunner
from .nb02_context_managers import checkConnectionLoan, checkSlideContextFixed
from .nb02_context_managers import checkPooledConnection as checkPooledConnection
from .nb03_descriptors import BROKEN_TOML, checkFixedToml, checkOneOf, checkWindowRule
from .nb04_measuring_stages import TIMELINE_COSTS_MS, checkBottleneck, checkTimelinePrediction
from .nb05_retry import HUB_ERRORS, checkResumableSource, checkRetryBudget, checkRetryOn
from .nb06_three_layers import checkSensorBounds, checkTwoFaultsOnce
from .nb08_extensions import checkAsyncRunner, checkDefaultedField, checkTimedRun
from .verdict import NotYet, Verdict, correct, exerciseCheck, require

__all__ = [
    "BROKEN_TOML",
    "HUB_ERRORS",
    "TIMELINE_COSTS_MS",
    "NotYet",
    "Verdict",
    "checkAsyncRunner",
    "checkBottleneck",
    "checkConnectionLoan",
    "checkCountingSink",
    "checkDefaultedField",
    "checkFixedToml",
    "checkLeakFixed",
    "checkOneOf",
    "checkResumableSource",
    "checkRetryBudget",
    "checkRetryOn",
    "checkSafeRunner",
    "checkSensorBounds",
    "checkSlideContextFixed",
    "checkSpikeFilter",
    "checkTimedRun",
    "checkTimelinePrediction",
    "checkTwoFaultsOnce",
    "checkWindowRule",
    "correct",
    "exerciseCheck",
    "require",
]

"""pipeline_lib: a pluggable analytics engine, Source -> Stages -> Sink, made production-ready.

Three layers, each independent (Lecture 34, slide 11):

1. lifecycle: :class:`PipelineContext` closes every generator and resource, always;
2. configuration: descriptors that reject bad values at assignment;
3. observability and resilience: ``@measuredStage`` and ``@retryOnFailure``.

Names follow the course's camelCase (``samplingRateHz``, ``inputStream``) so the slides'
code and the library's read alike. ``import pipeline_lib`` imports only the standard
library; :mod:`pipeline_lib.plotting` and :mod:`pipeline_lib.widgets` bring matplotlib
and ipywidgets when you ask for them.
"""

from __future__ import annotations

import logging

from .config import ConfigError, PipelineConfig
from .lifecycle import PipelineContext
from .metrics import StageMetrics, measuredStage
from .protocols import SensorReading, Sink, Source, Stage
from .resources import ConnectionPool, PoolExhausted, openDescriptorsOn, openFileDescriptors
from .retry import retryOnFailure
from .retrypolicy import RetryPolicy
from .sinks import CsvSink, ListSink, SqliteSink
from .sources import CsvSource, SensorSource, SqliteSource
from .stages import Normalizer, ThresholdFilter, WindowAverage
from .validators import BoundedInt, PositiveFloat, Validator

__all__ = [
    "BoundedInt",
    "ConfigError",
    "ConnectionPool",
    "CsvSink",
    "CsvSource",
    "ListSink",
    "Normalizer",
    "PipelineConfig",
    "PipelineContext",
    "PoolExhausted",
    "PositiveFloat",
    "RetryPolicy",
    "SensorReading",
    "SensorSource",
    "Sink",
    "Source",
    "SqliteSink",
    "SqliteSource",
    "Stage",
    "StageMetrics",
    "ThresholdFilter",
    "Validator",
    "WindowAverage",
    "measuredStage",
    "openDescriptorsOn",
    "openFileDescriptors",
    "retryOnFailure",
]

__version__ = "0.2.0"

# A library never configures logging for its user; it only makes sure that an
# unconfigured application does not print "No handlers could be found".
logging.getLogger("pipeline_lib").addHandler(logging.NullHandler())

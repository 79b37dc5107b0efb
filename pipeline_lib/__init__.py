"""pipeline_lib: a pluggable analytics engine, Source -> Stages -> Sink, made production-ready.

Three layers, each independent (Lecture 34, slide 11):

1. lifecycle: :class:`PipelineContext` closes every generator and resource, always;
2. configuration: descriptors that reject bad values at assignment;
3. observability: two decorators on generators, ``@measuredStage`` (what each stage costs)
   and ``@retryOnFailure`` (resilience: transient failures retried, no record twice).

Names follow the course's camelCase (``samplingRateHz``, ``inputStream``) so the slides'
code and the library's read alike. ``import pipeline_lib`` imports only the standard
library; :mod:`pipeline_lib.plotting` and :mod:`pipeline_lib.widgets` bring matplotlib
and ipywidgets when you ask for them.

Module map (the engine at the top level, the classroom and the command line below it)::

    protocols                      the Stage 1 contract: Source, Stage, Sink, SensorReading
    sources stages sinks sqlitedb  the built-in components
    fields                         their checked arguments (one rule each, no instance needed)
    cleanup observe tally          the shared core: closing in order, reports, counting
    documents                      reading a config or pipeline file, every failure said once
    lifecycle resources            layer 1: PipelineContext; ConnectionPool, descriptors
    runstate interrupts            layer 1's shared parts: a run's record, Ctrl-C held back
    asynclifecycle                 layer 1 for asyncio: AsyncPipelineContext (notebook 08)
    validators config              layer 2: descriptors; PipelineConfig
    metrics histogram              layer 3, @measuredStage: own time, percentiles
    retry retrypolicy resume       layer 3, @retryOnFailure: policy, resuming a source
    adapters                       decorating a component's method from outside
    naive faults leaks testing     teaching doubles: the slides' versions, failure
                                   injection, repeated failing runs, fake clocks
    plotting/                      pictures (matplotlib)
    widgets/                       FailureLab, LatencyDashboard, ConfigPlayground
    exercises/                     the notebooks' self-checks (one module per notebook),
                                   the quiz, grading
    cli/                           the pipeline-lib command

The four subpackages import the engine; the engine never imports them (only
``python -m pipeline_lib`` starts the CLI; the ``pipeline-lib`` command starts it from
``pipeline_lib_launcher``, outside the package), and of the subpackages only widgets
import plotting.
"""

from __future__ import annotations

import logging

from .config import ConfigError, PipelineConfig
from .lifecycle import PipelineContext
from .metrics import StageMetrics, measuredStage
from .protocols import SensorReading, Sink, Source, Stage
from .resources import (
    ConnectionPool,
    ConnectionReleased,
    PooledConnection,
    PoolExhausted,
    openDescriptorsOn,
    openFileDescriptors,
)
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
    "ConnectionReleased",
    "CsvSink",
    "CsvSource",
    "ListSink",
    "Normalizer",
    "PipelineConfig",
    "PipelineContext",
    "PoolExhausted",
    "PooledConnection",
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

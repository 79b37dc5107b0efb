"""Read a pipeline file (TOML): check all of it, then build the components it describes.

A pipeline file names a source, the stages in order, a sink, and the
:class:`~pipeline_lib.PipelineConfig` values the built-in stages take their
parameters from::

    pipelineId = "sensor_ingest"          # optional; default: the file's name

    [config]                              # PipelineConfig (layer 2)
    samplingRateHz = 100.0
    windowSize = 10
    filterMin = 20.0
    filterMax = 80.0

    [source]
    type = "SensorSource"                 # or CsvSource, SqliteSource, or "module:Class"
    count = 20000
    seed = 42
    retry = { maxAttempts = 3, delaySeconds = 0.5 }   # optional (layer 3b)

    [[stages]]
    type = "ThresholdFilter"              # filterMin, filterMax come from [config]

    [[stages]]
    type = "WindowAverage"                # windowSize comes from [config]
    name = "smooth"                       # optional: its name in the metrics report

    [sink]
    type = "CsvSink"
    path = "readings.csv"                 # relative to this file's folder

:func:`loadPipelineFile` checks the *whole* file before anything runs and raises one
:class:`PipelineFileError` listing every problem (a TOML syntax error, with its line,
stops the reading). Every argument is checked before any component is constructed, and
nothing is opened while loading.

>>> plan = loadPipeline({"source": {"type": "SensorSource", "count": 10},
...                      "stages": [{"type": "WindowAverage", "windowSize": 2}],
...                      "sink": {"type": "CsvSink", "path": "out.csv"}})
>>> plan.source, plan.stageNames
(SensorSource(count=10, seed=0, sensorIds=['temp-1', 'temp-2', 'temp-3'], samplingRateHz=10.0), \
['WindowAverage'])
>>> loadPipeline({"source": {"type": "SensorSource", "count": -1}, "sinc": {}})
Traceback (most recent call last):
...
pipeline_lib.cli.pipelinefile.PipelineFileError: <pipeline>: 3 problems
  - sinc: not part of a pipeline file; did you mean 'sink'? (a pipeline file has: ...)
  - source: SensorSource.count must be an int >= 0, got -1
  - sink: missing: a pipeline needs a [sink] table
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..adapters import MeasuredStage, RetriedSource, isMeasured
from ..config import ConfigError, PipelineConfig, didYouMean
from ..documents import UNREADABLE, parseToml, readDocument
from ..protocols import Role
from ..retrypolicy import validatePolicy
from ..validators import shortRepr
from .components import BuildSettings, BuiltComponent, Unconstructed, buildComponent
from .problems import Problems

__all__ = [
    "RETRY_OPTIONS",
    "STAGE_KEYS",
    "TOP_LEVEL",
    "PipelineFileError",
    "PipelinePlan",
    "loadPipeline",
    "loadPipelineFile",
]

TOP_LEVEL = ("pipelineId", "description", "config", "source", "stages", "sink")
#: Keys of a ``[[stages]]`` table that are for the command line, not the stage's constructor.
STAGE_KEYS = ("name", "measure")


class PipelineFileError(ConfigError):
    """Everything wrong with a pipeline file: ``.problems`` (one line each) and ``.path``.

    A :class:`~pipeline_lib.ConfigError`, so ``except ConfigError`` catches a bad
    ``[config]`` table and a bad pipeline file alike; it prints the same way.
    """


@dataclass
class PipelinePlan:
    """A checked pipeline file, ready to run: the components and what to say about them."""

    pipelineId: str
    source: Any
    stages: list[Any]
    sink: Any
    path: Path | None = None
    description: str = ""
    config: PipelineConfig | None = None
    stageNames: list[str] = field(default_factory=list)
    retry: Mapping[str, Any] | None = None
    #: Files the sink creates: a failed run removes those that did not exist before.
    outputs: list[Path] = field(default_factory=list)
    #: How many records the source will yield, when it says (for a progress bar).
    expectedRecords: int | None = None

    def describe(self) -> str:
        """The plan in a few lines: what ``run --dry-run`` prints."""
        where = f" from {self.path}" if self.path else ""
        lines = [f"Pipeline {self.pipelineId!r}{where}"]
        if self.description:
            lines.append(f"  {self.description}")
        if self.config is not None:
            lines.append(f"  config:   {self.config!r}")
        retried = f"  retried: {_describeRetry(self.retry)}" if self.retry else ""
        lines.append(f"  source:   {_inner(self.source)!r}{retried}")
        for number, (stage, name) in enumerate(zip(self.stages, self.stageNames, strict=True), 1):
            measured = f"  measured as {name!r}" if _measured(stage) else ""
            lines.append(f"  stage {number}:  {_inner(stage)!r}{measured}")
        lines.append(f"  sink:     {self.sink!r}")
        return "\n".join(lines)


def loadPipelineFile(path: str | os.PathLike[str], *, construct: bool = True) -> PipelinePlan:
    """Read, check and build the pipeline in the TOML file ``path``.

    Raises :class:`PipelineFileError` with every problem found (and the path). With
    ``construct=False`` (``--dry-run``), everything is checked and nothing constructed.
    """
    problems: list[str] = []
    document = readDocument(path, problems, parse=parseToml)
    if document is UNREADABLE:
        raise PipelineFileError(problems, path)
    if not isinstance(document, dict):  # pragma: no cover - TOML documents are tables
        raise PipelineFileError([f"expected a table, got {shortRepr(document)}"], path)
    return loadPipeline(document, path=path, baseFolder=Path(path).parent, construct=construct)


def loadPipeline(
    document: Mapping[str, Any],
    *,
    path: str | os.PathLike[str] | None = None,
    baseFolder: str | os.PathLike[str] = ".",
    construct: bool = True,
) -> PipelinePlan:
    """Check and build a pipeline from an already-parsed document (a dict, as TOML gives).

    ``path`` names the document in messages; relative paths in it are resolved against
    ``baseFolder``.
    """
    problems: list[str] = []
    for key in document:
        if key not in TOP_LEVEL:
            problems.append(
                f"{key}: not part of a pipeline file"
                f"{didYouMean(key, list(TOP_LEVEL))} (a pipeline file has: {', '.join(TOP_LEVEL)})"
            )
    pipelineId = _text(document, "pipelineId", problems, Path(path).stem if path else "pipeline")
    description = _text(document, "description", problems, "")
    config, configFailed = _loadConfig(document.get("config"), problems)
    settings = BuildSettings(Path(baseFolder), config, configFailed, construct)
    build = _Builder(problems, settings)
    source, retry = build.source(document.get("source"))
    stages, stageNames = build.stages(document.get("stages", []))
    sink = build.sink(document.get("sink"))
    if problems or source is None or sink is None:
        raise PipelineFileError(problems, path or "<pipeline>")
    count = getattr(source.component, "count", None)
    return PipelinePlan(
        pipelineId=pipelineId,
        source=source.component if retry is None or _unbuilt(source) else _retried(source, retry),
        stages=stages,
        sink=sink.component,
        path=Path(path) if path else None,
        description=description,
        config=config,
        stageNames=stageNames,
        retry=retry,
        outputs=sink.outputs,
        expectedRecords=count if isinstance(count, int) and not isinstance(count, bool) else None,
    )


class _Builder:
    """Builds the source, the stages and the sink, adding problems to one shared list."""

    def __init__(self, problems: list[str], settings: BuildSettings) -> None:
        self.problems = problems
        self.found = Problems(problems)  # the components' problems join the file's list
        self.settings = settings

    def _build(self, table: Mapping[str, Any], role: Role, where: str) -> BuiltComponent | None:
        return buildComponent(
            table, role=role, where=where, problems=self.found, settings=self.settings
        )

    def source(self, table: object) -> tuple[BuiltComponent | None, Mapping[str, Any] | None]:
        if not self._isTable(table, "source", "[source]"):
            return None, None
        assert isinstance(table, dict)
        params = dict(table)
        retry = params.pop("retry", None)
        if retry is not None and not isinstance(retry, dict):
            self.problems.append(
                f"source.retry: expected a table such as "
                f"{{ maxAttempts = 3, delaySeconds = 1.0 }}, got {retry!r}"
            )
            retry = None
        if retry is not None and not _checkRetry(retry, self.problems):
            retry = None
        return self._build(params, "source", "source"), retry

    def stages(self, tables: object) -> tuple[list[Any], list[str]]:
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            self.problems.append(
                "stages: expected [[stages]] tables (double brackets, one per stage), "
                f"got {tables!r}"
            )
            return [], []
        stages: list[Any] = []
        names: list[str] = []
        for index, table in enumerate(tables):
            where = f"stages[{index}]"
            params = {k: v for k, v in table.items() if k not in STAGE_KEYS}
            built = self._build(params, "stage", where)
            options = self._stageOptions(table, where)
            if built is None or options is None:
                continue
            name, measure = options
            stage = built.component
            # Every stage is measured unless told not to, or already measured by its class.
            if isinstance(stage, Unconstructed):  # --dry-run: the plan says what a run would do
                stage.measuredAs = name if measure and not stage.measuredByItsClass() else None
            elif measure and not isMeasured(stage):
                stage = MeasuredStage(stage, name)
            stages.append(stage)
            names.append(name)
        return stages, names

    def sink(self, table: object) -> BuiltComponent | None:
        if not self._isTable(table, "sink", "[sink]"):
            return None
        assert isinstance(table, dict)
        return self._build(table, "sink", "sink")

    def _isTable(self, table: object, where: str, header: str) -> bool:
        if table is None:
            self.problems.append(f"{where}: missing: a pipeline needs a {header} table")
            return False
        if not isinstance(table, dict):
            self.problems.append(f"{where}: expected a {header} table, got {table!r}")
            return False
        return True

    def _stageOptions(self, table: dict[str, Any], where: str) -> tuple[str, bool] | None:
        """The stage's ``name`` (in the report) and ``measure`` flag, if both are valid."""
        name = table.get("name", table.get("type"))
        if not isinstance(name, str) or not name:
            self.problems.append(f"{where}.name: expected a non-empty string, got {name!r}")
            return None
        measure = table.get("measure", True)
        if not isinstance(measure, bool):
            self.problems.append(f"{where}.measure: expected true or false, got {measure!r}")
            return None
        return name.rpartition(":")[2], measure  # "mystages:Doubler" is reported as "Doubler"


def _text(document: Mapping[str, Any], key: str, problems: list[str], default: str) -> str:
    value = document.get(key, default)
    if isinstance(value, str) and (value or key == "description"):
        return value
    problems.append(f"{key}: expected a non-empty string, got {value!r}")
    return default


# -- layer 2: the [config] table ---------------------------------------------------------


def _loadConfig(table: object, problems: list[str]) -> tuple[PipelineConfig | None, bool]:
    """The ``[config]`` table as a :class:`PipelineConfig`, and whether it had problems."""
    if table is None:
        return None, False
    if not isinstance(table, dict):
        problems.append(f"config: expected a [config] table, got {table!r}")
        return None, True
    try:
        return PipelineConfig.fromDict(table), False
    except ConfigError as error:
        problems.extend(f"config: {problem}" for problem in error.problems)
        return None, True


# -- layer 3b: retrying the source -------------------------------------------------------

#: The options of ``@retryOnFailure`` a file may set (``retryOn`` and ``sleep`` are code).
RETRY_OPTIONS = ("maxAttempts", "delaySeconds", "backoff", "maxDelaySeconds", "jitter", "seed")


def _checkRetry(options: Mapping[str, Any], problems: list[str]) -> bool:
    """Check each retry option on its own (so every bad one is listed); True if all are good.

    Each check returns its own verdict: success is never guessed from whether the list
    of problems grew (a check that fails without a message would pass unnoticed).
    """
    verdicts = [_retryOptionIsGood(key, value, problems) for key, value in options.items()]
    return all(verdicts)


def _retryOptionIsGood(key: str, value: object, problems: list[str]) -> bool:
    if key not in RETRY_OPTIONS:
        problems.append(
            f"source.retry.{key}: unknown option{didYouMean(key, RETRY_OPTIONS)} "
            f"(retry takes: {', '.join(RETRY_OPTIONS)})"
        )
        return False
    try:
        validatePolicy("source.retry", {key: value})
    except (TypeError, ValueError) as error:
        problems.append(str(error) or f"source.retry.{key}: refused {shortRepr(value)}")
        return False
    return True


def _describeRetry(options: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in options.items()) or "defaults"


def _measured(stage: Any) -> bool:
    return isinstance(stage, MeasuredStage) or getattr(stage, "measuredAs", None) is not None


def _unbuilt(built: BuiltComponent) -> bool:
    return isinstance(built.component, Unconstructed)


def _retried(source: BuiltComponent, retry: Mapping[str, Any]) -> Any:
    return RetriedSource(source.component, **retry)


def _inner(component: Any) -> Any:
    """The component a measuring or retrying adapter wraps (itself when not wrapped)."""
    return getattr(component, "wrapped", component)

"""Pipeline files: every problem is listed at once, with the path; a valid file builds its plan."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline_lib import CsvSink, Normalizer, SensorSource, ThresholdFilter, WindowAverage
from pipeline_lib.cli.pipelinefile import PipelineFileError, loadPipeline, loadPipelineFile

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

VALID = """\
pipelineId = "ingest"

[config]
samplingRateHz = 50.0
windowSize = 4
filterMin = 10.0
filterMax = 90.0

[source]
type = "SensorSource"
count = 100

[[stages]]
type = "ThresholdFilter"

[[stages]]
type = "Normalizer"
valueMin = 0.0
valueMax = 100.0

[[stages]]
type = "WindowAverage"
name = "smooth"

[sink]
type = "CsvSink"
path = "out.csv"
"""


def _write(folder: Path, text: str, name: str = "pipeline.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(document: dict[str, Any], folder: Path | None = None) -> list[str]:
    with pytest.raises(PipelineFileError) as caught:
        loadPipeline(document, path="p.toml", baseFolder=folder or Path("."))
    return caught.value.problems


def _minimal(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "source": {"type": "SensorSource", "count": 10},
        "sink": {"type": "CsvSink", "path": "out.csv"},
    }
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


# -- a valid file -------------------------------------------------------------------------


def test_a_valid_file_builds_source_stages_and_sink_in_order(tmp_path: Path) -> None:
    plan = loadPipelineFile(_write(tmp_path, VALID))
    assert plan.pipelineId == "ingest"
    assert isinstance(plan.source, SensorSource) and plan.source.count == 100
    assert [type(s.wrapped) for s in plan.stages] == [ThresholdFilter, Normalizer, WindowAverage]
    assert isinstance(plan.sink, CsvSink)
    assert plan.stageNames == ["ThresholdFilter", "Normalizer", "smooth"]
    assert plan.expectedRecords == 100


def test_built_in_stages_take_missing_parameters_from_config(tmp_path: Path) -> None:
    plan = loadPipelineFile(_write(tmp_path, VALID))
    threshold, normalizer, window = (stage.wrapped for stage in plan.stages)
    assert (threshold.filterMin, threshold.filterMax) == (10.0, 90.0)
    assert (normalizer.valueMin, normalizer.valueMax) == (0.0, 100.0)  # its own values win
    assert window.windowSize == 4
    assert plan.source.samplingRateHz == 50.0


def test_relative_paths_are_relative_to_the_pipeline_files_folder(tmp_path: Path) -> None:
    plan = loadPipelineFile(_write(tmp_path, VALID))
    assert plan.sink.path == tmp_path / "out.csv"
    assert plan.outputs == [tmp_path / "out.csv"]


def test_the_pipeline_id_defaults_to_the_files_name(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID.replace('pipelineId = "ingest"\n', ""), "nightly.toml")
    assert loadPipelineFile(path).pipelineId == "nightly"


def test_loading_opens_nothing_and_writes_nothing(tmp_path: Path) -> None:
    loadPipelineFile(_write(tmp_path, VALID))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipeline.toml"]


def test_the_plan_describes_every_component(tmp_path: Path) -> None:
    text = loadPipelineFile(_write(tmp_path, VALID)).describe()
    for expected in ("'ingest'", "SensorSource(count=100", "ThresholdFilter(10.0, 90.0)",
                     "'smooth'", "CsvSink(", "windowSize=4"):  # fmt: skip
        assert expected in text


@pytest.mark.parametrize("example", ["sensors_to_csv", "csv_to_sqlite", "custom_stage"])
def test_every_example_but_the_broken_one_is_valid(
    example: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))  # custom_stage's module sits beside it
    assert loadPipelineFile(EXAMPLES / f"{example}.toml").pipelineId == example


# -- every problem, at once -------------------------------------------------------------------


def test_the_broken_example_lists_all_its_problems_with_its_path() -> None:
    with pytest.raises(PipelineFileError) as caught:
        loadPipelineFile(EXAMPLES / "broken.toml")
    error = caught.value
    assert str(error.path).endswith("broken.toml")
    text = str(error)
    assert text.splitlines()[0].endswith(f"broken.toml: {len(error.problems)} problems")
    for expected in ("count must be an int >= 0", "did you mean 'Normalizer'?", "windowSize",
                     "did you mean 'filterMin'?", "no-such-folder"):  # fmt: skip
        assert expected in text


def test_a_toml_syntax_error_gives_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "[source]\ntype = \n")
    with pytest.raises(PipelineFileError) as caught:
        loadPipelineFile(path)
    assert caught.value.problems == ["line 2, column 8: invalid TOML: Invalid value"]
    assert str(path) in str(caught.value)


def test_a_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(PipelineFileError, match="no such file"):
        loadPipelineFile(tmp_path / "nope.toml")


def test_unknown_top_level_names_get_a_suggestion() -> None:
    problems = _problems(_minimal(stage=[{"type": "WindowAverage"}]))
    assert problems[0].startswith("stage: not part of a pipeline file; did you mean 'stages'?")


def test_missing_source_and_sink_are_both_reported() -> None:
    problems = _problems({})
    assert problems == [
        "source: missing: a pipeline needs a [source] table",
        "sink: missing: a pipeline needs a [sink] table",
    ]


def test_stages_written_as_a_single_table_are_explained() -> None:
    problems = _problems(_minimal(stages={"type": "WindowAverage"}))
    assert problems[0].startswith("stages: expected [[stages]] tables (double brackets")


def test_a_missing_type_names_the_choices() -> None:
    problems = _problems(_minimal(sink={"path": "x.csv"}))
    assert problems == [
        "sink.type: expected the name of a built-in sink (CsvSink, SqliteSink) "
        "or 'module:Class', got nothing"
    ]


def test_a_missing_parameter_says_where_it_may_come_from() -> None:
    problems = _problems(_minimal(stages=[{"type": "ThresholdFilter", "filterMax": 5.0}]))
    assert problems == [
        "stages[0]: ThresholdFilter needs 'filterMin', which is missing "
        "(give it here, or filterMin in [config])"
    ]


def test_a_bad_value_reports_the_constructors_own_message() -> None:
    problems = _problems(_minimal(stages=[{"type": "WindowAverage", "windowSize": "ten"}]))
    assert problems == ["stages[0]: WindowAverage.windowSize must be an int, got 'ten'"]


def test_input_files_must_exist(tmp_path: Path) -> None:
    problems = _problems(_minimal(source={"type": "CsvSource", "path": "in.csv"}), tmp_path)
    assert problems == [f"source.path: no such file: {tmp_path / 'in.csv'}"]


def test_reserved_stage_keys_are_checked() -> None:
    stage = {"type": "WindowAverage", "windowSize": 2, "name": "", "measure": "yes"}
    problems = _problems(_minimal(stages=[stage, {**stage, "name": "w"}]))
    assert problems == [
        "stages[0].name: expected a non-empty string, got ''",
        "stages[1].measure: expected true or false, got 'yes'",
    ]


def test_problems_are_listed_in_file_order_and_none_is_lost(tmp_path: Path) -> None:
    document = {
        "pipelineId": 3,
        "source": {"type": "SensorSource", "count": -1},
        "stages": [{"type": "Nope"}, {"type": "WindowAverage", "size": 3}],
        "sink": {"type": "SqliteSink", "database": "missing/db.sqlite"},
    }
    problems = _problems(document, tmp_path)
    assert [p.split(":")[0] for p in problems] == [
        "pipelineId",
        "source",
        "stages[0].type",
        "stages[1].size",
        "stages[1]",
        "sink.database",
    ]


# -- the [config] table ------------------------------------------------------------------------


def test_config_problems_are_listed_with_the_others() -> None:
    config = {"samplingRateHz": 100.0, "windowSize": 10, "filterMin": 20.0, "filterMaks": 80.0}
    problems = _problems(_minimal(config=config, source={"type": "SensorSource", "count": -1}))
    assert any("filterMaks" in p and "did you mean 'filterMax'?" in p for p in problems)
    assert any(p.startswith("source:") for p in problems)


def test_a_broken_config_does_not_make_its_stages_report_twice() -> None:
    config = {"samplingRateHz": 100.0, "windowSize": "ten", "filterMin": 20.0, "filterMax": 80.0}
    problems = _problems(_minimal(config=config, stages=[{"type": "WindowAverage"}]))
    assert all(p.startswith("config") for p in problems), problems


# -- your own classes: module:Class ---------------------------------------------------------------


USER_MODULE = """
class Doubler:
    def __init__(self, factor=2):
        self.factor = factor
    def process(self, inputStream):
        for record in inputStream:
            yield record

class NotAStage:
    pass

class Picky:
    def __init__(self, level):
        raise RuntimeError("no sensors attached")
    def process(self, inputStream):
        return inputStream
"""


@pytest.fixture
def userModule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f"userstages_{tmp_path.name.replace('-', '_')}"
    _write(tmp_path, USER_MODULE, f"{name}.py")
    _write(tmp_path, "raise ImportError('needs numpy')\n", f"{name}_broken.py")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for module in (name, f"{name}_broken"):
        sys.modules.pop(module, None)


def test_a_user_class_is_imported_and_given_its_parameters(userModule: str) -> None:
    stage = {"type": f"{userModule}:Doubler", "factor": 3}
    plan = loadPipeline(_minimal(stages=[stage]))
    stage = plan.stages[0].wrapped
    assert type(stage).__name__ == "Doubler" and stage.factor == 3
    assert plan.stageNames == ["Doubler"]


def test_user_class_problems_are_all_reported(userModule: str) -> None:
    stages = [
        {"type": "no_such_module_here:Thing"},
        {"type": f"{userModule}:Missing"},
        {"type": f"{userModule}_broken:Thing"},
        {"type": f"{userModule}:NotAStage"},
        {"type": f"{userModule}:Doubler", "factr": 3},
        {"type": f"{userModule}:Picky", "level": 1},
    ]
    problems = _problems(_minimal(stages=stages))
    assert len(problems) == 6
    assert "No module named 'no_such_module_here'" in problems[0]
    assert "has no attribute 'Missing'" in problems[1]
    assert "needs numpy" in problems[2]
    assert "is not a stage: it has no process() method" in problems[3]
    assert "did you mean 'factor'?" in problems[4]
    assert "constructing it failed: RuntimeError: no sensors attached" in problems[5]


def test_a_type_that_is_neither_built_in_nor_module_class_is_unknown() -> None:
    problems = _problems(_minimal(source={"type": "os.system('rm -rf /')"}))
    assert problems[0].startswith("source.type: unknown source")


def test_a_byte_order_mark_is_not_a_mistake(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert loadPipelineFile(path).pipelineId == "ingest"


def test_a_file_that_is_not_text_is_one_clear_problem(tmp_path: Path) -> None:
    path = _write(tmp_path, "", "binary.toml")
    path.write_bytes(b"\x80\x81 not utf-8")
    with pytest.raises(PipelineFileError) as caught:
        loadPipelineFile(path)
    assert caught.value.problems == ["not UTF-8 text: byte 0 cannot be decoded"]


# -- layer 3 from the file: measured stages, a retried source ----------------------------------


def test_every_stage_is_measured_unless_the_file_says_otherwise(userModule: str) -> None:
    stages = [
        {"type": "WindowAverage", "windowSize": 2},
        {"type": "WindowAverage", "windowSize": 3, "measure": False},
        {"type": f"{userModule}:Doubler"},
    ]
    plan = loadPipeline(_minimal(stages=stages))
    kinds = [type(stage).__name__ for stage in plan.stages]
    assert kinds == ["MeasuredStage", "WindowAverage", "MeasuredStage"]
    assert [plan.stages[0].stageName, plan.stages[2].stageName] == ["WindowAverage", "Doubler"]


def test_a_stage_whose_class_is_already_measured_is_not_measured_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, MEASURED_MODULE, "measuredstages_cli.py")
    monkeypatch.syspath_prepend(str(tmp_path))
    plan = loadPipeline(_minimal(stages=[{"type": "measuredstages_cli:Doubler"}]))
    assert type(plan.stages[0]).__name__ == "Doubler"


MEASURED_MODULE = """
from pipeline_lib import measuredStage

class Doubler:
    @measuredStage("Doubler")
    def process(self, inputStream):
        for record in inputStream:
            yield record
"""


def test_a_retry_table_wraps_the_source_and_keeps_its_count() -> None:
    source = {"type": "SensorSource", "count": 10, "retry": {"maxAttempts": 5, "delaySeconds": 0}}
    plan = loadPipeline(_minimal(source=source))
    assert type(plan.source).__name__ == "RetriedSource"
    assert isinstance(plan.source.wrapped, SensorSource)
    assert plan.expectedRecords == 10
    assert "retried: maxAttempts=5, delaySeconds=0" in plan.describe()


def test_every_bad_retry_option_is_listed() -> None:
    retry = {"maxAttempts": 0, "jitter": 2.0, "attempts": 3, "delaySeconds": "soon"}
    problems = _problems(_minimal(source={"type": "SensorSource", "retry": retry}))
    assert problems == [
        "source.retry.maxAttempts must be >= 1, got 0",
        "source.retry.jitter must be a number in [0, 1], got 2.0",
        "source.retry.attempts: unknown option; did you mean 'maxAttempts'? "
        "(retry takes: maxAttempts, delaySeconds, backoff, maxDelaySeconds, jitter, seed)",
        "source.retry.delaySeconds must be a finite number >= 0, got 'soon'",
    ]


def test_a_retry_that_is_not_a_table_is_explained() -> None:
    problems = _problems(_minimal(source={"type": "SensorSource", "retry": 3}))
    assert problems == [
        "source.retry: expected a table such as { maxAttempts = 3, delaySeconds = 1.0 }, got 3"
    ]


def test_a_file_error_is_a_config_error() -> None:
    from pipeline_lib import ConfigError

    assert issubclass(PipelineFileError, ConfigError)


RETRY_VALUES = {
    "maxAttempts": [1, 3, 0, "3", True],
    "delaySeconds": [0, 0.5, -1.0, "soon", float("nan")],
    "jitter": [0.0, 0.5, 2.0],
    "attempts": [3],
    "seed": [1, None],
}


@given(
    st.dictionaries(st.sampled_from(sorted(RETRY_VALUES)), st.integers(0, 4), min_size=1).map(
        lambda picks: {
            key: RETRY_VALUES[key][index % len(RETRY_VALUES[key])] for key, index in picks.items()
        }
    )
)
def test_the_retry_check_returns_its_own_verdict_one_problem_per_bad_option(
    options: dict[str, Any],
) -> None:
    from pipeline_lib.cli.pipelinefile import RETRY_OPTIONS, _checkRetry
    from pipeline_lib.retrypolicy import validatePolicy

    def good(key: str, value: Any) -> bool:
        try:
            validatePolicy("x", {key: value})
        except (TypeError, ValueError):
            return False
        return key in RETRY_OPTIONS

    problems = ["an earlier problem elsewhere in the file"]
    bad = [key for key, value in options.items() if not good(key, value)]
    assert _checkRetry(options, problems) is (not bad)
    assert len(problems) == 1 + len(bad)


def test_a_retry_check_that_fails_without_a_message_still_fails_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipeline_lib.cli import pipelinefile

    def silent(owner: str, options: Any) -> None:
        raise ValueError()  # refuses, but says nothing

    monkeypatch.setattr(pipelinefile, "validatePolicy", silent)
    problems: list[str] = []
    assert pipelinefile._checkRetry({"maxAttempts": 3}, problems) is False
    assert problems == ["source.retry.maxAttempts: refused 3"]

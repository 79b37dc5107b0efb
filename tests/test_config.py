"""PipelineConfig: slide 7's behaviour, every problem at once from dicts and files."""

from __future__ import annotations

import json
import math
import numbers
import pickle
import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import hypothesisProfile
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import BrokenRepr, anything, hostileValues

from pipeline_lib import (
    ConfigError,
    ListSink,
    Normalizer,
    PipelineConfig,
    PipelineContext,
    SensorSource,
    ThresholdFilter,
    WindowAverage,
)
from pipeline_lib.config import didYouMean
from pipeline_lib.validators import shortRepr

FIELDS = ["samplingRateHz", "windowSize", "filterMin", "filterMax"]
VALID = {"samplingRateHz": 100.0, "windowSize": 10, "filterMin": 20.0, "filterMax": 80.0}


positive = st.one_of(
    st.floats(min_value=0.0, exclude_min=True, allow_nan=False, allow_infinity=False),
    st.integers(1, 10**9),
)


@st.composite
def validConfigs(draw: st.DrawFn) -> dict[str, Any]:
    low, high = sorted(draw(st.lists(positive, min_size=2, max_size=2, unique_by=float)), key=float)
    return {
        "samplingRateHz": draw(positive),
        "windowSize": draw(st.integers(1, 10000)),
        "filterMin": low,
        "filterMax": high,
    }


def _config() -> PipelineConfig:
    return PipelineConfig(100.0, 10, 20.0, 80.0)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _toml(values: dict[str, Any]) -> str:
    return "".join(f"{key} = {value!r}\n" for key, value in values.items())


# -- slide 7, verbatim ----------------------------------------------------------------------


def test_slide_7_a_valid_config_works() -> None:
    config = PipelineConfig(100.0, 10, 20.0, 80.0)  # valid — works
    assert config.asDict() == VALID


def test_slide_7_window_size_zero_raises_immediately() -> None:
    config = PipelineConfig(100.0, 10, 20.0, 80.0)
    with pytest.raises(ValueError, match=r"must be in \[1, 10000\]"):
        config.windowSize = 0
    assert config.windowSize == 10


def test_slide_7_a_string_rate_raises_immediately() -> None:
    config = PipelineConfig(100.0, 10, 20.0, 80.0)
    with pytest.raises(TypeError, match="must be numeric"):
        config.samplingRateHz = "fast"
    assert config.samplingRateHz == 100.0


def test_slide_5_nonsense_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match=r"^PipelineConfig\.samplingRateHz must be > 0, got -5$"):
        PipelineConfig(samplingRateHz=-5, windowSize=0, filterMin=90.0, filterMax=10.0)


def test_the_class_reads_like_slide_7() -> None:
    assert [type(PipelineConfig.__dict__[name]).__name__ for name in FIELDS] == [
        "PositiveFloat",
        "BoundedInt",
        "PositiveFloat",
        "PositiveFloat",
    ]
    assert repr(PipelineConfig.windowSize) == "BoundedInt(1, 10000)"


# -- every field, any value -----------------------------------------------------------------


def _isValid(field: str, value: Any, current: dict[str, Any]) -> bool:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    if field == "windowSize":
        return isinstance(value, int) and 1 <= value <= 10000
    try:
        number = float(value)
    except OverflowError:
        return False
    if not (math.isfinite(number) and number > 0):
        return False
    bounds = {**current, field: number}
    return bool(bounds["filterMin"] < bounds["filterMax"])


@settings(max_examples=150)
@given(st.sampled_from(FIELDS), anything)
def test_any_assignment_is_stored_or_refused_leaving_the_config_unchanged(
    field: str, value: Any
) -> None:
    config = _config()
    before = config.asDict()
    if _isValid(field, value, before):
        setattr(config, field, value)
        # What is stored is the field's type: an int given to a float field is stored as
        # float(value), which for a large int (2**53 + 1) is not equal to the int itself.
        expected = value if field == "windowSize" else float(value)
        assert config.asDict() == {**before, field: expected}
        assert type(getattr(config, field)) is type(before[field])
        return
    with pytest.raises((TypeError, ValueError)) as raised:
        setattr(config, field, value)
    message = str(raised.value)
    assert message.startswith("PipelineConfig"), message
    assert field in message, message
    assert shortRepr(value) in message or repr(float(value)) in message, message
    assert config.asDict() == before


@pytest.mark.parametrize(
    ("field", "value", "error", "message"),
    [
        ("windowSize", 0, ValueError, ".windowSize must be in [1, 10000], got 0"),
        ("windowSize", 10001, ValueError, ".windowSize must be in [1, 10000], got 10001"),
        ("windowSize", 10.0, TypeError, ".windowSize must be an int, got 10.0"),
        ("windowSize", True, TypeError, ".windowSize must be an int, got True"),
        ("samplingRateHz", "fast", TypeError, ".samplingRateHz must be numeric, got 'fast'"),
        ("samplingRateHz", False, TypeError, ".samplingRateHz must be numeric, got False"),
        ("samplingRateHz", -5, ValueError, ".samplingRateHz must be > 0, got -5"),
        (
            "samplingRateHz",
            math.nan,
            ValueError,
            ".samplingRateHz must be a finite number, got nan",
        ),
        ("filterMax", math.inf, ValueError, ".filterMax must be a finite number, got inf"),
        ("filterMin", -math.inf, ValueError, ".filterMin must be a finite number, got -inf"),
        ("filterMin", 0.0, ValueError, ".filterMin must be > 0, got 0.0"),
        ("filterMin", 80, ValueError, ": filterMin must be < filterMax, got 80.0 >= 80.0"),
        ("filterMax", 5, ValueError, ": filterMin must be < filterMax, got 20.0 >= 5.0"),
    ],
)
def test_every_message_names_class_field_expectation_and_value(
    field: str, value: Any, error: type[Exception], message: str
) -> None:
    config = _config()
    with pytest.raises(error) as raised:
        setattr(config, field, value)
    assert str(raised.value) == "PipelineConfig" + message
    assert config.asDict() == VALID


def test_inverted_or_equal_bounds_are_refused_at_construction() -> None:
    with pytest.raises(ValueError, match=r"filterMin must be < filterMax, got 90\.0 >= 10\.0"):
        PipelineConfig(100.0, 10, 90.0, 10.0)
    with pytest.raises(ValueError, match=r"got 50\.0 >= 50\.0"):
        PipelineConfig(100.0, 10, 50.0, 50.0)


def test_an_int_for_a_float_field_is_stored_as_float() -> None:
    config = PipelineConfig(100, 10, 20, 80)
    assert [type(value) for value in config.asDict().values()] == [float, int, float, float]


def test_replace_changes_both_bounds_at_once_and_leaves_the_original_alone() -> None:
    config = _config()
    moved = config.replace(filterMin=90.0, filterMax=120.0)
    assert (moved.filterMin, moved.filterMax) == (90.0, 120.0)
    assert config.asDict() == VALID
    with pytest.raises(ValueError, match="filterMin must be < filterMax"):
        config.replace(filterMin=90.0)


# -- values out: asDict, repr, equality -------------------------------------------------------


def test_repr_reads_back_as_an_equal_config() -> None:
    config = _config()
    assert repr(config) == (
        "PipelineConfig(samplingRateHz=100.0, windowSize=10, filterMin=20.0, filterMax=80.0)"
    )
    assert eval(repr(config)) == config  # the test may eval; the library never does


def test_equality_compares_values_and_configs_are_not_hashable() -> None:
    assert _config() == _config()
    assert _config() != _config().replace(windowSize=11)
    assert _config() != VALID
    with pytest.raises(TypeError, match="unhashable"):
        hash(_config())


@settings(max_examples=100)
@given(validConfigs())
def test_valid_configs_round_trip_through_dicts_toml_and_json(values: dict[str, Any]) -> None:
    config = PipelineConfig(**values)
    assert PipelineConfig.fromDict(config.asDict()) == config
    with tempfile.TemporaryDirectory() as folder:
        tomlPath = _write(Path(folder), "config.toml", _toml(config.asDict()))
        jsonPath = _write(Path(folder), "config.json", json.dumps(config.asDict()))
        assert PipelineConfig.fromFile(tomlPath) == config
        assert PipelineConfig.fromFile(jsonPath) == config


# -- every problem at once ----------------------------------------------------------------------


def test_from_dict_lists_every_problem_at_once_one_per_line() -> None:
    with pytest.raises(ConfigError) as raised:
        PipelineConfig.fromDict(
            {"samplingRateHz": "fast", "windowsize": 10, "filterMin": 90.0, "filterMax": 10.0}
        )
    error = raised.value
    assert isinstance(error, ValueError)
    assert error.path is None
    assert error.problems == [
        "PipelineConfig has no field 'windowsize'; did you mean 'windowSize'? "
        "(fields: samplingRateHz, windowSize, filterMin, filterMax)",
        "PipelineConfig.samplingRateHz must be numeric, got 'fast'",
        "PipelineConfig.windowSize is missing (expected an int in [1, 10000])",
        "PipelineConfig: filterMin must be < filterMax, got 90.0 >= 10.0",
    ]
    assert str(error).splitlines() == [
        "invalid configuration: 4 problems",
        *(f"  - {problem}" for problem in error.problems),
    ]


def test_every_missing_key_is_reported_with_what_was_expected() -> None:
    with pytest.raises(ConfigError) as raised:
        PipelineConfig.fromDict({})
    assert raised.value.problems == [
        "PipelineConfig.samplingRateHz is missing (expected a number > 0)",
        "PipelineConfig.windowSize is missing (expected an int in [1, 10000])",
        "PipelineConfig.filterMin is missing (expected a number > 0)",
        "PipelineConfig.filterMax is missing (expected a number > 0)",
    ]


def test_an_unknown_key_with_nothing_close_gets_no_guess() -> None:
    with pytest.raises(ConfigError) as raised:
        PipelineConfig.fromDict({**VALID, "colour": "blue"})
    assert raised.value.problems == [
        "PipelineConfig has no field 'colour' (fields: samplingRateHz, windowSize, filterMin, "
        "filterMax)"
    ]


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("windowsize", "windowSize"), ("filterMn", "filterMin"), ("samplingRate", "samplingRateHz")],
)
def test_did_you_mean_suggests_the_closest_field(typo: str, meant: str) -> None:
    assert didYouMean(typo, FIELDS) == f"; did you mean {meant!r}?"


def test_a_mapping_is_required() -> None:
    with pytest.raises(ConfigError) as raised:
        PipelineConfig.fromDict([1, 2])  # type: ignore[arg-type]
    assert raised.value.problems == [
        "PipelineConfig needs a table of field names to values, got [1, 2]"
    ]


def test_a_string_is_data_never_code() -> None:
    with pytest.raises(ConfigError, match=r"must be numeric, got '__import__\(\"os\"\)'"):
        PipelineConfig.fromDict({**VALID, "samplingRateHz": '__import__("os")'})


def test_a_caller_can_add_its_own_problems_to_the_listing() -> None:
    error = ConfigError(["PipelineConfig.windowSize must be in [1, 10000], got 0"], "run.toml")
    error.problems.append("sink: missing")
    assert str(error) == (
        "run.toml: 2 problems\n"
        "  - PipelineConfig.windowSize must be in [1, 10000], got 0\n"
        "  - sink: missing"
    )


def test_config_error_survives_pickling() -> None:
    error = ConfigError(["a", "b"], "config.toml")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.problems, copy.path, str(copy)) == (error.problems, error.path, str(error))


# -- files ------------------------------------------------------------------------------------


def test_file_problems_are_listed_under_the_files_path(tmp_path: Path) -> None:
    path = _write(tmp_path, "config.toml", "samplingRateHz = inf\nwindowSize = true\n")
    with pytest.raises(ConfigError) as raised:
        PipelineConfig.fromFile(path)
    error = raised.value
    assert error.path == path
    assert str(error).splitlines() == [
        f"{path}: 4 problems",
        "  - PipelineConfig.samplingRateHz must be a finite number, got inf",
        "  - PipelineConfig.windowSize must be an int, got True",
        "  - PipelineConfig.filterMin is missing (expected a number > 0)",
        "  - PipelineConfig.filterMax is missing (expected a number > 0)",
    ]


def test_a_toml_syntax_error_gives_path_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "config.toml", "samplingRateHz = 100.0\nwindowSize = = 10\n")
    with pytest.raises(ConfigError) as raised:
        PipelineConfig.fromFile(str(path))
    assert raised.value.path == path
    assert raised.value.problems == ["line 2, column 14: invalid TOML: Invalid value"]
    assert str(raised.value).startswith(f"{path}: 1 problem\n")


def test_a_json_syntax_error_gives_path_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "config.json", '{"samplingRateHz": 100.0,\n "windowSize": 10\n}x')
    with pytest.raises(ConfigError) as raised:
        PipelineConfig.fromFile(path)
    assert raised.value.problems == ["line 3, column 2: invalid JSON: Extra data"]
    assert str(path) in str(raised.value)


def test_a_json_key_given_twice_is_a_problem_not_a_silent_overwrite(tmp_path: Path) -> None:
    text = json.dumps(VALID)[:-1] + ', "windowSize": 5}'
    with pytest.raises(ConfigError) as raised:
        PipelineConfig.fromFile(_write(tmp_path, "config.json", text))
    assert raised.value.problems == ["key 'windowSize' appears twice"]


def test_a_json_document_that_is_not_an_object_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a table of field names to values, got None"):
        PipelineConfig.fromFile(_write(tmp_path, "config.json", "null"))


def test_a_byte_order_mark_is_not_a_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(VALID).encode())
    assert PipelineConfig.fromFile(path) == _config()


def test_a_missing_file_is_named_with_its_full_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError) as raised:
        PipelineConfig.fromFile(path)
    assert raised.value.path == path
    assert raised.value.problems == [f"no such file (looked for {path})"]


def test_an_unknown_file_type_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unsupported file type '\.yaml'"):
        PipelineConfig.fromFile(tmp_path / "config.yaml")
    with pytest.raises(ConfigError, match=r"no file type: name the file \.toml or \.json"):
        PipelineConfig.fromFile(tmp_path / "config")


def test_a_directory_or_undecodable_file_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(ConfigError, match="cannot read the file"):
        PipelineConfig.fromFile(tmp_path / "dir.toml")
    (tmp_path / "latin.toml").write_bytes(b"windowSize = 10 # caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        PipelineConfig.fromFile(tmp_path / "latin.toml")


# -- the config drives the engine ---------------------------------------------------------------


def test_the_config_builds_the_built_in_stages_in_pipeline_order() -> None:
    stages = _config().stages()
    assert [type(stage) for stage in stages] == [ThresholdFilter, Normalizer, WindowAverage]
    threshold, normalizer, window = stages
    assert isinstance(threshold, ThresholdFilter) and isinstance(normalizer, Normalizer)
    assert (threshold.filterMin, threshold.filterMax) == (20.0, 80.0)
    assert (normalizer.valueMin, normalizer.valueMax) == (20.0, 80.0)
    assert isinstance(window, WindowAverage) and window.windowSize == 10


def test_the_config_builds_a_sensor_source_at_its_sampling_rate() -> None:
    source = _config().sensorSource(count=30, seed=4, sensorIds=["a"])
    assert (source.count, source.seed, source.sensorIds, source.samplingRateHz) == (
        30,
        4,
        ("a",),
        100.0,
    )
    assert _config().sensorSource().sensorIds == SensorSource().sensorIds


def test_a_pipeline_built_from_the_config_equals_one_built_by_hand() -> None:
    config = _config()
    byConfig, byHand = ListSink(), ListSink()
    with PipelineContext(config.sensorSource(count=300, seed=2)) as ctx:
        ctx.run(stages=config.stages(), sink=byConfig)
    source = SensorSource(count=300, seed=2, samplingRateHz=100.0)
    with PipelineContext(source) as ctx:
        ctx.run(
            stages=[ThresholdFilter(20.0, 80.0), Normalizer(20.0, 80.0), WindowAverage(10)],
            sink=byHand,
        )
    assert byConfig.records == byHand.records and byConfig.records


# -- a typo is refused, not stored as a new attribute (slide 5's late error) ----------------


class SubclassedConfig(PipelineConfig):
    """A course-style subclass: the same machinery, so the same refusal."""


@pytest.mark.parametrize("configClass", [PipelineConfig, SubclassedConfig])
def test_a_misspelt_field_is_an_attribute_error_with_a_did_you_mean(configClass: type) -> None:
    config = configClass(100.0, 10, 20.0, 80.0)
    with pytest.raises(AttributeError) as raised:
        config.windowsize = 0
    assert str(raised.value) == (
        f"{configClass.__name__} has no field 'windowsize'; did you mean 'windowSize'? "
        "(fields: samplingRateHz, windowSize, filterMin, filterMax)"
    )
    assert not hasattr(config, "windowsize")
    assert config.windowSize == 10


@given(st.text(min_size=1).filter(lambda name: not name.startswith("_")))
def test_any_name_that_is_not_a_field_is_refused(name: str) -> None:
    config = _config()
    if hasattr(PipelineConfig, name):
        return
    with pytest.raises(AttributeError, match=r"^PipelineConfig has no field "):
        setattr(config, name, 1)
    assert config.asDict() == VALID


def test_assigning_a_huge_int_names_class_field_and_a_shortened_value() -> None:
    config = _config()
    with pytest.raises(ValueError) as raised:
        config.windowSize = 10**5000
    assert str(raised.value) == (
        "PipelineConfig.windowSize must be in [1, 10000], "
        "got 1000000000...0000000000 (an int of 5001 digits)"
    )


# -- malformed files and hostile values: one ConfigError, never a raw exception -------------


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, "invalid JSON: nested too deeply"),
        ("deep.toml", "x = " + "[" * 100_000 + "]" * 100_000, "invalid TOML: nested too deeply"),
        (
            "huge.json",
            '{"windowSize": 1' + "0" * 5000 + "}",
            "invalid JSON: Exceeds the limit (4300 digits) for integer string conversion",
        ),
        (
            "huge.toml",
            "windowSize = 1" + "0" * 5000 + "\n",
            "invalid TOML: Exceeds the limit (4300 digits) for integer string conversion",
        ),
    ],
)
def test_a_malformed_file_is_one_config_error_naming_the_file(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(ConfigError) as raised:
        PipelineConfig.fromFile(path)
    assert raised.value.path == path
    assert len(raised.value.problems) == 1
    assert raised.value.problems[0].startswith(problem), raised.value.problems


@settings(max_examples=50)
@given(st.sampled_from(FIELDS), hostileValues)
def test_any_hostile_value_in_a_dict_is_one_config_error(field: str, value: Any) -> None:
    with pytest.raises(ConfigError) as raised:
        PipelineConfig.fromDict({**VALID, field: value})
    assert len(raised.value.problems) == 1
    assert f"PipelineConfig.{field}" in raised.value.problems[0]
    assert len(str(raised.value)) < 300


def test_a_value_whose_repr_raises_is_listed_not_leaked() -> None:
    with pytest.raises(ConfigError) as raised:
        PipelineConfig.fromDict({**VALID, "samplingRateHz": BrokenRepr()})
    assert raised.value.problems == [
        "PipelineConfig.samplingRateHz must be numeric, got <a BrokenRepr whose repr() raised "
        "RuntimeError>"
    ]
    with pytest.raises(ConfigError, match="needs a table of field names to values"):
        PipelineConfig.fromDict(BrokenRepr())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="has no field <a BrokenRepr whose repr"):
        PipelineConfig.fromDict({**VALID, BrokenRepr(): 1})  # type: ignore[dict-item]


# -- the Hypothesis profiles: reproducible in CI, exploring locally -------------------------


def test_ci_runs_property_tests_derandomized_and_prints_the_seed_blob() -> None:
    assert hypothesisProfile({"CI": "true"}) == "ci"
    assert hypothesisProfile({}) == "dev"
    assert hypothesisProfile({"CI": "true", "HYPOTHESIS_PROFILE": "dev"}) == "dev"
    ci, dev = settings.get_profile("ci"), settings.get_profile("dev")
    assert ci.derandomize and ci.print_blob
    assert not dev.derandomize and dev.print_blob

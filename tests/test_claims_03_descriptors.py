"""Notebook 03's claims, each shown without the notebook: Python's descriptor protocol as
the lesson explains it, the holes of slide 6's validators, and what the engine does instead.
"""

from __future__ import annotations

import math
import re
from collections import deque
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pipeline_lib
from pipeline_lib import ConfigError, PipelineConfig

# -- slide 6's validators, as the notebook writes them --------------------------------------


class SlidePositiveFloat:
    def __set_name__(self, owner: type, name: str) -> None:
        self._name = f"_{name}"

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        return getattr(obj, self._name, None)

    def __set__(self, obj: Any, value: Any) -> None:
        if not isinstance(value, (int, float)):
            raise TypeError(f"{self._name[1:]} must be numeric, got {value!r}")
        if value <= 0:
            raise ValueError(f"{self._name[1:]} must be > 0, got {value!r}")
        setattr(obj, self._name, float(value))


class SlideBoundedInt:
    def __init__(self, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = f"_{name}"

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        return getattr(obj, self._name, None)

    def __set__(self, obj: Any, value: Any) -> None:
        if not isinstance(value, int):
            raise TypeError(f"{self._name[1:]} must be an int, got {value!r}")
        if not self.lo <= value <= self.hi:
            raise ValueError(f"{self._name[1:]} must be in [{self.lo}, {self.hi}], got {value!r}")
        setattr(obj, self._name, value)


class SlideConfig:
    samplingRateHz = SlidePositiveFloat()
    windowSize = SlideBoundedInt(1, 10000)
    filterMin = SlidePositiveFloat()
    filterMax = SlidePositiveFloat()

    def __init__(self, samplingRateHz: Any, windowSize: Any, filterMin: Any, filterMax: Any):
        self.samplingRateHz = samplingRateHz
        self.windowSize = windowSize
        self.filterMin = filterMin
        self.filterMax = filterMax


# -- the protocol -------------------------------------------------------------------------


def test_set_name_runs_once_per_attribute_after_the_class_body_in_definition_order() -> None:
    events: list[str] = []

    class Announced:
        def __set_name__(self, owner: type, name: str) -> None:
            events.append(f"{owner.__name__}.{name}")

    class Settings:
        events.append("body")
        windowSize = Announced()
        filterMin = Announced()
        events.append("body done")

    assert events == ["body", "body done", "Settings.windowSize", "Settings.filterMin"]


def test_without_set_an_assignment_skips_the_descriptor_and_hides_it() -> None:
    """A non-data descriptor: the instance dictionary wins over it."""

    class Readable:
        def __get__(self, obj: Any, objtype: Any = None) -> Any:
            return "from the descriptor" if obj is not None else self

    class Settings:
        windowSize = Readable()

    settings = Settings()
    assert settings.windowSize == "from the descriptor"
    settings.windowSize = 0  # unchecked, into the instance's own dictionary
    assert vars(settings) == {"windowSize": 0} and settings.windowSize == 0


def test_with_set_every_assignment_goes_through_the_descriptor() -> None:
    """A data descriptor wins over the instance dictionary, even one written directly."""

    class Sensor:
        rateHz = SlidePositiveFloat()

    sensor = Sensor()
    sensor.rateHz = 50
    assert sensor.rateHz == 50.0 and vars(sensor) == {"_rateHz": 50.0}
    sensor.__dict__["rateHz"] = -1  # under the public name: never read back
    assert sensor.rateHz == 50.0
    with pytest.raises(ValueError, match="must be > 0"):
        sensor.rateHz = -1


def test_storing_under_the_public_name_recurses_and_stores_nothing() -> None:
    class PublicStorage:
        def __set_name__(self, owner: type, name: str) -> None:
            self.name = name

        def __set__(self, obj: Any, value: Any) -> None:
            setattr(obj, self.name, value)

    class Broken:
        windowSize = PublicStorage()

    broken = Broken()
    with pytest.raises(RecursionError):
        broken.windowSize = 10
    assert vars(broken) == {}


def test_a_get_reading_the_public_name_recurses_too_and_the_dict_under_it_works() -> None:
    class PublicRead:
        def __set_name__(self, owner: type, name: str) -> None:
            self.name = name

        def __get__(self, obj: Any, objtype: Any = None) -> Any:
            return getattr(obj, self.name)

        def __set__(self, obj: Any, value: Any) -> None:
            obj.__dict__[self.name] = value  # works: the data descriptor still wins

    class Holder:
        windowSize = PublicRead()

    holder = Holder()
    holder.windowSize = 10
    assert holder.__dict__ == {"windowSize": 10}
    with pytest.raises(RecursionError):
        holder.windowSize  # noqa: B018


# -- what slide 6 and 7 let through ---------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("samplingRateHz", math.nan, math.nan),
        ("samplingRateHz", True, 1.0),
        ("filterMax", math.inf, math.inf),
        ("windowSize", True, True),
    ],
)
def test_the_slides_validators_accept_nan_true_and_inf_the_engine_refuses_each(
    field: str, value: Any, stored: Any
) -> None:
    slide = SlideConfig(100.0, 10, 20.0, 80.0)
    setattr(slide, field, value)
    got = getattr(slide, field)
    assert got is stored or got == stored or (math.isnan(got) and math.isnan(stored))
    engine = PipelineConfig(100.0, 10, 20.0, 80.0)
    with pytest.raises((TypeError, ValueError), match=f"PipelineConfig.{field}"):
        setattr(engine, field, value)
    assert engine == PipelineConfig(100.0, 10, 20.0, 80.0)


def test_inverted_bounds_pass_the_slides_per_field_checks() -> None:
    inverted = SlideConfig(100.0, 10, 90.0, 10.0)
    assert (inverted.filterMin, inverted.filterMax) == (90.0, 10.0)


@given(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=0.001, max_value=1e6),
    st.floats(min_value=0.0, max_value=1e6),
)
def test_a_nan_or_inverted_bound_silently_keeps_no_reading(
    value: float, low: float, gap: float
) -> None:
    """Any reading, any inverted pair: `filterMin <= value <= filterMax` is never true."""
    assert not (low <= value <= math.nan)
    assert not (math.nan <= value <= low)
    high = low - gap - 0.001
    assert not (low <= value <= high)


def test_a_zero_window_fails_only_once_a_reading_reaches_it() -> None:
    def windowAverage(values: list[float], size: int) -> list[float]:
        window: deque[float] = deque(maxlen=size)
        out = []
        for value in values:
            window.append(value)
            if len(window) == size:
                out.append(sum(window) / size)
        return out

    assert windowAverage([], 0) == []  # the inverted filter let nothing through: "completed"
    with pytest.raises(ZeroDivisionError):
        windowAverage([50.0], 0)


# -- the engine's config -------------------------------------------------------------------


def test_moving_both_bounds_one_at_a_time_depends_on_the_order() -> None:
    config = PipelineConfig(100.0, 10, 20.0, 80.0)
    with pytest.raises(
        ValueError, match=re.escape("filterMin must be < filterMax, got 90.0 >= 80.0")
    ):
        config.filterMin = 90.0
    assert config == PipelineConfig(100.0, 10, 20.0, 80.0)
    config.filterMax = 120.0  # upper bound first: each step is valid
    config.filterMin = 90.0
    assert config == PipelineConfig(100.0, 10, 90.0, 120.0)


def test_a_value_under_a_misspelt_key_is_judged_only_once_the_name_is_fixed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sensor_ingest.toml"
    path.write_text(
        "samplingRateHz = 100\nwindowsize = 0\nfilterMin = 20\nfilterMax = 80\n", "utf-8"
    )
    with pytest.raises(ConfigError) as typo:
        PipelineConfig.fromFile(path)
    assert not any("must be in [1, 10000]" in p for p in typo.value.problems)
    path.write_text(path.read_text("utf-8").replace("windowsize", "windowSize"), "utf-8")
    with pytest.raises(ConfigError) as fixed:
        PipelineConfig.fromFile(path)
    assert fixed.value.problems == ["PipelineConfig.windowSize must be in [1, 10000], got 0"]


def test_the_engine_stages_refuse_a_zero_window_themselves() -> None:
    with pytest.raises(ValueError, match=re.escape("WindowAverage.windowSize must be >= 1, got 0")):
        pipeline_lib.WindowAverage(0)

"""Built-in stages: what they keep, how they rescale, how they smooth."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline_lib import Normalizer, SensorReading, ThresholdFilter, WindowAverage

values = st.floats(-1e6, 1e6, allow_nan=False)


def _readings(vals: list[float], sensor: str = "s") -> list[SensorReading]:
    return [SensorReading(sensor, float(i), v) for i, v in enumerate(vals)]


@given(st.lists(st.one_of(values, st.just(math.nan))))
def test_threshold_filter_keeps_exactly_the_values_in_range(vals: list[float]) -> None:
    kept = [r.value for r in ThresholdFilter(-10.0, 10.0).process(iter(_readings(vals)))]
    assert kept == [v for v in vals if -10.0 <= v <= 10.0]


def test_normalizer_maps_the_bounds_to_zero_and_one() -> None:
    out = [r.value for r in Normalizer(20.0, 80.0).process(iter(_readings([20.0, 50.0, 80.0])))]
    assert out == [0.0, 0.5, 1.0]


@given(st.lists(values, max_size=60), st.integers(1, 8))
def test_window_average_matches_the_mean_of_the_last_window(vals: list[float], size: int) -> None:
    out = [r.value for r in WindowAverage(size).process(iter(_readings(vals)))]
    expected = [math.fsum(vals[i - size + 1 : i + 1]) / size for i in range(size - 1, len(vals))]
    assert out == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_window_average_keeps_sensors_apart() -> None:
    mixed = [
        SensorReading("a", 0.0, 10.0),
        SensorReading("b", 0.0, 100.0),
        SensorReading("a", 1.0, 20.0),
        SensorReading("b", 1.0, 200.0),
    ]
    out = list(WindowAverage(2).process(iter(mixed)))
    assert [(r.sensorId, r.value) for r in out] == [("a", 15.0), ("b", 150.0)]


@pytest.mark.parametrize(
    ("factory", "error", "message"),
    [
        (lambda: ThresholdFilter(80.0, 20.0), ValueError, "filterMin must be < filterMax"),
        (lambda: ThresholdFilter("a", 20.0), TypeError, r"filterMin must be numeric"),
        (lambda: ThresholdFilter(0.0, math.inf), ValueError, "filterMax must be a finite"),
        (lambda: Normalizer(1.0, 1.0), ValueError, "valueMin must be < valueMax"),
        (lambda: WindowAverage(0), ValueError, "WindowAverage.windowSize"),
        (lambda: WindowAverage(True), TypeError, "WindowAverage.windowSize"),
    ],
)
def test_bad_stage_arguments_are_rejected_with_a_clear_message(
    factory: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        factory()  # type: ignore[operator]


def test_stage_arguments_stay_valid_after_construction() -> None:
    threshold, window = ThresholdFilter(20.0, 80.0), WindowAverage(3)
    with pytest.raises(ValueError, match=r"^ThresholdFilter: filterMin must be < filterMax"):
        threshold.filterMin = 90.0
    with pytest.raises(TypeError, match=r"^WindowAverage\.windowSize must be an int, got 2\.5$"):
        window.windowSize = 2.5  # type: ignore[assignment]
    assert (threshold.filterMin, threshold.filterMax, window.windowSize) == (20.0, 80.0, 3)


def test_stages_that_build_readings_build_true_sensor_readings() -> None:
    readings = [SensorReading("a", float(t), 10.0 * t) for t in range(6)]
    for stage in (Normalizer(0.0, 100.0), WindowAverage(2)):
        out = list(stage.process(iter(readings)))
        assert out and {type(r) for r in out} == {SensorReading}
        assert all(r.sensorId == "a" and len(r) == 3 for r in out)
    assert list(Normalizer(0.0, 100.0).process(iter(readings)))[1] == SensorReading("a", 1.0, 0.1)

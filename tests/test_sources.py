"""Built-in sources: deterministic, resumable, clear about bad input."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_lib import CsvSink, CsvSource, SensorReading, SensorSource, SqliteSink, SqliteSource
from pipeline_lib.resume import isResumable


def test_sensor_source_is_deterministic_for_a_seed_and_differs_across_seeds() -> None:
    first = list(SensorSource(count=500, seed=42).stream())
    assert first == list(SensorSource(count=500, seed=42).stream())
    assert first != list(SensorSource(count=500, seed=43).stream())
    assert len(first) == 500 and all(isinstance(r, SensorReading) for r in first)


def test_sensor_source_has_noise_spikes_and_dropouts() -> None:
    readings = list(SensorSource(count=6000, seed=5, sensorIds=["a", "b"]).stream())
    values = [r.value for r in readings]
    assert len(set(values)) > 5000  # noisy, not constant
    assert any(v < 0 or v > 110 for v in values)  # spikes far outside the normal band
    period = 1 / 10.0
    for sensor in "ab":
        times = [r.timestamp for r in readings if r.sensorId == sensor]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert max(gaps) > 2.5 * period  # a dropout: several samples missing
    assert all(math.isfinite(v) for v in values)


def test_sensor_source_timestamps_follow_the_sampling_rate() -> None:
    readings = list(SensorSource(count=4, seed=1, sensorIds=["x"], samplingRateHz=4.0).stream())
    assert all(round(r.timestamp * 4, 6).is_integer() for r in readings)


@settings(max_examples=60, deadline=None)
@given(count=st.integers(0, 300), k=st.integers(0, 320), seed=st.integers(0, 10))
def test_every_builtin_source_resumes_exactly_after_k(count: int, k: int, seed: int) -> None:
    source = SensorSource(count=count, seed=seed)
    full = list(source.stream())
    assert list(source.stream(resumeAfter=k)) == full[k:]


def test_csv_and_sqlite_sources_resume_after_k(tmp_path: Path) -> None:
    readings = list(SensorSource(count=40, seed=2).stream())
    CsvSink(tmp_path / "r.csv").consume(readings)
    SqliteSink(tmp_path / "r.sqlite").consume(readings)
    for source in (CsvSource(tmp_path / "r.csv"), SqliteSource(tmp_path / "r.sqlite")):
        assert isResumable(source.stream)
        assert list(source.stream()) == readings
        assert list(source.stream(resumeAfter=17)) == readings[17:]
        assert list(source.stream(resumeAfter=99)) == []


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"count": -1}, ValueError, r"SensorSource\.count must be an int >= 0, got -1"),
        ({"count": True}, TypeError, r"SensorSource\.count must be an int, got True"),
        ({"count": "10"}, TypeError, r"SensorSource\.count must be an int, got '10'"),
        ({"sensorIds": []}, ValueError, r"SensorSource\.sensorIds must be a non-empty list"),
        ({"sensorIds": ["a", ""]}, ValueError, r"SensorSource\.sensorIds must be a non-empty"),
        ({"sensorIds": "abc"}, TypeError, r"SensorSource\.sensorIds must be a list of names"),
        ({"sensorIds": 3}, TypeError, r"SensorSource\.sensorIds must be a list of names"),
        ({"samplingRateHz": 0}, ValueError, r"SensorSource\.samplingRateHz must be a positive"),
        ({"samplingRateHz": float("nan")}, ValueError, r"SensorSource\.samplingRateHz"),
        ({"samplingRateHz": "fast"}, TypeError, r"SensorSource\.samplingRateHz must be a number"),
    ],
)
def test_sensor_source_refuses_a_wrong_kind_with_type_error_a_bad_value_with_value_error(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        SensorSource(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: CsvSource(3), TypeError, r"CsvSource\.path must be a file path, got 3"),
        (lambda: SqliteSource(3.5), TypeError, r"SqliteSource\.database must be a file path"),
        (
            lambda: SqliteSource("db.sqlite", table=1),
            TypeError,
            r"SqliteSource\.table must be a str",
        ),
        (
            lambda: SqliteSink("db.sqlite", table=None),
            TypeError,
            r"SqliteSink\.table must be a str",
        ),
        (lambda: SqliteSource("db.sqlite", table="a b"), ValueError, r"plain identifier"),
    ],
)
def test_file_sources_refuse_a_wrong_kind_with_type_error(
    make: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make()


def test_a_malformed_csv_row_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("sensorId,timestamp,value\na,0.0,1.5\nb,0.1,oops\n")
    stream = CsvSource(path).stream()
    assert next(stream) == SensorReading("a", 0.0, 1.5)
    with pytest.raises(ValueError, match=r"bad\.csv, line 3: .*must be numbers.*oops"):
        next(stream)


def test_a_csv_row_with_the_wrong_number_of_fields_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("sensorId,timestamp,value\na,0.0\n")
    with pytest.raises(ValueError, match=r"short\.csv, line 2: expected 3 fields, got 2"):
        list(CsvSource(path).stream())


def test_a_csv_without_the_header_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "noheader.csv"
    path.write_text("a,0.0,1.0\n")
    with pytest.raises(ValueError, match=r"noheader\.csv, line 1: expected the header"):
        list(CsvSource(path).stream())


def test_missing_files_and_databases_say_which(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        list(CsvSource(tmp_path / "nope.csv").stream())
    with pytest.raises(FileNotFoundError, match=r"nope\.sqlite"):
        list(SqliteSource(tmp_path / "nope.sqlite").stream())
    assert not (tmp_path / "nope.sqlite").exists()  # not silently created


def test_a_missing_table_says_which_table_and_database(tmp_path: Path) -> None:
    SqliteSink(tmp_path / "db.sqlite").consume([])
    with pytest.raises(ValueError, match=r"'other'.*db\.sqlite.*no such table"):
        list(SqliteSource(tmp_path / "db.sqlite", table="other").stream())


def test_sqlite_table_names_must_be_identifiers() -> None:
    with pytest.raises(ValueError, match=r"SqliteSource\.table must be a plain identifier"):
        SqliteSource("x.sqlite", table="readings; drop table readings")


def test_closing_a_csv_stream_early_closes_the_file(tmp_path: Path) -> None:
    from pipeline_lib import openFileDescriptors

    CsvSink(tmp_path / "r.csv").consume(SensorSource(count=10).stream())
    before = openFileDescriptors()
    stream = CsvSource(tmp_path / "r.csv").stream()
    next(stream)
    assert openFileDescriptors() == before + 1
    stream.close()
    assert openFileDescriptors() == before


def test_every_builtin_source_yields_true_sensor_readings(tmp_path: Path) -> None:
    """Built at C speed (tuple.__new__), a reading is still exactly a SensorReading."""
    expected = list(SensorSource(count=50, seed=3).stream())
    CsvSink(tmp_path / "r.csv").consume(iter(expected))
    SqliteSink(tmp_path / "r.sqlite").consume(iter(expected))
    for source in (
        SensorSource(count=50, seed=3),
        CsvSource(tmp_path / "r.csv"),
        SqliteSource(tmp_path / "r.sqlite"),
    ):
        readings = list(source.stream())
        assert readings == expected
        assert {type(r) for r in readings} == {SensorReading}
        assert all(len(r) == 3 and isinstance(r.value, float) for r in readings)
        assert [r._asdict() for r in readings[:2]] == [r._asdict() for r in expected[:2]]

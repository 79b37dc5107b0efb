"""SensorReading: an immutable record with attribute access (a NamedTuple: what that means)."""

from __future__ import annotations

import pickle
from collections import namedtuple
from pathlib import Path

import pytest

from pipeline_lib import CsvSource, Normalizer, SensorReading, WindowAverage


def test_a_reading_has_attribute_access_and_refuses_assignment() -> None:
    reading = SensorReading("temp-1", 0.5, 21.5)
    assert (reading.sensorId, reading.timestamp, reading.value) == ("temp-1", 0.5, 21.5)
    with pytest.raises(AttributeError):
        reading.value = 0.0  # type: ignore[misc]
    with pytest.raises(AttributeError):
        reading.unit = "C"  # type: ignore[attr-defined]  # no __dict__: stays small
    assert reading.value == 21.5


def test_a_reading_is_a_tuple_of_its_fields_as_its_docstring_says() -> None:
    reading = SensorReading("temp-1", 0.5, 21.5)
    sensorId, timestamp, value = reading
    assert (sensorId, timestamp, value) == ("temp-1", 0.5, 21.5)
    assert reading == ("temp-1", 0.5, 21.5) and hash(reading) == hash(("temp-1", 0.5, 21.5))
    assert reading._replace(value=0.0) == SensorReading("temp-1", 0.5, 0.0)
    assert reading._asdict() == {"sensorId": "temp-1", "timestamp": 0.5, "value": 21.5}
    assert pickle.loads(pickle.dumps(reading)) == reading


def test_built_in_stages_accept_any_record_with_the_three_attributes() -> None:
    Reading = namedtuple("Reading", "sensorId timestamp value")  # notebook 00's own record
    records = [Reading("a", float(t), 10.0 * t) for t in range(4)]
    normalized = list(Normalizer(0.0, 100.0).process(iter(records)))
    assert normalized == [SensorReading("a", float(t), t / 10) for t in range(4)]
    assert all(type(r) is SensorReading for r in normalized)
    smoothed = list(WindowAverage(2).process(iter(records)))
    assert smoothed == [SensorReading("a", float(t), 10.0 * t - 5.0) for t in range(1, 4)]


def test_an_error_thrown_into_a_csv_stream_is_not_reported_as_a_malformed_row(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r.csv"
    path.write_text("sensorId,timestamp,value\na,0.0,1.0\na,1.0,2.0\n", encoding="utf-8")
    stream = CsvSource(path).stream()
    next(stream)
    with pytest.raises(ValueError, match=r"^from downstream$"):
        stream.throw(ValueError("from downstream"))

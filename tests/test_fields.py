"""The built-ins' checked arguments are fields: one rule, at construction, at any later
assignment, and for ``--dry-run`` without an instance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline_lib import CsvSink, CsvSource, SensorSource, SqliteSink, SqliteSource
from pipeline_lib.validators import validatedFields


@pytest.mark.parametrize(
    ("make", "name", "bad"),
    [
        (lambda: SensorSource(), "count", -1),
        (lambda: SensorSource(), "sensorIds", "temp-1"),
        (lambda: SensorSource(), "samplingRateHz", 0),
        (lambda: CsvSource("in.csv"), "path", 3),
        (lambda: CsvSink("out.csv"), "path", ""),
        (lambda: SqliteSource("in.sqlite"), "table", "a b"),
        (lambda: SqliteSink("out.sqlite"), "database", 3.5),
    ],
)
def test_a_bad_value_is_refused_after_construction_too_and_the_old_one_kept(
    make: Any, name: str, bad: object
) -> None:
    component = make()
    before = getattr(component, name)
    with pytest.raises((TypeError, ValueError), match=rf"{type(component).__name__}\.{name}"):
        setattr(component, name, bad)
    assert getattr(component, name) == before


def test_the_field_normalises_what_the_component_stores() -> None:
    source = SensorSource(sensorIds=["a", "b"], samplingRateHz=5)
    assert source.sensorIds == ("a", "b") and source.samplingRateHz == 5.0
    assert CsvSink("out.csv").path == Path("out.csv")


def test_every_checked_argument_of_a_built_in_is_a_field() -> None:
    assert list(validatedFields(SensorSource)) == ["count", "sensorIds", "samplingRateHz"]
    for cls in (CsvSource, CsvSink):
        assert list(validatedFields(cls)) == ["path"]
    for cls in (SqliteSource, SqliteSink):
        assert list(validatedFields(cls)) == ["database", "table"]

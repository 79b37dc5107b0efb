"""Built-in sinks: all-or-nothing writes."""

from __future__ import annotations

import csv
import os
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_lib import CsvSink, CsvSource, ListSink, SensorReading, SensorSource, SqliteSink

READINGS = list(SensorSource(count=50, seed=9).stream())


def _failingAfter(k: int, error: BaseException) -> Iterator[SensorReading]:
    yield from READINGS[:k]
    raise error


def test_csv_sink_round_trips_through_csv_source(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert CsvSink(path).consume(iter(READINGS)) == len(READINGS)
    assert list(CsvSource(path).stream()) == READINGS


@settings(max_examples=30, deadline=None)
@given(k=st.integers(0, 50), interrupt=st.booleans())
def test_a_failed_csv_write_leaves_no_file_and_no_temporary_file(k: int, interrupt: bool) -> None:
    import tempfile

    error: BaseException = KeyboardInterrupt() if interrupt else OSError("upstream failed")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with pytest.raises(type(error)):
            CsvSink(folder / "out.csv").consume(_failingAfter(k, error))
        assert list(folder.iterdir()) == []


def test_a_failed_csv_write_keeps_the_previous_file_intact(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    CsvSink(path).consume(iter(READINGS[:5]))
    before = path.read_bytes()
    with pytest.raises(OSError):
        CsvSink(path).consume(_failingAfter(30, OSError("boom")))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_csv_sink_into_a_missing_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="missing"):
        CsvSink(tmp_path / "missing" / "out.csv").consume(iter(READINGS))


def _rows(path: Path, table: str = "readings") -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"select sensorId, timestamp, value from {table}").fetchall()
    finally:
        conn.close()


def test_sqlite_sink_writes_everything_in_one_transaction(tmp_path: Path) -> None:
    path = tmp_path / "out.sqlite"
    assert SqliteSink(path).consume(iter(READINGS)) == 50
    assert _rows(path) == [(r.sensorId, r.timestamp, r.value) for r in READINGS]


def test_sqlite_sink_rolls_back_everything_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "out.sqlite"
    SqliteSink(path).consume(iter(READINGS[:3]))
    with pytest.raises(OSError):
        SqliteSink(path).consume(_failingAfter(40, OSError("boom")))
    assert len(_rows(path)) == 3  # the earlier run's rows, nothing of the failed one


def test_sqlite_sink_binds_values_as_parameters(tmp_path: Path) -> None:
    path = tmp_path / "out.sqlite"
    evil = SensorReading("x'); DROP TABLE readings; --", 0.0, 1.0)
    SqliteSink(path).consume([evil])
    assert _rows(path) == [(evil.sensorId, 0.0, 1.0)]


def test_sqlite_sink_rejects_unsafe_table_names() -> None:
    with pytest.raises(ValueError, match=r"SqliteSink\.table must be a plain identifier"):
        SqliteSink("x.sqlite", table="a b")


def test_sqlite_sink_into_a_missing_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="missing"):
        SqliteSink(tmp_path / "missing" / "db.sqlite").consume([])


def test_list_sink_keeps_records_across_runs() -> None:
    sink = ListSink()
    assert sink.consume(iter(READINGS[:2])) == 2
    assert sink.consume(iter(READINGS[2:5])) == 3
    assert sink.records == READINGS[:5]


def test_csv_sink_output_has_the_permissions_of_a_normally_created_file(tmp_path: Path) -> None:
    import os
    import stat

    reference = tmp_path / "reference.csv"
    reference.write_text("")
    CsvSink(tmp_path / "out.csv").consume(iter(READINGS[:2]))
    mode = stat.S_IMODE(os.stat(tmp_path / "out.csv").st_mode)
    assert mode == stat.S_IMODE(os.stat(reference).st_mode)


# -- replacing a file keeps what the user set up: its mode, its symlink ----------------------


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o664])
def test_replacing_a_file_keeps_its_permissions(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old\n")
    path.chmod(mode)
    CsvSink(path).consume(SensorSource(count=3).stream())
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert path.read_text().startswith("sensorId,")


def test_a_symlink_is_written_through_to_its_target(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "out.csv"
    link.symlink_to(target)
    CsvSink(link).consume(SensorSource(count=3).stream())
    assert link.is_symlink() and link.resolve() == target
    assert target.read_text().startswith("sensorId,")
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["real.csv"]


def test_an_interrupt_as_the_rename_returns_reaches_the_caller_with_the_files_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    realReplace = os.replace

    def replaceThenInterrupt(source: str, destination: Any) -> None:
        realReplace(source, destination)
        raise KeyboardInterrupt  # Ctrl-C landing just as os.replace returns

    monkeypatch.setattr(os, "replace", replaceThenInterrupt)
    path = tmp_path / "out.csv"
    with pytest.raises(KeyboardInterrupt) as raised:
        CsvSink(path).consume(SensorSource(count=3).stream())
    assert raised.value.__notes__ == [f"CsvSink: {path} was completely written"]
    assert path.read_text().count("\n") == 4
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_sqlite_sink_writes_to_the_table_it_has_now(tmp_path: Path) -> None:
    """The table is a field: changing it after construction changes where rows go."""

    from pipeline_lib import SensorSource, SqliteSink, SqliteSource

    database = tmp_path / "db.sqlite"
    sink = SqliteSink(database, table="first")
    sink.table = "second"
    sink.consume(SensorSource(count=3).stream())
    with closing(sqlite3.connect(database)) as conn:
        tables = [row[0] for row in conn.execute("select name from sqlite_master")]
    assert tables == ["second"]
    source = SqliteSource(database, table="first")
    source.table = "second"
    assert len(list(source.stream())) == 3


class _ValueFirst(NamedTuple):
    """A record with the same fields as SensorReading, declared in another order."""

    value: float
    sensorId: str
    timestamp: float


class _Rescaled(SensorReading):
    """A SensorReading subclass whose ``value`` is not its third tuple item."""

    @property
    def value(self) -> float:  # type: ignore[override]
        return tuple.__getitem__(self, 2) * 10


@settings(max_examples=40, deadline=None)
@given(kinds=st.lists(st.sampled_from(["reading", "valueFirst", "rescaled"]), max_size=2100))
def test_csv_sink_writes_every_record_by_its_field_names_whatever_the_mix(
    kinds: list[str],
) -> None:
    """Batches of plain readings are written as they are; any other record by name."""

    def record(i: int, kind: str) -> Any:
        if kind == "valueFirst":
            return _ValueFirst(float(i), f"s{i}", i / 2)
        made = SensorReading(f"s{i}", i / 2, float(i))
        return _Rescaled(*made) if kind == "rescaled" else made

    records = [record(i, kind) for i, kind in enumerate(kinds)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "out.csv"
        assert CsvSink(path).consume(iter(records)) == len(records)
        with path.open(newline="") as file:
            rows = list(csv.reader(file))[1:]
    expected = [[r.sensorId, str(r.timestamp), str(r.value)] for r in records]
    assert rows == expected

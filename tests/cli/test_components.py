"""Building one component from a table: built-ins, your own classes, the protocol check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline_lib import CsvSink, SensorSource
from pipeline_lib.cli.components import (
    BUILTINS,
    BuildSettings,
    Problems,
    buildComponent,
    didYouMean,
    importObject,
)


def _build(table: dict[str, Any], role: Any = "source", **options: Any) -> tuple[Any, list[str]]:
    problems = Problems()
    built = buildComponent(
        table, role=role, where=role, problems=problems, settings=BuildSettings(**options)
    )
    return built, list(problems)


def test_every_built_in_is_registered_under_its_class_name() -> None:
    for role, builtins in BUILTINS.items():
        for name, builtin in builtins.items():
            assert builtin.factory.__name__ == name, role


def test_a_built_in_source_is_constructed_with_its_keywords() -> None:
    built, problems = _build({"type": "SensorSource", "count": 3, "seed": 9})
    assert problems == []
    assert isinstance(built.component, SensorSource)
    assert (built.component.count, built.component.seed) == (3, 9)
    assert built.builtin and built.typeName == "SensorSource"


def test_a_sink_reports_the_file_it_will_create(tmp_path: Path) -> None:
    built, _ = _build({"type": "CsvSink", "path": "a.csv"}, role="sink", baseFolder=tmp_path)
    assert isinstance(built.component, CsvSink)
    assert built.outputs == [tmp_path / "a.csv"]


def test_config_values_fill_only_missing_parameters() -> None:
    class Config:
        filterMin, filterMax, windowSize = 1.0, 2.0, 3

    built, _ = _build({"type": "ThresholdFilter", "filterMax": 9.0}, role="stage", config=Config())
    assert (built.component.filterMin, built.component.filterMax) == (1.0, 9.0)


def test_a_path_must_be_a_string() -> None:
    _, problems = _build({"type": "CsvSource", "path": 3})
    assert problems == ["source: CsvSource.path must be a file path, got 3"]  # the field's rule


def test_an_object_without_the_roles_method_is_refused() -> None:
    _, problems = _build({"type": "collections:OrderedDict"}, role="sink")
    assert problems == [
        "sink.type: 'collections:OrderedDict' is not a sink: it has no consume() method "
        "(the Sink protocol)"
    ]


def test_importing_never_evaluates_the_type_string() -> None:
    _, problems = _build({"type": "__import__('os').getcwd()"})
    assert problems[0].startswith("source.type: unknown source")


def test_import_object_reports_a_module_that_fails_to_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "explodes_on_import.py").write_text("1 / 0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportError, match="importing 'explodes_on_import' failed: ZeroDivision"):
        importObject("explodes_on_import:Anything")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Normaliser", "Normalizer"), ("windowsize", "windowSize"), ("filtermin", "filterMin")],
)
def test_did_you_mean_ignores_case_and_small_typos(name: str, expected: str) -> None:
    choices = ["Normalizer", "windowSize", "filterMin", "filterMax"]
    assert didYouMean(name, choices) == f"; did you mean {expected!r}?"

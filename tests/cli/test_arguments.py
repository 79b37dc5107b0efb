"""``--dry-run`` constructs nothing, and every mistake of a file is listed, once (issue 12).

Built-ins declare every argument they check as a field (``pipeline_lib.fields``), so a
file's values are checked with the constructor's own rules without calling it.
"""

from __future__ import annotations

import atexit
import copy
import functools
import inspect
import io
import math
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline_lib.cli import main
from pipeline_lib.cli.components import BUILTINS, BuildSettings, Problems, buildComponent
from pipeline_lib.cli.pipelinefile import PipelineFileError, loadPipeline

USER_MODULE = """
class Doubler:
    def __init__(self, factor=2):
        raise AssertionError("Doubler.__init__ ran")

    def process(self, inputStream):
        yield from inputStream
"""

BUILTIN_CLASSES = sorted(
    {builtin.factory for builtins in BUILTINS.values() for builtin in builtins.values()},
    key=lambda cls: cls.__name__,
)


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def constructed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every built-in's ``__init__`` spied on (signature kept): the names of those that ran."""
    calls: list[str] = []
    for cls in BUILTIN_CLASSES:
        original = cls.__init__

        @functools.wraps(original)
        def spy(self: Any, *args: Any, __name: str = cls.__name__, **kwargs: Any) -> None:
            calls.append(__name)
            raise AssertionError(f"{__name}.__init__ ran under --dry-run")

        monkeypatch.setattr(cls, "__init__", spy)
    yield calls
    sys.modules.pop("userstages", None)


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "userstages.py").write_text(USER_MODULE, encoding="utf-8")
    (tmp_path / "in.csv").write_text("sensorId,timestamp,value\n", encoding="utf-8")
    sqlite3.connect(tmp_path / "in.sqlite").close()
    return tmp_path


ALL_TYPES = [
    ('type = "SensorSource"\ncount = 5', 'type = "CsvSink"\npath = "out.csv"'),
    ('type = "CsvSource"\npath = "in.csv"', 'type = "SqliteSink"\ndatabase = "out.sqlite"'),
    ('type = "SqliteSource"\ndatabase = "in.sqlite"', 'type = "CsvSink"\npath = "out.csv"'),
]
STAGES = """
[[stages]]
type = "ThresholdFilter"
filterMin = 10.0
filterMax = 90.0

[[stages]]
type = "Normalizer"
valueMin = 0.0
valueMax = 100.0

[[stages]]
type = "WindowAverage"
windowSize = 3

[[stages]]
type = "userstages:Doubler"
factor = 3
"""


@pytest.mark.parametrize(("source", "sink"), ALL_TYPES)
def test_dry_run_runs_no_constructor_of_any_built_in_or_user_class(
    tmp_path: Path, constructed: list[str], source: str, sink: str
) -> None:
    folder = _folder(tmp_path)
    path = folder / "p.toml"
    path.write_text(f"[source]\n{source}\n{STAGES}\n[sink]\n{sink}\n", encoding="utf-8")
    before = sorted(p.name for p in folder.iterdir())
    status, out, err = _run("run", "--dry-run", str(path))
    assert status == 0, err
    assert constructed == []
    assert out.count("[checked, not constructed]") == 6
    assert out.count("measured as") == 4
    assert sorted(p.name for p in folder.iterdir() if p.name != "__pycache__") == before


def test_dry_run_reports_every_bad_value_without_constructing(
    tmp_path: Path, constructed: list[str]
) -> None:
    path = _folder(tmp_path) / "p.toml"
    path.write_text(
        '[source]\ntype = "SqliteSource"\ndatabase = "in.sqlite"\ntable = "no good"\n\n'
        '[[stages]]\ntype = "ThresholdFilter"\nfilterMin = 90.0\nfilterMax = 10.0\n\n'
        '[[stages]]\ntype = "WindowAverage"\nwindowSize = 0\n\n'
        '[[stages]]\ntype = "userstages:Doubler"\nfactr = 3\n\n'
        '[sink]\ntype = "CsvSink"\npath = ""\n',
        encoding="utf-8",
    )
    status, _, err = _run("run", "--dry-run", str(path))
    assert status == 2
    assert constructed == []
    for problem in (
        "source: SqliteSource.table must be a plain identifier (letters, digits, _), got 'no good'",
        "stages[0]: ThresholdFilter: filterMin must be < filterMax, got 90.0 >= 10.0",
        "stages[1]: WindowAverage.windowSize must be >= 1, got 0",
        "stages[2].factr: userstages:Doubler has no parameter 'factr'; did you mean 'factor'?",
        "sink: CsvSink.path must be a file path, got ''",
    ):
        assert problem in err, err
    assert "5 problems" in err


# -- the same rules as the constructor, for any arguments ------------------------------------

BAD_NUMBERS = [-3.0, 0, math.nan, math.inf, "low", True, 10**400]
POOLS: dict[str, list[Any]] = {
    "count": [0, 5, -1, True, "10", 2.5, 10**5000],
    "seed": [0, 7, "s"],
    "sensorIds": [["a", "b"], ["a"], [], "abc", 3, ["a", ""], [1]],
    "samplingRateHz": [10.0, 1, *BAD_NUMBERS],
    "filterMin": [20.0, 80.0, 50, *BAD_NUMBERS],
    "filterMax": [20.0, 80.0, 50, *BAD_NUMBERS],
    "valueMin": [0.0, 100.0, *BAD_NUMBERS],
    "valueMax": [0.0, 100.0, *BAD_NUMBERS],
    "windowSize": [1, 10, 0, -2, "ten", 2.0, True],
    "table": ["readings", "t_2", "bad name", "x;y", 1, None, ""],
    "path": ["PLACE/data.csv", 3, "", 2.5, ["a"]],
    "database": ["PLACE/data.sqlite", 3.5, None, ["a"]],
}
PLACE = Path(tempfile.mkdtemp(prefix="pipeline-arguments-"))  # Hypothesis runs outside tmp_path
atexit.register(shutil.rmtree, PLACE, ignore_errors=True)
(PLACE / "data.csv").write_text("sensorId,timestamp,value\n", encoding="utf-8")
sqlite3.connect(PLACE / "data.sqlite").close()


@st.composite
def builtinCalls(draw: st.DrawFn) -> tuple[str, type, dict[str, Any]]:
    role, name = draw(st.sampled_from([(r, n) for r, b in BUILTINS.items() for n in sorted(b)]))
    cls = BUILTINS[role][name].factory
    params: dict[str, Any] = {}
    for parameter in inspect.signature(cls).parameters:
        if draw(st.booleans()) or parameter in ("path", "database"):
            value = draw(st.sampled_from(POOLS[parameter]))
            params[parameter] = (
                value.replace("PLACE", str(PLACE)) if isinstance(value, str) else value
            )
    return role, cls, params


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(builtinCalls())
def test_dry_run_finds_a_problem_exactly_when_the_constructor_refuses(
    call: tuple[str, type, dict[str, Any]],
) -> None:
    role, cls, params = call
    problems = Problems()
    built = buildComponent(
        {"type": cls.__name__, **copy.deepcopy(params)}, role=role, where=role,  # type: ignore[arg-type]
        problems=problems, settings=BuildSettings(construct=False),
    )  # fmt: skip
    try:
        cls(**copy.deepcopy(params))
    except (TypeError, ValueError) as error:
        assert built is None
        if "required" not in str(error):  # Python's own message for a missing argument
            assert any(p.endswith(str(error)) for p in problems), (list(problems), error)
    else:
        assert built is not None, list(problems)
        assert list(problems) == []


# -- a file with N mistakes lists N, once each (issue 12.12) ---------------------------------

VALID: dict[str, Any] = {
    "source": {"type": "SensorSource", "count": 10, "samplingRateHz": 50.0},
    "stages": [
        {"type": "ThresholdFilter", "filterMin": 20.0, "filterMax": 80.0},
        {"type": "WindowAverage", "windowSize": 3},
        {"type": "Normalizer", "valueMin": 0.0, "valueMax": 100.0},
    ],
    "sink": {"type": "SqliteSink", "database": "out.sqlite", "table": "readings"},
}


def _set(place: str, key: str, value: Any) -> Any:
    def mistake(document: dict[str, Any]) -> None:
        table = document[place[:-3]][int(place[-2])] if place.endswith("]") else document[place]
        if value is _REMOVE:
            del table[key]
        else:
            table[key] = value

    return mistake


_REMOVE = object()

#: One of each kind of mistake, across source, stages and sink: (make it, what is listed).
MISTAKES = {
    "unknown key": (
        _set("source", "colour", "red"),
        "source.colour: SensorSource has no parameter 'colour'",
    ),
    "wrong type": (
        _set("source", "count", "many"),
        "source: SensorSource.count must be an int, got 'many'",
    ),
    "bad value": (
        _set("source", "samplingRateHz", -3.0),
        "source: SensorSource.samplingRateHz must be a positive number, got -3.0",
    ),
    "inverted bounds": (
        _set("stages[0]", "filterMin", 95.0),
        "stages[0]: ThresholdFilter: filterMin must be < filterMax, got 95.0 >= 80.0",
    ),
    "missing required key": (
        _set("stages[1]", "windowSize", _REMOVE),
        "stages[1]: WindowAverage needs 'windowSize', which is missing",
    ),
    "unknown type name": (
        _set("stages[2]", "type", "Normaliser"),
        "stages[2].type: unknown stage 'Normaliser'; did you mean 'Normalizer'?",
    ),
    "bad table name": (
        _set("sink", "table", "readings; DROP TABLE x"),
        "sink: SqliteSink.table must be a plain identifier",
    ),
    "unknown sink key": (
        _set("sink", "tabel", "x"),
        "sink.tabel: SqliteSink has no parameter 'tabel'; did you mean 'table'?",
    ),
}


def _withMistakes(names: list[str]) -> dict[str, Any]:
    document = copy.deepcopy(VALID)
    for name in names:
        MISTAKES[name][0](document)
    return document


@settings(max_examples=100)
@given(
    st.lists(st.sampled_from(sorted(MISTAKES)), unique=True, min_size=1),
    st.booleans(),
)
def test_any_set_of_mistakes_is_listed_in_full_each_once(names: list[str], dryRun: bool) -> None:
    with pytest.raises(PipelineFileError) as caught:
        loadPipeline(_withMistakes(names), baseFolder=PLACE, construct=not dryRun)
    problems = caught.value.problems
    assert len(problems) == len(names), problems
    for name in names:
        expected = MISTAKES[name][1]
        assert sum(expected in problem for problem in problems) == 1, (name, problems)


def test_the_valid_document_is_valid() -> None:
    assert loadPipeline(_withMistakes([]), baseFolder=PLACE, construct=False).stageNames == [
        "ThresholdFilter",
        "WindowAverage",
        "Normalizer",
    ]


@pytest.mark.parametrize("dryRun", [True, False])
def test_the_command_line_lists_all_eight_mistakes_and_exits_2_without_traceback(
    tmp_path: Path, dryRun: bool
) -> None:
    path = tmp_path / "p.toml"
    path.write_text(_toml(_withMistakes(sorted(MISTAKES))), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline_lib", "run", *(["--dry-run"] * dryRun), str(path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{path}: {len(MISTAKES)} problems" in result.stderr
    for _, expected in MISTAKES.values():
        assert result.stderr.count(expected) == 1, (expected, result.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.toml"]


def _toml(document: dict[str, Any]) -> str:
    """A pipeline document as TOML (the few shapes this file uses)."""

    def value(v: Any) -> str:
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return repr(v)

    def table(t: dict[str, Any]) -> str:
        return "".join(f"{key} = {value(v)}\n" for key, v in t.items())

    parts = [f"[source]\n{table(document['source'])}"]
    parts += [f"[[stages]]\n{table(stage)}" for stage in document["stages"]]
    parts.append(f"[sink]\n{table(document['sink'])}")
    return "\n".join(parts)

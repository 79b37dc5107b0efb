"""`pipeline-lib grade`: a folder of submissions in, one CSV of verdicts out, nothing by hand."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from pipeline_lib.cli import main
from pipeline_lib.exercises.grading import GradeRow, gradeFolder, writeCsv

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
LESSON = NOTEBOOKS / "00_start_here.ipynb"
SOLUTIONS = NOTEBOOKS / "solutions" / "00_start_here_solutions.ipynb"


def _submission(source: Path, edit: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The notebook with the code cells starting with each key replaced by its value."""
    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        for start, replacement in (edit or {}).items():
            if cell.cell_type == "code" and cell.source.startswith(start):
                cell.source = replacement
    return notebook


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[GradeRow], Path]:
    folder = tmp_path_factory.mktemp("submissions")
    solved = _submission(LESSON)
    solution = nbformat.read(SOLUTIONS, as_version=4)
    answers = {c.source.split("\n")[0]: c.source for c in solution.cells if c.cell_type == "code"}
    for cell in solved.cells:  # the student pasted the worked solutions into the lesson
        first = cell.source.split("\n")[0]
        if cell.cell_type == "code" and first in ("class SpikeFilter:", "class CountingSink:"):
            cell.source = answers[first]
    (folder / "ada").mkdir()
    nbformat.write(solved, folder / "ada" / "00_start_here.ipynb")
    (folder / "ben").mkdir()
    shutil.copy(LESSON, folder / "ben" / "00_start_here.ipynb")  # handed in unsolved
    raises = _submission(LESSON, {"class CountingSink:": "class CountingSink(Missing):\n    pass"})
    (folder / "cyd").mkdir()
    nbformat.write(raises, folder / "cyd" / "00_start_here.ipynb")
    hangs = new_notebook(cells=[new_markdown_cell("### Exercise 1 — wait"),
                                new_code_cell("import time\ntime.sleep(60)"),
                                new_code_cell("checkSpikeFilter(None)")])  # fmt: skip
    hangs.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(hangs, folder / "dee.ipynb")
    (folder / "eve.ipynb").write_text("not a notebook")
    return gradeFolder(folder, cellTimeoutSeconds=8), folder


def _rows(rows: list[GradeRow], student: str) -> dict[str, tuple[str, str]]:
    return {f"{r.exercise}|{r.check}": (r.verdict, r.detail) for r in rows if r.student == student}


def test_a_solved_notebook_gets_correct_for_every_exercise(
    graded: tuple[list[GradeRow], Path],
) -> None:
    rows = _rows(graded[0], "ada")
    assert {key: verdict for key, (verdict, _) in rows.items()} == {
        "Exercise 1 — a spike filter of your own|checkSpikeFilter": "correct",
        "Exercise 2 — a counting sink|checkCountingSink": "correct",
    }


def test_an_unsolved_notebook_gets_not_yet_with_the_checks_message(
    graded: tuple[list[GradeRow], Path],
) -> None:
    rows = _rows(graded[0], "ben")
    assert [verdict for verdict, _ in rows.values()] == ["not yet", "not yet"]
    spike = rows["Exercise 1 — a spike filter of your own|checkSpikeFilter"][1]
    assert spike.startswith("for the values [50.0, 52.0, 130.0")


def test_a_notebook_that_raises_gets_a_row_saying_so_and_its_other_verdicts(
    graded: tuple[list[GradeRow], Path],
) -> None:
    rows = _rows(graded[0], "cyd")
    assert rows["(notebook)|"][0] == "raised"
    assert "NameError: name 'Missing' is not defined" in rows["(notebook)|"][1]
    assert rows["Exercise 1 — a spike filter of your own|checkSpikeFilter"][0] == "not yet"
    assert rows["Exercise 2 — a counting sink|checkCountingSink"][0] == "error"


def test_a_notebook_that_hangs_times_out_and_its_checks_are_not_run(
    graded: tuple[list[GradeRow], Path],
) -> None:
    rows = _rows(graded[0], "dee")
    assert (
        rows["(notebook)|"][0] == "timed out"
        and "cell 1 ran longer than 8s" in rows["(notebook)|"][1]
    )
    assert rows["Exercise 1 — wait|checkSpikeFilter"][0] == "not run"


def test_a_file_that_is_not_a_notebook_is_reported_not_fatal(
    graded: tuple[list[GradeRow], Path],
) -> None:
    ((verdict, _),) = _rows(graded[0], "eve").values()
    assert verdict == "unreadable"


def test_the_csv_has_a_header_and_one_line_per_row(
    graded: tuple[list[GradeRow], Path], tmp_path: Path
) -> None:
    rows, _ = graded
    path = tmp_path / "verdicts.csv"
    assert writeCsv(rows, path) == len(rows)
    with path.open(newline="", encoding="utf-8") as file:
        table = list(csv.DictReader(file))
    assert list(table[0]) == ["student", "notebook", "exercise", "check", "verdict", "detail"]
    assert len(table) == len(rows) and table[0]["student"] == "ada"


def test_the_grade_command_writes_the_csv_and_summarises(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "subs"
    folder.mkdir()
    shutil.copy(LESSON, folder / "ben.ipynb")
    out = tmp_path / "v.csv"
    assert main(["grade", str(folder), "--csv", str(out)]) == 0
    assert "graded 1 notebooks: 2 not yet; 2 rows in" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8").count("\n") == 3


def test_the_grade_command_refuses_a_missing_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["grade", str(tmp_path / "nowhere"), "--csv", str(tmp_path / "v.csv")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_grading_is_lazy_importing_the_cli_does_not_import_nbclient() -> None:
    import subprocess
    import sys

    code = "import sys, pipeline_lib.cli; print('nbclient' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"

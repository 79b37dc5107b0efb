"""The series keeps its conventions (notebooks/CONVENTIONS.md): pins that nbval alone misses.

nbval checks that outputs are reproduced; these tests check that the stored notebooks
are what a student should receive: executed, honest about their errors, within the
ignore-output budget, and shaped like every other notebook of the series.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SERIES = [
    "00_start_here",
    "01_the_leak_problem",
    "02_context_managers",
    "03_descriptors",
    "04_measuring_stages",
    "05_retry",
    "06_three_layers",
    "07_self_assessment",
    "08_extensions",
]
LECTURE_SERIES = SERIES[:7]  # 00-06 follow the lecture; 07 and 08 complete the course
QUIZ = "07_self_assessment"  # questions with immediate feedback instead of exercises
LESSONS = sorted(p for p in NOTEBOOKS.glob("*.ipynb"))
SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))
ALL = LESSONS + SOLUTIONS
REQUIRED_SECTIONS = ("## Learning objectives", "## Setup", "## Exercises", "## Key points")


def _ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(NOTEBOOKS).as_posix() for p in paths]


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _codeCells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _markdown(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def _texts(cell: nbformat.NotebookNode) -> list[str]:
    texts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            texts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            texts.append(output.data.get("text/plain", ""))
    return texts


def test_the_series_exists_in_order() -> None:
    names = [p.stem for p in LESSONS]
    # Lessons are written in parallel, so a later one may land before an earlier one.
    assert names == [name for name in SERIES if name in names], "only the series' notebooks"
    assert names[:3] == SERIES[:3]


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_kernelspec_is_python3_and_the_notebook_is_valid(path: Path) -> None:
    notebook = _read(path)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_every_code_cell_was_executed_in_order_with_outputs_stored(path: Path) -> None:
    counts = [cell.execution_count for cell in _codeCells(_read(path))]
    assert None not in counts, "run `make notebooks` to store the outputs"
    assert counts == list(range(1, len(counts) + 1)), "executed top to bottom in a fresh kernel"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_at_most_a_quarter_of_code_cells_ignore_their_output(path: Path) -> None:
    cells = _codeCells(_read(path))
    ignored = [cell for cell in cells if "NBVAL_IGNORE_OUTPUT" in cell.source]
    assert len(ignored) * 4 <= len(cells)
    assert not any("NBVAL_SKIP" in cell.source for cell in cells), "no cell is skipped"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_errors_appear_exactly_in_cells_tagged_raises_exception(path: Path) -> None:
    for cell in _codeCells(_read(path)):
        tagged = "raises-exception" in cell.metadata.get("tags", [])
        failed = any(output.output_type == "error" for output in cell.outputs)
        assert tagged == failed, f"cell {cell.source[:60]!r}: tagged={tagged}, raised={failed}"
        assert "NBVAL_RAISES_EXCEPTION" not in cell.source, "use the cell tag, not the comment"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_nothing_is_written_to_stderr(path: Path) -> None:
    for cell in _codeCells(_read(path)):
        streams = [o.name for o in cell.outputs if o.output_type == "stream"]
        assert "stderr" not in streams, f"cell {cell.source[:60]!r} wrote to stderr"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_every_figure_is_stored_as_a_png_and_followed_by_a_caption(path: Path) -> None:
    cells = _read(path).cells
    for index, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            text = output.get("data", {}).get("text/plain", "")
            if text.startswith("<Figure"):
                assert "image/png" in output.data, f"cell {index}: a figure without its PNG"
                caption = cells[index + 1]
                assert caption.cell_type == "markdown" and caption.source.startswith("*")


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_the_setup_cell_shows_log_lines_on_stdout(path: Path) -> None:
    setup = _codeCells(_read(path))[0].source
    assert "logging.basicConfig(" in setup and "stream=sys.stdout" in setup
    later = "\n".join(cell.source for cell in _codeCells(_read(path))[1:])
    if re.search(r"\bplot[A-Z]\w*\(", later):  # the series' plotting functions
        assert "%matplotlib inline" in setup


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_a_lesson_has_the_series_sections_in_order(path: Path) -> None:
    markdown = _markdown(_read(path))
    required = [s for s in REQUIRED_SECTIONS if not (path.stem == QUIZ and s == "## Exercises")]
    positions = [markdown.find(section) for section in required]
    assert -1 not in positions, f"missing one of {REQUIRED_SECTIONS}"
    assert positions == sorted(positions)


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_a_lesson_has_two_or_more_exercises_each_with_a_self_check(path: Path) -> None:
    if path.stem == QUIZ:
        pytest.skip("the quiz's questions are checked by tests/exercises/test_quiz.py")
    notebook = _read(path)
    exercises = re.findall(r"^### Exercise \d+", _markdown(notebook), flags=re.MULTILINE)
    checks = [cell for cell in _codeCells(notebook) if re.match(r"check\w+\(", cell.source)]
    assert len(exercises) >= 2
    assert len(checks) >= len(exercises)
    for cell in checks:
        assert any(text.startswith(("✅", "❌")) for text in _texts(cell)), cell.source


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_a_lesson_links_to_its_neighbours(path: Path) -> None:
    markdown = _markdown(_read(path))
    index = SERIES.index(path.stem)
    neighbours = SERIES[max(index - 1, 0) : index]
    if SERIES[index + 1 : index + 2] and (index + 1 < len(LECTURE_SERIES) or index >= 7):
        neighbours += SERIES[index + 1 : index + 2]  # 06 may end the lecture's part
    for neighbour in neighbours:
        assert f"({neighbour}.ipynb)" in markdown, f"no link to {neighbour}"


def test_start_here_maps_every_notebook_of_the_series() -> None:
    markdown = _markdown(_read(NOTEBOOKS / "00_start_here.ipynb"))
    for name in SERIES:
        assert f"]({name}.ipynb)" in markdown


@pytest.mark.parametrize("path", SOLUTIONS, ids=_ids(SOLUTIONS))
def test_a_solutions_notebook_links_back_and_every_check_passes(path: Path) -> None:
    notebook = _read(path)
    lesson = path.stem.removesuffix("_solutions")
    assert lesson in SERIES and (NOTEBOOKS / f"{lesson}.ipynb").exists()
    assert f"(../{lesson}.ipynb)" in _markdown(notebook)
    assert "## Exercises" in _markdown(notebook)
    verdicts = [text for cell in _codeCells(notebook) for text in _texts(cell)]
    passed = [text for text in verdicts if text.startswith("✅")]
    assert len(passed) >= 2
    for cell in _codeCells(notebook):
        if any(text.startswith("❌") for text in _texts(cell)):
            assert "Without" in cell.source, "only a deliberate counter-example may fail"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_stored_tracebacks_name_no_machine_specific_path(path: Path) -> None:
    """A published notebook shows pipeline_lib/lifecycle.py, not /home/you/.../lifecycle.py
    (scripts/execute_notebooks.py makes the paths relative to the repository)."""
    absolute = re.compile(r"(/|[A-Za-z]:\\)\S*pipeline_lib[/\\]")
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                for line in output["traceback"]:
                    assert not absolute.search(line), (path.name, line[:200])

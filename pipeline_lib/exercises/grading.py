"""Grade a folder of submitted notebooks with the series' own self-checks: one CSV of verdicts.

::

    pipeline-lib grade submissions/ --csv verdicts.csv

Each notebook (``submissions/*.ipynb``, or ``submissions/STUDENT/*.ipynb``) runs top to
bottom in a fresh ``python3`` kernel, in its own folder, with a time limit per cell. Every
check cell (a cell whose code is a call ``checkSomething(...)``) gives one row: student,
notebook, exercise (the ``### Exercise`` heading above it), check, verdict (``correct``,
``not yet``, ``error`` when the check cell itself raised, ``not run`` when the notebook
stopped before it) and the check's message. A notebook that raises outside a cell tagged
``raises-exception``, or hangs, gets one more row saying so, and still yields the verdicts
of the checks that ran. Nothing is graded by hand.

Why not nbgrader or otter-grader: both grade by *test cells that raise* (nbgrader's
autograder cells, otter's test files), written separately from the notebook, and both
expect their own release workflow (nbgrader's course database and assignment metadata,
otter's assignment configuration, Docker by default for ``otter grade``). The series'
checks already decide (they return a ✅/❌ verdict and never raise, so *Run All* always
finishes for a student); grading only has to run each submission and read those verdicts,
which ``nbclient`` does. Limits: the verdicts come from the submission's own kernel, so a
student who edits a check cell or redefines a check is graded by their edit; compare the
check cells with the lesson's when that matters. The kernel runs the students' code with
your permissions: grade in a container or an account of its own.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any

__all__ = ["GradeRow", "gradeFolder", "gradeNotebook", "writeCsv"]

CHECK_CELL = re.compile(r"^\s*(check\w+)\s*\(", re.MULTILINE)
EXERCISE_HEADING = re.compile(r"^### (Exercise .+?)\s*$", re.MULTILINE)
NOTEBOOK_ROW = "(notebook)"


@dataclass(frozen=True)
class GradeRow:
    """One line of the verdicts table."""

    student: str
    notebook: str
    exercise: str
    check: str
    verdict: str  # correct | not yet | error | not run | raised | timed out | unreadable
    detail: str


def gradeFolder(folder: Path, cellTimeoutSeconds: float = 60.0) -> list[GradeRow]:
    """Grade every submitted notebook under ``folder`` (one level of student folders)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"gradeFolder: folder must be a directory, got {str(folder)!r}")
    rows: list[GradeRow] = []
    for student, path in _submissions(folder):
        rows += gradeNotebook(path, student, cellTimeoutSeconds)
    return rows


def _submissions(folder: Path) -> list[tuple[str, Path]]:
    """(student, notebook) pairs in student order: ``ada.ipynb`` or ``ada/NN_x.ipynb``."""
    found = list(folder.glob("*.ipynb")) + list(folder.glob("*/*.ipynb"))
    pairs = [
        (path.stem if path.parent == folder else path.parent.name, path)
        for path in found
        if ".ipynb_checkpoints" not in path.parts
    ]
    return sorted(pairs)


def gradeNotebook(path: Path, student: str, cellTimeoutSeconds: float = 60.0) -> list[GradeRow]:
    """Run one notebook in a fresh kernel and return its rows (checks, then any failure)."""
    import nbformat  # imported here: grading is the only part of the library that needs them
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    def row(exercise: str, check: str, verdict: str, detail: str) -> GradeRow:
        return GradeRow(student, path.name, exercise, check, verdict, detail)

    try:
        notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    except Exception as error:  # not JSON, not a notebook: say so, grade the others
        return [row(NOTEBOOK_ROW, "", "unreadable", f"{type(error).__name__}: {error}")]
    for cell in notebook.cells:  # grade what the kernel produces now, not what was stored
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=cellTimeoutSeconds,
        allow_errors=True,  # a student's error is a row of the table, not the end of grading
        interrupt_on_timeout=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    problem: GradeRow | None = None
    try:
        client.execute()
    except CellTimeoutError:
        index = _lastStarted(notebook)
        problem = row(NOTEBOOK_ROW, "", "timed out",
                      f"cell {index} ran longer than {cellTimeoutSeconds:g}s; the cells "
                      "after it were not run")  # fmt: skip
    except DeadKernelError as error:
        problem = row(NOTEBOOK_ROW, "", "raised", f"the kernel died: {error}")
    rows = [row(*found) for found in _checkRows(notebook.cells)]
    if problem is None and (raised := _firstUnexpectedError(notebook.cells)):
        problem = row(NOTEBOOK_ROW, "", "raised", raised)
    return rows + ([problem] if problem else [])


def _checkRows(cells: Sequence[Any]) -> Iterable[tuple[str, str, str, str]]:
    exercise = ""
    for cell in cells:
        if cell.cell_type == "markdown":
            headings = EXERCISE_HEADING.findall(cell.source)
            exercise = headings[-1] if headings else exercise
            continue
        match = CHECK_CELL.match(cell.source)
        if cell.cell_type != "code" or not match:
            continue
        yield (exercise, match[1], *_verdictOf(cell))


def _verdictOf(cell: Any) -> tuple[str, str]:
    if cell.get("execution_count") is None:
        return "not run", "the notebook stopped before this check"
    for output in cell.outputs:
        if output.output_type == "error":
            return "error", f"the check cell raised {output.ename}: {output.evalue}"
        text = output.get("data", {}).get("text/plain", "") or output.get("text", "")
        for prefix, verdict in (("✅ Correct: ", "correct"), ("❌ Not yet: ", "not yet")):
            if prefix in text:
                return verdict, text.split(prefix, 1)[1].strip()
    return "error", "the check cell showed no verdict"


def _firstUnexpectedError(cells: Sequence[Any]) -> str:
    for index, cell in enumerate(cells):
        if cell.cell_type != "code" or "raises-exception" in cell.metadata.get("tags", []):
            continue
        for output in cell.outputs:
            if output.output_type == "error" and not CHECK_CELL.match(cell.source):
                return f"cell {index} raised {output.ename}: {output.evalue}"
    return ""


def _lastStarted(notebook: Any) -> int:
    """The index of the last code cell that started: the one that hung."""
    started = [
        i for i, c in enumerate(notebook.cells)
        if c.cell_type == "code" and c.get("execution_count") is not None
    ]  # fmt: skip
    return started[-1] if started else 0


def writeCsv(rows: Iterable[GradeRow], path: Path) -> int:
    """Write the rows with a header line; returns how many rows were written."""
    count = 0
    with Path(path).open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([f.name for f in fields(GradeRow)])
        for gradeRow in rows:
            writer.writerow(astuple(gradeRow))
            count += 1
    return count

"""The series is shaped as a course (issue 14): the markers every notebook carries.

These check exactly the strings of ``notebooks/CONVENTIONS.md`` ("Course shape"):

- right after the title cell, one markdown cell whose lines start with
  ``> ⏱ **Time:** A min teaching · B min exercises · **core path: N min**``,
  ``> 📋 **Prerequisites:**`` and ``> 🖥 **Slides:**``;
- the first non-blank line after each teaching ``##`` heading and after each
  ``### Exercise`` heading is exactly the core or the deeper marker;
- ``## Further reading`` (bulleted links) comes after ``## Key points`` and is the last
  section, right before the final navigation line;
- the declared core paths of all notebooks add up to at most 180 minutes.

Every notebook in ``notebooks/`` is checked (solutions are not lessons).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("*.ipynb"))

CORE = "🟢 **Core**"
DEEPER = "🔵 **Deeper** — self-study, skip on the core path"
# Sections that frame a lesson rather than teach: no marker.
FRAMING = {"Learning objectives", "Setup", "Key points", "Further reading"}
# A container whose exercises carry their own marker: a marker of its own is optional.
OPTIONAL_MARKER = {"Exercises"}
CORE_PATH_BUDGET_MINUTES = 180

TIME_LINE = re.compile(
    r"^> ⏱ \*\*Time:\*\* (?P<teaching>\d+) min teaching · (?P<exercises>\d+) min exercises"
    r" · \*\*core path: (?P<core>\d+) min\*\*(\\|<br>)$"
)
# Lines of one blockquote join into one paragraph unless each ends in a hard line break.
HARD_BREAK = ("\\", "<br>")
PREREQUISITES_PREFIX = "> 📋 **Prerequisites:** "
SLIDES_PREFIX = "> 🖥 **Slides:** "
BULLETED_LINK = re.compile(r"^[-*] .*\[[^\]]+\]\((https?://|\.{0,2}/?\w)[^)]*\)")
NAVIGATION = re.compile(r"\[Series map\]\((00_start_here\.ipynb)?#The-series\)")


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _params(paths: list[Path]) -> list[object]:
    return [pytest.param(p) for p in paths]


@dataclass(frozen=True)
class Heading:
    level: int
    title: str
    nextLine: str  # the first non-blank line after the heading ('' when the heading ends its cell)
    cell: int


@functools.cache
def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _markdownCells(path: Path) -> list[tuple[int, str]]:
    notebook = _read(path)
    return [(i, c.source) for i, c in enumerate(notebook.cells) if c.cell_type == "markdown"]


def _lines(source: str) -> list[str]:
    """The lines of a markdown cell outside fenced code blocks (where a # is a comment)."""
    kept, fenced = [], False
    for line in source.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            kept.append("")
            continue
        kept.append("" if fenced else line)
    return kept


def headings(path: Path) -> list[Heading]:
    """Every ``##`` and ``###`` heading of a notebook, with the line after it."""
    found = []
    for index, source in _markdownCells(path):
        lines = _lines(source)
        for position, line in enumerate(lines):
            if match := re.match(r"^(#{2,3}) (.+?)\s*$", line):
                # The first non-blank line: a blank line between renders the same.
                rest = [later for later in lines[position + 1 :] if later.strip()]
                after = rest[0] if rest else ""
                found.append(Heading(len(match[1]), match[2], after, index))
    return found


def coreMinutes(path: Path) -> int:
    """The ``core path: N min`` a notebook declares (0 if it declares none)."""
    for _, source in _markdownCells(path):
        if match := TIME_LINE.match(source.splitlines()[0] if source else ""):
            return int(match["core"])
    return 0


def markerProblems(path: Path) -> list[str]:
    """What a notebook's markers get wrong, one line per problem (empty when all is well)."""
    problems = []
    for heading in headings(path):
        isTeaching = heading.level == 2 and heading.title not in FRAMING
        isExercise = heading.level == 3 and heading.title.startswith("Exercise")
        if not (isTeaching or isExercise):
            continue
        if heading.nextLine in (CORE, DEEPER):
            continue
        if heading.title in OPTIONAL_MARKER and not heading.nextLine.startswith(("🟢", "🔵")):
            continue
        problems.append(
            f"cell {heading.cell}: the line after '{'#' * heading.level} {heading.title}' is "
            f"{heading.nextLine!r}, expected {CORE!r} or {DEEPER!r}"
        )
    return problems


@pytest.mark.parametrize("path", _params(LESSONS), ids=_ids(LESSONS))
def test_the_cell_after_the_title_gives_time_prerequisites_and_slides(path: Path) -> None:
    cells = _read(path).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    timeCell = cells[1]
    assert timeCell.cell_type == "markdown", "the cell after the title is the time cell"
    lines = timeCell.source.splitlines()
    assert len(lines) >= 3, f"expected time, prerequisites and slides lines, got {lines}"
    timing = TIME_LINE.match(lines[0])
    assert timing, f"first line {lines[0]!r} is not '> ⏱ **Time:** ... **core path: N min**'"
    assert int(timing["core"]) <= int(timing["teaching"]) + int(timing["exercises"])
    assert lines[1].startswith(PREREQUISITES_PREFIX) and len(lines[1]) > len(PREREQUISITES_PREFIX)
    assert lines[1].endswith(HARD_BREAK), (
        "the prerequisites line must end in a hard line break (\\ or <br>), or it runs "
        "into the slides line when rendered"
    )
    assert lines[2].startswith(SLIDES_PREFIX) and len(lines[2]) > len(SLIDES_PREFIX)
    others = [i for i, source in _markdownCells(path) if "⏱ **Time:**" in source and i != 1]
    assert not others, f"one time cell only, found more in cells {others}"


@pytest.mark.parametrize("path", _params(LESSONS), ids=_ids(LESSONS))
def test_every_teaching_section_and_exercise_is_marked_core_or_deeper(path: Path) -> None:
    assert not markerProblems(path), "\n".join(markerProblems(path))


@pytest.mark.parametrize("path", _params(LESSONS), ids=_ids(LESSONS))
def test_further_reading_follows_key_points_and_precedes_the_final_navigation(path: Path) -> None:
    titles = [h.title for h in headings(path) if h.level == 2]
    assert titles[-2:] == ["Key points", "Further reading"], f"last sections: {titles[-2:]}"
    cells = _markdownCells(path)
    index, source = cells[-1]
    assert index == len(_read(path).cells) - 1, "markdown ends the notebook"
    lines = [line for line in source.splitlines() if line.strip()]
    assert NAVIGATION.search(lines[-1]), f"the last line {lines[-1]!r} is not the navigation line"
    reading = "\n".join(s for _, s in cells if "## Further reading" in s)
    section = reading.split("## Further reading", 1)[1]
    links = [line for line in section.splitlines() if BULLETED_LINK.match(line)]
    assert len(links) >= 2, "Further reading lists its links as bullets"


def test_the_core_paths_add_up_to_three_hours_at_most() -> None:
    declared = {path.stem: coreMinutes(path) for path in LESSONS}
    assert sum(declared.values()) <= CORE_PATH_BUDGET_MINUTES, declared


def _write(tmp_path: Path, *sources: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(source) for source in sources]
    path = tmp_path / f"nb{len(list(tmp_path.iterdir()))}.ipynb"  # reads are cached by path
    nbformat.write(notebook, path)
    return path


def test_the_marker_check_accepts_both_markers_and_skips_framing_sections(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "## Setup\nRun this.",
        f"## The leak\n{CORE}\n\ntext",
        f"## Blank line first\n\n{CORE}",
        f"## Async\n{DEEPER}",
        f"## Exercises\n\n### Exercise 1 — fix it\n{CORE}",
        "```python\n## not a heading\n```",
    )
    assert markerProblems(path) == []


@pytest.mark.parametrize(
    "sources",
    [
        ("## The leak\ntext without marker",),
        ("## The leak\ntext\n🟢 **Core**",),  # text before the marker
        ("## The leak\n🟢 Core",),  # not bold
        ("## The leak\n🔵 **Deeper**",),  # deeper without its explanation
        ("### Exercise 2 — retry\nwrite a policy",),
        ("## Exercises\n🟢 core",),  # an optional marker, but misspelt
    ],
)
def test_the_marker_check_rejects_missing_or_misspelt_markers(
    tmp_path: Path, sources: tuple[str, ...]
) -> None:
    assert markerProblems(_write(tmp_path, *sources))


def test_core_minutes_are_read_from_the_time_line(tmp_path: Path) -> None:
    line = "> ⏱ **Time:** 25 min teaching · 15 min exercises · **core path: 30 min**\\"
    assert coreMinutes(_write(tmp_path, "# T", f"{line}\n> 📋 **Prerequisites:** x")) == 30
    assert coreMinutes(_write(tmp_path, "# T", "> ⏱ Time: 25 min")) == 0

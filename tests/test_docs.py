"""The prose outside the notebooks stays true: README, the instructor's guide, the conventions.

A new student and an instructor read these first. What can be checked mechanically is
checked here: every ``make`` target they name exists, every relative link and anchor
resolves (notebooks' links too), every repository path and ``pipeline_lib`` module they
name exists, the package docstring maps every module, every public name is in the
README, the README's Python examples run, and the guide's time table and section names
are those of the notebooks.
"""

from __future__ import annotations

import functools
import importlib
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import pipeline_lib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("*.ipynb"))
README = ROOT / "README.md"
GUIDE = ROOT / "instructor" / "guide.md"
DOCS = [
    README,
    GUIDE,
    NOTEBOOKS / "CONVENTIONS.md",
    ROOT / "CONTRIBUTING.md",
]
TIME_LINE = re.compile(
    r"^> ⏱ \*\*Time:\*\* (\d+) min teaching · (\d+) min exercises · \*\*core path: (\d+) min\*\*"
)
# The conventions show the navigation line with stand-ins for the neighbours' names.
PLACEHOLDERS = {"prev.ipynb", "next.ipynb"}
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(ROOT).as_posix() for p in paths]


@functools.cache
def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@functools.cache
def _notebook(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _markdown(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = _notebook(path).cells
        return "\n\n".join(c.source for c in cells if c.cell_type == "markdown")
    return _text(path)


def _code(markdown: str) -> list[str]:
    """The code a markdown text shows: fenced blocks, indented blocks' lines, `spans`."""
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)
    outside = re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)
    spans = re.findall(r"`([^`\n]+)`", outside)
    indented = re.findall(r"^(?: {4}|\t)(.+)$", outside, flags=re.MULTILINE)
    return fenced + spans + indented


def _headings(markdown: str) -> list[str]:
    kept, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"^#{1,6}\s+(.+?)\s*#*\s*$", line)):
            kept.append(match[1])
    return kept


def _rendered(heading: str) -> str:
    """A heading's text as rendered: links by their text, no code or emphasis markers."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    return re.sub(r"[`*]", "", text).strip()


def githubAnchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", _rendered(heading).lower()).replace(" ", "-")


def jupyterAnchor(heading: str) -> str:
    """JupyterLab's (and the site's) id for a heading: its text, spaces to hyphens."""
    return _rendered(heading).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchor = jupyterAnchor if path.suffix == ".ipynb" else githubAnchor
    return {anchor(h) for h in _headings(_markdown(path))}


def brokenLinks(path: Path) -> list[str]:
    """The relative links of a document (markdown or notebook) that lead nowhere."""
    broken = []
    for target in LINK.findall(_markdown(path)):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto: ... are not ours to resolve
        fileName, _, anchor = target.partition("#")
        destination = (path.parent / fileName).resolve() if fileName else path
        if fileName in PLACEHOLDERS:
            continue
        if not destination.exists():
            broken.append(f"{target}: no file {fileName}")
        elif (
            anchor
            and destination.suffix in (".md", ".ipynb")
            and anchor not in _anchors(destination)
        ):
            broken.append(f"{target}: no heading with anchor #{anchor}")
    return broken


# --- links, targets, paths ---------------------------------------------------------------


@pytest.mark.parametrize("path", DOCS + LESSONS, ids=_ids(DOCS + LESSONS))
def test_every_relative_link_and_anchor_resolves(path: Path) -> None:
    assert brokenLinks(path) == []


def test_the_link_check_catches_a_missing_file_and_a_missing_anchor(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Two words\n[a](#two-words) [b](#three) [c](gone.md) [d](https://x.org)\n")
    assert [problem.split(":")[0] for problem in brokenLinks(page)] == ["#three", "gone.md"]


def makeTargets() -> set[str]:
    makefile = _text(ROOT / "Makefile")
    return set(re.findall(r"^([a-z][\w-]*)\s*:(?!=)", makefile, flags=re.MULTILINE))


DOCS_AND_LESSONS = DOCS + LESSONS


@pytest.mark.parametrize("path", DOCS_AND_LESSONS, ids=_ids(DOCS_AND_LESSONS))
def test_every_make_target_named_exists(path: Path) -> None:
    named = {
        target
        for code in _code(_markdown(path))
        for target in re.findall(r"\bmake (?:[A-Z_]+=\S* )*([a-z][\w-]*)", code)
    }
    assert named - makeTargets() == set(), f"the Makefile has no {sorted(named - makeTargets())}"


TOP_LEVEL = (
    "notebooks/",
    "pipeline_lib/",
    "tests/",
    "examples/",
    "benchmarks/",
    "scripts/",
    "web/",
    "binder/",
    "instructor/",
    ".ci/",
)


def namedPaths(markdown: str) -> set[str]:
    """Repository paths a text names in code, without placeholders (``NN_topic``, ``test_x``)."""
    found = set()
    for code in _code(markdown):
        for word in re.findall(r"[\w.*/-]+", code):
            if not word.startswith(TOP_LEVEL) or re.search(r"NN|\btest_x\b|_x\.|/NAME", word):
                continue
            found.add(word.rstrip(".,"))
    return found


@pytest.mark.parametrize("path", DOCS, ids=_ids(DOCS))
def test_every_repository_path_named_exists(path: Path) -> None:
    missing = [
        name for name in sorted(namedPaths(_markdown(path))) if not any(ROOT.glob(name.rstrip("/")))
    ]
    assert missing == []


def test_the_path_check_ignores_placeholders_and_sees_globs() -> None:
    text = "`notebooks/NN_topic.ipynb` `tests/test_x.py` `tests/plotting/test_plot_*.py` `make`"
    assert namedPaths(text) == {"tests/plotting/test_plot_*.py"}


# --- modules and names -------------------------------------------------------------------


def _resolves(dotted: str) -> bool:
    """Whether ``pipeline_lib.a.b`` is a module, or an attribute of the longest module prefix."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


@pytest.mark.parametrize("path", DOCS, ids=_ids(DOCS))
def test_every_pipeline_lib_name_the_docs_spell_out_exists(path: Path) -> None:
    dotted = set(re.findall(r"\bpipeline_lib(?:\.[A-Za-z_]\w*)+", _markdown(path)))
    assert sorted(name for name in dotted if not _resolves(name)) == []


def moduleMap() -> list[str]:
    """The names in the left column of the package docstring's module map."""
    docstring = pipeline_lib.__doc__ or ""
    block = docstring.split("Module map", 1)[1].split("::\n\n", 1)[1].split("\n\n", 1)[0]
    names = []
    for line in block.splitlines():
        left = line[4:35] if line.startswith("    ") else ""
        names += left.split()
    return names


def test_the_package_docstring_maps_every_module_and_only_modules() -> None:
    package = ROOT / "pipeline_lib"
    modules = {p.stem for p in package.glob("*.py")} - {"__init__", "__main__"}
    subpackages = {f"{p.parent.name}/" for p in package.glob("*/__init__.py")}
    mapped = moduleMap()
    assert len(mapped) == len(set(mapped)), "each module once"
    assert set(mapped) == modules | subpackages


def test_every_public_name_appears_in_the_readme() -> None:
    readme = _text(README)
    missing = [name for name in pipeline_lib.__all__ if f"`{name}" not in readme]
    assert missing == [], "README's 'The public API' lists what `from pipeline_lib import` gives"


# --- the README's examples and tables ----------------------------------------------------


def readmeExamples() -> tuple[dict[str, str], list[str]]:
    """The README's TOML files (named by their first comment line) and its Python blocks."""
    readme = _text(README)
    files = {}
    for block in re.findall(r"^```toml\n(.*?)^```", readme, flags=re.MULTILINE | re.DOTALL):
        if match := re.match(r"# (\S+\.toml)\b", block):
            files[match[1]] = block
    python = re.findall(r"^```python\n(.*?)^```", readme, flags=re.MULTILINE | re.DOTALL)
    return files, python


def test_readme_python_examples_run_and_print_what_their_comments_promise(
    tmp_path: Path,
) -> None:
    files, examples = readmeExamples()
    assert examples, "the README shows the engine in Python"
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    for example in examples:
        result = subprocess.run(
            [sys.executable, "-c", example],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"{example}\n{result.stderr}"
        assert ": completed, " in result.stdout, result.stdout
        for stageName in re.findall(r'@measuredStage\("(\w+)"\)', example):
            assert f"  {stageName}: in=" in result.stdout, "a line per measured stage"


def test_readme_three_layer_example_shows_all_three_layers() -> None:
    section = _text(README).split("### The three layers in one example", 1)[1]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    for layer in ("PipelineContext(", "PipelineConfig.", "@measuredStage(", "@retryOnFailure("):
        assert layer in example, f"the three-layer example lacks {layer}"


def test_readme_maps_every_notebook_of_the_series() -> None:
    listed = re.findall(r"^\| `(\d\d_\w+)` \|", _text(README), flags=re.MULTILINE)
    assert listed == [p.stem for p in LESSONS]


# --- the instructor's guide and the notebooks --------------------------------------------


def timeCells() -> dict[str, tuple[int, int, int]]:
    """Each notebook's declared (teaching, exercises, core path) minutes, by number."""
    declared = {}
    for path in LESSONS:
        match = TIME_LINE.match(_notebook(path).cells[1].source)
        assert match, f"{path.name} has no time line under its title"
        declared[path.name[:2]] = (int(match[1]), int(match[2]), int(match[3]))
    return declared


def test_the_guides_time_table_is_every_notebooks_time_cell() -> None:
    section = _text(GUIDE).split("## Time per notebook", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d\d) \| (\d+) min \| (\d+) min \| (\d+) min \|", section, re.M)
    table = {number: (int(a), int(b), int(c)) for number, a, b, c in rows}
    assert table == timeCells()
    total = re.search(
        r"^\| \*\*all\*\* \| \*\*(\d+) min\*\* \| \*\*(\d+) min\*\* \| \*\*(\d+)", section, re.M
    )
    assert total, "a row of totals"
    sums = tuple(sum(times[i] for times in table.values()) for i in range(3))
    assert tuple(int(t) for t in total.groups()) == sums


# Italic phrases in the plan that are not section names.
NOT_SECTIONS = {"Predict, then run", "Kernel → Restart Kernel and Run All Cells"}


def planSections() -> list[tuple[str, str]]:
    """(notebook number, italic phrase) for every section the 90-minute plan names."""
    plan = _text(GUIDE).split("## The 90 minutes", 1)[1].split("\n## ", 1)[0]
    named = []
    for row in re.findall(r"^\|.*\|$", plan, flags=re.MULTILINE):
        cells = row.strip("|").split("|")
        if len(cells) < 4 or not re.search(r"\b0\d\b", cells[2]):
            continue
        notebook = None
        for token in re.finditer(r"\b(0\d)\b|\*([^*]+)\*", " ".join(cells[2:4])):
            if token[1]:
                notebook = token[1]
            elif token[2] not in NOT_SECTIONS and notebook is not None:
                named.append((notebook, token[2]))
    return named


def test_every_section_the_plan_names_is_a_heading_of_that_notebook() -> None:
    named = planSections()
    assert len(named) > 20, "the plan names the sections to show"
    byNumber = {path.name[:2]: path for path in LESSONS}
    missing = []
    for number, phrase in named:
        titles = [_rendered(h) for h in _headings(_markdown(byNumber[number]))]
        if not any(_rendered(phrase) in title for title in titles):
            missing.append(f"{number}: *{phrase}*")
    assert missing == []


def test_the_quiz_questions_the_guide_names_are_those_questions() -> None:
    from pipeline_lib.exercises.quiz import QUIZ

    guide = _text(GUIDE)
    held = re.search(r"\b(kept|keeps|held|holds)\b", QUIZ[1].prompt)
    assert "question 2, the held exception" in guide and held, QUIZ[1].prompt
    assert "question 10, slide 10's duplicates" in guide and "slide 10" in QUIZ[9].prompt
    recursion = any("RecursionError" in answer.text for answer in QUIZ[6].answers if answer.correct)
    assert "recurses (quiz question 7)" in guide and recursion
    assert "descriptor (question 6)" in guide and "instance attribute" in QUIZ[5].prompt

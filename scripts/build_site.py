"""Build the notebook series as a static website for self-study (``make site``).

    python scripts/build_site.py                  # -> build/site/_build/html/index.html
    python scripts/build_site.py --output DIR     # -> DIR/_build/html/index.html

The site is Jupyter Book 1 (Sphinx + myst-nb) over a *staged copy* of the lessons: the
top-level notebooks only, so worked solutions (``notebooks/solutions/``) and the
instructor's material (``notebooks/instructor/``) are never on the site, not even as a
download. Nothing is executed: pages show the outputs stored in the notebooks, widgets
included (from the state nbclient saved, rendered by npm's
``@jupyter-widgets/html-manager``, which ``npm ci`` installs in ``web/``). A link from a
lesson to a file that is not on the site keeps its text and says where the file is.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
WEB = ROOT / "web"
SITE = WEB / "site"
WIDGETS_DIST = WEB / "node_modules" / "@jupyter-widgets" / "html-manager" / "dist"
OUTPUT = ROOT / "build" / "site"  # the staged copy in src/, the pages in _build/html/

# A markdown link or image: [text](target) / ![alt](target), target without spaces.
LINK = re.compile(r"(?P<bang>!?)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")


def lessonNotebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The notebooks the site shows: those at the top of ``notebooks/``, in series order."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def isExternal(target: str) -> bool:
    return target.startswith("#") or re.match(r"^[a-z][a-z0-9+.-]*:", target) is not None


def rewriteLinks(markdown: str, published: set[str]) -> str:
    """Keep links to published lessons; a link to anything else keeps its text and says where.

    >>> rewriteLinks("in [`solutions/`](solutions/00_a.ipynb); go", {"00_a.ipynb"})
    'in `solutions/` (in the repository: `notebooks/solutions/00_a.ipynb`, not on this site); go'
    >>> rewriteLinks("[next](01_b.ipynb#Setup)", {"01_b.ipynb"})
    '[next](01_b.ipynb#Setup)'
    """

    def replace(match: re.Match[str]) -> str:
        target = match["target"]
        path = target.split("#", 1)[0]
        if isExternal(target) or path in published:
            return match[0]
        where = Path("notebooks", path).as_posix()
        return f"{match['text']} (in the repository: `{where}`, not on this site)"

    return LINK.sub(replace, markdown)


def tableOfContents(notebooks: list[Path]) -> str:
    """``_toc.yml``: the first notebook is the home page, the others its chapters."""
    lines = ["format: jb-book", f"root: {notebooks[0].stem}", "chapters:"]
    lines += [f"  - file: {path.stem}" for path in notebooks[1:]]
    return "\n".join(lines) + "\n"


def stageNotebook(source: Path, target: Path, published: set[str]) -> None:
    notebook = json.loads(source.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            cell["source"] = rewriteLinks(text, published)
    target.write_text(json.dumps(notebook, ensure_ascii=False, indent=1), encoding="utf-8")


def stage(stageDir: Path) -> list[Path]:
    """Copy the site's configuration, the lessons and the widget JavaScript into ``stageDir``."""
    if not (WIDGETS_DIST / "embed.js").is_file():
        raise SystemExit(
            f"build_site: {WIDGETS_DIST / 'embed.js'} is missing: run `npm ci` in web/"
        )
    notebooks = lessonNotebooks()
    if not notebooks:
        raise SystemExit(f"build_site: no NN_*.ipynb notebooks in {NOTEBOOKS}")
    shutil.rmtree(stageDir, ignore_errors=True)
    stageDir.mkdir(parents=True)
    shutil.copy2(SITE / "_config.yml", stageDir / "_config.yml")
    shutil.copytree(SITE / "_ext", stageDir / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    (stageDir / "_toc.yml").write_text(tableOfContents(notebooks), encoding="utf-8")
    published = {path.name for path in notebooks}
    for path in notebooks:
        stageNotebook(path, stageDir / path.name, published)
    widgets = stageDir / "_static" / "jupyter-widgets"
    shutil.copytree(WIDGETS_DIST, widgets, ignore=shutil.ignore_patterns("*.map", "*-amd.js"))
    return notebooks


def build(stageDir: Path, output: Path) -> Path:
    """Run Jupyter Book over the staged copy; return the site's ``index.html``."""
    command = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(stageDir)]
    command += ["--path-output", str(output), "--builder", "html", "--keep-going", "-W", "-q"]
    subprocess.run(command, check=True)
    return output / "_build" / "html" / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="folder to (re)create")
    output = parser.parse_args(argv).output.resolve()
    start = time.perf_counter()
    shutil.rmtree(output, ignore_errors=True)
    notebooks = stage(output / "src")
    try:
        index = build(output / "src", output)
    except subprocess.CalledProcessError as error:
        print(f"build_site: jupyter-book failed (exit {error.returncode})", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - start
    print(f"site: {len(notebooks)} notebooks in {elapsed:.1f}s -> {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

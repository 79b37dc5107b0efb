"""Re-execute the notebook series in fresh kernels and store the outputs (``make notebooks``).

    python scripts/execute_notebooks.py notebooks                 # every notebook, solutions too
    python scripts/execute_notebooks.py notebooks/01_the_leak_problem.ipynb   # just some

Each notebook runs top to bottom in a new ``python3`` kernel, with its own folder as the
working directory, exactly as nbval and a student's "Run All" will. Cells tagged
``raises-exception`` may raise; any other error stops that notebook, which is then left
unchanged on disk, and the script exits with status 1 after trying the others. Output on
stderr (a warning, say) counts as a failure too, because nbval would report it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

CELL_TIMEOUT_SECONDS = 60  # a stuck cell; nbval's own limit per output is 5 s
REPOSITORY = Path(__file__).resolve().parent.parent


def findNotebooks(paths: list[Path]) -> list[Path]:
    """The notebooks named, and those under the folders named, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.suffix == ".ipynb" and path.is_file():
            found.append(path)
        else:
            raise SystemExit(f"execute_notebooks: {path} is neither a notebook nor a folder")
    return found


def stderrCells(notebook: nbformat.NotebookNode) -> list[int]:
    """Indexes of the code cells that wrote to stderr."""
    return [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and any(
            output.get("output_type") == "stream" and output.get("name") == "stderr"
            for output in cell.get("outputs", [])
        )
    ]


def neutralTracebacks(notebook: nbformat.NotebookNode, root: Path = REPOSITORY) -> None:
    """Stored tracebacks name library files relative to the repository, not this machine.

    ``/home/you/project/pipeline_lib/lifecycle.py`` becomes ``pipeline_lib/lifecycle.py``:
    the same on every machine, and no one's home folder in the published notebooks.
    """
    prefix = f"{root}{os.sep}"
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [line.replace(prefix, "") for line in output["traceback"]]


def execute(path: Path) -> None:
    """Run one notebook in a fresh kernel and write it back with its outputs."""
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_SECONDS,
        record_timing=False,  # no timestamps in the stored notebook: diffs stay readable
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    # The kernel's own stderr only carries its start-up chatter (a transport warning);
    # what a cell writes to stderr still arrives as cell output and is checked below.
    client.execute(stderr=subprocess.DEVNULL)
    neutralTracebacks(notebook)
    if noisy := stderrCells(notebook):
        raise RuntimeError(f"code cells {noisy} wrote to stderr (a warning?); nbval would fail")
    nbformat.validate(notebook)
    nbformat.write(notebook, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "paths", nargs="*", type=Path, default=[Path("notebooks")], help="notebooks or folders"
    )
    notebooks = findNotebooks(parser.parse_args(argv).paths)
    failed: list[Path] = []
    total = time.perf_counter()
    for path in notebooks:
        start = time.perf_counter()
        try:
            execute(path)
        except (CellExecutionError, RuntimeError, TimeoutError) as error:
            failed.append(path)
            print(f"FAILED {path} after {time.perf_counter() - start:.1f}s\n{error}\n", flush=True)
            continue
        print(f"ok     {path}  {time.perf_counter() - start:.1f}s", flush=True)
    elapsed = time.perf_counter() - total
    done = len(notebooks) - len(failed)
    print(f"{done} of {len(notebooks)} notebooks executed in {elapsed:.1f}s")
    if failed:
        print("not updated (fix them, then re-run just these):", *failed, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

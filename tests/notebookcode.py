"""Classes a notebook defines, run from its own cell: tests check its code, not a copy."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def classFromNotebook(notebook: str, className: str) -> Any:
    """Run the code cell of ``notebooks/<notebook>`` that defines ``className``; return the class.

    The cell runs with ``logging`` and ``time`` at hand, as the notebook's setup gives it.
    """
    path = NOTEBOOKS / notebook
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and f"class {className}:" in cell.source:
            namespace: dict[str, Any] = {"logging": logging, "time": time}
            exec(cell.source, namespace)
            return namespace[className]
    raise AssertionError(f"{path.name} defines no {className}")

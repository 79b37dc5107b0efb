"""Notebook 06's widgets after Run All, driven from the kernel as their printed steps say.

The browser test (tests/test_browser.py) clicks the lab in JupyterLab; this one needs no
browser: it runs every cell of the notebook in a fresh kernel, then, in the same kernel,
follows the FailureLab's instructions literally on the student's ``lab`` and moves one of
the LatencyDashboard's sliders on ``dash``, and checks that each does what its text says.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "06_three_layers.ipynb"

PROBE = """
import json as _json
_fresh = {"runs": len(lab.history), "where": lab.where.value, "runner": lab.runner.value,
          "inUse": lab.pool.inUse, "steps": lab.instructions.value}
lab.where.value = "ThresholdFilter"
lab.runner.value = "runWithoutCleanup"
with quietLogs():
    for _ in range(3):
        lab.runButton.click()
    _climbing = [run.connectionsInUse for run in lab.history]
    lab.resetButton.click()
    _afterReset = {"where": lab.where.value, "runner": lab.runner.value, "runs": len(lab.history)}
    lab.where.value = "ThresholdFilter"
    for _ in range(3):
        lab.runButton.click()
_flat = [(run.runner, run.connectionsInUse, run.descriptorsHeld) for run in lab.history]
_dash = {"before": dash.bottleneck, "runs": dash.runs}
dash.costs["WindowAverage"].value = 150
_dash.update(after=dash.bottleneck, runsAfter=dash.runs)
print(_json.dumps({"fresh": _fresh, "climbing": _climbing, "afterReset": _afterReset,
                   "flat": _flat, "dash": _dash}))
"""


def test_after_run_all_the_lab_and_the_dashboard_do_what_their_text_says() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute(stderr=subprocess.DEVNULL)
    printed = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    state = json.loads(printed.strip().splitlines()[-1])

    fresh = state["fresh"]  # the cells drove labs of their own: the student's is untouched
    assert (fresh["runs"], fresh["where"], fresh["runner"], fresh["inUse"]) == (
        0,
        "nowhere",
        "PipelineContext",
        0,
    )
    steps = fresh["steps"]
    assert "<b>fail in: stage ThresholdFilter</b>" in steps and "<b>runWithoutCleanup</b>" in steps
    assert "connections in use climb by one" in steps and "flat at 0" in steps
    assert state["climbing"] == [1, 2, 3]
    # "Reset (it restores every setting)", "keep PipelineContext"
    assert state["afterReset"] == {"where": "nowhere", "runner": "PipelineContext", "runs": 0}
    assert state["flat"] == [["PipelineContext", 0, 0]] * 3
    # "Move the sliders": a move re-runs and the bottleneck follows the costliest stage
    assert state["dash"] == {
        "before": "Normalizer",
        "runs": 1,
        "after": "WindowAverage",
        "runsAfter": 2,
    }

"""How long the widgets take to answer, in-process (target: under 1 s for the defaults).

Prints the median and worst FailureLab click time for the default settings and for the
largest record count, with both runners and with retries; LatencyDashboard's redraw
after a slider move at its default and largest record counts; ConfigPlayground's
answer to a keystroke. The browser adds a few tenths of a second on top
(tests/test_browser.py prints click-to-new-plot times when run with ``-s``).
Never fails on timing.
"""

from __future__ import annotations

import statistics
import time

from pipeline_lib.widgets import (  # they draw without pyplot: no backend needed
    ConfigPlayground,
    FailureLab,
    LatencyDashboard,
)


def clickTimes(
    records: int, where: str, runner: str, clicks: int = 7, maxAttempts: int = 1
) -> list[float]:
    lab = FailureLab(records=records)
    try:
        lab.where.value, lab.runner.value = where, runner
        lab.maxAttempts.value = maxAttempts
        times = []
        for _ in range(clicks):
            started = time.perf_counter()
            lab.runButton.click()
            times.append(time.perf_counter() - started)
            if lab.pool.available == 0:
                lab.resetButton.click()
        return times
    finally:
        lab.close()


def dashboardTimes(records: int, moves: int = 5) -> list[float]:
    dashboard = LatencyDashboard(records=records)
    try:
        times = []
        for move in range(moves):
            started = time.perf_counter()
            dashboard.costs["WindowAverage"].value = 20 + 30 * move
            times.append(time.perf_counter() - started)
        return times
    finally:
        dashboard.close()


def keystrokeTimes(texts: tuple[str, ...] = ("1", "10", "100", "0", "fast", "25")) -> list[float]:
    playground = ConfigPlayground()
    try:
        times = []
        for text in texts:
            started = time.perf_counter()
            playground.inputs["windowSize"].value = text
            times.append(time.perf_counter() - started)
        return times
    finally:
        playground.close()


def report(label: str, times: list[float]) -> None:
    print(f"{label}: median {statistics.median(times):.3f}s, worst {max(times):.3f}s")


def main() -> None:
    cases = [
        (1_000, "Normalizer", "PipelineContext", 1),  # the defaults, failing at record 50
        (1_000, "Normalizer", "runWithoutCleanup", 1),
        (1_000, "source", "PipelineContext", 3),  # a permanent source fault, retried
        (100_000, "nowhere", "PipelineContext", 1),  # a long run: every record read
    ]
    for records, where, runner, attempts in cases:
        times = clickTimes(records, where, runner, maxAttempts=attempts)
        report(
            f"FailureLab {records:>7,} records, fail in {where:<10}, {runner:<17}, "
            f"{attempts} attempt(s)",
            times,
        )
    for records in (2_000, 10_000):
        report(f"LatencyDashboard {records:>6,} records, slider move", dashboardTimes(records))
    report("ConfigPlayground keystroke", keystrokeTimes())


if __name__ == "__main__":
    main()

"""How long a FailureLab Run click takes in-process (target: under 1 s for the defaults).

Prints the median and worst click time for the default settings and for the largest
record count, with both runners. The browser adds a few tenths of a second on top
(tests/test_browser.py prints click-to-new-plot times when run with ``-s``).
Never fails on timing.
"""

from __future__ import annotations

import statistics
import time

from pipeline_lib.widgets import FailureLab  # draws without pyplot: no backend needed


def clickTimes(records: int, where: str, runner: str, clicks: int = 7) -> list[float]:
    lab = FailureLab(records=records)
    try:
        lab.where.value, lab.runner.value = where, runner
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


def main() -> None:
    cases = [
        (1_000, "Normalizer", "PipelineContext"),  # the defaults, failing at record 50
        (1_000, "Normalizer", "runWithoutCleanup"),
        (100_000, "nowhere", "PipelineContext"),  # a long run: every record read
    ]
    for records, where, runner in cases:
        times = clickTimes(records, where, runner)
        print(
            f"{records:>7,} records, fail in {where:<10}, {runner:<17}: "
            f"median {statistics.median(times):.3f}s, worst {max(times):.3f}s"
        )


if __name__ == "__main__":
    main()

"""``bench_job.py``'s three jobs in CPU instructions per record: the steady figure.

On the shared 2-core machine a whole process's CPU time swings by a quarter from one
round to the next, even when the machine is quiet, so ``bench_job.py``'s ratios move by
more than the changes they are meant to judge. Callgrind counts the instructions a run
executes, which repeats to the last digit. Each variant runs at two sizes; the
difference divided by the difference in rows is the cost per record, free of start-up
(``bench_job.py`` shows start-up: about 0.06 s more for ``pipeline-lib run``).

The engine is ``pipeline-lib run`` itself, run in-process under callgrind with one
change: callgrind runs Python about 50 times slower, which would make every stage look
slow enough to time every record (``FAST_STAGE_MS``), a mode a native run never uses on
these stages; the threshold is raised by the same factor so that the stages are
sampled, as natively. Instructions are not time (a cache miss costs more than an add),
so read these ratios beside ``bench_job.py``'s, not instead of them.

Needs ``valgrind`` (Debian: ``apt-get install valgrind``); prints a notice and exits 0
without it. Takes about five minutes.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from bench_counting_instructions import callgrindInstructions
from bench_job import buildInputs, buildJobs, cachingBytecode

SMALL, LARGE = 10_000, 40_000
JOBS = ("1. CSV -> keep 25..80 -> SQLite", "2. SQLite -> keep 25..80 -> CSV",
        "3. SensorSource -> 3 stages -> CSV")  # fmt: skip

ENGINE = """\
import sys
import pipeline_lib.metrics
pipeline_lib.metrics.FAST_STAGE_MS *= 100  # callgrind's slowdown: sample as natively
from pipeline_lib.cli.main import main
sys.exit(main(["run", "--quiet", sys.argv[1]]))
"""


def instructions(command: list[str], folder: Path) -> int:
    return callgrindInstructions(command, cwd=folder, env=cachingBytecode(folder))


def countJobs(rows: int) -> list[tuple[int, int]]:
    """(engine, hand-written) instructions of each job at ``rows`` rows."""
    with tempfile.TemporaryDirectory(prefix="bench_instr.") as name:
        folder = Path(name)
        buildInputs(folder, rows)
        jobs = buildJobs(folder, rows)
        (folder / "engine.py").write_text(ENGINE, encoding="utf-8")
        counts = []
        for number, job in enumerate(jobs, 1):
            engine, hand = job.variants[0], job.variants[1]
            for variant in (engine, hand):
                variant.run(folder)  # fills the bytecode cache, as bench_job's untimed run
                (folder / variant.output).unlink()
            engineCount = instructions([sys.executable, "engine.py", f"job{number}.toml"], folder)
            (folder / engine.output).unlink()
            counts.append((engineCount, instructions(hand.command, folder)))
            print(".", end="", flush=True)
        return counts


def main() -> None:
    if shutil.which("valgrind") is None:
        print("valgrind not found: skipping the instruction-count job benchmark")
        return
    small, large = countJobs(SMALL), countJobs(LARGE)
    print(
        f"\ninstructions per record (callgrind; {SMALL:,} and {LARGE:,} rows; start-up excluded):"
    )
    for title, (engineSmall, handSmall), (engineLarge, handLarge) in zip(
        JOBS, small, large, strict=True
    ):
        engine = (engineLarge - engineSmall) / (LARGE - SMALL)
        hand = (handLarge - handSmall) / (LARGE - SMALL)
        print(f"  {title:<38} engine {engine:7.0f}   hand-written {hand:7.0f}   "
              f"ratio {engine / hand:.2f}")  # fmt: skip
    print("(goal of issue 16, in time: ratio <= 1.25)")


if __name__ == "__main__":
    main()

"""How long after ``exec`` a Ctrl-C or SIGTERM still gets Python's defaults (Linux only).

Python catches SIGINT from its start-up on (``KeyboardInterrupt``, a traceback, exit 1)
and never catches SIGTERM by itself (the process dies, exit -15). So the moment a
process's SIGTERM shows up as *caught* in ``/proc/PID/status`` (``SigCgt``) is the moment
our handlers are installed; before it, a signal gets Python's defaults. This script
starts each way of running the command line, polls that bit, and prints the median
time from ``exec`` (``Popen`` returns once the child has exec'd) to the handlers being
installed (the variants take turns). Nothing is instrumented; it prints numbers, never
fails on them.

    python benchmarks/bench_signal_window.py [--runs N]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

# A run long enough to be interrupted: the demo, quiet, far more readings than it gets to.
DEMO = ["demo", "--count", "100000000", "-q"]
PYTHON = sys.executable

VARIANTS = {
    "interpreter start-up alone (handler as the first statement)": [
        PYTHON, "-c",
        "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(143)); "
        "time.sleep(60)",
    ],
    "before: entry point pipeline_lib.cli:main (handlers in main())": [
        PYTHON, "-c", "import re, sys; from pipeline_lib.cli import main; sys.exit(main())", *DEMO,
    ],
    "python -m pipeline_lib (imports the package first)": [PYTHON, "-m", "pipeline_lib", *DEMO],
    "after: entry point pipeline_lib_launcher:main (the console script)": [
        PYTHON, "-c", "import re, sys; from pipeline_lib_launcher import main; sys.exit(main())",
        *DEMO,
    ],
}  # fmt: skip


def sigtermCaught(pid: int) -> bool:
    """Whether process ``pid`` has a handler for SIGTERM (bit 15 of ``SigCgt``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signal.SIGTERM - 1) & 1)
    return False


def windowSeconds(command: list[str]) -> float:
    """Seconds from exec until the child catches SIGTERM; then it is stopped with SIGTERM."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start = time.perf_counter()
    try:
        while not sigtermCaught(process.pid):
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode}")
        return time.perf_counter() - start
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per variant (9)")
    runs = parser.parse_args().runs
    if not Path("/proc/self/status").exists():
        print("needs Linux's /proc: nothing measured")
        return
    print(f"time from exec to SIGINT/SIGTERM handlers installed, median of {runs} runs:")
    measured: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(runs):  # the variants take turns, so a busy spell hits them all alike
        for name, command in VARIANTS.items():
            measured[name].append(windowSeconds(command))
    for name, times in measured.items():
        times.sort()
        print(
            f"  {statistics.median(times) * 1000:6.1f} ms  (min {times[0] * 1000:5.1f}, "
            f"max {times[-1] * 1000:5.1f})  {name}"
        )


if __name__ == "__main__":
    main()

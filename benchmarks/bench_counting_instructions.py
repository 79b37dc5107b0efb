"""Counting overhead of ``PipelineContext.run`` in CPU instructions, not seconds.

Wall-clock ratios on a shared 2-core machine swing by +-30 %; callgrind counts the
instructions a run executes, which is repeatable whatever else the machine is doing.
Each variant runs in its own process at two sizes; the difference divided by the
difference in records is the cost per record, free of start-up costs.

Target (issue 16): run() over trivial stages costs at most 5 % more per record than
the same bare generator chain. Needs ``valgrind`` (Debian: ``apt-get install valgrind``);
prints a notice and exits 0 without it. Takes about a minute.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from typing import Any

SMALL, LARGE = 20_000, 100_000

PROGRAM = r"""
import sys
from collections import deque
from pipeline_lib import PipelineContext

class Numbers:
    def __init__(self, n): self.n = n
    def stream(self):
        yield from range(self.n)

class PassThrough:
    def process(self, inputStream):
        for record in inputStream:
            yield record

class Drain:
    def consume(self, stream): deque(stream, maxlen=0)

which, n = sys.argv[1], int(sys.argv[2])
if which == "bare chain":
    stream = Numbers(n).stream()
    for _ in range(3):
        stream = PassThrough().process(stream)
    Drain().consume(stream)
else:
    with PipelineContext(Numbers(n)) as ctx:
        ctx.run(stages=[PassThrough() for _ in range(3)], sink=Drain())
"""


def callgrindInstructions(command: list[str], **options: Any) -> int:
    """The instructions ``command`` executes under callgrind (``options`` go to subprocess.run)."""
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True, text=True, check=True, **options,
    )  # fmt: skip
    match = re.search(r"Collected : ([\d,]+)", result.stderr)
    if match is None:
        raise RuntimeError(f"callgrind printed no total:\n{result.stderr}")
    return int(match.group(1).replace(",", ""))


def perRecord(variant: str) -> float:
    def instructions(records: int) -> int:
        return callgrindInstructions([sys.executable, "-c", PROGRAM, variant, str(records)])

    return (instructions(LARGE) - instructions(SMALL)) / (LARGE - SMALL)


def main() -> None:
    if shutil.which("valgrind") is None:
        print("valgrind not found: skipping the instruction-count benchmark")
        return
    bare = perRecord("bare chain")
    engine = perRecord("PipelineContext.run")
    print("3 pass-through stages, instructions per record (callgrind):")
    print(f"  bare generator chain:   {bare:8.0f}")
    print(f"  PipelineContext.run:    {engine:8.0f}")
    print(f"(a) run() / bare chain: {engine / bare:.3f}   (target <= 1.05)")


if __name__ == "__main__":
    main()

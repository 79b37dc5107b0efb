"""What the engine's bookkeeping costs: run()'s counting, @measuredStage, and memory.

Run with ``make bench``. It prints ratios from one run and never fails on timing (the
machine may be shared; speed targets are read by people, not asserted by tests):

(a) ``PipelineContext.run`` over trivial unmeasured stages vs the same bare generator
    chain (target: at most 1.10);
(b) every stage measured by ``pipeline_lib.measuredStage`` vs the slide's decorator
    (``pipeline_lib.naive.measuredStage``) (target: at most 1.00), and both vs bare;
(c) peak traced memory (tracemalloc) of a measured run of 20k and of 400k records
    (target: no larger for 400k), beside the slide's list-based decorator.

Each timing is the median of several repetitions; the variants take turns within each
repetition, so a burst of load from another process hits them alike.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import tracemalloc
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from pipeline_lib import PipelineContext, measuredStage, naive

RECORDS = 200_000
STAGES = 3
REPEAT = 7
MEMORY_RECORDS = (20_000, 400_000)


class CountingSource:
    """``stream()`` yields the ints ``0 .. count-1`` from a generator."""

    def __init__(self, count: int) -> None:
        self.count = count

    def stream(self) -> Iterator[int]:
        yield from range(self.count)


class PassThrough:
    """The cheapest possible stage, so that any overhead shows."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        yield from inputStream


class MeasuredPassThrough:
    @measuredStage("PassThrough")
    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        yield from inputStream


class ExactPassThrough:
    @measuredStage("PassThrough", sampleEvery=1)
    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        yield from inputStream


class SlidePassThrough:
    @naive.measuredStage("PassThrough")
    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        yield from inputStream


class DrainSink:
    def consume(self, stream: Iterator[Any]) -> None:
        deque(stream, maxlen=0)  # drains at C speed


def bareChain(stageType: type, records: int = RECORDS) -> None:
    """Chain the generators by hand and drain them: no engine at all."""
    stream: Iterator[Any] = CountingSource(records).stream()
    for _ in range(STAGES):
        stream = stageType().process(stream)
    DrainSink().consume(stream)


def engineRun(stageType: type, records: int = RECORDS) -> None:
    """The same pipeline through ``PipelineContext.run``."""
    with PipelineContext(CountingSource(records), pipelineId="bench") as ctx:
        ctx.run(stages=[stageType() for _ in range(STAGES)], sink=DrainSink())


def seconds(run: Callable[[], None]) -> float:
    gc.collect()
    start = time.perf_counter()
    run()
    elapsed = time.perf_counter() - start
    naive.naiveMetrics.clear()  # the slide's decorator keeps every list otherwise
    return elapsed


def medians(variants: dict[str, Callable[[], None]]) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(REPEAT):
        for name, run in variants.items():
            samples[name].append(seconds(run))
    return {name: statistics.median(times) for name, times in samples.items()}


def peakMemory(run: Callable[[], None]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        naive.naiveMetrics.clear()


def main() -> None:
    started = time.perf_counter()
    print(f"Python {sys.version.split()[0]}; {RECORDS} records, {STAGES} pass-through stages,")
    print(f"median of {REPEAT} repetitions.\n")

    times = medians(
        {
            "bare": lambda: bareChain(PassThrough),
            "context": lambda: engineRun(PassThrough),
            "measured": lambda: bareChain(MeasuredPassThrough),
            "slide": lambda: bareChain(SlidePassThrough),
            "exact": lambda: bareChain(ExactPassThrough),
            "measured in context": lambda: engineRun(MeasuredPassThrough),
        }
    )
    perRecord = {name: t / RECORDS * 1e9 for name, t in times.items()}
    for name, ns in perRecord.items():
        print(f"  {name:<20} {times[name] * 1000:8.1f} ms  ({ns:6.0f} ns/record)")

    bare = times["bare"]
    print(f"\n(a) PipelineContext.run / bare chain (unmeasured):  {times['context'] / bare:.3f}")
    print("    target <= 1.10; the difference is run()'s counting and the lifecycle")
    print(
        "(b) engine @measuredStage / slide's @measuredStage: "
        f"{times['measured'] / times['slide']:.3f}  (target <= 1.00)"
    )
    print(f"    engine @measuredStage / bare chain:              {times['measured'] / bare:.3f}")
    print(f"    slide's @measuredStage / bare chain:             {times['slide'] / bare:.3f}")
    print(f"    engine, sampleEvery=1 (exact) / bare chain:      {times['exact'] / bare:.3f}")
    print(
        "    engine @measuredStage in PipelineContext / bare: "
        f"{times['measured in context'] / bare:.3f}"
    )

    print("\n(c) peak traced memory (tracemalloc), 3 measured stages through PipelineContext:")
    for label, stageType in (
        ("engine @measuredStage", MeasuredPassThrough),
        ("engine, sampleEvery=1", ExactPassThrough),
        ("slide's @measuredStage", SlidePassThrough),
    ):
        peaks = [peakMemory(lambda n=n, t=stageType: engineRun(t, n)) for n in MEMORY_RECORDS]
        small, large = peaks
        print(
            f"    {label:<24} {MEMORY_RECORDS[0]:>7} records: {small / 1024:8.1f} KiB   "
            f"{MEMORY_RECORDS[1]:>7} records: {large / 1024:8.1f} KiB   "
            f"({'no larger' if large <= small else f'+{(large - small) / 1024:.1f} KiB'})"
        )
    print(f"\nbenchmark took {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()

"""What the engine's bookkeeping costs: run()'s counting, @measuredStage, and memory.

Run with ``make bench``. It prints ratios from one run and never fails on timing (the
machine may be shared; speed targets are read by people, not asserted by tests):

(a) ``PipelineContext.run`` over trivial unmeasured stages vs the same bare generator
    chain (target, issue 16: at most 1.05);
(b) every stage measured by ``pipeline_lib.measuredStage`` vs the slide's decorator
    (``pipeline_lib.naive.measuredStage``): throughput ratio (target, issue 16: at least
    1.5, i.e. the engine's time at most 0.67 of the slide's), and both vs bare;
(c) peak traced memory (tracemalloc) of a measured run of 20k and of 400k records
    (target: no larger for 400k), beside the slide's list-based decorator.

It also runs the stages written with ``yield from``, the cheapest stage Python has, as
the harshest baseline for run()'s per-record counting.

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

from pipeline_lib import (
    Normalizer,
    PipelineContext,
    SensorSource,
    ThresholdFilter,
    measuredStage,
    naive,
)

RECORDS = 100_000
STAGES = 3
REPEAT = 9
MEMORY_RECORDS = (20_000, 400_000)


class CountingSource:
    """``stream()`` yields the ints ``0 .. count-1`` from a generator."""

    def __init__(self, count: int) -> None:
        self.count = count

    def stream(self) -> Iterator[int]:
        yield from range(self.count)


class PassThrough:
    """A trivial stage written as the course writes stages, so that any overhead shows."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        for record in inputStream:  # noqa: UP028 (the slides' shape of a stage)
            yield record


class YieldFromPassThrough:
    """The cheapest stage Python has: the harshest baseline for run()'s counting."""

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        yield from inputStream


class MeasuredPassThrough:
    @measuredStage("PassThrough")
    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        for record in inputStream:  # noqa: UP028
            yield record


class ExactPassThrough:
    @measuredStage("PassThrough", sampleEvery=1)
    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        for record in inputStream:  # noqa: UP028
            yield record


class SlidePassThrough:
    @naive.measuredStage("PassThrough")
    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        for record in inputStream:  # noqa: UP028
            yield record


class DrainSink:
    def consume(self, stream: Iterator[Any]) -> None:
        deque(stream, maxlen=0)  # drains at C speed


class ReplaySource:
    """Replays readings made once, so that only the stages and the engine are timed."""

    def __init__(self, readings: list[Any]) -> None:
        self.readings = readings

    def stream(self) -> Iterator[Any]:
        yield from self.readings


READINGS = list(SensorSource(count=RECORDS, seed=1).stream())


def builtinStages() -> list[Any]:
    return [ThresholdFilter(20.0, 80.0), Normalizer(0.0, 100.0)]


def builtinBare() -> None:
    stream: Iterator[Any] = ReplaySource(READINGS).stream()
    for stage in builtinStages():
        stream = stage.process(stream)
    DrainSink().consume(stream)


def builtinEngine() -> None:
    with PipelineContext(ReplaySource(READINGS), pipelineId="bench") as ctx:
        ctx.run(stages=builtinStages(), sink=DrainSink())


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
            "bare, yield from": lambda: bareChain(YieldFromPassThrough),
            "context, yield from": lambda: engineRun(YieldFromPassThrough),
            "built-ins, bare": builtinBare,
            "built-ins, context": builtinEngine,
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
    yieldFrom = times["context, yield from"] / times["bare, yield from"]
    print(f"    the same with `yield from` stages:               {yieldFrom:.3f}")
    builtins = times["built-ins, context"] / times["built-ins, bare"]
    print(f"    ThresholdFilter + Normalizer over SensorReadings: {builtins:.3f}")
    extraNs = (times["context"] - bare) / RECORDS * 1e9
    print(f"    target <= 1.05; run() adds {extraNs:.0f} ns/record (wall clock: noisy on a shared")
    print("    machine; bench_counting_instructions.py counts CPU instructions instead)")
    print(
        "(b) throughput, engine @measuredStage / slide's:    "
        f"{times['slide'] / times['measured']:.3f}  (target >= 1.5)"
    )
    print(f"    engine @measuredStage / bare chain:              {times['measured'] / bare:.3f}")
    print(f"    slide's @measuredStage / bare chain:             {times['slide'] / bare:.3f}")
    print(f"    engine, sampleEvery=1 (exact) / bare chain:      {times['exact'] / bare:.3f}")
    print(
        "    engine @measuredStage in PipelineContext / bare: "
        f"{times['measured in context'] / bare:.3f}"
    )

    print("\n(c) peak traced memory (tracemalloc), 3 measured stages through PipelineContext,")
    print("    least of 2 runs after a warm-up run (a few KiB vary with the latencies measured):")
    for label, stageType, runs in (
        ("engine @measuredStage", MeasuredPassThrough, 2),
        ("slide's @measuredStage", SlidePassThrough, 1),
    ):
        peakMemory(lambda t=stageType: engineRun(t, 1000))  # warm-up: first-use allocations
        small, large = (
            min(peakMemory(lambda n=n, t=stageType: engineRun(t, n)) for _ in range(runs))
            for n in MEMORY_RECORDS
        )
        print(
            f"    {label:<24} {MEMORY_RECORDS[0]:>7} records: {small / 1024:8.1f} KiB   "
            f"{MEMORY_RECORDS[1]:>7} records: {large / 1024:8.1f} KiB   "
            f"({'no larger' if large <= small else f'+{(large - small) / 1024:.1f} KiB'})"
        )
    print(f"\nbenchmark took {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()

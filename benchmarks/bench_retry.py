"""What @retryOnFailure costs per record when nothing fails (prints ratios, never fails).

.venv/bin/python benchmarks/bench_retry.py
"""

from __future__ import annotations

import timeit
from collections import deque
from collections.abc import Iterator

from pipeline_lib import naive, retryOnFailure

COUNT = 200_000


class Bare:
    def stream(self) -> Iterator[int]:
        yield from range(COUNT)


class Slide(Bare):
    @naive.retryOnFailure(maxAttempts=3, delaySeconds=0.0)
    def stream(self) -> Iterator[int]:
        yield from range(COUNT)


class Engine(Bare):
    @retryOnFailure(maxAttempts=3, delaySeconds=0.0)
    def stream(self) -> Iterator[int]:
        yield from range(COUNT)


def perRecordNs(source: Bare) -> float:
    best = min(timeit.repeat(lambda: deque(source.stream(), maxlen=0), number=1, repeat=7))
    return best / COUNT * 1e9


if __name__ == "__main__":
    bare, slide, engine = (perRecordNs(cls()) for cls in (Bare, Slide, Engine))
    print(f"bare generator       {bare:6.1f} ns/record")
    print(f"slide 10 retry       {slide:6.1f} ns/record  ({slide / bare:.2f}x bare)")
    print(f"engine retryOnFailure {engine:5.1f} ns/record  ({engine / bare:.2f}x bare)")

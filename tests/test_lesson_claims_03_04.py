"""The key claims of notebooks 03 and 04, pinned by experiments that do not use the notebooks.

Each test names the sentence it pins. Where a notebook uses a teaching aid (a FakeClock),
the claim is checked without it too, so the aid cannot be what creates the phenomenon.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import pipeline_lib
from pipeline_lib import PipelineContext, naive
from pipeline_lib.testing import BusyClock, FakeClock, timerLanes
from pipeline_lib.validators import FiniteFloat

MS = 1e-3
COSTS = {"source": 0.5 * MS, "Parser": 1 * MS, "Enricher": 10 * MS, "sink": 2 * MS}


def costlyPipeline(
    decorator: Callable[..., Any], clock: Any, count: int
) -> tuple[Any, list[Any], Any]:
    """04's Source -> Parser -> Enricher -> sink, each spending COSTS on ``clock``."""

    class Source:
        def stream(self) -> Iterator[int]:
            for record in range(count):
                clock.spend(COSTS["source"], "source")
                yield record

    def stage(name: str) -> Any:
        class Costly:
            @decorator(name, clock=clock)
            def process(self, inputStream: Iterator[int]) -> Iterator[int]:
                for record in inputStream:
                    clock.spend(COSTS[name], name)
                    yield record

        return Costly()

    class Sink:
        def consume(self, stream: Iterator[int]) -> None:
            for _ in stream:
                clock.spend(COSTS["sink"], "sink")

    return Source(), [stage("Parser"), stage("Enricher")], Sink()


def meansMs(decorator: Callable[..., Any], clock: Any, count: int = 100) -> dict[str, float]:
    source, stages, sink = costlyPipeline(decorator, clock, count)
    logging.disable(logging.INFO)
    try:
        with PipelineContext(source, pipelineId="claims") as ctx:
            ctx.run(stages=stages, sink=sink)
    finally:
        logging.disable(logging.NOTSET)
    return {
        name: type(stage).process.lastMetrics.meanLatencyMs
        for name, stage in zip(("Parser", "Enricher"), stages, strict=True)
    }


# -- 04 ------------------------------------------------------------------------------------


def test_04_slide9_reports_the_consumers_work_the_engine_the_stages_own_on_a_fake_clock() -> None:
    """ "Slide 9 says Parser takes 12 ms per record and Enricher 2 ms"; the engine 1 and 10."""
    assert meansMs(naive.measuredStage, FakeClock()) == pytest.approx(
        {"Parser": 12.0, "Enricher": 2.0}
    )
    assert meansMs(pipeline_lib.measuredStage, FakeClock()) == pytest.approx(
        {"Parser": 1.0, "Enricher": 10.0}
    )


def test_04_the_same_blame_holds_for_real_busy_work_without_the_fake_clock() -> None:
    """ "The same experiment in real time gives the same verdict" (BusyClock: real CPU work)."""
    slide = meansMs(naive.measuredStage, BusyClock(scale=1 / 20), count=60)
    engine = meansMs(pipeline_lib.measuredStage, BusyClock(scale=1 / 20), count=60)
    assert slide["Parser"] > slide["Enricher"]  # the fast stage blamed
    assert engine["Enricher"] > engine["Parser"]  # the slow stage found


def test_04_pipeline_context_times_the_run_on_the_real_clock_not_the_decorators_clock() -> None:
    """ "PipelineContext times the whole run on the real clock ... the run took milliseconds"."""
    clock = FakeClock()
    source, stages, sink = costlyPipeline(pipeline_lib.measuredStage, clock, 100)
    logging.disable(logging.INFO)
    with PipelineContext(source, pipelineId="clocks") as ctx:
        ctx.run(stages=stages, sink=sink)
    logging.disable(logging.NOTSET)
    assert clock() == pytest.approx(1.35)  # "the fake clock moved 100 x 13.5 ms = 1.35 s"
    assert ctx.elapsedSeconds < 1.0
    assert ctx.metrics["Enricher"].throughputRps == pytest.approx(100.0)  # per second of own time


def test_04_timer_lanes_are_what_each_decorator_measures() -> None:
    """The timeline's hatched bars have the lengths the decorators report."""
    clock = FakeClock()
    source, stages, sink = costlyPipeline(pipeline_lib.measuredStage, clock, 3)
    logging.disable(logging.INFO)
    with PipelineContext(source, pipelineId="lanes") as ctx:
        ctx.run(stages=stages, sink=sink)
    logging.disable(logging.NOTSET)
    lanes = timerLanes(clock, "Parser", upstream="source", records=2)
    lengths = {
        label: [round((end - start) * 1000, 9) for start, end in spans]
        for label, spans in lanes.items()
    }
    assert lengths == {
        "slide 9's timer: Parser": [12.0, 12.0],  # = slide 9's meanLatency for Parser
        "engine: Parser's next()": [1.5, 1.5],
        "engine: Parser's own time": [1.0, 1.0],  # = the engine's meanLatency for Parser
    }


def test_04_functools_wraps_keeps_the_name_and_docstring_and_without_it_they_are_lost() -> None:
    def process(self: Any, inputStream: Iterator[int]) -> Iterator[int]:
        """Parse each record."""
        yield from inputStream

    wrapped = pipeline_lib.naive.measuredStage("Parser")(process)
    assert (wrapped.__name__, wrapped.__doc__, wrapped.__wrapped__) == (
        "process",
        "Parse each record.",
        process,
    )

    def bare(processMethod: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, inputStream: Iterator[int]) -> Iterator[int]:
            yield from processMethod(self, inputStream)

        return wrapper

    assert (bare(process).__name__, bare(process).__doc__) == ("wrapper", None)
    assert functools.wraps(process)(bare(process)).__name__ == "process"


# -- 03 ------------------------------------------------------------------------------------


class Slide6PositiveFloat:
    """Slide 6's descriptor, as the notebook writes it."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = f"_{name}"

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        return getattr(obj, self._name, None)

    def __set__(self, obj: Any, value: Any) -> None:
        if not isinstance(value, (int, float)):
            raise TypeError(f"{self._name[1:]} must be numeric, got {value!r}")
        if value <= 0:
            raise ValueError(f"{self._name[1:]} must be > 0, got {value!r}")
        setattr(obj, self._name, float(value))


def test_03_slide6_reads_an_unset_field_as_none_the_engine_raises() -> None:
    class SlideSensor:
        rateHz = Slide6PositiveFloat()

    class EngineSensor:
        rateHz = pipeline_lib.PositiveFloat()

    assert SlideSensor().rateHz is None
    with pytest.raises(AttributeError, match=r"EngineSensor\.rateHz has not been set"):
        EngineSensor().rateHz  # noqa: B018


def test_03_a_positive_float_lower_bound_refuses_zero_and_below_a_finite_float_subclass_not() -> (
    None
):
    """Slide 7 declares the bounds as PositiveFloat, so a lower bound of 0 or below is refused."""
    for lower in (0.0, -5.0):
        with pytest.raises(ValueError, match="filterMin must be > 0"):
            pipeline_lib.PipelineConfig(100.0, 10, lower, 40.0)

    class CelsiusConfig(pipeline_lib.PipelineConfig):
        filterMin = FiniteFloat()
        filterMax = FiniteFloat()

    assert CelsiusConfig(100.0, 10, -5.0, 40.0).filterMin == -5.0
    with pytest.raises(ValueError, match="filterMin must be < filterMax"):
        CelsiusConfig(100.0, 10, 40.0, -5.0)  # every other rule stays


class Slide7Config:
    samplingRateHz = Slide6PositiveFloat()

    def __init__(self, samplingRateHz: Any) -> None:
        self.samplingRateHz = samplingRateHz


def test_03_with_a_descriptor_the_culprit_is_one_or_two_frames_below_the_raise() -> None:
    """The caption: one frame below the raise for an assignment, two for the constructor."""
    from pipeline_lib.plotting import errorStack

    namespace: dict[str, Any] = {"config": Slide7Config(100.0), "Slide7Config": Slide7Config}
    exec(
        "try:\n    config.samplingRateHz = -5\nexcept ValueError as e:\n    assigned = e\n"
        "try:\n    Slide7Config(-5)\nexcept ValueError as e:\n    built = e\n",
        namespace,
    )
    assert errorStack(namespace["assigned"]) == ["your cell", "Slide6PositiveFloat.__set__"]
    assert errorStack(namespace["built"]) == [
        "your cell",
        "Slide7Config.__init__",
        "Slide6PositiveFloat.__set__",
    ]

"""The key claims of notebook 00 (its recap, exercise and glossary), pinned outside it.

00 states facts about Python (generators are lazy, ``close()`` runs ``finally``, data
descriptors win over the instance dictionary, ...) and about the engine (a plain class with
the right method is a component). Each test runs the claim on plain Python objects, with
no fault injector or helper of ours in between, so that it holds in general. (07's claims
are its quiz's feedback: ``tests/exercises/test_quiz.py`` runs each of them.)
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline_lib import ListSink, PipelineContext, SensorSource, Sink, Source, Stage
from pipeline_lib.exercises.nb00_start_here import keepWithoutSpikes

# -- the recap: three protocols, lazy generators, no base class ------------------------------


class CountingSource:
    """A plain class: yields count numbered readings and counts how many it produced."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.produced = 0

    def stream(self) -> Iterator[tuple[str, float, float]]:
        for step in range(self.count):
            self.produced += 1
            yield ("ramp-1", step * 0.1, 10.0 * step)


class Double:
    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        for sensorId, timestamp, value in inputStream:
            yield (sensorId, timestamp, value * 2)


class Collect:
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def consume(self, stream: Iterator[Any]) -> None:
        self.seen.extend(stream)


def test_a_chain_of_generators_does_no_work_until_the_sink_pulls() -> None:
    source = CountingSource(3)
    chain = Double().process(source.stream())
    assert source.produced == 0  # built, not run
    Collect().consume(chain)
    assert source.produced == 3


def test_plain_classes_are_components_and_run_in_pipeline_context() -> None:
    source, sink = CountingSource(4), Collect()
    assert isinstance(source, Source) and isinstance(Double(), Stage) and isinstance(sink, Sink)
    with PipelineContext(source, pipelineId="plain") as ctx:
        ctx.run(stages=[Double()], sink=sink)
    assert ctx.recordCount == 4 and [value for *_, value in sink.seen] == [0, 20, 40, 60]


def test_an_object_without_the_method_is_not_a_component() -> None:
    assert not isinstance(Collect(), Source) and not isinstance(CountingSource(1), Sink)


def test_sensor_source_is_deterministic_per_seed_with_spikes_and_dropouts() -> None:
    first = list(SensorSource(count=3000, seed=7).stream())
    assert first == list(SensorSource(count=3000, seed=7).stream())
    assert first != list(SensorSource(count=3000, seed=8).stream())
    perSensor: defaultdict[str, list[Any]] = defaultdict(list)
    for reading in first:
        perSensor[reading.sensorId].append(reading)
    period = 1 / SensorSource().samplingRateHz
    gaps = [
        later.timestamp - earlier.timestamp
        for readings in perSensor.values()
        for earlier, later in itertools.pairwise(readings)
    ]
    assert max(gaps) > 2.5 * period  # a dropout: readings missing, timestamps jump
    assert any(_isSpike(readings, i) for readings in perSensor.values() for i in range(1, 999))


def _isSpike(readings: list[Any], index: int) -> bool:
    """More than 30 away from the median of the same sensor's three readings either side.

    The noise is Gaussian with a spread of 6, a spike adds 40 to 80: 30 tells them apart.
    """
    neighbours = [
        r.value for r in readings[max(0, index - 3) : index] + readings[index + 1 : index + 4]
    ]
    return abs(readings[index].value - statistics.median(neighbours)) > 30


def test_the_spike_filter_of_exercise_1_drops_exactly_the_spikes_of_its_example_stream() -> None:
    # The ✅ message says "drops only their own spikes (5 of 300 readings)".
    readings = list(SensorSource(count=300, seed=42).stream())
    kept = keepWithoutSpikes(readings)
    dropped = [r for r in readings if r not in kept]
    perSensor = {
        s: [r for r in readings if r.sensorId == s] for s in {r.sensorId for r in readings}
    }
    assert len(dropped) == 5
    for reading in dropped:
        own = perSensor[reading.sensorId]
        assert _isSpike(own, own.index(reading)), reading


def test_one_memory_for_all_sensors_drops_good_readings_of_interleaved_sensors() -> None:
    readings = list(SensorSource(count=300, seed=42).stream())
    shared = keepWithoutSpikes(readings, keyOf=lambda reading: "all")
    assert len(readings) - len(shared) > 10 * (len(readings) - len(keepWithoutSpikes(readings)))


# -- the glossary ------------------------------------------------------------------------------


class Announcing:
    def __init__(self) -> None:
        self.exits: list[object] = []

    def __enter__(self) -> Announcing:
        return self

    def __exit__(self, excType: Any, excVal: Any, excTb: Any) -> bool:
        self.exits.append(excType)
        return False


@pytest.mark.parametrize("ending", [None, ValueError, KeyboardInterrupt])
def test_with_calls_exit_however_the_block_ends_and_false_lets_the_error_go_on(
    ending: type[BaseException] | None,
) -> None:
    manager = Announcing()
    expected = pytest.raises(ending) if ending else contextlib.nullcontext()
    with expected, manager:
        if ending:
            raise ending("boom")
    assert manager.exits == [ending]


def _guarded(log: list[str]) -> Iterator[int]:
    try:
        yield 1
        yield 2
    except GeneratorExit:
        log.append("GeneratorExit at the yield")
        raise
    finally:
        log.append("finally")


def test_close_raises_generator_exit_at_the_yield_and_runs_finally_now() -> None:
    log: list[str] = []
    generator = _guarded(log)
    next(generator)
    generator.close()
    assert log == ["GeneratorExit at the yield", "finally"]


def test_a_generator_never_started_or_finished_closes_at_once_running_nothing() -> None:
    log: list[str] = []
    _guarded(log).close()  # never started: its try was never entered
    finished = _guarded(log)
    list(finished)
    log.clear()
    finished.close()
    assert log == []


def test_a_data_descriptor_wins_over_the_instance_dict_and_a_non_data_one_does_not() -> None:
    class NonData:
        def __get__(self, obj: object, objtype: object = None) -> str:
            return "descriptor"

    class Data(NonData):
        def __set__(self, obj: object, value: object) -> None:
            pass

    class Owner:
        plain = NonData()
        guarded = Data()

    owner = Owner()
    owner.__dict__.update(plain="instance", guarded="instance")
    assert (owner.plain, owner.guarded) == ("instance", "descriptor")


def test_functools_wraps_copies_the_name_and_docstring() -> None:
    def method() -> None:
        """The docstring."""

    def bare(*args: Any) -> None:
        return method()

    wrapped = functools.wraps(method)(bare)
    assert (wrapped.__name__, wrapped.__doc__) == ("method", "The docstring.")


def test_an_exception_kept_by_a_frame_of_its_own_traceback_is_freed_only_by_gc() -> None:
    closed: list[str] = []

    def source() -> Iterator[int]:
        try:
            yield from range(10)
        finally:
            closed.append("source")

    def careless(inputStream: Iterator[int]) -> Iterator[int]:
        for index in inputStream:
            if index == 3:
                error = OSError("link lost")
                raise error  # this frame now holds the exception that holds this frame
            yield index

    gc.disable()
    try:
        kept: list[BaseException] = []
        try:
            ListSink().consume(careless(source()))
        except OSError as error:
            kept.append(error)
        kept.clear()
        assert closed == []  # a reference cycle: reference counting cannot free it
        gc.collect()
        assert closed == ["source"]
    finally:
        gc.enable()

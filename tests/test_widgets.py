"""FailureLab driven headless: set controls, click, read its attributes and its figure."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import traitlets
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_lib.widgets import FailureLab, LabRun


@pytest.fixture
def lab() -> Iterator[FailureLab]:
    lab = FailureLab(poolSize=3, records=100)
    yield lab
    lab.close()


def failIn(lab: FailureLab, where: str, runner: str, atRecord: int = 5) -> None:
    lab.where.value, lab.runner.value, lab.atRecord.value = where, runner, atRecord


def clicks(lab: FailureLab, n: int) -> list[LabRun]:
    for _ in range(n):
        lab.runButton.click()
    return lab.history[-n:]


def plotted(lab: FailureLab, label: str) -> list[float]:
    assert lab.figure is not None
    (line,) = [line for line in lab.figure.axes[0].lines if line.get_label() == label]
    return [float(y) for y in line.get_ydata()]


def test_the_lab_shows_itself_as_a_widget_with_a_short_text_form(lab: FailureLab) -> None:
    bundle = lab._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == "FailureLab(poolSize=3, runs=0)"
    assert bytes(lab.plot.value).startswith(b"\x89PNG")
    assert "No run yet" in lab.summary.value


def test_a_run_without_a_fault_delivers_everything_that_passes_the_filter(lab: FailureLab) -> None:
    (run,) = clicks(lab, 1)
    assert run.status == "completed" and run.error is None
    assert 90 <= run.delivered <= 100 and run.duplicates == 0
    assert run.connectionsInUse == 0
    assert lab.progress.value == lab.progress.max == 100
    assert "completed" in lab.summary.value and "run 1: PipelineContext, no fault" in lab.log


def test_naive_runner_leaks_one_connection_per_failing_run_until_the_pool_is_exhausted(
    lab: FailureLab,
) -> None:
    failIn(lab, "ThresholdFilter", "runWithoutCleanup")
    runs = clicks(lab, 5)
    assert [r.connectionsInUse for r in runs] == [1, 2, 3, 3, 3]
    assert [r.descriptorsHeld for r in runs][:3] == [1, 2, 3]
    assert [r.delivered for r in runs] == [5, 5, 5, 0, 0]
    assert runs[3].error is not None and runs[3].error.startswith("PoolExhausted: ")
    assert any(line.startswith("  -> FAILED: PoolExhausted") for line in lab.log)
    assert "PoolExhausted" in lab.summary.value
    assert plotted(lab, "connections in use") == [1, 2, 3, 3, 3]
    assert plotted(lab, "failed run") == [1, 2, 3, 3, 3]


def test_pipeline_context_keeps_the_line_flat_although_the_lab_holds_every_exception(
    lab: FailureLab,
) -> None:
    failIn(lab, "Normalizer", "PipelineContext")
    runs = clicks(lab, 5)
    assert all(r.status == "failed" and r.error for r in runs)
    assert len(lab.heldErrors) == 5
    assert [r.connectionsInUse for r in runs] == [0] * 5
    assert len({r.descriptorsHeld for r in runs}) == 1  # flat: the pool's idle connection
    assert plotted(lab, "connections in use") == [0] * 5
    assert "  ERROR: [lab-run-1] FAILED after" in " ".join(lab.log)


def test_a_failure_in_the_source_itself_leaks_nothing_even_without_cleanup(
    lab: FailureLab,
) -> None:
    failIn(lab, "source", "runWithoutCleanup")
    runs = clicks(lab, 3)
    assert [r.connectionsInUse for r in runs] == [0, 0, 0]
    assert all(r.error and "of SqliteSource" in r.error for r in runs)


def test_a_failing_sink_leaks_the_source_with_the_naive_runner(lab: FailureLab) -> None:
    failIn(lab, "sink", "runWithoutCleanup", atRecord=7)
    (run,) = clicks(lab, 1)
    assert run.delivered == 7 and run.connectionsInUse == 1


def test_reset_releases_every_leaked_connection_and_starts_the_plot_over(
    lab: FailureLab,
) -> None:
    failIn(lab, "ThresholdFilter", "runWithoutCleanup")
    clicks(lab, 4)
    assert lab.pool.inUse == 3
    leakedPool = lab.pool
    lab.resetButton.click()
    assert leakedPool.inUse == 0 and lab.pool.inUse == 0
    assert lab.history == [] and lab.heldErrors == [] and lab.log == []
    assert lab.logOutput.outputs == () and lab.lastRun is None
    assert plotted(lab, "connections in use") == []
    (run,) = clicks(lab, 1)
    assert run.run == 1 and run.connectionsInUse == 1 and run.descriptorsHeld == 1


def test_close_releases_the_pool_removes_the_database_and_closes_the_widgets() -> None:
    lab = FailureLab(poolSize=2, records=100)
    lab.where.value, lab.runner.value = "sink", "runWithoutCleanup"
    clicks(lab, 2)
    pool, database = lab.pool, lab.database
    assert pool.inUse == 2 and database.exists()
    lab.close()
    assert pool.inUse == 0 and not database.parent.exists()
    assert lab.runButton.comm is None and lab.root.comm is None


def test_a_transient_fault_heals_after_failing_its_number_of_times(lab: FailureLab) -> None:
    failIn(lab, "ThresholdFilter", "PipelineContext")
    lab.permanence.value, lab.failTimes.value = "transient", 2
    runs = clicks(lab, 3)
    assert [r.status for r in runs] == ["failed", "failed", "completed"]
    assert [r.faultsInjected for r in runs] == [1, 1, 0]
    lab.atRecord.value = 6  # a changed setting is a new fault
    (run,) = clicks(lab, 1)
    assert run.status == "failed"


def test_a_fault_at_a_rate_fails_somewhere_and_is_reproducible() -> None:
    def firstRun() -> LabRun:
        lab = FailureLab(poolSize=2, records=100, seed=3)
        try:
            lab.where.value, lab.trigger.value, lab.rate.value = "source", "rate", 0.05
            return clicks(lab, 1)[0]
        finally:
            lab.close()

    first, second = firstRun(), firstRun()
    assert first.status == "failed" and first.delivered < 100
    assert first.error == second.error


def test_a_long_run_moves_the_progress_bar_as_it_reads(lab: FailureLab) -> None:
    seen: list[int] = []
    lab.progress.observe(lambda change: seen.append(change["new"]), names="value")
    lab.records.value = 10_000
    clicks(lab, 1)
    assert seen == [2000, 4000, 6000, 8000, 10_000]
    assert lab.progress.max == 10_000


def test_a_short_run_sets_the_progress_bar_once_to_what_was_read(lab: FailureLab) -> None:
    seen: list[int] = []
    lab.progress.observe(lambda change: seen.append(change["new"]), names="value")
    failIn(lab, "source", "PipelineContext", atRecord=30)
    clicks(lab, 1)
    assert seen == [30]  # from 0 (already 0) straight to the records read


def test_controls_that_do_not_apply_are_disabled(lab: FailureLab) -> None:
    assert lab.atRecord.disabled and lab.rate.disabled and lab.permanence.disabled
    lab.where.value = "sink"
    assert not lab.atRecord.disabled and lab.rate.disabled and lab.failTimes.disabled
    lab.trigger.value, lab.permanence.value = "rate", "transient"
    assert lab.atRecord.disabled and not lab.rate.disabled and not lab.failTimes.disabled


def test_the_record_slider_follows_the_number_of_records(lab: FailureLab) -> None:
    lab.records.value = 1000
    lab.atRecord.value = 500
    lab.records.value = 100
    assert lab.atRecord.max == 99 and lab.atRecord.value == 99
    with pytest.raises(traitlets.TraitError):
        lab.records.value = 7


def test_the_engine_log_level_is_restored_after_a_run(lab: FailureLab) -> None:
    engineLogger = logging.getLogger("pipeline_lib")
    before = engineLogger.level, list(engineLogger.handlers)
    clicks(lab, 1)
    assert (engineLogger.level, list(engineLogger.handlers)) == before


def test_the_plot_is_labelled_and_marks_naive_runs(lab: FailureLab) -> None:
    failIn(lab, "Normalizer", "runWithoutCleanup")
    clicks(lab, 1)
    lab.runner.value = "PipelineContext"
    clicks(lab, 1)
    assert lab.figure is not None
    axes = lab.figure.axes[0]
    assert axes.get_title() == "Resources still held after each run"
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("run", "count")
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend[-2:] == ["pool size (3)", "runWithoutCleanup"]
    assert len(axes.patches) == 1  # one shaded naive run


# Each run redraws a PNG (~0.15 s), so fewer examples than the engine's own properties.
@settings(max_examples=10, deadline=None)
@given(
    plan=st.lists(
        st.tuples(
            st.sampled_from(["nowhere", "source", "ThresholdFilter", "Normalizer", "sink"]),
            st.sampled_from(["PipelineContext", "runWithoutCleanup"]),
            st.integers(0, 99),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_connections_in_use_count_exactly_the_naive_runs_that_failed_downstream(
    plan: list[tuple[str, str, int]],
) -> None:
    lab = FailureLab(poolSize=3, records=100)
    try:
        leaked = 0
        for where, runner, atRecord in plan:
            failIn(lab, where, runner, atRecord)
            run = clicks(lab, 1)[0]
            downstream = where in {"ThresholdFilter", "Normalizer", "sink"}
            if runner == "runWithoutCleanup" and run.error and downstream and leaked < 3:
                leaked += run.error.startswith("OSError")
            assert run.connectionsInUse == leaked
            assert run.duplicates == 0
        lab.resetButton.click()
        assert lab.pool.inUse == 0
    finally:
        lab.close()

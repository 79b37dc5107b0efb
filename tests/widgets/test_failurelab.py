"""FailureLab driven headless: set controls, click, read its attributes and its figures.

Most labs here skip drawing PNGs (``renderPngs=False``: each PNG costs a few tenths of a
second); the figures are built all the same, and two tests check the PNGs themselves.
"""

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
    lab = FailureLab(poolSize=3, records=100, renderPngs=False)
    yield lab
    lab.close()


def failIn(lab: FailureLab, where: str, runner: str, atRecord: int = 5) -> None:
    lab.where.value, lab.runner.value, lab.atRecord.value = where, runner, atRecord


def clicks(lab: FailureLab, n: int) -> list[LabRun]:
    for _ in range(n):
        lab.runButton.click()
    return lab.history[-n:]


def plotted(lab: FailureLab, label: str, panel: int = 0) -> list[float]:
    """The y values of the line labelled ``label`` on the held-resources plot's ``panel``."""
    assert lab.figure is not None
    (line,) = [line for line in lab.figure.axes[panel].lines if line.get_label() == label]
    return [float(y) for y in line.get_ydata()]


def test_the_lab_shows_itself_as_a_widget_with_a_short_text_form() -> None:
    lab = FailureLab(poolSize=3, records=100)
    try:
        bundle = lab._repr_mimebundle_()
        assert "application/vnd.jupyter.widget-view+json" in bundle
        assert bundle["text/plain"] == "FailureLab(poolSize=3, runs=0)"
        assert "No run yet" in lab.summary.value  # a line, not two empty charts
        assert lab.plot.layout.display == lab.latencyPlot.layout.display == "none"
        assert "Try it" in lab.instructions.value and lab.instructions in lab.root.children
        clicks(lab, 1)
        assert bytes(lab.plot.value).startswith(b"\x89PNG")  # a Run draws both PNGs
        assert bytes(lab.latencyPlot.value).startswith(b"\x89PNG")
        assert lab.plot.layout.display is None and lab.latencyPlot.layout.display is None
    finally:
        lab.close()


def test_without_png_rendering_the_figures_are_still_built(lab: FailureLab) -> None:
    clicks(lab, 1)
    assert lab.plot.value == b"" and lab.latencyPlot.value == b""
    assert lab.figure is not None and lab.latencyFigure is not None


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
    assert plotted(lab, "after each run") == [1, 2, 3, 3, 3]
    assert plotted(lab, "failed run") == [1, 2, 3, 3, 3]
    assert plotted(lab, "after each run", panel=1)[:3] == [1, 2, 3]


def test_pipeline_context_keeps_the_line_flat_although_the_lab_holds_every_exception(
    lab: FailureLab,
) -> None:
    failIn(lab, "Normalizer", "PipelineContext")
    runs = clicks(lab, 5)
    assert all(r.status == "failed" and r.error for r in runs)
    assert len(lab.heldErrors) == 5
    assert [r.connectionsInUse for r in runs] == [0] * 5
    assert len({r.descriptorsHeld for r in runs}) == 1  # flat: the pool's idle connection
    assert plotted(lab, "after each run") == [0] * 5
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
    assert plotted(lab, "after each run") == []
    (run,) = clicks(lab, 1)  # every setting is back as the lab was made: no fault
    assert run.run == 1 and run.status == "completed" and run.connectionsInUse == 0
    failIn(lab, "ThresholdFilter", "runWithoutCleanup")
    (run,) = clicks(lab, 1)
    assert run.run == 2 and run.connectionsInUse == 1 and run.descriptorsHeld == 1


def test_reset_restores_every_setting_as_the_lab_was_made(lab: FailureLab) -> None:
    made = {name: getattr(lab, name).value for name in SETTINGS}
    lab.where.value, lab.permanence.value, lab.maxAttempts.value = "source", "transient", 3
    lab.runner.value, lab.trigger.value, lab.rate.value = "runWithoutCleanup", "rate", 0.05
    lab.atRecord.value, lab.failTimes.value, lab.records.value = 7, 2, 1000
    clicks(lab, 1)
    lab.resetButton.click()
    assert {name: getattr(lab, name).value for name in SETTINGS} == made
    (run,) = clicks(lab, 1)
    assert run.status == "completed" and run.retries == 0 and run.failAt == "nowhere"


SETTINGS = ("where", "trigger", "atRecord", "rate", "permanence", "failTimes", "runner",
            "maxAttempts", "records")  # fmt: skip


def test_switching_to_the_context_after_naive_runs_says_why_it_cannot_start(
    lab: FailureLab,
) -> None:
    failIn(lab, "ThresholdFilter", "runWithoutCleanup")
    clicks(lab, 3)
    lab.runner.value = "PipelineContext"
    (run,) = clicks(lab, 1)
    assert run.error is not None and run.error.startswith("PoolExhausted")
    assert run.advice == "the earlier runWithoutCleanup runs still hold 3 connections: press Reset"
    assert run.advice in lab.summary.value and f"  !! {run.advice}" in lab.log
    assert (
        lab.latencyFigure is None and "it failed before its first record" in lab.latencyNote.value
    )
    lab.resetButton.click()
    failIn(lab, "ThresholdFilter", "PipelineContext")
    runs = clicks(lab, 3)
    assert [(r.status, r.connectionsInUse, r.descriptorsHeld, r.advice) for r in runs] == [
        ("failed", 0, 0, "")
    ] * 3


def test_a_pool_exhausted_by_the_engine_alone_gives_no_advice_about_naive_runs() -> None:
    lab = FailureLab(poolSize=1, records=100, renderPngs=False)
    held = lab.pool.acquire("someone else")  # not the lab's naive runs
    try:
        (run,) = clicks(lab, 1)
        assert run.error is not None and run.error.startswith("PoolExhausted")
        assert run.advice == ""
    finally:
        lab.pool.release(held)
        lab.close()


def test_a_rate_fault_is_described_with_the_number_the_slider_shows(lab: FailureLab) -> None:
    lab.where.value, lab.trigger.value = "source", "rate"
    lab.rate.value = 0.010000000000000002  # a browser's echo of 0.01
    clicks(lab, 1)
    assert "rate 0.01 " in lab.log[0] and "0.0100000" not in " ".join(lab.log)


def test_close_releases_the_pool_removes_the_database_and_closes_the_widgets() -> None:
    lab = FailureLab(poolSize=2, records=100, renderPngs=False)
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
        lab = FailureLab(poolSize=2, records=100, seed=3, renderPngs=False)
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
    assert seen[0] < 10_000 and seen == sorted(seen) and seen[-1] == 10_000
    assert len(seen) <= 12  # paced by time (the command line's bar): not one per record
    assert lab.progress.max == 10_000


def test_a_short_run_leaves_the_progress_bar_at_what_was_read(lab: FailureLab) -> None:
    seen: list[int] = []
    lab.progress.observe(lambda change: seen.append(change["new"]), names="value")
    failIn(lab, "source", "PipelineContext", atRecord=30)
    clicks(lab, 1)
    assert seen[-1] == lab.progress.value == 30 and len(seen) <= 3


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


def test_the_plot_is_the_notebooks_leak_plot_with_failures_crossed_and_naive_runs_shaded(
    lab: FailureLab,
) -> None:
    failIn(lab, "Normalizer", "runWithoutCleanup")
    clicks(lab, 1)
    lab.runner.value = "PipelineContext"
    clicks(lab, 1)
    lab.where.value = "nowhere"
    clicks(lab, 1)
    assert lab.figure is not None
    assert lab.figure.get_suptitle() == "Resources still held after each run"
    connections, descriptors = lab.figure.axes
    assert connections.get_title() == "Pooled connections in use"
    assert descriptors.get_ylabel() == "file descriptors opened\n(count since the start)"
    (legend,) = lab.figure.legends  # one legend below both panels
    assert [text.get_text() for text in legend.get_texts()] == [
        "after each run",
        "failed run",
        "runWithoutCleanup",
    ]
    for axes in (connections, descriptors):
        assert len(axes.patches) == 1  # one shaded naive run
    assert plotted(lab, "failed run") == [1, 1]  # runs 1 and 2 failed, run 3 completed
    assert any(text.get_text() == "pool size = 3" for text in connections.texts)


# Each run builds two figures, so fewer examples than the engine's own properties.
@settings(max_examples=6, deadline=None)
@given(
    plan=st.lists(
        st.tuples(
            st.sampled_from(["nowhere", "source", "ThresholdFilter", "Normalizer", "sink"]),
            st.sampled_from(["PipelineContext", "runWithoutCleanup"]),
            st.integers(0, 99),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_connections_in_use_count_exactly_the_naive_runs_that_failed_downstream(
    plan: list[tuple[str, str, int]],
) -> None:
    lab = FailureLab(poolSize=3, records=100, renderPngs=False)
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


# -- retries: slide 10's restart duplicates, the engine's resume does not -------------


def retryTransientSourceFault(lab: FailureLab, runner: str, attempts: int = 2) -> LabRun:
    failIn(lab, "source", runner, atRecord=30)
    lab.permanence.value, lab.failTimes.value, lab.maxAttempts.value = "transient", 1, attempts
    return clicks(lab, 1)[0]


def test_slide_10s_retry_with_the_naive_runner_delivers_the_records_before_the_fault_twice(
    lab: FailureLab,
) -> None:
    (clean,) = clicks(lab, 1)
    run = retryTransientSourceFault(lab, "runWithoutCleanup")
    assert run.status == "completed" and run.retries == 1
    assert run.duplicates > 0 and run.delivered == clean.delivered + run.duplicates
    assert "  retry: the stream was started 2 times (restarted from record 0)" in lab.log
    assert f"duplicates <b>{run.duplicates}</b>" in lab.summary.value
    assert "retries <b>1</b>" in lab.summary.value


def test_the_engines_retry_with_pipeline_context_resumes_without_duplicates(
    lab: FailureLab,
) -> None:
    run = retryTransientSourceFault(lab, "PipelineContext")
    assert run.status == "completed" and run.retries == 1 and run.duplicates == 0
    assert run.delivered == clicks(lab, 1)[0].delivered  # the fault has healed: a clean run
    assert lab.waits == [1.0]  # the engine's default delay, noted and never slept
    assert any("SqliteSource.stream: attempt 1/2 failed: OSError" in line for line in lab.log)
    assert "  retry waits skipped by the lab: 1s" in lab.log


def test_an_injected_sleep_receives_the_engines_waits() -> None:
    waited: list[float] = []
    lab = FailureLab(poolSize=2, records=100, sleep=waited.append, renderPngs=False)
    try:
        run = retryTransientSourceFault(lab, "PipelineContext", attempts=3)
        assert run.retries == 1 and waited == [1.0] and lab.waits == []
    finally:
        lab.close()


def test_changing_the_runner_or_the_attempts_rearms_a_healed_transient_fault(
    lab: FailureLab,
) -> None:
    naiveRun = retryTransientSourceFault(lab, "runWithoutCleanup")
    lab.runner.value = "PipelineContext"
    engineRun = clicks(lab, 1)[0]
    assert (naiveRun.retries, engineRun.retries) == (1, 1)
    assert naiveRun.duplicates > 0 and engineRun.duplicates == 0
    assert naiveRun.delivered - naiveRun.duplicates == engineRun.delivered


def test_retries_cannot_rescue_a_permanent_fault_and_the_engine_gives_up_cleanly(
    lab: FailureLab,
) -> None:
    failIn(lab, "source", "PipelineContext", atRecord=10)
    lab.maxAttempts.value = 3
    (run,) = clicks(lab, 1)
    assert run.status == "failed" and run.retries == 2 and run.duplicates == 0
    assert run.connectionsInUse == 0
    assert any("attempt 3/3 failed" in line and "giving up" in line for line in lab.log)


def test_a_stage_failure_is_not_retried(lab: FailureLab) -> None:
    failIn(lab, "Normalizer", "PipelineContext")
    lab.maxAttempts.value = 3
    (run,) = clicks(lab, 1)
    assert run.status == "failed" and run.retries == 0 and run.delivered == 5


# -- the latency plot: each stage's own time in the last run --------------------------


def test_each_run_keeps_its_stages_metrics_and_plots_their_percentiles(lab: FailureLab) -> None:
    (run,) = clicks(lab, 1)
    assert list(run.stageMetrics) == ["ThresholdFilter", "Normalizer"]
    threshold, normalizer = run.stageMetrics.values()
    assert threshold.recordsIn == 100 and threshold.recordsOut == normalizer.recordsIn
    assert normalizer.recordsOut == run.delivered
    assert all(m.outcome == "exhausted" and m.histogram.count for m in run.stageMetrics.values())
    assert lab.latencyFigure is not None
    axes = lab.latencyFigure.axes[0]
    assert axes.get_title() == "Own time per record, by stage, run 1"
    assert [tick.get_text() for tick in axes.get_xticklabels()] == ["ThresholdFilter", "Normalizer"]
    assert [text.get_text() for text in axes.get_legend().get_texts()] == ["p50", "p95", "p99"]
    assert len(axes.patches) == 6  # 2 stages x 3 percentiles
    assert "LabRun(run=1" in repr(run) and "stageMetrics" not in repr(run)


def test_the_latency_plot_says_in_a_line_when_there_is_nothing_to_show(lab: FailureLab) -> None:
    assert lab.latencyFigure is None and lab.latencyNote.value == ""
    failIn(lab, "sink", "runWithoutCleanup", atRecord=3)  # the stages stay suspended
    (run,) = clicks(lab, 1)
    assert {m.outcome for m in run.stageMetrics.values()} == {"running"}
    assert lab.latencyFigure is None and lab.latencyPlot.layout.display == "none"
    assert "No latency chart for run 1" in lab.latencyNote.value
    assert "left suspended, never closed" in lab.latencyNote.value
    lab.runner.value = "PipelineContext"  # the engine closes them: what they saw is reported
    (run,) = clicks(lab, 1)
    assert {m.outcome for m in run.stageMetrics.values()} == {"closed"}
    assert lab.latencyFigure is not None and lab.latencyNote.value == ""
    assert lab.latencyFigure.axes[0].get_title().endswith("run 2")


def test_a_slider_value_echoed_back_rounded_does_not_rearm_a_healed_fault() -> None:
    lab = FailureLab(renderPngs=False)
    lab.where.value = "source"
    lab.permanence.value = "transient"
    lab.maxAttempts.value = 3
    first = lab.run()
    lab.rate.value = lab.rate.value + 1e-15  # what a browser's rounding sends back
    second = lab.run()
    assert first.retries == 1
    assert second.retries == 0 and second.status == "completed"
    lab.close()


def test_descriptors_held_are_exactly_one_per_connection_in_use_whatever_ran_before(
    lab: FailureLab,
) -> None:
    failIn(lab, "ThresholdFilter", "PipelineContext")
    clicks(lab, 2)  # managed: the pool keeps one idle connection open, which is not held
    lab.runner.value = "runWithoutCleanup"
    clicks(lab, 3)
    runs = lab.history
    assert [r.connectionsInUse for r in runs] == [0, 0, 1, 2, 3]
    assert [r.descriptorsHeld for r in runs] == [r.connectionsInUse for r in runs]


def test_following_the_printed_instructions_climbs_by_one_per_run_then_stays_flat() -> None:
    lab = FailureLab(poolSize=4, records=1000, renderPngs=False)
    try:
        text = lab.instructions.value
        assert "fail in: stage ThresholdFilter" in text and "runWithoutCleanup" in text
        lab.where.value, lab.runner.value = "ThresholdFilter", "runWithoutCleanup"
        climbing = [r.connectionsInUse for r in clicks(lab, 3)]
        lab.resetButton.click()
        assert lab.runner.value == "PipelineContext"  # "keep PipelineContext"
        lab.where.value = "ThresholdFilter"
        flat = [r.connectionsInUse for r in clicks(lab, 3)]
        assert (climbing, flat) == ([1, 2, 3], [0, 0, 0])
    finally:
        lab.close()

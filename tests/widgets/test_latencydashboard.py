"""LatencyDashboard driven headless: move sliders, read the metrics, the bottleneck, the figure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline_lib import StageMetrics
from pipeline_lib.widgets.latencydashboard import DEFAULT_COSTS_US, LatencyDashboard

STAGES = ["ThresholdFilter", "Normalizer", "WindowAverage"]


@pytest.fixture
def dashboard() -> Iterator[LatencyDashboard]:
    dashboard = LatencyDashboard(records=1_000, renderPngs=False)
    yield dashboard
    dashboard.close()


def test_the_dashboard_shows_itself_as_a_widget_with_a_stable_text_form() -> None:
    dashboard = LatencyDashboard()
    try:
        bundle = dashboard._repr_mimebundle_()
        assert "application/vnd.jupyter.widget-view+json" in bundle
        assert bundle["text/plain"] == (
            "LatencyDashboard(records=2000, costsUs=(ThresholdFilter=5, Normalizer=40, "
            "WindowAverage=15))"
        )
        assert bytes(dashboard.plot.value).startswith(b"\x89PNG")
        assert list(dashboard.costs) == STAGES == list(DEFAULT_COSTS_US)
    finally:
        dashboard.close()


def test_the_default_bottleneck_is_the_costliest_stage_and_the_summary_names_it(
    dashboard: LatencyDashboard,
) -> None:
    assert dashboard.bottleneck == "Normalizer" and dashboard.runs == 1
    assert list(dashboard.metrics) == STAGES
    assert all(isinstance(m, StageMetrics) and m.exact for m in dashboard.metrics.values())
    assert "<b class='latencydashboard-bottleneck'>Normalizer</b>" in dashboard.summary.value


def test_moving_a_cost_slider_re_measures_and_moves_the_bottleneck(
    dashboard: LatencyDashboard,
) -> None:
    dashboard.costs["ThresholdFilter"].value = 120
    assert dashboard.runs == 2 and dashboard.bottleneck == "ThresholdFilter"
    assert "<b class='latencydashboard-bottleneck'>ThresholdFilter</b>" in dashboard.summary.value
    dashboard.costs["Normalizer"].value = 0
    dashboard.costs["ThresholdFilter"].value = 0
    dashboard.costs["WindowAverage"].value = 0
    assert dashboard.bottleneck is None and dashboard.simulatedSeconds == 0.0
    assert "No bottleneck" in dashboard.summary.value


def test_own_time_blames_the_slow_stage_not_its_upstream_neighbour(
    dashboard: LatencyDashboard,
) -> None:
    # A slow last stage makes slide 9's wrapper blame the stage before it; own time does not.
    dashboard.costs["ThresholdFilter"].value = 1
    dashboard.costs["Normalizer"].value = 1
    dashboard.costs["WindowAverage"].value = 200
    metrics = dashboard.metrics
    assert dashboard.bottleneck == "WindowAverage"
    assert (
        metrics["Normalizer"].percentileMs(50) < 0.002 < metrics["WindowAverage"].percentileMs(50)
    )


def test_percentiles_follow_the_cost_with_a_tail_and_runs_are_deterministic(
    dashboard: LatencyDashboard,
) -> None:
    normalizer = dashboard.metrics["Normalizer"]  # 40 µs per record, median factor 1
    p50, p95, p99 = (normalizer.percentileMs(p) for p in (50, 95, 99))
    assert 0.035 < p50 < 0.045 and p50 < p95 < p99
    again = LatencyDashboard(records=1_000, renderPngs=False)
    try:
        assert [m.summary() for m in again.metrics.values()] == [
            m.summary() for m in dashboard.metrics.values()
        ]
    finally:
        again.close()


def test_the_record_slider_sets_how_many_records_the_source_yields(
    dashboard: LatencyDashboard,
) -> None:
    dashboard.records.value = 3_000
    assert dashboard.metrics["ThresholdFilter"].recordsIn == 3_000
    assert dashboard.records.max == 10_000  # a redraw stays well under a second


def test_the_figure_is_the_percentile_plot_of_the_measured_stages(
    dashboard: LatencyDashboard,
) -> None:
    dashboard.costs["WindowAverage"].value = 100
    assert dashboard.figure is not None
    axes = dashboard.figure.axes[0]
    assert axes.get_title() == "Own time per record, by stage (simulated clock)"
    assert [tick.get_text() for tick in axes.get_xticklabels()] == STAGES
    assert [text.get_text() for text in axes.get_legend().get_texts()] == ["p50", "p95", "p99"]
    heights = [bar.get_height() for bar in axes.patches]
    p50s = heights[:3]  # the first series: each stage's p50
    assert p50s == pytest.approx([dashboard.metrics[s].percentileMs(50) * 1000 for s in STAGES])
    assert max(range(3), key=p50s.__getitem__) == STAGES.index("WindowAverage")


def test_every_time_is_shown_in_the_sliders_unit_and_the_spread_is_said(
    dashboard: LatencyDashboard,
) -> None:
    assert dashboard.figure is not None
    assert dashboard.figure.axes[0].get_ylabel() == "own time per record (µs)"
    assert all(slider.description.endswith("µs") for slider in dashboard.costs.values())
    assert "p50 µs" in dashboard.summary.value and " ms" not in dashboard.summary.value
    texts = " ".join(str(getattr(child, "value", "")) for child in dashboard.root.children)
    assert "log-normal" in texts and "p95 about 2.3×" in texts
    normalizer = dashboard.metrics["Normalizer"]  # it drops nothing: pure per-record cost
    cost = dashboard.costs["Normalizer"].value / 1000  # ms
    assert 2.0 < normalizer.percentileMs(95) / cost < 2.6  # the 2.3× the widget says
    assert 2.8 < normalizer.percentileMs(99) / cost < 3.6


def test_unknown_stage_costs_are_refused_with_the_stages_named() -> None:
    with pytest.raises(ValueError, match=r"LatencyDashboard\.costs has no stage 'Sink'"):
        LatencyDashboard(costs={"Sink": 3})


def test_the_dashboard_prints_nothing_to_the_application_log(
    dashboard: LatencyDashboard,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("INFO", logger="pipeline_lib"):
        dashboard.records.value = 2_000
    assert caplog.records == [] and capsys.readouterr() == ("", "")

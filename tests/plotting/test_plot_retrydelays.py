"""plotRetryDelays: each policy's waits in seconds, one line each, jitter's range as a band."""

from __future__ import annotations

import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex

from pipeline_lib import RetryPolicy
from pipeline_lib.plotting import PALETTE, plotRetryDelays

POLICIES = {
    "constant": RetryPolicy(maxAttempts=5, delaySeconds=1.0),
    "exponential": RetryPolicy(maxAttempts=5, delaySeconds=0.5, backoff=2.0),
    "capped": RetryPolicy(maxAttempts=5, delaySeconds=0.5, backoff=2.0, maxDelaySeconds=2.0),
    "jittered": RetryPolicy(
        maxAttempts=5, delaySeconds=0.5, backoff=2.0, maxDelaySeconds=2.0, jitter=0.5, seed=3
    ),
}


def test_each_policy_is_a_line_of_its_exact_delays_in_seconds() -> None:
    axes = plotRetryDelays(POLICIES).axes[0]
    assert axes.get_title() == "How long each retry waits"
    assert axes.get_xlabel() == "retry (number)"
    assert axes.get_ylabel() == "wait before the retry (s)"
    assert [list(line.get_xdata()) for line in axes.lines] == [[1, 2, 3, 4]] * 4
    assert [tuple(line.get_ydata()) for line in axes.lines] == [
        policy.delays() for policy in POLICIES.values()
    ]
    assert [tuple(line.get_ydata()) for line in axes.lines][:3] == [
        (1.0, 1.0, 1.0, 1.0),
        (0.5, 1.0, 2.0, 4.0),
        (0.5, 1.0, 2.0, 2.0),
    ]


def test_the_legend_names_each_policy_with_its_total_wait() -> None:
    axes = plotRetryDelays(POLICIES).axes[0]
    labels = [text.get_text() for text in axes.get_legend().get_texts()]
    totals = {name: sum(policy.delays()) for name, policy in POLICIES.items()}
    assert labels == [f"{name} (total {total:.1f} s)" for name, total in totals.items()]
    assert labels[:3] == [
        "constant (total 4.0 s)",
        "exponential (total 7.5 s)",
        "capped (total 5.5 s)",
    ]


def test_only_a_jittered_policy_gets_a_band_spanning_what_jitter_may_draw() -> None:
    axes = plotRetryDelays(POLICIES).axes[0]
    bands = [c for c in axes.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1
    assert to_hex(bands[0].get_facecolor()[0][:3]) == PALETTE[3].lower()
    ys = bands[0].get_paths()[0].vertices[:, 1]
    assert min(ys) == pytest.approx(0.25)  # (1 - 0.5) * 0.5, the shortest first wait
    assert max(ys) == pytest.approx(2.0)  # the cap
    jittered = axes.lines[3].get_ydata()
    assert all(0.25 <= wait <= 2.0 for wait in jittered)


def test_lines_use_the_palette_in_order_on_a_white_figure_from_zero() -> None:
    figure = plotRetryDelays(POLICIES, title="Waits")
    axes = figure.axes[0]
    assert axes.get_title() == "Waits"
    assert [to_hex(line.get_color()) for line in axes.lines] == [c.lower() for c in PALETTE[:4]]
    assert len({line.get_marker() for line in axes.lines}) == 4  # not colour alone
    assert to_hex(figure.get_facecolor()) == "#ffffff"
    assert axes.get_ylim()[0] == 0


def test_no_policy_or_a_wrong_kind_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="at least one policy"):
        plotRetryDelays({})
    with pytest.raises(TypeError, match=r"policies\['slide'\] must be a pipeline_lib.RetryPolicy"):
        plotRetryDelays({"slide": (3, 1.0)})  # type: ignore[dict-item]

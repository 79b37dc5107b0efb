"""A retry policy's waits, retry by retry, with jitter's range as a band (05)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..retrypolicy import RetryPolicy
from .style import PALETTE, newFigure

__all__ = ["plotRetryDelays"]


def plotRetryDelays(
    policies: Mapping[str, RetryPolicy],
    *,
    title: str = "How long each retry waits",
) -> Figure:
    """One line per policy: the wait before each retry, in seconds (``policy.delays()``).

    The x axis counts retries (the wait after failed attempt ``n`` is retry ``n``). A
    jittered policy's line is its seeded schedule, exactly what a stream sleeps; the band
    behind it is the range jitter may draw from, ``[(1 - jitter) * wait, wait]``. Each
    legend entry ends with the policy's total wait when every attempt fails.

    >>> from pipeline_lib import RetryPolicy
    >>> constant = RetryPolicy(maxAttempts=4, delaySeconds=1.0)
    >>> axes = plotRetryDelays({"constant": constant}).axes[0]
    >>> axes.get_ylabel(), [float(wait) for wait in axes.lines[0].get_ydata()]
    ('wait before the retry (s)', [1.0, 1.0, 1.0])
    >>> [text.get_text() for text in axes.get_legend().get_texts()]
    ['constant (total 3.0 s)']
    """
    if not policies:
        raise ValueError("plotRetryDelays needs at least one policy, got none")
    for name, policy in policies.items():
        if not isinstance(policy, RetryPolicy):
            raise TypeError(
                f"plotRetryDelays: policies[{name!r}] must be a pipeline_lib.RetryPolicy, "
                f"got {type(policy).__name__}"
            )
    figure, axes = newFigure(title, "retry (number)", "wait before the retry (s)")
    markers = ("o", "s", "^", "D", "v", "P")
    for index, (name, policy) in enumerate(policies.items()):
        color, delays = PALETTE[index % len(PALETTE)], policy.delays()
        retries = range(1, len(delays) + 1)
        if policy.jitter:
            nominal = replace(policy, jitter=0.0).delays()
            shortest = [(1.0 - policy.jitter) * wait for wait in nominal]
            axes.fill_between(retries, shortest, nominal, color=color, alpha=0.18, linewidth=0)
        axes.plot(
            retries,
            delays,
            color=color,
            marker=markers[index % len(markers)],
            label=f"{name} (total {sum(delays):.1f} s)",
        )
    axes.set_ylim(bottom=0)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(title="policy", frameon=False)
    return figure

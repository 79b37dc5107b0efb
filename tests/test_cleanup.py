"""CleanupStack: LIFO, every cleanup runs, the original error is never hidden."""

from __future__ import annotations

import logging

import pytest

from pipeline_lib.cleanup import CleanupStack, openComponent
from pipeline_lib.testing import TracingComponent


def test_cleanups_run_newest_first() -> None:
    order: list[str] = []
    stack = CleanupStack()
    for name in "abc":
        stack.push(lambda name=name: order.append(name), name)
    stack.unwind()
    assert order == ["c", "b", "a"]


def test_a_failing_cleanup_does_not_stop_the_others_and_is_noted_on_the_original() -> None:
    order: list[str] = []
    stack = CleanupStack()
    stack.push(lambda: order.append("first"), "first")
    stack.push(lambda: 1 / 0, "divider")
    original = ValueError("the run failed")
    stack.unwind(original)
    assert order == ["first"]
    assert original.__notes__ == ["while cleaning up divider: ZeroDivisionError: division by zero"]


def test_without_an_original_error_the_first_cleanup_failure_is_raised_with_the_rest_noted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stack = CleanupStack()
    stack.push(lambda: (_ for _ in ()).throw(OSError("second")), "b")
    stack.push(lambda: (_ for _ in ()).throw(RuntimeError("first")), "a")
    with caplog.at_level(logging.ERROR, logger="pipeline_lib"), pytest.raises(RuntimeError) as info:
        stack.unwind()
    assert info.value.__notes__ == [
        "raised while cleaning up a",
        "another cleanup also failed: OSError: second",
    ]
    assert "cleanup of a failed: RuntimeError: first" in caplog.text
    assert "cleanup of b failed: OSError: second" in caplog.text


def test_a_component_context_manager_sees_the_error_but_cannot_swallow_it() -> None:
    seen: list[object] = []

    class Swallower:
        def __enter__(self) -> None:
            return None

        def __exit__(self, excType: object, exc: object, tb: object) -> bool:
            seen.append(exc)
            return True  # tries to suppress: ignored

    stack = CleanupStack()
    openComponent(stack, Swallower(), "swallower")
    error = KeyError("x")
    stack.unwind(error)
    assert seen == [error]


def test_open_component_enters_managers_closes_closables_and_ignores_the_rest() -> None:
    events: list[str] = []

    class Closable:
        def close(self) -> None:
            events.append("closable: closed")

    stack = CleanupStack()
    openComponent(stack, TracingComponent("managed", events), "managed")
    openComponent(stack, Closable(), "closable")
    openComponent(stack, object(), "plain")
    assert events == ["managed: opened"]
    assert len(stack) == 2
    stack.unwind()
    assert events == ["managed: opened", "closable: closed", "managed: closed"]

"""ConfigPlayground driven headless: type into the boxes, read each descriptor's verdict."""

from __future__ import annotations

import html
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_lib import PipelineConfig
from pipeline_lib.widgets import ConfigPlayground, FieldVerdict, parseFieldText

START = PipelineConfig(100.0, 10, 20.0, 80.0)


@pytest.fixture
def playground() -> Iterator[ConfigPlayground]:
    playground = ConfigPlayground()
    yield playground
    playground.close()


def descriptorMessage(field: str, value: Any) -> str:
    """What the real descriptor says when ``value`` is assigned to a valid config."""
    config = PipelineConfig(100.0, 10, 20.0, 80.0)
    with pytest.raises((TypeError, ValueError)) as info:
        setattr(config, field, value)
    return str(info.value)


def test_the_playground_shows_itself_as_a_widget_with_a_stable_text_form(
    playground: ConfigPlayground,
) -> None:
    bundle = playground._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == f"ConfigPlayground({START!r})"
    assert {name: box.value for name, box in playground.inputs.items()} == {
        "samplingRateHz": "100.0",
        "windowSize": "10",
        "filterMin": "20.0",
        "filterMax": "80.0",
    }
    assert all(v.accepted for v in playground.verdicts.values()) and playground.applied


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("samplingRateHz", "fast", "fast"),
        ("samplingRateHz", "nan", math.nan),
        ("samplingRateHz", "-5", -5),
        ("samplingRateHz", "True", True),
        ("samplingRateHz", "inf", math.inf),
        ("windowSize", "0", 0),
        ("windowSize", "10.0", 10.0),
        ("windowSize", "", ""),
        ("filterMax", "None", None),
    ],
)
def test_a_refused_value_shows_the_descriptors_exact_message_and_keeps_the_config(
    playground: ConfigPlayground, field: str, text: str, value: Any
) -> None:
    playground.inputs[field].value = text
    verdict = playground.verdicts[field]
    assert not verdict.accepted
    assert verdict.message == descriptorMessage(field, value)
    assert verdict.errorType in ("TypeError", "ValueError")
    assert html.escape(verdict.message) in playground.verdictLabels[field].value
    assert playground.config == START and not playground.applied
    assert "kept until every check passes" in playground.current.value


def test_an_accepted_value_is_applied_through_the_descriptors_and_shown(
    playground: ConfigPlayground,
) -> None:
    playground.inputs["samplingRateHz"].value = "250"
    verdict = playground.verdicts["samplingRateHz"]
    assert verdict == FieldVerdict("samplingRateHz", 250, True, "accepted", stored=250.0)
    assert playground.config.samplingRateHz == 250.0  # stored as float, as the descriptor does
    assert "stored 250.0" in playground.verdictLabels["samplingRateHz"].value
    assert "samplingRateHz=250.0" in playground.current.value and playground.applied


def test_inverted_bounds_get_the_cross_field_message_until_both_bounds_move(
    playground: ConfigPlayground,
) -> None:
    playground.inputs["filterMin"].value = "90"
    assert playground.verdicts["filterMin"].accepted  # fine on its own...
    cross = playground.crossCheck
    assert not cross.accepted and cross.field == "checkFields"  # ...but not with filterMax
    with pytest.raises(ValueError) as info:
        START.replace(filterMin=90.0)
    assert cross.message == str(info.value)
    assert cross.message == "PipelineConfig: filterMin must be < filterMax, got 90.0 >= 80.0"
    assert playground.config == START
    playground.inputs["filterMax"].value = "120"
    assert playground.crossCheck.accepted and playground.applied
    assert playground.config == START.replace(filterMin=90.0, filterMax=120.0)


def test_the_cross_field_rule_compares_only_valid_fields_and_says_which_it_left_out(
    playground: ConfigPlayground,
) -> None:
    playground.inputs["filterMax"].value = "oops"
    assert playground.crossCheck.accepted
    assert "filterMax" not in playground.crossCheck.value
    rule = playground.ruleText()
    assert "✓" not in rule and "not checked with filterMax" in rule
    assert html.escape(rule) in playground.crossLabel.value
    assert "color:#009E73" not in playground.crossLabel.value  # not green: nothing was proven


def test_a_rule_whose_fields_are_both_refused_is_never_shown_as_accepted(
    playground: ConfigPlayground,
) -> None:
    """Slide 7's bounds, both refused by their descriptors: the pair was never compared."""
    playground.inputs["filterMin"].value = "True"
    playground.inputs["filterMax"].value = "nan"
    assert "not checked with filterMin, filterMax" in playground.ruleText()
    assert "✓" not in playground.text().splitlines()[-2]
    playground.inputs["filterMin"].value = "20"
    playground.inputs["filterMax"].value = "80"
    assert playground.ruleText() == "✓ accepted" and playground.applied


def test_a_box_is_judged_when_its_value_is_entered_not_at_every_keystroke(
    playground: ConfigPlayground,
) -> None:
    """Typing 90 key by key must not assign the 9 on the way (the browser test types it)."""
    assert all(box.continuous_update is False for box in playground.inputs.values())


def test_reset_puts_the_starting_values_back(playground: ConfigPlayground) -> None:
    playground.inputs["windowSize"].value = "25"
    playground.inputs["filterMin"].value = "nan"
    playground.resetButton.click()
    assert playground.config == START and playground.applied
    assert all(v.accepted for v in playground.verdicts.values())


def test_a_given_config_is_the_starting_point() -> None:
    start = PipelineConfig(50.0, 5, 1.0, 2.0)
    playground = ConfigPlayground(start)
    try:
        assert playground.inputs["windowSize"].value == "5" and playground.config is start
        playground.inputs["windowSize"].value = "6"
        assert playground.config == start.replace(windowSize=6) and start.windowSize == 5
    finally:
        playground.close()


def test_text_is_parsed_as_literals_only_never_evaluated() -> None:
    assert [parseFieldText(t) for t in ("7", " -2.5 ", "1e3", "False", "INF", "'x'")] == [
        7,
        -2.5,
        1000.0,
        False,
        math.inf,
        "x",
    ]
    assert math.isnan(parseFieldText("NaN"))
    for code in ("__import__('os').getcwd()", "1 + 1 if True else 0", "open('x')"):
        assert parseFieldText(code) == code  # stays text: the descriptor refuses it


@settings(max_examples=60, deadline=None)
@given(
    field=st.sampled_from(["samplingRateHz", "windowSize", "filterMin", "filterMax"]),
    text=st.one_of(
        st.text(max_size=12),
        st.integers(-20_000, 20_000).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    ),
)
def test_for_any_text_the_verdict_is_what_assigning_to_a_real_config_says(
    field: str, text: str
) -> None:
    playground = ConfigPlayground()
    try:
        playground.inputs[field].value = text
        config = PipelineConfig(100.0, 10, 20.0, 80.0)
        try:
            setattr(config, field, parseFieldText(text))
            expected = None
        except (TypeError, ValueError) as error:
            expected = str(error)
        verdicts = [playground.verdicts[field], playground.crossCheck]
        refusals = [v.message for v in verdicts if not v.accepted]
        assert refusals == ([] if expected is None else [expected])
        assert playground.config == config  # applied exactly when the real assignment is
    finally:
        playground.close()


def test_a_value_its_descriptor_accepts_is_not_called_stored_until_the_config_takes_it(
    playground: ConfigPlayground,
) -> None:
    """03's claim: what the widget shows is what the config holds (issue 11.9)."""
    playground.inputs["filterMin"].value = "90"  # fine alone, breaks filterMin < filterMax
    label = playground.verdictLabels["filterMin"].value
    assert playground.config.filterMin == 20.0 and not playground.applied
    assert "stored 90.0" not in label
    assert "would store 90.0" in label and "config keeps 20.0" in label
    playground.inputs["filterMax"].value = "120"
    assert playground.config.filterMin == 90.0 and playground.applied
    assert "stored 90.0" in playground.verdictLabels["filterMin"].value


def test_the_text_form_says_what_the_labels_say(playground: ConfigPlayground) -> None:
    playground.inputs["windowSize"].value = "0"
    playground.inputs["filterMin"].value = "90"
    lines = playground.text().splitlines()
    assert len(lines) == len(playground.inputs) + 2
    for line, (name, label) in zip(lines, playground.verdictLabels.items(), strict=False):
        assert line.startswith(name)
        assert html.escape(playground.verdictText(name)) in label.value
    assert lines[-1] == f"config = {playground.config!r} ({playground.configState()})"
    assert "not applied" in lines[-1]

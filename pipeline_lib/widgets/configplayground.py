"""``ConfigPlayground``: type a value per ``PipelineConfig`` field, see each descriptor's verdict.

One text box per field. When you press Enter (or leave the box), its text becomes a
Python value (:func:`parseFieldText`: literals only, never ``eval``) and goes to the
field's own descriptor (``validate``), then to the class's rule between fields
(``checkFields``); each verdict is shown at once: accepted, or the descriptor's exact
message. When every verdict is an accept, the values are applied through the real
descriptors (``config.replace(...)`` builds a new ``PipelineConfig``) and ``config`` shows
the result. A box is judged when its value is *entered*, not at every keystroke: typing
``90`` must not first assign ``9``, which is valid and would be applied on its way.
The rule between fields sees only the values their descriptors accepted; while some are
refused, the rule line says which fields it left out rather than claim a full check.
No validation is re-implemented here: change a descriptor, and the playground follows.

>>> playground = ConfigPlayground()
>>> playground.inputs["windowSize"].value = "0"
>>> playground.verdicts["windowSize"].message
'PipelineConfig.windowSize must be in [1, 10000], got 0'
>>> playground.inputs["windowSize"].value = "25"
>>> playground.inputs["filterMin"].value = "90"
>>> playground.crossCheck.message
'PipelineConfig: filterMin must be < filterMax, got 90.0 >= 80.0'
>>> playground.inputs["filterMax"].value = "120"
>>> playground.config
PipelineConfig(samplingRateHz=100.0, windowSize=25, filterMin=90.0, filterMax=120.0)
>>> playground.close()
"""

from __future__ import annotations

import ast
import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets

from ..config import PipelineConfig
from ..plotting.style import INK, PALETTE
from ..validators import validatedFields
from .kit import ShownAsRoot, closeTree

__all__ = ["CROSS_FIELD", "SPECIAL_FLOATS", "ConfigPlayground", "FieldVerdict", "parseFieldText"]

#: Texts read as the special floats (any case, with or without a sign).
SPECIAL_FLOATS = frozenset(
    sign + word for sign in ("", "+", "-") for word in ("nan", "inf", "infinity")
)
CROSS_FIELD = "checkFields"


def parseFieldText(text: str) -> Any:
    """What a student typed, as the Python value a program would assign.

    The rule: surrounding spaces are ignored; ``nan``, ``inf``, ``-inf`` and
    ``infinity`` (any case) become floats; whatever Python's literal syntax reads
    (:func:`ast.literal_eval`: ``10``, ``-5``, ``2.5``, ``1e3``, ``True``, ``None``,
    ``'text'``) becomes that value; anything else stays the text itself, a ``str``.
    Nothing is ever evaluated as code.

    >>> [parseFieldText(t) for t in ["100", " 2.5 ", "-5", "1e3", "True", "nan", "-Inf"]]
    [100, 2.5, -5, 1000.0, True, nan, -inf]
    >>> [parseFieldText(t) for t in ["fast", "10.0", "", "__import__('os')"]]
    ['fast', 10.0, '', "__import__('os')"]
    """
    stripped = text.strip()
    if stripped.lower() in SPECIAL_FLOATS:
        return float(stripped)
    try:
        return ast.literal_eval(stripped)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return stripped  # not a literal: the descriptor judges the text itself


@dataclass(frozen=True)
class FieldVerdict:
    """One check's outcome: accepted (and what is stored), or the exact message of the refusal.

    ``field`` is the field's name, or ``"checkFields"`` for the rule between fields;
    ``value`` what was checked (for ``checkFields``, the valid fields' values).
    """

    field: str
    value: Any
    accepted: bool
    message: str  # "accepted", or str(error) exactly as the descriptor raised it
    errorType: str | None = None  # "TypeError" or "ValueError" when refused
    stored: Any = None  # what the descriptor would store (ints become floats, say)


def _judge(field: str, value: Any, check: Callable[[Any], Any]) -> FieldVerdict:
    """Call the real ``check`` on ``value``; its TypeError/ValueError is the refusal."""
    try:
        stored = check(value)
    except (TypeError, ValueError) as error:
        return FieldVerdict(field, value, False, str(error), type(error).__name__)
    # validate() returning nothing means "store the value as given" (the Descriptor HowTo's way).
    return FieldVerdict(field, value, True, "accepted", stored=value if stored is None else stored)


class ConfigPlayground(ShownAsRoot):
    """A text box per ``PipelineConfig`` field, each descriptor's verdict live, the valid config.

    ``ConfigPlayground(config=None)`` starts from ``config`` (default
    ``PipelineConfig(100.0, 10, 20.0, 80.0)``). Attributes:

    - controls: ``inputs`` (field name → ``Text``, judged on Enter or when the box is
      left), ``resetButton``; a new value calls ``onTextChanged``, Reset calls
      ``onReset`` (back to the starting values);
    - displays: ``verdictLabels`` (field name → ``HTML``), ``crossLabel``, ``current``;
    - results: ``verdicts`` (field name → :class:`FieldVerdict`), ``crossCheck``
      (:class:`FieldVerdict` of ``checkFields``), ``config`` (the last valid config) and
      ``applied`` (whether ``config`` holds what the boxes say).
    """

    def __init__(self, config: PipelineConfig | None = None) -> None:
        self.config = PipelineConfig(100.0, 10, 20.0, 80.0) if config is None else config
        self._start = self.config.asDict()
        self._fields = validatedFields(type(self.config))
        self.verdicts: dict[str, FieldVerdict] = {}
        self.crossCheck = FieldVerdict(CROSS_FIELD, {}, True, "accepted")
        self.applied = True
        self._buildControls()
        self.root = self._layout()
        self.check()

    def __repr__(self) -> str:
        return f"ConfigPlayground({self.config!r})"

    def _buildControls(self) -> None:
        style = {"description_width": "9em"}
        self.inputs = {
            name: widgets.Text(
                value=str(value),
                description=name,
                style=style,
                layout={"width": "22em"},
                continuous_update=False,  # one value per Enter, as one assignment in code
            )
            for name, value in self._start.items()
        }
        self.verdictLabels = {name: widgets.HTML() for name in self.inputs}
        self.crossLabel = widgets.HTML()
        self.current = widgets.HTML()
        self.resetButton = widgets.Button(description="Reset", icon="undo")
        for box in self.inputs.values():
            box.observe(self.onTextChanged, names="value")
        self.resetButton.on_click(self.onReset)

    def _layout(self) -> Any:
        owner = type(self.config).__name__
        return widgets.VBox(
            [
                widgets.HTML(
                    f"<b>ConfigPlayground</b>: type a value and press Enter; "
                    f"the {owner} descriptors judge"
                ),
                *(
                    widgets.HBox([box, self.verdictLabels[name]])
                    for name, box in self.inputs.items()
                ),
                self.crossLabel,
                self.current,
                self.resetButton,
            ]
        )

    # -- callbacks and actions ---------------------------------------------------------

    def onTextChanged(self, change: object = None) -> None:
        """A box changed: judge every value again (see :meth:`check`)."""
        self.check()

    def onReset(self, button: object = None) -> None:
        """The Reset button: the starting values back in the boxes."""
        for name, box in self.inputs.items():
            box.value = str(self._start[name])

    def check(self) -> dict[str, FieldVerdict]:
        """Judge each box's value by its descriptor and the pair rule; apply if all accept."""
        values = {name: parseFieldText(box.value) for name, box in self.inputs.items()}
        self.verdicts = {
            name: _judge(name, values[name], field.validate) for name, field in self._fields.items()
        }
        valid = {name: v.stored for name, v in self.verdicts.items() if v.accepted}
        checkFields = getattr(type(self.config), CROSS_FIELD, None)
        if checkFields is not None:
            self.crossCheck = _judge(CROSS_FIELD, valid, checkFields)
        self.applied = len(valid) == len(values) and self.crossCheck.accepted
        if self.applied and valid != self.config.asDict():
            # Through the real descriptors, every field checked together: a new config.
            self.config = self.config.replace(**values)
        self._show()
        return self.verdicts

    def close(self) -> None:
        """Close the widgets (their views disappear from the page)."""
        closeTree(self.root)

    # -- showing results ---------------------------------------------------------------

    def _show(self) -> None:
        kept = self.config.asDict()
        for name, verdict in self.verdicts.items():
            self.verdictLabels[name].value = _coloured(
                verdict.accepted, self.verdictText(name, kept[name])
            )
        rule = f"{type(self.config).__name__}.{CROSS_FIELD}"
        partial = bool(self.leftOut()) and self.crossCheck.accepted
        colour = None if partial else self.crossCheck.accepted
        self.crossLabel.value = (
            f"rules between fields ({rule}): {_coloured(colour, self.ruleText())}"
        )
        self.current.value = (
            f"<div class='configplayground-config'>config = "
            f"<code>{html.escape(repr(self.config))}</code> <i>({self.configState()})</i></div>"
        )

    def verdictText(self, name: str, kept: Any = None) -> str:
        """What the widget shows beside ``name``'s box, as plain text.

        An accepted value is *stored* only when every check passes; until then the
        config keeps its old value, and the text says both.
        """
        verdict = self.verdicts[name]
        if not verdict.accepted:
            return _judged(verdict)
        kept = self.config.asDict()[name] if kept is None else kept
        if self.applied:  # read back from the config: what the descriptor really stored
            return f"✓ accepted, stored {kept!r}"
        if verdict.stored == kept:
            return f"✓ passes its descriptor; config has {kept!r}"
        return (
            f"✓ passes its descriptor (would store {verdict.stored!r}), not applied: "
            f"config keeps {kept!r}"
        )

    def leftOut(self) -> list[str]:
        """The fields the rule between fields did not see: their descriptors refused them."""
        return [name for name, verdict in self.verdicts.items() if not verdict.accepted]

    def ruleText(self) -> str:
        """The rule line's verdict as plain text: refused, accepted, or checked in part."""
        left = self.leftOut()
        if not self.crossCheck.accepted or not left:
            return _judged(self.crossCheck)
        return (
            f"○ no rule broken by the fields that passed; not checked with "
            f"{', '.join(left)} (refused above)"
        )

    def configState(self) -> str:
        """Whether ``config`` holds what the boxes say, as the widget says it."""
        if self.applied:
            return "applied: every check passed"
        return "not applied: the last valid config, kept until every check passes"

    def text(self) -> str:
        """Everything the widget shows, as plain text: a line per field, the rule, the config."""
        rule = f"{type(self.config).__name__}.{CROSS_FIELD}"
        lines = [
            f"{name:15} = {self.inputs[name].value!r:8} {self.verdictText(name)}"
            for name in self.verdicts
        ]
        lines.append(f"{'rules between fields':26} {self.ruleText()} ({rule})")
        lines.append(f"config = {self.config!r} ({self.configState()})")
        return "\n".join(lines)


def _judged(verdict: FieldVerdict) -> str:
    if verdict.accepted:
        return "✓ accepted"
    return f"✗ {verdict.errorType}: {verdict.message}"


def _coloured(accepted: bool | None, text: str) -> str:
    """Green for an accept, vermillion for a refusal, the ink's grey for neither."""
    colour = INK if accepted is None else PALETTE[2] if accepted else PALETTE[3]
    return (
        f"<span class='configplayground-verdict' style='color:{colour}'>{html.escape(text)}</span>"
    )

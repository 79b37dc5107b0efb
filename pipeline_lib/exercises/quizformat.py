"""What a quiz question is: a layer, a kind, a prompt, optional code, reasoned answers,
and where to revisit it.

The questions themselves are data in one module per layer (:mod:`.quiz1_lifecycle`,
:mod:`.quiz2_configuration`, :mod:`.quiz3_observability`); :mod:`.quiz` asks them.

>>> question = multipleChoice(
...     "lifecycle", "choose the pattern", "Which closes a generator?", "",
...     ("close()", True, "It raises GeneratorExit at the yield."),
...     ("del", False, "Something else may still refer to it."),
...     revisit=[("01", "Why: suspended generators")],
... )
>>> question.right.text
'close()'
>>> question.revisitText
'Revisit 01 · Why: suspended generators.'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Answer", "Kind", "Layer", "Question", "multipleChoice"]

Layer = Literal["lifecycle", "configuration", "observability"]
Kind = Literal["predict the output", "spot the bug", "choose the pattern"]


@dataclass(frozen=True)
class Answer:
    text: str
    correct: bool
    why: str


@dataclass(frozen=True)
class Question:
    """One question. ``revisit`` names where it is taught: (notebook number, section heading)
    pairs, headings exactly as the notebook writes them; ``deeper`` when that section is
    🔵 self-study rather than the core path."""

    layer: Layer
    kind: Kind
    prompt: str
    answers: tuple[Answer, ...]
    code: str = ""
    revisit: tuple[tuple[str, str], ...] = ()
    deeper: bool = False

    @property
    def right(self) -> Answer:
        (answer,) = [a for a in self.answers if a.correct]
        return answer

    @property
    def label(self) -> str:
        """The kind, as shown before the prompt: ``predict the output`` or ``… · deeper``."""
        return f"{self.kind} · deeper, from a 🔵 section" if self.deeper else self.kind

    @property
    def revisitText(self) -> str:
        """The pointer shown after a wrong answer: ``Revisit 02 · The protocol (slide 3).``"""
        places = " and ".join(f"{n} · {heading.replace('`', '')}" for n, heading in self.revisit)
        if not places:
            return ""
        return f"Revisit {places}" + ("" if places.endswith(("?", ".")) else ".")


def multipleChoice(
    layer: Layer,
    kind: Kind,
    prompt: str,
    code: str,
    *answers: tuple[str, bool, str],
    revisit: Iterable[tuple[str, str]],
    deeper: bool = False,
) -> Question:
    """A question from plain tuples: each answer is ``(text, correct, why)``."""
    return Question(
        layer,
        kind,
        prompt,
        tuple(Answer(*a) for a in answers),
        code.strip("\n"),
        tuple(revisit),
        deeper,
    )

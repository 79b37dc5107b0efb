"""What a quiz question is: a layer, a kind, a prompt, optional code, reasoned answers.

The questions themselves are data in one module per layer (:mod:`.quiz1_lifecycle`,
:mod:`.quiz2_configuration`, :mod:`.quiz3_observability`); :mod:`.quiz` asks them.

>>> question = multipleChoice(
...     "lifecycle", "choose the pattern", "Which closes a generator?", "",
...     ("close()", True, "It raises GeneratorExit at the yield."),
...     ("del", False, "Something else may still refer to it."),
... )
>>> question.right.text
'close()'
"""

from __future__ import annotations

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
    layer: Layer
    kind: Kind
    prompt: str
    answers: tuple[Answer, ...]
    code: str = ""

    @property
    def right(self) -> Answer:
        (answer,) = [a for a in self.answers if a.correct]
        return answer


def multipleChoice(
    layer: Layer, kind: Kind, prompt: str, code: str, *answers: tuple[str, bool, str]
) -> Question:
    """A question from plain tuples: each answer is ``(text, correct, why)``."""
    return Question(layer, kind, prompt, tuple(Answer(*a) for a in answers), code.strip("\n"))

"""Notebook 07's self-assessment: questions across the three layers, feedback on every answer.

The questions are data (:data:`QUIZ`): each has a layer, a kind (predict the output, spot
the bug in slide code, choose the right pattern), optional code, and answers that each
carry the reason they are right or wrong (:mod:`.quizformat`); they live in one module per
layer (:mod:`.quiz1_lifecycle`, :mod:`.quiz2_configuration`, :mod:`.quiz3_observability`),
the machinery that asks them here. Two ways to answer:

- :func:`showQuiz` renders them with ``jupyterquiz`` (click an answer, read why), in
  JupyterLab and in a static HTML site alike, with no network: the quiz's JavaScript is
  embedded in the output;
- :func:`answerQuiz` gives the same feedback in plain text, where JavaScript does not run.

>>> answerQuiz(1, "A").passed
True
>>> print(answerQuiz(1, "B"))
❌ Not yet: B is not it: __exit__ runs however the block ends; that is the whole point of with.
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable
from typing import Any

from . import quiz1_lifecycle, quiz2_configuration, quiz3_observability
from .quizformat import Answer, Layer, Question
from .verdict import Verdict

__all__ = ["QUIZ", "Answer", "Question", "answerQuiz", "quizQuestions", "showQuiz"]

LETTERS = "ABCD"

QUIZ: tuple[Question, ...] = (
    *quiz1_lifecycle.QUESTIONS,
    *quiz2_configuration.QUESTIONS,
    *quiz3_observability.QUESTIONS,
)


def _find(number: int) -> Question:
    if not isinstance(number, int) or isinstance(number, bool):
        raise TypeError(f"answerQuiz: number must be an int, got {number!r}")
    if not 1 <= number <= len(QUIZ):
        raise ValueError(f"answerQuiz: number must be in [1, {len(QUIZ)}], got {number}")
    return QUIZ[number - 1]


def answerQuiz(number: int, letter: str) -> Verdict:
    """Feedback for answer ``letter`` (A, B, ...) to question ``number``, in plain text."""
    question = _find(number)
    index = LETTERS.find(str(letter).strip().upper()[:1]) if str(letter).strip() else -1
    if not 0 <= index < len(question.answers):
        choices = ", ".join(LETTERS[: len(question.answers)])
        return Verdict(False, f"question {number} has answers {choices}, got {letter!r}")
    answer = question.answers[index]
    if answer.correct:
        return Verdict(True, f"{LETTERS[index]}. {answer.why}")
    return Verdict(False, f"{LETTERS[index]} is not it: {answer.why}")


def numbered(layer: Layer | None = None) -> list[tuple[int, Question]]:
    """The questions of ``layer`` (all when ``None``) with their numbers, in order."""
    return [(n, q) for n, q in enumerate(QUIZ, start=1) if layer in (None, q.layer)]


def quizQuestions(layer: Layer | None = None) -> list[dict[str, Any]]:
    """The questions in ``jupyterquiz``'s JSON format (code and text HTML-escaped)."""
    items = []
    for number, question in numbered(layer):
        item: dict[str, Any] = {
            "question": html.escape(f"{number}. ({question.kind}) {question.prompt}"),
            "type": "multiple_choice",
            "answers": [
                {
                    "answer": html.escape(f"{LETTERS[i]}. {answer.text}"),
                    "correct": answer.correct,
                    "feedback": html.escape(("Right. " if answer.correct else "No. ") + answer.why),
                }
                for i, answer in enumerate(question.answers)
            ],
        }
        if question.code:
            item["code"] = html.escape(question.code)
        items.append(item)
    return items


def showQuiz(layer: Layer | None = None, *, display: Callable[..., object] | None = None) -> None:
    """Render the questions of ``layer`` with ``jupyterquiz`` (a text listing without it)."""
    if display is None:
        try:
            from jupyterquiz import display_quiz
        except ImportError:
            print(_asText(layer))
            return
        display = display_quiz
    _shown[layer] = _shown.get(layer, 0) + 1
    # jupyterquiz names its HTML element with letters from the global ``random``: seeded
    # here (and the caller's state restored), the stored output is the same on every
    # Run All, so nbval can compare it; a repeated display gets a new name.
    state = random.getstate()
    random.seed(f"quiz-{layer}-{_shown[layer]}")
    try:
        # Fixed answer order, so that "answer B" means the same to everyone in the room.
        display(quizQuestions(layer), shuffle_answers=False)
    finally:
        random.setstate(state)


_shown: dict[Layer | None, int] = {}


def _asText(layer: Layer | None) -> str:
    lines = ["(jupyterquiz is not installed: answer with answerQuiz(number, letter))"]
    for number, question in numbered(layer):
        lines += ["", f"{number}. ({question.kind}) {question.prompt}"]
        lines += [f"    {line}" for line in question.code.splitlines()]
        lines += [f"  {LETTERS[i]}. {a.text}" for i, a in enumerate(question.answers)]
    return "\n".join(lines)

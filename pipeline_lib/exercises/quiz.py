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

Every wrong answer ends with where the question is taught, ``Revisit 02 · …``:

>>> answerQuiz(1, "A").passed
True
>>> verdict = answerQuiz(1, "B")
>>> verdict.passed, verdict.message.split(": ", 1)[0]
(False, 'B is not it')
>>> verdict.message.split(". ")[-1]
'Revisit 02 · The protocol (slide 3).'
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Callable
from typing import Any

from . import quiz1_lifecycle, quiz2_configuration, quiz3_observability
from .quizformat import Answer, Layer, Question
from .verdict import Verdict

__all__ = ["QUIZ", "Answer", "Question", "answerQuiz", "quizQuestions", "showQuiz"]

LETTERS = "ABCD"
LAYERS: tuple[Layer, ...] = ("lifecycle", "configuration", "observability")
#: One letter, optionally followed by "." or ")": "b", " B. ", "c)". Not "AB", not "all".
ONE_LETTER = re.compile(r"\s*([A-Za-z])\s*[.)]?\s*")
#: The code of a question keeps its lines: Lab's own CSS (``pre-wrap``, ``break-all`` on
#: ``code``) would wrap a long one in the middle of a name, and the wrapped rest would lose
#: its indentation. A line too long for a narrow window scrolls instead.
CODE_STYLE = (
    "<style>.Quiz .QuizCode pre { overflow-x: auto; } .Quiz .QuizCode pre, .Quiz .QuizCode "
    "pre code { white-space: pre; word-break: normal; overflow-wrap: normal; }</style>"
)
QUIZ_WIDTH = 800

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
    choices = LETTERS[: len(question.answers)]
    match = ONE_LETTER.fullmatch(letter) if isinstance(letter, str) else None
    index = choices.find(match.group(1).upper()) if match else -1
    if index < 0:
        return Verdict(
            False, f"question {number} has answers {', '.join(choices)}: give one, got {letter!r}"
        )
    answer = question.answers[index]
    if answer.correct:
        return Verdict(True, f"{LETTERS[index]}. {answer.why}")
    return Verdict(False, f"{LETTERS[index]} is not it: {_wrongFeedback(question, answer)}")


def _wrongFeedback(question: Question, answer: Answer) -> str:
    return f"{answer.why} {question.revisitText}".strip()


def numbered(layer: Layer | None = None) -> list[tuple[int, Question]]:
    """The questions of ``layer`` (all when ``None``) with their numbers, in order."""
    if layer is not None and layer not in LAYERS:
        raise ValueError(f"quiz: layer must be one of {', '.join(LAYERS)} or None, got {layer!r}")
    return [(n, q) for n, q in enumerate(QUIZ, start=1) if layer in (None, q.layer)]


def quizQuestions(layer: Layer | None = None) -> list[dict[str, Any]]:
    """The questions in ``jupyterquiz``'s JSON format (code and text HTML-escaped)."""
    items = []
    for number, question in numbered(layer):
        item: dict[str, Any] = {
            "question": html.escape(f"{number}. ({question.label}) {question.prompt}"),
            "type": "multiple_choice",
            "answers": [
                {
                    "answer": html.escape(f"{LETTERS[i]}. {answer.text}"),
                    "correct": answer.correct,
                    "feedback": html.escape(
                        f"Right. {answer.why}"
                        if answer.correct
                        else f"No. {_wrongFeedback(question, answer)}"
                    ),
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
    questions = quizQuestions(layer)  # refuses an unknown layer before anything is shown
    if display is None:
        try:
            from jupyterquiz import display_quiz
        except ImportError:
            print(_asText(layer))
            return
        from IPython.display import HTML
        from IPython.display import display as ipythonDisplay

        ipythonDisplay(HTML(CODE_STYLE))  # type: ignore[no-untyped-call]
        display = display_quiz
    _shown[layer] = _shown.get(layer, 0) + 1
    # jupyterquiz names its HTML element with letters from the global ``random``: seeded
    # here (and the caller's state restored), the stored output is the same on every
    # Run All, so nbval can compare it; a repeated display gets a new name.
    state = random.getstate()
    random.seed(f"quiz-{layer}-{_shown[layer]}")
    try:
        # Fixed answer order, so that "answer B" means the same to everyone in the room.
        display(questions, shuffle_answers=False, max_width=QUIZ_WIDTH)
    finally:
        random.setstate(state)


_shown: dict[Layer | None, int] = {}


def _asText(layer: Layer | None) -> str:
    lines = ["(jupyterquiz is not installed: answer with answerQuiz(number, letter))"]
    for number, question in numbered(layer):
        lines += ["", f"{number}. ({question.label}) {question.prompt}"]
        lines += [f"    {line}" for line in question.code.splitlines()]
        lines += [f"  {LETTERS[i]}. {a.text}" for i, a in enumerate(question.answers)]
    return "\n".join(lines)

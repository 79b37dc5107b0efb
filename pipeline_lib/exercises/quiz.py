"""Notebook 07's self-assessment: questions across the three layers, feedback on every answer.

The questions are data (:data:`QUIZ`): each has a layer, a kind (predict the output, spot
the bug in slide code, choose the right pattern), optional code, and answers that each
carry the reason they are right or wrong. Two ways to answer:

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
from dataclasses import dataclass
from typing import Any, Literal

from .verdict import Verdict

__all__ = ["QUIZ", "Answer", "Question", "answerQuiz", "quizQuestions", "showQuiz"]

Layer = Literal["lifecycle", "configuration", "observability"]
Kind = Literal["predict the output", "spot the bug", "choose the pattern"]
LETTERS = "ABCD"


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


def _q(
    layer: Layer, kind: Kind, prompt: str, code: str, *answers: tuple[str, bool, str]
) -> Question:
    return Question(layer, kind, prompt, tuple(Answer(*a) for a in answers), code.strip("\n"))


QUIZ: tuple[Question, ...] = (
    # -- layer 1, lifecycle ------------------------------------------------------------
    _q(
        "lifecycle",
        "predict the output",
        "What does this print?",
        """
class Ctx:
    def __enter__(self):
        print("enter")
        return self

    def __exit__(self, excType, excVal, excTb):
        print("exit", excType.__name__)
        return False

try:
    with Ctx():
        raise ValueError("boom")
except ValueError:
    print("caught")
""",
        (
            "enter / exit ValueError / caught",
            True,
            "__exit__ runs as the exception leaves the block, and return False lets it go on "
            "to the except clause.",
        ),
        (
            "enter / caught",
            False,
            "__exit__ runs however the block ends; that is the whole point of with.",
        ),
        (
            "enter / exit ValueError",
            False,
            "return False does not suppress the exception: it reaches the except clause.",
        ),
        (
            "enter / caught / exit ValueError",
            False,
            "__exit__ runs when the exception leaves the with block, before any handler outside.",
        ),
    ),
    _q(
        "lifecycle",
        "predict the output",
        "A stage fails at record 3 and the caller keeps the exception. What is printed?",
        """
def source(log):
    try:
        for i in range(10):
            yield i
    finally:
        log.append("closed")

log, held = [], []
stream = source(log)
try:
    for record in stream:
        if record == 3:
            raise OSError("disk full")
except OSError as error:
    held.append(error)
print(log)
""",
        (
            "['closed']",
            False,
            "Leaving a for loop by an exception does not close the generator it was pulling.",
        ),
        (
            "[]",
            True,
            "The generator is still suspended at its yield: the variable stream (and the held "
            "traceback) refer to it, so its finally has not run. Only close() runs it now.",
        ),
        (
            "OSError: disk full is printed as a traceback",
            False,
            "The except clause catches the OSError; the program goes on to print(log).",
        ),
    ),
    _q(
        "lifecycle",
        "spot the bug",
        "Slide 3's PipelineContext, used for a run that succeeds. What goes wrong?",
        """
class PipelineContext:
    def __enter__(self):
        self._startTime = time.perf_counter()
        return self

    def __exit__(self, excType, excVal, excTb):
        elapsed = time.perf_counter() - self._startTime
        if excType is not None:
            print(f"FAILED after {elapsed:.3f}s: {excVal}")
        else:
            print(f"Completed: {self._recordCount} records in {elapsed:.3f}s")
        return False
""",
        (
            "return False swallows the exception of a failed run",
            False,
            "return False is what lets the exception propagate; returning True would swallow it.",
        ),
        (
            "__exit__ raises AttributeError: nothing ever sets self._recordCount",
            True,
            "The slide never initialises _recordCount (run() is meant to count), so a "
            "successful block fails in __exit__. Notebook 02 names this.",
        ),
        (
            "__exit__ is not called when the block succeeds",
            False,
            "__exit__ is called however the block exits, with (None, None, None) on success.",
        ),
    ),
    _q(
        "lifecycle",
        "choose the pattern",
        "Failed runs are kept for a report (exceptions stored in a list). Which guarantees "
        "that each run gives its pooled connection back?",
        "",
        (
            "Call gc.collect() after each run",
            False,
            "The collector frees only what nothing reachable refers to; a stored exception's "
            "traceback keeps the suspended generators reachable.",
        ),
        (
            "Run it in with PipelineContext(...): its cleanup closes every generator",
            True,
            "Closing the generators runs their finally blocks while the caller still holds the "
            "exception: the connection is back whatever the caller keeps.",
        ),
        (
            "del the source object after the run",
            False,
            "The suspended generator (kept by the traceback) still refers to the source.",
        ),
        (
            "Catch Exception inside each stage",
            False,
            "That hides the error instead of releasing anything; the upstream generators are "
            "still suspended.",
        ),
    ),
    # -- layer 2, configuration ---------------------------------------------------------
    _q(
        "configuration",
        "predict the output",
        "Slide 6's descriptor; the field was never assigned. What is printed?",
        """
class PositiveFloat:
    def __set_name__(self, owner, name):
        self._name = f"_{name}"

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return getattr(obj, self._name, None)

class Config:
    rate = PositiveFloat()

print(Config().rate, type(Config.rate).__name__)
""",
        (
            "None PositiveFloat",
            True,
            "getattr's default None hides the missing value, and class access returns the "
            "descriptor itself. The engine raises AttributeError for an unset field instead.",
        ),
        (
            "AttributeError",
            False,
            "The slide's getattr(obj, self._name, None) returns None rather than raising.",
        ),
        (
            "None NoneType",
            False,
            "Config.rate is class access (obj is None), which returns the descriptor.",
        ),
    ),
    _q(
        "configuration",
        "predict the output",
        "A descriptor with only __get__, and an instance attribute of the same name:",
        """
class Loud:
    def __get__(self, obj, objtype=None):
        return "from descriptor"

class C:
    x = Loud()

c = C()
c.__dict__["x"] = "from instance"
print(c.x)
""",
        (
            "from descriptor",
            False,
            "That would be true of a data descriptor (one with __set__ or __delete__).",
        ),
        (
            "from instance",
            True,
            "Loud is a non-data descriptor: the instance's __dict__ wins. A validator must be a "
            "data descriptor so that every assignment reaches its __set__.",
        ),
        ("AttributeError", False, "The attribute exists twice; the question is which one wins."),
    ),
    _q(
        "configuration",
        "spot the bug",
        "What happens at config.rate = 2.0?",
        """
class PositiveFloat:
    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        return getattr(obj, self.name)

    def __set__(self, obj, value):
        if value <= 0:
            raise ValueError(f"{self.name} must be > 0, got {value}")
        setattr(obj, self.name, value)

class Config:
    rate = PositiveFloat()

config = Config()
""",
        (
            "RecursionError: setattr under the same name calls __set__ again",
            True,
            "The descriptor intercepts its own store. Slide 12: store the value under _name.",
        ),
        (
            "It works: 2.0 is stored",
            False,
            "setattr(obj, 'rate', ...) goes through the class's data descriptor, again and again.",
        ),
        (
            "ValueError, because 2.0 <= 0 is checked wrongly",
            False,
            "The check is right; the store is the problem.",
        ),
    ),
    _q(
        "configuration",
        "choose the pattern",
        "PipelineConfig(100.0, 10, filterMin=90.0, filterMax=10.0): inverted bounds, each "
        "value positive. Where should this be refused?",
        "",
        (
            "In each field's PositiveFloat",
            False,
            "Each value is fine on its own: a single-field validator cannot see the other field.",
        ),
        (
            "In a rule across fields, at construction and at every later assignment",
            True,
            "The error is raised at the boundary, naming both fields; the engine's PipelineConfig "
            "does this.",
        ),
        (
            "In ThresholdFilter.process, when the first reading arrives",
            False,
            "That is slide 5's distant crash: far from the cause, three stages downstream.",
        ),
    ),
    # -- layer 3, observability and resilience ------------------------------------------
    _q(
        "observability",
        "spot the bug",
        "Slide 9 times from just before yield record to just after it. A fast stage feeds a "
        "slow sink. What does the stage's meanLatency show?",
        """
for record in processMethod(self, inputStream):
    recStart = time.perf_counter()
    yield record
    metrics.latenciesMs.append((time.perf_counter() - recStart) * 1000)
""",
        (
            "The stage's own time per record",
            False,
            "Between yield and resuming, the stage is suspended: the consumer is running.",
        ),
        (
            "The sink's time: the fast stage looks slow",
            True,
            "yield hands control downstream; the clock runs while the consumer works. The "
            "engine's measuredStage measures own time instead.",
        ),
        (
            "Zero: nothing happens between two clock reads",
            False,
            "A whole downstream step happens between them.",
        ),
    ),
    _q(
        "observability",
        "predict the output",
        "A source fails once (transiently) after its first three records, under slide 10's "
        "retry. What does the sink receive?",
        """
attempts = []

class Flaky:
    @retryOnFailure(maxAttempts=3, delaySeconds=0)   # slide 10's version
    def stream(self):
        attempts.append(1)
        for i in range(5):
            if i == 3 and len(attempts) == 1:
                raise ConnectionResetError("blip")
            yield i

print(list(Flaky().stream()))
""",
        (
            "[0, 1, 2, 3, 4]",
            False,
            "That is what the engine's retryOnFailure delivers: it resumes after the last "
            "record delivered.",
        ),
        (
            "[0, 1, 2, 0, 1, 2, 3, 4]",
            True,
            "Slide 10 restarts the stream from scratch: records 0-2 arrive twice.",
        ),
        (
            "[0, 1, 2] and then ConnectionResetError",
            False,
            "ConnectionResetError is an OSError, which slide 10 retries.",
        ),
    ),
    _q(
        "observability",
        "choose the pattern",
        "Which failure of a source should a retry decorator retry?",
        "",
        (
            "ConnectionResetError: the network blipped",
            True,
            "Transient: it heals by itself, so a later attempt can succeed.",
        ),
        (
            "FileNotFoundError: the CSV path is wrong",
            False,
            "Permanent: waiting will not create the file, so the engine does not retry it by "
            "default.",
        ),
        (
            "ValueError from parsing a malformed row",
            False,
            "The same row fails the same way on every attempt: a bug or bad data, not a blip.",
        ),
        (
            "PermissionError on the database file",
            False,
            "Permanent until someone changes the permissions; retrying only delays the error.",
        ),
    ),
    _q(
        "observability",
        "predict the output",
        "A decorator written without functools.wraps:",
        """
def measured(method):
    def wrapper(self, inputStream):
        yield from method(self, inputStream)
    return wrapper

class Normalizer:
    @measured
    def process(self, inputStream):
        \"\"\"Scale readings to [0, 1].\"\"\"
        yield from inputStream

print(Normalizer.process.__name__, Normalizer.process.__doc__)
""",
        (
            "process Scale readings to [0, 1].",
            False,
            "That is what @functools.wraps(method) on the wrapper would give.",
        ),
        (
            "wrapper None",
            True,
            "The class now holds wrapper itself, with its own name and no docstring; slides 9 "
            "and 10 use functools.wraps to copy them.",
        ),
        (
            "TypeError: a decorator cannot wrap a generator function",
            False,
            "wrapper is a generator function too (it contains yield from): that is fine.",
        ),
    ),
    _q(
        "observability",
        "choose the pattern",
        "A thousand sensors lose the hub at the same instant and all retry with the same "
        "exponential backoff. What stops their retries arriving together?",
        "",
        (
            "More attempts",
            False,
            "More attempts, still in lockstep: each wave as big as the first.",
        ),
        (
            "Jitter: a random spread added to each wait",
            True,
            "Each client waits a slightly different time, so the retries spread out.",
        ),
        ("A longer constant delay", False, "The waves come later, but still all at once."),
    ),
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

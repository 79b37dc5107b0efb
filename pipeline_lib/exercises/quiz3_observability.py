"""Notebook 07's questions on layer 3, observability and resilience: timing, retry, wraps."""

from __future__ import annotations

from .quizformat import Question, multipleChoice

__all__ = ["QUESTIONS"]

QUESTIONS: tuple[Question, ...] = (
    multipleChoice(
        "observability",
        "spot the bug",
        "Slide 9 times from just before yield record to just after it. A fast stage feeds a "
        "slow sink. What does the stage's meanLatency show?",
        """
for record in processMethod(self, inputStream):
    recStart = time.perf_counter()
    yield record
    metrics.latenciesMs.append(
        (time.perf_counter() - recStart) * 1000
    )
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
        revisit=[("04", "The slide blames the wrong stage")],
    ),
    multipleChoice(
        "observability",
        "predict the output",
        "A source fails once (transiently) after its first three records, under slide 10's "
        "retry. What does the sink receive?",
        """
attempts = []

class Flaky:
    # slide 10's version of the decorator
    @retryOnFailure(maxAttempts=3, delaySeconds=0)
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
        revisit=[("05", "Slide 10's decorator")],
    ),
    multipleChoice(
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
        revisit=[("05", "Transient or permanent?")],
    ),
    multipleChoice(
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

method = Normalizer.process
print(method.__name__, method.__doc__)
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
        revisit=[("04", "The slide's decorator (slide 9)")],
    ),
    multipleChoice(
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
        revisit=[("05", "Backoff and jitter")],
        deeper=True,
    ),
)

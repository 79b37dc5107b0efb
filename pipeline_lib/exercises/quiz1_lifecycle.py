"""Notebook 07's questions on layer 1, lifecycle: with, generators left suspended, cleanup."""

from __future__ import annotations

from .quizformat import Question, multipleChoice

__all__ = ["QUESTIONS"]

QUESTIONS: tuple[Question, ...] = (
    multipleChoice(
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
        revisit=[("02", "The protocol (slide 3)")],
    ),
    multipleChoice(
        "lifecycle",
        "predict the output",
        "The loop that reads a source fails at record 3, and the exception is kept. What is "
        "printed?",
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
            "The generator is still suspended at its yield: the variable stream (and, through "
            "the frame it passed, the held traceback) refers to it, so its finally has not run. "
            "close() would run it now, and so would dropping every reference to it.",
        ),
        (
            "OSError: disk full is printed as a traceback",
            False,
            "The except clause catches the OSError; the program goes on to print(log).",
        ),
        revisit=[("01", "Why: suspended generators")],
    ),
    multipleChoice(
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
            print(f"Completed: {self._recordCount} records "
                  f"in {elapsed:.3f}s")
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
        revisit=[("02", "Slide 3's `PipelineContext`, in this notebook")],
    ),
    multipleChoice(
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
            "A stage that catches its own failure hides it: the run completes, and there is "
            "nothing to report. And no stage catches a failure elsewhere (in the sink, say): "
            "that still leaves the source suspended, holding its connection.",
        ),
        revisit=[("01", "Why: suspended generators"), ("02", "The engine's `PipelineContext`")],
    ),
)

"""Notebook 07's quiz: every marked answer is true (its code run here), every feedback right."""

from __future__ import annotations

import contextlib
import gc
import html
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline_lib import ConnectionPool, PipelineConfig, PipelineContext, PositiveFloat
from pipeline_lib import retryOnFailure as engineRetry
from pipeline_lib.exercises.quiz import (
    QUIZ,
    QUIZ_WIDTH,
    answerQuiz,
    numbered,
    quizQuestions,
    showQuiz,
)
from pipeline_lib.faults import Fault, failStage
from pipeline_lib.leaks import makeSensorDatabase
from pipeline_lib.naive import measuredStage as slideMeasuredStage
from pipeline_lib.naive import retryOnFailure as slideRetry
from pipeline_lib.naive import runWithoutCleanup
from pipeline_lib.retrypolicy import RetryPolicy
from pipeline_lib.sinks import ListSink
from pipeline_lib.sources import SqliteSource
from pipeline_lib.stages import ThresholdFilter

NUMBER = {q.prompt: n for n, q in numbered()}


def _question(start: str) -> tuple[int, Any]:
    (found,) = [(n, q) for n, q in numbered() if q.prompt.startswith(start)]
    return found


def _run(code: str, **names: Any) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {"time": time, **names})
    return out.getvalue()


def test_the_quiz_has_ten_or_more_questions_across_all_three_layers_and_kinds() -> None:
    assert len(QUIZ) >= 10
    assert {q.layer for q in QUIZ} == {"lifecycle", "configuration", "observability"}
    assert {q.kind for q in QUIZ} == {"predict the output", "spot the bug", "choose the pattern"}
    for layer in ("lifecycle", "configuration", "observability"):
        assert len(numbered(layer)) >= 3


def test_every_question_has_one_right_answer_and_a_reason_for_every_answer() -> None:
    for question in QUIZ:
        assert sum(a.correct for a in question.answers) == 1, question.prompt
        assert 3 <= len(question.answers) <= 4
        assert all(len(a.why) > 20 for a in question.answers), question.prompt


@pytest.mark.parametrize(
    "number", [n for n, q in numbered() if q.kind == "predict the output" and "print" in q.code]
)
def test_the_right_answer_of_each_predict_the_output_question_is_what_the_code_prints(
    number: int,
) -> None:
    question = QUIZ[number - 1]
    printed = _run(question.code, retryOnFailure=slideRetry).strip()
    expected = question.right.text.replace(" / ", "\n")
    assert printed == expected
    for wrong in (a for a in question.answers if not a.correct):
        assert printed != wrong.text.replace(" / ", "\n")


def test_slide_3_fails_in_exit_on_success_because_record_count_is_never_set() -> None:
    _, question = _question("Slide 3's PipelineContext")
    names: dict[str, Any] = {"time": time}
    exec(question.code, names)
    with pytest.raises(AttributeError, match="_recordCount"), names["PipelineContext"]():
        pass


def test_storing_under_the_public_name_recurses() -> None:
    _, question = _question("What happens at config.rate")
    names: dict[str, Any] = {}
    exec(question.code, names)
    with pytest.raises(RecursionError):
        names["config"].rate = 2.0


def test_only_a_cross_field_rule_refuses_inverted_bounds() -> None:
    class OnlyFields:
        filterMin = PositiveFloat()
        filterMax = PositiveFloat()

    config = OnlyFields()
    config.filterMin, config.filterMax = 90.0, 10.0  # each field accepts its value
    with pytest.raises(ValueError, match="filterMin"):
        PipelineConfig(100.0, 10, 90.0, 10.0)


def test_slide_9_charges_the_consumers_time_to_the_stage() -> None:
    class Fast:
        @slideMeasuredStage("Fast")
        def process(self, inputStream: Iterator[int]) -> Iterator[int]:
            yield from inputStream

    for _ in Fast().process(iter(range(5))):
        time.sleep(0.01)  # a slow sink
    assert Fast.process.lastMetrics.meanLatencyMs >= 9.0  # type: ignore[attr-defined]


def test_the_engine_retries_only_the_transient_answer() -> None:
    _, question = _question("Which failure of a source")
    errors = {
        "ConnectionResetError": ConnectionResetError,
        "FileNotFoundError": FileNotFoundError,
        "ValueError": ValueError,
        "PermissionError": PermissionError,
    }
    for answer in question.answers:
        error = errors[re.split(r"[: ]", answer.text)[0]]
        attempts = _attemptsUntilGivingUp(error)
        assert (attempts == 3) == answer.correct, (answer.text, attempts)


def _attemptsUntilGivingUp(error: type[Exception]) -> int:
    attempts: list[int] = []

    class Failing:
        @engineRetry(maxAttempts=3, delaySeconds=0)
        def stream(self) -> Iterator[int]:
            attempts.append(1)
            raise error("x")
            yield 0

    with pytest.raises(error):
        list(Failing().stream())
    return len(attempts)


def test_jitter_spreads_identical_policies_and_more_attempts_do_not() -> None:
    plain = {RetryPolicy(maxAttempts=4, delaySeconds=1.0, backoff=2.0).delays() for _ in range(5)}
    spread = {
        RetryPolicy(maxAttempts=4, delaySeconds=1.0, backoff=2.0, jitter=0.5, seed=s).delays()
        for s in range(5)
    }
    assert len(plain) == 1 and len(spread) == 5


def test_a_held_exception_keeps_the_connection_unless_the_context_closes_the_chain(
    tmp_path: Path,
) -> None:
    database = makeSensorDatabase(tmp_path / "q.sqlite", count=50)
    held: list[BaseException] = []
    with ConnectionPool(database, size=3) as pool:
        for managed in (False, True):
            stage = failStage(ThresholdFilter(0.0, 100.0), Fault(atRecord=5))
            try:
                if managed:
                    with PipelineContext(SqliteSource(pool)) as ctx:
                        ctx.run(stages=[stage], sink=ListSink())
                else:
                    runWithoutCleanup(SqliteSource(pool), [stage], ListSink())
            except Exception as error:
                held.append(error)
            gc.collect()  # answer A: the collector cannot free what the held exception reaches
            assert pool.inUse == 1  # the naive run's connection; the managed run added none
        held.clear()


# -- the feedback functions ----------------------------------------------------------------


def test_answer_quiz_accepts_the_right_letter_and_explains_each_wrong_one() -> None:
    for number, question in numbered():
        letters = "ABCD"[: len(question.answers)]
        verdicts = {letter: answerQuiz(number, letter) for letter in letters}
        assert sum(v.passed for v in verdicts.values()) == 1
        for letter, verdict in verdicts.items():
            answer = question.answers["ABCD".index(letter)]
            assert answer.why in verdict.message
        assert answerQuiz(number, letters[0].lower()).passed == question.answers[0].correct


@pytest.mark.parametrize("bad", ["E", "", "  ", "7"])
def test_answer_quiz_names_the_letters_for_a_choice_that_does_not_exist(bad: str) -> None:
    verdict = answerQuiz(1, bad)
    assert not verdict.passed and "has answers A, B, C, D" in verdict.message


def test_answer_quiz_refuses_a_question_that_does_not_exist() -> None:
    with pytest.raises(ValueError, match=rf"must be in \[1, {len(QUIZ)}\], got 0"):
        answerQuiz(0, "A")
    with pytest.raises(TypeError, match="must be an int"):
        answerQuiz("1", "A")  # type: ignore[arg-type]


def test_the_jupyterquiz_format_escapes_code_and_marks_one_answer_correct() -> None:
    items = quizQuestions("configuration")
    assert len(items) == len(numbered("configuration"))
    for item in items:
        assert item["type"] == "multiple_choice"
        assert sum(answer["correct"] for answer in item["answers"]) == 1
        assert "<" not in item.get("code", "") and "<" not in item["question"]
        assert all(a["feedback"].startswith(("Right.", "No.")) for a in item["answers"])
    assert re.match(r"\d+\. \(predict the output\) ", items[0]["question"])


def test_show_quiz_hands_the_questions_in_a_fixed_order_to_the_renderer() -> None:
    shown: list[tuple[Any, dict[str, Any]]] = []
    showQuiz("lifecycle", display=lambda questions, **options: shown.append((questions, options)))
    ((questions, options),) = shown
    assert questions == quizQuestions("lifecycle")
    assert options == {"shuffle_answers": False, "max_width": QUIZ_WIDTH}


def test_show_quiz_names_its_output_the_same_on_every_run_and_leaves_random_alone() -> None:
    import random

    from pipeline_lib.exercises import quiz

    def ids() -> list[str]:
        names: list[str] = []
        quiz._shown.clear()
        for layer in ("lifecycle", "lifecycle"):
            showQuiz(layer, display=lambda q, **o: names.append(random.choice("abcdefgh") * 3))
        return names

    random.seed(1)
    expectedNext = random.random()
    random.seed(1)
    first = ids()
    assert random.random() == expectedNext  # the caller's random state is untouched
    assert ids() == first and first[0] != first[1]


# -- where to revisit, and what the lessons mark as deeper -----------------------------------

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
DEEPER = "🔵 **Deeper**"


def _sections(number: str) -> dict[str, str]:
    """Each ``##``/``###`` heading of lesson ``number`` -> the marker of its ``##`` section."""
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    sections: dict[str, str] = {}
    marker = ""
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        lines = "".join(cell["source"]).splitlines()
        for index, line in enumerate(lines):
            if line.startswith("## "):
                following = [rest for rest in lines[index + 1 :] if rest.strip()]
                marker = following[0] if following else ""
            if line.startswith(("## ", "### ")):
                sections[line.lstrip("#").strip()] = marker
    return sections


def test_every_question_names_a_real_section_of_01_to_06_and_says_when_it_is_deeper() -> None:
    for number, question in numbered():
        assert question.revisit, f"question {number} names no section to revisit"
        for notebook, heading in question.revisit:
            assert notebook in {"01", "02", "03", "04", "05", "06"}, (number, notebook)
            sections = _sections(notebook)
            assert heading in sections, f"question {number}: {notebook} has no {heading!r}"
        isDeeper = all(_sections(n)[h].startswith(DEEPER) for n, h in question.revisit)
        assert question.deeper == isDeeper, f"question {number}: deeper={question.deeper}"


def test_every_wrong_answer_says_where_to_revisit_and_no_right_one_does() -> None:
    for (number, question), item in zip(numbered(), quizQuestions(), strict=True):
        letters = "ABCD"[: len(question.answers)]
        for letter, answer, shown in zip(letters, question.answers, item["answers"], strict=True):
            text = answerQuiz(number, letter).message
            if answer.correct:
                assert "Revisit" not in text and "Revisit" not in shown["feedback"]
            else:
                assert text.endswith(question.revisitText), text
                assert shown["feedback"].endswith(html.escape(question.revisitText))


def test_a_deeper_question_says_so_before_it_is_answered() -> None:
    items = quizQuestions()
    for (_, question), item in zip(numbered(), items, strict=True):
        assert ("deeper" in item["question"]) == question.deeper


def test_the_intro_counts_the_questions_there_are() -> None:
    words = {10: "Ten", 11: "Eleven", 12: "Twelve", 13: "Thirteen", 14: "Fourteen", 15: "Fifteen"}
    intro = json.loads((NOTEBOOKS / "07_self_assessment.ipynb").read_text(encoding="utf-8"))
    assert "".join(intro["cells"][0]["source"]).count(f"{words[len(QUIZ)]} questions") == 1


def test_every_line_of_code_fits_the_quiz_box_without_wrapping() -> None:
    # QUIZ_WIDTH px, minus the box's padding, at jupyterquiz's 14pt monospace: ~64 characters.
    for number, question in numbered():
        for line in question.code.splitlines():
            assert len(line) <= 60, (number, line)


# -- answerQuiz reads one letter, no more ----------------------------------------------------


@pytest.mark.parametrize("hedge", ["AB", "A or B", "all", "A, C", "answer A"])
def test_answer_quiz_refuses_more_than_one_letter(hedge: str) -> None:
    verdict = answerQuiz(1, hedge)
    assert not verdict.passed and "give one" in verdict.message


@pytest.mark.parametrize("written", ["b", " B ", "B.", "b)"])
def test_answer_quiz_accepts_one_letter_written_in_the_usual_ways(written: str) -> None:
    assert answerQuiz(2, written).passed  # question 2's answer is B


def test_show_quiz_refuses_a_misspelt_layer_before_showing_anything() -> None:
    shown: list[object] = []
    with pytest.raises(ValueError, match="lifecycle, configuration, observability"):
        showQuiz("Lifecycle", display=lambda *a, **k: shown.append(a))  # type: ignore[arg-type]
    assert not shown


# -- the claims the feedback makes, each tried without the quiz ------------------------------


def test_the_suspended_generator_of_question_2_runs_its_finally_on_close_or_when_dropped() -> None:
    _, question = _question("The loop that reads a source")
    for release in ("close", "drop"):
        names: dict[str, Any] = {}
        with contextlib.redirect_stdout(io.StringIO()):
            exec(question.code, names)
        assert names["log"] == []
        if release == "close":
            names["stream"].close()
        else:
            names["held"].clear()
            del names["stream"]  # the last references: reference counting closes it
        assert names["log"] == ["closed"], release


def test_del_source_and_catching_in_each_stage_do_not_guarantee_the_connection(
    tmp_path: Path,
) -> None:
    database = makeSensorDatabase(tmp_path / "q4.sqlite", count=50)

    class CatchesItsOwnFailure:
        def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
            try:
                for index, reading in enumerate(inputStream):
                    if index == 5:
                        raise OSError("link lost")
                    yield reading
            except Exception:
                pass  # answer D: caught inside the stage

    class FailingSink:
        def consume(self, stream: Iterator[Any]) -> None:
            for index, _ in enumerate(stream):
                if index == 2:
                    raise OSError("disk full")

    held: list[BaseException] = []
    with ConnectionPool(database, size=3) as pool:
        # answer C: del the source; the suspended generator still refers to it
        source = SqliteSource(pool)
        stage = failStage(ThresholdFilter(0.0, 100.0), Fault(atRecord=5))
        with pytest.raises(OSError) as caught:
            runWithoutCleanup(source, [stage], ListSink())
        held.append(caught.value)
        del source, caught
        assert pool.inUse == 1
        held.clear()
        gc.collect()
        assert pool.inUse == 0
        # answer D: the stage's own failure is hidden (the run completes, nothing to report)...
        runWithoutCleanup(SqliteSource(pool), [CatchesItsOwnFailure()], ListSink())
        assert pool.inUse == 0
        # ...and a failure outside the stages still keeps the connection
        with pytest.raises(OSError) as caught:
            runWithoutCleanup(SqliteSource(pool), [CatchesItsOwnFailure()], FailingSink())
        held.append(caught.value)
        assert pool.inUse == 1
        held.clear()


def test_the_engine_delivers_question_10s_stream_once_where_slide_10_repeats_it() -> None:
    _, question = _question("A source fails once")
    assert _run(question.code, retryOnFailure=slideRetry).strip() == "[0, 1, 2, 0, 1, 2, 3, 4]"
    assert _run(question.code, retryOnFailure=engineRetry).strip() == "[0, 1, 2, 3, 4]"


def test_more_attempts_or_a_longer_constant_delay_keep_clients_in_lockstep() -> None:
    for settings in (
        {"maxAttempts": 8, "delaySeconds": 1.0, "backoff": 2.0},  # answer A: more attempts
        {"maxAttempts": 4, "delaySeconds": 5.0, "backoff": 1.0},  # answer C: longer, constant
    ):
        thousandClients = {RetryPolicy(**settings).delays() for _ in range(1000)}
        assert len(thousandClients) == 1  # every client waits exactly as long as the others

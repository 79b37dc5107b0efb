"""Notebook 07's quiz in a real JupyterLab and Chromium: Run All, click answers, read why.

Also a static HTML export of the stored notebook, opened offline (every request refused):
jupyterquiz's JavaScript is embedded in the output, so the quiz works without a kernel
and without a network. Skips without Chromium, fails under PIPELINE_LIB_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_harness import (
    JupyterLabServer,
    openNotebook,
    requireBrowser,
    runAllCells,
    waitForIdleKernel,
)

from pipeline_lib.exercises.quiz import quizQuestions

QUIZ = Path(__file__).resolve().parent.parent / "notebooks" / "07_self_assessment.ipynb"
FIRST_RIGHT = "Right. __exit__ runs as the exception leaves the block"
FIRST_WRONG = "No. __exit__ runs however the block ends"
FIRST_REVISIT = "Revisit 02 · The protocol (slide 3)."
CODE_QUESTIONS = sum(1 for question in quizQuestions() if question.get("code"))
# How much taller each question's code is than it would be with wrapping impossible: 0 when
# every line stays one line (a long one scrolls), more when Lab's CSS wraps mid-name.
WRAPPED_PIXELS = """() => [...document.querySelectorAll('.QuizCode pre')].map(pre => {
  const both = [pre, pre.querySelector('code')];
  const noWrap = {whiteSpace: 'pre', wordBreak: 'normal', overflowWrap: 'normal'};
  const asShown = pre.getBoundingClientRect().height;
  for (const e of both) Object.assign(e.style, noWrap);
  const unwrapped = pre.getBoundingClientRect().height;
  for (const e of both) Object.assign(e.style, {whiteSpace: '', wordBreak: '', overflowWrap: ''});
  return Math.round(asShown - unwrapped);
})"""


@pytest.fixture(scope="module")
def quizLab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLabServer]:
    requireBrowser()
    copy = tmp_path_factory.mktemp("quiz-notebooks")
    shutil.copy(QUIZ, copy)
    with JupyterLabServer(copy, tmp_path_factory.mktemp("quiz-lab")) as server:
        yield server


def _answerFirstQuestion(page: Any) -> tuple[str, str]:
    buttons = page.locator(".MCButton")
    buttons.nth(1).click()
    wrong = page.locator(".Feedback").first.inner_text()
    buttons.nth(0).click()
    right = page.locator(".Feedback").first.inner_text()
    return wrong, right


@pytest.mark.browser
def test_after_run_all_the_quiz_answers_a_click_with_its_reason(
    chromium: Any, quizLab: JupyterLabServer
) -> None:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(20_000)
    page = context.new_page()
    openNotebook(page, quizLab, QUIZ.name)
    runAllCells(page)
    page.locator(".MCButton").first.wait_for()
    waitForIdleKernel(page)
    wrong, right = _answerFirstQuestion(page)
    assert wrong.startswith(FIRST_WRONG) and right.startswith(FIRST_RIGHT)
    assert wrong.endswith(FIRST_REVISIT) and "Revisit" not in right
    assert page.locator(".MCButton").count() >= 3 * 10  # every question, every answer
    context.close()


@pytest.mark.browser
def test_the_code_of_every_question_keeps_its_lines_even_in_a_narrow_window(
    chromium: Any, quizLab: JupyterLabServer
) -> None:
    context = chromium.new_context(viewport={"width": 900, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    openNotebook(page, quizLab, QUIZ.name)
    runAllCells(page)
    page.locator(".MCButton").first.wait_for()
    waitForIdleKernel(page)
    # Lab renders the outputs of cells below the window later ("defer" windowing): wait
    # until every quiz has drawn its code, or a late one would simply not be measured.
    page.wait_for_function(
        f"() => document.querySelectorAll('.QuizCode pre').length >= {CODE_QUESTIONS}"
    )
    wrapped = page.evaluate(WRAPPED_PIXELS)
    assert len(wrapped) == CODE_QUESTIONS and not any(wrapped), wrapped
    context.close()


@pytest.mark.browser
def test_a_static_html_export_works_offline(chromium: Any, tmp_path: Path) -> None:
    requireBrowser()
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(QUIZ),
         "--output-dir", str(tmp_path)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = chromium.new_context()
    requested: list[str] = []
    context.route("http*://**", lambda route: (requested.append(route.request.url), route.abort()))
    page = context.new_page()
    page.goto((tmp_path / QUIZ.with_suffix(".html").name).as_uri())
    page.locator(".MCButton").first.wait_for(timeout=20_000)
    wrong, right = _answerFirstQuestion(page)
    assert wrong.startswith(FIRST_WRONG) and right.startswith(FIRST_RIGHT)
    assert not [url for url in requested if "jupyterquiz" in url]
    context.close()

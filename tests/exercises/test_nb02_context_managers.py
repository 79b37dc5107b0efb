"""Checks 02.1 and 02.2: right answers written differently pass, typical wrong ones are named."""

from __future__ import annotations

import ast
import gc
import logging
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import pytest
from notebookcode import classFromNotebook

import pipeline_lib
import pipeline_lib.exercises as exercises
from pipeline_lib import ConnectionPool, PipelineContext
from pipeline_lib.exercises import checkConnectionLoan, checkSafeRunner, checkSlideContextFixed
from pipeline_lib.naive import runWithoutCleanup
from pipeline_lib.testing import quietLogs

# -- 02.1: a connection loan as a context manager -------------------------------------


class ConnectionLoan:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def __enter__(self) -> sqlite3.Connection:
        self.conn = self.pool.acquire()
        return self.conn

    def __exit__(self, *exc: object) -> bool:
        self.pool.release(self.conn)
        return False


@contextmanager
def connectionLoan(pool: ConnectionPool) -> Any:
    conn = pool.acquire(holder="generator form")
    try:
        yield conn
    finally:
        pool.release(conn)


class DelegatingConnection:
    """Right, written differently: hands the work to the pool's own manager; __exit__ -> None."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.manager = pool.connection(holder="delegating")

    def __enter__(self) -> sqlite3.Connection:
        return self.manager.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self.manager.__exit__(*exc)


class SwallowingConnection(ConnectionLoan):
    def __exit__(self, *exc: object) -> bool:
        super().__exit__(*exc)
        return True


class ForgetfulConnection(ConnectionLoan):
    def __exit__(self, *exc: object) -> bool:
        return False


class OnlyOnErrorConnection(ConnectionLoan):
    def __exit__(self, excType: object, *rest: object) -> bool:
        if excType is not None:
            self.pool.release(self.conn)
        return False


class EagerConnection:
    """Borrows in __init__: a manager created and never entered leaks."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool
        self.conn = pool.acquire()

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> bool:
        self.pool.release(self.conn)
        return False


class SelfReturningConnection(ConnectionLoan):
    def __enter__(self) -> Any:
        super().__enter__()
        return self


class ClosingConnection(ConnectionLoan):
    """Closes the borrowed connection instead of giving it back to the pool."""

    def __exit__(self, *exc: object) -> bool:
        self.conn.close()
        return False


class WithInsideEnter(ConnectionLoan):
    """Borrows with the pool's own manager inside __enter__: given back as __enter__ returns."""

    def __enter__(self) -> Any:
        with self.pool.connection() as conn:
            return conn

    def __exit__(self, *exc: object) -> bool:
        return False


class OwnConnection:
    """Hard-codes a connection of its own instead of borrowing one."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def __enter__(self) -> sqlite3.Connection:
        self.conn = sqlite3.connect(":memory:")
        return self.conn

    def __exit__(self, *exc: object) -> bool:
        self.conn.close()
        return False


@contextmanager
def loanWithoutFinally(pool: ConnectionPool) -> Any:
    """The generator form without try/finally: an error in the block skips the release."""
    conn = pool.acquire()
    yield conn
    pool.release(conn)


@contextmanager
def loanOnlyOnException(pool: ConnectionPool) -> Any:
    """Gives back after a clean block or an Exception, not after Ctrl-C."""
    conn = pool.acquire()
    try:
        yield conn
    except Exception:
        pool.release(conn)
        raise
    pool.release(conn)


@contextmanager
def swallowingLoan(pool: ConnectionPool) -> Any:
    conn = pool.acquire()
    try:
        yield conn
    except Exception:
        pass
    finally:
        pool.release(conn)


class ExceptionOnlyConnection(ConnectionLoan):
    """Gives back unless the block was stopped by a BaseException such as Ctrl-C."""

    def __exit__(self, excType: Any, *rest: object) -> bool:
        if excType is None or issubclass(excType, Exception):
            self.pool.release(self.conn)
        return False


class ReRaisingConnection(ConnectionLoan):
    """Right, written differently: gives back, then raises the block's error itself."""

    def __exit__(self, excType: Any, excVal: Any, excTb: Any) -> None:
        self.pool.release(self.conn)
        if excVal is not None:
            raise excVal


@pytest.mark.parametrize(
    "manager", [ConnectionLoan, connectionLoan, DelegatingConnection, ReRaisingConnection]
)
def test_02_1_accepts_right_managers_written_differently(manager: Any) -> None:
    verdict = checkConnectionLoan(manager)
    assert verdict.passed, verdict


@pytest.mark.parametrize(
    ("manager", "named"),
    [
        (ForgetfulConnection, "ended normally, the connection was not given back"),
        (OnlyOnErrorConnection, "ended normally, the connection was not given back"),
        (SwallowingConnection, "__exit__ returned a true value"),
        (EagerConnection, "creating the manager already took a connection"),
        (SelfReturningConnection, "expected the connection borrowed from the pool"),
        (OwnConnection, "no connection is borrowed from the pool"),
        (ClosingConnection, "the borrowed connection was closed but not given back"),
        (WithInsideEnter, "__enter__ gave it back before the block began"),
        (loanWithoutFinally, "after a block that raised, the connection was not given back"),
        (loanOnlyOnException, "KeyboardInterrupt is a BaseException"),
        (ExceptionOnlyConnection, "KeyboardInterrupt is a BaseException"),
        (swallowingLoan, "your generator caught it at its `yield`"),
    ],
)
def test_02_1_rejects_each_typical_mistake_naming_it(manager: Any, named: str) -> None:
    verdict = checkConnectionLoan(manager)
    assert not verdict and named in verdict.message
    assert "acquire" not in verdict.hint and "False" not in verdict.hint  # no answer given


def test_02_1_names_code_after_yield_in_its_hint_for_the_generator_form() -> None:
    verdict = checkConnectionLoan(loanWithoutFinally)
    assert "after the `yield` runs only when the block ended normally" in verdict.hint
    assert "finally" not in verdict.hint  # the mistake named, the fix not given


def test_02_1_names_closing_instead_of_giving_back_in_its_hint() -> None:
    verdict = checkConnectionLoan(ClosingConnection)
    assert "not yours to close" in verdict.hint and "release" not in verdict.hint


def test_02_1_keeps_its_old_name_for_notebooks_saved_before_the_rename() -> None:
    assert exercises.checkPooledConnection is checkConnectionLoan
    assert "checkPooledConnection" not in exercises.__all__


def test_02_1_reports_an_unexpected_exception_as_itself() -> None:
    class Typo(ConnectionLoan):
        def __enter__(self) -> sqlite3.Connection:
            return self.pool.aquire()  # type: ignore[attr-defined,no-any-return]

    verdict = checkConnectionLoan(Typo)
    assert verdict.message == (
        "your code raised AttributeError: 'ConnectionPool' object has no attribute 'aquire'"
    )


# -- 02.2: fix slide 3 ------------------------------------------------------------------

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "02_context_managers.ipynb"


# The notebook's slide 3/4 PipelineContext, run from its own cell: "logs as before" means
# as that class logs, and a copy here could drift from it.
SlidePipelineContext: Any = classFromNotebook("02_context_managers.ipynb", "PipelineContext")


class SolutionContext(SlidePipelineContext):
    def run(self, stages: list[Any], sink: Any) -> None:
        self._generators = [self.source.stream()]
        for stage in stages:
            self._generators.append(stage.process(self._generators[-1]))
        sink.consume(self._counted(self._generators[-1]))

    def __exit__(self, excType: Any, excVal: Any, excTb: Any) -> bool:
        for generator in reversed(getattr(self, "_generators", [])):
            generator.close()
        return super().__exit__(excType, excVal, excTb)


class StackContext(SlidePipelineContext):
    """Right, written differently: closes in run()'s finally, pops the list from the end."""

    def run(self, stages: list[Any], sink: Any) -> None:
        opened = [self.source.stream()]
        try:
            for stage in stages:
                opened.append(stage.process(opened[-1]))
            sink.consume(self._counted(opened[-1]))
        finally:
            while opened:
                opened.pop().close()


class OldestFirstContext(SolutionContext):
    def __exit__(self, excType: Any, excVal: Any, excTb: Any) -> bool:
        for generator in self._generators:
            generator.close()
        return SlidePipelineContext.__exit__(self, excType, excVal, excTb)


class OnlySourceContext(SolutionContext):
    def __exit__(self, excType: Any, excVal: Any, excTb: Any) -> bool:
        self._generators[0].close()
        return SlidePipelineContext.__exit__(self, excType, excVal, excTb)


class ExceptExceptionContext(SlidePipelineContext):
    def run(self, stages: list[Any], sink: Any) -> None:
        generators = [self.source.stream()]
        for stage in stages:
            generators.append(stage.process(generators[-1]))
        try:
            sink.consume(self._counted(generators[-1]))
        except Exception:
            for generator in reversed(generators):
                generator.close()
            raise


class TracebackDroppingContext(SlidePipelineContext):
    """Frees the chain by dropping the error's traceback in run(), closing nothing."""

    def run(self, stages: list[Any], sink: Any) -> None:
        try:
            super().run(stages, sink)
        except BaseException as error:
            error.__traceback__ = None
            raise


class SwallowingContext(SolutionContext):
    def __exit__(self, excType: Any, excVal: Any, excTb: Any) -> bool:
        super().__exit__(excType, excVal, excTb)
        return True


class UncountedContext(SolutionContext):
    """Closes correctly but dropped _counted: the slide's 'Completed: N records' says 0."""

    def run(self, stages: list[Any], sink: Any) -> None:
        self._generators = [self.source.stream()]
        for stage in stages:
            self._generators.append(stage.process(self._generators[-1]))
        sink.consume(self._generators[-1])


class SilentContext(SolutionContext):
    """Closes the chain newest first, but no longer logs: slide 3's lines are gone."""

    def __exit__(self, excType: Any, excVal: Any, excTb: Any) -> bool:
        for generator in reversed(getattr(self, "_generators", [])):
            generator.close()
        return False


class PrintingContext(SolutionContext):
    """Closes, then prints a line of its own instead of logging as before."""

    def __exit__(self, excType: Any, excVal: Any, excTb: Any) -> bool:
        for generator in reversed(getattr(self, "_generators", [])):
            generator.close()
        print("pipeline closed")
        return False


class AlwaysCompletedContext(SolutionContext):
    """Closes, then calls slide 3's __exit__ as if the block had ended normally."""

    def __exit__(self, excType: Any, excVal: Any, excTb: Any) -> bool:
        for generator in reversed(getattr(self, "_generators", [])):
            generator.close()
        return SlidePipelineContext.__exit__(self, None, None, None)  # type: ignore[no-any-return]


class SourceCountingContext(SolutionContext):
    """Counts what the source yields, not what the sink receives."""

    def run(self, stages: list[Any], sink: Any) -> None:
        stream = self.source.stream()  # kept, so that closing newest first closes it too
        self._generators = [stream, self._counted(stream)]
        for stage in stages:
            self._generators.append(stage.process(self._generators[-1]))
        sink.consume(self._generators[-1])


class LogThenCloseContext(SolutionContext):
    """Right, in the other order: logs first, then closes (the run's outcome is the same)."""

    def __exit__(self, excType: Any, excVal: Any, excTb: Any) -> bool:
        suppress = SlidePipelineContext.__exit__(self, excType, excVal, excTb)
        while getattr(self, "_generators", None):
            self._generators.pop().close()
        return suppress  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "context", [SolutionContext, StackContext, LogThenCloseContext, PipelineContext]
)
def test_02_2_accepts_right_fixes_written_differently(context: Any) -> None:
    verdict = checkSlideContextFixed(context)
    assert verdict.passed, verdict


@pytest.mark.parametrize(
    ("context", "named", "hinted"),
    [
        (SlidePipelineContext, "your code closed no generator", "newest first"),
        (OldestFirstContext, "closed the source before stage 1", "newest first"),
        (OnlySourceContext, "closed the source but not stage 1", "newest first"),
        (ExceptExceptionContext, "KeyboardInterrupt is a BaseException", "newest first"),
        (SwallowingContext, "the error was swallowed", "newest first"),
        (TracebackDroppingContext, "its traceback was cut in your code", "newest first"),
        (UncountedContext, "logged '[check] Completed: 0 records", "counts the records"),
        (SourceCountingContext, "run() must still count what it delivers", "counts the records"),
        (SilentContext, "logged no FAILED line", "let it do that, as before"),
        (PrintingContext, "logged no FAILED line", "let it do that, as before"),
        (AlwaysCompletedContext, "yet your context logged '[check] Completed", "arguments"),
    ],
)
def test_02_2_rejects_each_typical_mistake_naming_it(context: Any, named: str, hinted: str) -> None:
    verdict = checkSlideContextFixed(context)
    assert not verdict and named in verdict.message
    assert hinted in verdict.hint
    assert "reversed" not in verdict.hint and "super" not in verdict.hint  # no answer given


def test_02_2_sees_the_log_lines_even_inside_quiet_logs(caplog: pytest.LogCaptureFixture) -> None:
    """The check reads what the context logs while showing nothing (the notebook is quiet)."""
    root = logging.getLogger()
    with caplog.at_level(logging.INFO), quietLogs():
        handlers, level = root.handlers[:], root.level
        assert not checkSlideContextFixed(SilentContext)
        assert checkSlideContextFixed(SolutionContext)
        assert (root.handlers, root.level) == (handlers, level)  # put back as found
        assert logging.root.manager.disable == logging.CRITICAL  # still quiet
    assert caplog.records == []


def test_checks_are_quiet_and_leave_nothing_open(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        checkSlideContextFixed(PipelineContext)
        checkSafeRunner(runWithoutCleanup)
    assert caplog.records == []
    assert logging.root.manager.disable == logging.NOTSET
    gc.collect()  # ResourceWarning is an error in this suite: an unclosed connection fails


# -- names a student reads: none is the library's name for something else ------------

NOTEBOOKS = NOTEBOOK.parent
#: CONVENTIONS.md: a slide class defined in a notebook keeps the slide's name, and the
#: notebook then writes the engine's as ``pipeline_lib.PipelineContext``.
SLIDE_NAMES = {"PipelineContext"}


def _definedNames(path: Path) -> set[str]:
    """Classes and functions a notebook's code cells define (what a student reads or writes)."""
    names: set[str] = set()
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ClassDef | ast.FunctionDef):
                names.add(node.name)
    return names


@pytest.mark.parametrize(
    "notebook",
    [
        f"{folder}{name}{suffix}.ipynb"
        for name in ("01_the_leak_problem", "02_context_managers", "05_retry", "06_three_layers")
        for folder, suffix in (("", ""), ("solutions/", "_solutions"))
    ],
)
def test_no_class_or_function_in_the_notebook_shares_a_name_with_the_library(
    notebook: str,
) -> None:
    """Exercise 02.1's class was once ``PooledConnection``, the name of what the pool lends."""
    public = {name.lower() for name in pipeline_lib.__all__} | {
        name.lower() for name in exercises.__all__
    }
    clashes = {n for n in _definedNames(NOTEBOOKS / notebook) if n.lower() in public}
    assert clashes <= SLIDE_NAMES, f"{notebook} defines library names: {sorted(clashes)}"

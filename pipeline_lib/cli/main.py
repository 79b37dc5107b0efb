"""The command line: run a pipeline described in a TOML file, outside any notebook.

::

    pipeline-lib run PIPELINE.toml            # check the file, run it, print the report
    pipeline-lib run --dry-run PIPELINE.toml  # check the file and print the plan only
    pipeline-lib demo                         # a built-in sensor pipeline, end to end
    pipeline-lib grade FOLDER --csv v.csv     # instructors: grade submitted notebooks

(``python -m pipeline_lib ...`` is the same.) Exit status: ``0`` success; ``1`` the
pipeline failed (one line saying why, after the log); ``2`` the file (or the command
line) has problems, all listed; ``130`` interrupted by Ctrl-C (SIGINT), ``143``
stopped by SIGTERM. However a run ends, every resource has been closed, and a failed
or interrupted run leaves no output file behind.

The report goes to standard output; the log, the progress bar and errors go to
standard error, so ``pipeline-lib run p.toml > report.txt`` keeps the report clean.
This module is the only place in the library that configures logging or prints.

>>> main(["run", "--dry-run", "no-such-file.toml"])
2
"""

from __future__ import annotations

import argparse
import logging
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .signals import EXIT_INVALID, EXIT_OK, exitStatusFor, signalsInterrupt

if TYPE_CHECKING:
    from .pipelinefile import PipelinePlan
    from .run import LogHandler

__all__ = ["DEMO_PIPELINE", "buildParser", "main"]


logger = logging.getLogger("pipeline_lib")

#: The pipeline ``demo`` runs; ``demo --show`` prints it, ready to save and edit.
DEMO_PIPELINE = """\
# The demo pipeline: synthetic sensors -> filter -> normalize -> smooth -> SQLite.
pipelineId = "sensor_demo"
description = "Three synthetic temperature sensors, cleaned and smoothed, stored in SQLite."

[config]
samplingRateHz = 100.0
windowSize = 10
filterMin = 20.0
filterMax = 80.0

[source]
type = "SensorSource"
count = 200000
seed = 42

[[stages]]
type = "ThresholdFilter"

[[stages]]
type = "Normalizer"

[[stages]]
type = "WindowAverage"

[sink]
type = "SqliteSink"
database = "demo.sqlite"
table = "readings"
"""

_MAIN_EPILOG = """\
examples:
  {prog} demo                     run the built-in pipeline, see the report
  {prog} demo --show > my.toml    save the demo's pipeline file, to edit it
  {prog} run --dry-run my.toml    check your file and show the plan; run nothing
  {prog} run my.toml              run it
  {prog} grade subs/ --csv v.csv  instructors: grade submitted notebooks

Each command has its own --help. Exit status: 0 success, 1 the pipeline failed,
2 a problem in the file or the command line, 130 interrupted (Ctrl-C), 143 stopped
(SIGTERM).
"""

_RUN_EPILOG = """\
A pipeline file names a source, the stages (in order), a sink, and the PipelineConfig
values; `pipeline-lib demo --show` prints a complete one. In short:

  [config]                  samplingRateHz, windowSize, filterMin, filterMax
  [source]   type = "..."   SensorSource, CsvSource, SqliteSource, or "module:Class"
  [[stages]] type = "..."   ThresholdFilter, Normalizer, WindowAverage, or "module:Class"
  [sink]     type = "..."   CsvSink, SqliteSink, or "module:Class"

Every other key of a table is passed to the class as a keyword argument. Paths are
relative to the pipeline file's folder; absolute paths and ".." are allowed and mean
what they say. Your own "module:Class" is imported from that folder, the current
folder, or anything installed; it must be a class whose instances have the role's
method (stream, process or consume). --dry-run constructs and runs nothing: it checks
names, signatures, and the built-ins' values (by the same rules their constructors
use); your own class's arguments are checked against its signature.

trust: built-in types import nothing, but a file that names your own classes imports
(runs) that module's code, as a script would: run only pipeline files you trust.

exit status: 0 success, 1 the pipeline failed, 2 the file has problems (all listed),
130 interrupted (Ctrl-C), 143 stopped (SIGTERM). A run that fails or is interrupted
before the sink has finished writes no output file; if something fails after that (a
component's close), the message says the output was written.
"""


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    # The handlers first, then the imports: a Ctrl-C or SIGTERM from here on is 130/143.
    with signalsInterrupt() as received:
        try:
            return _main(argv, prog)
        except KeyboardInterrupt:  # before the run started: nothing to clean up
            print("pipeline-lib: interrupted", file=sys.stderr, flush=True)
            return exitStatusFor(received)


def _main(argv: Sequence[str] | None, prog: str | None) -> int:
    from .run import logTo

    parser = buildParser(prog)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_INVALID
    with logTo(sys.stderr, quiet=args.quiet, verbose=args.verbose) as log:
        return int(args.handler(args, log))


def buildParser(prog: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: ``run`` and ``demo``, each with a ``--help`` for students."""
    prog = prog or "pipeline-lib"
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run pipeline_lib pipelines (source -> stages -> sink) from the command line.",
        epilog=_MAIN_EPILOG.format(prog=prog),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(command=None, quiet=False, verbose=False)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="check a pipeline file, run it, and print the metrics report",
        description="Check a pipeline file (every problem is listed at once), run it "
        "inside a PipelineContext, and print the metrics report.",
        epilog=_RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("pipeline", metavar="PIPELINE.toml", help="the pipeline file to run")
    _addRunOptions(run)
    run.set_defaults(command="run", handler=_runCommand)

    demo = commands.add_parser(
        "demo",
        help="run a built-in sensor pipeline end to end, into a temporary SQLite file",
        description="Run the built-in sensor pipeline (synthetic sensors -> ThresholdFilter "
        "-> Normalizer -> WindowAverage -> SqliteSink) into a temporary SQLite file, "
        "and print the metrics report. `--show` prints the pipeline file it runs.",
    )
    demo.add_argument(
        "--count", type=int, metavar="N", help="how many readings the sensors produce (200000)"
    )
    demo.add_argument(
        "--seed", type=int, metavar="N", help="the sensors' random seed: same seed, same data (42)"
    )
    demo.add_argument(
        "--keep", action="store_true", help="keep the SQLite file and print where it is"
    )
    demo.add_argument("--show", action="store_true", help="print the demo's pipeline file and exit")
    _addRunOptions(demo)
    demo.set_defaults(command="demo", handler=_demoCommand)

    grade = commands.add_parser(
        "grade",
        help="instructors: run submitted notebooks and write one CSV of check verdicts",
        description="Run every notebook in FOLDER (or FOLDER/STUDENT/) in a fresh kernel "
        "and write one row per student, notebook and exercise check: correct, not yet, "
        "error, not run; a notebook that raises or hangs gets a row saying so.",
    )
    grade.add_argument("folder", metavar="FOLDER", help="the folder of submitted notebooks")
    grade.add_argument("--csv", required=True, metavar="FILE", help="where to write the verdicts")
    grade.add_argument(
        "--timeout", type=float, default=60.0, metavar="S",
        help="seconds a cell may run before the notebook counts as hung (60)",
    )  # fmt: skip
    grade.set_defaults(command="grade", handler=_gradeCommand)
    return parser


def _addRunOptions(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run", action="store_true",
        help="check the file and print the plan; construct and run nothing",
    )  # fmt: skip
    parser.add_argument(
        "-q", "--quiet", action="store_true",
        help="no progress bar and no log, unless something goes wrong",
    )  # fmt: skip
    parser.add_argument(
        "-v", "--verbose", action="store_true",
        help="debug log, and the full traceback when the pipeline fails",
    )  # fmt: skip


# -- the commands -----------------------------------------------------------------------


def _gradeCommand(args: argparse.Namespace, log: LogHandler) -> int:
    from ..exercises.grading import gradeFolder, writeCsv
    from .run import say

    try:  # only grading needs a notebook runner: check before running anything
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as missing:
        say(f"grade needs nbclient, nbformat and ipykernel ({missing}): pip install -e '.[dev]'")
        return EXIT_INVALID
    folder = Path(args.folder)
    if not folder.is_dir():
        say(f"grade: {folder} is not a folder")
        return EXIT_INVALID
    if not args.timeout > 0:
        say(f"grade: --timeout must be > 0, got {args.timeout}")
        return EXIT_INVALID
    rows = gradeFolder(folder, cellTimeoutSeconds=args.timeout)
    count = writeCsv(rows, Path(args.csv))
    verdicts: dict[str, int] = {}
    for row in rows:
        verdicts[row.verdict] = verdicts.get(row.verdict, 0) + 1
    notebooks = len({(row.student, row.notebook) for row in rows})
    summary = ", ".join(f"{n} {verdict}" for verdict, n in sorted(verdicts.items()))
    print(
        f"graded {notebooks} notebooks: {summary or 'no checks found'}; {count} rows in {args.csv}"
    )
    return EXIT_OK


def _runCommand(args: argparse.Namespace, log: LogHandler) -> int:
    from .pipelinefile import PipelineFileError, loadPipelineFile
    from .run import execute, importsNextTo, say

    path = Path(args.pipeline)
    with importsNextTo(path):
        try:
            plan = loadPipelineFile(path, construct=not args.dry_run)
        except PipelineFileError as error:
            say(str(error))
            return EXIT_INVALID
        if args.dry_run:
            return _printPlan(plan)
        return execute(plan, log, quiet=args.quiet, verbose=args.verbose)


def _demoCommand(args: argparse.Namespace, log: LogHandler) -> int:
    import shutil  # the demo's imports, not at the top: `run` starts without them
    import tempfile

    from .pipelinefile import PipelineFileError, loadPipeline
    from .run import execute, say

    if args.show:
        print(DEMO_PIPELINE, end="")
        return EXIT_OK
    document = tomllib.loads(DEMO_PIPELINE)
    for option in ("count", "seed"):
        if getattr(args, option) is not None:
            document["source"][option] = getattr(args, option)
    folder = Path(tempfile.mkdtemp(prefix="pipeline-lib-demo-"))
    try:
        try:
            plan = loadPipeline(document, path="<demo>", baseFolder=folder)
        except PipelineFileError as error:
            say(str(error))
            return EXIT_INVALID
        if args.dry_run:
            return _printPlan(plan)
        status = execute(plan, log, quiet=args.quiet, verbose=args.verbose)
        if status == EXIT_OK:
            _describeDemoOutput(folder / document["sink"]["database"], keep=args.keep)
        return status
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def _printPlan(plan: PipelinePlan) -> int:
    print(plan.describe())
    print("The file is valid. Nothing was run (--dry-run).")
    return EXIT_OK


def _describeDemoOutput(database: Path, *, keep: bool) -> None:
    import sqlite3

    with sqlite3.connect(database) as conn:
        (rows,) = conn.execute('SELECT COUNT(*) FROM "readings"').fetchone()
    conn.close()  # `with` on a connection only commits; closing is ours
    where = f"{database}" if keep else "a temporary file (removed; --keep keeps it)"
    print(f"Wrote {rows:,} rows to table 'readings' in {where}.")

"""The command line, ``pipeline-lib`` (or ``python -m pipeline_lib``): pipelines from TOML files.

The ``pipeline-lib`` command enters through ``pipeline_lib_launcher`` (outside the
package), which installs the signal handlers before anything here is imported.

- :mod:`.main`: argument parsing, the ``run`` and ``demo`` commands;
- :mod:`.run`: running a checked plan (context, output guard, log, exit status);
- :mod:`.signals`: Ctrl-C and SIGTERM, installed before anything heavy is imported;
- :mod:`.pipelinefile`: reading and checking a pipeline file, every problem at once;
- :mod:`.components`: the built-in types and ``module:Class``, checked against signatures
  (classes of your own judged in :mod:`.usertypes`, problems collected in :mod:`.problems`,
  arguments checked without constructing anything in :mod:`.arguments`);
- :mod:`.progress`: the progress bar on a terminal.
"""

from __future__ import annotations

from .main import DEMO_PIPELINE, buildParser, main
from .signals import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK

__all__ = [
    "DEMO_PIPELINE",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "buildParser",
    "main",
]

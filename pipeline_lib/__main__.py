"""``python -m pipeline_lib``: the command line (see :mod:`pipeline_lib.cli`)."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main(prog="python -m pipeline_lib"))

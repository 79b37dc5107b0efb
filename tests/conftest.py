"""Shared fixtures. Plots render off-screen in the test process only (not in kernels)."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # this process only; never exported to kernels

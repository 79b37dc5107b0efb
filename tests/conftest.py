"""Shared fixtures. Plots render off-screen in the test process only.

The backend is chosen with ``matplotlib.use`` rather than the ``MPLBACKEND`` variable,
which would leak into the Jupyter kernels that notebook and browser tests start.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

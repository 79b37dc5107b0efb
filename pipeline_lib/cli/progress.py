"""A textual progress bar for long runs, drawn by a pass-through stage.

:class:`ProgressBar` is a stage: put it right after the source and it counts the records
read, redrawing one line on a terminal at most ``1 / interval`` times a second. Nothing
is drawn for the first ``delay`` seconds, so a short run stays silent; when the stream
ends, however it ends, the line is erased. With a known ``total`` it shows a bar and a
percentage, otherwise a count and a rate.

>>> import io
>>> bar = ProgressBar(io.StringIO(), total=200, clock=lambda: 2.0, width=10)
>>> bar.count = 50
>>> bar.line()
'[##........]  25%  50/200 records read  2s'
>>> out = io.StringIO()
>>> list(ProgressBar(out, delay=0.0, clock=lambda: 0.0).process(iter("ab")))
['a', 'b']
>>> out.getvalue().endswith("\\r")   # the line is blanked out when the stream ends
True

It costs one Python step per record, so the command line adds it only when someone
is watching (standard error is a terminal and ``--quiet`` was not given).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """A stage that passes records through and draws a progress line on ``output``."""

    def __init__(
        self,
        output: TextIO,
        *,
        total: int | None = None,
        delay: float = 0.5,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        width: int = 30,
    ) -> None:
        self.output = output
        self.total = total
        self.delay = delay
        self.interval = interval
        self.clock = clock
        self.width = width
        self.count = 0
        self._shown = 0  # length of the line on screen (0: nothing drawn)
        self._start = 0.0

    def __repr__(self) -> str:
        return f"ProgressBar(total={self.total})"

    def process(self, inputStream: Iterator[Any]) -> Iterator[Any]:
        """Yield every record unchanged, redrawing the line now and then."""
        clock, interval = self.clock, self.interval
        self._start = clock()
        nextDraw = self._start + self.delay
        count = 0
        try:
            for record in inputStream:
                count += 1
                if clock() >= nextDraw:
                    self.count = count
                    self.draw()
                    nextDraw = clock() + interval
                yield record
        finally:
            self.count = count
            self.clear()

    def line(self) -> str:
        """The text of the progress line for the current count."""
        elapsed = max(self.clock() - self._start, 0.0)
        timing = f"{elapsed:.0f}s"
        if self.total:
            fraction = min(self.count / self.total, 1.0)
            filled = int(fraction * self.width)
            bar = "#" * filled + "." * (self.width - filled)
            return f"[{bar}] {fraction:4.0%}  {self.count:,}/{self.total:,} records read  {timing}"
        rate = f"  {self.count / elapsed:,.0f} records/s" if elapsed > 0 else ""
        return f"{self.count:,} records read  {timing}{rate}"

    def draw(self) -> None:
        """Redraw the line in place: a carriage return, the text, spaces over any leftover."""
        text = self.line()
        self.output.write("\r" + text.ljust(self._shown))
        self.output.flush()
        self._shown = len(text)

    def clear(self) -> None:
        """Blank the line, if one was drawn, so that what follows starts on a clean line.

        Spaces rather than an ANSI "erase line" code: every terminal understands them.
        """
        if self._shown:
            self.output.write("\r" + " " * self._shown + "\r")
            self.output.flush()
            self._shown = 0

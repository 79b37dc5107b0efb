"""Real, countable resources: a bounded pool of SQLite connections and an fd counter.

These make the lecture's leak visible. A pool of ``size`` connections runs dry after
``size`` failed runs that never gave their connection back; the number of open file
descriptors climbs with every connection or file nobody closed.

>>> import tempfile, os
>>> database = os.path.join(tempfile.mkdtemp(), "demo.sqlite")
>>> pool = ConnectionPool(database, size=2)
>>> first = pool.acquire(holder="run 1")
>>> second = pool.acquire(holder="run 2")
>>> pool.inUse, pool.available, pool.served
(2, 0, 2)
>>> pool.acquire(holder="run 3")
Traceback (most recent call last):
...
pipeline_lib.resources.PoolExhausted: ConnectionPool(demo.sqlite) is exhausted:
    all 2 connections are in use, held by: run 1, run 2
>>> pool.release(first)
>>> with pool.connection(holder="run 3") as conn:
...     conn.execute("select 1 + 1").fetchone()
(2,)
>>> pool.release(second); pool.close()
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["ConnectionPool", "PoolExhausted", "openDescriptorsOn", "openFileDescriptors"]


class PoolExhausted(RuntimeError):
    """Raised by :meth:`ConnectionPool.acquire` when every connection is in use."""


class ConnectionPool:
    """A bounded pool of real :mod:`sqlite3` connections to one database file.

    Connections are opened lazily, at most ``size`` of them, and kept open while idle
    (as a production pool does), so each one holds a real file descriptor. ``acquire``
    never blocks: when all are in use it raises :class:`PoolExhausted`, naming who holds
    them, because in a leak demo waiting would only hang the notebook.
    """

    def __init__(self, database: str | os.PathLike[str], size: int = 5) -> None:
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"ConnectionPool.size must be an int, got {size!r}")
        if size < 1:
            raise ValueError(f"ConnectionPool.size must be at least 1, got {size}")
        self.database = Path(database)
        self.size = size
        self._idle: list[sqlite3.Connection] = []
        self._holders: dict[int, tuple[sqlite3.Connection, str]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._served = 0

    def __repr__(self) -> str:
        return f"ConnectionPool({self.database.name}, size={self.size}, inUse={self.inUse})"

    @property
    def inUse(self) -> int:
        """How many connections are acquired and not yet released."""
        return len(self._holders)

    @property
    def idle(self) -> int:
        """How many opened connections wait, unused, for the next ``acquire``."""
        return len(self._idle)

    @property
    def available(self) -> int:
        """How many more connections ``acquire`` can hand out right now."""
        return self.size - self.inUse

    @property
    def served(self) -> int:
        """How many times ``acquire`` has handed out a connection, since the pool was made."""
        return self._served

    @property
    def holders(self) -> list[str]:
        """Who holds the connections in use, in the order they acquired them."""
        return [holder for _, holder in self._holders.values()]

    def acquire(self, holder: str | None = None) -> sqlite3.Connection:
        """Hand out a free connection, or raise :class:`PoolExhausted` if none is free.

        ``holder`` is a label for error messages and leak reports (who has it).
        """
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self!r} is closed")
            if not self._idle and self.inUse >= self.size:
                raise PoolExhausted(
                    f"ConnectionPool({self.database.name}) is exhausted: all {self.size} "
                    f"connections are in use, held by: {', '.join(self.holders)}"
                )
            conn = self._idle.pop() if self._idle else self._connect()
            self._served += 1
            self._holders[id(conn)] = (conn, holder or f"holder #{self._served}")
            return conn

    def release(self, conn: sqlite3.Connection) -> None:
        """Give a connection back. Any transaction it left open is rolled back."""
        with self._lock:
            if self._holders.pop(id(conn), None) is None:
                raise ValueError(f"{self!r}: release() of a connection it did not hand out")
            if conn.in_transaction:
                conn.rollback()
            if self._closed:
                conn.close()
            else:
                self._idle.append(conn)

    @contextmanager
    def connection(self, holder: str | None = None) -> Iterator[sqlite3.Connection]:
        """``with pool.connection() as conn:`` acquires, and releases whatever happens."""
        conn = self.acquire(holder)
        try:
            yield conn
        finally:
            self.release(conn)

    def close(self) -> None:
        """Close the idle connections now, and the others as they are released."""
        with self._lock:
            self._closed = True
            while self._idle:
                self._idle.pop().close()

    def __enter__(self) -> ConnectionPool:
        return self

    def __exit__(self, *excInfo: object) -> None:
        self.close()

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread=False: the pool, not sqlite3, decides who uses a connection.
        return sqlite3.connect(self.database, check_same_thread=False)


def openFileDescriptors() -> int:
    """How many file descriptors this process has open (handles, on Windows).

    Linux lists ``/proc/self/fd``, macOS and the BSDs ``/dev/fd``; Windows asks the
    kernel for the process's handle count. Use it as a before/after difference: the
    absolute number includes whatever the interpreter and Jupyter hold.

    >>> before = openFileDescriptors()
    >>> f = open(__file__)
    >>> openFileDescriptors() - before
    1
    >>> f.close()
    >>> openFileDescriptors() - before
    0
    """
    if sys.platform == "win32":  # pragma: no cover - exercised on students' machines
        return _windowsHandleCount()
    for folder in ("/proc/self/fd", "/dev/fd"):
        if os.path.isdir(folder):
            # Listing the folder opens one descriptor for the listing itself.
            return len(os.listdir(folder)) - 1
    raise OSError("openFileDescriptors: this platform has neither /proc/self/fd nor /dev/fd")


def openDescriptorsOn(path: str | os.PathLike[str]) -> int | None:
    """How many of this process's descriptors are open on ``path`` or on files below it.

    Unlike :func:`openFileDescriptors`, this ignores whatever else the process (a Jupyter
    kernel, say) opens and closes meanwhile, so a leak demo counts only its own files.
    Linux reads the ``/proc/self/fd`` links, macOS asks ``fcntl(F_GETPATH)``; Windows has
    no per-handle paths without extra packages, so there it returns ``None`` (unknown):
    fall back to :func:`openFileDescriptors`.

    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> openDescriptorsOn(folder)
    0
    >>> f = open(os.path.join(folder, "data.txt"), "w")
    >>> openDescriptorsOn(folder), openDescriptorsOn(f.name)
    (1, 1)
    >>> f.close()
    >>> openDescriptorsOn(folder)
    0
    """
    if sys.platform == "darwin":  # pragma: no cover - students' Macs
        paths = [_darwinPath(int(fd)) for fd in os.listdir("/dev/fd")]
    elif os.path.isdir("/proc/self/fd"):
        paths = [_linkTarget(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")]
    else:  # pragma: no cover - Windows
        return None
    target = str(Path(path).resolve())
    below = f"{target.rstrip(os.sep)}{os.sep}"
    return sum(1 for name in paths if name == target or name.startswith(below))


def _linkTarget(link: str) -> str:
    try:
        return os.readlink(link)
    except OSError:  # closed between the listing and the lookup
        return ""


def _darwinPath(fd: int) -> str:  # pragma: no cover - macOS only
    import fcntl

    getPath: int = fcntl.F_GETPATH  # type: ignore[attr-defined,unused-ignore]
    try:
        return fcntl.fcntl(fd, getPath, bytes(1024)).split(b"\0", 1)[0].decode()
    except OSError:
        return ""


def _windowsHandleCount() -> int:  # pragma: no cover - Windows only
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
    count = wintypes.DWORD()
    if not kernel32.GetProcessHandleCount(kernel32.GetCurrentProcess(), ctypes.byref(count)):
        raise ctypes.WinError(ctypes.get_last_error())  # type: ignore[attr-defined,unused-ignore]
    return int(count.value)

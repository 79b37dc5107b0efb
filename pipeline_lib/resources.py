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
>>> conn.execute("select 1")        # the lecture's use-after-release, made visible
Traceback (most recent call last):
...
pipeline_lib.resources.ConnectionReleased: this connection was released by 'run 3'; \
acquire a new one from ConnectionPool(demo.sqlite)
>>> pool.release(second); pool.close()

Each ``acquire`` hands out a new :class:`PooledConnection`, a thin stand-in for the
pool's ``sqlite3.Connection`` that refuses every use once it is released, so an old
holder cannot open a transaction on the next holder's connection. ``acquire``,
``release`` and ``with pool.connection()`` are safe against Ctrl-C: an interrupt during
them leaves the connection either handed out (and, under ``with``, released again) or
back in the pool, never lost. A bare ``conn = pool.acquire()`` can still lose one if
Ctrl-C lands on that very line, after ``acquire`` returned: prefer ``with``.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from .interrupts import deferredInterrupts

__all__ = [
    "ConnectionPool",
    "ConnectionReleased",
    "PoolExhausted",
    "PooledConnection",
    "openDescriptorsOn",
    "openFileDescriptors",
]


class PoolExhausted(RuntimeError):
    """Raised by :meth:`ConnectionPool.acquire` when every connection is in use."""


class ConnectionReleased(sqlite3.ProgrammingError):
    """A :class:`PooledConnection` was used after it was given back to its pool."""


class PooledConnection:
    """A connection lent by a :class:`ConnectionPool`: a ``sqlite3.Connection`` until released.

    Attribute access (``execute``, ``commit``, ``in_transaction``...) and ``with conn:``
    (a transaction) pass through to the real connection while the loan lasts; after
    :meth:`ConnectionPool.release`, every use raises :class:`ConnectionReleased`.
    """

    __slots__ = ("_connection", "_pool", "holder")

    def __init__(self, connection: sqlite3.Connection, pool: ConnectionPool, holder: str) -> None:
        self._connection: sqlite3.Connection | None = connection
        self._pool = pool
        self.holder = holder

    @property
    def released(self) -> bool:
        """Whether the loan is over (every use now raises)."""
        return self._connection is None

    def _live(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ConnectionReleased(
                f"this connection was released by {self.holder!r}; "
                f"acquire a new one from ConnectionPool({self._pool.database.name})"
            )
        return self._connection

    def _endLoan(self) -> sqlite3.Connection:
        connection = self._live()
        self._connection = None
        return connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in PooledConnection.__slots__:
            object.__setattr__(self, name, value)
        else:  # row_factory, isolation_level...: they stay with the connection, as in any pool
            setattr(self._live(), name, value)

    def __enter__(self) -> PooledConnection:
        self._live().__enter__()
        return self

    def __exit__(
        self,
        excType: type[BaseException] | None,
        excVal: BaseException | None,
        excTb: TracebackType | None,
    ) -> Literal[False]:
        self._live().__exit__(excType, excVal, excTb)
        return False

    def __repr__(self) -> str:
        state = "released" if self._connection is None else "in use"
        return f"<PooledConnection of {self._pool.database.name} held by {self.holder!r}, {state}>"


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
        self._holders: dict[int, tuple[PooledConnection, str]] = {}
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

    def acquire(self, holder: str | None = None) -> PooledConnection:
        """Hand out a free connection, or raise :class:`PoolExhausted` if none is free.

        ``holder`` is a label for error messages and leak reports (who has it).
        """
        loan = _Loan(self, holder)
        try:
            return loan.__enter__()
        except BaseException:  # Ctrl-C after the loan was made, before it was returned
            loan.__exit__()
            raise

    def _lend(self, holder: str | None) -> PooledConnection:
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
            lent = PooledConnection(conn, self, holder or f"holder #{self._served}")
            self._holders[id(lent)] = (lent, lent.holder)
            return lent

    def release(self, conn: PooledConnection) -> None:
        """Give a connection back: it refuses use from now on; its transaction is rolled back."""
        with deferredInterrupts() as shield:  # the whole of it, even when Ctrl-C comes
            self._takeBack(conn)
        shield.raiseIfInterrupted()

    def _takeBack(self, conn: PooledConnection) -> None:
        with self._lock:
            if self._holders.get(id(conn), (None,))[0] is not conn:
                released = isinstance(conn, PooledConnection) and conn.released
                problem = "already released" if released else "it did not hand out"
                raise ValueError(f"{self!r}: release() of a connection {problem}")
            del self._holders[id(conn)]
            raw = conn._endLoan()
            if raw.in_transaction:
                raw.rollback()
            if self._closed:
                raw.close()
            else:
                self._idle.append(raw)

    def connection(self, holder: str | None = None) -> _Loan:
        """``with pool.connection() as conn:`` acquires, and releases whatever happens."""
        return _Loan(self, holder)

    def close(self, *, force: bool = False) -> None:
        """Close the idle connections now, and the others as they are released.

        With ``force=True`` the connections still lent out are taken back and closed
        too (their holders' ``PooledConnection`` then refuses use): for a scratch pool
        whose borrowers may have leaked, so that no connection outlives it unclosed.
        """
        with self._lock:
            self._closed = True
            while self._idle:
                self._idle.pop().close()
            lent = [conn for conn, _ in self._holders.values()] if force else []
        for conn in lent:
            self.release(conn)  # the pool is closed: release closes it

    def __enter__(self) -> ConnectionPool:
        return self

    def __exit__(self, *excInfo: object) -> None:
        self.close()

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread=False: the pool, not sqlite3, decides who uses a connection.
        return sqlite3.connect(self.database, check_same_thread=False)


class _Loan:
    """``pool.connection()``: acquire on entry, release on exit, even under Ctrl-C.

    A class rather than ``@contextmanager``: a generator's ``__enter__`` can be
    interrupted after the acquire and before ``with`` has taken charge of the exit.
    """

    def __init__(self, pool: ConnectionPool, holder: str | None) -> None:
        self.pool = pool
        self.holder = holder
        self.conn: PooledConnection | None = None

    def __enter__(self) -> PooledConnection:
        # Wherever Ctrl-C lands, the loan is either made and returned, or undone.
        try:
            with deferredInterrupts() as shield:  # making the loan and noting it, not half
                self.conn = self.pool._lend(self.holder)
            shield.raiseIfInterrupted()
            return self.conn
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *excInfo: object) -> None:
        if self.conn is not None:
            conn, self.conn = self.conn, None
            self.pool.release(conn)


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

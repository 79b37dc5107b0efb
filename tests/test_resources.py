"""ConnectionPool and openFileDescriptors: real connections, real descriptors."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pipeline_lib import ConnectionPool, PoolExhausted, openDescriptorsOn, openFileDescriptors
from pipeline_lib.resources import ConnectionReleased, PooledConnection


def test_the_pool_hands_out_at_most_size_connections_and_names_their_holders(
    tmp_path: Path,
) -> None:
    pool = ConnectionPool(tmp_path / "db.sqlite", size=2)
    a = pool.acquire("run 1")
    a_raw = a._connection
    b = pool.acquire("run 2")
    with pytest.raises(PoolExhausted) as info:
        pool.acquire("run 3")
    message = str(info.value)
    assert "db.sqlite" in message and "all 2 connections" in message
    assert "run 1, run 2" in message
    pool.release(a)
    c = pool.acquire("run 3")
    assert c._connection is a_raw  # idle connections are reused, not reopened
    pool.release(c)
    pool.release(b)
    assert (pool.inUse, pool.available, pool.idle) == (0, 2, 2)
    pool.close()
    assert pool.idle == 0


def test_each_pooled_connection_is_a_real_open_file(tmp_path: Path) -> None:
    before = openFileDescriptors()
    pool = ConnectionPool(tmp_path / "db.sqlite", size=3)
    held = [pool.acquire() for _ in range(3)]
    assert openFileDescriptors() - before >= 3
    for conn in held:
        pool.release(conn)
    pool.close()
    assert openFileDescriptors() == before


def test_idle_connections_keep_their_descriptor_open_until_reused_or_closed(
    tmp_path: Path,
) -> None:
    database = tmp_path / "db.sqlite"
    pool = ConnectionPool(database, size=3)
    assert (pool.idle, openDescriptorsOn(database)) == (0, 0)
    with pool.connection():
        assert (pool.idle, openDescriptorsOn(database)) == (0, 1)
    assert (pool.idle, openDescriptorsOn(database)) == (1, 1)  # released, still open
    held = pool.acquire()  # the idle one, reused: no new descriptor
    assert (pool.idle, openDescriptorsOn(database)) == (0, 1)
    pool.release(held)
    pool.close()
    assert openDescriptorsOn(database) == 0


def test_release_rolls_back_an_open_transaction(tmp_path: Path) -> None:
    pool = ConnectionPool(tmp_path / "db.sqlite", size=1)
    with pool.connection() as conn:
        conn.execute("create table t (x)")
        conn.commit()
        conn.execute("insert into t values (1)")
    with pool.connection() as conn:
        assert conn.execute("select count(*) from t").fetchone() == (0,)
    pool.close()


def test_connection_context_manager_releases_on_error(tmp_path: Path) -> None:
    pool = ConnectionPool(tmp_path / "db.sqlite", size=1)
    with pytest.raises(ValueError), pool.connection():
        raise ValueError("boom")
    assert pool.inUse == 0
    pool.close()


def test_releasing_a_foreign_connection_or_using_a_closed_pool_is_an_error(
    tmp_path: Path,
) -> None:
    import sqlite3

    pool = ConnectionPool(tmp_path / "db.sqlite", size=1)
    foreign = sqlite3.connect(":memory:")
    with pytest.raises(ValueError, match="did not hand out"):
        pool.release(foreign)
    foreign.close()
    pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        pool.acquire()


def test_a_connection_released_after_close_is_closed_too(tmp_path: Path) -> None:
    before = openFileDescriptors()
    pool = ConnectionPool(tmp_path / "db.sqlite", size=1)
    conn = pool.acquire()
    pool.close()
    pool.release(conn)
    assert openFileDescriptors() == before


@pytest.mark.parametrize(
    ("size", "error"), [(0, ValueError), (-1, ValueError), (True, TypeError), (2.5, TypeError)]
)
def test_a_bad_size_is_rejected(tmp_path: Path, size: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"ConnectionPool\.size"):
        ConnectionPool(tmp_path / "db.sqlite", size=size)  # type: ignore[arg-type]


def test_open_file_descriptors_counts_files_opened_and_closed(tmp_path: Path) -> None:
    before = openFileDescriptors()
    files = [(tmp_path / f"{i}.txt").open("w") for i in range(4)]
    assert openFileDescriptors() - before == 4
    for f in files:
        f.close()
    assert openFileDescriptors() == before


def test_open_descriptors_on_a_folder_counts_only_its_own_files_and_pool_connections(
    tmp_path: Path,
) -> None:
    mine, elsewhere = tmp_path / "mine", tmp_path / "mine-not"  # a shared prefix is not "below"
    mine.mkdir()
    elsewhere.mkdir()
    assert openDescriptorsOn(mine) == 0
    other = (elsewhere / "x.txt").open("w")
    pool = ConnectionPool(mine / "db.sqlite", size=2)
    with pool.connection() as conn:
        conn.execute("create table t (x)")
        assert openDescriptorsOn(mine) == 1
        assert openDescriptorsOn(mine / "db.sqlite") == 1
    assert openDescriptorsOn(mine) == 1  # the pool keeps its idle connection open
    pool.close()
    other.close()
    assert openDescriptorsOn(mine) == 0 and openDescriptorsOn(elsewhere) == 0


def test_open_descriptors_on_a_path_that_does_not_exist_is_zero(tmp_path: Path) -> None:
    assert openDescriptorsOn(tmp_path / "absent") == 0


# -- a released connection refuses use: the lecture's use-after-release, made visible --------


def test_a_released_connection_refuses_every_use(tmp_path: Path) -> None:
    pool = ConnectionPool(tmp_path / "db.sqlite", size=1)
    old = pool.acquire("run 1")
    old.execute("create table t (x)")
    pool.release(old)
    new = pool.acquire("run 2")  # the same sqlite3 connection underneath
    for use in (
        lambda: old.execute("insert into t values (1)"),
        lambda: old.commit(),
        lambda: old.in_transaction,
        lambda: old.__enter__(),
    ):
        with pytest.raises(ConnectionReleased, match="released by 'run 1'; acquire a new one"):
            use()
    assert not new.in_transaction  # the old holder opened nothing on the new one
    with pytest.raises(ValueError, match="already released"):
        pool.release(old)
    with new:  # a transaction, as with sqlite3.Connection
        new.execute("insert into t values (2)")
    assert new.execute("select x from t").fetchall() == [(2,)]
    assert "held by 'run 2', in use" in repr(new)
    pool.release(new)
    assert "released" in repr(new)
    pool.close()


# -- Ctrl-C at any instant of acquire/release: the connection is never lost ----------------


class InterruptedPool(ConnectionPool):
    """A pool hit by a real Ctrl-C in the middle of lending or taking back a connection."""

    def _lend(self, holder: str | None) -> PooledConnection:
        lent = super()._lend(holder)  # registered as in use...
        os.kill(os.getpid(), signal.SIGINT)  # ...and Ctrl-C before it is handed over
        return lent

    def _takeBack(self, conn: PooledConnection) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C as the release begins
        super()._takeBack(conn)


def test_a_ctrl_c_while_lending_undoes_the_loan(tmp_path: Path) -> None:
    pool = InterruptedPool(tmp_path / "db.sqlite", size=1)
    with pytest.raises(KeyboardInterrupt):
        pool.acquire("run 1")
    assert pool.inUse == 0
    entered = False
    with pytest.raises(KeyboardInterrupt), pool.connection("run 2"):
        entered = True
    assert not entered and pool.inUse == 0
    pool.close()


def test_a_ctrl_c_while_releasing_lets_the_release_finish_first(tmp_path: Path) -> None:
    pool = InterruptedPool(tmp_path / "db.sqlite", size=1)
    conn = ConnectionPool._lend(pool, "run 1")  # lent without the interrupt
    with pytest.raises(KeyboardInterrupt):
        pool.release(conn)
    assert pool.inUse == 0 and conn.released
    pool.close()


def test_a_lent_connection_takes_sqlite_settings_and_refuses_them_after_release(
    tmp_path: Path,
) -> None:
    pool = ConnectionPool(tmp_path / "db.sqlite", size=1)
    conn = pool.acquire("run 1")
    conn.row_factory = sqlite3.Row  # as on a sqlite3.Connection
    row = conn.execute("select 1 as one").fetchone()
    assert row["one"] == 1
    pool.release(conn)
    with pytest.raises(ConnectionReleased):
        conn.row_factory = None
    pool.close()


def test_a_forced_close_closes_the_connections_still_lent(tmp_path: Path) -> None:
    pool = ConnectionPool(tmp_path / "db.sqlite", size=2)
    leaked = pool.acquire("forgot to release")
    pool.close(force=True)
    assert pool.inUse == 0 and leaked.released
    with pytest.raises(ConnectionReleased):
        leaked.execute("select 1")


def test_a_check_given_a_connection_that_is_never_released_leaks_nothing() -> None:
    """Issue 12.16: on 3.13 the leaked connection surfaced as 'unclosed database' later."""
    import gc
    import sqlite3
    import warnings

    from pipeline_lib.exercises import checkConnectionLoan

    class Forgetful:
        def __init__(self, pool: ConnectionPool) -> None:
            self.pool = pool

        def __enter__(self) -> Any:
            self.conn = self.pool.acquire()
            return self.conn

        def __exit__(self, *exc: object) -> bool:
            return False

    made: list[sqlite3.Connection] = []
    realConnect = sqlite3.connect

    def tracked(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        made.append(realConnect(*args, **kwargs))
        return made[-1]

    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        sqlite3.connect = tracked  # type: ignore[assignment]
        try:
            assert not checkConnectionLoan(Forgetful).passed
        finally:
            sqlite3.connect = realConnect  # type: ignore[assignment]
        gc.collect()
    for conn in made:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            conn.execute("select 1")  # every connection the check opened is closed

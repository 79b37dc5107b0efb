"""ConnectionPool and openFileDescriptors: real connections, real descriptors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline_lib import ConnectionPool, PoolExhausted, openDescriptorsOn, openFileDescriptors


def test_the_pool_hands_out_at_most_size_connections_and_names_their_holders(
    tmp_path: Path,
) -> None:
    pool = ConnectionPool(tmp_path / "db.sqlite", size=2)
    a = pool.acquire("run 1")
    b = pool.acquire("run 2")
    with pytest.raises(PoolExhausted) as info:
        pool.acquire("run 3")
    message = str(info.value)
    assert "db.sqlite" in message and "all 2 connections" in message
    assert "run 1, run 2" in message
    pool.release(a)
    assert pool.acquire("run 3") is a  # idle connections are reused, not reopened
    pool.release(a)
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

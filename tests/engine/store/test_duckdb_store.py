"""The store is a DuckDB file, never a throwaway in-memory database; a stopped load or refresh is marked as such."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.errors import StoreError
from engine.publish import suppressed_tables
from engine.store import Store, in_progress, open_store
from tests.conftest import BASE_CONFIG, Workspace


def _workspace(tmp_path: Path, store: str) -> Workspace:
    return Workspace(tmp_path, BASE_CONFIG.replace('path = "store.duckdb"', f'path = "{store}"'))


@pytest.mark.parametrize(
    ("store", "before", "message"),
    [
        ("results.csv", b"a,b\n1,2\n", "names a .csv file, but the store is a DuckDB database"),
        ("new.csv", None, "names a .csv file"),
        ("book.xlsx", None, "names a .xlsx file"),
        ("other.duckdb", b"not a database\n" * 20, "not an icsbench store"),
        ("folder", "dir", "is a folder"),
    ],
)
def test_a_store_path_that_is_not_a_duckdb_file_is_refused(
    tmp_path: Path, store: str, before: bytes | str | None, message: str
) -> None:
    workspace = _workspace(tmp_path, store)
    if before == "dir":
        (tmp_path / store).mkdir()
    elif isinstance(before, bytes):
        (tmp_path / store).write_bytes(before)
    with pytest.raises(StoreError, match=message):
        open_store(workspace.config)
    if isinstance(before, bytes):
        assert (tmp_path / store).read_bytes() == before, "the file named was left as it was"
    elif before is None:
        assert not (tmp_path / store).exists()


def test_a_store_is_opened_as_the_file_it_names(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, "data/ics.duckdb")
    store = open_store(workspace.config)
    try:
        path = store.scalar("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
        assert Path(path) == tmp_path / "data" / "ics.duckdb"
    finally:
        store.close()
    store = open_store(workspace.config)  # and opened again, as itself
    store.close()


def test_a_load_or_refresh_left_running_by_a_stopped_process_is_marked_interrupted(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, "store.duckdb")
    now = dt.datetime(2026, 1, 1)
    store = open_store(workspace.config)
    try:
        store.con.execute(
            "INSERT INTO refresh_log (refresh_id, started_at, status) VALUES (7, $t, 'running')", {"t": now}
        )
        store.con.execute(
            "INSERT INTO loads (load_id, file_name, file_path, started_at, status) VALUES "
            "(3, 'a.csv', '/a.csv', $t, 'running'), (4, 'b.csv', '/b.csv', $t, 'running')",
            {"t": now},
        )
    finally:
        store.close()
    with in_progress("loads", 4):  # this process's own load, still under way: not another's
        store = open_store(workspace.config)
        try:
            assert store.interrupted == 2
            rows = store.con.execute(
                "SELECT status, message FROM refresh_log UNION ALL SELECT status, message FROM loads ORDER BY 1"
            ).fetchall()
        finally:
            store.close()
    assert [r[0] for r in rows] == ["interrupted", "interrupted", "running"]
    assert any("the published files are still those of the last successful refresh" in r[1] for r in rows)
    assert any("nothing from it is in the store; load it again" in (r[1] or "") for r in rows)


def _memory_limit(store: Store) -> str:
    return str(store.scalar("SELECT current_setting('memory_limit')"))


def test_memory_share_lowers_duckdbs_limit_inside_the_block_and_gives_it_back(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, "store.duckdb")
    store = open_store(workspace.config)
    try:
        whole = _memory_limit(store)
        with store.transaction(), store.memory_share(0.5):
            assert _memory_limit(store) == "953.6 MiB"  # half of the default 2GB (DuckDB shows it in MiB)
        assert _memory_limit(store) == whole == "1.8 GiB"
        with pytest.raises(RuntimeError, match="stopped"), store.transaction(), store.memory_share(0.25):
            raise RuntimeError("stopped")
        assert _memory_limit(store) == whole, "given back when the block fails too"
    finally:
        store.close()


def test_publishing_runs_with_half_of_duckdbs_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Python holds publishing's arrays on top of what DuckDB caches: DuckDB gets half its limit meanwhile."""
    workspace = _workspace(tmp_path, "store.duckdb")
    store = open_store(workspace.config)
    seen: list[str] = []
    monkeypatch.setattr(suppressed_tables, "_publish", lambda s: seen.append(_memory_limit(s)))
    try:
        with store.transaction():
            store.con.execute("CREATE SCHEMA IF NOT EXISTS published")  # made by the first refresh
            suppressed_tables.publish_tables(store)
        assert seen == ["953.6 MiB"]
        assert _memory_limit(store) == "1.8 GiB"
    finally:
        store.close()

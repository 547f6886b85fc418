"""Open (or create) the DuckDB store: schema, reference data, providers and the per-connection parse macros.

The store is one DuckDB file and only ever that: a path that names another kind of file (a CSV, a workbook) is
refused rather than opened as a throwaway in-memory database. Opening it for writing holds DuckDB's lock, so no
other process can be loading or refreshing at the same time: a load or refresh the log still calls `running` was
stopped (the program closed, the computer restarted), and is marked `interrupted` then.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from engine import sql_files
from engine.config import MEMORY_LIMIT, IcsConfig
from engine.errors import StoreError
from engine.store import reference_tables

SCHEMA_VERSION = "1"
# Commits append to the write-ahead log; DuckDB folds the log into the file (a checkpoint) past this size. A load of
# many files checkpoints once at the end instead of after every few files (see Store.checkpoint).
CHECKPOINT_THRESHOLD = "1GB"
DUCKDB_MAGIC = b"DUCK"  # bytes 8 to 11 of every DuckDB database file
_OTHER_FORMATS = frozenset(
    {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".parquet", ".json", ".toml", ".zip", ".sqlite", ".mdb"}
)
# Loads and refreshes this process is running now (table, id): a `running` row of another process is interrupted.
_IN_PROGRESS: set[tuple[str, int]] = set()


@dataclass
class Store:
    """An open store: the connection and the config it was opened with."""

    path: Path
    con: duckdb.DuckDBPyConnection
    config: IcsConfig
    interrupted: int = 0  # loads and refreshes found `running` from a process that stopped, marked when opened

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: on any error the store is left exactly as it was."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    @contextmanager
    def memory_share(self, share: float) -> Iterator[None]:
        """DuckDB limited to `share` of the store's memory_limit inside the block, then given it all back.

        Lowering the limit makes DuckDB write what it caches (a refresh's uncommitted result tables) to its temporary
        directory and free that memory, so the arrays Python builds inside the block do not sit on top of a full
        buffer pool. A store is a file, so DuckDB has a temporary directory to write to; should it still fail (the
        disk full), the error stands, as DuckDB's would in a query (a failed SET ends the transaction)."""
        number, unit = re.fullmatch(MEMORY_LIMIT, self.config.store.memory_limit).groups()  # type: ignore[union-attr]
        self.con.execute(f"SET memory_limit = '{float(number) * share:.3f}{unit}'")
        try:
            yield
        except BaseException:
            with suppress(duckdb.Error):  # a failed transaction refuses it until rolled back: raise the first error
                self.con.execute(f"SET memory_limit = '{self.config.store.memory_limit}'")
            raise
        self.con.execute(f"SET memory_limit = '{self.config.store.memory_limit}'")

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the store file, so the next open starts fast."""
        self.con.execute("CHECKPOINT")

    def run_file(self, relative: str, params: Mapping[str, object] | None = None) -> None:
        """Run every statement of a SQL file; parameters go to the statements that use them."""
        for statement in sql_files.statements(sql_files.read(relative)):
            used = {k: v for k, v in (params or {}).items() if f"${k}" in statement}
            self.con.execute(statement, used)

    def scalar(self, sql: str, params: Mapping[str, object] | None = None) -> Any:
        """The first value of the first row, or None."""
        rows = self.con.execute(sql, dict(params or {})).fetchall()
        return rows[0][0] if rows else None

    def count(self, sql: str, params: Mapping[str, object] | None = None) -> int:
        """A single whole number from a query, 0 when it returns nothing."""
        return int(self.scalar(sql, params) or 0)


@contextmanager
def in_progress(table: str, row_id: int) -> Iterator[None]:
    """Mark a load (`loads`) or refresh (`refresh_log`) as this process's own while it runs."""
    _IN_PROGRESS.add((table, row_id))
    try:
        yield
    finally:
        _IN_PROGRESS.discard((table, row_id))


def check_store_path(path: Path) -> None:
    """Refuse a store path that is not, or cannot become, a DuckDB file: a sentence instead of a silent
    in-memory database that saves nothing."""
    where = "the store path in the config ([store] path)"
    if path.is_dir():
        raise StoreError(f"{path}: {where} is a folder; name a file in it, such as {path / 'icsbench.duckdb'}")
    if path.suffix.lower() in _OTHER_FORMATS:
        raise StoreError(
            f"{path}: {where} names a {path.suffix} file, but the store is a DuckDB database; "
            "use a name ending in .duckdb, such as icsbench.duckdb"
        )
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as handle:
            header = handle.read(12)
        if header[8:12] != DUCKDB_MAGIC:
            raise StoreError(
                f"{path}: {where} names a file that is not an icsbench store (not a DuckDB database). "
                "Point [store] path at the store, or at a new file name to start one."
            )


def open_store(config: IcsConfig, *, read_only: bool = False) -> Store:
    """Open the store the config names, creating it (and its folder) on first use."""
    path = config.store_path
    check_store_path(path)
    if read_only and not path.exists():
        raise StoreError(f"{path}: no store yet. Load extracts first with `icsbench load`.")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreError(
                f"{path}: the store is in use by another icsbench process (a load, or a refresh perhaps started from "
                "Excel's ribbon). Try again when it has finished."
            ) from exc
        raise StoreError(f"{path}: cannot open the store ({exc})") from exc
    except duckdb.ConnectionException as exc:
        # This process already has the store open for writing (a refresh run from Excel's own Python).
        raise StoreError(
            f"{path}: the store is being written by this program (a load or refresh); try again when it has finished."
        ) from exc
    except duckdb.Error as exc:
        raise StoreError(f"{path}: cannot open the store ({exc})") from exc
    con.execute(f"SET memory_limit = '{config.store.memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET python_enable_replacements = false")
    con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    if config.store.threads:
        con.execute(f"SET threads = {int(config.store.threads)}")
    _check_file_database(con, path)
    store = Store(path=path, con=con, config=config)
    if not read_only:
        _initialise(store)
        store.interrupted = _mark_interrupted(store)
    con.execute(sql_files.read("ingest/parse_macros.sql"))
    return store


def _check_file_database(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """DuckDB opens some paths (an existing .csv) as an in-memory database with the file attached: never a store."""
    [(stored,)] = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    if stored is None or Path(stored).resolve() != path.resolve():
        con.close()
        raise StoreError(
            f"{path}: DuckDB did not open this path as a database file, so nothing would be saved; "
            "point [store] path at a file ending in .duckdb"
        )


def _mark_interrupted(store: Store) -> int:
    """Mark loads and refreshes left `running` by a process that stopped; returns how many there were."""
    own_loads = [i for table, i in _IN_PROGRESS if table == "loads"] or [-1]
    own_refreshes = [i for table, i in _IN_PROGRESS if table == "refresh_log"] or [-1]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    params = {"now": now, "own_loads": own_loads, "own_refreshes": own_refreshes}
    marked = 0
    for statement in sql_files.statements(sql_files.read("store/mark_interrupted.sql")):
        used = {k: v for k, v in params.items() if f"${k}" in statement}
        marked += int(store.con.execute(statement, used).fetchall()[0][0])
    return marked


def _initialise(store: Store) -> None:
    con = store.con
    con.execute(sql_files.read("store/schema.sql"))
    version = store.scalar("SELECT value FROM meta WHERE key = 'schema_version'")
    if version is None:
        con.execute("INSERT INTO meta VALUES ('schema_version', $v)", {"v": SCHEMA_VERSION})
    elif version != SCHEMA_VERSION:
        raise StoreError(
            f"{store.path}: store schema version {version}, this icsbench expects {SCHEMA_VERSION}; "
            "load the extracts into a new store"
        )
    _sync_providers(store)
    reference_tables.sync(store)
    if not _has_table(con, "data_quality"):
        store.run_file("ingest/data_quality.sql")


def _sync_providers(store: Store) -> None:
    providers = pa.table(
        {
            "org_code": [p.code for p in store.config.providers],
            "name": [p.name for p in store.config.providers],
            "type": [p.type for p in store.config.providers],
        }
    )
    with store.transaction() as con:
        con.execute("DELETE FROM providers")
        con.register("config_providers", providers)
        con.execute("INSERT INTO providers SELECT org_code, name, type FROM config_providers")
        con.unregister("config_providers")


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = $n", {"n": name}).fetchall()
    return bool(rows[0][0])

"""Open (or create) the DuckDB store: schema, reference data, providers and the per-connection parse macros."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from engine import sql_files
from engine.config import IcsConfig
from engine.errors import StoreError
from engine.store import reference_tables

SCHEMA_VERSION = "1"
# Commits append to the write-ahead log; DuckDB folds the log into the file (a checkpoint) past this size. A load of
# many files checkpoints once at the end instead of after every few files (see Store.checkpoint).
CHECKPOINT_THRESHOLD = "1GB"


@dataclass
class Store:
    """An open store: the connection and the config it was opened with."""

    path: Path
    con: duckdb.DuckDBPyConnection
    config: IcsConfig

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


def open_store(config: IcsConfig, *, read_only: bool = False) -> Store:
    """Open the store the config names, creating it (and its folder) on first use."""
    path = config.store_path
    if read_only and not path.exists():
        raise StoreError(f"{path}: no store yet. Load extracts first with `icsbench load`.")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreError(
                f"{path}: the store is in use by another icsbench process (a load, a refresh or Excel). "
                "Try again when it has finished."
            ) from exc
        raise StoreError(f"{path}: cannot open the store ({exc})") from exc
    except duckdb.ConnectionException as exc:
        # This process already has the store open for writing (a refresh run from Excel's own Python).
        raise StoreError(
            f"{path}: the store is being written by this program (a load or refresh); try again when it has finished."
        ) from exc
    con.execute(f"SET memory_limit = '{config.store.memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET python_enable_replacements = false")
    con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    if config.store.threads:
        con.execute(f"SET threads = {int(config.store.threads)}")
    store = Store(path=path, con=con, config=config)
    if not read_only:
        _initialise(store)
    con.execute(sql_files.read("ingest/parse_macros.sql"))
    return store


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

"""Open (or create) the DuckDB store: schema, reference data, providers and the per-connection parse macros."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from engine import reference, sql_files
from engine.config import IcsConfig, resolve
from engine.errors import StoreError

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
    _sync_reference(store)
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


def _sync_reference(store: Store) -> None:
    """Build the reference tables when the store has none, or when the bundled data or their SQL changed since.

    A fingerprint of the files they are made from is kept in `meta`, so a store made by an earlier icsbench (before a
    list or a column was added, or a name corrected) rebuilds them on open; one made by this version keeps them."""
    schedule = _schedule_path(store.config)
    fingerprint = reference.fingerprint(
        (schedule, *reference.BUNDLED_LISTS), extra=sql_files.read("store/reference.sql")
    )
    if store.scalar("SELECT value FROM meta WHERE key = 'reference_data'") == fingerprint:
        return
    with store.transaction() as con:
        _load_reference(con, schedule)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('reference_data', $f)", {"f": fingerprint})


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = $n", {"n": name}).fetchall()
    return bool(rows[0][0])


def _schedule_path(config: IcsConfig) -> Path:
    if config.benchmarks.national_schedule is None:
        return reference.NATIONAL_SCHEDULE
    path = resolve(config.base_dir, config.benchmarks.national_schedule)
    if not path.exists():
        raise StoreError(f"{path}: the national schedule named in [benchmarks] national_schedule does not exist")
    return path


def _load_reference(con: duckdb.DuckDBPyConnection, schedule_path: Path) -> None:
    schedule = reference.national_schedule(schedule_path)
    con.register(
        "schedule_rows",
        pa.table(
            {
                "fin_year": [reference.NATIONAL_SCHEDULE_YEAR] * len(schedule),
                "department": [r.department for r in schedule],
                "currency": [r.currency for r in schedule],
                "description": [r.description for r in schedule],
                "activity": [r.activity for r in schedule],
                "unit_cost": [r.unit_cost for r in schedule],
                "total_cost": [r.total_cost for r in schedule],
            }
        ),
    )
    lsoas = reference.lsoas()
    con.register(
        "lsoa_rows",
        pa.table(
            {
                "lsoa": [r.code for r in lsoas],
                "lsoa_name": [r.name for r in lsoas],
                "district": [r.district for r in lsoas],
                "imd_rank": [r.imd_rank for r in lsoas],
                "imd_decile": [r.imd_decile for r in lsoas],
                "population": [r.population for r in lsoas],
                "population_0_15": [r.population_0_15 for r in lsoas],
                "population_16_59": [r.population_16_59 for r in lsoas],
                "population_60_plus": [r.population_60_plus for r in lsoas],
            }
        ),
    )
    code_lists = _code_list_rows()
    for name, rows in code_lists.items():
        con.register(name, rows)
    con.execute(sql_files.read("store/reference.sql"))
    for name in ("schedule_rows", "lsoa_rows", *code_lists):
        con.unregister(name)


def _code_list_rows() -> dict[str, pa.Table]:
    """The named code lists as Arrow tables, under the names sql/store/reference.sql reads them by."""
    chapters = [(c, "hrg4_chapter") for c in reference.hrg_chapters()]
    groups = reference.currency_groups()
    chapters += [(g, "currency_group") for g in groups if g not in (reference.NO_CURRENCY, reference.OTHER_CURRENCY)]
    chapters += [(reference.NO_CURRENCY, "no_currency"), (reference.OTHER_CURRENCY, "unrecognised")]
    subchapters = reference.hrg_subchapters()
    prefixes = reference.currency_prefixes()
    functions = reference.treatment_functions()
    return {
        "chapter_rows": pa.table(
            {
                "hrg_chapter": [c.code for c, _ in chapters],
                "hrg_chapter_name": [c.name for c, _ in chapters],
                "chapter_kind": [kind for _, kind in chapters],
            }
        ),
        "subchapter_rows": pa.table(
            {
                "hrg_subchapter": [s.code for s in subchapters],
                "hrg_subchapter_name": [s.name for s in subchapters],
                "hrg_chapter": [s.chapter for s in subchapters],
                "name_source": [s.name_source for s in subchapters],
            }
        ),
        "prefix_rows": pa.table(
            {
                "prefix": [p.prefix for p in prefixes],
                "hrg_chapter": [p.group for p in prefixes],
                "covers": [p.covers for p in prefixes],
            }
        ),
        "tfc_rows": pa.table({"tfc": [f.code for f in functions], "tfc_name": [f.name for f in functions]}),
    }

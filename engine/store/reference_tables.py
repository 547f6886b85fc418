"""The store's reference tables: the national schedule, LSOAs and the code lists that name HRGs, currencies and
treatment functions, made from the data bundled with the engine (read by engine.reference) by sql/store/reference.sql.

They are rebuilt whenever what they are made from changes: a fingerprint of the files and of the SQL is kept in the
store's `meta` table and compared on every open for writing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from engine import reference, sql_files
from engine.config import IcsConfig, resolve
from engine.errors import StoreError

if TYPE_CHECKING:
    from pathlib import Path

    from engine.store.duckdb_store import Store


def sync(store: Store) -> None:
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
    kinds = {reference.NO_CURRENCY: "no_currency", reference.OTHER_CURRENCY: "unrecognised"}
    chapters = [(c, "hrg4_chapter") for c in reference.hrg_chapters()]
    chapters += [(g, kinds.get(g, "currency_group")) for g in reference.currency_groups()]
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

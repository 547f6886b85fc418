"""The store's reference tables: LSOAs and the code lists that name HRGs, currencies and treatment functions, made
from the data bundled with the engine (read by engine.reference) by sql/store/reference.sql. (The national schedules
come from the config and are refresh inputs: engine.metrics.national_inputs.)

They are rebuilt whenever what they are made from changes: a fingerprint of the files and of the SQL is kept in the
store's `meta` table and compared on every open for writing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from engine import reference, sql_files

if TYPE_CHECKING:
    from engine.store.duckdb_store import Store


def sync(store: Store) -> None:
    """Build the reference tables when the store has none, or when the bundled data or their SQL changed since.

    A fingerprint of the files they are made from is kept in `meta`, so a store made by an earlier icsbench (before a
    list or a column was added, or a name corrected) rebuilds them on open; one made by this version keeps them."""
    fingerprint = reference.fingerprint(reference.BUNDLED_LISTS, extra=sql_files.read("store/reference.sql"))
    if store.scalar("SELECT value FROM meta WHERE key = 'reference_data'") == fingerprint:
        return
    with store.transaction() as con:
        _load_reference(con)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('reference_data', $f)", {"f": fingerprint})


def _load_reference(con: duckdb.DuckDBPyConnection) -> None:
    tables = _reference_rows()
    for name, rows in tables.items():
        con.register(name, rows)
    try:
        con.execute(sql_files.read("store/reference.sql"))
    finally:
        for name in tables:
            con.unregister(name)


def _reference_rows() -> dict[str, pa.Table]:
    """The reference data as Arrow tables, under the names sql/store/reference.sql reads them by."""
    kinds = {reference.NO_CURRENCY: "no_currency", reference.OTHER_CURRENCY: "unrecognised"}
    chapters = [(c, "hrg4_chapter") for c in reference.hrg_chapters()]
    chapters += [(g, kinds.get(g, "currency_group")) for g in reference.currency_groups()]
    return {
        "lsoa_rows": _arrow(
            reference.lsoas(),
            "district",
            "imd_rank",
            "imd_decile",
            "population",
            "population_0_15",
            "population_16_59",
            "population_60_plus",
            lsoa="code",
            lsoa_name="name",
        ),
        "chapter_rows": _arrow([c for c, _ in chapters], hrg_chapter="code", hrg_chapter_name="name").append_column(
            "chapter_kind", pa.array([kind for _, kind in chapters])
        ),
        "subchapter_rows": _arrow(
            reference.hrg_subchapters(),
            "name_source",
            hrg_subchapter="code",
            hrg_subchapter_name="name",
            hrg_chapter="chapter",
        ),
        "prefix_rows": _arrow(reference.currency_prefixes(), "prefix", "covers", hrg_chapter="group"),
        "tfc_rows": _arrow(reference.treatment_functions(), tfc="code", tfc_name="name"),
    }


def _arrow(rows: Sequence[object], *same: str, **renamed: str) -> pa.Table:
    """An Arrow table with a column per attribute of the rows: `same` keep their names, `renamed` are column=attr."""
    columns = {name: name for name in same} | renamed
    return pa.table({column: [getattr(row, attribute) for row in rows] for column, attribute in columns.items()})

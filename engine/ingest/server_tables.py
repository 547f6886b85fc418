"""Load the trusts' tables from the ICS SQL Server into the store, exactly as files are loaded.

Each table whose `schema.table` name matches a [[server.tables]] pattern (e.g. the seed's one table per trust, setting
and month, `dbo.ICS_Benchmarking_IP_{org}_{year}_NCC_{period}`) is read in Arrow batches and goes through the same
mapping, checks, quarantine, pseudonymisation and period replacement as an extract file. A table has no row numbers,
so it is read in order of its record id column (when mapped) and `row` in the quarantine is the position in that
order, from 1; the quarantine also keeps the record id itself.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa

from engine import sql_files
from engine.config import ServerTableSpec
from engine.ingest.files import loading_rank
from engine.ingest.load_log import LoadResult
from engine.ingest.run import LoadRun
from engine.ingest.sources import ROW, Origin, Source
from engine.progress import Progress, silent
from engine.store import Store
from engine.store.server import layout
from engine.store.server.connection import Server


def matched_tables(
    store: Store, server: Server, only: Sequence[str] = ()
) -> list[tuple[str, ServerTableSpec, dict[str, str]]]:
    """The server's tables a [[server.tables]] pattern matches (and, with `only`, whose name fits one of those
    shell patterns), in loading order: activity before its cost lines, admitted care before critical care."""
    found = []
    for schema, table in server.rows(sql_files.read("server/tables_present.sql"), layout.SCHEMAS):
        name = f"{schema}.{table}"
        if only and not any(fnmatch.fnmatch(name.lower(), p.lower()) for p in only):
            continue
        matched = store.config.server_table_for(name)
        if matched is not None:
            found.append((name, *matched))
    return sorted(found, key=lambda t: loading_rank(t[1], t[0]))


def load_server_tables(
    store: Store,
    server: Server,
    only: Sequence[str] = (),
    progress: Progress = silent,
) -> list[LoadResult]:
    """Load every matched table; a table that cannot be read is logged as failed and the others still load."""
    run = LoadRun(store)
    matched = matched_tables(store, server, only)
    for done, (name, spec, captured) in enumerate(matched):
        progress(f"loading {name}", done, len(matched))
        shown = run.pseudonymiser.mask(name)
        origin = Origin(name=shown, location=f"{server.shown} {shown}", size_bytes=None, file_format="server")
        record_id = store.config.column_mapping(spec).get("record_id", "record_id")
        run.load(origin, functools.partial(_opened, server, name, record_id, spec, captured))
    store.checkpoint()
    return run.results


def _opened(
    server: Server, name: str, record_id_header: str, spec: ServerTableSpec, captured: dict[str, str]
) -> tuple[Source, ServerTableSpec, dict[str, str], None]:
    return open_table(server, name, record_id_header), spec, captured, None


def open_table(server: Server, name: str, record_id_header: str) -> Source:
    """A server table as a Source: its columns, their types (4-byte floats widened) and its rows in batches."""
    schema, table = name.split(".", 1)
    quoted = server.dialect.quote(schema, table)
    columns = [
        str(c)
        for (c,) in server.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [schema, table],
        )
    ]
    order = next((c for c in columns if c.lower() == record_id_header.lower()), None)
    query = f"SELECT * FROM {quoted}" + (f" ORDER BY {server.dialect.quote(order)}" if order else "")
    probe = server.read_arrow(f"SELECT * FROM {quoted} WHERE 1 = 0")
    types = {field.name: _widened(field.type) for field in probe.schema}
    wanted = pa.schema(list(types.items()))

    def batches() -> Iterator[pa.RecordBatch]:
        produced = 0
        for batch in server.read_batches(query, wanted):
            rows = np.arange(produced + 1, produced + 1 + batch.num_rows, dtype=np.int64)
            produced += batch.num_rows
            yield pa.RecordBatch.from_arrays([pa.array(rows, pa.int64()), *batch.columns], names=[ROW, *types])

    return Source(
        path=None, file_format="server", encoding=None, headers=list(types), open_batches=batches, types=types
    )


def _widened(kind: pa.DataType) -> pa.DataType:
    """Some drivers describe an 8-byte float loosely and arrow-odbc then reads 4 bytes: never narrower than double."""
    return pa.float64() if pa.types.is_floating(kind) else kind

"""The fingerprint of everything a refresh computes from, so a refresh with nothing new to compute can say so.

A refresh's results depend on the canonical data (every load, replace and deletion), the config (benchmark and
suppression settings, providers, places, pathways, service lines), the files the config names (national schedules,
market forces factors, trim points, GP list sizes), the bundled reference data and the engine's own code (its SQL and
Python). The fingerprint is a SHA-256 over all of them, cheap to take (the data part is read from the load log and
row counts, never from the rows themselves), kept in the refresh log with each refresh. When the last refresh
succeeded, was published, and has the fingerprint the store has now, recomputing it would give the same bytes.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

from engine import sql_files
from engine.metrics import national_inputs, population_inputs, service_inputs
from engine.store import Store

_VOLATILE_PARAMETERS = ("refresh_id", "refreshed_at")  # new with every refresh, and not an input


def inputs_fingerprint(store: Store, parameters: dict[str, object]) -> str:
    """SHA-256 (hex) of everything the refresh about to run would compute from."""
    digest = hashlib.sha256()
    _add(digest, "code", code_fingerprint())
    _add(digest, "config", store.config.model_dump_json())
    # Where the store and the published folder are: a moved or copied ICS publishes its files afresh where it is.
    _add(digest, "where", f"{store.config.store_path.resolve()}|{store.config.published_folder.resolve()}")
    settings = {k: v for k, v in sorted(parameters.items()) if k not in _VOLATILE_PARAMETERS}
    _add(digest, "settings", repr(settings))
    [row] = store.con.execute(sql_files.read("refresh/data_generation.sql")).fetchall()
    _add(digest, "data", repr(row))
    for name, table in sorted(_file_inputs(store).items()):
        _add(digest, name, _table_bytes(table))
    return digest.hexdigest()


def _file_inputs(store: Store) -> dict[str, pa.Table]:
    """The refresh inputs made from the config and the files it names (the resident districts, read from the data,
    are covered by the data part)."""
    config = store.config
    return (
        national_inputs.input_tables(config)
        | service_inputs.input_tables(config)
        | {
            "list_size_rows": population_inputs.list_size_table(config),
            "condition_rows": population_inputs.condition_table(config),
            "pathway_step_rows": population_inputs.pathway_step_table(config),
            "pathway_code_rows": population_inputs.pathway_code_table(config),
        }
    )


@cache
def code_fingerprint() -> str:
    """SHA-256 of the engine's Python and SQL files and the DuckDB version: a new icsbench recomputes everything."""
    digest = hashlib.sha256()
    _add(digest, "duckdb", duckdb.__version__)
    engine_dir = Path(__file__).resolve().parent.parent
    for root, pattern in ((engine_dir, "*.py"), (sql_files.sql_dir(), "*.sql")):
        for path in sorted(root.rglob(pattern)):
            _add(digest, path.relative_to(root).as_posix(), path.read_bytes())
    return digest.hexdigest()


def _table_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    data: bytes = sink.getvalue().to_pybytes()
    return data


def _add(digest: hashlib._Hash, label: str, value: str | bytes) -> None:
    data = value.encode("utf-8") if isinstance(value, str) else value
    digest.update(f"{label}:{len(data)}:".encode())
    digest.update(data)

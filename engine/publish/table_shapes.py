"""The column types of every table the engine makes, written to `sql/shapes/tables.json` for the ICS SQL Server.

The server's tables must match the engine's exactly, but the server code (engine.store.server) sits below the
metrics and the publisher and must not import them. So the shapes are worked out here, from the engine itself (an
empty store is refreshed in memory and its tables described), and checked in: `python -m engine.publish.table_shapes
--write` writes the file and `--check` (run by scripts/check) exits 1 when it is stale, like the SQL snapshots.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from engine import generated_files, sql_files
from engine.config import IcsConfig, Provider
from engine.metrics import catalog
from engine.metrics.refresh import refresh_run
from engine.publish.column_types import typed_query
from engine.publish.suppressed_tables import publish_tables
from engine.store import open_store
from engine.store.server.layout import CANONICAL_TABLES, REFRESH_INPUTS, SHAPES_FILE

Shapes = dict[str, dict[str, dict[str, str]]]  # group -> table -> column -> DuckDB type


def current_shapes() -> Shapes:
    """Refresh an empty store in memory and describe its tables: store, full results and published results."""
    with tempfile.TemporaryDirectory(prefix="icsbench-shapes-") as folder:
        config = IcsConfig(providers=[Provider(code="ZZZ", name="shape", type="acute")], base_dir=Path(folder))
        with closing(open_store(config)) as store:
            with refresh_run(store) as run:
                run.compute()
                publish_tables(store)

            def describe(relation: str) -> dict[str, str]:
                found = store.con.execute(f"DESCRIBE {relation}").fetchall()
                return {str(name): str(kind) for name, kind, *_ in found}

            tables = {name: describe(name) for name in CANONICAL_TABLES}
            tables.update({name: describe(_relation(name)) for name in REFRESH_INPUTS})
            results = {m.name: describe(m.table) for m in catalog.metrics()}
            published = {m.name: describe(f"({typed_query(store, m.published_table)})") for m in catalog.published()}
    return {"store": tables, "results": results, "published": published}


def _relation(name: str) -> str:
    return f"{catalog.RESULTS_SCHEMA}.{name}" if name == "refresh_parameters" else name


def shapes_text() -> str:
    return json.dumps(current_shapes(), indent=1) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    return generated_files.main(
        "python -m engine.publish.table_shapes",
        f"sql/{SHAPES_FILE}, the column types of the engine's tables for the ICS SQL Server",
        lambda: {sql_files.sql_dir() / SHAPES_FILE: shapes_text()},
        argv,
    )


if __name__ == "__main__":
    raise SystemExit(main())

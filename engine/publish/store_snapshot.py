"""The costing team's copy of what the store holds, for readers that must not open the store while it is written.

After every load and every refresh the job writes a small snapshot beside the store (`<store>-snapshots/`): what
`icsbench status` and `icsbench quality` report (the store summary, the data-quality tables, the load count) and,
from a refresh, the full (unsuppressed) result tables `icsbench export --unsuppressed` writes and what disclosure
control hid in each published table (published.disclosure_summary, which `icsbench quality` prints). Readers query
these files in a DuckDB of their own, so a status, quality report or export never waits for a load or refresh, never
makes one fail with "store in use", and reads one snapshot whole (engine.publish.snapshots). Nothing here is
published: the snapshot sits beside the store, with the same access.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from engine import sql_files
from engine.config import IcsConfig
from engine.errors import IcsBenchError
from engine.metrics import catalog
from engine.publish import snapshots
from engine.publish.column_types import typed_query
from engine.publish.stamps import RefreshStamp
from engine.publish.suppressed_tables import (
    DisclosureSummary,
    disclosure_audits_table,
    disclosure_summary_table,
    disclosure_within_table,
    summary_of,
)
from engine.store import Store

STATE_PREFIX = "state-"
RESULTS_PREFIX = "results-"
DISCLOSURE_FILE = "disclosure_summary.parquet"  # beside a refresh's result tables: what disclosure control hid
WITHIN_FILE = "disclosure_within_rows.parquet"  # and the figures it hid within rows
AUDITS_FILE = "disclosure_audits.parquet"  # and how its audits' linear programs ended
# What the readers query, as the store's tables or report queries give it.
STATE_TABLES = {
    "store_summary": sql_files.read("reports/store_summary.sql"),
    "data_quality": "SELECT * FROM data_quality",
    "data_quality_issues": "SELECT * FROM data_quality_issues",
    "loads_overview": "SELECT count(*) AS loads, max(finished_at) AS last_load FROM loads",
}


def root_of(config: IcsConfig) -> Path:
    """The snapshot folder beside the store: icsbench.duckdb -> icsbench-snapshots."""
    return config.store_path.with_name(f"{config.store_path.stem}-snapshots")


def write(store: Store, refresh: RefreshStamp | None = None) -> None:
    """Write a new snapshot of the store and switch readers to it; with `refresh`, the result tables too (the refresh
    just published), otherwise those of the snapshot before."""
    root = root_of(store.config)
    previous = snapshots.read_pointer(root) or {}
    state = snapshots.free_name(root, f"{STATE_PREFIX}{_next_number(root)}")
    with snapshots.staged(root, state) as staging:
        for name, sql in STATE_TABLES.items():
            store.con.sql(sql.strip().rstrip(";")).to_parquet(str(staging / f"{name}.parquet"))
    snapshots.finish_version(root, staging, state)
    results = previous.get("results")
    refreshed = {k: previous.get(k) for k in ("refresh_id", "refreshed_at", "cost_reconciled")}
    if refresh is not None:
        results = snapshots.free_name(root, f"{RESULTS_PREFIX}{refresh.refresh_id}")
        with snapshots.staged(root, results) as staging:
            for metric in catalog.published():
                store.con.sql(typed_query(store, metric.table)).to_parquet(str(staging / f"{metric.name}.parquet"))
            summary = disclosure_summary_table(store)
            if summary is not None:  # what disclosure control hid in this refresh, for `icsbench quality`
                pq.write_table(summary, staging / DISCLOSURE_FILE)
            for file, table in (
                (WITHIN_FILE, disclosure_within_table(store)),
                (AUDITS_FILE, disclosure_audits_table(store)),
            ):
                if table is not None:
                    pq.write_table(table, staging / file)
        snapshots.finish_version(root, staging, results)
        refreshed = {
            "refresh_id": refresh.refresh_id,
            "refreshed_at": refresh.refreshed_at.isoformat(timespec="seconds"),
            "cost_reconciled": str(refresh.cost_reconciled),
        }
    written_at = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    snapshots.switch(root, {"folder": state, "results": results, "written_at": written_at, **refreshed})
    snapshots.clean(root, prefix=STATE_PREFIX, keep=1)
    snapshots.clean(root, prefix=RESULTS_PREFIX, keep=1)


def exists(config: IcsConfig) -> bool:
    return snapshots.read_pointer(root_of(config)) is not None


@contextmanager
def state(config: IcsConfig) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, Any]]]:
    """An in-memory DuckDB whose views are the current snapshot's tables (store_summary, data_quality,
    data_quality_issues, loads_overview), and the snapshot's manifest."""
    root = root_of(config)
    manifest = snapshots.read_pointer(root)
    if manifest is None:
        raise IcsBenchError(f"{config.store_path}: no store yet. Load extracts first with `icsbench load`.")
    folder = snapshots.version_folder(root, manifest)
    con = duckdb.connect()
    try:
        for name in STATE_TABLES:
            path = str(folder / f"{name}.parquet").replace("'", "''")
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
        yield con, manifest
    finally:
        con.close()


def results_table(config: IcsConfig, name: str) -> tuple[int, pa.Table]:
    """(refresh id, rows) of the full result table `name` of the last refresh, from the snapshot."""
    manifest = snapshots.read_pointer(root_of(config))
    if manifest is None or not manifest.get("results"):
        raise IcsBenchError("no results yet: run `icsbench refresh` first")
    path = root_of(config) / str(manifest["results"]) / f"{name}.parquet"
    return int(manifest["refresh_id"]), pq.read_table(path)


def disclosure(config: IcsConfig) -> DisclosureSummary | None:
    """What disclosure control hid in the last refresh, per published table, from the snapshot (None before a refresh,
    or from a snapshot written before the summary was kept)."""
    manifest = snapshots.read_pointer(root_of(config))
    if manifest is None or not manifest.get("results"):
        return None
    folder = root_of(config) / str(manifest["results"])
    if not (folder / DISCLOSURE_FILE).is_file():
        return None
    within, audits = (pq.read_table(folder / f) if (folder / f).is_file() else None for f in (WITHIN_FILE, AUDITS_FILE))
    return summary_of(pq.read_table(folder / DISCLOSURE_FILE), within, audits)


def _next_number(root: Path) -> int:
    numbers = [
        int(match.group(1))
        for path in (root.iterdir() if root.is_dir() else ())
        if (match := re.fullmatch(rf"\.?{STATE_PREFIX}(\d+).*", path.name))
    ]
    return max(numbers, default=0) + 1

"""The lake: the store's canonical tables as Parquet in folders a Spark cluster reads, partitioned for scale.

    <lake>/activity/fin_year=2023%2F24/org_code=RXN/setting=apc/data_0.parquet
    <lake>/cost_lines/...                    (the same partitions)
    <lake>/providers/data_0.parquet          (small tables: one file each)
    <lake>/_icsbench.json                    (what was exported: rows and cost per table, and when)

Record-level tables are partitioned by financial year, provider and setting (hive-style folders, values escaped as
Spark escapes them), so a trust's new quarter replaces one folder and Spark prunes partitions a query filters on.
`export` writes the whole lake beside the old one and swaps it in table by table, so a failed export leaves the
last good lake readable. Trusts' data can also land in this layout directly; the refresh reads whatever is there.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from engine.errors import ConfigError
from engine.progress import Progress, silent
from engine.store import Store
from engine.store.server import layout

PARTITION_COLUMNS = ("fin_year", "org_code", "setting")
"""How record-level tables are split into folders, outermost first."""

RECORD_TABLES = ("activity", "cost_lines")
"""Record-level tables: one row per patient event or cost line, partitioned."""

SMALL_TABLES = tuple(table for table in layout.CANONICAL_TABLES if table not in RECORD_TABLES)
"""Store tables the metrics read that are small enough for one file each."""

LAKE_TABLES = (*RECORD_TABLES, *SMALL_TABLES)
MANIFEST = "_icsbench.json"


@dataclass(frozen=True)
class LakeExport:
    """What `export` wrote: rows per table and the cost of every cost line, to check against the store."""

    location: Path
    rows: dict[str, int]
    cost: Decimal


def is_local(location: str) -> bool:
    return "://" not in location and not location.startswith("dbfs:")


def export(store: Store, location: str, progress: Progress = silent) -> LakeExport:
    """Write every canonical table of the store to the lake at `location` (a folder), replacing what was there."""
    if not is_local(location):
        raise ConfigError(
            f"[spark] lake = {location!r} is not a folder on this machine: `icsbench lake export` writes a folder. "
            "Export to a local folder and copy it to the cluster's storage (docs/national-scale.md), or let the "
            "trusts' data land there directly."
        )
    root = Path(location)
    root.mkdir(parents=True, exist_ok=True)
    incoming = root / f".incoming-{uuid.uuid4().hex}"
    incoming.mkdir()
    rows: dict[str, int] = {}
    try:
        for done, name in enumerate(LAKE_TABLES):
            progress(f"writing {name} to the lake", done, len(LAKE_TABLES))
            target = incoming / name
            options = "FORMAT PARQUET, COMPRESSION ZSTD"
            if name in RECORD_TABLES:
                options += f", PARTITION_BY ({', '.join(PARTITION_COLUMNS)})"
            else:
                target.mkdir()
                target = target / "data_0.parquet"
            store.con.execute(f"COPY (SELECT * FROM {name}) TO '{_sql_text(target)}' ({options})")
            rows[name] = int(store.con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0])
        cost = Decimal(store.con.execute("SELECT coalesce(sum(cost), 0) FROM cost_lines").fetchall()[0][0])
        manifest = {
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "rows": rows,
            "cost_lines_cost": str(cost),
            "partitioned_by": list(PARTITION_COLUMNS),
        }
        for name in LAKE_TABLES:
            _swap(incoming / name, root / name)
        (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
    progress("lake written", len(LAKE_TABLES), len(LAKE_TABLES))
    return LakeExport(root, rows, cost)


def table_location(location: str, name: str) -> str:
    """Where one table lives in the lake."""
    return f"{location.rstrip('/')}/{name}"


def _swap(new: Path, target: Path) -> None:
    old = target.with_name(f".old-{target.name}-{uuid.uuid4().hex}")
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")

"""Read what a refresh published, for consumers (the Excel add-in, exports, reports) that must never recompute it.

Readers never open the store: they read the published folder's current refresh (engine.publish.files), through the
`current.json` pointer. So a long-lived reader (Excel's Python process) never blocks a load or a refresh, is never
blocked by one, and every table it reads comes from the one refresh the pointer named. `snapshot_stamp` tells a reader
cheaply whether a new refresh may have been published since it last looked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from engine.config import IcsConfig
from engine.errors import IcsBenchError
from engine.metrics import catalog
from engine.publish import snapshots

Stamp = tuple[int, int] | None
NO_RESULTS = "no results yet: run a refresh first (the Refresh button, or `icsbench refresh`)"


@dataclass(frozen=True)
class ExtractsUsed:
    setting: str
    files: int
    last_loaded_at: datetime
    newest_file: str


@dataclass(frozen=True)
class RefreshInfo:
    """The published refresh: which one, when, the cost it reconciled to, and the extracts under it."""

    refresh_id: int
    refreshed_at: datetime
    cost_reconciled: Decimal
    extracts: tuple[ExtractsUsed, ...]


@dataclass(frozen=True)
class Published:
    """The current refresh's folder and what its manifest says."""

    folder: Path
    manifest: dict[str, Any]

    @property
    def refresh_id(self) -> int:
        return int(self.manifest["refresh_id"])


def snapshot_stamp(config: IcsConfig) -> Stamp:
    """Size and modification time of the published folder's pointer: changes whenever a refresh is published."""
    try:
        status = (config.published_folder / snapshots.POINTER).stat()
    except FileNotFoundError:
        return None
    return status.st_size, status.st_mtime_ns


def current(config: IcsConfig) -> Published:
    """The refresh the published folder's pointer names, or an error that says to run one."""
    manifest = current_manifest(config)
    if manifest is None:
        raise IcsBenchError(NO_RESULTS)
    return Published(snapshots.version_folder(config.published_folder, manifest), manifest)


def current_manifest(config: IcsConfig) -> dict[str, Any] | None:
    """What the published folder's pointer says, or None before the first refresh is published."""
    return snapshots.read_pointer(config.published_folder)


def refresh_info(config: IcsConfig) -> RefreshInfo:
    """The published refresh, or an error that says to run one."""
    return info_of(current(config).manifest)


def info_of(manifest: dict[str, Any]) -> RefreshInfo:
    return RefreshInfo(
        refresh_id=int(manifest["refresh_id"]),
        refreshed_at=datetime.fromisoformat(manifest["refreshed_at"]),
        cost_reconciled=Decimal(manifest["cost_reconciled"]),
        extracts=tuple(
            ExtractsUsed(e["setting"], int(e["files"]), datetime.fromisoformat(e["last_loaded_at"]), e["newest_file"])
            for e in manifest["extracts"]
        ),
    )


def latest_refresh_id(config: IcsConfig) -> int:
    """Id of the published refresh (one small file read)."""
    return current(config).refresh_id


def published_table(config: IcsConfig, name: str) -> tuple[int, pa.Table]:
    """(refresh id, rows) of published table `name`: the suppressed figures, as anyone outside the costing team sees.

    A refresh published between reading the pointer and the table may have removed an old folder: then the pointer is
    read again, so the rows always come from the refresh whose id is returned."""
    metric = published_metric(name)
    for attempt in range(3):
        published = current(config)
        try:
            return published.refresh_id, pq.read_table(published.folder / f"{metric.name}.parquet")
        except FileNotFoundError:
            if attempt == 2:
                raise IcsBenchError(
                    f"the published folder {config.published_folder} lacks {metric.name}.parquet for refresh "
                    f"{published.refresh_id}; run the refresh again"
                ) from None
    raise AssertionError("unreachable")


def published_metric(name: str) -> catalog.Metric:
    """The published table called `name`, or an error listing the ones there are."""
    try:
        metric = catalog.metric(name)
    except KeyError:
        metric = None
    if metric is None or not metric.published:
        choices = ", ".join(m.name for m in catalog.published())
        raise IcsBenchError(f"'{name}' is not a published result table; the tables are: {choices}")
    return metric

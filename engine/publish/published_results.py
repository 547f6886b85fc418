"""Read what a refresh published, for consumers (the Excel add-in, reports) that must never recompute it.

The store is opened read-only for each read and closed straight away, so a long-lived reader (Excel's Python
process) never holds the file and never blocks the next load or refresh. `store_stamp` tells a reader cheaply
whether anything may have changed since it last read, without opening the store at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from engine import sql_files
from engine.config import IcsConfig
from engine.errors import IcsBenchError
from engine.metrics import catalog
from engine.publish.export import last_refresh
from engine.store import Store, open_store

StoreStamp = tuple[tuple[int, int] | None, ...]


@dataclass(frozen=True)
class ExtractsUsed:
    setting: str
    files: int
    last_loaded_at: datetime
    newest_file: str


@dataclass(frozen=True)
class RefreshInfo:
    """The last successful refresh: which one, when, the cost it reconciled to, and the extracts under it."""

    refresh_id: int
    refreshed_at: datetime
    cost_reconciled: Decimal
    extracts: tuple[ExtractsUsed, ...]


def store_stamp(config: IcsConfig) -> StoreStamp:
    """Size and modification time of the store file and its write-ahead log: changes whenever a commit lands."""
    path = config.store_path
    return tuple(_stat(p) for p in (path, path.with_name(path.name + ".wal")))


@contextmanager
def _last_refresh(config: IcsConfig) -> Iterator[tuple[Store, tuple[int, datetime, object]]]:
    """The store, opened read-only for one read and closed again, with its last successful refresh."""
    store = open_store(config, read_only=True)
    try:
        refreshed = last_refresh(store)
        if refreshed is None:
            raise IcsBenchError("no results yet: run a refresh first (the Refresh button, or `icsbench refresh`)")
        yield store, refreshed
    finally:
        store.close()


def refresh_info(config: IcsConfig) -> RefreshInfo:
    """The last successful refresh, or an error that says to run one."""
    with _last_refresh(config) as (store, (refresh_id, finished_at, cost)):
        rows = store.con.execute(sql_files.read("reports/refresh_sources.sql")).fetchall()
    return RefreshInfo(
        refresh_id=refresh_id,
        refreshed_at=finished_at,
        cost_reconciled=Decimal(str(cost)),
        extracts=tuple(ExtractsUsed(str(s), int(f), at, str(name)) for s, f, at, name in rows),
    )


def latest_refresh_id(config: IcsConfig) -> int:
    """Id of the last successful refresh (a quick read-only look at the refresh log)."""
    with _last_refresh(config) as (_, refreshed):
        return refreshed[0]


def published_table(config: IcsConfig, name: str) -> tuple[int, pa.Table]:
    """(refresh id, rows) of published table `name`: the suppressed figures, as anyone outside the costing team sees."""
    metric = _published_metric(name)
    with _last_refresh(config) as (store, refreshed):
        return refreshed[0], store.con.sql(f"SELECT * FROM {metric.published_table}").to_arrow_table()


def _published_metric(name: str) -> catalog.Metric:
    try:
        metric = catalog.metric(name)
    except KeyError:
        metric = None
    if metric is None or not metric.published:
        choices = ", ".join(m.name for m in catalog.published())
        raise IcsBenchError(f"'{name}' is not a published result table; the tables are: {choices}")
    return metric


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_size, status.st_mtime_ns

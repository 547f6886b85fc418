"""The files each refresh publishes into the `[folders] published` folder, all at once.

A refresh writes everything it publishes into a folder of its own, `refresh-<id>/`: one Parquet file per published
table, both workbooks and the single user's Power BI report, rendered to read that folder's Parquet files. Only when
the folder is complete does `current.json` (engine.publish.snapshots) switch to it, so Excel, `icsbench export` and
the Power BI report opened from the ribbon see one refresh or the next, never part of each; a refresh stopped part way
leaves the last one current and its own hidden leftovers, which the next refresh removes. The folders of the two
refreshes before the current one stay, for a report or a reader still using them.

The workbooks are also copied to the top of the folder, `ICS Benchmarking.xlsx` and its values-only twin, for people
who open them from there. A copy someone has open (Excel keeps `~$ICS Benchmarking.xlsx` beside it; Windows refuses to
replace an open file) is left as it is, and the refresh says where the new one is instead of failing.

Everything here comes from the published (suppressed) tables.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine import sql_files
from engine.errors import IcsBenchError
from engine.metrics import catalog
from engine.publish import snapshots, workbook
from engine.publish.atomic import as_usual
from engine.publish.column_types import typed_query
from engine.publish.powerbi import render
from engine.publish.stamps import RefreshStamp, last_refresh
from engine.store import Store

VERSION_PREFIX = "refresh-"
KEEP_PREVIOUS = 2  # refresh folders kept besides the current one
TOP_LEVEL_WORKBOOKS = (workbook.WORKBOOK_NAME, workbook.STATIC_WORKBOOK_NAME)
MANIFEST = "refresh.json"  # each refresh folder's own copy of what current.json says about it


@dataclass(frozen=True)
class PublishedFolder:
    """What one refresh published: its folder, the files in it, and anything the user should know."""

    root: Path  # the [folders] published folder
    folder: Path  # this refresh's folder in it
    refresh_id: int
    files: list[Path]
    notes: list[str] = field(default_factory=list)


def write_published_files(store: Store, refresh: RefreshStamp | None = None) -> PublishedFolder:
    """Publish the store's published tables as refresh `refresh` (by default the last one the log says succeeded):
    write its folder, make it the current one, update the top-level workbooks where they are not open, and remove
    what earlier refreshes left behind."""
    stamp = refresh or last_refresh(store)
    if stamp is None:
        raise IcsBenchError("no results yet: run `icsbench refresh` first")
    root = store.config.published_folder
    name = f"{VERSION_PREFIX}{stamp.refresh_id}"
    with snapshots.staged(root, name) as staging:
        final = root / snapshots.free_name(root, name)
        tables = {metric.name: _parquet(store, metric, staging) for metric in catalog.published()}
        data = workbook.read_workbook_data(store, stamp)
        workbook.write_workbook(data, staging / workbook.WORKBOOK_NAME, live=True)
        workbook.write_workbook(data, staging / workbook.STATIC_WORKBOOK_NAME, live=False)
        report = render.render("files", staging, {"ResultsFolder": str(final.resolve())})
        manifest = _manifest(store, stamp, final.name, tables, report.relative_to(staging))
        snapshots.write_json(staging / MANIFEST, manifest)
    folder = snapshots.finish_version(root, staging, final.name)
    snapshots.switch(root, manifest)
    notes = [note for name in TOP_LEVEL_WORKBOOKS if (note := copy_to_top(root, folder, name))]
    snapshots.clean(root, prefix=VERSION_PREFIX, keep=KEEP_PREVIOUS)
    _clean_earlier_layout(root)
    files = [folder / t["file"] for t in tables.values()]
    files += [folder / name for name in TOP_LEVEL_WORKBOOKS] + [folder / manifest["power_bi"]]
    return PublishedFolder(root, folder, stamp.refresh_id, files, notes)


def _parquet(store: Store, metric: catalog.Metric, folder: Path) -> dict[str, Any]:
    target = folder / f"{metric.name}.parquet"
    keys = [c.name for c in metric.columns if c.role == "key"]
    relation = store.con.sql(typed_query(store, metric.published_table, sorted_by=keys))
    relation.to_parquet(str(target))
    rows = store.count(f"SELECT count(*) FROM {metric.published_table}")
    return {"file": target.name, "rows": rows}


def _manifest(
    store: Store, stamp: RefreshStamp, folder: str, tables: dict[str, dict[str, Any]], report: Path
) -> dict[str, Any]:
    extracts = store.con.execute(sql_files.read("reports/refresh_sources.sql")).fetchall()
    return {
        "folder": folder,
        "refresh_id": stamp.refresh_id,
        "refreshed_at": stamp.refreshed_at.isoformat(timespec="seconds"),
        "cost_reconciled": str(stamp.cost_reconciled),
        "published_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        "extracts": [
            {"setting": s, "files": int(f), "last_loaded_at": at.isoformat(timespec="seconds"), "newest_file": n}
            for s, f, at, n in extracts
        ],
        "tables": tables,
        "workbooks": list(TOP_LEVEL_WORKBOOKS),
        "power_bi": report.as_posix(),
    }


def open_elsewhere(path: Path) -> bool:
    """Whether a workbook is open in Excel (`~$name` beside it) or LibreOffice (`.~lock.name#`)."""
    return (path.parent / f"~${path.name}").exists() or (path.parent / f".~lock.{path.name}#").exists()


def copy_to_top(root: Path, folder: Path, name: str) -> str | None:
    """Copy a refresh's workbook to the top of the published folder, unless the copy there is open; returns a sentence
    saying where the new one is when it was left as it was."""
    target = root / name
    left = (
        f"{name} in {root} is open (in Excel or another program), so it was left as it was; the workbook of this "
        f"refresh is {folder / name}. Close the open one and refresh again to replace it, or open the new one."
    )
    if open_elsewhere(target):
        return left
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=root)
    try:
        with os.fdopen(handle, "wb") as out, (folder / name).open("rb") as source:
            shutil.copyfileobj(source, out)
        as_usual(Path(temporary)).replace(target)
    except PermissionError:  # Windows: the file is open in a program that left no owner file
        return left
    finally:
        Path(temporary).unlink(missing_ok=True)
    return None


def _clean_earlier_layout(root: Path) -> None:
    """Remove what earlier refreshes left at the top of the folder: temporary copies a stopped refresh left, and the
    Parquet files and Power BI report of the layout before refresh folders (they would show an old refresh)."""
    leftovers = [p for name in TOP_LEVEL_WORKBOOKS for p in root.glob(f".{name}.*.tmp")]
    leftovers += [root / f"{m.name}.parquet" for m in catalog.published()]
    leftovers += [p for m in catalog.published() for p in root.glob(f".{m.name}.parquet.*")]
    leftovers += [root / render.VARIANTS["files"].folder, root / f".{render.VARIANTS['files'].folder}.old"]
    leftovers += list(root.glob(".render-*"))
    for path in leftovers:
        snapshots.remove(path)

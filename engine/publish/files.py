"""The files each refresh publishes into the `[folders] published` folder: one Parquet per table, the workbooks and
the single user's Power BI report, rendered to read those Parquet files.

Everything here comes from the published (suppressed) tables, and every file is written atomically, so a reader
(Power BI, someone's open workbook) sees the old file or the new one, never half of one.
"""

from __future__ import annotations

from pathlib import Path

from engine.metrics import catalog
from engine.publish import workbook
from engine.publish.atomic import atomic_file
from engine.publish.column_types import typed_query
from engine.publish.powerbi import render
from engine.store import Store


def write_published_files(store: Store) -> list[Path]:
    """Write the published tables as typed Parquet (engine.publish.column_types), both workbooks and the Power BI report
    (its `files` variant, reading this folder); returns the files written (the report's .pbip for the report)."""
    folder = store.config.published_folder
    folder.mkdir(parents=True, exist_ok=True)
    written = [_parquet(store, metric, folder) for metric in catalog.published()]
    data = workbook.read_workbook_data(store)
    written.append(workbook.write_workbook(data, folder / workbook.WORKBOOK_NAME, live=True))
    written.append(workbook.write_workbook(data, folder / workbook.STATIC_WORKBOOK_NAME, live=False))
    written.append(render.render("files", folder, {"ResultsFolder": str(folder.resolve())}))
    return written


def _parquet(store: Store, metric: catalog.Metric, folder: Path) -> Path:
    target = folder / f"{metric.name}.parquet"
    with atomic_file(target) as temporary:
        keys = [c.name for c in metric.columns if c.role == "key"]
        store.con.sql(typed_query(store, metric.published_table, sorted_by=keys)).to_parquet(str(temporary))
    return target

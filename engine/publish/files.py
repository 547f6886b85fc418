"""The files each refresh publishes into the `[folders] published` folder: the workbook and one Parquet per table.

Everything here comes from the published (suppressed) tables, and every file is written atomically, so a reader
(Power BI, someone's open workbook) sees the old file or the new one, never half of one.
"""

from __future__ import annotations

from pathlib import Path

from engine.metrics import catalog
from engine.publish import workbook
from engine.publish.atomic import atomic_file
from engine.store import Store


def publish_files(store: Store) -> list[Path]:
    """Write the published tables as Parquet and both workbooks; returns the files written."""
    folder = store.config.published_folder
    folder.mkdir(parents=True, exist_ok=True)
    written = [_parquet(store, metric, folder) for metric in catalog.published()]
    data = workbook.read_workbook_data(store)
    written.append(workbook.write_workbook(data, folder / workbook.WORKBOOK_NAME, live=True))
    written.append(workbook.write_workbook(data, folder / workbook.STATIC_WORKBOOK_NAME, live=False))
    return written


def _parquet(store: Store, metric: catalog.Metric, folder: Path) -> Path:
    target = folder / f"{metric.name}.parquet"
    with atomic_file(target) as temporary:
        store.con.sql(f"SELECT * FROM {metric.published_table}").to_parquet(str(temporary))
    return target

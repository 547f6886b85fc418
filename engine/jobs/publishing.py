"""Publishing jobs that start from results already refreshed: one table to a file, and the Power BI reports."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from engine.config import IcsConfig
from engine.errors import IcsBenchError
from engine.publish.export import Exported, export_table
from engine.publish.files import write_published_files
from engine.publish.powerbi import render
from engine.store import open_store


def export(config: IcsConfig, table: str, out: Path, *, unsuppressed: bool = False) -> Exported:
    """Write result table `table` to `out`: its published (suppressed) figures unless `unsuppressed` (logged)."""
    with closing(open_store(config)) as store:
        return export_table(store, table, out, unsuppressed=unsuppressed)


@dataclass(frozen=True)
class PowerBIFiles:
    folder: Path
    parquet: list[Path]
    reports: dict[str, Path]  # report variant (files, sqlserver) -> its .pbip


def write_power_bi(
    config: IcsConfig,
    *,
    results_folder: str | None = None,
    server: str | None = None,
    database: str | None = None,
) -> PowerBIFiles:
    """Write the published tables as typed Parquet and render the reports with their data parameters set: the
    files variant reading `results_folder` (default: the published folder as this PC sees it), and the SQL Server
    variant when a server and database are given."""
    if (server is None) != (database is None):
        raise IcsBenchError("give both --server and --database for the SQL Server report, or neither")
    with closing(open_store(config, read_only=True)) as store:
        written = write_published_files(store)
    folder = config.published_folder
    reports = {"files": render.rendered_report(folder, "files")}
    if results_folder:
        reports["files"] = render.render("files", folder, {"ResultsFolder": results_folder})
    if server and database:
        reports["sqlserver"] = render.render("sqlserver", folder, {"Server": server, "Database": database})
    return PowerBIFiles(folder, [p for p in written if p.suffix == ".parquet"], reports)

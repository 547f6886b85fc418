"""Publishing jobs that start from results already refreshed: one table to a file, and the Power BI reports.

Neither opens the store: they read the published refresh (and, for an unsuppressed export, the store's snapshot of
its results), so they run while a load or refresh is under way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.config import IcsConfig
from engine.errors import IcsBenchError
from engine.publish import published_results
from engine.publish.export import Exported, export_table
from engine.publish.powerbi import render


def export(config: IcsConfig, table: str, out: Path, *, unsuppressed: bool = False) -> Exported:
    """Write result table `table` to `out`: its published (suppressed) figures unless `unsuppressed` (logged)."""
    return export_table(config, table, out, unsuppressed=unsuppressed)


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
    """Render the reports of the published refresh with their data parameters set: the files variant (in the
    refresh's folder) reading `results_folder` (default: the refresh's folder as this PC sees it), and the SQL Server
    variant when a server and database are given."""
    if (server is None) != (database is None):
        raise IcsBenchError("give both --server and --database for the SQL Server report, or neither")
    published = published_results.current(config)
    folder = published.folder
    where = _joined(results_folder, folder.name) if results_folder else str(folder.resolve())
    reports = {"files": render.render("files", folder, {"ResultsFolder": where})}
    if server and database:
        reports["sqlserver"] = render.render(
            "sqlserver", config.published_folder, {"Server": server, "Database": database}
        )
    parquet = [folder / str(t["file"]) for t in published.manifest["tables"].values()]
    return PowerBIFiles(folder, parquet, reports)


def _joined(results_folder: str, name: str) -> str:
    """The refresh's folder under `results_folder`, joined the way that path is written (backslashes on Windows)."""
    separator = "\\" if "\\" in results_folder else "/"
    return results_folder.rstrip("\\/") + separator + name

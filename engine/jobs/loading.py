"""Loading jobs: extract files, new files in the extracts folder, and the trusts' tables on the ICS SQL Server.

Every load ends the same way, whoever started it (the CLI, the Excel ribbon): the data-quality tables are rebuilt
from what the store now holds, the snapshot `icsbench status` and `icsbench quality` read is renewed, and with [server]
in the config the server's canonical data is brought up to date. Each file's result is handed to `on_result` as soon
as it is known, so a load that is stopped part way has already said which files were saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from engine.config import IcsConfig
from engine.errors import IcsBenchError
from engine.ingest import LoadResult, load_files, quality
from engine.ingest.inbox import new_extracts
from engine.ingest.run import ResultCallback
from engine.progress import Progress, prefixed, silent
from engine.publish import store_snapshot
from engine.store import Store, open_store
from engine.store.spark import lake

if TYPE_CHECKING:  # the SQL Server code needs its ODBC extras: imported only when [server] is configured
    from engine.store.server.canonical import PushResult


@dataclass(frozen=True)
class LoadOutcome:
    """What a load did: one result per file (or server table), and what reached the ICS SQL Server, if configured."""

    results: list[LoadResult]
    pushed: PushResult | None = None
    lake_export: lake.LakeExport | None = None

    @property
    def failed(self) -> list[LoadResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def cost_loaded(self) -> Decimal:
        return sum((r.cost_loaded for r in self.results), Decimal(0))


def extract_files(config: IcsConfig, paths: Sequence[Path]) -> list[Path]:
    """The files to load: each file named, and every file in a named folder that an [[extracts]] pattern matches."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            matched = [p for p in sorted(path.iterdir()) if p.is_file() and _matches(config, p)]
            if not matched:
                raise IcsBenchError(f"{path}: no file in this folder matches an [[extracts]] pattern in the config")
            files += matched
        else:
            files.append(path)
    return files


def load(
    config: IcsConfig,
    files: Sequence[Path],
    *,
    control_totals: dict[str, Decimal] | None = None,
    progress: Progress = silent,
    on_result: ResultCallback | None = None,
) -> LoadOutcome:
    """Load extract files into the store, rebuild data quality, and send the changed periods to the server if set."""
    with closing(open_store(config)) as store:
        return _load_into(store, files, control_totals, progress, on_result)


def load_new_extracts(
    config: IcsConfig, *, progress: Progress = silent, on_result: ResultCallback | None = None
) -> LoadOutcome:
    """Load the files in the [folders] extracts folder that the store has not loaded as they are now."""
    folder = config.extracts_folder
    if folder is None:
        return LoadOutcome([])
    with closing(open_store(config)) as store:
        files = new_extracts(store, folder)
        if not files:
            if store.interrupted:
                store_snapshot.write(store)
            return LoadOutcome([])
        return _load_into(store, files, None, progress, on_result)


def load_server_tables(config: IcsConfig, patterns: Sequence[str], *, progress: Progress = silent) -> LoadOutcome:
    """Load the trusts' tables on the ICS SQL Server that [[server.tables]] (and `patterns`, if given) match, then
    bring the server's canonical data up to date, all under the server's lock."""
    from engine.ingest.server_tables import load_server_tables as load_tables
    from engine.store.server import canonical, connect, lock

    with closing(open_store(config)) as store, connect(config) as server, lock.exclusive(server, "a load"):
        results = load_tables(store, server, patterns, progress)
        if not results:
            return LoadOutcome([])
        quality.rebuild(store)
        store_snapshot.write(store)
        pushed = canonical.push(store, server, prefixed(progress, "ICS SQL Server: "))
    return LoadOutcome(results, pushed)


def _load_into(
    store: Store,
    files: Sequence[Path],
    control_totals: dict[str, Decimal] | None,
    progress: Progress,
    on_result: ResultCallback | None,
) -> LoadOutcome:
    results = load_files(store, files, control_totals=control_totals, progress=progress, on_result=on_result)
    progress("rebuilding the data-quality tables")
    quality.rebuild(store)
    store_snapshot.write(store)
    pushed = None
    if store.config.server is not None:
        from engine.store.server import canonical

        pushed = canonical.push_if_configured(store, prefixed(progress, "ICS SQL Server: "))
    exported = None
    if store.config.store.compute == "spark" and any(r.status == "loaded" for r in results):
        exported = lake.export(store, store.config.lake_location, prefixed(progress, "lake: "))
    return LoadOutcome(results, pushed, exported)


def export_lake(config: IcsConfig, *, progress: Progress = silent) -> lake.LakeExport:
    """Write the store's canonical data to the lake ([spark] lake) for a Spark refresh: `icsbench lake export`."""
    with closing(open_store(config, read_only=True)) as store:
        return lake.export(store, config.lake_location, progress)


def _matches(config: IcsConfig, path: Path) -> bool:
    try:
        config.extract_for(path)
    except IcsBenchError:
        return False
    return True

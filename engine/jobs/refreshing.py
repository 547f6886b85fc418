"""Refreshing jobs: compute the result tables, publish them with suppression, and write the published files.

One refresh, whoever asks for it: `icsbench refresh`, the Excel ribbon's Refresh and the demo all call `refresh`.
Computing (engine.metrics) and publishing the store's tables (engine.publish) run in one transaction, so the store's
results and its published tables always come from the same refresh. The published folder then gets the refresh's
files as a whole new folder, switched in at once (engine.publish.files), and the store's snapshot for status, quality
and exports is renewed; only then does the refresh log say `succeeded`. A refresh that fails or is stopped before that
leaves the published folder on the last good refresh.

With [server] in the config the refresh runs under the server's lock, either here on data pulled from the server
(`compute = "pull"`) or on the server itself (`compute = "push_down"`), and the published tables then go to the
server in one transaction. Both ways give the same results.

With `[store] compute = "spark"` the metrics run on the Spark session [spark] describes, over the lake
(`icsbench lake export`), and only the published result tables come back to be suppressed and published here.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from engine.config import IcsConfig
from engine.errors import IcsBenchError, ServerError, StoreError
from engine.metrics.refresh import Compute, RefreshResult, finish_refresh, refresh_run, unchanged_since_last
from engine.progress import Progress, prefixed, silent
from engine.publish import published_results, snapshots, store_snapshot
from engine.publish.files import PublishedFolder, write_published_files
from engine.publish.stamps import RefreshStamp
from engine.publish.suppressed_tables import DisclosureSummary, disclosure_summary, publish_tables
from engine.store import Store, in_progress, open_store

if TYPE_CHECKING:  # the SQL Server code needs its ODBC extras: imported only when [server] is configured
    from engine.publish.server import ServerPublished
    from engine.store.server.connection import Server


@dataclass(frozen=True)
class ServerRefresh:
    """What the ICS SQL Server side of a refresh did."""

    published: ServerPublished
    rows_pulled: int  # canonical rows read from the server (0 for push-down)


@dataclass
class RefreshOutcome:
    """A finished refresh: the tables it built, the server's part (if any) and the published files written."""

    result: RefreshResult
    server: ServerRefresh | None = None
    files: list[Path] = field(default_factory=list)
    published: PublishedFolder | None = None
    hidden: DisclosureSummary | None = None
    unchanged: bool = False  # nothing changed since refresh `result.refresh_id`: it stands, nothing was recomputed

    @property
    def notes(self) -> list[str]:
        """What the user should know besides the figures (a workbook left because it was open, and where the new is)."""
        return list(self.published.notes) if self.published else []

    spark_rows_read_back: int | None = None  # result rows Spark sent back (None: not a Spark refresh)


def refresh(
    config: IcsConfig, *, config_file: Path | None = None, progress: Progress = silent, full: bool = False
) -> RefreshOutcome:
    """The whole refresh the config asks for: compute, reconcile, publish (store, server, files).

    On the store's own data, a refresh with nothing new to compute (nothing loaded, replaced or deleted, no setting,
    config file, reference data or engine code changed since the last refresh, which succeeded and is the published
    one) says so and keeps that refresh, unless `full` asks to recompute anyway. With a server or Spark the data may
    have changed elsewhere, so those always recompute."""
    with closing(open_store(config)) as store:
        if config.store.compute == "spark":
            return refresh_on_spark(store, config_file=config_file, progress=progress)
        if config.server is None:
            return refresh_and_publish(store, config_file=config_file, progress=progress, if_changed=not full)
        from engine.store.server.connection import Server

        with Server(config.server) as server:
            return refresh_with_server(
                store, server, compute=config.server.compute, config_file=config_file, progress=progress
            )


def refresh_store(
    store: Store, *, config_file: Path | None = None, progress: Progress = silent, compute: Compute | None = None
) -> RefreshResult:
    """The whole refresh on an open store (`refresh_and_publish`), for callers that want only its result."""
    return refresh_and_publish(store, config_file=config_file, progress=progress, compute=compute).result


def refresh_and_publish(
    store: Store,
    *,
    config_file: Path | None = None,
    progress: Progress = silent,
    compute: Compute | None = None,
    before_files: Callable[[RefreshResult], None] | None = None,
    if_changed: bool = False,
) -> RefreshOutcome:
    """Compute every result table, check the totals reconcile and write the published (suppressed) tables in one
    transaction, then (after `before_files`, if given) publish the files and log the refresh as succeeded. Raises an
    IcsBenchError, with the last good results and published files untouched, if any of it fails.

    A refresh computed here from the store's own data keeps the fingerprint of its inputs in the refresh log; with
    `if_changed`, when the fingerprint now is the last refresh's and that refresh is the published one, nothing is
    recomputed and the outcome (`unchanged`) is that refresh's."""
    _settle_published(store)
    own_data = compute is None and store.config.server is None
    if if_changed and own_data:
        progress("checking what changed since the last refresh")
        unchanged = _unchanged(store)
        if unchanged is not None:
            return unchanged
    with refresh_run(store, config_file=config_file, progress=progress, keep_fingerprint=own_data) as run:
        run.compute(compute)
        run.step("publishing with small-number suppression")
        publish_tables(store)
    result = run.result
    with in_progress("refresh_log", result.refresh_id):
        try:
            if before_files is not None:
                before_files(result)
            progress("writing the published files (workbooks, Parquet, Power BI report)", run.done, run.steps)
            stamp = RefreshStamp(result.refresh_id, datetime.now(UTC).replace(tzinfo=None), result.cost_loaded)
            published = write_published_files(store, stamp)
        except Exception as exc:
            why = str(exc) if isinstance(exc, IcsBenchError) else f"{type(exc).__name__}: {exc}"
            message = (
                f"refresh {result.refresh_id} is computed and saved in the store, but it was not published ({why}), "
                "so the published files are still those of the last successful refresh. Run the refresh again."
            )
            finish_refresh(store, result, succeeded=False, note=message)
            if isinstance(exc, ServerError):
                raise
            raise StoreError(message) from exc
        note = _renew_snapshot(store, stamp)
        finish_refresh(store, result, succeeded=True, note=note)
    progress("done", run.steps, run.steps)
    return RefreshOutcome(result, files=published.files, published=published, hidden=disclosure_summary(store))


def _unchanged(store: Store) -> RefreshOutcome | None:
    """The last refresh as this refresh's outcome, when it is published and nothing it computed from changed."""
    last = unchanged_since_last(store)
    current = published_results.current_manifest(store.config)
    if last is None or current is None or int(current["refresh_id"]) != last.refresh_id:
        return None
    folder = snapshots.version_folder(store.config.published_folder, current)
    if not folder.is_dir():
        return None
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    published = PublishedFolder(store.config.published_folder, folder, last.refresh_id, files)
    return RefreshOutcome(last, files=files, published=published, hidden=disclosure_summary(store), unchanged=True)


def _settle_published(store: Store) -> None:
    """Log as succeeded an interrupted refresh that did publish its files (it stopped just after the switch)."""
    current = published_results.current_manifest(store.config)
    if current is not None:
        store.run_file("refresh/settle_published.sql", {"refresh_id": int(current["refresh_id"])})


def _renew_snapshot(store: Store, stamp: RefreshStamp) -> str:
    """Renew the store's snapshot for status, quality and unsuppressed exports; a note for the log if it failed (the
    refresh is published by then, so it stands)."""
    try:
        store_snapshot.write(store, stamp)
    except Exception as exc:
        return f"; the snapshot status and quality read could not be renewed ({exc}), so they show the state before"
    return ""


def refresh_on_spark(store: Store, *, config_file: Path | None = None, progress: Progress = silent) -> RefreshOutcome:
    """Compute every result table on Spark over the lake, then reconcile and publish here as any refresh does."""
    from engine.metrics.on_spark import OnSpark
    from engine.store.spark.session import open_session

    section = store.config.spark
    if section is None:
        raise IcsBenchError('compute = "spark" needs a [spark] section in the config (docs/national-scale.md)')
    progress(f"starting the Spark session ({section.connect})")
    compute = OnSpark(open_session(section), section, store.config.lake_location)
    outcome = refresh_and_publish(
        store, config_file=config_file, progress=prefixed(progress, "Spark: "), compute=compute
    )
    outcome.spark_rows_read_back = compute.rows_read_back
    return outcome


def refresh_with_server(
    store: Store,
    server: Server,
    *,
    compute: str,
    config_file: Path | None = None,
    progress: Progress = silent,
) -> RefreshOutcome:
    """Refresh from the server's canonical data and publish to it; the last good results stay if anything fails."""
    from engine.metrics.push_down import PushDown
    from engine.publish.server import send_to_server
    from engine.store.server import canonical, lock

    on_server = prefixed(progress, "ICS SQL Server: ")
    sent: list[ServerPublished] = []

    def publish_on_server(result: RefreshResult) -> None:
        try:
            sent.append(
                send_to_server(store, server, compute=compute, cost_loaded=result.cost_loaded, progress=on_server)
            )
        except IcsBenchError as exc:
            raise ServerError(
                f"refresh {result.refresh_id} is computed and saved here, but publishing it to the ICS SQL Server "
                f"failed, so the server keeps its last good results: {exc}. Run the refresh again."
            ) from exc

    with lock.exclusive(server, "a refresh"):
        pulled = canonical.pull(server, store, on_server) if compute == "pull" else 0
        outcome = refresh_and_publish(
            store,
            config_file=config_file,
            progress=progress,
            compute=PushDown(server) if compute == "push_down" else None,
            before_files=publish_on_server,
        )
    outcome.server = ServerRefresh(sent[0], pulled)
    return outcome

"""Refreshing jobs: compute the result tables, publish them with suppression, and write the published files.

One refresh, whoever asks for it: `icsbench refresh`, the Excel ribbon's Refresh and the demo all call `refresh`.
Computing (engine.metrics) and publishing (engine.publish) run in one transaction, so the store's results and its
published tables always come from the same refresh; the files are written from the published tables after that.

With [server] in the config the refresh runs under the server's lock, either here on data pulled from the server
(`compute = "pull"`) or on the server itself (`compute = "push_down"`), and the published tables then go to the
server in one transaction. Both ways give the same results.

With `[store] compute = "spark"` the metrics run on the Spark session [spark] describes, over the lake
(`icsbench lake export`), and only the published result tables come back to be suppressed and published here.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from engine.config import IcsConfig
from engine.errors import IcsBenchError, ServerError
from engine.metrics.refresh import Compute, RefreshResult, refresh_run
from engine.progress import Progress, prefixed, silent
from engine.publish.files import write_published_files
from engine.publish.suppressed_tables import publish_tables
from engine.store import Store, open_store

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
    spark_rows_read_back: int | None = None  # result rows Spark sent back (None: not a Spark refresh)


def refresh(config: IcsConfig, *, config_file: Path | None = None, progress: Progress = silent) -> RefreshOutcome:
    """The whole refresh the config asks for: compute, reconcile, publish (store, server), then write the files."""
    with closing(open_store(config)) as store:
        if config.store.compute == "spark":
            outcome = refresh_on_spark(store, config_file=config_file, progress=progress)
        elif config.server is None:
            outcome = RefreshOutcome(refresh_store(store, config_file=config_file, progress=progress))
        else:
            from engine.store.server.connection import Server

            with Server(config.server) as server:
                outcome = refresh_with_server(
                    store, server, compute=config.server.compute, config_file=config_file, progress=progress
                )
        progress("writing the published files (workbook, Parquet, Power BI report)")
        outcome.files = write_published_files(store)
    return outcome


def refresh_store(
    store: Store, *, config_file: Path | None = None, progress: Progress = silent, compute: Compute | None = None
) -> RefreshResult:
    """Compute every result table, check the totals reconcile and write the published (suppressed) tables, in one
    transaction; raise StoreError, with the last good results untouched, if any of it fails."""
    with refresh_run(store, config_file=config_file, progress=progress) as run:
        run.compute(compute)
        run.step("publishing with small-number suppression")
        publish_tables(store)
    return run.result


def refresh_on_spark(store: Store, *, config_file: Path | None = None, progress: Progress = silent) -> RefreshOutcome:
    """Compute every result table on Spark over the lake, then reconcile and publish here as any refresh does."""
    from engine.metrics.on_spark import OnSpark
    from engine.store.spark.session import open_session

    section = store.config.spark
    if section is None:
        raise IcsBenchError('compute = "spark" needs a [spark] section in the config (docs/national-scale.md)')
    progress(f"starting the Spark session ({section.connect})")
    compute = OnSpark(open_session(section), section, store.config.lake_location)
    result = refresh_store(store, config_file=config_file, progress=prefixed(progress, "Spark: "), compute=compute)
    return RefreshOutcome(result, spark_rows_read_back=compute.rows_read_back)


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
    with lock.exclusive(server, "a refresh"):
        pulled = 0
        if compute == "pull":
            pulled = canonical.pull(server, store, on_server)
            result = refresh_store(store, config_file=config_file, progress=progress)
        else:
            result = refresh_store(store, config_file=config_file, progress=progress, compute=PushDown(server))
        try:
            published = send_to_server(
                store, server, compute=compute, cost_loaded=result.cost_loaded, progress=on_server
            )
        except IcsBenchError as exc:
            raise ServerError(
                f"refresh {result.refresh_id} is computed and saved here, but publishing it to the ICS SQL Server "
                f"failed, so the server keeps its last good results: {exc}. Run the refresh again."
            ) from exc
    return RefreshOutcome(result, ServerRefresh(published, pulled))

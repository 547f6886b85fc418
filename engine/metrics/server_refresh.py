"""A refresh for an ICS whose canonical data lives on the ICS SQL Server ([server] in the config).

Under the server's lock (so no load or other refresh overlaps), the metrics run either here or there, as
[server] compute says:
- pull: the canonical tables are read from the server into the local store, and the refresh runs in DuckDB;
- push_down: the metrics run on the server (engine.metrics.push_down); only result rows come back.
Either way the local store ends with the full results (Excel and the Parquet files read them), and the published
tables go to the server in one transaction (engine.publish.server). Both ways give the same results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.errors import IcsBenchError, ServerError
from engine.metrics.push_down import PushDown
from engine.metrics.refresh import Progress, RefreshResult, refresh
from engine.publish.server import ServerPublished, publish_to_server
from engine.store import Store
from engine.store.server import canonical, lock
from engine.store.server.connection import Server


@dataclass(frozen=True)
class ServerRefresh:
    result: RefreshResult
    published: ServerPublished
    rows_pulled: int  # canonical rows read from the server (0 for push-down)


def refresh_with_server(
    store: Store,
    server: Server,
    *,
    compute: str,
    config_file: Path | None = None,
    progress: Progress | None = None,
    say: Callable[[str], None] | None = None,
) -> ServerRefresh:
    """Refresh from the server's canonical data and publish to it; the last good results stay if anything fails."""
    with lock.exclusive(server, "a refresh"):
        pulled = 0
        if compute == "pull":
            pulled = canonical.pull(server, store, say)
            result = refresh(store, config_file=config_file, progress=progress)
        else:
            result = refresh(store, config_file=config_file, progress=progress, compute=PushDown(server))
        try:
            published = publish_to_server(store, server, compute=compute, cost_loaded=result.cost_loaded, progress=say)
        except IcsBenchError as exc:
            raise ServerError(
                f"refresh {result.refresh_id} is computed and saved here, but publishing it to the ICS SQL Server "
                f"failed, so the server keeps its last good results: {exc}. Run the refresh again."
            ) from exc
    return ServerRefresh(result, published, pulled)

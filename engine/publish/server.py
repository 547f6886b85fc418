"""Publish the refresh's results to the ICS SQL Server, all at once or not at all.

Each published table (small numbers already suppressed, in its published types) is written to its staging table in
ics_staging first, over parallel connections. Then one transaction empties every ics_results table, fills it from
staging, checks each table's rows and pounds against what was sent, and logs the refresh. Readers of the published
views (Power BI, Excel, anyone's SQL) see the last refresh or this one, never a half-written table: a query that
arrives during the swap waits for the commit (TRUNCATE locks the table), and if the connection dies at any point the
server rolls the transaction back, leaving the last good results. A reader that reads several tables in separate
queries (a Power BI refresh) may still straddle two refreshes: every row carries its refresh_id to show it. Call it
under the lock (engine.store.server.lock).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from engine.errors import ServerError
from engine.metrics import catalog
from engine.progress import Progress, silent
from engine.publish.column_types import typed_query
from engine.store import Store
from engine.store.server.connection import Server
from engine.store.server.layout import RESULTS, STAGING, published_staging


@dataclass(frozen=True)
class ServerPublished:
    refresh_id: int
    tables: int
    rows: int
    seconds_writing: float
    seconds_swapping: float


def send_to_server(
    store: Store, server: Server, *, compute: str, cost_loaded: Decimal, progress: Progress = silent
) -> ServerPublished:
    """Replace the server's published results with the store's, in one transaction."""
    say = progress
    refresh_id = int(store.scalar("SELECT max(refresh_id) FROM results.refresh_parameters"))
    refreshed_at = store.scalar("SELECT max(refreshed_at) FROM results.refresh_parameters")
    sent: dict[str, pa.Table] = {}
    clock = datetime.now(UTC)
    for metric in catalog.published():
        say(f"writing {metric.name} to staging")
        data = store.con.sql(typed_query(store, metric.published_table)).to_arrow_table()
        server.execute(f"TRUNCATE TABLE {server.dialect.quote(STAGING, published_staging(metric.name))}")
        server.write_arrow((STAGING, published_staging(metric.name)), data)
        sent[metric.name] = data
    writing = (datetime.now(UTC) - clock).total_seconds()
    clock = datetime.now(UTC)
    with server.transaction():
        for name, data in sent.items():
            say(f"swapping in {name}")
            target = server.dialect.quote(RESULTS, name)
            columns = ", ".join(server.dialect.quote(c) for c in data.column_names)
            server.execute(f"TRUNCATE TABLE {target}")
            staged = server.dialect.quote(STAGING, published_staging(name))
            server.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {staged}")
            _check_arrived(server, name, data)
        tables = {name: data.num_rows for name, data in sent.items()}
        server.execute(
            f"INSERT INTO {server.dialect.quote(RESULTS, 'refresh_log')} "
            "(refresh_id, refreshed_at, published_at, compute, cost_loaded, result_rows, tables) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                refresh_id,
                refreshed_at,
                datetime.now(UTC).replace(tzinfo=None),
                compute,
                cost_loaded,
                sum(tables.values()),
                json.dumps(tables),
            ],
        )
    swapping = (datetime.now(UTC) - clock).total_seconds()
    for name in sent:
        server.execute(f"TRUNCATE TABLE {server.dialect.quote(STAGING, published_staging(name))}")
    return ServerPublished(refresh_id, len(sent), sum(t.num_rows for t in sent.values()), writing, swapping)


def _check_arrived(server: Server, name: str, data: pa.Table) -> None:
    """Inside the swap: the table now holds exactly the rows and pounds sent, or the whole swap is undone."""
    has_cost = "total_cost" in data.column_names
    total = "sum(total_cost)" if has_cost else "NULL"
    rows, cost = server.rows(f"SELECT count(*), {total} FROM {server.dialect.quote(RESULTS, name)}")[0]
    sent_cost = pc.sum(data.column("total_cost")).as_py() if has_cost else None
    if int(rows) != data.num_rows or (has_cost and Decimal(cost or 0) != Decimal(sent_cost or 0)):
        raise ServerError(
            f"{RESULTS}.{name} on the server holds {rows} rows and £{cost} after the swap, but {data.num_rows} rows "
            f"and £{sent_cost} were sent; the swap was undone and the last good results are unchanged"
        )


def last_published(server: Server) -> tuple[int, datetime] | None:
    """The refresh id and publishing time of the results on the server, or None before the first."""
    rows = server.rows(
        f"SELECT refresh_id, published_at FROM {server.dialect.quote(RESULTS, 'refresh_log')} "
        f"WHERE refresh_id = (SELECT max(refresh_id) FROM {server.dialect.quote(RESULTS, 'refresh_log')})"
    )
    return (int(rows[0][0]), rows[0][1]) if rows else None

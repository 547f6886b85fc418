"""Push-down: run every metric on the ICS SQL Server, so only result rows cross the network.

Each metric's DuckDB query is renamed to the server's tables and written in its dialect
(engine.store.server.render): internal tables (record level) become work tables in ics_staging, published ones full-
result tables there too, each column cast to the type a DuckDB refresh gives it. Only the published result tables
are read back (their rows, not the millions of records behind them): they fill the local store's results schema,
where the refresh suppresses small numbers exactly as it does for a local refresh, and publishing goes on from
there. The reconciliation runs on the server, against the canonical cost lines. Work tables are dropped at the end,
whatever happened.
"""

from __future__ import annotations

from decimal import Decimal

from engine import sql_files
from engine.errors import StoreError
from engine.metrics import catalog
from engine.metrics.reconcile import reconciliation_errors
from engine.store import Store
from engine.store.server import layout, render
from engine.store.server.connection import Server
from engine.store.server.layout import CANONICAL, STAGING


def work_table(metric: catalog.Metric) -> tuple[str, str]:
    """Where the metric's full result goes on the server during the refresh."""
    return (STAGING, f"{'full' if metric.published else 'work'}_{metric.name}")


def table_map() -> render.TableMap:
    """Every table a metric may read, as the DuckDB query names it, to where the server has it during a refresh."""
    tables: dict[str, tuple[str, str]] = {name: (CANONICAL, name) for name in layout.CANONICAL_TABLES}
    tables.update({name: (STAGING, name) for name in layout.REFRESH_INPUTS if name != "refresh_parameters"})
    tables["results.refresh_parameters"] = (STAGING, "refresh_parameters")
    for metric in catalog.metrics():
        tables[metric.table] = work_table(metric)
    return tables


def metric_sql(metric: catalog.Metric, dialect: str) -> str:
    """CREATE TABLE <work table> AS the metric's query, on the server."""
    columns = layout.shapes().results[metric.name]
    return render.create_table_as(metric.query, dialect, table_map(), work_table(metric), columns)


class PushDown:
    """The refresh's Compute that runs the metrics on the server (engine.metrics.refresh)."""

    name = "push_down"

    def __init__(self, server: Server) -> None:
        self.server = server
        self.created: list[tuple[str, str]] = []

    def prepare(self, store: Store) -> None:
        """Send the refresh inputs the metrics read (settings, code lists: a few hundred rows)."""
        for statement in self.server.dialect.push_down_session():
            self.server.execute(statement)
        for name in layout.REFRESH_INPUTS:
            local = "results.refresh_parameters" if name == "refresh_parameters" else name
            self.server.execute(f"TRUNCATE TABLE {self.server.dialect.quote(STAGING, name)}")
            self.server.write_arrow((STAGING, name), store.con.sql(f"SELECT * FROM {local}").to_arrow_table())

    def run(self, store: Store, metric: catalog.Metric) -> tuple[int, Decimal | None]:
        target = work_table(metric)
        quoted = self.server.dialect.quote(*target)
        self.server.execute(f"DROP TABLE IF EXISTS {quoted}")
        self.created.append(target)
        self.server.execute(metric_sql(metric, self.server.dialect.name))
        statistics = self.server.dialect.statistics(quoted)
        if statistics:
            self.server.execute(statistics)
        rows, cost = self.server.rows(metric.count_and_cost_sql(quoted))[0]
        if metric.published:
            columns = layout.shapes().results[metric.name]
            select = ", ".join(self.server.dialect.quote(c.name) for c in columns)
            fetched = self.server.read_arrow(f"SELECT {select} FROM {quoted}", layout.arrow_schema(columns))
            store.con.register("server_rows", fetched)
            store.con.execute(f"CREATE OR REPLACE TABLE {metric.table} AS SELECT * FROM server_rows")
            store.con.unregister("server_rows")
        return int(rows), None if cost is None else Decimal(cost)

    def reconcile(self, store: Store) -> Decimal:
        text = render.query(sql_files.read("refresh/reconcile.sql"), self.server.dialect.name, table_map())
        rows = [(o, y, Decimal(loaded), Decimal(got)) for o, y, loaded, got in self.server.rows(text)]
        wrong = reconciliation_errors(rows)
        if wrong:
            raise StoreError("results on the server do not reconcile with the cost loaded there: " + "; ".join(wrong))
        return sum((loaded for _, _, loaded, _ in rows), Decimal(0))

    def finish(self) -> None:
        for target in reversed(self.created):
            try:
                self.server.execute(f"DROP TABLE IF EXISTS {self.server.dialect.quote(*target)}")
            except Exception:
                break
        self.created.clear()

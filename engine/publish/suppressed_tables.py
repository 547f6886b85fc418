"""The store's published schema: every published result table with small-number suppression applied.

Everything else that is published (the Parquet files, the workbooks, the Power BI report, the ICS SQL Server's
results) is read from these tables, never from the full results, so the rule is applied in one place.
"""

from __future__ import annotations

from engine.metrics import catalog
from engine.publish.suppression import SuppressionRule, suppress
from engine.store import Store


def publish_tables(store: Store) -> None:
    """Write published.<name> for every published table: its full results with small-number suppression applied."""
    rule = SuppressionRule.from_config(store.config.suppression)
    con = store.con
    for metric in catalog.published():
        full = con.sql(f"SELECT * FROM {metric.table}").to_arrow_table()
        con.register("published_rows", suppress(full, metric.columns, rule))
        con.execute(f"CREATE OR REPLACE TABLE {metric.published_table} AS SELECT * FROM published_rows")
        con.unregister("published_rows")

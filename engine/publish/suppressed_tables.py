"""The store's published schema: every published result table with disclosure control applied.

Everything else that is published (the Parquet files, the workbooks, the Power BI report, the ICS SQL Server's
results) is read from these tables, never from the full results, so the rules are applied in one place. What
secondary suppression hid is written to `published.disclosure_summary` for the refresh summary and the quality
report.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from engine.metrics import catalog
from engine.publish import secondary
from engine.publish.suppression import SuppressionRule, suppress
from engine.store import Store


def publish_tables(store: Store) -> secondary.SecondaryOutcome | None:
    """Write published.<name> for every published table: its full results with disclosure control applied."""
    rule = SuppressionRule.from_config(store.config.suppression)
    con = store.con
    full = {m.name: con.sql(f"SELECT * FROM {m.table}").to_arrow_table() for m in catalog.published()}
    places = {d: p.name for p in store.config.population.places for d in p.districts}
    outcome = secondary.choose(full, rule, places) if rule.enabled else None
    for metric in catalog.published():
        more = (
            {c: pa.array(outcome.hidden[metric.name]) for c in secondary.hidden_counts(metric.name)}
            if outcome and metric.name in outcome.hidden
            else {}
        )
        for count, rows in (outcome.more_hidden.get(metric.name, {}) if outcome else {}).items():
            earlier = more.get(count)
            more[count] = pa.array(rows if earlier is None else rows | earlier.to_numpy(zero_copy_only=False))
        published = suppress(full[metric.name], metric.columns, rule, more)
        if outcome:  # an ICS count that, less the providers' shown counts, narrows a hidden one is hidden too
            exposed = secondary.exposed_ics_counts(full[metric.name], published, metric.columns, rule)
            for count, rows in exposed.items():
                earlier = more.get(count)
                more[count] = pa.array(rows if earlier is None else rows | earlier.to_numpy(zero_copy_only=False))
            published = suppress(full[metric.name], metric.columns, rule, more) if exposed else published
        con.register("published_rows", published)
        con.execute(f"CREATE OR REPLACE TABLE {metric.published_table} AS SELECT * FROM published_rows")
        con.unregister("published_rows")
    con.register("disclosure_rows", _summary(outcome))
    con.execute(
        f"CREATE OR REPLACE TABLE {catalog.PUBLISHED_SCHEMA}.disclosure_summary AS SELECT * FROM disclosure_rows"
    )
    con.unregister("disclosure_rows")
    return outcome


@dataclass(frozen=True)
class DisclosureSummary:
    """How much of unit_cost_benchmark the last refresh hid: for small counts, by the dominance rule (and not for a
    small count), and by secondary suppression; and what the dominance rule hid in cost_driver_benchmark."""

    cells: int
    primary_cells: int
    secondary_cells: int
    cost: float
    primary_cost: float
    secondary_cost: float
    dominance_cells: int = 0
    dominance_cost: float = 0.0
    driver_cells: int = 0
    driver_dominance_cells: int = 0
    driver_dominance_cost: float = 0.0

    def sentence(self) -> str:
        if not self.cells:
            return "Disclosure control: no provider cells hidden (suppression is off, or there are no cost cells)."
        share = self.secondary_cost / self.cost if self.cost else 0.0
        dominance_share = self.dominance_cost / self.cost if self.cost else 0.0
        return (
            f"Disclosure control: of {self.cells:,} provider cells in unit_cost_benchmark, {self.primary_cells:,} are "
            f"hidden for a small count, {self.dominance_cells:,} because one or two patients make up most of their "
            f"cost (£{self.dominance_cost:,.0f}, {dominance_share:.1%} of the cost) and {self.secondary_cells:,} more "
            f"(£{self.secondary_cost:,.0f}, {share:.1%}) so that none can be worked out from the totals around it; "
            f"of {self.driver_cells:,} cells in cost_driver_benchmark, {self.driver_dominance_cells:,} are hidden "
            f"because one or two patients make up most of their cost (£{self.driver_dominance_cost:,.0f})."
        )


def disclosure_summary(store: Store) -> DisclosureSummary | None:
    """What the last publish hid (None when suppression is off or nothing was published yet)."""
    found = store.con.execute(
        "SELECT * FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'disclosure_summary'",
        [catalog.PUBLISHED_SCHEMA],
    ).fetchall()
    if not found:
        return None
    rows = store.con.execute(f"SELECT * FROM {catalog.PUBLISHED_SCHEMA}.disclosure_summary").fetchall()
    return DisclosureSummary(*rows[0]) if rows else None


def _summary(outcome: secondary.SecondaryOutcome | None) -> pa.Table:
    """One row: cells and cost of unit_cost_benchmark, and how much the small-number rule, the dominance rule and
    secondary suppression hid."""
    o = outcome or secondary.SecondaryOutcome({}, 0, 0, 0, 0.0, 0.0, 0.0)
    return pa.table(
        {
            "cells": [o.cells],
            "primary_cells": [o.primary_cells],
            "secondary_cells": [o.secondary_cells],
            "cost": [o.cost],
            "primary_cost": [o.primary_cost],
            "secondary_cost": [o.secondary_cost],
            "dominance_cells": [o.dominance_cells],
            "dominance_cost": [o.dominance_cost],
            "driver_cells": [o.driver_cells],
            "driver_dominance_cells": [o.driver_dominance_cells],
            "driver_dominance_cost": [o.driver_dominance_cost],
        }
    )

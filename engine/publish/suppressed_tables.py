"""The store's published schema: every published result table with disclosure control applied.

Everything else that is published (the Parquet files, the workbooks, the Power BI report, the ICS SQL Server's
results) is read from these tables, never from the full results, so the rules are applied in one place. What
disclosure control hid in each table (rows and cost, by the small-number rule, the dominance rule and secondary
suppression) is written to `published.disclosure_summary` for the refresh summary and `icsbench quality`: internal,
never exported (the published files, workbooks, Power BI and the ICS SQL Server take only the catalog's tables).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.metrics import catalog
from engine.publish import secondary, suppression
from engine.publish.suppression import SuppressionRule, suppress
from engine.store import Store


def publish_tables(store: Store) -> secondary.SecondaryOutcome | None:
    """Write published.<name> for every published table: its full results with disclosure control applied."""
    rule = SuppressionRule.from_config(store.config.suppression)
    con = store.con
    full = {m.name: con.sql(f"SELECT * FROM {m.table}").to_arrow_table() for m in catalog.published()}
    places = {d: p.name for p in store.config.population.places for d in p.districts}
    outcome = secondary.choose(full, rule, places, store.config.service_lines) if rule.enabled else None
    done: dict[str, pa.Table] = {}
    for metric in catalog.published():
        more = _hidden_beyond_rules(metric.name, full[metric.name], rule, outcome)
        published = suppress(full[metric.name], metric.columns, rule, _arrays(more))
        if outcome:  # an ICS count that, less the providers' shown counts, narrows a hidden one is hidden too
            exposed = secondary.exposed_ics_counts(full[metric.name], published, metric.columns, rule)
            # an ICS rate that, less the providers' shown rate x count, narrows a hidden provider's money (issue 16k)
            money = secondary.exposed_ics_money(metric.name, full[metric.name], published, metric.columns, rule)
            exposed = _either(exposed, money)
            if metric.name in secondary.ICS_PARTNERS and exposed:  # a step's ICS figures hidden: the whole's too
                count = secondary.ICS_PARTNERS[metric.name][0]
                exposed = _either(
                    exposed, secondary.ics_partners(metric.name, full[metric.name], rule, exposed.get(count))
                )
            if exposed:
                published = suppress(full[metric.name], metric.columns, rule, _arrays(_either(more, exposed)))
            if metric.name == "opportunity_summary" and "unit_cost_benchmark" in done:
                # an HRG's (a POD's) ICS count less its cells' (HRGs') shown ones narrows a hidden count (issue 16k)
                while True:
                    levels = secondary.exposed_ics_levels(
                        full["unit_cost_benchmark"], done["unit_cost_benchmark"], full[metric.name], published, rule
                    )
                    if not (levels & ~exposed.get("ics_activity", np.zeros(len(levels), dtype=bool))).any():
                        break
                    exposed = _either(exposed, {"ics_activity": levels})
                    published = suppress(full[metric.name], metric.columns, rule, _arrays(_either(more, exposed)))
        done[metric.name] = published
        con.register("published_rows", published)
        con.execute(f"CREATE OR REPLACE TABLE {metric.published_table} AS SELECT * FROM published_rows")
        con.unregister("published_rows")
    con.register("disclosure_rows", _summary(full, rule, outcome))
    con.execute(
        f"CREATE OR REPLACE TABLE {catalog.PUBLISHED_SCHEMA}.disclosure_summary AS SELECT * FROM disclosure_rows"
    )
    con.unregister("disclosure_rows")
    return outcome


def _hidden_beyond_rules(
    name: str, table: pa.Table, rule: SuppressionRule, outcome: secondary.SecondaryOutcome | None
) -> dict[str, np.ndarray]:
    """Rows of each count of `name` that secondary suppression hides beyond the table's own rules: the integer
    program's choice, the rows that restate a hidden cost or roll a hidden quarter up (more_hidden), pathway_cost's
    ICS partners and the settings hidden with a hidden setting of gp_practice_cost's row (row_partners)."""
    more: dict[str, np.ndarray] = {}
    if outcome is not None:
        if name in outcome.hidden:
            rows = np.asarray(outcome.hidden[name], dtype=bool)
            more = {c: rows for c in secondary.hidden_counts(name)}
        more = _either(more, outcome.more_hidden.get(name, {}))
    more = _either(more, secondary.ics_partners(name, table, rule))
    return _either(more, secondary.row_partners(name, table, rule))


def _either(first: dict[str, np.ndarray], second: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rows hidden in either, count by count."""
    out = dict(first)
    for count, rows in second.items():
        rows = np.asarray(rows, dtype=bool)
        out[count] = rows if count not in out else out[count] | rows
    return out


def _arrays(hidden: Mapping[str, np.ndarray]) -> dict[str, pa.Array]:
    return {count: pa.array(rows) for count, rows in hidden.items()}


# The money a table's rows carry, for the disclosure summary: the first of these it has (a cost that grows with its
# count). Tables with none (lengths of stay alone, clinical support's per-case costs, shares) are reported in rows.
COST_COLUMNS = ("total_cost", "driver_cost", "cost", "ward_cost", "cohort_cost", "cost_loaded")
SUMMARY_SCHEMA = pa.schema(
    [
        ("table_name", pa.string()),
        ("count_column", pa.string()),  # the count whose blank hides the row
        ("cost_column", pa.string()),  # the money summed (None: the table has none)
        ("rows", pa.int64()),
        ("shown_rows", pa.int64()),
        ("small_rows", pa.int64()),  # hidden for a small (or missing) count
        ("dominated_rows", pa.int64()),  # hidden by the dominance rule, the count not small
        ("secondary_rows", pa.int64()),  # hidden by secondary suppression, by neither rule of their own
        ("cost", pa.decimal128(18, 4)),
        ("shown_cost", pa.decimal128(18, 4)),
        ("small_cost", pa.decimal128(18, 4)),
        ("dominated_cost", pa.decimal128(18, 4)),
        ("secondary_cost", pa.decimal128(18, 4)),
        ("secondary_row_share", pa.float64()),  # secondary_rows / rows: hidden beyond primary suppression
        ("secondary_cost_share", pa.float64()),  # secondary_cost / cost
    ]
)
_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class TableDisclosure:
    """One published table: its rows and (for a money table) their cost, as shown and as hidden by each rule. The
    cost is the full results' (the true figures), so the shares say what the published table lost."""

    table_name: str
    count_column: str
    cost_column: str | None
    rows: int
    shown_rows: int
    small_rows: int
    dominated_rows: int
    secondary_rows: int
    cost: Decimal | None
    shown_cost: Decimal | None
    small_cost: Decimal | None
    dominated_cost: Decimal | None
    secondary_cost: Decimal | None
    secondary_row_share: float | None
    secondary_cost_share: float | None


@dataclass(frozen=True)
class DisclosureSummary:
    """What disclosure control hid in the last refresh's published tables, per table (published.disclosure_summary)."""

    tables: tuple[TableDisclosure, ...]

    @property
    def small_rows(self) -> int:
        return sum(t.small_rows for t in self.tables)

    @property
    def dominated_rows(self) -> int:
        return sum(t.dominated_rows for t in self.tables)

    @property
    def secondary_rows(self) -> int:
        return sum(t.secondary_rows for t in self.tables)

    def table(self, name: str) -> TableDisclosure | None:
        return next((t for t in self.tables if t.table_name == name), None)

    def sentence(self) -> str:
        """The refresh summary's one sentence: totals over every published table, and the cost hidden in the cell
        table (the tables nest, so their costs are not added up)."""
        hidden = self.small_rows + self.dominated_rows + self.secondary_rows
        if not hidden:
            return (
                f"Disclosure control hid nothing in the {len(self.tables)} published tables (suppression is off, or "
                "no cell is small)."
            )
        text = (
            f"Disclosure control hid {self.small_rows:,} small cells, {self.dominated_rows:,} dominated by one or "
            f"two patients and {self.secondary_rows:,} more to stop differencing, of "
            f"{sum(t.rows for t in self.tables):,} rows in {len(self.tables)} published tables"
        )
        cells = self.table(secondary.CELL.table)
        if cells is None or not cells.cost:
            return text + "; `icsbench quality` lists each table."
        beyond = (cells.dominated_cost or 0) + (cells.secondary_cost or 0)
        return (
            f"{text}; in {cells.table_name}, £{cells.small_cost or 0:,.0f} of its £{cells.cost:,.0f} is in small "
            f"cells and £{beyond:,.0f} ({beyond / cells.cost:.1%}) more is hidden by the other two rules "
            "(`icsbench quality` lists each table)."
        )


def disclosure_summary(store: Store) -> DisclosureSummary | None:
    """What the last publish hid (None when nothing was published yet, or by a version without the per-table
    summary)."""
    rows = disclosure_summary_table(store)
    return None if rows is None else summary_of(rows)


def disclosure_summary_table(store: Store) -> pa.Table | None:
    """The rows of published.disclosure_summary, typed as SUMMARY_SCHEMA (None: none, or an older version's)."""
    found = store.con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = 'disclosure_summary' "
        "ORDER BY column_index",
        [catalog.PUBLISHED_SCHEMA],
    ).fetchall()
    if [name for (name,) in found] != SUMMARY_SCHEMA.names:
        return None
    rows = store.con.sql(f"SELECT * FROM {catalog.PUBLISHED_SCHEMA}.disclosure_summary").to_arrow_table()
    return rows.cast(SUMMARY_SCHEMA)


def summary_of(rows: pa.Table) -> DisclosureSummary:
    """The summary from the rows of a disclosure_summary table (the store's, or the snapshot's copy)."""
    return DisclosureSummary(tuple(TableDisclosure(**row) for row in rows.select(SUMMARY_SCHEMA.names).to_pylist()))


def cost_column(metric: catalog.Metric) -> str | None:
    """The money column the summary adds up for `metric` (None when it has none)."""
    names = {c.name for c in metric.columns if c.role == "from" and c.total}
    return next((name for name in COST_COLUMNS if name in names), None)


def row_count(metric: catalog.Metric) -> str | None:
    """The count whose blank hides a row of `metric`: the one its money rests on, or the one secondary suppression
    hides, or its first provider count (None: the table has no count, nothing in it is hidden)."""
    money = cost_column(metric)
    if money is not None:
        return metric.column(money).source
    if metric.name in secondary.TABLES:
        return secondary.count_column(metric.name)
    return next((c.name for c in metric.columns if c.role == "count" and not c.name.startswith("ics_")), None)


def _summary(full: dict[str, pa.Table], rule: SuppressionRule, outcome: secondary.SecondaryOutcome | None) -> pa.Table:
    """One row per published table with a count: its rows and cost, shown and hidden by each rule. Which rows each
    rule hid is read from the rules themselves (engine.publish.suppression) and from secondary suppression's
    choice, so the summary counts what was done, not a second version of it."""
    rows = []
    for metric in catalog.published():
        count = row_count(metric)
        if count is None:
            continue
        table = full[metric.name]
        nothing = np.zeros(table.num_rows, dtype=bool)
        small, dominated, more = nothing, nothing, nothing
        if rule.enabled:
            small = _mask(suppression.small_hidden(table, metric.columns, rule)[count])
            found = suppression.dominated(table, metric.columns, rule).get(count)
            dominated = nothing if found is None else _mask(found) & ~small
            beyond = _hidden_beyond_rules(metric.name, table, rule, outcome).get(count)
            more = nothing if beyond is None else beyond & ~small & ~dominated
        shown = ~(small | dominated | more)
        money = cost_column(metric)
        costs = [_cost(table, money, m) for m in (np.ones(table.num_rows, dtype=bool), shown, small, dominated, more)]
        rows.append(
            {
                "table_name": metric.name,
                "count_column": count,
                "cost_column": money,
                "rows": table.num_rows,
                "shown_rows": int(shown.sum()),
                "small_rows": int(small.sum()),
                "dominated_rows": int(dominated.sum()),
                "secondary_rows": int(more.sum()),
                **dict(
                    zip(("cost", "shown_cost", "small_cost", "dominated_cost", "secondary_cost"), costs, strict=True)
                ),
                "secondary_row_share": int(more.sum()) / table.num_rows if table.num_rows else None,
                "secondary_cost_share": float(costs[4] / costs[0]) if costs[0] and costs[4] is not None else None,
            }
        )
    return pa.Table.from_pylist(rows, schema=SUMMARY_SCHEMA)


def _mask(hidden: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(hidden, False).to_numpy(zero_copy_only=False), dtype=bool)


def _cost(table: pa.Table, column: str | None, rows: np.ndarray) -> Decimal | None:
    """The results' cost of the rows (to the hundredth of a penny, as the published money columns); None without a
    money column."""
    if column is None:
        return None
    total = pc.sum(pc.filter(table[column], pa.array(rows))).as_py()
    return Decimal(0).quantize(_PLACES) if total is None else Decimal(str(total)).quantize(_PLACES)

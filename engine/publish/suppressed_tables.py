"""The store's published schema: every published result table with disclosure control applied.

Everything else that is published (the Parquet files, the workbooks, the Power BI report, the ICS SQL Server's
results) is read from these tables, never from the full results, so the rules are applied in one place. What
disclosure control hid in each table (rows and cost, by the small-number rule, the dominance rule and secondary
suppression) is written to `published.disclosure_summary` for the refresh summary and `icsbench quality`: internal,
never exported (the published files, workbooks, Power BI and the ICS SQL Server take only the catalog's tables).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.metrics import catalog
from engine.publish import chained, highs, ics_money, secondary, suppression
from engine.publish.suppression import SuppressionRule, suppress
from engine.store import Store

# DuckDB's share of the store's memory_limit while publishing: the result tables are computed and the published ones
# read, so DuckDB needs little, while Python holds the tables, secondary suppression's arrays and HiGHS's models
# (about 1 GB at scale 1.0). Without it, the refresh's peak was DuckDB's full buffer pool plus those (3.49 GB at 1.0).
PUBLISHING_MEMORY_SHARE = 0.5


def publish_tables(store: Store) -> secondary.SecondaryOutcome | None:
    """Write published.<name> for every published table: its full results with disclosure control applied, and what
    it hid (published.disclosure_summary, disclosure_within_rows and disclosure_audits)."""
    with highs.tallied() as tally, store.memory_share(PUBLISHING_MEMORY_SHARE):
        outcome = _publish(store)
    store.con.register(
        "disclosure_rows", pa.table({"runs": [tally.runs], "unsettled": [tally.unsettled]}, AUDITS_SCHEMA)
    )
    store.con.execute(
        f"CREATE OR REPLACE TABLE {catalog.PUBLISHED_SCHEMA}.disclosure_audits AS SELECT * FROM disclosure_rows"
    )
    store.con.unregister("disclosure_rows")
    return outcome


def _publish(store: Store) -> secondary.SecondaryOutcome | None:
    rule = SuppressionRule.from_config(store.config.suppression)
    con = store.con
    full = {m.name: con.sql(f"SELECT * FROM {m.table}").to_arrow_table() for m in catalog.published()}
    places = {d: p.name for p in store.config.population.places for d in p.districts}
    outcome = secondary.choose(full, rule, places, store.config.service_lines) if rule.enabled else None
    done: dict[str, pa.Table] = {}
    steps: dict[str, list[tuple[str, Mapping[str, np.ndarray]]]] = {}  # the column rules each table's rows met
    hid: dict[str, tuple[dict[str, np.ndarray], dict[str, np.ndarray]]] = {}  # rows hidden beyond the rules, ICS
    for metric in catalog.published():
        steps[metric.name] = _column_steps(metric.name, full[metric.name], rule, outcome)
        more = _hidden_beyond_rules(metric.name, full[metric.name], rule, outcome, steps[metric.name])
        published = suppress(full[metric.name], metric.columns, rule, _arrays(more))
        if outcome:  # an ICS count that, less the providers' shown counts, narrows a hidden one is hidden too
            exposed = secondary.exposed_ics_counts(full[metric.name], published, metric.columns, rule)
            # an ICS rate that, less the providers' shown rate x count, narrows a hidden provider's money (issue 16k)
            money = ics_money.exposed_ics_money(metric.name, full[metric.name], published, metric.columns, rule)
            steps[metric.name] += [(ICS_COUNTS, exposed), (ICS_MONEY, money)]
            exposed = _either(exposed, money)
            if metric.name in secondary.ICS_PARTNERS and exposed:  # a step's ICS figures hidden: the whole's too
                count = secondary.ICS_PARTNERS[metric.name][0]
                partners = secondary.ics_partners(metric.name, full[metric.name], rule, exposed.get(count))
                steps[metric.name].append((ICS_PARTNERS, partners))
                exposed = _either(exposed, partners)
            if exposed:
                published = suppress(full[metric.name], metric.columns, rule, _arrays(_either(more, exposed)))
            if metric.name == "opportunity_summary" and "unit_cost_benchmark" in done:
                published, exposed = _levels(full, done, published, more, exposed, rule, steps)
        done[metric.name] = published
        hid[metric.name] = (more, exposed if outcome else {})
    if outcome:  # the ICS money route and the sums together narrow a hidden cost (issue 16p)
        _chained(full, done, rule, places, store, hid, steps)
    for metric in catalog.published():
        con.register("published_rows", done[metric.name])
        con.execute(f"CREATE OR REPLACE TABLE {metric.published_table} AS SELECT * FROM published_rows")
        con.unregister("published_rows")
    con.register("disclosure_rows", _summary(full, rule, outcome))
    con.execute(
        f"CREATE OR REPLACE TABLE {catalog.PUBLISHED_SCHEMA}.disclosure_summary AS SELECT * FROM disclosure_rows"
    )
    con.unregister("disclosure_rows")
    con.register("disclosure_rows", within_rows(full, done, rule, steps))
    con.execute(
        f"CREATE OR REPLACE TABLE {catalog.PUBLISHED_SCHEMA}.disclosure_within_rows AS SELECT * FROM disclosure_rows"
    )
    con.unregister("disclosure_rows")
    return outcome


def _levels(
    full: Mapping[str, pa.Table],
    done: Mapping[str, pa.Table],
    published: pa.Table,
    more: dict[str, np.ndarray],
    exposed: dict[str, np.ndarray],
    rule: SuppressionRule,
    steps: dict[str, list[tuple[str, Mapping[str, np.ndarray]]]],
) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """An HRG's (a POD's) ICS count less its cells' (HRGs') shown ones narrows a hidden count (issue 16k): hide it,
    until nothing more is hidden. opportunity_summary as published, and its ICS counts hidden."""
    name = "opportunity_summary"
    while True:
        levels = ics_money.exposed_ics_levels(
            full["unit_cost_benchmark"], done["unit_cost_benchmark"], full[name], published, rule
        )
        if not (levels & ~exposed.get("ics_activity", np.zeros(len(levels), dtype=bool))).any():
            return published, exposed
        steps[name].append((ICS_LEVELS, {"ics_activity": levels}))
        exposed = _either(exposed, {"ics_activity": levels})
        published = suppress(full[name], catalog.metric(name).columns, rule, _arrays(_either(more, exposed)))


# --- The ICS money route and the published sums taken together (engine/publish/chained.py, issue 16p)
def _chained(
    full: Mapping[str, pa.Table],
    done: dict[str, pa.Table],
    rule: SuppressionRule,
    places: Mapping[str, str],
    store: Store,
    hid: dict[str, tuple[dict[str, np.ndarray], dict[str, np.ndarray]]],
    steps: dict[str, list[tuple[str, Mapping[str, np.ndarray]]]],
) -> None:
    """Hide the ICS counts (and what is built on them) of every ICS cell whose money equation, with the published
    sums, narrows a hidden cost (chained.exposed), and publish those tables in `done` again; then opportunity_summary's
    ICS levels again (a cell's ICS count hidden is a part of its HRG's). One audit is enough: hiding an ICS count only
    takes an equation out of every other cell's program, which can only widen what it allows."""
    found = chained.exposed(full, done, rule, places, store.config.service_lines)
    for name, masks in found.items():
        more, exposed = hid[name]
        steps[name].append((ICS_CHAINED, masks))
        exposed = _either(exposed, masks)
        if name in secondary.ICS_PARTNERS:  # a step's ICS figures hidden: the whole's too
            count = secondary.ICS_PARTNERS[name][0]
            partners = secondary.ics_partners(name, full[name], rule, exposed.get(count))
            steps[name].append((ICS_PARTNERS, partners))
            exposed = _either(exposed, partners)
        hid[name] = (more, exposed)
        done[name] = suppress(full[name], catalog.metric(name).columns, rule, _arrays(_either(more, exposed)))
    if {"unit_cost_benchmark", "opportunity_summary"} & set(found) and "opportunity_summary" in done:
        more, exposed = hid["opportunity_summary"]
        summary = done["opportunity_summary"]
        done["opportunity_summary"], exposed = _levels(full, done, summary, more, exposed, rule, steps)
        hid["opportunity_summary"] = (more, exposed)


def _hidden_beyond_rules(
    name: str,
    table: pa.Table,
    rule: SuppressionRule,
    outcome: secondary.SecondaryOutcome | None,
    steps: list[tuple[str, Mapping[str, np.ndarray]]] | None = None,
) -> dict[str, np.ndarray]:
    """Rows of each count of `name` that secondary suppression hides beyond the table's own rules: the integer
    program's choice, the rows that restate a hidden cost or roll a hidden quarter up (more_hidden), and the column
    rules of _column_steps (given, or worked out again)."""
    more: dict[str, np.ndarray] = {}
    if outcome is not None:
        if name in outcome.hidden:
            rows = np.asarray(outcome.hidden[name], dtype=bool)
            more = {c: rows for c in secondary.hidden_counts(name)}
        more = _either(more, {c: r for c, r in outcome.more_hidden.get(name, {}).items() if not c.startswith("ics_")})
    for _, masks in _column_steps(name, table, rule, outcome) if steps is None else steps:
        more = _either(more, masks)
    return more


# The rules that hide figures within a row (a column), not the row: their names in published.disclosure_within_rows,
# in the order publish_tables applies them (a figure hidden by several is counted under the first).
SMALL, DOMINATED = "small", "dominated"
ROW_PARTNERS = "row partners"  # gp_practice_cost: settings hidden with a hidden one (secondary.row_partners)
RESTATED_ICS = "restated"  # opportunity_summary: an ICS cell another table hides as dominated (restated_ics)
ICS_PARTNERS = "ICS partners"  # pathway_cost: the whole pathway's ICS figures with a step's (secondary.ics_partners)
ICS_COUNTS = "ICS counts"  # the ICS count less the shown providers' narrows a hidden count (exposed_ics_counts)
ICS_MONEY = "ICS money"  # the ICS rate x count less the shown providers' narrows hidden money (exposed_ics_money)
ICS_LEVELS = "ICS levels"  # an HRG's or POD's ICS count less its parts' narrows a hidden count (exposed_ics_levels)
ICS_CHAINED = "ICS money and sums"  # the ICS money route and the published sums together narrow (chained.exposed)
OTHER = "another rule"  # none of the above: a rule added without a name here (a test fails on it)
SETTING_COSTS, ICS_FIGURES = "setting costs", "ICS figures"


def _column_steps(
    name: str, table: pa.Table, rule: SuppressionRule, outcome: secondary.SecondaryOutcome | None
) -> list[tuple[str, Mapping[str, np.ndarray]]]:
    """The column rules met before the table is first suppressed, each with its rows per count: the ICS cells
    another table hides (restated), pathway_cost's ICS partners of primary hidden steps, and the settings hidden with
    a hidden setting of gp_practice_cost's row (row_partners)."""
    restated = {} if outcome is None else outcome.more_hidden.get(name, {})
    return [
        (RESTATED_ICS, {c: r for c, r in restated.items() if c.startswith("ics_")}),
        (ICS_PARTNERS, secondary.ics_partners(name, table, rule)),
        (ROW_PARTNERS, secondary.row_partners(name, table, rule)),
    ]


WITHIN_SCHEMA = pa.schema(
    [
        ("table_name", pa.string()),
        ("figures", pa.string()),  # SETTING_COSTS or ICS_FIGURES
        ("count_column", pa.string()),  # the count whose blank hides the figures (apc_activity, ics_activity ...)
        ("cost_column", pa.string()),  # the money hidden with it (None: the ICS figures, rates)
        ("rule", pa.string()),  # which rule hid them first: SMALL, DOMINATED, ROW_PARTNERS, ICS_MONEY ...
        ("rows", pa.int64()),  # rows of the table where the count is blank for that rule
        ("cost", pa.decimal128(18, 4)),  # the results' money in those rows (None without a cost column)
    ]
)


def within_rows(
    full: Mapping[str, pa.Table],
    published: Mapping[str, pa.Table],
    rule: SuppressionRule,
    steps: Mapping[str, list[tuple[str, Mapping[str, np.ndarray]]]],
) -> pa.Table:
    """Figures hidden within a row, which the per-table summary (rows) does not count: gp_practice_cost's setting
    costs and every table's ICS figures, one row per table, count and rule, rows and (settings) pounds. Each blank
    count is put under its own rules first (small, dominated), then under the first column rule in `steps` whose rows
    include it; a blank no rule claims is put under OTHER, so the rows add up to the blanks published."""
    out = []
    for metric in catalog.published():
        if metric.name not in published or not rule.enabled:
            continue
        table, shown = full[metric.name], published[metric.name]
        counts = [c.name for c in metric.columns if c.role == "count"]
        wanted: list[tuple[str, str | None, str]] = [(c, None, ICS_FIGURES) for c in counts if c.startswith("ics_")]
        if metric.name in secondary.ROW_TOTALS:
            wanted += [(c, v, SETTING_COSTS) for c, v in secondary.ROW_TOTALS[metric.name][1]]
        if not wanted:
            continue
        dominated = suppression.dominated(table, metric.columns, rule)
        for count, money, figures in wanted:
            blank = _mask(pc.is_null(shown[count]))
            small = _mask(rule.hidden(table[count]))
            claimed = [(SMALL, small), (DOMINATED, _mask(dominated[count]) if count in dominated else None)]
            claimed += [(label, masks.get(count)) for label, masks in steps.get(metric.name, [])]
            claimed.append((OTHER, blank))
            taken = np.zeros(table.num_rows, dtype=bool)
            counted: dict[str, np.ndarray] = {}
            for label, rows in claimed:
                if rows is None:
                    continue
                mine = np.asarray(rows, dtype=bool) & blank & ~taken
                taken |= mine
                counted[label] = counted.get(label, np.zeros(table.num_rows, dtype=bool)) | mine
            for label, mine in counted.items():
                if mine.any():
                    out.append(
                        {
                            "table_name": metric.name,
                            "figures": figures,
                            "count_column": count,
                            "cost_column": money,
                            "rule": label,
                            "rows": int(mine.sum()),
                            "cost": _cost(table, money, mine),
                        }
                    )
    return pa.Table.from_pylist(out, schema=WITHIN_SCHEMA)


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
AUDITS_SCHEMA = pa.schema(
    [
        # linear programs the audits ran (the overlapping margins, the chained route); it varies a little between
        # runs of the same results (1,655 and 1,666 in one test), as HiGHS finds its witnesses, the pattern does not
        ("runs", pa.int64()),
        ("unsettled", pa.int64()),  # of them, ended neither optimal nor unbounded twice: what they audited was hidden
    ]
)

SUMMARY_SCHEMA = pa.schema(
    [
        ("table_name", pa.string()),
        ("count_column", pa.string()),  # the count whose blank hides the row
        ("cost_column", pa.string()),  # the money summed (None: the table has none)
        ("rows", pa.int64()),
        ("shown_rows", pa.int64()),
        ("small_rows", pa.int64()),  # hidden for a small (or missing) count
        ("dominated_rows", pa.int64()),  # hidden by the dominance rule (or too few patients), the count not small
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
class WithinRows:
    """Figures of one count of a table hidden within its rows by one rule (published.disclosure_within_rows)."""

    table_name: str
    figures: str
    count_column: str
    cost_column: str | None
    rule: str
    rows: int
    cost: Decimal | None


@dataclass(frozen=True)
class DisclosureSummary:
    """What disclosure control hid in the last refresh's published tables, per table (published.disclosure_summary),
    the figures it hid within rows (published.disclosure_within_rows) and how its audits' linear programs ended
    (published.disclosure_audits; None when kept by a version without it)."""

    tables: tuple[TableDisclosure, ...]
    within: tuple[WithinRows, ...] = ()
    audits: highs.Tally | None = None

    @property
    def small_rows(self) -> int:
        return sum(t.small_rows for t in self.tables)

    @property
    def dominated_rows(self) -> int:
        return sum(t.dominated_rows for t in self.tables)

    @property
    def secondary_rows(self) -> int:
        return sum(t.secondary_rows for t in self.tables)

    def hidden_within(self, figures: str, rule: str | None = None) -> tuple[int, Decimal]:
        """(rows, pounds) of `figures` (SETTING_COSTS, ICS_FIGURES) hidden within rows, by `rule` or by any."""
        found = [w for w in self.within if w.figures == figures and rule in (None, w.rule)]
        return sum(w.rows for w in found), sum((w.cost or Decimal(0) for w in found), Decimal(0))

    def within_sentence(self) -> str:
        """Figures hidden within rows, which the rows above do not count, in plain words ("" when none)."""
        out = []
        settings, pounds = self.hidden_within(SETTING_COSTS)
        if settings:
            why = [
                (SMALL, "for few records"),
                (DOMINATED, "dominated by one or two patients or from too few"),
                (ROW_PARTNERS, "so the practice's total less the settings shown does not give one back"),
                (OTHER, "by another rule"),
            ]
            parts = [(self.hidden_within(SETTING_COSTS, r), text) for r, text in why]
            out.append(
                f"Within rows, it hid {settings:,} GP practice setting costs (£{pounds:,.0f}): "
                + _listed([f"{n:,} (£{p:,.0f}) {text}" for (n, p), text in parts if n])
                + "."
            )
        beyond = [
            (ICS_COUNTS, "so the ICS count less the providers' shown counts does not narrow a hidden one"),
            (ICS_MONEY, "so the ICS rate does not give back a hidden provider's money"),
            (ICS_LEVELS, "so an HRG's or POD's ICS count less its parts' does not narrow a hidden one"),
            (ICS_CHAINED, "so the ICS rate and the published sums together do not narrow a hidden cost"),
            (ICS_PARTNERS, "with a hidden pathway step's"),
            (RESTATED_ICS, "as another table hides the same ICS cost"),
            (OTHER, "by another rule"),
        ]
        counted = [(self.hidden_within(ICS_FIGURES, r)[0], text) for r, text in beyond]
        if any(n for n, _ in counted):
            own = sum(self.hidden_within(ICS_FIGURES, r)[0] for r in (SMALL, DOMINATED))
            out.append(
                f"The ICS figures beside {sum(n for n, _ in counted):,} provider rows were hidden beyond the "
                f"{own:,} hidden for a small or dominated ICS cell: "
                + _listed([f"{n:,} {text}" for n, text in counted if n])
                + "."
            )
        return " ".join(out)

    def audit_sentence(self) -> str:
        """How the linear programs that audit the pattern ended, in plain words ("" when none ran or none was
        counted)."""
        if self.audits is None or not self.audits.runs:
            return ""
        if not self.audits.unsettled:
            return f"HiGHS settled all {self.audits.runs:,} linear programs that audit the pattern."
        return (
            f"HiGHS could not settle {self.audits.unsettled:,} of the {self.audits.runs:,} linear programs that "
            "audit the pattern: what they audited was hidden rather than published unproven, so more may be hidden "
            "than needed (tell the tool's maintainers if it happens again)."
        )

    def table(self, name: str) -> TableDisclosure | None:
        return next((t for t in self.tables if t.table_name == name), None)

    def sentence(self) -> str:
        """The refresh summary's one sentence: totals over every published table, and the cost hidden in the cell
        table (the tables nest, so their costs are not added up)."""
        hidden = self.small_rows + self.dominated_rows + self.secondary_rows
        unsettled = self.audit_sentence() if self.audits and self.audits.unsettled else ""
        if not hidden:
            return (
                f"Disclosure control hid nothing in the {len(self.tables)} published tables (suppression is off, or "
                "no cell is small)."
            )
        text = (
            f"Disclosure control hid {self.small_rows:,} small cells, {self.dominated_rows:,} dominated by one or "
            f"two patients or from too few and {self.secondary_rows:,} more to stop differencing, of "
            f"{sum(t.rows for t in self.tables):,} rows in {len(self.tables)} published tables"
        )
        cells = self.table(secondary.CELL.table)
        within = self.within_sentence()
        if cells is None or not cells.cost:
            return " ".join(filter(None, (text + "; `icsbench quality` lists each table.", within, unsettled)))
        beyond = (cells.dominated_cost or 0) + (cells.secondary_cost or 0)
        text = (
            f"{text}; in {cells.table_name}, £{cells.small_cost or 0:,.0f} of its £{cells.cost:,.0f} is in small "
            f"cells and £{beyond:,.0f} ({beyond / cells.cost:.1%}) more is hidden by the other two rules "
            "(`icsbench quality` lists each table)."
        )
        return " ".join(filter(None, (text, within, unsettled)))


def _listed(items: Sequence[str]) -> str:
    """a, b and c."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def disclosure_summary(store: Store) -> DisclosureSummary | None:
    """What the last publish hid (None when nothing was published yet, or by a version without the per-table
    summary)."""
    rows = disclosure_summary_table(store)
    return None if rows is None else summary_of(rows, disclosure_within_table(store), disclosure_audits_table(store))


def disclosure_summary_table(store: Store) -> pa.Table | None:
    """The rows of published.disclosure_summary, typed as SUMMARY_SCHEMA (None: none, or an older version's)."""
    return _stored(store, "disclosure_summary", SUMMARY_SCHEMA)


def disclosure_within_table(store: Store) -> pa.Table | None:
    """The rows of published.disclosure_within_rows, typed as WITHIN_SCHEMA (None: none, or an older version's)."""
    return _stored(store, "disclosure_within_rows", WITHIN_SCHEMA)


def disclosure_audits_table(store: Store) -> pa.Table | None:
    """The row of published.disclosure_audits, typed as AUDITS_SCHEMA (None: none, or an older version's)."""
    return _stored(store, "disclosure_audits", AUDITS_SCHEMA)


def _stored(store: Store, name: str, schema: pa.Schema) -> pa.Table | None:
    found = store.con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [catalog.PUBLISHED_SCHEMA, name],
    ).fetchall()
    if [column for (column,) in found] != schema.names:
        return None
    rows = store.con.sql(f"SELECT * FROM {catalog.PUBLISHED_SCHEMA}.{name}").to_arrow_table()
    return rows.cast(schema)


def summary_of(rows: pa.Table, within: pa.Table | None = None, audits: pa.Table | None = None) -> DisclosureSummary:
    """The summary from the rows of a disclosure_summary table (the store's, or the snapshot's copy) and of its
    disclosure_within_rows and disclosure_audits tables (None: kept by a version without them)."""
    tables = tuple(TableDisclosure(**row) for row in rows.select(SUMMARY_SCHEMA.names).to_pylist())
    found = () if within is None else tuple(WithinRows(**r) for r in within.select(WITHIN_SCHEMA.names).to_pylist())
    tally = None if audits is None else highs.Tally(**audits.select(AUDITS_SCHEMA.names).to_pylist()[0])
    return DisclosureSummary(tables, found, tally)


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

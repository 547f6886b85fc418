"""Readable summaries of the store for people: what loaded, how good it is, and what was rejected.

Each function runs a SQL file and returns rows already formatted as text, so the CLI (and the Excel layer) only
prints them. What the store holds and how good it is (`status`, `quality`) are read from the snapshot every load and
refresh leaves beside the store (engine.publish.store_snapshot), never from the store itself, so they answer while a
load or refresh is running and never hold it up; a store older than snapshots is read directly until its next load.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from engine import sql_files
from engine.config import IcsConfig
from engine.publish import store_snapshot, suppressed_tables
from engine.store import open_store


@dataclass(frozen=True)
class ReportColumn:
    title: str
    justify: str = "right"


@dataclass(frozen=True)
class Report:
    columns: tuple[ReportColumn, ...]
    rows: Sequence[tuple[str, ...]]
    issues: Sequence[tuple[str, ...]]


@dataclass(frozen=True)
class StoreSummary:
    path: Path
    rows: Sequence[tuple[str, ...]]
    records: int
    cost_lines: int
    cost: Decimal
    loads: int
    last_load: str | None
    as_of: str | None = None  # when the snapshot read was written (UTC), None when read from the store itself


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _money(value: Decimal | float | None) -> str:
    return "" if value is None else f"£{Decimal(value):,.2f}"


def data_quality(config: IcsConfig, *, provider: str | None = None, by_period: bool = False) -> Report:
    """Per provider and setting (or per period): rows, cost, rejections, zero-cost and missing-HRG shares."""
    with _store_as_read(config) as (con, _):
        params = {"provider": provider}
        if by_period:
            result = con.execute(sql_files.read("reports/data_quality_by_period.sql"), params).fetchall()
        else:
            result = [
                (r[0], r[1], f"{r[2]} periods", *r[3:])
                for r in con.execute(sql_files.read("reports/data_quality_summary.sql"), params).fetchall()
            ]
        issues = con.execute(sql_files.read("reports/data_quality_reasons.sql"), params).fetchall()
    columns = tuple(
        ReportColumn(t, "left" if t in ("Provider", "Setting", "Period", "Control total") else "right")
        for t in (
            "Provider",
            "Setting",
            "Period",
            "Records",
            "Cost lines",
            "Cost loaded",
            "Rejected",
            "Warnings",
            "Zero cost",
            "Missing HRG",
            "With patient id",
            "Control total",
        )
    )
    rows = [
        (
            str(r[0]),
            str(r[1]),
            str(r[2]),
            f"{r[3]:,}",
            f"{r[4]:,}",
            _money(r[5]),
            f"{r[6]:,}",
            f"{r[7]:,}",
            _share(r[8]),
            _share(r[9]),
            _share(r[10]),
            _control_text(r[11]),
        )
        for r in result
    ]
    issue_rows = [
        (str(r[0] or "unknown"), str(r[1]), str(r[2]), str(r[3]), str(r[4] or ""), f"{r[5]:,}", str(r[6]))
        for r in issues
    ]
    return Report(columns, rows, issue_rows)


DISCLOSURE_TITLES = (
    "Table",
    "Rows",
    "Shown",
    "Small",
    "Dominated",
    "Secondary",
    "Secondary %",
    "Cost",
    "Small £",
    "Dominated £",
    "Secondary £",
    "Secondary % of £",
)


WITHIN_TITLES = ("Table", "Figures", "Count", "Rule", "Rows", "Cost")


@dataclass(frozen=True)
class DisclosureReport:
    """`icsbench quality`'s account of disclosure control: rows hidden per table, figures hidden within rows, and the
    latter in words (the refresh summary's, from the same stored summary)."""

    tables: Report
    within: Report
    within_sentence: str
    audit_sentence: str = ""


def disclosure(config: IcsConfig) -> DisclosureReport | None:
    """What disclosure control hid in each published table at the last refresh: rows and (for money tables) their
    cost, by the small-number rule, the dominance rule and secondary suppression, and the share hidden beyond the
    first two. None before the first refresh."""
    if store_snapshot.exists(config):
        summary = store_snapshot.disclosure(config)
    else:
        store = open_store(config, read_only=True)
        try:
            summary = suppressed_tables.disclosure_summary(store)
        finally:
            store.close()
    if summary is None:
        return None
    columns = tuple(ReportColumn(t, "left" if t == "Table" else "right") for t in DISCLOSURE_TITLES)
    rows = [
        (
            t.table_name,
            f"{t.rows:,}",
            f"{t.shown_rows:,}",
            f"{t.small_rows:,}",
            f"{t.dominated_rows:,}",
            f"{t.secondary_rows:,}",
            _share(t.secondary_row_share),
            _whole_pounds(t.cost),
            _whole_pounds(t.small_cost),
            _whole_pounds(t.dominated_cost),
            _whole_pounds(t.secondary_cost),
            _share(t.secondary_cost_share),
        )
        for t in summary.tables
    ]
    within = [
        (w.table_name, w.figures, w.count_column, w.rule, f"{w.rows:,}", _whole_pounds(w.cost)) for w in summary.within
    ]
    within_columns = tuple(ReportColumn(t, "right" if t in ("Rows", "Cost") else "left") for t in WITHIN_TITLES)
    return DisclosureReport(
        Report(columns, rows, ()),
        Report(within_columns, within, ()),
        summary.within_sentence(),
        summary.audit_sentence(),
    )


def _whole_pounds(value: Decimal | None) -> str:
    return "" if value is None else f"£{value:,.0f}"


def _control_text(value: str | None) -> str:
    if not value:
        return ""
    statuses = {part.split(": ", 1)[-1] for part in value.split("; ")}
    if statuses == {"none supplied"}:
        return "none supplied"
    if statuses <= {"matched", "none supplied"}:
        return "matched"
    return value


def quarantine(
    config: IcsConfig, *, file_name: str | None = None, limit: int | None = 50
) -> tuple[list[tuple[str, ...]], int]:
    """Rejected rows (file, row, provider, check, column, reason, value) and how many there are in all."""
    store = open_store(config, read_only=True)
    try:
        params: dict[str, object] = {"file_name": file_name}
        total = int(
            store.scalar("SELECT count(*) FROM quarantine WHERE $file_name IS NULL OR file_name = $file_name", params)
            or 0
        )
        sql = sql_files.read("reports/quarantine_rows.sql").rstrip().rstrip(";")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = [tuple("" if v is None else str(v) for v in r) for r in store.con.execute(sql, params).fetchall()]
    finally:
        store.close()
    return rows, total


def store_summary(config: IcsConfig) -> StoreSummary:
    """What the store holds per provider and setting, with grand totals."""
    with _store_as_read(config) as (con, as_of):
        if as_of is None:
            result = con.execute(sql_files.read("reports/store_summary.sql")).fetchall()
            loads = con.execute("SELECT count(*), max(finished_at) FROM loads").fetchall()[0]
        else:
            result = con.execute("SELECT * FROM store_summary ORDER BY org_code, setting").fetchall()
            loads = con.execute("SELECT loads, last_load FROM loads_overview").fetchall()[0]
    rows = [(str(r[0]), str(r[1]), str(r[2]), f"{r[3]:,}", f"{r[4]:,}", _money(r[5])) for r in result]
    return StoreSummary(
        path=config.store_path,
        rows=rows,
        records=sum(int(r[3]) for r in result),
        cost_lines=sum(int(r[4]) for r in result),
        cost=sum((Decimal(r[5]) for r in result), Decimal(0)),
        loads=int(loads[0]),
        last_load=None if loads[1] is None else f"{loads[1]:%Y-%m-%d %H:%M} UTC",
        as_of=as_of,
    )


@contextmanager
def _store_as_read(config: IcsConfig) -> Iterator[tuple[duckdb.DuckDBPyConnection, str | None]]:
    """A connection to the store's snapshot (and when it was written), or to the store itself before its first."""
    if store_snapshot.exists(config):
        with store_snapshot.state(config) as (con, manifest):
            yield con, str(manifest["written_at"]).replace("T", " ")[:16] + " UTC"
        return
    store = open_store(config, read_only=True)
    try:
        yield store.con, None
    finally:
        store.close()


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Write rows to CSV, making text that Excel would treat as a formula inert."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([[inert(v) for v in row] for row in rows])


def inert(value: str) -> str:
    """Prefix text that starts like a formula (=, +, -, @) with an apostrophe so a spreadsheet shows it as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


@dataclass(frozen=True)
class Opportunity:
    org_code: str
    setting: str
    pod: str
    tfc: str
    hrg: str
    unit_of_count: str
    activity: int | None
    units: float | None
    mean_cost: float | None
    ics_mean_cost: float | None
    best_in_system_cost: float | None
    national_mean_cost: float | None
    opportunity_vs_ics: float
    opportunity_vs_best: float | None
    outlier_95: str
    outlier_99_8: str


def top_opportunities(config: IcsConfig, *, provider: str | None = None, limit: int = 10) -> list[Opportunity]:
    """The largest published opportunities against the ICS average, for one provider or the whole system."""
    store = open_store(config, read_only=True)
    try:
        rows = store.con.execute(
            sql_files.read("reports/top_opportunities.sql"), {"provider": provider, "limit": limit}
        ).fetchall()
    finally:
        store.close()
    return [Opportunity(*row) for row in rows]


@dataclass(frozen=True)
class Headline:
    """One provider's headline opportunity against the ICS average, three ways (published figures)."""

    org_code: str
    cost: float | None
    floored: float | None
    net: float | None
    significant: float | None


def headline_opportunities(config: IcsConfig) -> list[Headline]:
    """Each provider's floored, net and significant opportunity against the ICS average for the latest year."""
    store = open_store(config, read_only=True)
    try:
        relation = store.con.sql(sql_files.read("reports/workbook_providers.sql").rstrip().rstrip(";"))
        rows = relation.select("org_code, cost, opportunity_vs_ics, net_vs_ics, significant_vs_ics").fetchall()
    finally:
        store.close()
    return [Headline(*row) for row in rows]

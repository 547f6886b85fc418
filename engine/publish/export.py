"""`icsbench export`: write one result table to CSV, Parquet or XLSX, suppressed unless the costing team asks.

Files are written to a temporary name beside the target and moved into place only when complete, so a failed
export never leaves half a file where a good one was. Text that a spreadsheet would run as a formula is made inert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import xlsxwriter

from engine import sql_files
from engine.errors import IcsBenchError
from engine.metrics import catalog
from engine.publish.atomic import atomic_file
from engine.publish.column_types import typed_query
from engine.publish.suppression import SuppressionRule
from engine.store import Store

FORMATS = (".csv", ".parquet", ".xlsx")
XLSX_MAX_ROWS = 1_048_575
_FORMULA_START = r"^[=+\-@]"


@dataclass(frozen=True)
class Exported:
    table: str
    path: Path
    rows: int
    suppressed: bool
    refresh_id: int


def last_refresh(store: Store) -> tuple[int, datetime, object] | None:
    """(refresh id, finished at, cost reconciled) of the last successful refresh, or None before the first."""
    rows = store.con.execute(sql_files.read("refresh/last_refresh.sql")).fetchall()
    return (int(rows[0][0]), rows[0][1], rows[0][2]) if rows else None


def export_table(store: Store, name: str, out: Path, *, unsuppressed: bool = False) -> Exported:
    """Write result table `name` to `out` (format from the suffix) and record the export in export_log."""
    try:
        metric = catalog.metric(name)
    except KeyError as exc:
        raise IcsBenchError(str(exc.args[0])) from exc
    if not metric.published:
        choices = ", ".join(m.name for m in catalog.published())
        raise IcsBenchError(f"{name} holds patient-level rows and is never exported; the tables are: {choices}")
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise IcsBenchError(f"{out}: cannot tell the format from the file name; end it in {', '.join(FORMATS)}")
    refreshed = last_refresh(store)
    if refreshed is None:
        raise IcsBenchError("no results yet: run `icsbench refresh` first")
    source = metric.table if unsuppressed else metric.published_table
    table = store.con.sql(typed_query(store, source)).to_arrow_table()
    if suffix == ".xlsx" and table.num_rows > XLSX_MAX_ROWS:
        raise IcsBenchError(
            f"{name} has {table.num_rows:,} rows, more than an Excel sheet holds; export to .csv or .parquet instead"
        )
    with atomic_file(out) as temporary:
        if suffix == ".csv":
            pa_csv.write_csv(inert_text(table), temporary)
        elif suffix == ".parquet":
            pq.write_table(table, temporary)
        else:
            _write_xlsx(temporary, metric, table, refreshed[0], rule=None if unsuppressed else _rule_text(store))
    store.run_file(
        "refresh/log_export.sql",
        {
            "exported_at": datetime.now(UTC).replace(tzinfo=None),
            "refresh_id": refreshed[0],
            "table_name": name,
            "file_path": str(out.resolve()),
            "row_count": table.num_rows,
            "suppressed": "UNSUPPRESSED" if unsuppressed else "published",
        },
    )
    return Exported(name, out, table.num_rows, not unsuppressed, refreshed[0])


def _rule_text(store: Store) -> str:
    return SuppressionRule.from_config(store.config.suppression).sentence()


def inert_text(table: pa.Table) -> pa.Table:
    """Text columns with formula-like values (=, +, -, @ first) prefixed by an apostrophe, as reports.inert does."""
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            starts = pc.fill_null(pc.match_substring_regex(column, _FORMULA_START), False)
            column = pc.if_else(starts, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def number_format(column: catalog.ColumnDoc) -> str | None:
    """A finance team's number format for a column: pounds, percentages, whole counts or two decimals."""
    name = column.name
    if column.role == "count":
        return "#,##0"
    if "share" in name or column.description.startswith("share of"):
        return "0.0%"
    if "cost" in name or "opportunity" in name:
        return "£#,##0.00"
    if column.role in ("from", "benchmark", "shown") and name != "refresh_id":
        return "#,##0.00"
    return None


def _write_xlsx(path: Path, metric: catalog.Metric, table: pa.Table, refresh_id: int, *, rule: str | None) -> None:
    """One sheet of figures (frozen, filtered header; number formats) and an About sheet saying what they mean."""
    options = {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": True}
    book = xlsxwriter.Workbook(str(path), options)
    try:
        header = book.add_format({"bold": True, "bg_color": "#005EB8", "font_color": "#FFFFFF", "text_wrap": True})
        sheet = book.add_worksheet(metric.name[:31])
        formats = {}
        for column in metric.columns:
            code = number_format(column)
            formats[column.name] = book.add_format({"num_format": code}) if code else None
        for col, name in enumerate(table.column_names):
            sheet.write_string(0, col, name, header)
            sheet.set_column(col, col, max(10, min(len(name) + 2, 30)), formats[name])
        for col, values in enumerate(table.columns):
            for row, value in enumerate(values.to_pylist(), start=1):
                if value is None:
                    continue
                if isinstance(value, str):
                    sheet.write_string(row, col, value)
                else:
                    sheet.write_number(row, col, float(value))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(table.num_rows, 1), max(table.num_columns - 1, 0))
        about = book.add_worksheet("About")
        about.set_column(0, 0, 28)
        about.set_column(1, 1, 110, book.add_format({"text_wrap": True, "valign": "top"}))
        lines = [
            ("Table", metric.name),
            ("What it answers", metric.summary),
            ("One row per", metric.grain),
            ("How to read it", metric.about),
            ("Refresh", str(refresh_id)),
            (
                "Small numbers",
                rule
                if rule
                else "NOT SUPPRESSED: full figures for the costing team's own use. Do not share outside it.",
            ),
        ]
        for row, (label, text) in enumerate(lines):
            about.write_string(row, 0, label, header)
            about.write_string(row, 1, text)
        first = len(lines) + 1
        about.write_string(first, 0, "Column", header)
        about.write_string(first, 1, "Meaning", header)
        for row, column in enumerate(metric.columns, start=first + 1):
            about.write_string(row, 0, column.name)
            about.write_string(row, 1, column.description)
    finally:
        book.close()

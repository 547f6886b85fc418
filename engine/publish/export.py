"""`icsbench export`: write one result table to CSV, Parquet or XLSX, suppressed unless the costing team asks.

The figures come from the published refresh (engine.publish.published_results) or, unsuppressed, from the store's
snapshot of the same results (engine.publish.store_snapshot): an export never opens the store, so it neither waits for
a load or refresh nor makes one fail. Every export is recorded, with who ran it and on which computer, in the export
log beside the store (`<store>-exports.csv`) before the file is written: an export that cannot be recorded is not
made. Files are written to a temporary name beside the target and moved into place only when complete, so a failed
export never leaves half a file where a good one was. Text that a spreadsheet would run as a formula is made inert.
"""

from __future__ import annotations

import csv
import getpass
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import xlsxwriter

from engine.config import IcsConfig
from engine.errors import IcsBenchError
from engine.metrics import catalog
from engine.publish import published_results, store_snapshot
from engine.publish.atomic import atomic_file
from engine.publish.suppression import SuppressionRule

FORMATS = (".csv", ".parquet", ".xlsx")
XLSX_MAX_ROWS = 1_048_575
_FORMULA_START = r"^[=+\-@]"
LOG_COLUMNS = ("logged_at_utc", "event", "user", "host", "table", "refresh_id", "rows", "suppression", "file", "detail")


@dataclass(frozen=True)
class Exported:
    table: str
    path: Path
    rows: int
    suppressed: bool
    refresh_id: int
    log: Path  # the export log it was recorded in


def export_log_path(config: IcsConfig) -> Path:
    """The export log beside the store: icsbench.duckdb -> icsbench-exports.csv."""
    return config.store_path.with_name(f"{config.store_path.stem}-exports.csv")


def export_table(config: IcsConfig, name: str, out: Path, *, unsuppressed: bool = False) -> Exported:
    """Write result table `name` to `out` (format from the suffix), recorded in the export log before and after."""
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
    if unsuppressed:
        refresh_id, table = store_snapshot.results_table(config, name)
    else:
        refresh_id, table = published_results.published_table(config, name)
    if suffix == ".xlsx" and table.num_rows > XLSX_MAX_ROWS:
        raise IcsBenchError(
            f"{name} has {table.num_rows:,} rows, more than an Excel sheet holds; export to .csv or .parquet instead"
        )
    entry = {
        "table": name,
        "refresh_id": refresh_id,
        "rows": table.num_rows,
        "suppression": "UNSUPPRESSED" if unsuppressed else "published",
        "file": str(out.resolve()),
    }
    log = export_log_path(config)
    record_export(log, "started", entry)
    try:
        with atomic_file(out) as temporary:
            if suffix == ".csv":
                pa_csv.write_csv(inert_text(table), temporary)
            elif suffix == ".parquet":
                pq.write_table(table, temporary)
            else:
                rule = None if unsuppressed else SuppressionRule.from_config(config.suppression).sentence()
                _write_xlsx(temporary, metric, table, refresh_id, rule=rule)
    except BaseException as exc:
        record_export(log, "failed", entry, detail=str(exc) or type(exc).__name__)
        raise
    record_export(log, "written", entry)
    return Exported(name, out, table.num_rows, not unsuppressed, refresh_id, log)


def record_export(log: Path, event: str, entry: dict[str, object], *, detail: str = "") -> None:
    """Append one line to the export log (and make sure it is on disk); an export that cannot be logged is refused."""
    row = {
        "logged_at_utc": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        "event": event,
        "user": _user(),
        "host": socket.gethostname(),
        **entry,
        "detail": detail,
    }
    try:
        new = not log.exists() or log.stat().st_size == 0
        with log.open("a", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=LOG_COLUMNS)
            if new:
                writer.writeheader()
            writer.writerow(row)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise IcsBenchError(
            f"{log}: the export log cannot be written ({exc.strerror or exc}), so nothing was exported: every export "
            "is recorded before its file is written. Check that the folder beside the store can be written to."
        ) from exc


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a service account without one)
        return os.environ.get("USERNAME") or os.environ.get("USER") or "unknown"


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
        listed = [c for c in metric.columns if c.name in table.column_names]  # not the rules' own, unless exported
        for row, column in enumerate(listed, start=first + 1):
            about.write_string(row, 0, column.name)
            about.write_string(row, 1, column.description)
    finally:
        book.close()

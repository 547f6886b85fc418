"""`ICS Benchmarking.xlsx`: the workbook each refresh writes for finance teams, from the published (suppressed) tables.

Three sheets: an overview per provider, one provider's largest opportunities, and data quality. The live version
holds `=ICS_...` worksheet-function formulas (with today's values cached), so with the add-in installed it follows
every later refresh; the static version holds the same figures as plain values and is what to e-mail or open
without the add-in. Only ordinary formulas (SUM, INDEX/MATCH) are used besides ours, so LibreOffice recalculates it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from engine import sql_files
from engine.errors import IcsBenchError
from engine.publish.atomic import atomic_file
from engine.publish.reports import inert
from engine.publish.stamps import RefreshStamp, last_refresh
from engine.publish.suppression import SuppressionRule
from engine.store import Store

WORKBOOK_NAME = "ICS Benchmarking.xlsx"
STATIC_WORKBOOK_NAME = "ICS Benchmarking (values).xlsx"
TOP_CELLS = 25
NHS_BLUE = "#005EB8"
_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": True}

# The Overview's opportunity columns: (heading, worksheet function's benchmark and measure, published column).
OVERVIEW_OPPORTUNITIES = (
    ("Opportunity vs ICS mean", "ICS mean", "floored", "opportunity_vs_ics"),
    ("Net vs ICS mean", "ICS mean", "net", "net_vs_ics"),
    ("Significant vs ICS mean", "ICS mean", "significant", "significant_vs_ics"),
    ("Opportunity vs ICS median", "ICS median", "floored", "opportunity_vs_median"),
    ("Opportunity vs best in system", "best in system", "floored", "opportunity_vs_best"),
    ("Opportunity vs national", "national", "floored", "opportunity_vs_national"),
    ("Net vs national", "national", "net", "net_vs_national"),
)


@dataclass(frozen=True)
class Cell:
    """A figure for the sheet: its value and, in the live version, the worksheet formula that gives it."""

    value: Any
    formula: str | None = None


@dataclass(frozen=True)
class WorkbookData:
    """Everything the workbook shows, read from the published tables of one refresh."""

    ics_name: str
    refresh_id: int
    refreshed_at: str
    cost_reconciled: str
    suppression: str
    suppressed_text: str
    fin_year: str
    providers: Sequence[dict[str, Any]]
    focus_provider: str
    top_cells: Sequence[dict[str, Any]]
    data_quality_columns: Sequence[str]
    data_quality: Sequence[Sequence[Any]]


def read_workbook_data(store: Store, refresh: RefreshStamp | None = None) -> WorkbookData:
    """The figures for the workbook, from the published tables of `refresh` (by default the last one logged)."""
    refreshed = refresh or last_refresh(store)
    if refreshed is None:
        raise IcsBenchError("no results yet: run `icsbench refresh` first")
    refresh_id, finished_at, cost = refreshed.refresh_id, refreshed.refreshed_at, refreshed.cost_reconciled
    provider_rows = _rows(store, "reports/workbook_providers.sql")
    fin_year = provider_rows[0]["fin_year"] if provider_rows else ""
    names = {p.code: p.name for p in store.config.providers}
    for row in provider_rows:
        row["provider_name"] = names.get(row["org_code"], row["org_code"])
    focus = max(provider_rows, key=lambda r: r["opportunity_vs_ics"] or 0)["org_code"] if provider_rows else ""
    top = _rows(store, "reports/workbook_top_cells.sql", fin_year=fin_year, org_code=focus, limit=TOP_CELLS)
    quality = store.con.sql(sql_files.read("reports/workbook_data_quality.sql").rstrip().rstrip(";"))
    rule = store.config.suppression
    return WorkbookData(
        ics_name=store.config.ics.name,
        refresh_id=int(refresh_id),
        refreshed_at=f"{finished_at:%Y-%m-%d %H:%M} UTC",
        cost_reconciled=f"£{cost:,.2f}",
        suppression=SuppressionRule.from_config(rule).sentence(),
        suppressed_text=SuppressionRule.from_config(rule).hidden_text(),
        fin_year=str(fin_year),
        providers=provider_rows,
        focus_provider=focus,
        top_cells=top,
        data_quality_columns=quality.columns,
        data_quality=quality.fetchall(),
    )


def write_workbook(data: WorkbookData, path: Path, *, live: bool) -> Path:
    """Write the workbook to `path` atomically; `live` puts the ICS_ formulas in, otherwise plain values."""
    with atomic_file(path) as temporary:
        book = xlsxwriter.Workbook(str(temporary), _OPTIONS)
        styles = _Styles(book)
        _overview(book, styles, data, live)
        _opportunities(book, styles, data, live)
        _data_quality(book, styles, data)
        book.close()
    return path


class _Styles:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.title = book.add_format({"bold": True, "font_size": 16, "font_color": NHS_BLUE})
        self.note = book.add_format({"italic": True, "font_color": "#425563"})
        self.label = book.add_format({"bold": True})
        self.money = book.add_format({"num_format": "£#,##0"})
        self.pence = book.add_format({"num_format": "£#,##0.00"})
        self.count = book.add_format({"num_format": "#,##0"})
        self.share = book.add_format({"num_format": "0.0%"})
        self.total = book.add_format({"bold": True, "top": 1, "num_format": "£#,##0"})
        self.total_count = book.add_format({"bold": True, "top": 1, "num_format": "#,##0"})
        self.high = book.add_format({"bg_color": "#F9D3D3", "font_color": "#8A1538"})
        self.low = book.add_format({"bg_color": "#D5ECD4", "font_color": "#006747"})
        self.warn = book.add_format({"bg_color": "#FFEB9C", "font_color": "#7A4F01"})
        self.input = book.add_format({"bold": True, "bg_color": "#E8EDEE", "border": 1})


def _header(sheet: Any, data: WorkbookData, styles: _Styles, title: str) -> None:
    sheet.write_string(0, 0, title, styles.title)
    sheet.write_string(
        1,
        0,
        f"{data.ics_name}. Financial year {data.fin_year}. Refresh {data.refresh_id} at {data.refreshed_at}; "
        f"{data.cost_reconciled} reconciled with the extracts loaded.",
        styles.note,
    )
    sheet.write_string(2, 0, data.suppression, styles.note)


def _overview(book: xlsxwriter.Workbook, styles: _Styles, data: WorkbookData, live: bool) -> None:
    sheet = book.add_worksheet("Overview")
    _header(sheet, data, styles, "ICS Benchmarking: cost opportunity by provider")
    sheet.write_string(
        3,
        0,
        "Opportunity = (provider's cost per unit - benchmark) x units, per POD, TFC and HRG cell, added up over the "
        "cells with enough cases: floored at 0 in each cell (the seed's), net (both signs) and significant (only cells "
        "outside the funnel limits). The benchmarks overlap: never add opportunities across them.",
        styles.note,
    )
    first = 5
    columns = [
        "Provider",
        "Name",
        "Activity",
        "Cost",
        *(heading for heading, *_ in OVERVIEW_OPPORTUNITIES),
    ]
    formats = [None, None, styles.count, styles.money, *(styles.money for _ in OVERVIEW_OPPORTUNITIES)]
    totals = [0.0] * len(columns)  # the cached values of the SUM row
    for row_number, provider in enumerate(data.providers, start=first + 1):
        code_cell = xl_rowcol_to_cell(row_number, 0, col_abs=True)
        cells = [
            Cell(provider["org_code"]),
            Cell(provider["provider_name"]),
            Cell(provider["activity"], f"=ICS_ACTIVITY({code_cell})"),
            Cell(provider["cost"]),
            *(
                Cell(provider[column], f'=ICS_OPPORTUNITY({code_cell},"","","{label}","","","","{measure}")')
                for _, label, measure, column in OVERVIEW_OPPORTUNITIES
            ),
        ]
        for col, (cell, style) in enumerate(zip(cells, formats, strict=True)):
            _write(sheet, row_number, col, cell, style, live, data.suppressed_text)
            if isinstance(cell.value, int | float | Decimal):
                totals[col] += float(cell.value)
    last = first + len(data.providers)
    sheet.add_table(
        first,
        0,
        last,
        len(columns) - 1,
        {
            "name": "Providers",
            "style": "Table Style Medium 2",
            "columns": [{"header": c} for c in columns],
        },
    )
    total_row = last + 1
    sheet.write_string(total_row, 0, "ICS", styles.label)
    for col in (2, *range(3, len(columns))):
        top, bottom = xl_rowcol_to_cell(first + 1, col), xl_rowcol_to_cell(last, col)
        style = styles.total_count if col == 2 else styles.total
        sheet.write_formula(total_row, col, f"=SUM({top}:{bottom})", style, totals[col])
    largest = total_row + 2
    sheet.write_string(largest, 0, "Largest opportunity vs ICS mean:", styles.label)
    codes = f"{xl_rowcol_to_cell(first + 1, 0, True, True)}:{xl_rowcol_to_cell(last, 0, True, True)}"
    values = f"{xl_rowcol_to_cell(first + 1, 4, True, True)}:{xl_rowcol_to_cell(last, 4, True, True)}"
    sheet.write_formula(
        largest, 2, f"=INDEX({codes},MATCH(MAX({values}),{values},0))", styles.label, data.focus_provider
    )
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, 1, 44)
    sheet.set_column(2, len(columns) - 1, 18)
    sheet.freeze_panes(first + 1, 2)


def _opportunities(book: xlsxwriter.Workbook, styles: _Styles, data: WorkbookData, live: bool) -> None:
    sheet = book.add_worksheet("Provider opportunities")
    _header(sheet, data, styles, "Largest cost opportunities for one provider")
    sheet.write_string(4, 0, "Provider:", styles.label)
    sheet.write_string(4, 1, data.focus_provider, styles.input)
    if live:
        sheet.data_validation(4, 1, 4, 1, {"validate": "list", "source": [p["org_code"] for p in data.providers]})
        sheet.write_string(
            4, 2, "Change the provider: the figures follow (the POD, TFC and HRG rows stay).", styles.note
        )
    first = 6
    columns = [
        "POD",
        "TFC",
        "HRG",
        "Activity",
        "Cost per unit",
        "ICS mean cost per unit",
        "Best in system cost per unit",
        "National cost per unit (ICS mix)",
        "Opportunity vs ICS mean",
        "Opportunity vs best in system",
        "Outlier (95%)",
        "Outlier (99.8%)",
    ]
    formats = [
        None,
        None,
        None,
        styles.count,
        styles.pence,
        styles.pence,
        styles.pence,
        styles.pence,
        styles.money,
        styles.money,
        None,
        None,
    ]
    provider = "$B$5"
    for row_number, cell in enumerate(data.top_cells, start=first + 1):
        pod, tfc, hrg = (xl_rowcol_to_cell(row_number, c) for c in range(3))
        keys = f"{pod},{hrg}"
        cells = [
            Cell(cell["pod"]),
            Cell(cell["tfc"]),
            Cell(cell["hrg"]),
            Cell(cell["activity"], f"=ICS_ACTIVITY({provider},{keys},{tfc})"),
            Cell(cell["mean_cost"], f"=ICS_MEAN_COST({provider},{keys},{tfc})"),
            Cell(cell["ics_mean_cost"], f'=ICS_BENCHMARK_COST({keys},"ICS mean",{tfc})'),
            Cell(cell["best_in_system_cost"], f'=ICS_BENCHMARK_COST({keys},"best in system",{tfc})'),
            Cell(cell["ics_national_mean_cost"], f'=ICS_BENCHMARK_COST({keys},"national",{tfc})'),
            Cell(cell["opportunity_vs_ics"], f'=ICS_OPPORTUNITY({provider},{keys},"ICS mean","",{tfc})'),
            Cell(cell["opportunity_vs_best"], f'=ICS_OPPORTUNITY({provider},{keys},"best in system","",{tfc})'),
            Cell(cell["outlier_95"]),
            Cell(cell["outlier_99_8"]),
        ]
        for col, (value, style) in enumerate(zip(cells, formats, strict=True)):
            _write(sheet, row_number, col, value, style, live, data.suppressed_text)
    last = first + max(len(data.top_cells), 1)
    sheet.add_table(
        first,
        0,
        last,
        len(columns) - 1,
        {
            "name": "TopOpportunities",
            "style": "Table Style Medium 2",
            "columns": [{"header": c} for c in columns],
        },
    )
    if data.top_cells:
        bars = f"{xl_rowcol_to_cell(first + 1, 8)}:{xl_rowcol_to_cell(last, 8)}"
        sheet.conditional_format(bars, {"type": "data_bar", "bar_color": NHS_BLUE, "bar_solid": True})
        outliers = f"{xl_rowcol_to_cell(first + 1, 10)}:{xl_rowcol_to_cell(last, 11)}"
        sheet.conditional_format(outliers, {"type": "cell", "criteria": "==", "value": '"high"', "format": styles.high})
        sheet.conditional_format(outliers, {"type": "cell", "criteria": "==", "value": '"low"', "format": styles.low})
    sheet.set_column(0, 2, 10)
    sheet.set_column(3, len(columns) - 1, 16)
    sheet.freeze_panes(first + 1, 3)


def _data_quality(book: xlsxwriter.Workbook, styles: _Styles, data: WorkbookData) -> None:
    sheet = book.add_worksheet("Data quality")
    _header(sheet, data, styles, "Data quality: how far each provider's data can be trusted")
    first = 4
    columns = list(data.data_quality_columns)
    style_of = {
        "records": styles.count,
        "cost_loaded": styles.pence,
        "records_with_patient": styles.share,
        "zero_cost_share": styles.share,
        "missing_hrg_share": styles.share,
        "rows_rejected": styles.count,
        "warnings": styles.count,
    }
    for row_number, values in enumerate(data.data_quality, start=first + 1):
        for col, value in enumerate(values):
            _write(sheet, row_number, col, Cell(value), style_of.get(columns[col]), False, data.suppressed_text)
    last = first + max(len(data.data_quality), 1)
    sheet.add_table(
        first,
        0,
        last,
        len(columns) - 1,
        {
            "name": "DataQuality",
            "style": "Table Style Medium 2",
            "columns": [{"header": c.replace("_", " ").capitalize()} for c in columns],
        },
    )
    if data.data_quality:
        for name in ("zero_cost_share", "missing_hrg_share"):
            col = columns.index(name)
            cells = f"{xl_rowcol_to_cell(first + 1, col)}:{xl_rowcol_to_cell(last, col)}"
            sheet.conditional_format(cells, {"type": "cell", "criteria": ">", "value": 0.05, "format": styles.warn})
        col = columns.index("rows_rejected")
        cells = f"{xl_rowcol_to_cell(first + 1, col)}:{xl_rowcol_to_cell(last, col)}"
        sheet.conditional_format(cells, {"type": "cell", "criteria": ">", "value": 0, "format": styles.warn})
        col = columns.index("control_total_status")
        cells = f"{xl_rowcol_to_cell(first + 1, col)}:{xl_rowcol_to_cell(last, col)}"
        sheet.conditional_format(
            cells, {"type": "text", "criteria": "containing", "value": "differ", "format": styles.high}
        )
    sheet.set_column(0, len(columns) - 1, 14)
    sheet.set_column(1, 1, 36)
    sheet.freeze_panes(first + 1, 2)


def _write(sheet: Any, row: int, col: int, cell: Cell, style: Any, live: bool, suppressed: str) -> None:
    value = cell.value
    if live and cell.formula:
        cached = suppressed if value is None else (float(value) if not isinstance(value, str) else value)
        sheet.write_formula(row, col, cell.formula, style, cached)
    elif value is None:
        sheet.write_blank(row, col, None, style)
    elif isinstance(value, str):
        sheet.write_string(row, col, inert(value), style)
    else:
        sheet.write_number(row, col, float(value), style)


def _rows(store: Store, relative: str, **params: Any) -> list[dict[str, Any]]:
    relation = store.con.execute(sql_files.read(relative), params)
    names = [d[0] for d in relation.description]
    return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]

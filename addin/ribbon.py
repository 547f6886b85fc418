"""The ICS Benchmarking ribbon tab: one dispatcher for every button, written against a small workbook interface.

Excel calls `on_button(button_id, workbook)` through `addin.ribbon_excel` with the calling workbook; the tests call
it with a fake. Handlers read and run the engine, and write only published (suppressed) figures into sheets.

Whatever a handler raises ends as one sentence in a message box, never as a traceback, and Excel gets its status bar
back: an `IcsBenchError` says what is wrong in the engine's words; a file Windows will not let us write (open in
Excel, say: a `PermissionError`) or reach (any other `OSError`) is named, with what to do; anything else is named by
its kind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from addin import functions
from addin.config_source import ConfigSource
from addin.results import cell_value
from engine import jobs
from engine.errors import IcsBenchError
from engine.progress import Progress
from engine.publish import published_results
from engine.publish.export import number_format
from engine.publish.powerbi import render
from engine.publish.suppression import SuppressionRule
from engine.publish.workbook import WORKBOOK_NAME

log = logging.getLogger(__name__)

DATA_QUALITY_SHEET = "ICS Data quality"
OPPORTUNITIES_SHEET = "ICS Opportunities"
TOP_OPPORTUNITY_ROWS = 50


@dataclass(frozen=True)
class SheetColumn:
    title: str
    number_format: str | None = None  # Excel format code, e.g. "£#,##0"


class Workbook(Protocol):
    """What a button may do to the workbook it was pressed in."""

    def status(self, text: str | None) -> None:
        """Show progress in Excel's status bar (None gives the bar back to Excel)."""

    def write_sheet(
        self, name: str, title: str, notes: Sequence[str], columns: Sequence[SheetColumn], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Replace sheet `name` with a title, notes, and a formatted table with a frozen, filtered header."""

    def choose(self, prompt: str, choices: Sequence[str], default: str) -> str | None:
        """Ask the user to pick one of `choices`; None if they cancel."""

    def message(self, text: str) -> None:
        """Tell the user something and wait for OK."""

    def recalculate(self) -> None:
        """Recalculate every formula of every open workbook (Excel's CalculateFull), so ICS_ formulas show the new
        results: a plain Calculate skips a function whose arguments did not change, and it would keep the old figure."""

    def open_file(self, path: Path) -> None:
        """Open a file with the program Windows associates with it (Power BI Desktop for a report)."""


Handler = Callable[[Workbook, ConfigSource], None]


def refresh_all(workbook: Workbook, source: ConfigSource) -> None:
    """Load new extracts, recompute and publish the benchmarks, write the published files, recalculate."""
    config = source()
    outcome = jobs.update(config, config_file=source.path, progress=_status_bar(workbook, "ICS refresh"))
    functions.results().clear()
    workbook.status("ICS refresh: recalculating")
    workbook.recalculate()
    workbook.status(None)
    result = outcome.refreshed.result
    if outcome.refreshed.unchanged:
        workbook.message(
            f"Nothing has changed since refresh {result.refresh_id}: 0 new extract file(s) loaded and no setting "
            f"changed, so its results (£{result.cost_loaded:,.2f} reconciled to the penny) and published files in "
            f"{config.published_folder} stand."
        )
        return
    workbook.message(
        f"Refresh {result.refresh_id} done in {result.seconds:.1f} s: {len(outcome.loaded.results)} new extract "
        f"file(s) loaded, £{result.cost_loaded:,.2f} reconciled to the penny, {len(outcome.refreshed.files)} "
        f"published files written to {config.published_folder}."
    )


def _status_bar(workbook: Workbook, title: str) -> Progress:
    """The engine's progress as Excel status-bar text: "ICS refresh: loading X (2 of 5)", counting the step in hand."""

    def report(label: str, done: int | None = None, total: int | None = None) -> None:
        counted = f" ({min(done + 1, total)} of {total})" if done is not None and total else ""
        workbook.status(f"{title}: {label}{counted}")

    return report


def data_quality(workbook: Workbook, source: ConfigSource) -> None:
    """Write the published data-quality table to a sheet."""
    table = functions.results().table("data_quality")
    columns = [
        SheetColumn(c.replace("_", " ").capitalize(), number_format(table.metric.column(c))) for c in table.column_names
    ]
    rows = [[cell_value(table.value(c, r)) for c in table.column_names] for r in range(table.rows)]
    workbook.write_sheet(
        DATA_QUALITY_SHEET,
        "Data quality: how far each provider's data can be trusted",
        [_refreshed_line(source), table.metric.about],
        columns,
        rows,
    )


def opportunities(workbook: Workbook, source: ConfigSource) -> None:
    """Ask for a provider and write its largest cost opportunities to a formatted sheet."""
    table = functions.results().table("unit_cost_benchmark")
    providers = sorted(table.distinct("org_code"))
    choice = workbook.choose("Top cost opportunities for which provider?", providers, providers[0])
    if choice is None:
        return
    # What the cell would show: the rows, or (the worksheet functions never raise) a sentence saying why not.
    spilled: object = functions.ICS_TOP_OPPORTUNITIES(choice, TOP_OPPORTUNITY_ROWS)
    if not isinstance(spilled, list):
        workbook.message(str(spilled))
        return
    header, *rows = spilled
    formats = [None, None, None, "#,##0", "£#,##0.00", "£#,##0.00", "£#,##0"]
    workbook.write_sheet(
        OPPORTUNITIES_SHEET,
        f"Largest cost opportunities: {choice}",
        [
            _refreshed_line(source),
            "Opportunity = (average cost - ICS mean) x activity, floored at 0 per POD, TFC and HRG cell. Do not add "
            "opportunities across benchmarks: they overlap. Suppressed cells are left out.",
        ],
        [SheetColumn(h, f) for h, f in zip(header, formats, strict=True)],
        rows,
    )


def service_pack(workbook: Workbook, source: ConfigSource) -> None:
    """Ask for a service line of the config, write its pack (HTML and PDF) into the published folder and open it."""
    config = source()
    names = [service.name for service in config.service_lines]
    if not names:
        workbook.message(
            "The ICS config has no service lines: add [[service_lines]] blocks (icsbench init's template has a "
            "starter set), refresh, then press Service pack again."
        )
        return
    choice = workbook.choose("Service pack for which service line?", names, names[0])
    if choice is None:
        return
    slug = "".join(c if c.isalnum() else "_" for c in choice).strip("_").lower()
    out = config.published_folder / "packs" / f"{slug}.html"
    done = jobs.pack(config, choice, out, progress=_status_bar(workbook, "Service pack"))
    workbook.status(None)
    workbook.open_file(done.html)


def open_power_bi(workbook: Workbook, source: ConfigSource) -> None:
    """Open the Power BI report the refresh renders, or say how to make one."""
    folder = source().published_folder
    report = render.rendered_report(folder)
    if not report.is_file():
        workbook.message(
            f"No Power BI report in {folder} yet. Press Refresh (or run `icsbench pbi render`): it writes the "
            f"report beside the Parquet files it reads and {WORKBOOK_NAME}."
        )
        return
    workbook.open_file(report)


def settings(workbook: Workbook, source: ConfigSource) -> None:
    """Say which config, store and results Excel is using, and how to change them."""
    config = source()
    rule = config.suppression
    workbook.message(
        "\n".join(
            [
                f"ICS: {config.ics.name}",
                f"Config: {source.path}",
                f"Store: {config.store_path}",
                f"Published files: {config.published_folder}",
                f"New extracts from: {config.extracts_folder or 'not set ([folders] extracts)'}",
                _refreshed_line(source),
                f"Suppression: {SuppressionRule.from_config(rule).sentence()}",
                "To use another config: icsbench excel install --config PATH (or set ICSBENCH_CONFIG).",
            ]
        )
    )


def _refreshed_line(source: ConfigSource) -> str:
    try:
        info = published_results.refresh_info(source())
    except IcsBenchError as exc:
        return str(exc)
    return (
        f"Refresh {info.refresh_id} at {info.refreshed_at:%Y-%m-%d %H:%M} UTC; £{info.cost_reconciled:,.2f} reconciled"
    )


BUTTON_HANDLERS: dict[str, Handler] = {
    "ics_refresh": refresh_all,
    "ics_data_quality": data_quality,
    "ics_opportunities": opportunities,
    "ics_service_pack": service_pack,
    "ics_open_power_bi": open_power_bi,
    "ics_settings": settings,
}


def on_button(button_id: str, workbook: Workbook, source: ConfigSource | None = None) -> None:
    """Run the handler for a ribbon button; any failure becomes a message in the user's language."""
    handler = BUTTON_HANDLERS.get(button_id)
    if handler is None:
        workbook.message(f"The ribbon button '{button_id}' has no action in this version of the add-in.")
        return
    try:
        handler(workbook, source or ConfigSource())
    except Exception as exc:  # a button must leave Excel usable, whatever went wrong
        workbook.status(None)
        workbook.message(failure_message(exc))


def failure_message(exc: Exception) -> str:
    """What went wrong, in one sentence the user can act on (see the module's docstring)."""
    if isinstance(exc, IcsBenchError):
        return str(exc)
    if isinstance(exc, OSError):
        # Path.replace(target) names the temporary file first and the file it could not replace second.
        path = exc.filename2 or exc.filename
        if isinstance(exc, PermissionError) and path:
            return (
                f"Could not write {path}: it is open in Excel or another program, or you may not change it. "
                "Close it (and ask anyone else who has it open to close it), then press the button again."
            )
        if path:
            return f"Could not use {path}: {exc.strerror or exc}. Check that you can reach it, then try again."
    log.exception("ribbon button failed")
    return (
        f"The ICS Benchmarking add-in failed unexpectedly ({type(exc).__name__}: {exc}). Excel is unaffected; tell "
        "whoever supports the add-in which button you pressed and what this message says."
    )

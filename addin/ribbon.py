"""The ICS Benchmarking ribbon tab: one dispatcher for every button, written against a small workbook interface.

Excel calls `on_button(button_id, workbook)` through `addin.ribbon_excel` with the calling workbook; the tests call
it with a fake. Handlers read and run the engine, and write only published (suppressed) figures into sheets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from addin import functions
from addin.settings import ConfigSource
from engine.config import IcsConfig
from engine.errors import IcsBenchError
from engine.ingest import load_files
from engine.ingest.inbox import new_extracts
from engine.metrics.refresh import refresh_as_configured
from engine.publish import reader
from engine.publish.export import number_format
from engine.publish.files import publish_files
from engine.publish.powerbi import render
from engine.publish.workbook import WORKBOOK_NAME
from engine.store import open_store

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
        """Recalculate every open workbook, so ICS_ formulas show the new results."""

    def open_file(self, path: Path) -> None:
        """Open a file with the program Windows associates with it (Power BI Desktop for a report)."""


Handler = Callable[[Workbook, ConfigSource], None]


def refresh_all(workbook: Workbook, source: ConfigSource) -> None:
    """Load new extracts, recompute and publish the benchmarks, write the published files, recalculate."""
    config = source()
    store = open_store(config)
    try:
        loaded = _load_new_extracts(workbook, store, config)
        if loaded and config.server is not None:
            from engine.store.server.canonical import push_if_configured

            push_if_configured(store, lambda text: workbook.status(f"ICS refresh: ICS SQL Server: {text}"))
        result, _ = refresh_as_configured(
            store,
            config_file=source.path,
            progress=lambda done, total, label: workbook.status(f"ICS refresh: {label} ({done} of {total})"),
            say=lambda text: workbook.status(f"ICS refresh: ICS SQL Server: {text}"),
        )
        workbook.status("ICS refresh: writing the published files (workbook, Power BI data)")
        written = publish_files(store)
    finally:
        store.close()
    functions.results().clear()
    workbook.status("ICS refresh: recalculating")
    workbook.recalculate()
    workbook.status(None)
    workbook.message(
        f"Refresh {result.refresh_id} done in {result.seconds:.1f} s: {loaded} new extract file(s) loaded, "
        f"£{result.cost_loaded:,.2f} reconciled to the penny, {len(written)} published files written to "
        f"{config.published_folder}."
    )


def _load_new_extracts(workbook: Workbook, store: Any, config: IcsConfig) -> int:
    folder = config.extracts_folder
    if folder is None:
        return 0
    files = new_extracts(store, folder)
    for number, path in enumerate(files, start=1):
        workbook.status(f"ICS refresh: loading {path.name} ({number} of {len(files)})")
        failed = [r for r in load_files(store, [path]) if r.status == "failed"]
        if failed:
            raise IcsBenchError(f"{path.name} did not load: {failed[0].message.rstrip('.')}. Nothing was refreshed.")
    return len(files)


def data_quality(workbook: Workbook, source: ConfigSource) -> None:
    """Write the published data-quality table to a sheet."""
    table = functions.results().table("data_quality")
    columns = [
        SheetColumn(c.replace("_", " ").capitalize(), number_format(table.metric.column(c))) for c in table.column_names
    ]
    rows = [[table.value(c, r) for c in table.column_names] for r in range(table.rows)]
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
    spilled = functions.ICS_TOP_OPPORTUNITIES(choice, TOP_OPPORTUNITY_ROWS)
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


def open_power_bi(workbook: Workbook, source: ConfigSource) -> None:
    """Open the Power BI report the refresh renders, or say how to make one."""
    folder = source().published_folder
    report = render.rendered_report(folder)
    if not report.is_file():
        workbook.message(
            f"No Power BI report in {folder} yet. Press Refresh (or run `icsbench pbi refresh`): it writes the "
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
                f"Suppression: counts 1-{rule.smallest_shown - 1} hidden, others rounded to {rule.round_to}"
                if rule.enabled
                else "Suppression: OFF",
                "To use another config: icsbench excel install --config PATH (or set ICSBENCH_CONFIG).",
            ]
        )
    )


def _refreshed_line(source: ConfigSource) -> str:
    try:
        info = reader.refresh_info(source())
    except IcsBenchError as exc:
        return str(exc)
    return (
        f"Refresh {info.refresh_id} at {info.refreshed_at:%Y-%m-%d %H:%M} UTC; £{info.cost_reconciled:,.2f} reconciled"
    )


BUTTON_HANDLERS: dict[str, Handler] = {
    "ics_refresh": refresh_all,
    "ics_data_quality": data_quality,
    "ics_opportunities": opportunities,
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
    except IcsBenchError as exc:
        workbook.status(None)
        workbook.message(str(exc))

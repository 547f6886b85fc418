"""What the CLI prints about a job's outcome: tables and sentences, nothing computed here."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from engine.cli.support import console
from engine.codes import unit_of_count
from engine.ingest import LoadResult
from engine.jobs import RefreshOutcome
from engine.publish.reports import DisclosureReport, Headline, Opportunity, Report

if TYPE_CHECKING:
    from engine.store.server.canonical import PushResult

PER_FILE_ROWS = 12


_MARKS = {"loaded": "[green]saved[/]", "loaded_with_rejections": "[yellow]saved[/]", "skipped": "[yellow]skipped[/]"}


def print_file_result(result: LoadResult) -> None:
    """One line as soon as a file is done, so a load stopped part way has already said which files were saved."""
    mark = _MARKS.get(result.status, "[red]not saved[/]")
    console.print(f"{mark} {escape(result.file)}: {escape(_said(result))}", highlight=False, soft_wrap=True)


def _said(result: LoadResult) -> str:
    """The file's message without its own name in front (an error names the file it is about)."""
    return result.message.removeprefix(f"{result.file}: ")


def print_load_results(results: Sequence[LoadResult]) -> None:
    """A row per file for a few files; for many, a row per provider and setting plus any file that needs a look."""
    if len(results) <= PER_FILE_ROWS:
        _file_table("Load summary", results)
    else:
        _provider_table(results)
        attention = [r for r in results if r.status != "loaded" or r.control_status not in ("matched", "none supplied")]
        if attention:
            _file_table("Files that need a look", attention)
    for r in results:
        if r.status in ("failed", "empty", "skipped"):
            colour = "red" if r.status == "failed" else "yellow"
            console.print(f"[{colour}]{escape(r.file)}:[/] {escape(_said(r))}", highlight=False)
    loaded = sum(r.rows_loaded for r in results)
    rejected = sum(r.rows_rejected for r in results)
    cost = sum((r.cost_loaded for r in results), Decimal(0))
    console.print(f"{len(results)} files: {loaded:,} rows loaded, {rejected:,} rejected, £{cost:,.2f} loaded.")
    if rejected:
        console.print(
            "Rejected rows are in the quarantine: `icsbench quarantine` lists them with file, row and reason."
        )


def _file_table(title: str, results: Sequence[LoadResult]) -> None:
    table = Table(title=title)
    for name in ("File", "Status", "Loaded", "Rejected", "Cost loaded", "Control total"):
        table.add_column(name, justify="right" if name in ("Loaded", "Rejected", "Cost loaded") else "left")
    for r in results:
        style = {"failed": "red", "loaded_with_rejections": "yellow", "empty": "yellow", "skipped": "yellow"}.get(
            r.status, "green"
        )
        table.add_row(
            escape(r.file),
            f"[{style}]{r.status}[/]",
            f"{r.rows_loaded:,}",
            f"{r.rows_rejected:,}",
            f"£{r.cost_loaded:,.2f}",
            escape(r.control_status),
        )
    console.print(table)


def _provider_table(results: Sequence[LoadResult]) -> None:
    groups: dict[tuple[str, str], list[LoadResult]] = {}
    for r in results:
        groups.setdefault((r.providers or "?", r.setting or "?"), []).append(r)
    table = Table(title="Load summary by provider and setting")
    for name in ("Provider", "Setting", "Files", "Rows loaded", "Rejected", "Cost loaded", "Control totals matched"):
        table.add_column(name, justify="left" if name in ("Provider", "Setting") else "right")
    for (provider, setting), items in sorted(groups.items()):
        checked = [r for r in items if r.control_status != "none supplied"]
        matched = sum(r.control_status == "matched" for r in checked)
        table.add_row(
            escape(provider),
            escape(setting),
            f"{len(items):,}",
            f"{sum(r.rows_loaded for r in items):,}",
            f"{sum(r.rows_rejected for r in items):,}",
            f"£{sum((r.cost_loaded for r in items), Decimal(0)):,.2f}",
            f"{matched} of {len(checked)}" if checked else "none supplied",
        )
    console.print(table)


def print_disclosure(report: DisclosureReport) -> None:
    """`icsbench quality`'s tables of what disclosure control hid at the last refresh: rows per published table, and
    figures within rows (GP practice setting costs, ICS figures)."""
    print_report(
        report.tables,
        "Disclosure control at the last refresh: rows and cost hidden, per published table",
        "Small: a count under the smallest shown, or missing. Dominated: one or two patients make up most of the "
        "cost (the count not small). Secondary: hidden so no hidden cell can be worked out from the totals around "
        "it. Secondary %: of the rows, and of the cost, hidden beyond the first two rules. Cost is the full "
        "results' (the tables nest: do not add them up); blank for tables without a cost.",
    )
    if report.within.rows:
        print_report(
            report.within,
            "Figures hidden within rows (the rows above count whole rows only)",
            "Rows: rows of the table whose figures resting on that count are blank, under the first rule that "
            "hid them. Cost: the full results' cost of a GP practice setting hidden; ICS figures are rates.",
        )
    for sentence in (report.within_sentence, report.audit_sentence):
        if sentence:
            console.print(escape(sentence), highlight=False, soft_wrap=True)


def print_refresh(outcome: RefreshOutcome) -> None:
    result = outcome.result
    if outcome.unchanged:
        console.print(
            f"Nothing has changed since refresh {result.refresh_id} ({result.started_at:%Y-%m-%d %H:%M} UTC): no "
            "file loaded, replaced or deleted, and no setting, config file or reference data changed, so its results "
            f"(reconciled with the £{result.cost_loaded:,.2f} loaded, to the penny) and published files stand. "
            "`icsbench refresh --full` recomputes them anyway."
        )
        if outcome.published is not None:
            console.print(f"Published files: {escape(str(outcome.published.folder))}, the current refresh.")
        return
    if outcome.server is not None:
        published = outcome.server.published
        how = "pulling the data here" if outcome.server.rows_pulled else "the server (push-down)"
        console.print(
            f"ICS SQL Server: {published.tables} published tables ({published.rows:,} rows) replaced in one "
            f"transaction; computed by {how}."
        )
    if outcome.spark_rows_read_back is not None:
        console.print(
            f"Spark: every metric ran on Spark over the lake; {outcome.spark_rows_read_back:,} result rows came back."
        )
    table = Table(title=f"Refresh {result.refresh_id}: result tables")
    for name in ("Table", "Rows", "Seconds"):
        table.add_column(name, justify="left" if name == "Table" else "right")
    for t in result.tables:
        table.add_row(t.name, f"{t.rows:,}", f"{t.seconds:.2f}")
    console.print(table)
    console.print(
        f"Refresh {result.refresh_id} done in {result.seconds:.1f} s. Results reconcile with the "
        f"£{result.cost_loaded:,.2f} loaded, to the penny; published tables have small numbers suppressed."
    )
    if outcome.hidden is not None:
        console.print(outcome.hidden.sentence())
    if outcome.published is not None:
        console.print(
            f"Published files ({len(outcome.files)}): {escape(str(outcome.published.folder))}, now the current refresh "
            f"of {escape(str(outcome.published.root))}."
        )
    for note in outcome.notes:
        console.print(f"[yellow]Note:[/] {escape(note)}", highlight=False, soft_wrap=True)


def print_pushed(pushed: PushResult | None) -> None:
    """What a load sent to the ICS SQL Server's canonical data, when the config has a [server]."""
    if pushed is not None:
        console.print(
            f"ICS SQL Server: {pushed.periods_replaced} provider-period(s) replaced ({pushed.rows_written:,} rows); "
            f"£{pushed.cost_on_server:,.2f} of cost lines held there."
        )


def print_top_opportunities(rows: Sequence[Opportunity]) -> None:
    table = Table(title="Largest cost opportunities against the ICS average (published figures)")
    headings = ("Provider", "POD", "TFC", "HRG", "Cases", "Per", "Cost per unit", "ICS average", "Best in system")
    for name in (*headings, "Opportunity", "Funnel"):
        table.add_column(
            name, justify="left" if name in ("Provider", "POD", "TFC", "HRG", "Per", "Funnel") else "right"
        )
    for r in rows:
        table.add_row(
            escape(r.org_code),
            escape(r.pod),
            escape(r.tfc),
            escape(r.hrg),
            "" if r.activity is None else f"{r.activity:,}",
            unit_of_count(r.pod).name,
            _money_text(r.mean_cost),
            _money_text(r.ics_mean_cost),
            _money_text(r.best_in_system_cost),
            _money_text(r.opportunity_vs_ics),
            _funnel_text(r.outlier_95, r.outlier_99_8),
        )
    console.print(table)
    console.print(
        "[dim]Each opportunity is (cost per unit - ICS average) x units (episodes, attendances, contacts, bed days or "
        "critical care days), floored at 0 per row, over cells with enough cases to count in the headline. Funnel "
        "says whether the cost is outside the limits for that many cases (high at 99.8% is very unlikely to be "
        "chance). Opportunities against different benchmarks overlap: never add them together.[/]"
    )


def print_headline(rows: Sequence[Headline]) -> None:
    table = Table(title="Opportunity against the ICS average, latest year (published figures)")
    for name in ("Provider", "Cost", "Floored", "Net", "Significant"):
        table.add_column(name, justify="left" if name == "Provider" else "right")
    for r in rows:
        table.add_row(
            escape(r.org_code),
            _money_text(r.cost),
            _money_text(r.floored),
            _money_text(r.net),
            _money_text(r.significant),
        )
    console.print(table)
    console.print(
        "[dim]Added up over the cells with enough cases. Floored: each cell at 0 (an upper bound). Net: both signs, "
        "what the provider would save and lose at the ICS average everywhere. Significant: only cells above the "
        "funnel limit.[/]"
    )


def _funnel_text(outlier_95: str | None, outlier_99_8: str | None) -> str:
    if outlier_99_8 in ("high", "low"):
        return f"{outlier_99_8} (99.8%)"
    if outlier_95 in ("high", "low"):
        return f"{outlier_95} (95%)"
    return outlier_95 or ""


def _money_text(value: float | Decimal | None) -> str:
    if value is None:
        return ""
    return f"-£{-value:,.0f}" if round(value) < 0 else f"£{abs(value):,.0f}"


def print_report(report: Report, title: str, caption: str | None = None) -> None:
    """A report's columns and rows as one table, every value escaped (a code or a name may hold rich markup)."""
    table = Table(title=title, caption=caption)
    for column in report.columns:
        table.add_column(column.title, justify=column.justify)  # type: ignore[arg-type]
    for row in report.rows:
        table.add_row(*(escape(v) for v in row))
    console.print(table)

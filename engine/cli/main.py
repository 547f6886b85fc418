"""The `icsbench` command group and its everyday commands: each converts its arguments, runs a job, prints."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from engine import config as config_module
from engine import jobs
from engine.cli.lake import lake
from engine.cli.output import (
    print_disclosure,
    print_file_result,
    print_headline,
    print_load_results,
    print_pushed,
    print_refresh,
    print_report,
    print_top_opportunities,
)
from engine.cli.powerbi import pbi
from engine.cli.server import db
from engine.cli.support import DEFAULT_CONFIG, config_option, config_path, console, errors, friendly_errors, reporting
from engine.errors import IcsBenchError
from engine.publish import reports

DEMO_KEY = "synthetic-demo-key-not-for-real-data"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ics-plics-benchmarking")
def main() -> None:
    """Benchmark patient-level costs across the trusts of an integrated care system."""


@main.command()
@click.argument("path", type=click.Path(dir_okay=False), default=DEFAULT_CONFIG)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: str, force: bool) -> None:
    """Write a commented example ICS config to PATH (default ics.toml)."""
    target = Path(path)
    with friendly_errors():
        if target.exists() and not force:
            raise IcsBenchError(f"{target} already exists; use --force to overwrite it")
        template = Path(config_module.__file__).parent / "templates" / "ics.toml"
        target.write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
    console.print(f"Wrote {target}. Edit the providers and [[extracts]], then run `icsbench load <files>`.")


@main.command()
@click.option(
    "--scale",
    type=click.FloatRange(min=0.0001, max=2.0),
    default=0.01,
    show_default=True,
    help="1.0 = one ICS year (~610k admitted episodes, ~40M cost lines).",
)
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed and scale, same files.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="synthetic-ics", show_default=True)
@click.option("--format", "file_format", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option("--year", "fin_year", default="2023/24", show_default=True, help="Financial year to generate.")
@click.option(
    "--providers",
    type=click.IntRange(min=5, max=1004),
    default=5,
    show_default=True,
    help="Number of trusts; above 5 adds synthetic acute, mental health and community trusts (about 200 = England).",
)
def synth(scale: float, seed: int, out_dir: str, file_format: str, fin_year: str, providers: int) -> None:
    """Make a synthetic ICS: extracts, a matching ics.toml, control totals and a manifest of planted variation."""
    with friendly_errors():
        result = _generate(
            Path(out_dir), scale=scale, seed=seed, file_format=file_format, fin_year=fin_year, providers=providers
        )
    console.print(
        f"Wrote {len(result.files)} extracts to {result.out_dir}: {result.activity_rows:,} activity records, "
        f"{result.cost_lines:,} cost lines, £{result.total_cost:,.2f}.\n"
        f"Config: {result.config_path}   Manifest: {result.manifest_path}"
    )


def _generate(out_dir: Path, **options: Any) -> Any:
    from engine import synth as synth_module

    with reporting("Generating") as progress:
        return synth_module.generate(out_dir, progress=progress, **options)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@config_option
@click.option(
    "--control-total",
    type=str,
    default=None,
    help="Expected total cost of the file (one file only); otherwise read from control_totals.csv.",
)
def load(paths: Sequence[str], config_file: str | None, control_total: str | None) -> None:
    """Load extract files (or every matching file in a folder) into the store, replacing their periods."""
    with friendly_errors():
        config = config_module.load(config_path(config_file))
        files = jobs.extract_files(config, [Path(p) for p in paths])
        given = None
        if control_total is not None:
            if len(files) != 1:
                raise IcsBenchError("--control-total applies to one file; use control_totals.csv for several")
            given = {files[0].name: _pounds(control_total)}
        with reporting("Loading") as progress:
            outcome = jobs.load(config, files, control_totals=given, progress=progress, on_result=print_file_result)
    print_load_results(outcome.results)
    print_pushed(outcome.pushed)
    if outcome.failed:
        sys.exit(1)


def _pounds(text: str) -> Decimal:
    try:
        return Decimal(text.replace("£", "").replace(",", "").strip())
    except ArithmeticError as exc:
        raise IcsBenchError(f"--control-total {text!r} is not an amount in pounds") from exc


@main.command()
@config_option
@click.option("--provider", default=None, help="Only this provider (ODS code).")
@click.option(
    "--by",
    type=click.Choice(["provider", "period"]),
    default="provider",
    show_default=True,
    help="One line per provider and setting, or per provider, setting and period.",
)
def quality(config_file: str | None, provider: str | None, by: str) -> None:
    """The data-quality report: rows, cost loaded, rejections by reason, zero-cost and missing-HRG shares."""
    with friendly_errors():
        config = config_module.load(config_path(config_file))
        report = reports.data_quality(config, provider=provider, by_period=(by == "period"))
        hidden = reports.disclosure(config)
    print_report(report, f"Data quality: {config.ics.name}")
    if report.issues:
        issues = Table(title="Rejected rows and warnings by reason")
        for name in ("Provider", "Setting", "Severity", "Check", "Column", "Rows", "Example"):
            issues.add_column(name, justify="right" if name == "Rows" else "left", overflow="fold")
        for row in report.issues:
            issues.add_row(*(escape(v) for v in row))
        console.print(issues)
    if hidden is not None:
        print_disclosure(hidden)


@main.command()
@config_option
@click.option("--file", "file_name", default=None, help="Only rows from this file name.")
@click.option("--limit", type=int, default=50, show_default=True, help="Rows to show (0 for all).")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write every quarantined row to a CSV.")
def quarantine(config_file: str | None, file_name: str | None, limit: int, out: str | None) -> None:
    """Rows that were not loaded, with file, row, column and the reason, so they can be fixed and sent again."""
    with friendly_errors():
        config = config_module.load(config_path(config_file))
        rows, total = reports.quarantine(config, file_name=file_name, limit=None if out else (limit or None))
        if out:
            reports.write_csv(Path(out), ("file", "row", "provider", "check", "column", "reason", "value"), rows)
            console.print(f"Wrote {total:,} quarantined rows to {out}.")
            return
    table = Table(title=f"Quarantine: {total:,} rejected rows" + (f" (first {len(rows)})" if len(rows) < total else ""))
    for name in ("File", "Row", "Provider", "Check", "Column", "Reason", "Value"):
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*(escape(v) for v in row))
    console.print(table)


@main.command()
@config_option
def status(config_file: str | None) -> None:
    """What the store holds: providers, settings, periods, records, cost lines and cost, and the last loads."""
    with friendly_errors():
        config = config_module.load(config_path(config_file))
        summary = reports.store_summary(config)
    table = Table(title=f"{config.ics.name}: {summary.path}")
    for name in ("Provider", "Setting", "Periods", "Records", "Cost lines", "Cost"):
        table.add_column(name, justify="left" if name in ("Provider", "Setting", "Periods") else "right")
    for row in summary.rows:
        table.add_row(*(escape(v) for v in row))
    console.print(table)
    console.print(
        f"Total: {summary.records:,} records, {summary.cost_lines:,} cost lines, £{summary.cost:,.2f}. "
        f"{summary.loads:,} file loads; last at {summary.last_load or 'never'}."
        + (f" As of the last load or refresh, at {summary.as_of}." if summary.as_of else "")
    )


@main.command("refresh")
@config_option
@click.option("--full", is_flag=True, help="Recompute everything even when nothing has changed since the last refresh.")
def refresh_command(config_file: str | None, full: bool) -> None:
    """Compute every benchmark table from the store, check it reconciles, publish it suppressed, and log the refresh.

    When nothing was loaded and no setting changed since the last refresh, it says so and keeps that refresh."""
    with friendly_errors():
        path = config_path(config_file)
        config = config_module.load(path)
        with reporting("Refreshing") as progress:
            outcome = jobs.refresh(config, config_file=path, progress=progress, full=full)
    print_refresh(outcome)


@main.command("export")
@click.argument("table_name", metavar="TABLE")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="File to write: .csv, .parquet or .xlsx.")
@click.option(
    "--unsuppressed",
    is_flag=True,
    help="Full figures without small-number suppression, for the costing team's own use (recorded, with who and "
    "where, in the export log beside the store).",
)
@config_option
def export_command(table_name: str, out: str, unsuppressed: bool, config_file: str | None) -> None:
    """Write a result table to a file: the published (suppressed) figures unless --unsuppressed."""
    with friendly_errors():
        config = config_module.load(config_path(config_file))
        done = jobs.export(config, table_name, Path(out), unsuppressed=unsuppressed)
    console.print(f"Wrote {done.rows:,} rows of {done.table} (refresh {done.refresh_id}) to {done.path}.")
    if unsuppressed:
        errors.print(
            "[bold yellow]Unsuppressed:[/] small numbers are NOT hidden in this file. Keep it within the costing "
            f"team; the export is recorded, with your user name and computer, in {escape(str(done.log))}.",
            highlight=False,
        )


@main.command("pack")
@click.argument("service_line", metavar="SERVICE")
@click.option(
    "--out", type=click.Path(dir_okay=False), default=None, help="HTML file to write (default: SERVICE.html)."
)
@click.option("--year", "fin_year", default=None, help="Financial year, e.g. 2023/24 (default: the latest).")
@click.option("--no-pdf", is_flag=True, help="Write the HTML only (the PDF goes beside it otherwise).")
@config_option
def pack_command(
    service_line: str, out: str | None, fin_year: str | None, no_pdf: bool, config_file: str | None
) -> None:
    """Write the service pack for a service line of the config: HTML and PDF, from the published tables."""
    with friendly_errors():
        config = config_module.load(config_path(config_file))
        target = Path(out) if out else Path(re.sub(r"[^A-Za-z0-9]+", "_", service_line).strip("_").lower() + ".html")
        with reporting("Packing") as progress:
            done = jobs.pack(config, service_line, target, fin_year=fin_year, pdf=not no_pdf, progress=progress)
    written = f"{done.html}" + (f" and {done.pdf}" if done.pdf else "")
    console.print(f"Wrote the {done.service_line} pack for {done.fin_year} (refresh {done.refresh_id}) to {written}.")


@main.command()
@click.option(
    "--dir",
    "demo_dir",
    type=click.Path(file_okay=False),
    default="icsbench-demo",
    show_default=True,
    help="Folder for the synthetic extracts, config and store.",
)
@click.option("--scale", type=click.FloatRange(min=0.0001, max=2.0), default=0.01, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
def demo(demo_dir: str, scale: float, seed: int) -> None:
    """Make a small synthetic ICS, load it and print a summary: the whole job, with nothing else to install."""
    folder = Path(demo_dir)
    with friendly_errors():
        if not os.environ.get(config_module.PSEUDONYM_KEY_ENV):
            os.environ[config_module.PSEUDONYM_KEY_ENV] = DEMO_KEY
            console.print(
                f"[dim]Using a demo pseudonymisation key (set {config_module.PSEUDONYM_KEY_ENV} for real data).[/]"
            )
        with reporting("Demo") as progress:
            outcome = jobs.demo(folder, scale=scale, seed=seed, progress=progress)
    generated, config, summary = outcome.generated, outcome.config, outcome.summary
    print_load_results(outcome.loaded.results)
    if outcome.refreshed is None:
        sys.exit(1)
    loaded = outcome.loaded.cost_loaded
    console.print(
        f"\n[bold]Synthetic ICS loaded.[/] {summary.records:,} activity records and {summary.cost_lines:,} cost lines "
        f"from {len(config.providers)} providers; £{summary.cost:,.2f} in the store "
        f"({'reconciles with' if loaded == summary.cost == generated.total_cost else 'DOES NOT reconcile with'} "
        f"the £{generated.total_cost:,.2f} generated)."
    )
    print_refresh(outcome.refreshed)
    with friendly_errors():
        print_headline(reports.headline_opportunities(config))
        print_top_opportunities(reports.top_opportunities(config, limit=10))
    console.print(f"Extracts:  {generated.out_dir}\nConfig:    {generated.config_path}\nStore:     {config.store_path}")
    console.print(f"Planted variation to find: {generated.manifest_path}")
    console.print(
        f"Next: `icsbench quality --config {generated.config_path}` for the data-quality report, or "
        f"`icsbench export unit_cost_benchmark --out opportunities.xlsx --config {generated.config_path}`."
    )


def _add_installed_command_groups() -> None:
    """Add the command groups other packages declare under the `icsbench.commands` entry point (e.g. `excel`)."""
    for entry_point in metadata.entry_points(group="icsbench.commands"):
        main.add_command(entry_point.load(), entry_point.name)


main.add_command(pbi)
main.add_command(db)
main.add_command(lake)
_add_installed_command_groups()

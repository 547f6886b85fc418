"""`icsbench`: the command line. A thin click layer: it converts arguments, calls the engine and prints results."""

from __future__ import annotations

import os
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
from engine import reports
from engine.cli_powerbi import pbi
from engine.cli_server import db
from engine.cli_support import (
    DEFAULT_CONFIG,
    config_option,
    config_path,
    console,
    errors,
    friendly_errors,
    progress_bar,
)
from engine.errors import IcsBenchError

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
def synth(scale: float, seed: int, out_dir: str, file_format: str, fin_year: str) -> None:
    """Make a synthetic ICS: extracts, a matching ics.toml, control totals and a manifest of planted variation."""
    with friendly_errors():
        result = _generate(Path(out_dir), scale=scale, seed=seed, file_format=file_format, fin_year=fin_year)
    console.print(
        f"Wrote {len(result.files)} extracts to {result.out_dir}: {result.activity_rows:,} activity records, "
        f"{result.cost_lines:,} cost lines, £{result.total_cost:,.2f}.\n"
        f"Config: {result.config_path}   Manifest: {result.manifest_path}"
    )


def _generate(out_dir: Path, **options: Any) -> Any:
    from engine import synth as synth_module

    with progress_bar() as progress:
        task = progress.add_task("Generating", total=None)

        def advance(done: int, total: int, label: str) -> None:
            progress.update(task, completed=done, total=total, description=f"Generating {label}")

        return synth_module.generate(out_dir, progress=advance, **options)


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
        files = _expand(config, [Path(p) for p in paths])
        given = None
        if control_total is not None:
            if len(files) != 1:
                raise IcsBenchError("--control-total applies to one file; use control_totals.csv for several")
            given = {files[0].name: _pounds(control_total)}
        results = _load(config, files, given)
    _print_load_results(results)
    if any(r.status == "failed" for r in results):
        sys.exit(1)


def _load(config: config_module.IcsConfig, files: list[Path], given: dict[str, Decimal] | None) -> list[Any]:
    from engine.ingest import load_files, quality
    from engine.store import open_store

    store = open_store(config)
    try:
        with progress_bar() as progress:
            task = progress.add_task("Loading", total=len(files))

            def on_file(path: Path, _result: Any) -> None:
                progress.update(task, advance=1, description=f"Loaded {path.name}")

            results = load_files(store, files, control_totals=given, on_file=on_file)
        quality.refresh(store)
        if config.server is not None:
            _push_to_server(store)
    finally:
        store.close()
    return results


def _push_to_server(store: Any) -> None:
    """With [server] in the config, files loaded here go on to the server's canonical data too."""
    from engine.store.server import canonical

    with progress_bar() as progress:
        task = progress.add_task("Writing the canonical data to the ICS SQL Server", total=None)
        pushed = canonical.push_if_configured(store, lambda text: progress.update(task, description=text))
    if pushed is not None:
        console.print(
            f"ICS SQL Server: {pushed.periods_replaced} provider-period(s) replaced ({pushed.rows_written:,} rows)."
        )


def _expand(config: config_module.IcsConfig, paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            matched = [p for p in sorted(path.iterdir()) if p.is_file() and _matches(config, p)]
            if not matched:
                raise IcsBenchError(f"{path}: no file in this folder matches an [[extracts]] pattern in the config")
            files += matched
        else:
            files.append(path)
    return files


def _matches(config: config_module.IcsConfig, path: Path) -> bool:
    try:
        config.extract_for(path)
    except IcsBenchError:
        return False
    return True


def _pounds(text: str) -> Decimal:
    try:
        return Decimal(text.replace("£", "").replace(",", "").strip())
    except ArithmeticError as exc:
        raise IcsBenchError(f"--control-total {text!r} is not an amount in pounds") from exc


PER_FILE_ROWS = 12


def _print_load_results(results: Sequence[Any]) -> None:
    """A row per file for a few files; for many, a row per provider and setting plus any file that needs a look."""
    if len(results) <= PER_FILE_ROWS:
        _file_table("Load summary", results)
    else:
        _provider_table(results)
        attention = [r for r in results if r.status != "loaded" or r.control_status not in ("matched", "none supplied")]
        if attention:
            _file_table("Files that need a look", attention)
    for r in results:
        if r.status in ("failed", "empty"):
            colour = "red" if r.status == "failed" else "yellow"
            console.print(f"[{colour}]{escape(r.file)}:[/] {escape(r.message)}", highlight=False)
    loaded = sum(r.rows_loaded for r in results)
    rejected = sum(r.rows_rejected for r in results)
    cost = sum((r.cost_loaded for r in results), Decimal(0))
    console.print(f"{len(results)} files: {loaded:,} rows loaded, {rejected:,} rejected, £{cost:,.2f} loaded.")
    if rejected:
        console.print(
            "Rejected rows are in the quarantine: `icsbench quarantine` lists them with file, row and reason."
        )


def _file_table(title: str, results: Sequence[Any]) -> None:
    table = Table(title=title)
    for name in ("File", "Status", "Loaded", "Rejected", "Cost loaded", "Control total"):
        table.add_column(name, justify="right" if name in ("Loaded", "Rejected", "Cost loaded") else "left")
    for r in results:
        style = {"failed": "red", "loaded_with_rejections": "yellow", "empty": "yellow"}.get(r.status, "green")
        table.add_row(
            escape(r.file),
            f"[{style}]{r.status}[/]",
            f"{r.rows_loaded:,}",
            f"{r.rows_rejected:,}",
            f"£{r.cost_loaded:,.2f}",
            escape(r.control_status),
        )
    console.print(table)


def _provider_table(results: Sequence[Any]) -> None:
    groups: dict[tuple[str, str], list[Any]] = {}
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
    table = Table(title=f"Data quality: {config.ics.name}")
    for column in report.columns:
        table.add_column(column.title, justify=column.justify)  # type: ignore[arg-type]
    for row in report.rows:
        table.add_row(*(escape(v) for v in row))
    console.print(table)
    if report.issues:
        issues = Table(title="Rejected rows and warnings by reason")
        for name in ("Provider", "Setting", "Severity", "Check", "Column", "Rows", "Example"):
            issues.add_column(name, justify="right" if name == "Rows" else "left", overflow="fold")
        for row in report.issues:
            issues.add_row(*(escape(v) for v in row))
        console.print(issues)


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
    )


@main.command("refresh")
@config_option
def refresh_command(config_file: str | None) -> None:
    """Compute every benchmark table from the store, check it reconciles, publish it suppressed, and log the refresh."""
    with friendly_errors():
        path = config_path(config_file)
        config = config_module.load(path)
        result = _refresh(config, path)
    _print_refresh(result)


def _refresh(config: config_module.IcsConfig, path: Path) -> Any:
    from engine.metrics.refresh import refresh_as_configured
    from engine.publish.files import publish_files
    from engine.store import open_store

    store = open_store(config)
    try:
        with progress_bar() as progress:
            task = progress.add_task("Refreshing", total=None)

            def on_step(done: int, total: int, label: str) -> None:
                progress.update(task, completed=done, total=total, description=f"Refreshing: {label}")

            def on_server(label: str) -> None:
                progress.update(task, description=f"ICS SQL Server: {label}")

            result, on_the_server = refresh_as_configured(store, config_file=path, progress=on_step, say=on_server)
            progress.update(task, description="Writing the published files (workbook, Parquet)")
            result.published_files = publish_files(store)
    finally:
        store.close()
    if on_the_server is not None:
        published = on_the_server.published
        how = "pulling the data here" if on_the_server.rows_pulled else "the server (push-down)"
        console.print(
            f"ICS SQL Server: {published.tables} published tables ({published.rows:,} rows) replaced in one "
            f"transaction; computed by {how}."
        )
    return result


def _print_refresh(result: Any) -> None:
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
    if result.published_files:
        console.print(f"Published files ({len(result.published_files)}): {result.published_files[0].parent}")


@main.command("export")
@click.argument("table_name", metavar="TABLE")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="File to write: .csv, .parquet or .xlsx.")
@click.option(
    "--unsuppressed",
    is_flag=True,
    help="Full figures without small-number suppression, for the costing team's own use (recorded in the log).",
)
@config_option
def export_command(table_name: str, out: str, unsuppressed: bool, config_file: str | None) -> None:
    """Write a result table to a file: the published (suppressed) figures unless --unsuppressed."""
    from engine.publish.export import export_table
    from engine.store import open_store

    with friendly_errors():
        config = config_module.load(config_path(config_file))
        store = open_store(config)
        try:
            done = export_table(store, table_name, Path(out), unsuppressed=unsuppressed)
        finally:
            store.close()
    console.print(f"Wrote {done.rows:,} rows of {done.table} (refresh {done.refresh_id}) to {done.path}.")
    if unsuppressed:
        errors.print(
            "[bold yellow]Unsuppressed:[/] small numbers are NOT hidden in this file. Keep it within the costing "
            "team; the export is recorded in the store's export log.",
            highlight=False,
        )


def _print_top_opportunities(config: config_module.IcsConfig) -> None:
    rows = reports.top_opportunities(config, limit=10)
    table = Table(title="Largest cost opportunities against the ICS average (published figures)")
    for name in ("Provider", "POD", "TFC", "HRG", "Cases", "Average", "ICS average", "Best in system", "Opportunity"):
        table.add_column(name, justify="left" if name in ("Provider", "POD", "TFC", "HRG") else "right")
    for r in rows:
        table.add_row(
            escape(r.org_code),
            escape(r.pod),
            escape(r.tfc),
            escape(r.hrg),
            "" if r.activity is None else f"{r.activity:,}",
            _money_text(r.mean_cost),
            _money_text(r.ics_mean_cost),
            _money_text(r.best_in_system_cost),
            _money_text(r.opportunity_vs_ics),
        )
    console.print(table)
    console.print(
        "[dim]Each opportunity is (average - ICS average) x cases, floored at 0 per row. Opportunities against "
        "different benchmarks overlap: never add them together.[/]"
    )


def _money_text(value: float | None) -> str:
    return "" if value is None else f"£{value:,.0f}"


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
        result = _generate(folder / "extracts", scale=scale, seed=seed, file_format="parquet", fin_year="2023/24")
        config = config_module.load(result.config_path)
        results = _load(config, list(result.files), None)
        summary = reports.store_summary(config)
        refreshed = _refresh(config, result.config_path)
    _print_load_results(results)
    failed = [r for r in results if r.status == "failed"]
    if failed:
        sys.exit(1)
    loaded = sum((r.cost_loaded for r in results), Decimal(0))
    console.print(
        f"\n[bold]Synthetic ICS loaded.[/] {summary.records:,} activity records and {summary.cost_lines:,} cost lines "
        f"from {len(config.providers)} providers; £{summary.cost:,.2f} in the store "
        f"({'reconciles with' if loaded == summary.cost == result.total_cost else 'DOES NOT reconcile with'} "
        f"the £{result.total_cost:,.2f} generated)."
    )
    _print_refresh(refreshed)
    with friendly_errors():
        _print_top_opportunities(config)
    console.print(f"Extracts:  {result.out_dir}\nConfig:    {result.config_path}\nStore:     {config.store_path}")
    console.print(f"Planted variation to find: {result.manifest_path}")
    console.print(
        f"Next: `icsbench quality --config {result.config_path}` for the data-quality report, or "
        f"`icsbench export unit_cost_benchmark --out opportunities.xlsx --config {result.config_path}`."
    )


def _add_installed_command_groups() -> None:
    """Add the command groups other packages declare under the `icsbench.commands` entry point (e.g. `excel`)."""
    for entry_point in metadata.entry_points(group="icsbench.commands"):
        main.add_command(entry_point.load(), entry_point.name)


main.add_command(pbi)
main.add_command(db)
_add_installed_command_groups()

if __name__ == "__main__":
    main()

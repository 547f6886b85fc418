"""`icsbench pbi ...`: write the Power BI data and reports, open them in Desktop, publish them to the service."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.markup import escape

from engine import config as config_module
from engine import jobs
from engine.cli.support import config_option, config_path, console, errors, friendly_errors, printed
from engine.errors import IcsBenchError

server_option = click.option("--server", default=None, help="The ICS SQL Server (server or server\\instance).")
database_option = click.option("--database", default=None, help="The database holding the published views.")


@click.group()
def pbi() -> None:
    """The Power BI report: refresh its data, open it in Power BI Desktop, publish it to the Power BI service."""


@pbi.command("render")
@config_option
@click.option(
    "--results-folder",
    default=None,
    help="The published folder as Power BI should reach it, if not by this PC's path (e.g. "
    "\\\\server\\share\\published when the files are shared); the current refresh's folder is added to it.",
)
@server_option
@database_option
def render_command(
    config_file: str | None, results_folder: str | None, server: str | None, database: str | None
) -> None:
    """Write the published tables as typed Parquet and render the reports with their parameters pointing at them."""
    from engine.publish.powerbi import render

    with friendly_errors():
        config = config_module.load(config_path(config_file))
        written = jobs.write_power_bi(config, results_folder=results_folder, server=server, database=database)
    console.print(
        f"Wrote {len(written.parquet)} small-number-suppressed tables as Parquet to {escape(str(written.folder))}."
    )
    for name, report in written.reports.items():
        summary = render.VARIANTS[name].summary
        console.print(f"Power BI report ({escape(summary)}): {escape(str(report))}")
    console.print("Open the .pbip in Power BI Desktop (`icsbench pbi open` on Windows) and press Refresh to load it.")


@pbi.command("open")
@config_option
@click.option(
    "--variant",
    type=click.Choice(["files", "sqlserver"]),
    default="files",
    show_default=True,
    help="files: reads the published Parquet files; sqlserver: reads the ICS SQL Server.",
)
def open_command(config_file: str | None, variant: str) -> None:
    """Open the rendered report in Power BI Desktop (Windows)."""
    from engine.publish.powerbi import render

    with friendly_errors():
        config = config_module.load(config_path(config_file))
        report = render.rendered_report(config.published_folder, variant)
        if not report.is_file():
            raise IcsBenchError(
                f"no report at {report} yet: run `icsbench refresh` first (each refresh writes the report beside the "
                "files it publishes), or `icsbench pbi render` for the SQL Server one"
            )
        start = getattr(os, "startfile", None)  # Windows only: opens a file with its program (Desktop for .pbip)
        if start is None:
            console.print(
                f"Power BI Desktop runs only on Windows. The report is {escape(str(report))}: open it there "
                f"(its data folder parameter may need pointing at the published folder as that PC sees it)."
            )
            return
        start(report)
    console.print(f"Opening {escape(report.name)} in Power BI Desktop; press Refresh there to load the latest data.")


@pbi.command("publish")
@click.option("--workspace", required=True, help="The Power BI workspace, by name or id.")
@click.option("--dataset-name", default="ICS Benchmarking", show_default=True, help="The semantic model's name.")
@click.option(
    "--pbix",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Upload this .pbix (the SQL Server report saved from Desktop); without it, update the model already there.",
)
@server_option
@database_option
@click.option("--tenant", required=True, help="The Microsoft Entra tenant id (or domain).")
@click.option("--client-id", required=True, help="The app registration's client id.")
@click.option(
    "--secret-env",
    default=None,
    help="Sign in as a service principal, with the client secret in this environment variable; without it, sign in "
    "as yourself with a device code.",
)
@click.option("--take-over", is_flag=True, help="Take over the model first (needed when someone else configured it).")
@click.option("--no-refresh", is_flag=True, help="Set the parameters but do not refresh.")
def publish_command(
    workspace: str,
    dataset_name: str,
    pbix: Path | None,
    server: str | None,
    database: str | None,
    tenant: str,
    client_id: str,
    secret_env: str | None,
    take_over: bool,
    no_refresh: bool,
) -> None:
    """Upload the ICS report to the Power BI service, point it at the SQL Server and refresh it (REST API)."""
    from engine.publish.powerbi import auth, service

    with friendly_errors():
        if (server is None) != (database is None):
            raise IcsBenchError("give both --server and --database, or neither to keep the model's settings")
        tokens: auth.TokenProvider
        if secret_env:
            tokens = auth.ServicePrincipalTokens(tenant, client_id, secret_env)
        else:
            tokens = auth.DeviceCodeTokens(tenant, client_id, show=console.print)
        settings = service.PublishSettings(
            workspace=workspace, dataset_name=dataset_name, take_over=take_over, refresh=not no_refresh
        )
        parameters = {"Server": server, "Database": database} if server and database else {}
        result = service.publish_report(settings, tokens, pbix=pbix, parameters=parameters, progress=printed)
    console.print(
        f"Semantic model {escape(dataset_name)} in workspace {escape(result.workspace.name)}: "
        f"{'uploaded' if result.uploaded else 'updated'}"
        + (f", parameters set ({', '.join(result.parameters_set)})" if result.parameters_set else "")
        + (f", refresh {result.refresh.status}" if result.refresh else "")
        + "."
    )
    if result.refresh is not None and not result.refresh.succeeded:
        errors.print(f"[bold red]The refresh did not complete:[/] {escape(result.refresh.error or 'no reason given')}")
        sys.exit(1)

"""`icsbench db ...`: set up the ICS SQL Server, check it, and load the trusts' tables from it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click
from rich.markup import escape

from engine import config as config_module
from engine import jobs
from engine.cli.output import print_load_results, print_pushed
from engine.cli.support import config_option, config_path, console, errors, friendly_errors, reporting


@click.group()
def db() -> None:
    """The ICS SQL Server: create icsbench's schemas and views, check them, load the trusts' tables from it."""


@db.command("init")
@config_option
def init_command(config_file: str | None) -> None:
    """Create (or complete) icsbench's schemas, tables, views, indexes and roles on the server. Safe to run again."""
    with friendly_errors():
        from engine.store.server import connect, database

        config = config_module.load(config_path(config_file))
        with connect(config) as server, reporting("ICS SQL Server") as progress:
            ran = database.init(server, progress)
            missing = database.check(server)
    console.print(f"Ran {ran} statements on {escape(server.shown)}; each checks what exists first.")
    _report(missing)


@db.command("check")
@config_option
def check_command(config_file: str | None) -> None:
    """Say what icsbench needs on the server that is missing; exit 1 if anything is."""
    with friendly_errors():
        from engine.store.server import connect, database

        config = config_module.load(config_path(config_file))
        with connect(config) as server:
            missing = database.check(server)
    _report(missing)


def _report(missing: Sequence[Any]) -> None:
    if not missing:
        console.print("Everything icsbench needs is on the server.")
        return
    for finding in missing:
        errors.print(f"{escape(finding.what)}: {escape(finding.problem)}")
    errors.print(
        f"{len(missing)} thing(s) missing: run `icsbench db init` (or ask the DBA to run sql/mssql/ics_schema.sql)."
    )
    sys.exit(1)


@db.command("load")
@config_option
@click.option("--table", "tables", multiple=True, help="Only tables whose schema.table fits this pattern (repeatable).")
def load_command(config_file: str | None, tables: Sequence[str]) -> None:
    """Load the trusts' tables that [[server.tables]] match, then bring the server's canonical data up to date."""
    with friendly_errors():
        config = config_module.load(config_path(config_file))
        with reporting("Loading") as progress:
            outcome = jobs.load_server_tables(config, tables, progress=progress)
    if not outcome.results:
        errors.print("No table on the server matches a [[server.tables]] pattern" + (" and --table" if tables else ""))
        sys.exit(1)
    print_load_results(outcome.results)
    print_pushed(outcome.pushed)
    if outcome.failed:
        sys.exit(1)

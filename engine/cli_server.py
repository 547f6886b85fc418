"""`icsbench db ...`: set up the ICS SQL Server, check it, and load the trusts' tables from it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click
from rich.markup import escape

from engine import config as config_module
from engine.cli_support import config_option, config_path, console, errors, friendly_errors, progress_bar


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
        with connect(config) as server, progress_bar() as progress:
            task = progress.add_task("Creating icsbench's objects", total=None)
            ran = database.init(server, lambda done, total: progress.update(task, completed=done, total=total))
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
    from engine.cli import _print_load_results
    from engine.ingest import quality
    from engine.store import open_store

    with friendly_errors():
        from engine.ingest.server_tables import load_server_tables, matched_tables
        from engine.store.server import canonical, connect, lock

        config = config_module.load(config_path(config_file))
        store = open_store(config)
        try:
            with connect(config) as server, lock.exclusive(server, "a load"), progress_bar() as progress:
                found = matched_tables(store, server, tables)
                task = progress.add_task("Loading", total=len(found))

                def on_table(name: str, _result: Any) -> None:
                    progress.update(task, advance=1, description=f"Loaded {name}")

                results = load_server_tables(store, server, tables, on_table)
                quality.refresh(store)
                progress.update(task, description="Writing the canonical data to the server")
                pushed = canonical.push(store, server, lambda text: progress.update(task, description=text))
        finally:
            store.close()
    if not results:
        errors.print("No table on the server matches a [[server.tables]] pattern" + (" and --table" if tables else ""))
        sys.exit(1)
    _print_load_results(results)
    console.print(
        f"ICS SQL Server: {pushed.periods_replaced} provider-period(s) replaced ({pushed.rows_written:,} rows); "
        f"£{pushed.cost_on_server:,.2f} of cost lines held there."
    )
    if any(r.status == "failed" for r in results):
        sys.exit(1)

"""`icsbench lake ...`: the lake layout of the canonical data that a Spark refresh reads (docs/national-scale.md)."""

from __future__ import annotations

import click
from rich.markup import escape

from engine import config as config_module
from engine import jobs
from engine.cli.support import config_option, config_path, console, friendly_errors, reporting


@click.group()
def lake() -> None:
    """The lake: the canonical data as partitioned Parquet for a Spark refresh ([store] compute = "spark")."""


@lake.command("export")
@config_option
def export_command(config_file: str | None) -> None:
    """Write the store's canonical data to the lake ([spark] lake), partitioned by year, provider and setting."""
    with friendly_errors():
        config = config_module.load(config_path(config_file))
        with reporting("Writing the lake") as progress:
            done = jobs.export_lake(config, progress=progress)
    total = sum(done.rows.values())
    console.print(
        f"Wrote {total:,} rows in {len(done.rows)} tables to {escape(str(done.location))}: "
        f"{done.rows['activity']:,} records and {done.rows['cost_lines']:,} cost lines costing £{done.cost:,.2f}."
    )

"""What every `icsbench` command group shares: the consoles, the --config option and friendly errors."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from engine.errors import IcsBenchError

CONFIG_ENV = "ICSBENCH_CONFIG"
DEFAULT_CONFIG = "ics.toml"
PIPED_WIDTH = 200
console = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else PIPED_WIDTH)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Print an IcsBenchError as one sentence (no traceback) and exit 2."""
    try:
        yield
    except IcsBenchError as exc:
        errors.print(f"[bold red]Error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)


def config_path(value: str | None) -> Path:
    """--config, else $ICSBENCH_CONFIG, else ./ics.toml."""
    return Path(value or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help=f"The ICS config file (default: ${CONFIG_ENV}, else ./{DEFAULT_CONFIG}).",
)


def progress_bar() -> Progress:
    """A progress bar on a terminal (or with ICSBENCH_PROGRESS=1); silent when output is piped."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal and os.environ.get("ICSBENCH_PROGRESS") != "1",
    )

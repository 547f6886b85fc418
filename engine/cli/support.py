"""What every `icsbench` command group shares: the consoles, the --config option, friendly errors, progress."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as ProgressBar

from engine.errors import IcsBenchError
from engine.nhs_number import redact
from engine.progress import Progress

CONFIG_ENV = "ICSBENCH_CONFIG"
DEFAULT_CONFIG = "ics.toml"
PIPED_WIDTH = 200
console = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else PIPED_WIDTH)


DEBUG_ENV = "ICSBENCH_DEBUG"


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Print an IcsBenchError as one sentence (no traceback) and exit 2; an error no check foresaw as one sentence
    too (its traceback only with ICSBENCH_DEBUG=1). An NHS number in a message is never printed."""
    try:
        yield
    except IcsBenchError as exc:
        errors.print(f"[bold red]Error:[/] {escape(redact(str(exc)))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except Exception as exc:
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        detail = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        errors.print(
            f"[bold red]Error:[/] something went wrong that icsbench does not know how to explain: {escape(detail)}. "
            f"Nothing already saved was changed. Run the command again with {DEBUG_ENV}=1 set to see the details "
            "(for a report to the icsbench team).",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(3)


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


def progress_bar() -> ProgressBar:
    """A progress bar on a terminal (or with ICSBENCH_PROGRESS=1); silent when output is piped."""
    return ProgressBar(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal and os.environ.get("ICSBENCH_PROGRESS") != "1",
    )


@contextmanager
def reporting(title: str) -> Iterator[Progress]:
    """A progress bar for one job, and the engine's progress protocol that moves it."""
    with progress_bar() as bar:
        task = bar.add_task(title, total=None)

        def report(label: str, done: int | None = None, total: int | None = None) -> None:
            bar.update(task, description=f"{title}: {label}", completed=done, total=total)

        yield report


def printed(label: str, done: int | None = None, total: int | None = None) -> None:
    """Progress as one printed line per step, for work whose steps are few and slow (a Power BI upload)."""
    console.print(escape(label), highlight=False)

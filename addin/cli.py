"""`icsbench excel ...`: set up and build the Excel add-in (added to icsbench through an entry point)."""

from __future__ import annotations

import sys
from pathlib import Path, PureWindowsPath

import click

STARTUP_FOLDER_SHOWN = r"<the one Excel gives, usually %APPDATA%\Microsoft\Excel\XLSTART>"


@click.group()
def excel() -> None:
    """The Excel add-in: worksheet functions and the ICS Benchmarking ribbon tab."""


@excel.command("build")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Folder to write the add-in to.",
)
def build_command(out: Path) -> None:
    """Build ICS Benchmarking.xlam from the ribbon and VBA sources in addin/excel/ (same sources, same bytes)."""
    from addin import build

    try:
        target = build.build(out)
    except build.BuildError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Wrote {target}")


def _on_windows() -> bool:
    return sys.platform == "win32"


@excel.command("install")
@click.option(
    "--xlstart",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to put the add-in [default: Excel's startup folder, as Excel gives it (Application.StartupPath)].",
)
@click.option(
    "--python",
    "interpreter",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The python.exe that serves the add-in [default: the one running this command].",
)
@click.option("--skip-xlwings-addin", is_flag=True, help="Leave out the xlwings add-in (our tab works without it).")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="The ICS config (ics.toml) Excel should read its results from; recorded for this user.",
)
def install_command(
    xlstart: Path | None, interpreter: Path | None, skip_xlwings_addin: bool, config_file: Path | None
) -> None:
    """Set Excel up for this Windows user: the xlwings add-in, ICS Benchmarking.xlam in XLSTART, and its settings."""
    from addin import build, config_source, install

    if config_file is not None:
        written = config_source.save_config_choice(config_file)
        click.echo(f"Excel will read the results of {config_file.resolve()} (recorded in {written}).")

    if not _on_windows():
        locations = install.Locations.for_user(
            PureWindowsPath("%USERPROFILE%"),
            PureWindowsPath("%APPDATA%"),
            PureWindowsPath(interpreter) if interpreter else PureWindowsPath(r"<this Python>\python.exe"),
            PureWindowsPath(xlstart) if xlstart else PureWindowsPath(STARTUP_FOLDER_SHOWN),
        )
        click.echo(f"Setting Excel up needs Windows with Excel; this is {sys.platform}, so nothing was changed.")
        click.echo("On Windows, `icsbench excel install` would:")
        for number, step in enumerate(install.steps(locations, xlwings_addin=not skip_xlwings_addin), start=1):
            click.echo(f"{number}. {step.summary}")
        click.echo("To build the add-in file here, run `icsbench excel build`.")
        click.get_current_context().exit(1)
    try:
        locations = install.Locations.this_user(xlstart, interpreter)
        install.run_steps(install.steps(locations, xlwings_addin=not skip_xlwings_addin), click.echo)
    except (install.InstallError, build.BuildError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Done. Start Excel: the ICS Benchmarking tab and the ICS_ functions come from {build.XLAM_NAME}.")

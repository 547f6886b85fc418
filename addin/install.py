"""`icsbench excel install`: set Excel up on a Windows desktop to use the ICS Benchmarking add-in.

Steps, each printed as it is done (docs/excel.md explains them and what IT must allow):
1. the xlwings add-in, through xlwings' own `xlwings addin install` (it finds Excel's startup folder through Excel);
2. `ICS Benchmarking.xlam`, built from the sources in this installed package, copied into Excel's user startup
   folder, asked of Excel as xlwings asks it (`Application.StartupPath`: IT may have moved it from
   `%APPDATA%\\Microsoft\\Excel\\XLSTART`): Excel opens every file there at start, and it is one of Office's default
   trusted locations, so the add-in's macros run without a prompt. The file is written locally, so it carries no
   "downloaded from the internet" mark;
3. the add-in's xlwings settings in `%USERPROFILE%\\.icsbench\\icsbench.conf`: this Python as the interpreter,
   `addin.udfs` as the UDF module, and the workbook's folder kept off the Python path (so a stray `addin.py` next to
   a user's workbook cannot shadow ours). Settings already in the file are kept. VBA reads the file (`Input #`) in
   Windows' ANSI code page, so it is written in that code page, not UTF-8: a path such as `C:\\Users\\Zoë\\...`
   then reaches Excel intact, and one the code page cannot hold is refused with the reason;
4. a check that the xlwings DLL the add-in's VBA declares sits where that VBA looks for it (beside the interpreter or
   one folder up, which is where pip puts it).

Only step 1 and finding the startup folder talk to Excel (through xlwings; tests/addin/test_install.py runs xlwings'
own Windows code for the second against a fake Excel); the rest is plain file work on paths held in `Locations`, so
it runs (and is tested) anywhere. The command itself refuses to change anything off Windows and prints what it would
do.
"""

from __future__ import annotations

import csv
import io
import locale
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from addin import build
from addin.xlam import vba_sources

UDF_MODULES = "addin.udfs"


class InstallError(Exception):
    """A step could not be done; the message says what to do about it."""


def vba_encoding() -> str:
    """The code page VBA reads and writes text files in: Windows' ANSI code page (cp1252 on an English desktop;
    UTF-8 only where the "Beta: Use Unicode UTF-8" option is on). Python's UTF-8 mode does not change it."""
    return locale.getencoding()


def excel_startup_folder() -> Path:
    """Excel's own user startup folder (`Application.StartupPath`), asked of Excel the way `xlwings addin install`
    asks it (`xlwings.cli.get_addin_dir`): the running Excel, or a hidden one started for the question."""
    from xlwings import cli as xlwings_cli

    try:
        return Path(xlwings_cli.get_addin_dir())  # type: ignore[no-untyped-call]
    except Exception as exc:
        raise InstallError(
            f"could not ask Excel for its startup folder ({type(exc).__name__}: {exc}); pass --xlstart FOLDER "
            "(Excel shows it under File > Options > Trust Center > Trust Center Settings > Trusted Locations, as "
            '"User Startup")'
        ) from exc


@dataclass(frozen=True)
class Locations:
    """Where the add-in's pieces go for one Windows user (pure paths, so a plan can be shown on any system)."""

    xlstart: PurePath
    config_file: PurePath
    interpreter: PurePath
    config_encoding: str = field(default_factory=vba_encoding)

    @classmethod
    def for_user(
        cls, home: PurePath, appdata: PurePath, interpreter: PurePath, xlstart: PurePath | None = None
    ) -> Locations:
        """The standard places under a user's profile (`home` = %USERPROFILE%, `appdata` = %APPDATA%)."""
        return cls(
            xlstart=xlstart or appdata / "Microsoft" / "Excel" / "XLSTART",
            config_file=home / f".{vba_sources.CONFIG_NAME}" / f"{vba_sources.CONFIG_NAME}.conf",
            interpreter=interpreter,
        )

    @classmethod
    def this_user(
        cls,
        xlstart: Path | None = None,
        interpreter: Path | None = None,
        startup_folder: Callable[[], Path] | None = None,
    ) -> Locations:
        """The places for the user running this command: Excel's startup folder as Excel gives it
        (`excel_startup_folder`, unless `xlstart` is given), the interpreter this Python unless another is given."""
        home = Path(os.environ.get("USERPROFILE") or Path.home())
        appdata = Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming")
        xlstart = xlstart or (startup_folder or excel_startup_folder)()
        return cls.for_user(home, appdata, interpreter or Path(sys.executable), xlstart)


@dataclass(frozen=True)
class Step:
    """One thing the installer does: what it is, and the action, which returns what it did."""

    summary: str
    action: Callable[[], str]


def config_settings(interpreter: PurePath) -> dict[str, str]:
    """The xlwings settings the add-in needs, as the custom add-in's VBA reads them (keys are case blind)."""
    return {
        "INTERPRETER_WIN": str(interpreter),
        "UDF MODULES": UDF_MODULES,
        "ADD_WORKBOOK_TO_PYTHONPATH": "False",
    }


def _read_config(path: Path, encoding: str) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    try:
        text = path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise InstallError(f"{path}: not text in the code page VBA reads ({encoding}): {exc}; delete it") from exc
    rows = csv.reader(io.StringIO(text))
    return [(row[0], row[1] if len(row) > 1 else "") for row in rows if row]


def write_config(path: Path, settings: dict[str, str], encoding: str | None = None) -> list[str]:
    """Merge `settings` into the xlwings config file (lines `"KEY","value"`, read by VBA's `Input #`) in the code
    page VBA reads (`vba_encoding()` unless given); returns the keys whose value changed. Other keys, and their
    order, are kept."""
    encoding = encoding or vba_encoding()
    for key, value in settings.items():
        if '"' in value or "\n" in value:
            raise InstallError(f"{key}: a value with a quote or line break cannot be stored in {path.name}: {value!r}")
        unreadable = sorted({char for char in value if not _encodes(char, encoding)})
        if unreadable:
            raise InstallError(
                f"{key}: {value} has {', '.join(unreadable)}, which Excel's VBA cannot read on this Windows (code "
                f"page {encoding}); use a Python installed in a folder whose path has none (e.g. C:\\Python311), "
                "with --python"
            )
    wanted = {key.lower(): (key, value) for key, value in settings.items()}
    lines, changed = [], []
    for key, value in _read_config(path, encoding):
        if key.lower() in wanted:
            new_key, new_value = wanted.pop(key.lower())
            if new_value != value:
                changed.append(new_key)
            lines.append((new_key, new_value))
        else:
            lines.append((key, value))
    for key, value in wanted.values():
        lines.append((key, value))
        changed.append(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f'"{key}","{value}"\r\n' for key, value in lines), encoding=encoding, newline="")
    return changed


def _encodes(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def dll_candidates(interpreter: PurePath) -> list[PurePath]:
    """Where the add-in's VBA (XLPyLoadDLL) looks for the xlwings DLL: beside the interpreter, then one folder up."""
    name = f"xlwings64-{vba_sources.pinned_xlwings_version()}.dll"
    return [interpreter.parent / name, interpreter.parent.parent / name]


def _install_xlwings_addin(interpreter: PurePath, run: Callable[..., subprocess.CompletedProcess[str]]) -> str:
    command = [str(interpreter), "-m", "xlwings.cli", "addin", "install"]
    result = run(command, capture_output=True, text=True, check=False)
    said = " ".join((result.stdout + result.stderr).split()) or f"exit code {result.returncode}"
    if result.returncode != 0 or "Successfully installed" not in said:
        raise InstallError(f"`xlwings addin install` failed ({said}); close Excel and run this again")
    return said


def _copy_addin(xlstart: PurePath) -> str:
    target = Path(xlstart) / build.XLAM_NAME
    data = build.xlam_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        target.write_bytes(data)
    except PermissionError:
        raise InstallError(f"cannot write {target}: Excel has it open. Close Excel and run this again") from None
    return f"wrote {target} ({len(data):,} bytes)"


def _configure(config_file: PurePath, interpreter: PurePath, encoding: str) -> str:
    settings = config_settings(interpreter)
    changed = write_config(Path(config_file), settings, encoding)
    shown = ", ".join(f"{key} = {settings[key]}" for key in changed) if changed else "already up to date"
    return f"{config_file}: {shown}"


def _check_dll(interpreter: PurePath) -> str:
    candidates = dll_candidates(interpreter)
    for path in candidates:
        if Path(path).exists():
            return f"found {path}"
    raise InstallError(
        f"no {candidates[0].name} in {candidates[0].parent} or {candidates[1].parent}: install the pinned xlwings into "
        f"this Python (pip install 'xlwings=={vba_sources.pinned_xlwings_version()}') and run this again"
    )


def steps(
    locations: Locations,
    *,
    xlwings_addin: bool = True,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> list[Step]:
    """The install, step by step, for these locations."""
    plan = []
    if xlwings_addin:
        plan.append(
            Step(
                "install the xlwings add-in (`xlwings addin install`)",
                lambda: _install_xlwings_addin(locations.interpreter, run),
            )
        )
    plan += [
        Step(
            f"build {build.XLAM_NAME} and copy it to Excel's startup folder {locations.xlstart}",
            lambda: _copy_addin(locations.xlstart),
        ),
        Step(
            f"write the add-in's settings (interpreter, UDF module {UDF_MODULES}) to {locations.config_file}",
            lambda: _configure(locations.config_file, locations.interpreter, locations.config_encoding),
        ),
        Step(
            f"check that the xlwings DLL is where the add-in looks for it, beside {locations.interpreter}",
            lambda: _check_dll(locations.interpreter),
        ),
    ]
    return plan


def run_steps(plan: Sequence[Step], echo: Callable[[str], None]) -> None:
    """Do each step, saying what it did; stops at the first that fails (InstallError)."""
    for number, step in enumerate(plan, start=1):
        echo(f"{number}. {step.summary}")
        echo(f"   {step.action()}")

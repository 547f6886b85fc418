"""Build `ICS Benchmarking.xlam` from the text sources in addin/excel/, the same bytes every time.

    python -m addin.build --out DIR        (or `icsbench excel build --out DIR`)

What goes in:
- `addin/excel/customUI14.xml`, the ribbon (namespace customUI 2009/07), stored as `customUI/customUI14.xml`;
- the VBA modules: every `addin/excel/vba/*.bas` (hand-written callbacks, and `ICSFunctions.bas`, generated from the
  worksheet-function registry by `addin.vba`), plus `xlwings_custom_addin.bas` taken from the INSTALLED xlwings package
  (its version must be the one pyproject pins, because the module names the matching xlwings DLL), with its
  `PROJECT_NAME` set to ours so it reads `%USERPROFILE%\\.icsbench\\icsbench.conf`;
- the two document modules every Excel VBA project has (ThisWorkbook, Sheet1), empty.

Why a writer of our own: the VBA project (`xl/vbaProject.bin`) is an OLE compound file (MS-CFB) holding the streams
MS-OVBA describes. Python's packages only read it (olefile, oletools); LibreOffice can write one, but only from a
running office with its Basic IDE in VBA mode, which would make LibreOffice a build dependency on every machine that
installs the add-in. The project we need is small and source-only, so `addin.xlam` writes the MS-OVBA streams and the
compound file itself, following the specifications section by section; the tests read the result back with olefile,
olevba and LibreOffice, which share no code with it. The workbook parts come from xlsxwriter; the zip is then
rewritten with the add-in content type, the ribbon part and fixed timestamps.

The parts, one module each in `addin.xlam`: `vba_sources` (the modules), `ribbon_checks` (the ribbon and its
callbacks), `ovba` (the VBA project streams), `compound_file` (the container), `package` (the .xlam zip).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from addin.xlam import BuildError, ovba, package, ribbon_checks, vba_sources

__all__ = ["XLAM_NAME", "BuildError", "build", "main", "xlam_bytes"]

XLAM_NAME = "ICS Benchmarking.xlam"


def xlam_bytes() -> bytes:
    """The add-in file, built from the sources in the package and the installed xlwings."""
    ribbon = ribbon_checks.ribbon_xml()
    modules = vba_sources.vba_modules()
    problems = ribbon_checks.ribbon_problems(ribbon, modules)
    if problems:
        raise BuildError(f"{ribbon_checks.RIBBON_PATH.name}: " + "; ".join(problems))
    return package.xlam(ovba.vba_project_bin(modules), ribbon)


def build(out_dir: Path) -> Path:
    """Write `ICS Benchmarking.xlam` into out_dir (created if missing); returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / XLAM_NAME
    target.write_bytes(xlam_bytes())
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m addin.build", description=f"Build {XLAM_NAME} from addin/excel/.")
    parser.add_argument("--out", type=Path, default=Path("dist"), help="folder to write the add-in to (default dist)")
    args = parser.parse_args(argv)
    try:
        target = build(args.out)
    except BuildError as error:
        print(f"cannot build the add-in: {error}", file=sys.stderr)
        return 1
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

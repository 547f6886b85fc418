"""Install ICS PLICS Benchmarking from this release folder, with no access to the internet.

    py install.py [--venv FOLDER] [--no-excel] [--config PATH-TO-ics.toml]

1. makes a virtual environment with the Python running this script (by default %USERPROFILE%\\icsbench on Windows,
   ~/icsbench elsewhere); an existing one is reused and upgraded;
2. installs ics-plics-benchmarking and everything it needs from the wheels/ folder beside this script, and nothing
   else: `pip install --isolated --no-index --find-links wheels` (`--isolated`: a pip.conf or PIP_ variable
   pointing at an index is ignored, so what is installed is what is in the folder);
3. on Windows, sets Excel up: `icsbench excel install` (close Excel first; docs/excel.md explains each step), with
   --config recorded as the ICS config Excel reads. --no-excel leaves Excel alone.

Needs only the Python standard library. Exit status 0 when everything was installed.
"""

from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = "ics-plics-benchmarking"


def default_venv() -> Path:
    return Path(os.environ.get("USERPROFILE") or Path.home()) / "icsbench"


def scripts(folder: Path) -> Path:
    return folder / ("Scripts" if os.name == "nt" else "bin")


def fail(message: str) -> int:
    print(f"install: {message}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="install.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=default_venv(), help="where to install [default: %(default)s]")
    parser.add_argument("--no-excel", action="store_true", help="do not run `icsbench excel install`")
    parser.add_argument("--config", type=Path, help="the ICS config (ics.toml) Excel should read its results from")
    args = parser.parse_args(argv)

    version = (HERE / "VERSION").read_text(encoding="utf-8").strip()
    if sys.version_info < (3, 11):  # noqa: UP036  (this runs on whatever Python the user has)
        return fail(f"needs Python 3.11 or later; this is {sys.version.split()[0]} ({sys.executable})")
    if os.name == "nt" and struct.calcsize("P") != 8:
        return fail(f"needs 64-bit Python (the wheels are for 64-bit Windows); {sys.executable} is 32-bit")

    print(f"1. virtual environment {args.venv}")
    venv.EnvBuilder(with_pip=True, upgrade_deps=False).create(args.venv)
    python = scripts(args.venv) / ("python.exe" if os.name == "nt" else "python")

    print(f"2. {PROJECT} {version} and what it needs, from {HERE / 'wheels'} only")
    wanted = f"{PROJECT}[excel]=={version}"
    command = [
        str(python),
        "-m",
        "pip",
        "install",
        "--isolated",
        "--disable-pip-version-check",
        "--no-index",
        "--find-links",
        str(HERE / "wheels"),
        "--upgrade",
        wanted,
    ]
    if subprocess.run(command, check=False).returncode != 0:
        python_version = f"{sys.version_info.major}.{sys.version_info.minor}"
        return fail(
            f"pip could not install {wanted} from {HERE / 'wheels'}. The wheels there are for the platforms and "
            f"Python versions the release was built for; this is Python {python_version} on {sys.platform}. "
            "Use a Python the release has wheels for, or ask for a release built for this one."
        )

    icsbench = scripts(args.venv) / ("icsbench.exe" if os.name == "nt" else "icsbench")
    if os.name != "nt" or args.no_excel:
        print(f"3. Excel not set up{' (--no-excel)' if args.no_excel else ' (not Windows)'}")
    else:
        print("3. Excel: icsbench excel install")
        excel = [str(icsbench), "excel", "install"] + (["--config", str(args.config)] if args.config else [])
        if subprocess.run(excel, check=False).returncode != 0:
            return fail("Excel was not set up (see above); fix that, then run: " + " ".join(excel))
    print(f"Done. Run {icsbench} --help, or try it on synthetic data: {icsbench} demo")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

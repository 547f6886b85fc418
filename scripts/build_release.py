"""Build a release folder that installs ICS PLICS Benchmarking on a desktop with no access to PyPI.

    scripts/build-release [--out DIR] [--python 3.11 --python 3.12 ...] [--this-machine]

The folder holds:
- `wheels/`: the project's wheel and a wheel of every package it needs with the `excel` extra (xlwings, pywin32 and
  the rest), for 64-bit Windows and each Python version asked for (by default 3.11, 3.12 and 3.13), or for this
  machine with --this-machine (what CI installs and tests);
- `ICS Benchmarking.xlam`, built from the same sources (for IT to inspect; `icsbench excel install` builds the same
  file on the desktop);
- `Power BI/`: the Power BI project (`pbix_templates/`);
- `install.py` and `install.cmd`: the offline install, `pip install --no-index --find-links wheels`, into a virtual
  environment under the user's profile, then `icsbench excel install` on Windows (docs/excel.md).

pip evaluates a requirement's environment markers (`platform_system == "Windows"`) on the machine it runs on, not for
the `--platform` it downloads for, so a Windows-only dependency (xlwings' pywin32) would be missed from Linux: every
wheel's requirements are therefore evaluated here for the target, and what is missing is downloaded too, until every
requirement of every wheel is met by a wheel in the folder; then pip itself resolves the install from the folder
alone (`--no-index --dry-run`) for each target. The project wheel is checked to hold what an installed copy needs
(the SQL, the Power BI project, the add-in's VBA and ribbon sources).
"""

from __future__ import annotations

import argparse
import email.parser
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.tags import Tag, cpython_tags, sys_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "ics-plics-benchmarking"
EXTRA = "excel"
WINDOWS_PYTHONS = ("3.11", "3.12", "3.13")
# What an installed copy must hold besides Python modules (pyproject.toml's force-include and package data).
WHEEL_MUST_HOLD = (
    "engine/_sql/metrics/benchmark_cells.sql",
    "engine/_pbix_templates/ICS Benchmarking.pbip",
    "engine/_pbix_templates/ICS Benchmarking.SemanticModel/definition/model.tmdl",
    "engine/_pbix_templates/variants/sqlserver/expressions.tmdl",
    "engine/templates/ics.toml",
    "addin/excel/customUI14.xml",
    "addin/excel/vba/ICSRibbon.bas",
    "addin/excel/vba/ICSFunctions.bas",
)
INSTALL_SOURCES = ROOT / "scripts" / "release"


@dataclass(frozen=True)
class Target:
    """A platform the wheels are for: pip's download options and the marker environment of that platform."""

    name: str
    pip_options: tuple[str, ...]
    environment: dict[str, str]
    tags: frozenset[Tag]

    @classmethod
    def windows(cls, python: str) -> Target:
        major, minor = python.split(".")
        environment = {
            **default_environment(),
            "os_name": "nt",
            "sys_platform": "win32",
            "platform_system": "Windows",
            "platform_machine": "AMD64",
            "platform_release": "10",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "python_version": python,
            "python_full_version": f"{python}.0",
            "implementation_version": f"{python}.0",
        }
        tags = frozenset(cpython_tags((int(major), int(minor)), platforms=["win_amd64"]))
        options = ("--platform", "win_amd64", "--python-version", python, "--implementation", "cp")
        return cls(f"Windows 64-bit, Python {python}", options, environment, tags | _pure(major, minor))

    @classmethod
    def this_machine(cls) -> Target:
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        return cls(
            f"this machine ({sysconfig.get_platform()}, Python {version})",
            (),
            dict(default_environment()),
            frozenset(sys_tags()),
        )


def _pure(major: str, minor: str) -> frozenset[Tag]:
    pythons = [f"py{major}", f"py{major}{minor}", *(f"py{major}{m}" for m in range(int(minor)))]
    return frozenset(Tag(python, "none", "any") for python in pythons)


class ReleaseError(Exception):
    """The release cannot be built; the message says why."""


def run(command: Sequence[str]) -> None:
    print("  $", " ".join(command), flush=True)
    result = subprocess.run(command, text=True, capture_output=True, check=False)
    if result.returncode != 0:
        raise ReleaseError(f"{' '.join(command[:5])} ... failed:\n{result.stdout}{result.stderr}")


def build_wheel(wheels: Path) -> Path:
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels), str(ROOT)])
    built = sorted(wheels.glob("ics_plics_benchmarking-*.whl"))
    if len(built) != 1:
        raise ReleaseError(f"expected one project wheel in {wheels}, found {[p.name for p in built]}")
    names = set(zipfile.ZipFile(built[0]).namelist())
    missing = [name for name in WHEEL_MUST_HOLD if name not in names]
    if missing:
        raise ReleaseError(f"{built[0].name} lacks {missing}: check [tool.hatch.build.targets.wheel] in pyproject.toml")
    return built[0]


@dataclass(frozen=True)
class Wheel:
    path: Path
    name: str
    version: str
    tags: frozenset[Tag]
    requires: tuple[str, ...]


def read_wheel(path: Path) -> Wheel:
    name, version, _, tags = parse_wheel_filename(path.name)
    with zipfile.ZipFile(path) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        headers = email.parser.Parser().parsestr(archive.read(metadata).decode("utf-8"))
    return Wheel(path, name, str(version), frozenset(tags), tuple(headers.get_all("Requires-Dist") or ()))


def unmet(wheels: Iterable[Wheel], target: Target, root: str) -> list[Requirement]:
    """Requirements of the wheels that apply on `target` and that no wheel for `target` in the folder meets."""
    usable = [w for w in wheels if w.tags & target.tags]
    by_name = {canonicalize_name(w.name): w for w in usable}
    missing: dict[str, Requirement] = {}
    for wheel in usable:
        extras = [EXTRA] if canonicalize_name(wheel.name) == canonicalize_name(root) else []
        for text in wheel.requires:
            requirement = Requirement(text)
            applies = requirement.marker is None or any(
                requirement.marker.evaluate({**target.environment, "extra": extra}) for extra in [*extras, ""]
            )
            have = by_name.get(canonicalize_name(requirement.name))
            if applies and (have is None or have.version not in requirement.specifier):
                missing[str(requirement.name)] = requirement
    return list(missing.values())


def download(wheels: Path, target: Target, requirements: Sequence[str]) -> None:
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--only-binary=:all:",
            "--dest",
            str(wheels),
            "--find-links",
            str(wheels),
            *target.pip_options,
            *requirements,
        ]
    )


def gather(wheels: Path, project: Path, target: Target) -> None:
    """Every wheel the project needs on `target`, checked requirement by requirement for that target, then an
    offline install resolved by pip from the folder alone."""
    download(wheels, target, [f"{project}[{EXTRA}]"])
    for _ in range(10):
        missing = unmet([read_wheel(p) for p in sorted(wheels.glob("*.whl"))], target, PROJECT)
        if not missing:
            break
        print(f"  for {target.name}, pip left out: {', '.join(map(str, missing))}")
        download(wheels, target, [str(requirement.name) + str(requirement.specifier) for requirement in missing])
    else:
        raise ReleaseError(f"for {target.name}, still unmet after ten rounds: {missing}")
    with tempfile.TemporaryDirectory() as nowhere:
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--isolated",
                "--quiet",
                "--dry-run",
                "--no-index",
                "--only-binary=:all:",
                "--find-links",
                str(wheels),
                "--target",
                nowhere,
                *target.pip_options,
                f"{PROJECT}[{EXTRA}]=={read_wheel(project).version}",
            ]
        )


def build(out: Path, targets: Sequence[Target]) -> Path:
    if out.exists():
        shutil.rmtree(out)
    wheels = out / "wheels"
    wheels.mkdir(parents=True)
    print(f"Building the release in {out}")
    project = build_wheel(wheels)
    for target in targets:
        print(f"Wheels for {target.name}")
        gather(wheels, project, target)
    run([sys.executable, "-m", "addin.build", "--out", str(out)])
    shutil.copytree(ROOT / "pbix_templates", out / "Power BI")
    for name in ("install.py", "install.cmd", "README.txt"):
        shutil.copy(INSTALL_SOURCES / name, out / name)
    (out / "VERSION").write_text(read_wheel(project).version + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    count = len(list(wheels.glob("*.whl")))
    print(f"Release {read_wheel(project).version}: {count} wheels, {size / 1e6:.1f} MB in {out}")
    print(f"  {project.name}: {project.stat().st_size / 1e3:.0f} kB")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/build-release", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "release", help="release folder (replaced)")
    parser.add_argument("--python", action="append", help=f"Windows Python versions [default: {WINDOWS_PYTHONS}]")
    parser.add_argument("--this-machine", action="store_true", help="wheels for this machine instead of Windows")
    args = parser.parse_args(argv)
    if args.this_machine:
        targets = [Target.this_machine()]
    else:
        targets = [Target.windows(python) for python in args.python or WINDOWS_PYTHONS]
    try:
        build(args.out.resolve(), targets)
    except ReleaseError as error:
        print(f"cannot build the release: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

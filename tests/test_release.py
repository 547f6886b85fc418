"""scripts/build-release: the wheels a release folder needs for its target, markers evaluated for that target.

The release itself is built, installed offline into a fresh virtual environment and run (`icsbench demo`) by
scripts/check-release, which CI runs (.ci/run); this checks the part that decides what goes in the folder.
"""

from __future__ import annotations

import importlib.util
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def release() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_release", ROOT / "scripts" / "build_release.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_release"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def _wheel(folder: Path, name: str, version: str, tag: str, *requires: str) -> Path:
    path = folder / f"{name}-{version}-{tag}.whl"
    metadata = "".join(f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}-{version}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {name}\n{metadata}")
    return path


def test_a_windows_only_dependency_is_wanted_for_windows_though_pip_runs_on_linux(
    release: ModuleType, tmp_path: Path
) -> None:
    project = _wheel(
        tmp_path, "ics_plics_benchmarking", "0.1.0", "py3-none-any",
        "duckdb>=1.2", 'xlwings==0.37.8; extra == "excel"', 'pytest>=8; extra == "dev"',
    )  # fmt: skip
    xlwings = _wheel(
        tmp_path, "xlwings", "0.37.8", "cp311-cp311-win_amd64",
        'pywin32>=224; platform_system == "Windows"', 'appscript>=1.0.1; platform_system == "Darwin"',
    )  # fmt: skip
    duckdb = _wheel(tmp_path, "duckdb", "2.0.1", "cp311-cp311-win_amd64")
    windows = release.Target.windows("3.11")
    wheels = [release.read_wheel(p) for p in (project, xlwings, duckdb)]
    assert [str(r) for r in release.unmet(wheels, windows, release.PROJECT)] == [
        'pywin32>=224; platform_system == "Windows"'
    ]
    pywin32 = release.read_wheel(_wheel(tmp_path, "pywin32", "312", "cp311-cp311-win_amd64"))
    assert release.unmet([*wheels, pywin32], windows, release.PROJECT) == []
    # Wheels built for Python 3.11 do not serve 3.12; a version outside the specifier does not count either.
    assert {r.name for r in release.unmet([*wheels, pywin32], release.Target.windows("3.12"), release.PROJECT)} == {
        "duckdb",
        "xlwings",
    }
    old = release.read_wheel(_wheel(tmp_path, "pywin32", "223", "cp311-cp311-win_amd64"))
    assert [r.name for r in release.unmet([*wheels, old], windows, release.PROJECT)] == ["pywin32"]


def test_what_the_project_wheel_must_hold_are_files_of_the_checkout(release: ModuleType) -> None:
    # build_wheel refuses a wheel without them (pyproject.toml maps sql/ and pbix_templates/ into engine/).
    for relative in release.WHEEL_MUST_HOLD:
        source = relative.replace("engine/_sql/", "sql/").replace("engine/_pbix_templates/", "pbix_templates/")
        assert (ROOT / source).is_file(), relative

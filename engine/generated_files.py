"""Checked-in files the code writes (docs, SQL snapshots, table shapes, the DBA's script): one way to write or check.

Each generator hands over what its files should hold; `--write` brings them up to date and `--check` (run by
scripts/check) exits 1 naming every stale one, so a change that forgets to regenerate fails CI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

Expected = Mapping[Path, str | None]
"""Every generated file and what it should hold; None for a file that should no longer exist."""


def stale(expected: Expected) -> list[Path]:
    """The files whose content differs from what they should hold (missing, changed, or left over)."""
    return [path for path, text in expected.items() if _current(path) != text]


def write(expected: Expected) -> list[Path]:
    """Bring every file up to date; the paths changed."""
    changed = stale(expected)
    for path in changed:
        text = expected[path]
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
    return changed


def main(command: str, what: str, expected: Callable[[], Expected], argv: Sequence[str] | None = None) -> int:
    """`command --write | --check` for the files `expected()` describes (`what` names them in --help)."""
    parser = argparse.ArgumentParser(prog=command, description=f"Write or check {what}.")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="write the files that are missing or stale")
    action.add_argument("--check", action="store_true", help="exit 1 when any file is missing or stale")
    args = parser.parse_args(argv)
    try:
        files = expected()
    except ValueError as exc:  # a generator that cannot produce its files (a metric that does not transpile)
        print(exc, file=sys.stderr)
        return 1
    if args.check:
        outdated = stale(files)
        for path in outdated:
            print(f"stale: {_shown(path)}", file=sys.stderr)
        if outdated:
            print(f"run `{command} --write` and commit the result", file=sys.stderr)
        return 1 if outdated else 0
    for path in write(files):
        print(f"{'wrote' if path.exists() else 'deleted'} {_shown(path)}")
    return 0


def _current(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


def _shown(path: Path) -> str:
    here = Path.cwd()
    return str(path.relative_to(here)) if path.is_absolute() and path.is_relative_to(here) else str(path)

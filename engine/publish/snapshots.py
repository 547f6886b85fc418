"""Folders of versions and the pointer that names the current one: how a set of files changes all at once.

A writer builds a whole new version in a folder beside the current ones (under a hidden name until it is complete,
then renamed), and only then replaces the pointer file, `current.json`, in one atomic rename. A reader reads the
pointer and then the files of the version it names, so it sees the old set or the new one, never a mix, and never
waits for the writer or makes it wait. Versions the pointer no longer names stay a while (a reader may be part way
through one; a Power BI report may still point at one) and are removed by a later writer, as are the leftovers of a
writer that was stopped part way (a hidden `.partial` folder, a temporary pointer file).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.errors import IcsBenchError
from engine.publish.atomic import as_usual

POINTER = "current.json"
PARTIAL = ".partial-"
FORMAT = 1
# On Windows a file that another process has open cannot be replaced; readers hold the pointer for microseconds.
REPLACE_ATTEMPTS = 50
REPLACE_PAUSE_SECONDS = 0.05


def read_pointer(root: Path) -> dict[str, Any] | None:
    """The current version's manifest, or None when no version was ever switched in."""
    try:
        text = (root / POINTER).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    manifest: dict[str, Any] = json.loads(text)
    return manifest


def version_folder(root: Path, manifest: dict[str, Any]) -> Path:
    return root / str(manifest["folder"])


@contextlib.contextmanager
def staged(root: Path, name: str) -> Iterator[Path]:
    """A hidden folder beside the versions to write version `name` in, removed if the block fails; once it is
    complete, `finish_version` gives it its name. A writer stopped part way leaves it for `clean` to remove."""
    root.mkdir(parents=True, exist_ok=True)
    staging = as_usual(Path(tempfile.mkdtemp(prefix=f".{name}{PARTIAL}", dir=root)))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def free_name(root: Path, name: str) -> str:
    """`name` for a new version, or `name-2`, `name-3` ... when the current version has it (a store started again
    reuses refresh ids); a leftover of that name that is not current is removed first."""
    current = read_pointer(root)
    taken = str(current["folder"]) if current else None
    final, n = name, 1
    while (root / final).exists():
        if final != taken:
            shutil.rmtree(root / final, ignore_errors=True)
            if not (root / final).exists():
                break
        n += 1
        final = f"{name}-{n}"
    return final


def finish_version(root: Path, staging: Path, name: str) -> Path:
    """Give a complete staging folder its version name (from `free_name`)."""
    staging.rename(root / name)
    return root / name


def write_json(path: Path, content: dict[str, Any]) -> None:
    """Write a JSON file and make sure it is on disk before anything points at it."""
    with path.open("w", encoding="utf-8") as out:
        json.dump({"format": FORMAT, **content}, out, indent=2, default=str)
        out.flush()
        os.fsync(out.fileno())


def switch(root: Path, manifest: dict[str, Any]) -> None:
    """Make the version `manifest["folder"]` the current one: the pointer is written beside itself and renamed."""
    if not (root / str(manifest["folder"])).is_dir():
        raise IcsBenchError(f"{root / str(manifest['folder'])}: the version to switch to is missing")
    handle, temporary = tempfile.mkstemp(prefix=f".{POINTER}.", dir=root)
    os.close(handle)
    try:
        write_json(as_usual(Path(temporary)), manifest)
        replace_when_free(Path(temporary), root / POINTER)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def replace_when_free(source: Path, target: Path) -> None:
    """os.replace, tried again for a moment while another process has `target` open (Windows refuses then)."""
    for attempt in range(REPLACE_ATTEMPTS):
        try:
            source.replace(target)
            return
        except PermissionError:
            if attempt == REPLACE_ATTEMPTS - 1:
                raise
            time.sleep(REPLACE_PAUSE_SECONDS)


def clean(root: Path, *, prefix: str, keep: int) -> list[Path]:
    """Remove versions named `prefix`... beyond the current one and the `keep` newest others, every hidden partial
    version and temporary pointer a stopped writer left; returns what was removed (what a reader still holds open on
    Windows stays, and goes next time)."""
    if not root.is_dir():
        return []
    current = read_pointer(root)
    keep_names = {str(v) for v in current.values() if isinstance(v, str)} if current else set()
    versions = sorted(
        (p for p in root.iterdir() if p.is_dir() and p.name.startswith(prefix) and p.name not in keep_names),
        key=lambda p: (p.stat().st_mtime_ns, p.name),
        reverse=True,
    )
    doomed = versions[keep:]
    doomed += [p for p in root.iterdir() if p.name.startswith(".") and PARTIAL in p.name]
    doomed += [p for p in root.iterdir() if p.name.startswith(f".{POINTER}.")]
    return [path for path in doomed if remove(path)]


def remove(path: Path) -> bool:
    """Remove a file or a folder and all in it, as far as the system lets (on Windows, not what a program has open);
    whether it is gone."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()
    return not path.exists()

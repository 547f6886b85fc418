"""New extract files in the `[folders] extracts` folder: those the store has not loaded with the same name and size."""

from __future__ import annotations

from pathlib import Path

from engine import sql_files
from engine.errors import IcsBenchError
from engine.ingest.pseudonymise import Pseudonymiser
from engine.store import Store


def new_extracts(store: Store, folder: Path) -> list[Path]:
    """Files in `folder` that match an [[extracts]] pattern and were not loaded before as they are now."""
    if not folder.is_dir():
        raise IcsBenchError(f"{folder}: the extracts folder in the config ([folders] extracts) does not exist")
    loaded = {(name, size) for name, size in store.con.execute(sql_files.read("ingest/files_loaded.sql")).fetchall()}
    names = Pseudonymiser(store.config.pseudonym_key())  # the log holds names with any NHS number masked
    fresh = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or (names.mask(path.name), path.stat().st_size) in loaded:
            continue
        try:
            store.config.extract_for(path)
        except IcsBenchError:
            continue
        fresh.append(path)
    return fresh

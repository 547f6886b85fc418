"""Load extract files: each file its own unit, in the order their contents depend on each other.

`load_files` is what `icsbench load` and the ribbon's Refresh run; `load_file` loads one file and raises when it
cannot (for a caller that wants the error itself).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from engine.config import SourceSpec
from engine.errors import IcsBenchError
from engine.ingest import plan as planning
from engine.ingest.control_totals import ControlTotal, Unreadable
from engine.ingest.control_totals import read as read_control_totals
from engine.ingest.load_log import LoadResult
from engine.ingest.run import LoadRun, ResultCallback, same_contents
from engine.ingest.sources import Source, open_source
from engine.progress import Progress, silent
from engine.store import Store

_LAYOUT_ORDER = {"activity": 0, "wide": 0, "cost_lines": 1}
_SETTING_ORDER = {"apc": 0, "op": 1, "ec": 2, "mh": 3, "chs": 4, "cc": 5}


def load_files(
    store: Store,
    paths: Sequence[Path],
    *,
    control_totals: dict[str, Decimal] | None = None,
    progress: Progress = silent,
    on_result: ResultCallback | None = None,
) -> list[LoadResult]:
    """Load files in dependency order (activity before its cost lines, admitted care before critical care).

    Every file gets a result, whatever happens to the others; `on_result` hears each one as soon as it is known."""
    run = LoadRun(store, on_result=on_result) if on_result else LoadRun(store)
    folder_totals: dict[Path, dict[str, Decimal | Unreadable]] = {}
    ordered = order_for_loading(store, paths)
    repeats = same_contents(ordered)
    outcomes: dict[int, LoadResult] = {}
    for done, path in enumerate(ordered):
        origin = run.origin_of_file(path)
        progress(f"loading {origin.name}", done, len(ordered))
        first = repeats.get(done)
        if first is not None and outcomes[first].saved:  # a repeat of a file with no rows saved loads as itself
            earlier = ordered[first]
            what = "is the same file as" if path.resolve() == earlier.resolve() else "has the same contents as"
            message = f"{what} {outcomes[first].file}, loaded in this run: skipped, so its rows and cost count once"
            outcomes[done] = run.skip(origin, message)
            continue
        outcomes[done] = run.load(origin, functools.partial(_read, store, path, control_totals, folder_totals))
    progress(f"loaded {len(ordered)} file(s)", len(ordered), len(ordered))
    store.checkpoint()
    return run.results


def load_file(store: Store, path: Path, *, control_total: Decimal | None = None) -> LoadResult:
    """Load one file. Raises IcsBenchError when the whole file cannot be read (after recording it in the load log);
    row problems go to quarantine."""
    run = LoadRun(store)
    given = {path.name: control_total} if control_total is not None else None
    return run.load(run.origin_of_file(path), functools.partial(_read, store, path, given, {}), raise_errors=True)


def order_for_loading(store: Store, paths: Sequence[Path]) -> list[Path]:
    """Files sorted so that what a file depends on is loaded first; unmatched files keep their place at the end."""

    def rank(path: Path) -> tuple[int, int, str]:
        try:
            spec, _ = store.config.extract_for(path)
        except IcsBenchError:
            return (9, 9, path.name)
        return loading_rank(spec, path.name)

    return sorted(paths, key=rank)


def loading_rank(spec: SourceSpec, name: str) -> tuple[int, int, str]:
    """Where a source goes in a load: activity before its cost lines, admitted care before critical care."""
    return (_LAYOUT_ORDER[spec.layout], _SETTING_ORDER[spec.setting], name)


def _read(
    store: Store,
    path: Path,
    given: dict[str, Decimal] | None,
    folder_totals: dict[Path, dict[str, Decimal | Unreadable]],
) -> tuple[Source, SourceSpec, dict[str, str], ControlTotal]:
    """Open one file as its [[extracts]] entry says, with the control total it should add up to (if any)."""
    config = store.config
    spec, captured = config.extract_for(path)
    if path.parent not in folder_totals:
        folder_totals[path.parent] = read_control_totals(path.parent)
    control_total: ControlTotal = (given or {}).get(path.name)
    if control_total is None:
        control_total = folder_totals[path.parent].get(path.name)
    mapping = config.column_mapping(spec)
    source = open_source(
        path, encoding=spec.encoding, sheet=spec.sheet, expected=planning.expected_headers(spec, mapping)
    )
    return source, spec, captured, control_total

"""One load run (`icsbench load`, the ribbon's Refresh, `icsbench db load`): many sources, each its own unit.

A source that cannot be loaded, for whatever reason, is a failed result with a sentence and costs only itself: the
sources before and after it load as they would alone, and the run returns a result for every one of them. Each result
is also handed to `on_result` as soon as it is known, so a run that is stopped part way has already said which files
were saved. The run also knows what it has loaded so far: the same file given twice (or two files with the same
contents) is loaded once, and files that share a provider's period load together instead of the last one replacing
the others (a quarter sent as two files is the whole quarter, never half of it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from engine.config import SourceSpec
from engine.errors import IcsBenchError
from engine.ingest import load_log
from engine.ingest.control_totals import ControlTotal
from engine.ingest.load import load_source, record_failure, record_skipped, start_load
from engine.ingest.load_log import LoadResult
from engine.ingest.pseudonymise import Pseudonymiser, register_masking
from engine.ingest.sources import Origin, Source
from engine.store import Store, in_progress

# Opens a source: what it holds, its [[extracts]] or [[server.tables]] entry, the values its name gave, and the
# control total its cost should add up to (None without one).
ReadSource = Callable[[], tuple[Source, SourceSpec, dict[str, str], ControlTotal]]
ResultCallback = Callable[[LoadResult], None]


def _ignore(_result: LoadResult) -> None:
    """The default `on_result`: nothing to show."""


class LoadRun:
    """Loads sources one after another into an open store and keeps a result for each."""

    def __init__(self, store: Store, *, on_result: ResultCallback = _ignore) -> None:
        self.store = store
        self.on_result = on_result
        self.results: list[LoadResult] = []
        self.pseudonymiser = Pseudonymiser(store.config.pseudonym_key())
        register_masking(store.con, self.pseudonymiser)
        store.run_file("ingest/start_run.sql")

    def origin_of_file(self, path: Path) -> Origin:
        """A file as the load log names it: NHS numbers in its name or folder masked."""
        origin = Origin.of_file(path)
        return Origin(
            name=self.pseudonymiser.mask(origin.name),
            location=self.pseudonymiser.mask(origin.location),
            size_bytes=origin.size_bytes,
            file_format=origin.file_format,
        )

    def load(self, origin: Origin, read: ReadSource, *, raise_errors: bool = False) -> LoadResult:
        """Load one source; a failure is recorded and returned (or raised, with `raise_errors`), never lost."""
        load_id = start_load(self.store, origin)
        try:
            with in_progress("loads", load_id):
                source, spec, captured, control_total = read()
                result = load_source(
                    self.store,
                    origin,
                    source,
                    spec,
                    captured,
                    load_id=load_id,
                    control_total=control_total,
                    pseudonymiser=self.pseudonymiser,
                )
        except IcsBenchError as exc:
            result = self._failed(origin, str(exc), load_id)
            if raise_errors:
                raise
        except Exception as exc:  # an error no check foresaw still costs only this source
            result = self._failed(origin, unexpected(exc), load_id)
            if raise_errors:
                raise
        return self._done(result)

    def skip(self, origin: Origin, message: str) -> LoadResult:
        """Record a source that is not loaded because the run has already loaded the same contents."""
        load_id = start_load(self.store, origin)
        return self._done(record_skipped(self.store, origin, message, load_id))

    def _failed(self, origin: Origin, message: str, load_id: int) -> LoadResult:
        masked = self.pseudonymiser.mask(message)
        try:
            return record_failure(self.store, origin, masked, load_id)
        except Exception as exc:  # the store itself is failing (a full disk): still say what happened to the file
            note = f"{masked} (this could not be written to the load log either: {self.pseudonymiser.mask(str(exc))})"
            return load_log.nothing_loaded(origin.name, "failed", note, load_id)

    def _done(self, result: LoadResult) -> LoadResult:
        self.results.append(result)
        self.on_result(result)
        return result


def unexpected(exc: BaseException) -> str:
    """A sentence for an error no check foresaw, in the words of the error itself (no traceback)."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"could not be loaded: {detail}. Nothing from this file was saved; the other files are not affected. "
        "Check that the file opens and is the extract you meant, export it again if need be, and load it again"
    )


def same_contents(paths: Sequence[Path]) -> dict[int, int]:
    """Position of each path that repeats an earlier one (the same file named again, or a file with the same bytes)
    -> the position of that earlier one.

    Only files of the same size are read to compare them, so a run of different files reads nothing extra."""
    repeats: dict[int, int] = {}
    seen_paths: dict[Path, int] = {}
    by_size: dict[int, list[int]] = {}
    for index, path in enumerate(paths):
        resolved = path.resolve()
        if resolved in seen_paths:
            repeats[index] = seen_paths[resolved]
            continue
        seen_paths[resolved] = index
        if path.is_file():
            by_size.setdefault(path.stat().st_size, []).append(index)
    for group in by_size.values():
        if len(group) < 2:
            continue
        first_with: dict[str, int] = {}
        for index in group:
            digest = _digest(paths[index])
            if digest in first_with:
                repeats[index] = first_with[digest]
            else:
                first_with[digest] = index
    return repeats


def _digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()

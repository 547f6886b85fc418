"""The Excel ribbon's Refresh as one job: load the new extracts, then refresh and publish, exactly as the CLI does."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.config import IcsConfig
from engine.errors import IcsBenchError
from engine.jobs.loading import LoadOutcome, load_new_extracts
from engine.jobs.refreshing import RefreshOutcome, refresh
from engine.progress import Progress, silent


@dataclass(frozen=True)
class UpdateOutcome:
    loaded: LoadOutcome
    refreshed: RefreshOutcome


def update(config: IcsConfig, *, config_file: Path | None = None, progress: Progress = silent) -> UpdateOutcome:
    """Load every new file in the extracts folder (`icsbench load`), then refresh (`icsbench refresh`).

    A file that fails to load does not stop the others, but nothing is refreshed: the benchmarks would otherwise
    quietly leave out a provider's period. The error names every failed file and why.
    """
    loaded = load_new_extracts(config, progress=progress)
    if loaded.failed:
        reasons = "; ".join(f"{r.file}: {r.message.rstrip('.')}" for r in loaded.failed)
        raise IcsBenchError(
            f"{len(loaded.failed)} of {len(loaded.results)} new extract file(s) did not load ({reasons}). The files "
            "that did load are saved; nothing was refreshed. Fix the files and press Refresh again."
        )
    return UpdateOutcome(loaded, refresh(config, config_file=config_file, progress=progress))

"""The demo: a synthetic ICS made, loaded and refreshed in a fresh folder, with nothing else to install."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine import config as config_module
from engine.config import IcsConfig
from engine.jobs.loading import LoadOutcome, load
from engine.jobs.refreshing import RefreshOutcome, refresh
from engine.progress import Progress, prefixed, silent
from engine.publish import reports
from engine.synth import SynthResult, generate


@dataclass(frozen=True)
class DemoOutcome:
    generated: SynthResult
    config: IcsConfig
    loaded: LoadOutcome
    summary: reports.StoreSummary
    refreshed: RefreshOutcome | None  # None when a file failed to load: nothing is refreshed then


def demo(folder: Path, *, scale: float = 0.01, seed: int = 42, progress: Progress = silent) -> DemoOutcome:
    """Generate a synthetic ICS into `folder`/extracts, load every file, and refresh, as a costing lead would."""
    generated = generate(
        folder / "extracts",
        scale=scale,
        seed=seed,
        file_format="parquet",
        fin_year="2023/24",
        progress=prefixed(progress, "generating "),
    )
    config = config_module.load(generated.config_path)
    loaded = load(config, list(generated.files), progress=prefixed(progress, "loading: "))
    summary = reports.store_summary(config)
    refreshed = None
    if not loaded.failed:
        refreshed = refresh(config, config_file=generated.config_path, progress=prefixed(progress, "refreshing: "))
    return DemoOutcome(generated, config, loaded, summary, refreshed)

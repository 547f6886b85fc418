"""The data-quality report: per provider, setting and period, how much loaded and how far it can be trusted."""

from __future__ import annotations

from engine.store import Store


def rebuild(store: Store) -> None:
    """Rebuild data_quality and data_quality_issues from what the store holds now."""
    with store.transaction():
        store.run_file("ingest/data_quality.sql")

"""The same store gives the same results, bit for bit, however many threads the refresh runs on.

Sums of floating-point numbers depend on the order of adding, and a parallel aggregate adds in whatever order its
threads finish: money and squares are therefore summed as exact decimals and turned into floating point after.
Without that, two refreshes of one store differed in the last digits of 5 tables, so "nothing changed" could not be
checked by comparing results, and the ribbon's refresh and the CLI's looked different when they were not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.config import IcsConfig
from engine.jobs import refresh_store
from engine.metrics import catalog
from engine.store import open_store
from tests.conftest import copy_of_store

pytestmark = pytest.mark.slow


def _results(config: IcsConfig, threads: int) -> dict[str, list[tuple[Any, ...]]]:
    config = config.model_copy(update={"store": config.store.model_copy(update={"threads": threads})})
    store = open_store(config)
    try:
        refresh_store(store)
        return {
            m.name: sorted(store.con.execute(f"SELECT * EXCLUDE (refresh_id) FROM {m.table}").fetchall(), key=repr)
            for m in catalog.published()
        }
    finally:
        store.close()


def test_results_are_identical_on_one_thread_and_on_four(refreshed_ics: Any, tmp_path: Path) -> None:
    _, config = refreshed_ics
    for name in ("one", "four"):
        (tmp_path / name).mkdir()
    one = _results(copy_of_store(config, tmp_path / "one"), threads=1)
    four = _results(copy_of_store(config, tmp_path / "four"), threads=4)
    assert sum(len(rows) for rows in one.values()) > 10_000
    assert [name for name in one if one[name] != four[name]] == []

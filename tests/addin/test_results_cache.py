"""Formulas read from memory: the store is read once per table and refresh, and a new refresh is noticed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from addin import functions
from addin.results import ResultsCache, cell_value, spill
from engine.jobs import refresh_store
from engine.store import open_store
from tests.addin.conftest import FixedConfig
from tests.conftest import copy_of_store


def test_a_warm_cache_never_reads_the_store_again(ics_functions: Any) -> None:
    _, cache = ics_functions
    first = functions.ICS_OPPORTUNITY("ZZA", "NEL")
    loads = cache.loads
    for _ in range(2000):
        assert functions.ICS_OPPORTUNITY("ZZA", "NEL") == first
    assert cache.loads == loads


def test_a_new_refresh_is_picked_up_and_a_load_alone_keeps_the_cache(refreshed_ics: Any, tmp_path: Path) -> None:
    _, original = refreshed_ics
    config = copy_of_store(original, tmp_path)
    cache = ResultsCache(FixedConfig(config), recheck_seconds=0)
    previous = functions.use_cache(cache)
    try:
        before = functions.ICS_REFRESHED()
        functions.ICS_ACTIVITY("ZZA")
        held = cache.refresh_id
        loads = cache.loads
        store = open_store(config)
        try:
            store.con.execute("CREATE TABLE unrelated_commit AS SELECT 1 AS x")  # a commit that is not a refresh
        finally:
            store.close()
        functions.ICS_ACTIVITY("ZZA")
        assert (cache.refresh_id, cache.loads) == (held, loads)
        store = open_store(config)
        try:
            result = refresh_store(store)
        finally:
            store.close()
        functions.ICS_ACTIVITY("ZZA")
        assert cache.refresh_id == result.refresh_id != held
        assert cache.loads == loads + 1
        assert functions.ICS_REFRESHED() != before
    finally:
        functions.use_cache(previous)


def test_while_a_refresh_holds_the_store_the_last_results_are_served(refreshed_ics: Any, tmp_path: Path) -> None:
    _, original = refreshed_ics
    config = copy_of_store(original, tmp_path)
    cache = ResultsCache(FixedConfig(config), recheck_seconds=0)
    previous = functions.use_cache(cache)
    try:
        answer = functions.ICS_ACTIVITY("ZZA")
        store = open_store(config)  # a writer in this process stands in for a refresh running elsewhere
        try:
            store.con.execute("CREATE TABLE pending AS SELECT 1 AS x")
            store.con.execute("CHECKPOINT")
            assert functions.ICS_ACTIVITY("ZZA") == answer
        finally:
            store.close()
    finally:
        functions.use_cache(previous)


def test_a_spilled_table_holds_floats_text_and_blanks_only() -> None:
    # DECIMAL(18,4) money would reach Excel as Currency, a BIGINT count as an integer type; Excel holds doubles.
    assert cell_value(Decimal("1234.5678")) == 1234.5678 and type(cell_value(Decimal("1"))) is float
    assert type(cell_value(12)) is float and cell_value(True) is True
    assert spill(["org", "cost", "activity"], [["ZZA", Decimal("10.25"), None]]) == [
        ["org", "cost", "activity"],
        ["ZZA", 10.25, None],
    ]

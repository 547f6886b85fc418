"""A synthetic ICS loaded and refreshed once per session, for the tests that run metric SQL on real-looking data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from engine import config as config_module
from engine import synth
from engine.ingest import load_files, quality
from engine.jobs import refresh_store
from engine.metrics.transpile import Schema
from engine.store import Store, open_store


@pytest.fixture(scope="session")
def refreshed_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The store after a load of the whole synthetic ICS (scale 0.002, about 14,000 events) and a refresh.

    The pseudonym key is set only while loading, so it does not leak into the rest of the session. One thread, so
    floating-point sums add up in the same order in the refresh and in the tests' own queries.
    """
    with ExitStack() as cleanup:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(config_module.PSEUDONYM_KEY_ENV, "portability-test-key")
            made = synth.generate(
                tmp_path_factory.mktemp("ics"), scale=0.002, seed=7, fin_year="2023/24", file_format="parquet"
            )
            store = open_store(config_module.load(made.config_path))
            cleanup.callback(store.close)
            outcomes = load_files(store, list(made.files))
        assert {o.status for o in outcomes} <= {"loaded", "empty"}, [o.message for o in outcomes]
        quality.rebuild(store)
        store.con.execute("SET threads = 1")
        refresh_store(store)
        yield store


@pytest.fixture(scope="session")
def store_schema(refreshed_store: Store) -> Schema:
    """The column types of every table in the refreshed store, for sqlglot to type the metric queries with."""
    schema: Schema = {}
    for db, table, column, data_type in refreshed_store.con.execute(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "ORDER BY table_schema, table_name, ordinal_position"
    ).fetchall():
        schema.setdefault(db, {}).setdefault(table, {})[column] = data_type
    return schema

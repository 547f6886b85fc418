"""The same path on a real SQL Server, when one is given: ICSBENCH_TEST_SQLSERVER = an ODBC connection string (no
password in it) to a database the test may create icsbench's schemas in; for a SQL login also
ICSBENCH_TEST_SQLSERVER_USER and ICSBENCH_TEST_SQLSERVER_PASSWORD. Without it the test is skipped and reported by
name at the end of the run (the one skip CI allows: no CI machine has a SQL Server)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from engine import config as config_module
from engine.jobs import refresh_with_server
from engine.metrics import catalog
from engine.store import open_store
from engine.store.server import Server, canonical, database, lock
from tests.conftest import SQLSERVER_TEST_ENV, copy_of_store

pytestmark = [pytest.mark.sqlserver, pytest.mark.slow]


@pytest.fixture
def sql_server_config(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> config_module.IcsConfig:
    connection = os.environ.get(SQLSERVER_TEST_ENV)
    if not connection:
        pytest.skip(f"no SQL Server to test against: set {SQLSERVER_TEST_ENV}")
    refreshed_ics: tuple[Any, config_module.IcsConfig] = request.getfixturevalue("refreshed_ics")
    section: dict[str, Any] = {"connection": connection}
    if os.environ.get("ICSBENCH_TEST_SQLSERVER_USER"):
        section |= {"username": os.environ["ICSBENCH_TEST_SQLSERVER_USER"]}
        section |= {"password_env": "ICSBENCH_TEST_SQLSERVER_PASSWORD"}
    monkeypatch.setenv(config_module.PSEUDONYM_KEY_ENV, "synthetic-test-key")
    config = copy_of_store(refreshed_ics[1], tmp_path)
    return config.model_copy(update={"server": config_module.ServerSection.model_validate(section)})


def test_init_load_and_both_refreshes_on_a_real_sql_server(sql_server_config: config_module.IcsConfig) -> None:
    assert sql_server_config.server is not None
    store = open_store(sql_server_config)
    try:
        with Server(sql_server_config.server) as server:
            assert server.dialect.name == "tsql"
            database.init(server)
            database.init(server)
            assert database.check(server) == []
            with lock.exclusive(server, "the test"):
                canonical.push(store, server)
            published = {}
            for compute in ("pull", "push_down"):
                done = refresh_with_server(store, server, compute=compute)
                assert done.server.published.tables == len(catalog.published())
                published[compute] = {
                    m.name: server.rows(f"SELECT count(*) FROM published.{m.name}")[0][0] for m in catalog.published()
                }
                total = server.scalar("SELECT sum(total_cost) FROM published.system_cost")
                local = store.scalar("SELECT sum(total_cost) FROM published.system_cost")
                assert total == local
            assert published["pull"] == published["push_down"]
    finally:
        store.close()

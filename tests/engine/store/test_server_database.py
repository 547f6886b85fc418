"""`db init` creates every object idempotently, and `db check` names what is missing."""

from __future__ import annotations

import pytest

from engine import config as config_module
from engine.store.server import Server, database, layout
from tests.postgres_server import PostgresServer


@pytest.fixture
def server(postgres_server: PostgresServer, server_database: str) -> Server:
    config = config_module.parse(
        '[[providers]]\ncode = "ZZA"\nname = "A"\ntype = "acute"\n' + postgres_server.server_section(server_database),
        source="t.toml",
        base_dir=config_module.Path(),
    )
    assert config.server is not None
    return Server(config.server)


def test_check_on_an_empty_database_lists_everything_and_init_fixes_it(server: Server) -> None:
    before = [f for f in database.check(server) if not f.what.startswith("role ")]  # roles span the whole cluster
    assert len(before) == len(layout.tables()) + len(layout.views())
    assert {f.problem for f in before} == {"missing"}
    database.init(server)
    assert database.check(server) == []


def test_init_runs_again_without_harm_and_keeps_the_data(server: Server) -> None:
    database.init(server)
    server.execute("INSERT INTO ics_canonical.providers (org_code, name, type) VALUES (?, ?, ?)", ["ZZA", "A", "acute"])
    database.init(server)
    assert server.scalar("SELECT count(*) FROM ics_canonical.providers") == 1
    assert database.check(server) == []


def test_check_names_a_dropped_view_and_a_missing_column(server: Server) -> None:
    database.init(server)
    server.execute("DROP VIEW published.system_cost")
    server.execute("ALTER TABLE ics_results.los_summary DROP COLUMN refresh_id CASCADE")
    found = {(f.what, f.problem) for f in database.check(server)}
    assert ("view published.system_cost", "missing") in found
    assert ("table ics_results.los_summary", "has no column refresh_id") in found
    assert ("view published.los_summary", "missing") in found  # CASCADE dropped the view that read the column


def test_the_published_views_show_the_result_tables(server: Server) -> None:
    database.init(server)
    server.execute("INSERT INTO ics_results.dim_tfc (tfc, refresh_id) VALUES (?, ?)", ["110", 7])
    assert server.rows("SELECT tfc, refresh_id FROM published.dim_tfc") == [("110", 7)]

"""`icsbench db init|check|load` and `icsbench refresh` against a server holding the trusts' tables in the seed's
layout (one table per trust, setting and month), on the PostgreSQL stand-in for the ICS SQL Server."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyodbc
import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.conftest import BASE_CONFIG, VALID_NHS, Workspace
from tests.postgres_server import PostgresServer

SEED_TABLE = "ICS_Benchmarking_IP_ZZB_202324_NCC_07"
COSTS_TABLE = "ZZB_apc_202324_cost_lines"
SERVER_TABLES = """
[[server.tables]]
pattern = "dbo.ICS_Benchmarking_IP_{org}_{year}_NCC_{period}"
setting = "apc"
mapping = "seed_server"

[[server.tables]]
pattern = "dbo.*_apc_*_cost_lines"
setting = "apc"
layout = "cost_lines"

[mappings.seed_server]
org_code = "OrgCode"
pod = "PODMapping"
tfc = "TFC_Code"
hrg = "HRGCode"
record_id = "EpisodeID"
spell_id = "SpellID"
episode_count = "HRG_EpisodeCount"
nhs_number = "NHSNumber"
"""


def run(workspace: Workspace, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--config", str(workspace.config_path)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture
def ics(workspace: Workspace, postgres_server: PostgresServer, server_database: str) -> Workspace:
    """A workspace whose config names the server; the server holds two trust tables (one with bad rows)."""
    text = BASE_CONFIG.replace('path = "store.duckdb"', 'path = "store.duckdb"\n')
    workspace.config_path.write_text(text + postgres_server.server_section(server_database) + SERVER_TABLES)
    with pyodbc.connect(postgres_server.full_connection(server_database), autocommit=True) as con:
        con.execute("CREATE SCHEMA dbo")
        con.execute(
            f'CREATE TABLE dbo."{SEED_TABLE}" ("OrgCode" varchar(5), "EpisodeID" varchar(20), "SpellID" varchar(20), '
            '"PODMapping" varchar(20), "TFC_Code" varchar(3), "HRGCode" varchar(10), "HRG_EpisodeCount" int, '
            '"NHSNumber" varchar(10), age int)'
        )
        seed_rows = [
            ("ZZB", "E1", "S1", "Elective", "110", "HN12A", 1, VALID_NHS[0], 71),
            ("ZZB", "E2", "S2", "NEL", "110", "HN12A", 3, VALID_NHS[1], 80),
            ("ZZB", "E3", "S3", "NEL", "110", "NOTHRG", 1, VALID_NHS[2], 64),
        ]
        con.cursor().executemany(f'INSERT INTO dbo."{SEED_TABLE}" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', seed_rows)
        con.execute(
            f'CREATE TABLE dbo."{COSTS_TABLE}" (org_code varchar(5), fin_year varchar(7), period int, '
            "record_id varchar(20), cost_driver varchar(30), cost_resource varchar(30), cost numeric(18, 4), "
            "activity_count double precision, activity_unit varchar(20), location varchar(20))"
        )
        cost_rows = [
            ("ZZB", "2023/24", 7, "E1", "ward", "nursing", Decimal("1234.5678"), 2.123456789, "bed_days", "W1"),
            ("ZZB", "2023/24", 7, "E1", "theatre", "surgeon", Decimal("800.0100"), 95.5, "minutes", "T1"),
        ]
        con.cursor().executemany(f'INSERT INTO dbo."{COSTS_TABLE}" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', cost_rows)
    return workspace


def _server_rows(postgres_server: PostgresServer, database: str, sql: str) -> list[tuple[Any, ...]]:
    with pyodbc.connect(postgres_server.full_connection(database), autocommit=True) as con:
        return [tuple(row) for row in con.execute(sql).fetchall()]


def test_check_says_what_is_missing_until_init_creates_it(ics: Workspace) -> None:
    code, output = run(ics, "db", "check")
    assert code == 1
    assert "view published.unit_cost_benchmark: missing" in output
    assert "table ics_canonical.cost_lines: missing" in output
    code, output = run(ics, "db", "init")
    assert code == 0, output
    assert "Everything icsbench needs is on the server." in output
    assert run(ics, "db", "init")[0] == 0  # and again, without harm
    assert run(ics, "db", "check") == (0, "Everything icsbench needs is on the server.\n")


def test_load_reads_the_trust_tables_like_files_and_writes_the_canonical_data(
    ics: Workspace, postgres_server: PostgresServer, server_database: str
) -> None:
    assert run(ics, "db", "init")[0] == 0
    code, output = run(ics, "db", "load")
    assert code == 0, output
    assert f"dbo.{SEED_TABLE}" in output
    issues = ics.issues(f"dbo.{SEED_TABLE}")
    assert [(row, column, severity) for row, column, severity, _check, _reason, _value in issues] == [
        (2, "episode_count", "rejected"),
        (3, "hrg", "warning"),
    ]
    assert ics.query("SELECT record_id, org_code, fin_year, period, pod, hrg, age FROM activity ORDER BY 1") == [
        ("E1", "ZZB", "2023/24", 7, "EL", "HN12A", 71),
        ("E3", "ZZB", "2023/24", 7, "NEL", None, 64),
    ]
    assert ics.query("SELECT activity_count FROM cost_lines WHERE cost_driver = 'ward'") == [(2.123456789,)]
    canonical = _server_rows(
        postgres_server,
        server_database,
        "SELECT a.record_id, a.patient_id, sum(c.cost) FROM ics_canonical.activity AS a "
        "JOIN ics_canonical.cost_lines AS c ON c.record_id = a.record_id GROUP BY a.record_id, a.patient_id",
    )
    assert sorted((r, total) for r, _patient, total in canonical) == [("E1", Decimal("2034.5778"))]
    patient = canonical[0][1]
    assert patient and VALID_NHS[0] not in patient
    stored = _server_rows(postgres_server, server_database, "SELECT * FROM ics_canonical.activity")
    assert not any(VALID_NHS[0] in str(value) for row in stored for value in row)


def test_loading_again_replaces_the_periods_and_never_duplicates(
    ics: Workspace, postgres_server: PostgresServer, server_database: str
) -> None:
    assert run(ics, "db", "init")[0] == 0
    assert run(ics, "db", "load")[0] == 0
    code, output = run(ics, "db", "load", "--table", "dbo.*cost_lines")
    assert code == 0, output
    assert "0 provider-period(s) replaced" in output  # nothing changed, so nothing was rewritten
    assert run(ics, "db", "load")[0] == 0
    counts = "SELECT (SELECT count(*) FROM ics_canonical.activity), (SELECT count(*) FROM ics_canonical.cost_lines)"
    assert _server_rows(postgres_server, server_database, counts) == [(2, 2)]
    assert ics.query("SELECT count(*) FROM activity") == [(2,)]


def test_refresh_publishes_to_the_server(ics: Workspace, postgres_server: PostgresServer, server_database: str) -> None:
    assert run(ics, "db", "init")[0] == 0
    assert run(ics, "db", "load")[0] == 0
    code, output = run(ics, "refresh")
    assert code == 0, output
    assert "published tables" in output and "replaced in one transaction" in output
    logged = _server_rows(postgres_server, server_database, "SELECT compute, cost_loaded FROM ics_results.refresh_log")
    assert logged == [("pull", Decimal("2034.5778"))]
    providers = _server_rows(postgres_server, server_database, "SELECT org_code FROM published.dim_provider")
    assert sorted(providers) == [("ZZA",), ("ZZB",)]  # the config's two providers


def test_no_server_section_is_a_clear_message(workspace: Workspace) -> None:
    code, output = run(workspace, "db", "check")
    assert code != 0
    assert "no [server] section" in output

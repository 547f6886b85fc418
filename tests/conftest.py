"""Shared fixtures: a throwaway ICS (config, extracts written in code, a real DuckDB store) per test."""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine import config as config_module
from engine.ingest import LoadResult, load_files, quality
from engine.store import open_store
from tests.postgres_server import PASSWORD_ENV, PostgresServer, PostgresUnavailableError

PSEUDONYM_KEY = "test-key-shared-by-every-provider"

BASE_CONFIG = """
[ics]
name = "Test ICS"

[[providers]]
code = "ZZA"
name = "Alpha Hospitals (synthetic)"
type = "acute"

[[providers]]
code = "ZZB"
name = "Beta Hospitals (synthetic)"
type = "acute"

[store]
path = "store.duckdb"

[[extracts]]
pattern = "seed_{org}_{year}_{period}.*"
setting = "apc"
mapping = "seed"

[[extracts]]
pattern = "*_apc_*_activity.*"
setting = "apc"

[[extracts]]
pattern = "*_apc_*_cost_lines.*"
setting = "apc"
layout = "cost_lines"

[[extracts]]
pattern = "*_cc_*_activity.*"
setting = "cc"

[[extracts]]
pattern = "*_op_*_wide.*"
setting = "op"
layout = "wide"
cost_columns = { "ClinicCost" = "outpatient_care", "PathCost" = "pathology" }

[mappings.seed]
org_code = "OrgCode"
pod = "PODMapping"
tfc = "TFC_Code"
hrg = "HRGCode"
record_id = "EpisodeID"
spell_id = "SpellID"
episode_count = "HRG_EpisodeCount"
"""

APC_HEADER = [
    "org_code",
    "fin_year",
    "period",
    "record_id",
    "spell_id",
    "pod",
    "tfc",
    "hrg",
    "admission_date",
    "discharge_date",
    "los",
    "nhs_number",
    "age",
    "sex",
    "lsoa",
]
COST_HEADER = [
    "org_code",
    "fin_year",
    "period",
    "record_id",
    "cost_driver",
    "cost_resource",
    "cost",
    "activity_count",
    "activity_unit",
    "location",
]
VALID_NHS = ["9434765919", "9990000018", "9990011028"]


class Workspace:
    """A folder with an ICS config, helpers to write extracts and to read the store."""

    def __init__(self, root: Path, config_text: str = BASE_CONFIG) -> None:
        self.root = root
        self.config_path = root / "ics.toml"
        self.config_path.write_text(config_text, encoding="utf-8")

    @property
    def config(self) -> config_module.IcsConfig:
        return config_module.load(self.config_path)

    def write_csv(
        self, name: str, header: Sequence[str], rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8"
    ) -> Path:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        path = self.root / name
        path.write_bytes(buffer.getvalue().encode(encoding))
        return path

    def write_bytes(self, name: str, data: bytes) -> Path:
        path = self.root / name
        path.write_bytes(data)
        return path

    def load(self, *paths: Path, control_totals: dict[str, Decimal] | None = None) -> list[LoadResult]:
        store = open_store(self.config)
        try:
            results = load_files(store, list(paths), control_totals=control_totals)
            quality.rebuild(store)
        finally:
            store.close()
        return results

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        store = open_store(self.config, read_only=True)
        try:
            return store.con.execute(sql, params or {}).fetchall()
        finally:
            store.close()

    def issues(self, file_name: str | None = None) -> list[tuple[Any, ...]]:
        return self.query(
            'SELECT "row", "column", severity, "check", reason, value FROM load_issues '
            'WHERE $f IS NULL OR file_name = $f ORDER BY "row", "column"',
            {"f": file_name},
        )


def apc_row(record_id: str, **overrides: Any) -> list[Any]:
    """One valid APC episode row in APC_HEADER order."""
    values = {
        "org_code": "ZZA",
        "fin_year": "2023/24",
        "period": 1,
        "record_id": record_id,
        "spell_id": "S" + record_id,
        "pod": "NEL",
        "tfc": "110",
        "hrg": "HT12A",
        "admission_date": "2023-04-01",
        "discharge_date": "2023-04-05",
        "los": 4,
        "nhs_number": VALID_NHS[0],
        "age": 80,
        "sex": "F",
        "lsoa": "E01012681",
    }
    values.update(overrides)
    return [values[h] for h in APC_HEADER]


def cost_row(record_id: str, cost: Any, **overrides: Any) -> list[Any]:
    """One cost line in COST_HEADER order."""
    values = {
        "org_code": "ZZA",
        "fin_year": "2023/24",
        "period": 1,
        "record_id": record_id,
        "cost_driver": "ward",
        "cost_resource": "nursing",
        "cost": cost,
        "activity_count": 4,
        "activity_unit": "bed_days",
        "location": "W1",
    }
    values.update(overrides)
    return [values[h] for h in COST_HEADER]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.setenv(config_module.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
    yield Workspace(tmp_path)


@pytest.fixture(autouse=True)
def _no_stray_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ICSBENCH_CONFIG", raising=False)
    assert "ICSBENCH_CONFIG" not in os.environ


# A test that needs one of these is not `fast`: each builds a synthetic ICS or starts a database server.
HEAVY_FIXTURES = frozenset(
    {
        "refreshed_ics",
        "planted_ics_tenth",
        "refreshed_store",
        "postgres_server",
        "server_database",
        "ics_on_server",
        "loaded_server_template",
        "tiny_ics_template",
        "tiny_ics",
    }
)
SCOPE_MARKERS = ("slow", "integration", "sqlserver")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test is `fast` unless it is marked slow, integration or sqlserver, or needs a heavy fixture: the inner
    loop is `pytest -m fast` (under a minute); CI runs everything."""
    for item in items:
        if not any(item.get_closest_marker(m) for m in SCOPE_MARKERS) and not HEAVY_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.fast)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: integration tests must run there, not quietly step aside.

    The one exception is a test marked `sqlserver`: it needs a real SQL Server (SQLSERVER_TEST_ENV), which no CI
    machine has; it is reported, by name, instead.
    """
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    reports = reporter.stats.get("skipped", []) if reporter else []
    needs_sql_server = [r for r in reports if "sqlserver" in getattr(r, "keywords", {})]
    skipped = len(reports) - len(needs_sql_server)
    if needs_sql_server:
        names = ", ".join(r.nodeid for r in needs_sql_server)
        reporter.ensure_newline()
        reporter.write_line(
            f"{len(needs_sql_server)} test(s) need a real SQL Server and did not run ({names}): set "
            f"{SQLSERVER_TEST_ENV} to an ODBC connection string (a database they may create schemas in) to run them.",
            yellow=True,
        )
    if os.environ.get("CI") and skipped:
        reporter.write_line(f"CI: {skipped} test(s) were skipped; every test must run in CI.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


SQLSERVER_TEST_ENV = "ICSBENCH_TEST_SQLSERVER"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session (tests/postgres_server.py); skipped, so failed in CI, without one."""
    try:
        server = PostgresServer.start()
    except PostgresUnavailableError as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class IcsOnServer:
    """A copy of the small synthetic ICS's store, with [server] pointing at a database holding its canonical data."""

    config: config_module.IcsConfig
    database: str
    postgres: PostgresServer

    def server(self) -> Any:
        from engine.store.server import Server

        assert self.config.server is not None
        return Server(self.config.server)

    def published(self, table: str) -> list[tuple[Any, ...]]:
        """Every row of published.<table> on the server, sorted, without refresh_id."""
        with self.server() as server:
            columns = [c for c in _published_columns(table) if c != "refresh_id"]
            rows = server.rows(f"SELECT {', '.join(columns)} FROM published.{table}")
        return sorted(rows, key=lambda row: tuple((v is None, str(v)) for v in row))


def _published_columns(table: str) -> list[str]:
    from engine.store.server import layout

    return [c.name for c in layout.shapes().published[table]]


def with_server(config: config_module.IcsConfig, section: str) -> config_module.IcsConfig:
    """The config with a [server] section (TOML text, e.g. from PostgresServer.server_section)."""
    import tomllib

    server = config_module.ServerSection.model_validate(tomllib.loads(section)["server"])
    return config.model_copy(update={"server": server})


@pytest.fixture(scope="session")
def loaded_server_template(
    postgres_server: PostgresServer, refreshed_ics: tuple[Any, config_module.IcsConfig], tmp_path_factory: Any
) -> str:
    """A database with icsbench's objects and the small synthetic ICS's canonical data, to copy per test."""
    from engine.store.server import Server, canonical, database, lock

    database_name = postgres_server.new_database()
    config = with_server(
        copy_of_store(refreshed_ics[1], tmp_path_factory.mktemp("template")),
        postgres_server.server_section(database_name),
    )
    assert config.server is not None
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PASSWORD_ENV, postgres_server.password)
        store = open_store(config)
        try:
            with Server(config.server) as server, lock.exclusive(server, "the test setup"):
                database.init(server)
                canonical.push(store, server)
        finally:
            store.close()
    return database_name


@pytest.fixture
def ics_on_server(
    postgres_server: PostgresServer,
    loaded_server_template: str,
    refreshed_ics: tuple[Any, config_module.IcsConfig],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> IcsOnServer:
    monkeypatch.setenv(PASSWORD_ENV, postgres_server.password)
    monkeypatch.setenv(config_module.PSEUDONYM_KEY_ENV, "synthetic-test-key")
    database_name = postgres_server.copy_database(loaded_server_template)
    config = with_server(copy_of_store(refreshed_ics[1], tmp_path), postgres_server.server_section(database_name))
    return IcsOnServer(config, database_name, postgres_server)


@pytest.fixture
def server_database(postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh database on the test server, with the password in the environment as a config would expect it."""
    monkeypatch.setenv(PASSWORD_ENV, postgres_server.password)
    return postgres_server.new_database()


def build_synthetic_ics(root: Path, *, scale: float, seed: int) -> tuple[Any, config_module.IcsConfig]:
    """Generate a synthetic ICS, load every file and refresh the benchmarks: (SynthResult, config)."""
    from engine import synth
    from engine.jobs import refresh_store

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config_module.PSEUDONYM_KEY_ENV, "synthetic-test-key")
        result = synth.generate(root, scale=scale, seed=seed)
        config = config_module.load(result.config_path)
        store = open_store(config)
        try:
            outcomes = load_files(store, list(result.files))
            quality.rebuild(store)
            refresh_store(store, config_file=result.config_path)
        finally:
            store.close()
    assert {o.status for o in outcomes} == {"loaded"}, [o.message for o in outcomes if o.status != "loaded"]
    return result, config


@pytest.fixture(scope="session")
def refreshed_ics(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, config_module.IcsConfig]:
    """A small synthetic ICS (scale 0.01), loaded and refreshed once for the session. Tests must not change it."""
    return build_synthetic_ics(tmp_path_factory.mktemp("refreshed-ics"), scale=0.01, seed=5)


@pytest.fixture(scope="session")
def planted_ics_tenth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, config_module.IcsConfig]:
    """A synthetic ICS at a tenth of full size (seed 42), big enough for the planted effects to show at the sizes
    the generator wrote, loaded and refreshed once for the session. Tests must not change it."""
    return build_synthetic_ics(tmp_path_factory.mktemp("planted"), scale=0.1, seed=42)


def query_store(config: config_module.IcsConfig, sql: str) -> list[tuple[Any, ...]]:
    """Rows of one query against the config's store, opened read-only and closed again."""
    store = open_store(config, read_only=True)
    try:
        return store.con.execute(sql).fetchall()
    finally:
        store.close()


def copy_of_store(config: config_module.IcsConfig, folder: Path) -> config_module.IcsConfig:
    """The same config pointing at a copy of its store in `folder`, with copies of what its refreshes published
    (`folder`/published) and of the store's snapshot, for tests that change or refresh the store."""
    from engine.publish import store_snapshot

    target = folder / "copy.duckdb"
    target.write_bytes(config.store_path.read_bytes())
    published = folder / "published"
    if config.published_folder.is_dir():
        shutil.copytree(config.published_folder, published, dirs_exist_ok=True)
    copied = config.model_copy(
        update={
            "store": config.store.model_copy(update={"path": str(target)}),
            "folders": config.folders.model_copy(update={"published": str(published)}),
        }
    )
    if store_snapshot.root_of(config).is_dir():
        shutil.copytree(store_snapshot.root_of(config), store_snapshot.root_of(copied), dirs_exist_ok=True)
    return copied


@pytest.fixture(scope="session")
def tiny_ics_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of a synthetic ICS at scale 0.002 (about 80,000 rows), loaded and refreshed once: small enough for
    tests that run icsbench as a program many times over (tests/engine/jobs/)."""
    from engine import jobs, synth

    root = tmp_path_factory.mktemp("tiny-ics")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config_module.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
        made = synth.generate(root, scale=0.002, seed=11)
        config = config_module.load(made.config_path)
        loaded = jobs.load(config, list(made.files))
        assert not loaded.failed, [r.message for r in loaded.failed]
        jobs.refresh(config, config_file=made.config_path)
    return root


@pytest.fixture
def tiny_ics(tiny_ics_template: Path, tmp_path: Path) -> Path:
    """A copy of the tiny ICS (extracts, config, store, published folder, snapshots) the test may change."""
    root = tmp_path / "ics"
    shutil.copytree(tiny_ics_template, root)
    return root

"""A refresh with `[store] compute = "spark"` on local pyspark publishes the same tables as a DuckDB refresh.

Every result table (published and as computed) is compared value by value with the DuckDB refresh of the same data:
exact for counts, keys, text and money, 1e-9 relative for doubles (Spark adds floating-point numbers in another
order), under ANSI mode on (Spark 4's default: division by zero is an error) and off. Java 17 and pyspark come from
scripts/install; without them these tests skip, which fails CI (tests/conftest.py).
"""

from __future__ import annotations

import json
import math
import re
import shutil
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from engine import jobs
from engine.config import IcsConfig, SparkSection
from engine.errors import ConfigError, StoreError
from engine.metrics import catalog
from engine.metrics.on_spark import OnSpark, rename_tables, spark_query, view_name
from engine.store import open_store
from engine.store.spark import lake
from engine.store.spark.session import connect_url, open_session, settings
from tests.conftest import APC_HEADER, COST_HEADER, Workspace, apc_row, copy_of_store, cost_row


@pytest.fixture(scope="session")
def spark_available() -> bool:
    """A local Spark session (two cores, small shuffles) for every Spark test; joined again by each refresh."""
    try:
        open_session(_section("local-lake"))
    except StoreError as exc:
        pytest.skip(f"local Spark cannot start here: {exc}")
    return True


def _section(lake_folder: str, *, ansi: bool = True) -> SparkSection:
    return SparkSection(master="local[2]", shuffle_partitions=2, lake=lake_folder, ansi=ansi)


def _on_spark(config: IcsConfig, folder: Path, *, ansi: bool) -> IcsConfig:
    store = config.store.model_copy(update={"compute": "spark"})
    return config.model_copy(update={"store": store, "spark": _section(str(folder / "lake"), ansi=ansi)})


def _rows(path: Path, table: str) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
    """The column types and every row (sorted, without refresh_id) of one table of a store."""
    with duckdb.connect(str(path), read_only=True) as con:
        described = [(r[0], r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] != "refresh_id"]
        columns = ", ".join(f'"{name}"' for name, _ in described)
        rows = con.execute(f"SELECT {columns} FROM {table}").fetchall()
    return described, sorted(rows, key=lambda row: tuple((v is None, str(v)) for v in row))


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return left == right or abs(left - right) <= 1e-9 * max(abs(left), abs(right))
    return type(left) is type(right) and bool(left == right)


def _differences(duck: Path, spark: Path) -> tuple[list[str], int]:
    """What differs between every published and unsuppressed result table of two stores, and the values compared."""
    found: list[str] = []
    compared = 0
    for metric in catalog.published():
        for table in (metric.table, metric.published_table):
            duck_types, duck_rows = _rows(duck, table)
            spark_types, spark_rows = _rows(spark, table)
            if duck_types != spark_types:
                found.append(f"{table}: types {duck_types} against {spark_types}")
            if len(duck_rows) != len(spark_rows):
                found.append(f"{table}: {len(duck_rows)} rows from DuckDB, {len(spark_rows)} from Spark")
                continue
            for a, b in zip(duck_rows, spark_rows, strict=True):
                compared += len(a)
                if not all(_same(x, y) for x, y in zip(a, b, strict=True)):
                    found.append(f"{table}: DuckDB {a} against Spark {b}")
                    break
    return found, compared


RECORD_LEVEL = {
    "lake activity": ("store", "activity"),
    "lake cost_lines": ("store", "cost_lines"),
    "record_costs": ("results", "record_costs"),
    "event_costs": ("results", "event_costs"),
    "patient_events": ("results", "patient_events"),
}
"""Tables with a row per record or cost line: what a metric's Spark plan may read at most twice."""


def _record_level_reads(plans: list[str], steps: dict[str, list[str]] | None = None) -> dict[str, int]:
    """How often a metric's optimised Spark plans (every step) read each record-level table: a lake table is a
    `Relation [...] parquet` leaf, a materialised (checkpointed) table a `LogicalRDD [...]` leaf, told apart by their
    columns. `steps` are the metric's own materialised steps (`OnSpark.steps`); those with a row per record (a
    `record_id` column) are record-level tables too: a narrow copy of `patient_events` read three times is three
    record-level reads."""
    shapes = json.loads((Path(__file__).parents[3] / "sql" / "shapes" / "tables.json").read_text(encoding="utf-8"))
    columns = {name: frozenset(shapes[group][table]) for name, (group, table) in RECORD_LEVEL.items()}
    columns |= {view: frozenset(names) for view, names in (steps or {}).items() if "record_id" in names}
    reads = dict.fromkeys(columns, 0)
    for plan in plans:
        for leaf in re.findall(r"(?:(?<!InMemory)Relation \S*?\[|LogicalRDD \[)([^\]]*)\]", plan):
            names = frozenset(re.sub(r"#\d+L?$", "", c.strip()) for c in leaf.split(","))
            for name, wanted in columns.items():
                reads[name] += names == wanted
    return reads


@pytest.mark.slow
def test_a_spark_refresh_publishes_the_same_tables_as_duckdb(
    spark_available: bool, refreshed_ics: Any, tmp_path: Path
) -> None:
    config = _on_spark(copy_of_store(refreshed_ics[1], tmp_path), tmp_path, ansi=True)
    exported = jobs.export_lake(config)
    outcome = jobs.refresh(config)

    differences, compared = _differences(refreshed_ics[1].store_path, config.store_path)
    assert compared > 100_000, "the comparison must cover real results"
    assert differences == []
    with duckdb.connect(str(refreshed_ics[1].store_path), read_only=True) as con:
        loaded = con.execute("SELECT sum(cost) FROM cost_lines").fetchall()[0][0]
        published_rows = {
            m.name: con.execute(f"SELECT count(*) FROM {m.published_table}").fetchall()[0][0]
            for m in catalog.published()
        }
    assert outcome.result.cost_loaded == exported.cost == loaded
    assert outcome.published is not None  # the refresh's own folder, now the current one
    for name, rows in published_rows.items():  # the published files Power BI and Excel read, written from Spark's rows
        assert pq.read_metadata(outcome.published.folder / f"{name}.parquet").num_rows == rows, name
    assert outcome.spark_rows_read_back == sum(len(_rows(config.store_path, m.table)[1]) for m in catalog.published())


@pytest.mark.slow
def test_without_ansi_mode_too_and_no_metric_reads_a_record_level_table_more_than_twice(
    spark_available: bool, refreshed_ics: Any, tmp_path: Path
) -> None:
    config = _on_spark(copy_of_store(refreshed_ics[1], tmp_path), tmp_path, ansi=False)
    jobs.export_lake(config)
    assert config.spark is not None
    spark = open_session(config.spark)
    spark.conf.set("spark.sql.debug.maxToStringFields", "1000")  # plans list every column, for _record_level_reads
    # Dynamic partition pruning puts a copy of a join's other side into the plan as a filter on the lake's partition
    # columns; Spark keeps it only where it can reuse a broadcast already built (reuseBroadcastOnly, the default), so
    # it never scans again. Off here, the plans hold only the scans Spark runs.
    spark.conf.set("spark.sql.optimizer.dynamicPartitionPruning.enabled", "false")
    compute = OnSpark(spark, config.spark, config.lake_location, keep_plans=True)
    with closing(open_store(config)) as store:
        jobs.refresh_store(store, compute=compute)
        assert store.scalar("SELECT current_setting('TimeZone')") is not None

    differences, _ = _differences(refreshed_ics[1].store_path, config.store_path)
    assert differences == []
    assert compute.plans is not None and set(compute.plans) == {m.name for m in catalog.metrics()}
    reads = {name: _record_level_reads(plans, compute.steps.get(name)) for name, plans in compute.plans.items()}
    assert reads["record_costs"]["lake cost_lines"] >= 1 and reads["event_costs"]["lake cost_lines"] == 0
    assert reads["event_costs"]["record_costs"] >= 1 and reads["event_costs"]["lake activity"] >= 1
    assert reads["patient_events"]["event_costs"] >= 1 and reads["pathway_events"]["patient_events"] >= 1
    assert reads["pathway_events"]["pathway_events__recorded_events"] >= 1  # the copy is counted
    over = {(name, table): n for name, found in reads.items() for table, n in found.items() if n > 2}
    assert over == {}


def _edge_case_files(workspace: Workspace) -> list[Path]:
    """Two trusts whose records hold the cases that break naive SQL: a tie for best in system, a record whose cost
    lines net to zero (a zero rate and a zero divisor), negative cost lines, records with no patient (no NHS number),
    zero activity counts, and no pathways or long-term conditions in the config (empty lists)."""
    activity = [
        apc_row("A1"),
        apc_row("A2", nhs_number="9990000018"),
        apc_row("A3", nhs_number=""),
        apc_row("A4", pod="EL", hrg="FZ91A", tfc="100", nhs_number=""),
        apc_row("B1", org_code="ZZB", nhs_number="9990011028"),
        apc_row("B2", org_code="ZZB", nhs_number=""),
        apc_row("B3", org_code="ZZB", pod="EL", hrg="FZ91A", tfc="100"),
    ]
    costs = [
        cost_row("A1", "1000.00"),
        cost_row("A2", "1200.00"),
        cost_row("A2", "-200.00", cost_driver="pharmacy", cost_resource="drugs", activity_count=0),
        cost_row("A3", "1000.00"),
        cost_row("A4", "250.00"),
        cost_row("A4", "-250.00", cost_driver="theatre", cost_resource="theatre_staff", activity_count=0),
        cost_row("B1", "1000.00", org_code="ZZB"),
        cost_row("B2", "1000.00", org_code="ZZB"),
        cost_row("B3", "0.00", org_code="ZZB", activity_count=0),
    ]
    return [
        workspace.write_csv("ZZA_apc_2023_activity.csv", APC_HEADER, [r for r in activity if r[0] == "ZZA"]),
        workspace.write_csv("ZZB_apc_2023_activity.csv", APC_HEADER, [r for r in activity if r[0] == "ZZB"]),
        workspace.write_csv("ZZA_apc_2023_cost_lines.csv", COST_HEADER, [r for r in costs if r[0] == "ZZA"]),
        workspace.write_csv("ZZB_apc_2023_cost_lines.csv", COST_HEADER, [r for r in costs if r[0] == "ZZB"]),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("ansi", [True, False], ids=["ansi", "not-ansi"])
def test_edge_cases_give_the_same_results_on_spark(
    spark_available: bool, workspace: Workspace, tmp_path: Path, ansi: bool
) -> None:
    config = workspace.config
    on_spark = _on_spark(config, tmp_path, ansi=ansi)
    loaded = jobs.load(on_spark, _edge_case_files(workspace))  # with compute = "spark" a load writes the lake too
    assert not loaded.failed and loaded.lake_export is not None
    assert loaded.lake_export.rows["activity"] == 7 and loaded.lake_export.cost == Decimal("5000.00")
    jobs.refresh(config)
    duck_copy = tmp_path / "duckdb-refresh.duckdb"
    shutil.copyfile(config.store_path, duck_copy)
    outcome = jobs.refresh(on_spark)

    differences, compared = _differences(duck_copy, on_spark.store_path)
    assert compared > 500
    assert differences == []
    assert outcome.result.cost_loaded == Decimal("5000.00")


def test_a_spark_connect_url_carries_the_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    section = SparkSection(connect="spark_connect", url="sc://spark.example.nhs.uk:15002", token_env="SPARK_TOKEN")
    monkeypatch.setenv("SPARK_TOKEN", "secret-token")
    assert connect_url(section) == "sc://spark.example.nhs.uk:15002/;token=secret-token"
    monkeypatch.delenv("SPARK_TOKEN")
    with pytest.raises(ConfigError, match="SPARK_TOKEN"):
        connect_url(section)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"connect": "spark_connect"}, "needs url"),
        ({"connect": "spark_connect", "url": "http://spark:15002"}, "not a Spark Connect URL"),
        ({"connect": "spark_connect", "url": "sc://spark:15002/;token=abc"}, "holds a token"),
        ({"connect": "databricks", "host": "https://adb.example"}, "cluster_id"),
        ({"token_env": "T", "token_keyring": True}, "choose one"),
    ],
)
def test_a_wrong_spark_section_is_refused_with_the_reason(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SparkSection(**options)


def test_every_session_gets_the_settings_results_depend_on() -> None:
    chosen = settings(SparkSection(ansi=False, shuffle_partitions=7, settings={"spark.sql.ansi.enabled": "true"}))
    assert chosen["spark.sql.session.timeZone"] == "UTC"
    assert chosen["spark.sql.sources.partitionColumnTypeInference.enabled"] == "false"
    assert chosen["spark.sql.shuffle.partitions"] == "7"
    assert chosen["spark.sql.ansi.enabled"] == "true", "the config's own settings win"


def test_databricks_without_databricks_connect_says_what_to_install() -> None:
    section = SparkSection(connect="databricks", host="https://adb.example", cluster_id="0123-abc")
    with pytest.raises(StoreError, match="pip install databricks-connect"):
        open_session(section)


def test_spark_compute_needs_a_spark_section_and_no_server(workspace: Workspace) -> None:
    text = workspace.config_path.read_text(encoding="utf-8").replace(
        'path = "store.duckdb"', 'path = "store.duckdb"\ncompute = "spark"'
    )
    workspace.config_path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"needs a \[spark\] section"):
        _ = workspace.config


def test_results_tables_are_read_from_session_views() -> None:
    assert view_name("results.data_quality") == "results_data_quality" and view_name("event_costs") == "event_costs"
    query = rename_tables("SELECT d.x FROM results.system_cost AS d JOIN event_costs AS e ON e.y = d.y", "spark")
    assert "results_system_cost AS d" in query and "results." not in query
    assert "results." not in spark_query(catalog.metric("opportunity_summary"))


def test_a_lake_outside_this_machine_is_not_exported_to(workspace: Workspace) -> None:
    with pytest.raises(ConfigError, match="not a folder on this machine"):
        lake.export(None, "abfss://plics@account.dfs.core.windows.net/lake")  # type: ignore[arg-type]

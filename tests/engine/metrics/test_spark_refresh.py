"""A refresh with `[store] compute = "spark"` on local pyspark publishes the same tables as a DuckDB refresh.

Every result table (published and as computed) is compared value by value with the DuckDB refresh of the same data:
exact for counts, keys, text and money, 1e-9 relative for doubles (Spark adds floating-point numbers in another
order), under ANSI mode on (Spark 4's default: division by zero is an error) and off. Java 17 and pyspark come from
scripts/install; without them these tests skip, which fails CI (tests/conftest.py).
"""

from __future__ import annotations

import math
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from engine import jobs
from engine.config import IcsConfig, SparkSection
from engine.errors import StoreError
from engine.metrics import catalog
from engine.store.spark.session import open_session
from tests.conftest import APC_HEADER, COST_HEADER, Workspace, apc_row, copy_of_store, cost_row

pytestmark = pytest.mark.slow


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


@pytest.mark.parametrize("ansi", [True, False], ids=["ansi", "not-ansi"])
def test_a_spark_refresh_publishes_the_same_tables_as_duckdb(
    spark_available: bool, refreshed_ics: Any, tmp_path: Path, ansi: bool
) -> None:
    config = _on_spark(copy_of_store(refreshed_ics[1], tmp_path), tmp_path, ansi=ansi)
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
    for name, rows in published_rows.items():  # the published files Power BI and Excel read, written from Spark's rows
        assert pq.read_metadata(config.published_folder / f"{name}.parquet").num_rows == rows, name
    assert outcome.spark_rows_read_back == sum(len(_rows(config.store_path, m.table)[1]) for m in catalog.published())


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

"""A refresh with `[store] compute = "spark"` on local pyspark publishes the same tables as a DuckDB refresh.

Every result table (published and as computed) is compared value by value with the DuckDB refresh of the same data:
exact for counts, keys, text and money, 1e-9 relative for doubles (Spark adds floating-point numbers in another
order), under ANSI mode on (Spark 4's default: division by zero is an error) and off. Java 17 and pyspark come from
scripts/install; without them these tests skip, which fails CI (tests/conftest.py).
"""

from __future__ import annotations

import math
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
from tests.conftest import copy_of_store

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

"""Compute on Spark: run the checked-in Spark SQL of every metric (sql/spark/metrics/) over the lake.

The lake's tables and the refresh inputs (parameters, code lists: a few hundred rows from the store) become the
session's temporary views under the names the metric SQL reads. Each metric's result is materialised once
(`localCheckpoint`: computed, held by the executors, its lineage cut) and read from there by every later metric, so
no metric recomputes another. Spark inlines a CTE wherever it is read, so within a metric each CTE that is built on
record-level rows (or on such a step) and read more than once is materialised the same way first (`stages`):
`pathway_events` would otherwise read `patient_events` 150 times. (Only those: Spark 4.3 fails to plan some
self-joins of a checkpoint, as `population_rates` reading its small `rates` twice, and persisting instead keeps every
lineage in the plans.)
Spark SQL keeps one namespace for views, so `results.<table>` is read as `results_<table>` (the store's
`data_quality` and `results.data_quality` are different tables).

Only the published result tables come back (as Arrow, cast to the types a DuckDB refresh gives them): they fill the
local store's results schema, and the refresh suppresses and publishes them exactly as it does after any other
compute. The reconciliation runs on Spark, against the lake's cost lines.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

import pyarrow as pa
import sqlglot
from sqlglot import expressions as exp

from engine import sql_files
from engine.config import SparkSection
from engine.errors import StoreError
from engine.metrics import catalog
from engine.metrics.reconcile import reconciliation_errors
from engine.metrics.snapshots import snapshot_path
from engine.store import Store
from engine.store.server import layout
from engine.store.spark import lake
from engine.store.spark.session import apply_settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

REFRESH_INPUTS = tuple(
    f"results.{table}" if table == "refresh_parameters" else table for table in layout.REFRESH_INPUTS
)
"""Made by each refresh in the store from the config and the engine's code lists; sent to Spark by `prepare`."""


def view_name(table: str) -> str:
    """The session view a table the metric SQL names is read from: `results.x` -> `results_x`, others as named."""
    schema, _, name = table.rpartition(".")
    return f"{schema}_{name}" if schema else name


def spark_query(metric: catalog.Metric) -> str:
    """The metric's checked-in Spark SQL, its `results.` tables renamed to the session's views."""
    text = snapshot_path(metric, "spark").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--")).strip().removesuffix(";")
    return rename_tables(body, "spark")


def rename_tables(query: str, dialect: str) -> str:
    """`results.x` -> `results_x` in one query (CTEs and every other table kept), written in Spark SQL."""
    tree = sqlglot.parse_one(query, read=dialect)
    for table in list(tree.find_all(exp.Table)):
        if table.db:
            table.set("this", exp.to_identifier(view_name(f"{table.db}.{table.name}")))
            table.set("db", None)
            if table.args.get("catalog"):
                table.set("catalog", None)
    return tree.sql(dialect="spark")


RECORD_LEVEL = ("activity", "cost_lines", "record_costs", "event_costs", "patient_events")
"""Tables with a row per record or cost line (the lake's, and the internal tables built from them)."""


def stages(name: str, query: str) -> list[tuple[str | None, str]]:
    """The metric's Spark SQL in steps, so that every CTE read more than once is computed once: (view, its SELECT)
    for each such CTE in order, then (None, the query reading those views). The results are the same query's."""
    tree = sqlglot.parse_one(query, read="spark")
    found: list[tuple[str | None, str]] = []
    with_ = tree.args.get("with_")
    if with_ is None:
        return [(None, query)]
    record_level = set(RECORD_LEVEL)
    for cte in list(with_.expressions):
        alias = cte.alias
        if not {t.name for t in cte.this.find_all(exp.Table)} & record_level:
            continue  # aggregates and code lists: cheap to compute again
        record_level.add(alias)
        reads = [t for t in tree.find_all(exp.Table) if not t.db and t.name == alias]
        if len(reads) < 2:
            continue
        view = f"{name}__{alias}"
        record_level.add(view)  # a CTE built on this step reads it under the view's name
        before = with_.expressions[: with_.expressions.index(cte) + 1]
        step = exp.select("*").from_(alias)
        step.set("with_", exp.With(expressions=[c.copy() for c in before]))
        found.append((view, step.sql(dialect="spark")))
        cte.pop()
        for table in reads:
            table.set("this", exp.to_identifier(view))
            if not table.args.get("alias"):
                table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    if not with_.expressions:
        with_.pop()
    return [*found, (None, tree.sql(dialect="spark"))]


@cache
def result_columns(name: str) -> dict[str, str]:
    """Each column of a result table and the DuckDB type a DuckDB refresh gives it (sql/shapes/tables.json, written
    from the engine's own tables and checked by scripts/check)."""
    columns: dict[str, str] = json.loads(sql_files.read("shapes/tables.json"))["results"][name]
    return columns


def store_select(name: str, relation: str) -> str:
    """SELECT every column of `relation` cast to the type a DuckDB refresh gives it: a value that does not fit fails."""
    casts = ", ".join(f'CAST("{column}" AS {kind}) AS "{column}"' for column, kind in result_columns(name).items())
    return f"SELECT {casts} FROM {relation}"


class OnSpark:
    """The refresh's Compute that runs the metrics on a Spark session (engine.metrics.refresh)."""

    name = "spark"

    def __init__(self, spark: SparkSession, section: SparkSection, location: str, *, keep_plans: bool = False) -> None:
        self.spark = spark
        self.section = section
        self.location = location
        self.views: list[str] = []
        self.materialised: list[DataFrame] = []
        self.rows_read_back = 0
        self.plans: dict[str, list[str]] | None = {} if keep_plans else None
        """With keep_plans (a local session only): each metric's optimised logical plans, one per step."""
        self.steps: dict[str, dict[str, list[str]]] = {}
        """With keep_plans: each metric's materialised record-level steps (`stages`) and their columns."""

    def prepare(self, store: Store) -> None:
        apply_settings(self.spark, self.section)
        for name in lake.LAKE_TABLES:
            where = lake.table_location(self.location, name)
            try:
                frame = self.spark.read.parquet(where)
            except Exception as exc:
                raise StoreError(
                    f"the lake has no readable {name} table at {where} ({_first_line(exc)}): run `icsbench lake "
                    "export` to write the store's canonical data there"
                ) from exc
            self._view(name, frame)
        for table in REFRESH_INPUTS:
            arrow = store.con.sql(f"SELECT * FROM {table}").to_arrow_table()
            self._view(view_name(table), self.spark.createDataFrame(_spark_safe(arrow)))

    def run(self, store: Store, metric: catalog.Metric) -> tuple[int, Decimal | None]:
        frame = None
        for view, sql in stages(metric.name, spark_query(metric)):
            frame = self._materialise(metric.name, sql)
            self._view(view or view_name(metric.table), frame)
            if view is not None and self.plans is not None:
                self.steps.setdefault(metric.name, {})[view] = list(frame.columns)
        assert frame is not None
        has_cost = any(c.name == "total_cost" for c in metric.columns)
        if not metric.published:
            totals = frame.selectExpr("count(*)", "sum(total_cost)" if has_cost else "NULL").collect()[0]
            return int(totals[0]), None if totals[1] is None else Decimal(totals[1])
        arrow = frame.toArrow()
        missing = sorted(set(result_columns(metric.name)) - set(arrow.column_names))
        if missing:
            raise StoreError(f"Spark's {metric.name} has no column {', '.join(missing)}: regenerate sql/spark/metrics/")
        self.rows_read_back += arrow.num_rows
        store.con.register("spark_rows", arrow)
        try:
            store.con.execute(f"CREATE OR REPLACE TABLE {metric.table} AS {store_select(metric.name, 'spark_rows')}")
        finally:
            store.con.unregister("spark_rows")
        rows, cost = store.con.execute(metric.count_and_cost_sql(metric.table)).fetchall()[0]
        return int(rows), None if cost is None else Decimal(cost)

    def reconcile(self, store: Store) -> Decimal:
        text = rename_tables(sql_files.read("refresh/reconcile.sql").strip().removesuffix(";"), "duckdb")
        rows = [
            (o, y, Decimal(loaded), Decimal(got))
            for o, y, loaded, got in (tuple(r) for r in self.spark.sql(text).collect())
        ]
        wrong = reconciliation_errors(rows)
        if wrong:
            raise StoreError("results on Spark do not reconcile with the cost in the lake: " + "; ".join(wrong))
        return sum((loaded for _, _, loaded, _ in rows), Decimal(0))

    def finish(self) -> None:
        for name in reversed(self.views):
            self.spark.catalog.dropTempView(name)
        for frame in self.materialised:
            frame.unpersist()
        self.views.clear()
        self.materialised.clear()

    def _materialise(self, name: str, sql: str) -> DataFrame:
        query = self.spark.sql(sql)
        if self.plans is not None:
            self.plans.setdefault(name, []).append(query._jdf.queryExecution().optimizedPlan().toString())
        frame = query.localCheckpoint(eager=True)
        self.materialised.append(frame)
        return frame

    def _view(self, name: str, frame: DataFrame) -> None:
        frame.createOrReplaceTempView(name)
        self.views.append(name)


def _spark_safe(table: pa.Table) -> pa.Table:
    """Arrow types Spark cannot take from Arrow made into ones it can (unsigned and huge integers, large strings)."""
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            kind = pa.string()
        fields.append(pa.field(field.name, kind))
    return table.cast(pa.schema(fields))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

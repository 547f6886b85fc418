"""What icsbench keeps on the ICS SQL Server, and the DDL that creates it in T-SQL (or PostgreSQL, for the tests).

    ics_canonical  the trusts' data in the canonical model (activity, cost_lines, data_quality, providers) and the
                   reference data the metrics read; written by `icsbench db load`
    ics_staging    work tables: rows on their way in (every write lands here first), the refresh's inputs and, during
                   a push-down refresh, its intermediate and full results; writer role only
    ics_results    the published result tables (small numbers suppressed), replaced in one transaction per refresh,
                   and refresh_log
    published      one view per result table: what Power BI and other teams read (reader role)

The column types come from the DuckDB store itself: engine.publish.table_shapes refreshes an empty store in memory,
describes its tables and checks the result in as sql/shapes/tables.json (scripts/check fails when it is stale), so the
server's tables can never drift from the engine's, and this module needs nothing above the store.
`python -m engine.store.server.layout --write` writes the T-SQL for a DBA to `sql/mssql/ics_schema.sql`; `--check`
(run by scripts/check) exits 1 when that file is stale.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
from sqlglot import expressions as exp

from engine import generated_files, sql_files

if TYPE_CHECKING:
    from engine.store.server.connection import Dialect

CANONICAL = "ics_canonical"
STAGING = "ics_staging"
RESULTS = "ics_results"
PUBLISHED = "published"
SCHEMAS = (CANONICAL, STAGING, RESULTS, PUBLISHED)

REFERENCE_TABLES = (
    "ref_lsoa",
    "ref_hrg_chapter",
    "ref_hrg_subchapter",
    "ref_currency_prefix",
    "ref_tfc",
)
"""The store's reference tables (sql/store/reference.sql), held on the server for the metrics that read them."""

CANONICAL_TABLES = ("providers", "activity", "cost_lines", "data_quality", *REFERENCE_TABLES)
"""Store tables the server holds; the metrics read them."""

REFRESH_INPUTS = (
    "refresh_parameters",
    "ref_pod",
    "ref_national_schedule",
    "ref_market_forces",
    "ref_wau_constant",
    "ref_los_trim_point",
    "ref_cost_driver",
    "ref_population_area",
    "ref_gp_list_size",
    "ref_condition_code",
    "ref_pathway_step",
    "ref_pathway_code",
    "ref_service_line",
    "ref_service_line_code",
    "ref_costing_check",
)
"""Made by each refresh from the config and the engine's code lists; a push-down refresh uploads them to staging."""

TSQL_TEXT = "NVARCHAR(4000)"
SNAPSHOT = Path("mssql") / "ics_schema.sql"
SHAPES_FILE = "shapes/tables.json"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB's name for the type: VARCHAR, BIGINT, HUGEINT, DECIMAL(18,4), DOUBLE, DATE, TIMESTAMP ...


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)


@dataclass(frozen=True)
class Shapes:
    """The column types of every table the server holds, as DuckDB has them."""

    store: dict[str, tuple[Column, ...]]  # canonical store tables and the refresh inputs
    results: dict[str, tuple[Column, ...]]  # every metric's full result table (internal ones too), as DuckDB has it
    published: dict[str, tuple[Column, ...]]  # published result tables, in their published types


REFRESH_LOG = (
    Column("refresh_id", "BIGINT"),
    Column("refreshed_at", "TIMESTAMP"),
    Column("published_at", "TIMESTAMP"),
    Column("compute", "VARCHAR"),
    Column("cost_loaded", "DECIMAL(18,4)"),
    Column("result_rows", "BIGINT"),
    Column("tables", "VARCHAR"),
)
"""ics_results.refresh_log: one row per refresh published to the server (compute is pull or push_down)."""


@cache
def shapes() -> Shapes:
    """The column types of every table the server holds, from the checked-in sql/shapes/tables.json (written from
    the engine's own tables by engine.publish.table_shapes, and checked by scripts/check)."""
    found = json.loads(sql_files.read(SHAPES_FILE))

    def columns(group: str) -> dict[str, tuple[Column, ...]]:
        return {name: tuple(Column(n, t) for n, t in cols.items()) for name, cols in found[group].items()}

    return Shapes(store=columns("store"), results=columns("results"), published=columns("published"))


def arrow_schema(columns: Sequence[Column]) -> pa.Schema:
    """The Arrow types DuckDB gives these columns: what reads from the server must come back as."""
    select = ", ".join(f'CAST(NULL AS {c.type}) AS "{c.name}"' for c in columns)
    with duckdb.connect() as con:
        return con.sql(f"SELECT {select} LIMIT 0").to_arrow_table().schema


def tables() -> tuple[Table, ...]:
    """Every table the server must hold."""
    found = shapes()
    out = [Table(CANONICAL, name, found.store[name]) for name in CANONICAL_TABLES]
    out += [Table(STAGING, canonical_staging(name), found.store[name]) for name in CANONICAL_TABLES]
    out += [Table(STAGING, name, found.store[name]) for name in REFRESH_INPUTS]
    out += [Table(STAGING, published_staging(name), columns) for name, columns in found.published.items()]
    out += [Table(RESULTS, name, columns) for name, columns in found.published.items()]
    out.append(Table(RESULTS, "refresh_log", REFRESH_LOG))
    return tuple(out)


def canonical_staging(name: str) -> str:
    """The staging table a canonical table's rows land in on their way to ics_canonical."""
    return f"canonical_{name}"


def published_staging(name: str) -> str:
    """The staging table a published result table's rows land in before the swap into ics_results."""
    return f"published_{name}"


def views() -> tuple[Table, ...]:
    """The published views: one per published result table, same columns."""
    return tuple(Table(PUBLISHED, name, columns) for name, columns in shapes().published.items())


def table(schema: str, name: str) -> Table:
    for candidate in tables():
        if candidate.key == (schema, name):
            return candidate
    raise KeyError(f"icsbench keeps no table {schema}.{name} on the server")


def server_type(duckdb_type: str, dialect: str) -> exp.DataType:
    """The column type on the server. Text is NVARCHAR(4000) on SQL Server (MAX would keep it out of columnstore
    segment elimination and make every ODBC buffer huge); everything else is what sqlglot renders for the type."""
    if duckdb_type == "VARCHAR" and dialect == "tsql":
        return exp.DataType.build(TSQL_TEXT, dialect="tsql")
    if duckdb_type == "HUGEINT":  # DuckDB's sum of whole numbers; neither server has a 128-bit integer
        return exp.DataType.build("DECIMAL(38, 0)")
    return exp.DataType.build(duckdb_type, dialect="duckdb")


def create_table(target: Table, dialect: str) -> str:
    columns = [exp.ColumnDef(this=exp.to_identifier(c.name), kind=server_type(c.type, dialect)) for c in target.columns]
    create = exp.Create(
        this=exp.Schema(this=exp.table_(target.name, db=target.schema), expressions=columns),
        kind="TABLE",
        exists=True,
    )
    return create.sql(dialect=dialect, identify=True)


def create_view(view: Table, dialect: str) -> str:
    select = exp.select(*(exp.column(c.name) for c in view.columns)).from_(exp.table_(view.name, db=RESULTS))
    create = exp.Create(this=exp.table_(view.name, db=view.schema), kind="VIEW", replace=True, expression=select)
    return create.sql(dialect=dialect, identify=True)


def create_schema(name: str, dialect: str) -> str:
    return exp.Create(this=exp.table_(name), kind="SCHEMA", exists=True).sql(dialect=dialect, identify=True)


def init_statements(dialect: Dialect) -> list[str]:
    """Every statement `icsbench db init` runs, in order; each is idempotent, so init can run any number of times."""
    out = [create_schema(name, dialect.name) for name in SCHEMAS]
    out += [create_table(t, dialect.name) for t in tables()]
    out += [create_view(v, dialect.name) for v in views()]
    out += sql_files.statements(dialect.sql("indexes"))
    out += sql_files.statements(dialect.sql("roles"))
    return out


def snapshot_text(dialect: Dialect) -> str:
    """The T-SQL script for a DBA: every init statement as its own batch."""
    header = (
        "-- icsbench on the ICS SQL Server: the schemas, tables, views, indexes and roles `icsbench db init` creates.\n"
        "-- Generated by `python -m engine.store.server.layout --write` from the engine's own tables; do not edit.\n"
        "-- Safe to run again: every statement checks what exists first. Run it as a user who may create schemas\n"
        "-- and roles (db_owner), or let `icsbench db init` run the same statements.\n"
        "-- ics_canonical: the trusts' data in the canonical model; ics_staging: work tables (writer role only);\n"
        "-- ics_results: the published results, replaced in one transaction per refresh; published: the views\n"
        "-- Power BI and other teams read (reader role: icsbench_reader; refresh: icsbench_writer).\n"
    )
    return header + "".join(f"{statement.rstrip(';')};\nGO\n" for statement in init_statements(dialect))


def snapshot_path() -> Path:
    return sql_files.sql_dir() / SNAPSHOT


def main(argv: Sequence[str] | None = None) -> int:
    from engine.store.server.connection import SQL_SERVER

    return generated_files.main(
        "python -m engine.store.server.layout",
        "sql/mssql/ics_schema.sql, the T-SQL that creates icsbench's tables and views on SQL Server",
        lambda: {snapshot_path(): snapshot_text(SQL_SERVER)},
        argv,
    )


if __name__ == "__main__":
    raise SystemExit(main())

"""Every metric runs elsewhere: it transpiles to T-SQL, Spark SQL and PostgreSQL, its checked-in T-SQL is current and
parses as T-SQL, the T-SQL read back into DuckDB gives the same results, and it stays inside the portable subset.

Every test is parametrised over the files in sql/metrics/, so a new metric is checked as soon as it is added.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlfluff
import sqlglot
from sqlfluff.api import APIParsingError
from sqlfluff.core import FluffConfig

from engine import sql_files
from engine.metrics import catalog, portability_lint, snapshots, transpile
from engine.store import Store

METRICS = catalog.metrics()
REL_TOL = 1e-9


def _name(metric: catalog.Metric) -> str:
    return metric.name


each_metric = pytest.mark.parametrize("metric", METRICS, ids=_name)


# --- (a) transpiles ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", transpile.DIALECTS)
@each_metric
def test_every_metric_transpiles(metric: catalog.Metric, dialect: str) -> None:
    text = transpile.transpile(metric, dialect)  # raises PortabilityError naming the file and the construct
    assert sqlglot.parse_one(text, read=dialect) is not None


# --- (b) snapshots -------------------------------------------------------------------------------------------------


@each_metric
def test_tsql_snapshot_is_current(metric: catalog.Metric) -> None:
    path = snapshots.snapshot_path(metric)
    assert path.exists(), f"{path} is missing: run `python -m engine.metrics.snapshots --write`"
    assert path.read_text(encoding="utf-8") == snapshots.snapshot_text(metric), (
        f"{path} is stale: run `python -m engine.metrics.snapshots --write` and review the T-SQL diff"
    )


@each_metric
def test_spark_snapshot_is_current(metric: catalog.Metric) -> None:
    path = snapshots.snapshot_path(metric, "spark")
    assert path.exists(), f"{path} is missing: run `python -m engine.metrics.snapshots --write`"
    assert path.read_text(encoding="utf-8") == snapshots.snapshot_text(metric, "spark"), f"{path} is stale"


def test_every_tsql_snapshot_belongs_to_a_metric() -> None:
    folder = sql_files.sql_dir() / snapshots.SNAPSHOT_FOLDER
    orphans = {p.stem for p in folder.glob("*.sql")} - {m.name for m in METRICS}
    assert not orphans, f"snapshots of metrics that are gone: {sorted(orphans)}; run --write to delete them"


def test_write_and_check_keep_a_snapshot_folder_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    metrics = catalog.metrics()[:2]  # two are enough, and quicker than transpiling every metric six times
    monkeypatch.setattr(catalog, "metrics", lambda: metrics)
    monkeypatch.setattr(sql_files, "sql_dir", lambda: tmp_path)
    folder = tmp_path / snapshots.SNAPSHOT_FOLDER
    assert snapshots.main(["--check"]) == 1
    assert snapshots.main(["--write"]) == 0
    assert sorted(p.stem for p in folder.glob("*.sql")) == sorted(m.name for m in metrics)
    assert snapshots.main(["--check"]) == 0
    edited = folder / f"{metrics[0].name}.sql"
    edited.write_text(edited.read_text(encoding="utf-8") + "-- edited by hand\n", encoding="utf-8")
    (folder / "gone.sql").write_text("-- a metric that was deleted\nSELECT 1;\n", encoding="utf-8")
    capsys.readouterr()
    assert snapshots.main(["--check"]) == 1
    stale = [line for line in capsys.readouterr().err.splitlines() if line.startswith("stale: ")]
    assert sorted(Path(line).name for line in stale) == sorted([edited.name, "gone.sql"])
    assert snapshots.main(["--write"]) == 0
    assert not (folder / "gone.sql").exists()
    assert snapshots.main(["--check"]) == 0


# --- (c) sqlfluff --------------------------------------------------------------------------------------------------

# Parse only: a T-SQL text fails when sqlfluff finds an unparsable section (or a templating error). Layout and style
# rules are not applied: the text is sqlglot's pretty-printing, regenerated rather than edited, and SQL Server does not
# care about it. The raw templater, so that nothing in a string literal is read as Jinja.
_TSQL = FluffConfig(overrides={"dialect": "tsql", "templater": "raw"})


@pytest.mark.slow  # sqlfluff parses each metric's T-SQL in about a second
@each_metric
def test_tsql_parses_with_sqlfluff(metric: catalog.Metric) -> None:
    try:
        sqlfluff.parse(snapshots.snapshot_text(metric), config=_TSQL)
    except APIParsingError as exc:
        pytest.fail(f"the T-SQL of sql/metrics/{metric.name}.sql does not parse with sqlfluff --dialect tsql: {exc}")


def test_tsql_reserved_words_are_quoted() -> None:
    metric = catalog.parse(
        "probe",
        "-- probe: x\n-- Grain: x\n-- Inputs: t\n-- Published: no\n-- About: x\n-- Columns:\n--   a [key] x\n"
        "WITH national AS (SELECT a AS file FROM t) SELECT file AS a FROM national",
    )
    text = transpile.transpile(metric, "tsql")
    assert "[national]" in text and "[file]" in text
    sqlfluff.parse(text, config=_TSQL)


@pytest.mark.parametrize("hint", ["NOT MATERIALIZED", "MATERIALIZED"])
def test_a_cte_materialization_hint_is_for_duckdb_and_postgres_only(hint: str) -> None:
    metric = catalog.parse(
        "probe",
        "-- probe: x\n-- Grain: x\n-- Inputs: t\n-- Published: no\n-- About: x\n-- Columns:\n--   a [key] x\n"
        f"WITH r AS {hint} (SELECT a FROM t) SELECT a FROM r UNION ALL SELECT a FROM r",
    )
    assert hint in transpile.transpile(metric, "postgres")
    for dialect in ("tsql", "spark"):
        text = transpile.transpile(metric, dialect)
        assert "MATERIALIZED" not in text and "UNION ALL" in text, dialect
        sqlglot.parse_one(text, read=dialect)
    sqlfluff.parse(transpile.transpile(metric, "tsql"), config=_TSQL)


# --- (d) round trip ------------------------------------------------------------------------------------------------


def test_tsql_reads_back_with_the_types_sql_server_means() -> None:
    assert transpile.from_tsql("SELECT CAST(x AS FLOAT) AS y") == "SELECT CAST(x AS DOUBLE) AS y"
    assert transpile.from_tsql("SELECT CAST(x AS FLOAT(24)) AS y") == "SELECT CAST(x AS REAL) AS y"
    assert transpile.from_tsql("SELECT CAST(x AS VARCHAR(MAX)) AS y") == "SELECT CAST(x AS TEXT) AS y"


def test_tsql_string_plus_reads_back_as_concatenation() -> None:
    assert (
        transpile.from_tsql("SELECT a + '|' + b AS k, a + 1 AS n FROM t")
        == "SELECT a || '|' || b AS k, a + 1 AS n FROM t"
    )
    typed = transpile.from_tsql(
        "SELECT a + b AS k, n + 1 AS m FROM t", {"main": {"t": {"a": "TEXT", "b": "TEXT", "n": "INT"}}}
    )
    assert typed == 'SELECT "t"."a" || "t"."b" AS "k", "t"."n" + 1 AS "m" FROM "main"."t" AS "t"'


def _sort_key(row: tuple[Any, ...]) -> tuple[tuple[bool, Any], ...]:
    # Floats are rounded for sorting only, so that rows whose floats differ in the last bits still pair up.
    return tuple(
        (v is None, float(f"{v:.6g}") if isinstance(v, float) and not math.isnan(v) else (0 if v is None else v))
        for v in row
    )


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float) and isinstance(actual, float):
        both_nan = math.isnan(expected) and math.isnan(actual)
        return both_nan or math.isclose(expected, actual, rel_tol=REL_TOL)
    if isinstance(expected, Decimal) or isinstance(actual, Decimal):
        return type(expected) is type(actual) and expected == actual
    return bool(type(expected) is type(actual) and expected == actual)


@pytest.mark.slow
@each_metric
def test_tsql_read_back_into_duckdb_gives_the_same_results(
    refreshed_store: Store, store_schema: transpile.Schema, metric: catalog.Metric
) -> None:
    con = refreshed_store.con
    expected = con.execute(f"SELECT * FROM {metric.table}")
    expected_columns = [(d[0], str(d[1])) for d in expected.description]
    expected_rows = sorted(expected.fetchall(), key=_sort_key)
    actual = con.execute(transpile.from_tsql(transpile.transpile(metric, "tsql"), store_schema))
    actual_columns = [(d[0], str(d[1])) for d in actual.description]
    actual_rows = sorted(actual.fetchall(), key=_sort_key)

    assert actual_columns == expected_columns, f"{metric.name}: the T-SQL gives other columns or types"
    assert len(actual_rows) == len(expected_rows), f"{metric.name}: the T-SQL gives another number of rows"
    assert expected_rows, f"{metric.name}: the fixture store gives no rows, so the round trip proves nothing"
    names = [name for name, _ in expected_columns]
    differences = [
        f"row {i} {names[j]}: DuckDB {e!r}, T-SQL {a!r}"
        for i, (expected_row, actual_row) in enumerate(zip(expected_rows, actual_rows, strict=True))
        for j, (e, a) in enumerate(zip(expected_row, actual_row, strict=True))
        if not _same(e, a)
    ]
    assert not differences, f"{metric.name}: {len(differences)} values differ, e.g. " + "; ".join(differences[:5])


# --- (e) the portable subset ---------------------------------------------------------------------------------------


@each_metric
def test_metric_stays_inside_the_portable_subset(metric: catalog.Metric) -> None:
    found = portability_lint.unportable(metric.query)
    assert not found, f"sql/metrics/{metric.name}.sql uses " + "; ".join(found)


@pytest.mark.parametrize(
    ("query", "construct"),
    [
        ("SELECT a, sum(b) AS b FROM t GROUP BY ALL", "GROUP BY ALL"),
        ("SELECT * EXCLUDE (a) FROM t", "SELECT * EXCLUDE/REPLACE/RENAME"),
        ("SELECT t.* REPLACE (a + 1 AS a) FROM t", "SELECT * EXCLUDE/REPLACE/RENAME"),
        ("SELECT median(a) AS m FROM t", "MEDIAN"),
        ("SELECT quantile_cont(a, 0.5) AS m FROM t", "QUANTILE/QUANTILE_CONT/QUANTILE_DISC"),
        ("SELECT quantile(a, 0.5) AS m FROM t", "QUANTILE/QUANTILE_CONT/QUANTILE_DISC"),
        ("SELECT greatest(a, b) AS g FROM t", "GREATEST/LEAST"),
        ("SELECT least(a, b) AS l FROM t", "GREATEST/LEAST"),
        ("SELECT a FROM t WHERE a IS DISTINCT FROM b", "IS [NOT] DISTINCT FROM"),
        ("SELECT a FROM t JOIN u ON t.a IS NOT DISTINCT FROM u.a", "IS [NOT] DISTINCT FROM"),
        ("SELECT sum(a) OVER w AS s FROM t WINDOW w AS (PARTITION BY b)", "WINDOW clause"),
        ("SELECT count(*) FILTER (WHERE a > 1) AS n FROM t", "FILTER clause"),
        ("SELECT d + INTERVAL 1 DAY AS e FROM t", "interval arithmetic"),
        ("SELECT a > 1 AS flag FROM t", "boolean expression outside a condition"),
        ("SELECT (a > 1 AND b < 2) AS flag FROM t", "boolean expression outside a condition"),
        ("SELECT sum(a > 1) AS n FROM t", "boolean expression outside a condition"),
        ("SELECT TRUE AS flag", "boolean expression outside a condition"),
        ("SELECT a / b AS r FROM t", "division without NULLIF"),
        ("SELECT CAST(a AS DOUBLE) / (b - 1) AS r FROM t", "division without NULLIF"),
        ("SELECT a / NULLIF(b, 0) / c AS r FROM t", "division without NULLIF"),
    ],
)
def test_each_unportable_construct_is_found(query: str, construct: str) -> None:
    found = portability_lint.unportable(query)
    assert len(found) == 1 and found[0].startswith(f"{construct} in `"), found


def test_the_portable_subset_itself_passes() -> None:
    query = """
        WITH c AS (SELECT a, b, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) AS position FROM t WHERE b IS NOT NULL)
        SELECT c.a,
               CASE WHEN c.b > 1 AND (c.position < 2 OR NOT c.a IN (1, 2)) THEN 1 ELSE 0 END AS flag,
               CASE c.a WHEN 1 THEN 'one' END AS word,
               PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY c.b) AS median_b
        FROM c JOIN u ON u.a = c.a
        WHERE EXISTS (SELECT 1 FROM v WHERE v.a = c.a)
        GROUP BY c.a, c.b, c.position
        HAVING count(*) > 1
    """
    assert portability_lint.unportable(query) == []


@pytest.mark.slow
@each_metric
def test_metric_takes_no_average_of_a_whole_number(store_schema: transpile.Schema, metric: catalog.Metric) -> None:
    found = portability_lint.integer_averages(metric.query, store_schema)
    assert not found, f"sql/metrics/{metric.name}.sql takes " + "; ".join(found)


def test_integer_averages_are_found() -> None:
    schema: transpile.Schema = {"main": {"t": {"a": "INTEGER", "b": "DOUBLE"}}}
    query = "SELECT avg(a) AS x, avg(b) AS y, avg(CAST(a AS DOUBLE)) AS z, avg(CASE WHEN b > 1 THEN a END) AS w FROM t"
    assert len(portability_lint.integer_averages(query, schema)) == 2


# --- (f) header inputs ---------------------------------------------------------------------------------------------


@each_metric
def test_header_inputs_are_the_tables_the_query_reads(metric: catalog.Metric) -> None:
    declared, read = set(metric.inputs), portability_lint.tables_read(metric.query)
    assert declared == read and len(metric.inputs) == len(declared), (
        f"sql/metrics/{metric.name}.sql: `Inputs:` should list exactly the tables the query reads; "
        f"missing {sorted(read - declared)}, not read {sorted(declared - read)}, listed {list(metric.inputs)}"
    )


def test_tables_read_leaves_out_ctes_and_keeps_schemas() -> None:
    query = (
        "WITH c AS (SELECT * FROM results.event_costs) SELECT * FROM c JOIN providers AS p ON p.org_code = c.org_code"
    )
    assert portability_lint.tables_read(query) == {"results.event_costs", "providers"}

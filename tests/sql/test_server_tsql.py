"""The T-SQL icsbench sends to the ICS SQL Server is valid T-SQL, and the push-down T-SQL gives the DuckDB results.

SQL Server cannot run here, so every T-SQL text is checked with two independent parsers, sqlglot (read="tsql") and
sqlfluff (--dialect tsql, parse only): the DBA script sql/mssql/ics_schema.sql with the dynamic SQL inside it, the
hand-written statements in sql/mssql/server/, the push-down statement of every metric and the queries rendered for the
server (reconciliation, period fingerprints). Then the push-down is played through on DuckDB: each metric's T-SQL,
read back with `transpile.from_tsql`, builds its work table in a DuckDB laid out like the server (ics_canonical,
ics_staging), each reading the work tables the earlier ones made, and the published tables must hold what the local
refresh put in the store's results schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlfluff
import sqlglot
from sqlfluff.api import APIParsingError
from sqlfluff.core import FluffConfig
from sqlglot import expressions as exp
from sqlglot.errors import ErrorLevel, SqlglotError

from engine import sql_files
from engine.metrics import catalog, push_down, transpile
from engine.store import Store
from engine.store.server import layout, render
from engine.store.server.canonical import KEYED_TABLES
from engine.store.server.connection import SQL_SERVER
from engine.store.server.lock import LOCK_NAME
from tests.sql.test_portability import _same, _sort_key

METRICS = catalog.metrics()
PUBLISHED = catalog.published()


def _name(metric: catalog.Metric) -> str:
    return metric.name


each_metric = pytest.mark.parametrize("metric", METRICS, ids=_name)
each_published_metric = pytest.mark.parametrize("metric", PUBLISHED, ids=_name)

# Parse only, as in test_portability: a text fails when sqlfluff finds an unparsable section; no style rules.
_TSQL = FluffConfig(overrides={"dialect": "tsql", "templater": "raw"})

_GO = re.compile(r"^GO[ \t]*$", re.MULTILINE | re.IGNORECASE)
_EXEC_STRING = re.compile(r"\bEXEC\('((?:[^']|'')*)'\)", re.IGNORECASE)

# Statements sqlglot 30 has no T-SQL grammar for: it keeps them whole as an opaque exp.Command (with a logged
# warning) rather than failing. `GRANT ... ON SCHEMA::x` and `CREATE ROLE` are valid T-SQL; sqlfluff parses them.
_SQLGLOT_COMMANDS = ("GRANT ", "CREATE ROLE ")


def _sqlfluff_parses(text: str, what: str, config: FluffConfig = _TSQL) -> None:
    try:
        sqlfluff.parse(text, config=config)
    except APIParsingError as exc:
        pytest.fail(f"{what} does not parse with sqlfluff --dialect tsql: {exc}")


def _sqlglot_parses(text: str, what: str) -> list[exp.Expr]:
    """The statements sqlglot reads in `text` as T-SQL; fails on a parse error, and on a statement sqlglot could only
    keep as an opaque Command (unless it is one of the known gaps in sqlglot's T-SQL grammar)."""
    try:
        trees = [tree for tree in sqlglot.parse(text, read="tsql", error_level=ErrorLevel.RAISE) if tree is not None]
    except SqlglotError as exc:
        pytest.fail(f"{what} does not parse with sqlglot read='tsql': {exc}")
    for tree in trees:
        if isinstance(tree, exp.Command):
            written = tree.sql(dialect="tsql")
            assert written.upper().startswith(_SQLGLOT_COMMANDS), f"sqlglot cannot read {what}: {written[:200]}"
    return trees


def _tsql_rule_breaches(tree: exp.Expr) -> list[str]:
    """What SQL Server would reject in a query that both parsers accept: a WITH inside a subquery, an ORDER BY in a
    CTE or derived table without TOP/OFFSET, and a CTE or derived-table column without a name."""
    found = [f"WITH inside a subquery: {w.sql('tsql')[:80]}" for w in tree.find_all(exp.With) if w.parent is not tree]
    for order in tree.find_all(exp.Order):
        select = order.parent  # a window's or WITHIN GROUP's ORDER BY has another parent; TOP is sqlglot's limit
        limited = isinstance(select, exp.Select) and (select.args.get("limit") or select.args.get("offset"))
        if isinstance(select, exp.Select) and select is not tree and not limited:
            found.append(f"ORDER BY without TOP/OFFSET in a subquery: {select.sql('tsql')[:80]}")
    named: list[exp.Expr] = [cte.this for cte in tree.find_all(exp.CTE)]
    named += [sub.this for sub in tree.find_all(exp.Subquery) if isinstance(sub.parent, exp.From | exp.Join)]
    for query in named:
        while isinstance(query, exp.SetOperation):
            query = query.this  # the first branch names the columns
        if isinstance(query, exp.Select):
            found += [
                f"column without a name: {e.sql('tsql')[:80]}"
                for e in query.expressions
                if not isinstance(e, exp.Alias | exp.Column | exp.Star)
            ]
    return found


def test_tsql_rule_breaches_are_found() -> None:
    bad = (
        "WITH c AS (SELECT a FROM t ORDER BY a) "
        "SELECT * FROM (WITH d AS (SELECT 1 AS x) SELECT count(*), 1 FROM d) AS s JOIN c ON 1 = 1"
    )
    breaches = _tsql_rule_breaches(sqlglot.parse_one(bad, read="tsql"))
    assert [b.split(":")[0] for b in sorted(breaches)] == [
        "ORDER BY without TOP/OFFSET in a subquery",
        "WITH inside a subquery",
        "column without a name",
        "column without a name",
    ]
    good = "WITH c AS (SELECT TOP 5 a FROM t ORDER BY a) SELECT a, count(*) AS n FROM c GROUP BY a ORDER BY a"
    assert _tsql_rule_breaches(sqlglot.parse_one(good, read="tsql")) == []


# --- sql/mssql/ics_schema.sql --------------------------------------------------------------------------------------


def _schema_script() -> str:
    return layout.snapshot_path().read_text(encoding="utf-8")


def _batches(script: str) -> list[str]:
    """The script's batches, split at its GO lines, without the header comment lines."""
    parts = ("\n".join(line for line in part.splitlines() if not line.startswith("--")) for part in _GO.split(script))
    return [part.strip() for part in parts if part.strip()]


def test_schema_script_is_current() -> None:
    path = layout.snapshot_path()
    assert path.exists(), f"{path} is missing: run `python -m engine.store.server.layout --write`"
    assert _schema_script() == layout.snapshot_text(SQL_SERVER), (
        f"{path} is stale: run `python -m engine.store.server.layout --write` and review the T-SQL diff"
    )


def test_schema_script_runs_each_init_statement_as_a_batch() -> None:
    assert _batches(_schema_script()) == [s.rstrip(";") + ";" for s in layout.init_statements(SQL_SERVER)]


@pytest.mark.slow  # sqlfluff on the whole schema script
def test_schema_script_parses_with_sqlfluff() -> None:
    _sqlfluff_parses(_schema_script(), "sql/mssql/ics_schema.sql")


def test_schema_script_batches_parse_with_sqlglot() -> None:
    batches = _batches(_schema_script())
    assert batches
    for batch in batches:
        assert len(_sqlglot_parses(batch, f"this batch of sql/mssql/ics_schema.sql: {batch[:200]}")) == 1, batch[:200]


@pytest.mark.slow  # sqlfluff on the whole schema script
def test_dynamic_sql_in_schema_script_parses() -> None:
    # Each CREATE SCHEMA/TABLE/ROLE runs as `IF <not there> EXEC('<statement>')`. Neither parser looks inside the
    # string, and sqlglot misreads the wrapper itself (it takes EXEC for an alias of the condition, so the IF parses
    # but proves little), so the statement the server actually runs is parsed on its own here.
    inner = [m.group(1).replace("''", "'") for m in _EXEC_STRING.finditer(_schema_script())]
    expected_tables = {f"[{t.schema}].[{t.name}]" for t in layout.tables()}
    created_tables = {s.split()[2] for s in inner if s.startswith("CREATE TABLE ")}
    assert created_tables == expected_tables
    assert sum(s.startswith("CREATE SCHEMA ") for s in inner) == len(layout.SCHEMAS)
    for statement in inner:
        (tree,) = _sqlglot_parses(statement, f"the dynamic SQL {statement[:200]}")
        if statement.startswith("CREATE TABLE "):
            assert isinstance(tree, exp.Create) and tree.kind == "TABLE", statement[:200]
            assert isinstance(tree.this, exp.Schema) and tree.this.expressions, statement[:200]
    _sqlfluff_parses("\nGO\n".join(f"{s};" for s in inner), "the dynamic SQL in sql/mssql/ics_schema.sql")


# --- sql/mssql/server/ and the other statements sent to the server as written -------------------------------------

SERVER_FILES = [
    *sorted((sql_files.sql_dir() / "mssql" / "server").glob("*.sql")),
    sql_files.sql_dir() / "server" / "columns_present.sql",  # the same text goes to SQL Server and PostgreSQL
]


def _placeholders(count: int) -> FluffConfig:
    # `?` is the ODBC parameter marker: pyodbc sends the text with @P1, @P2 ... in its place and binds the values.
    # sqlfluff's tsql grammar has no `?`, so the placeholder templater puts in a string, as the driver binds one.
    values = {str(i): f"'{LOCK_NAME}'" for i in range(1, count + 1)}
    return FluffConfig(
        configs={
            "core": {"dialect": "tsql", "templater": "placeholder"},
            "templater": {"placeholder": {"param_style": "question_mark", **values}},
        }
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", SERVER_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_server_file_parses_with_sqlfluff(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    _sqlfluff_parses(text, str(path.relative_to(sql_files.sql_dir())), _placeholders(text.count("?")))


@pytest.mark.parametrize("path", SERVER_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_server_file_parses_with_sqlglot(path: Path) -> None:
    # Statement by statement, as init sends indexes.sql and roles.sql: sqlglot reads the body of a T-SQL IF without
    # BEGIN ... END as running to the end of the text, so the whole file would parse as one IF. sqlglot reads `?` and
    # sp_getapplock's EXEC @result = proc @name = value syntax. Its gaps here (rely on sqlfluff above): GRANT ... ON
    # SCHEMA:: (kept as a Command) and roles.sql's `IF ... IS NULL EXEC('CREATE ROLE ...')`, where it takes EXEC for an
    # alias of the condition.
    statements = sql_files.statements(path.read_text(encoding="utf-8"))
    assert statements
    for statement in statements:
        assert len(_sqlglot_parses(statement, f"{path.name}: {statement[:200]}")) == 1, statement[:200]


# --- push-down and the queries rendered for the server --------------------------------------------------------------


RENDERED = ("refresh/reconcile.sql", "server/period_fingerprints.sql")


@cache
def _rendered(source: str) -> str:
    """A query render.query writes for SQL Server, with the tables PushDown.reconcile and canonical.fingerprints_there
    give it."""
    fingerprinted = {name: (layout.CANONICAL, name) for name in KEYED_TABLES}
    tables = push_down.table_map() if source == "refresh/reconcile.sql" else fingerprinted
    try:
        return render.query(sql_files.read(source), "tsql", tables)
    except SqlglotError as exc:
        pytest.fail(f"render.query cannot write sql/{source} as T-SQL: {exc}")


@cache
def _push_down(metric: catalog.Metric) -> str:
    return push_down.metric_sql(metric, "tsql")


@pytest.mark.slow  # sqlfluff parses each metric's push-down T-SQL in about a second
@each_metric
def test_push_down_statement_parses_as_tsql(metric: catalog.Metric) -> None:
    text = _push_down(metric)
    what = f"the push-down T-SQL of sql/metrics/{metric.name}.sql"
    (tree,) = _sqlglot_parses(text, what)
    into = tree.args.get("into")
    assert isinstance(tree, exp.Select) and isinstance(into, exp.Into), f"{what} is not a SELECT ... INTO"
    target = into.this
    assert isinstance(target, exp.Table) and (target.db, target.name) == push_down.work_table(metric)
    breaches = _tsql_rule_breaches(tree)
    assert not breaches, f"{what}: " + "; ".join(breaches)
    _sqlfluff_parses(text, what)


@pytest.mark.parametrize("source", RENDERED)
def test_rendered_query_parses_as_tsql(source: str) -> None:
    text = _rendered(source)
    what = f"the T-SQL render of sql/{source}"
    (tree,) = _sqlglot_parses(text, what)
    breaches = _tsql_rule_breaches(tree)
    assert not breaches, f"{what}: " + "; ".join(breaches)
    _sqlfluff_parses(text, what)


# --- round trip: the push-down played through on DuckDB -------------------------------------------------------------


def _schema_of(con: duckdb.DuckDBPyConnection) -> transpile.Schema:
    schema: transpile.Schema = {}
    for db, table, column, data_type in con.execute(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "ORDER BY table_schema, table_name, ordinal_position"
    ).fetchall():
        schema.setdefault(db, {}).setdefault(table, {})[column] = data_type
    return schema


def _select_of(metric: catalog.Metric) -> str:
    """The push-down statement without its INTO: the rows SQL Server would put in the work table."""
    tree = sqlglot.parse_one(_push_down(metric), read="tsql")
    assert isinstance(tree.args.get("into"), exp.Into)
    tree.set("into", None)
    return tree.sql(dialect="tsql")


@pytest.fixture(scope="module")
def like_the_server(refreshed_store: Store) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, str]]]:
    """An in-memory DuckDB laid out like the server during a push-down refresh, and each metric's failure, if any.

    The canonical tables and refresh inputs are copied from the refreshed store (left untouched) into ics_canonical and
    ics_staging; then every metric, in refresh order, builds its work table from its T-SQL read back into DuckDB, so
    a later metric reads what the server's earlier statements made (in the server's column types), not the store.
    """
    con = duckdb.connect()
    con.execute("SET threads = 1")  # as the fixture's refresh, so floating-point sums add up in the same order
    failures: dict[str, str] = {}
    try:
        for schema in (layout.CANONICAL, layout.STAGING):
            con.execute(f'CREATE SCHEMA "{schema}"')
        work = {push_down.work_table(m) for m in METRICS}
        for local, (schema, name) in push_down.table_map().items():
            if (schema, name) in work:
                continue
            con.register("store_rows", refreshed_store.con.sql(f"SELECT * FROM {local}").to_arrow_table())
            con.execute(f'CREATE TABLE "{schema}"."{name}" AS SELECT * FROM store_rows')
            con.unregister("store_rows")
        for metric in METRICS:
            schema, name = push_down.work_table(metric)
            try:
                query = transpile.from_tsql(_select_of(metric), _schema_of(con))
                con.execute(f'CREATE TABLE "{schema}"."{name}" AS {query}')
            except Exception as exc:
                failures[metric.name] = f"{type(exc).__name__}: {exc}"
        yield con, failures
    finally:
        con.close()


def _compare(what: str, expected: duckdb.DuckDBPyConnection, actual: duckdb.DuckDBPyConnection) -> None:
    expected_columns = [(d[0], str(d[1])) for d in expected.description]
    actual_columns = [(d[0], str(d[1])) for d in actual.description]
    expected_rows: list[tuple[Any, ...]] = sorted(expected.fetchall(), key=_sort_key)
    actual_rows: list[tuple[Any, ...]] = sorted(actual.fetchall(), key=_sort_key)
    assert actual_columns == expected_columns, f"{what}: the T-SQL gives other columns or types"
    assert len(actual_rows) == len(expected_rows), f"{what}: the T-SQL gives another number of rows"
    assert expected_rows, f"{what}: the fixture store gives no rows, so the round trip proves nothing"
    names = [name for name, _ in expected_columns]
    differences = [
        f"row {i} {names[j]}: DuckDB {e!r}, T-SQL {a!r}"
        for i, (expected_row, actual_row) in enumerate(zip(expected_rows, actual_rows, strict=True))
        for j, (e, a) in enumerate(zip(expected_row, actual_row, strict=True))
        if not _same(e, a)
    ]
    assert not differences, f"{what}: {len(differences)} values differ, e.g. " + "; ".join(differences[:5])


@pytest.mark.slow
@each_published_metric
def test_push_down_gives_the_refresh_results(
    refreshed_store: Store,
    like_the_server: tuple[duckdb.DuckDBPyConnection, dict[str, str]],
    metric: catalog.Metric,
) -> None:
    con, failures = like_the_server
    assert metric.name not in failures, f"the push-down T-SQL of {metric.name} fails: {failures[metric.name]}"
    # Read back in the types DuckDB gives, as PushDown.run reads the work table (layout.arrow_schema).
    columns = layout.shapes().results[metric.name]
    select = ", ".join(f'CAST("{c.name}" AS {c.type}) AS "{c.name}"' for c in columns)
    schema, name = push_down.work_table(metric)
    actual = con.execute(f'SELECT {select} FROM "{schema}"."{name}"')
    _compare(metric.name, refreshed_store.con.execute(f"SELECT * FROM {metric.table}"), actual)


@pytest.mark.slow
@pytest.mark.parametrize("source", RENDERED)
def test_rendered_query_gives_the_local_results(
    refreshed_store: Store,
    like_the_server: tuple[duckdb.DuckDBPyConnection, dict[str, str]],
    source: str,
) -> None:
    con, failures = like_the_server
    assert not failures, f"push-down T-SQL fails: {failures}"
    actual = con.execute(transpile.from_tsql(_rendered(source), _schema_of(con)))
    _compare(source, refreshed_store.con.execute(sql_files.read(source)), actual)

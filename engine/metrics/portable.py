"""The metrics outside DuckDB: each metric's query transpiled with sqlglot to T-SQL, Spark SQL and PostgreSQL.

T-SQL is for push-down to the ICS SQL Server, which cannot run here, so the T-SQL of every metric is checked in under
`sql/mssql/metrics/` (a change to what SQL Server would run then shows in review) and the tests read it back into
DuckDB (`from_tsql`) to run it on fixture data. The Spark SQL (national scale) is checked in under `sql/spark/metrics/`
the same way. Regenerate the snapshots with
`python -m engine.metrics.portable --write`; `--check` (run by scripts/check) exits 1 when one is stale.

sqlglot fails loudly on some constructs it cannot render (`ErrorLevel.RAISE`), but others transpile silently into
invalid or changed T-SQL. `UNPORTABLE` lists those the metric files must avoid (DESIGN.md, "Stack choices"), and
`unportable()` finds them in a query's tree.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import expressions as exp
from sqlglot.errors import ErrorLevel, SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from engine import sql_files
from engine.metrics import catalog

DIALECTS = ("tsql", "spark", "postgres")
"""The sqlglot dialects every metric must transpile to: SQL Server push-down, Spark at national scale, PostgreSQL."""

SNAPSHOT_FOLDER = Path("mssql") / "metrics"
"""Where the T-SQL snapshots live, under the sql/ folder."""

SNAPSHOT_FOLDERS = {"tsql": SNAPSHOT_FOLDER, "spark": Path("spark") / "metrics"}
"""Every checked-in snapshot, by dialect: T-SQL for push-down to the ICS SQL Server, Spark SQL for national scale."""

_DIALECT_NAMES = {"tsql": "T-SQL (SQL Server)", "spark": "Spark SQL"}


Schema = dict[str, dict[str, dict[str, str]]]
"""Column types by schema, table and column, as DuckDB names them: {"results": {"event_costs": {"los": "BIGINT"}}}."""


class PortabilityError(ValueError):
    """A metric query that sqlglot cannot parse or render in another dialect (a developer error, caught by tests)."""


def transpile(metric: catalog.Metric, dialect: str) -> str:
    """The metric's query in another sqlglot dialect, pretty-printed; PortabilityError if sqlglot cannot render it."""
    try:
        tree = sqlglot.parse_one(metric.query, read="duckdb")
        for fix in BEFORE_WRITING.get(dialect, ()):
            tree = tree.transform(fix)
        return tree.sql(dialect=dialect, pretty=True, unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise PortabilityError(f"sql/metrics/{metric.name}.sql does not transpile to {dialect}: {exc}") from exc


# SQL Server's reserved keywords (learn.microsoft.com/sql/t-sql/language-elements/reserved-keywords-transact-sql).
# sqlglot's T-SQL generator does not quote them, so a CTE or column DuckDB is happy to call `national`, `key`, `file`,
# `plan` or `percent` would make invalid T-SQL: `WITH national AS (...)` does not parse on SQL Server.
TSQL_RESERVED = frozenset(
    """
    ADD ALL ALTER AND ANY AS ASC AUTHORIZATION BACKUP BEGIN BETWEEN BREAK BROWSE BULK BY CASCADE CASE CHECK
    CHECKPOINT CLOSE CLUSTERED COALESCE COLLATE COLUMN COMMIT COMPUTE CONSTRAINT CONTAINS CONTAINSTABLE CONTINUE
    CONVERT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURSOR DATABASE DBCC
    DEALLOCATE DECLARE DEFAULT DELETE DENY DESC DISK DISTINCT DISTRIBUTED DOUBLE DROP DUMP ELSE END ERRLVL ESCAPE
    EXCEPT EXEC EXECUTE EXISTS EXIT EXTERNAL FETCH FILE FILLFACTOR FOR FOREIGN FREETEXT FREETEXTTABLE FROM FULL
    FUNCTION GOTO GRANT GROUP HAVING HOLDLOCK IDENTITY IDENTITY_INSERT IDENTITYCOL IF IN INDEX INNER INSERT
    INTERSECT INTO IS JOIN KEY KILL LEFT LIKE LINENO LOAD MERGE NATIONAL NOCHECK NONCLUSTERED NOT NULL NULLIF OF OFF
    OFFSETS ON OPEN OPENDATASOURCE OPENQUERY OPENROWSET OPENXML OPTION OR ORDER OUTER OVER PERCENT PIVOT PLAN
    PRECISION PRIMARY PRINT PROC PROCEDURE PUBLIC RAISERROR READ READTEXT RECONFIGURE REFERENCES REPLICATION RESTORE
    RESTRICT RETURN REVERT REVOKE RIGHT ROLLBACK ROWCOUNT ROWGUIDCOL RULE SAVE SCHEMA SECURITYAUDIT SELECT
    SEMANTICKEYPHRASETABLE SEMANTICSIMILARITYDETAILSTABLE SEMANTICSIMILARITYTABLE SESSION_USER SET SETUSER SHUTDOWN
    SOME STATISTICS SYSTEM_USER TABLE TABLESAMPLE TEXTSIZE THEN TO TOP TRAN TRANSACTION TRIGGER TRUNCATE TRY_CONVERT
    TSEQUAL UNION UNIQUE UNPIVOT UPDATE UPDATETEXT USE USER VALUES VARYING VIEW WAITFOR WHEN WHERE WHILE WITH WITHIN
    WRITETEXT
    """.split()  # noqa: SIM905 (a word list reads better as text)
)


def _quote_tsql_reserved(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Identifier) and not node.quoted and node.name.upper() in TSQL_RESERVED:
        return exp.to_identifier(node.name, quoted=True)
    return node


# What to change in the tree before writing a dialect, where sqlglot's own generator falls short.
BEFORE_WRITING: dict[str, tuple[Callable[[exp.Expression], exp.Expression], ...]] = {
    "tsql": (_quote_tsql_reserved,),
}


def from_tsql(text: str, schema: Schema | None = None) -> str:
    """One T-SQL statement as DuckDB SQL meaning what it means on SQL Server, so tests can run T-SQL on DuckDB.

    T-SQL writes string concatenation as `+`, which sqlglot reads back as addition; it is turned back into `||`
    where one side is text and the other is not a number. Without `schema` (the column types of the tables the
    statement reads) only literals and casts have a known type, so `a + b` for two text columns fails loudly in DuckDB;
    with it, every column has.
    """
    tree = sqlglot.parse_one(text, read="tsql")
    if schema is not None:
        tables = MappingSchema(dict[str, object](schema), dialect="duckdb")
        tree = annotate_types(qualify(tree, schema=tables, dialect="tsql", db="main"), schema=tables, dialect="tsql")
    else:
        tree = annotate_types(tree, dialect="tsql")
    for node in reversed(list(tree.find_all(exp.Add))):  # innermost first, so `a + '|' + b` is seen whole
        if _concatenates(node):
            node.replace(exp.DPipe(this=node.this, expression=node.expression))
    tree = tree.transform(_tsql_type_as_duckdb)
    return tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)


_T = exp.DataType.Type
_TEXT_TYPES = {_T.VARCHAR, _T.NVARCHAR, _T.CHAR, _T.NCHAR, _T.TEXT, _T.VARBINARY}


def _tsql_type_as_duckdb(node: exp.Expression) -> exp.Expression:
    """Correct the T-SQL types sqlglot reads back into a different (or invalid) DuckDB type.

    - FLOAT: T-SQL FLOAT is FLOAT(53), an 8-byte double, but sqlglot reads it as its FLOAT type, which DuckDB writes
      as REAL (a 4-byte float). sqlglot writes every DuckDB DOUBLE, and the cast it adds to the left of each `/`, as
      FLOAT, so without this each of those would lose precision on the way back. FLOAT(1..24) is SQL Server's REAL.
      T-SQL REAL reaches us as the same node and also becomes DOUBLE; sqlglot never writes REAL, so that is moot.
    - VARCHAR(MAX) and the like: DuckDB has no MAX length (sqlglot writes TEXT(MAX), which DuckDB rejects).
    """
    if not isinstance(node, exp.DataType):
        return node
    if node.this == _T.FLOAT:
        size = node.expressions[0].this if node.expressions else None
        single = isinstance(size, exp.Literal) and size.is_int and int(size.name) <= 24
        return exp.DataType.build(_T.FLOAT if single else _T.DOUBLE)
    if node.this in _TEXT_TYPES and any(p.name.upper() == "MAX" for p in node.expressions):
        return exp.DataType(this=node.this)
    return node


def _concatenates(node: exp.Add) -> bool:
    """Whether T-SQL's `a + b` joins strings: one side is text and the other is not a number (SQL Server would turn
    the text into the number)."""
    kinds = {_kind(node.this), _kind(node.expression)}
    return "text" in kinds and "other" not in kinds


def _kind(node: exp.Expression) -> str:
    if isinstance(node, exp.Paren):
        return _kind(node.this)
    if isinstance(node, exp.DPipe):
        return "text"
    if node.type is None or node.type.is_type(_T.UNKNOWN):
        return "unknown"
    return "text" if node.type.is_type(*exp.DataType.TEXT_TYPES) else "other"


# --- The portable subset ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unportable:
    """A construct the metric files must not use, because sqlglot transpiles it silently into wrong T-SQL."""

    construct: str
    why: str
    found: Callable[[exp.Expr], bool]


def _bare_percentile(node: exp.Expr) -> bool:
    # PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x) is portable; DuckDB's QUANTILE_CONT(x, p) parses to the same
    # function without the WITHIN GROUP and comes out as PERCENTILE_CONT(x, p), which T-SQL does not have.
    return isinstance(node, exp.PercentileCont | exp.PercentileDisc) and not isinstance(node.parent, exp.WithinGroup)


# A boolean may stand only where T-SQL takes a search condition: T-SQL has no boolean type, so `a > b AS flag` (or a
# comparison inside an expression) is invalid there, and sqlglot passes it through unchanged.
_CONDITION_SLOTS: tuple[tuple[type[exp.Expression], str], ...] = (
    (exp.Where, "this"),
    (exp.Having, "this"),
    (exp.Qualify, "this"),
    (exp.Join, "on"),
    (exp.If, "this"),  # CASE WHEN <condition>, IIF(<condition>, ...)
)


def _misplaced_boolean(node: exp.Expr) -> bool:
    if not isinstance(node, exp.Predicate | exp.Connector | exp.Not | exp.Boolean):
        return False
    child: exp.Expr = node
    parent = node.parent
    while isinstance(parent, exp.Paren):
        child, parent = parent, parent.parent
    if isinstance(parent, exp.Connector | exp.Not):
        return False  # judged as part of the whole condition
    return not any(isinstance(parent, kind) and child.arg_key == key for kind, key in _CONDITION_SLOTS)


UNPORTABLE: tuple[Unportable, ...] = (
    Unportable(
        "GROUP BY ALL",
        "T-SQL needs the columns listed",
        lambda n: isinstance(n, exp.Group) and bool(n.args.get("all")),
    ),
    Unportable(
        "SELECT * EXCLUDE/REPLACE/RENAME",
        "becomes EXCEPT/REPLACE, which T-SQL does not have",
        lambda n: isinstance(n, exp.Star) and any(n.args.get(k) for k in ("except", "except_", "replace", "rename")),
    ),
    Unportable("MEDIAN", "T-SQL has no MEDIAN", lambda n: isinstance(n, exp.Median)),
    Unportable(
        "QUANTILE/QUANTILE_CONT/QUANTILE_DISC",
        "use PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x)",
        lambda n: isinstance(n, exp.Quantile | exp.ApproxQuantile) or _bare_percentile(n),
    ),
    Unportable(
        "GREATEST/LEAST",
        "SQL Server 2022+ only: use CASE",
        lambda n: isinstance(n, exp.Greatest | exp.Least),
    ),
    Unportable(
        "IS [NOT] DISTINCT FROM",
        "SQL Server 2022+ only: spell out the NULL cases",
        lambda n: isinstance(n, exp.NullSafeEQ | exp.NullSafeNEQ),
    ),
    Unportable(
        "WINDOW clause",
        "SQL Server 2022+ only: write the OVER (...) in full",
        lambda n: isinstance(n, exp.Window) and n.arg_key == "windows",
    ),
    Unportable(
        "FILTER clause",
        "T-SQL has no aggregate FILTER: use CASE inside the aggregate",
        lambda n: isinstance(n, exp.Filter),
    ),
    Unportable(
        "interval arithmetic",
        "T-SQL has no INTERVAL: keep date arithmetic in Python or in the extracts",
        lambda n: isinstance(n, exp.Interval),
    ),
    Unportable(
        "boolean expression outside a condition",
        "T-SQL has no boolean type: use CASE WHEN ... THEN 1 ELSE 0 END",
        _misplaced_boolean,
    ),
)


def unportable(query: str) -> list[str]:
    """Each construct outside the portable subset in a DuckDB query, as `CONSTRUCT in `snippet`: why`."""
    found: list[str] = []
    for node in sqlglot.parse_one(query, read="duckdb").walk():
        for rule in UNPORTABLE:
            if rule.found(node):
                snippet = node.sql(dialect="duckdb")
                snippet = snippet if len(snippet) <= 80 else snippet[:77] + "..."
                found.append(f"{rule.construct} in `{snippet}`: {rule.why}")
    return found


def integer_averages(query: str, schema: Schema) -> list[str]:
    """Each AVG of a whole-number expression in a DuckDB query: SQL Server returns a truncated whole number for it.

    This needs the column types, so it is not in `UNPORTABLE`; unqualified tables are looked up in `main`.
    """
    tables = MappingSchema(dict[str, object](schema), dialect="duckdb")
    tree = qualify(sqlglot.parse_one(query, read="duckdb"), schema=tables, dialect="duckdb", db="main")
    tree = annotate_types(tree, schema=tables, dialect="duckdb")
    found: list[str] = []
    for average in tree.find_all(exp.Avg):
        if average.this.type and average.this.type.is_type(*exp.DataType.INTEGER_TYPES):
            found.append(f"AVG of a whole number in `{average.sql(dialect='duckdb')}`: T-SQL truncates it; cast first")
    return found


def tables_read(query: str) -> set[str]:
    """The tables a DuckDB query reads, as written (`results.event_costs`, `cost_lines`), without its CTEs."""
    tree = sqlglot.parse_one(query, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    tables: set[str] = set()
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function such as read_parquet(...)
        if not table.db and table.name in ctes:
            continue
        tables.add(".".join(part for part in (table.catalog, table.db, table.name) if part))
    return tables


# --- T-SQL snapshots -------------------------------------------------------------------------------------------------


def snapshot_path(metric: catalog.Metric, dialect: str = "tsql") -> Path:
    return sql_files.sql_dir() / SNAPSHOT_FOLDERS[dialect] / f"{metric.name}.sql"


def snapshot_text(metric: catalog.Metric, dialect: str = "tsql") -> str:
    """What sql/<dialect folder>/<name>.sql should hold: a generated-file header and the metric in that dialect."""
    source = f"sql/metrics/{metric.name}.sql"
    return (
        f"-- {metric.name}: the {_DIALECT_NAMES[dialect]} of {source}, transpiled by sqlglot.\n"
        f"-- Generated by `python -m engine.metrics.portable --write`. Do not edit by hand: edit {source} and\n"
        "--   regenerate.\n"
        f"{transpile(metric, dialect)};\n"
    )


def stale_snapshots() -> list[Path]:
    """Snapshots that are missing, differ from what the metric transpiles to, or belong to no metric."""
    stale: list[Path] = []
    for dialect, folder in SNAPSHOT_FOLDERS.items():
        expected: set[Path] = set()
        for metric in catalog.metrics():
            path = snapshot_path(metric, dialect)
            expected.add(path)
            if not path.exists() or path.read_text(encoding="utf-8") != snapshot_text(metric, dialect):
                stale.append(path)
        stale.extend(sorted(p for p in (sql_files.sql_dir() / folder).glob("*.sql") if p not in expected))
    return stale


def write_snapshots() -> list[Path]:
    """Bring every snapshot up to date (deleting those of metrics that are gone); the paths changed."""
    changed = stale_snapshots()
    texts = {snapshot_path(m, d): snapshot_text(m, d) for d in SNAPSHOT_FOLDERS for m in catalog.metrics()}
    for path in changed:
        if path in texts:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(texts[path], encoding="utf-8", newline="\n")
        else:
            path.unlink()
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m engine.metrics.portable",
        description="Write or check the T-SQL and Spark SQL snapshots of every metric (sql/mssql/, sql/spark/).",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="write the snapshots that are missing or stale")
    action.add_argument("--check", action="store_true", help="exit 1 when any snapshot is missing or stale")
    args = parser.parse_args(argv)
    root = sql_files.sql_dir().parent
    try:
        if args.check:
            stale = stale_snapshots()
            for path in stale:
                print(f"stale: {_shown(path, root)}", file=sys.stderr)
            if stale:
                print("run `python -m engine.metrics.portable --write` and commit the result", file=sys.stderr)
            return 1 if stale else 0
        for path in write_snapshots():
            print(f"{'wrote' if path.exists() else 'deleted'} {_shown(path, root)}")
    except PortabilityError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


if __name__ == "__main__":
    raise SystemExit(main())

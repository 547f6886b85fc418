"""Each metric's DuckDB query in another SQL dialect (T-SQL, Spark SQL, PostgreSQL) with sqlglot, and T-SQL read back
into DuckDB.

T-SQL is for push-down to the ICS SQL Server, which cannot run here, so tests read the T-SQL of every metric back into
DuckDB (`from_tsql`) and run it on fixture data. Where sqlglot's own generator or parser gets a dialect wrong, the fix
is in engine.sql_dialects: `BEFORE_WRITING` (per dialect, applied to the tree before writing it) and
`tsql_type_as_duckdb` (T-SQL types read back). The checked-in snapshots of this output are in
engine.metrics.snapshots; the constructs the metric files must avoid are in engine.metrics.portability_lint.
"""

from __future__ import annotations

import sqlglot
from sqlglot import expressions as exp
from sqlglot.errors import ErrorLevel, SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from engine.metrics import catalog
from engine.sql_dialects import BEFORE_WRITING, tsql_type_as_duckdb

DIALECTS = ("tsql", "spark", "postgres")
"""The sqlglot dialects every metric must transpile to: SQL Server push-down, Spark at national scale, PostgreSQL."""

DIALECT_NAMES = {"tsql": "T-SQL (SQL Server)", "spark": "Spark SQL"}
"""How the generated files name a dialect."""


Schema = dict[str, dict[str, dict[str, str]]]
"""Column types by schema, table and column, as DuckDB names them: {"results": {"event_costs": {"los": "BIGINT"}}}."""


_T = exp.DataType.Type


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
    tree = tree.transform(tsql_type_as_duckdb)
    return tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)


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

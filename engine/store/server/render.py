"""DuckDB-dialect SQL from `sql/` made ready to run on the server: its tables renamed to where the server keeps them,
then written in the server's dialect by sqlglot (with the same fixes as the T-SQL snapshots, engine.sql_dialects).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlglot
from sqlglot import expressions as exp
from sqlglot.errors import ErrorLevel

from engine.sql_dialects import BEFORE_WRITING
from engine.store.server.layout import Column, server_type

TableMap = Mapping[str, tuple[str, str]]
"""Table as the DuckDB query names it (`cost_lines`, `results.system_cost`) -> (schema, table) on the server."""


class UnmappedTableError(KeyError):
    """A query reads a table the server does not keep (a developer error, caught by tests)."""


def parse(query: str, tables: TableMap) -> exp.Expr:
    """The query's tree with every table it reads renamed; CTEs are left alone."""
    tree = sqlglot.parse_one(query, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in list(tree.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier) or (not table.db and table.name in ctes):
            continue
        written = f"{table.db}.{table.name}" if table.db else table.name
        if written not in tables:
            raise UnmappedTableError(f"the query reads {written}, which the server does not keep")
        schema, name = tables[written]
        alias = table.args.get("alias") or (
            exp.TableAlias(this=exp.to_identifier(table.name)) if not table.db else None
        )
        renamed = exp.table_(name, db=schema)
        if alias is not None:
            renamed.set("alias", alias)
        table.replace(renamed)
    return tree


def write(tree: exp.Expr, dialect: str) -> str:
    if dialect == "tsql":
        tree = _name_positional_order(tree)
    for fix in BEFORE_WRITING.get(dialect, ()):
        tree = tree.transform(fix)
    return tree.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)


def _name_positional_order(tree: exp.Expr) -> exp.Expr:
    """`ORDER BY 1, 2` with each number replaced by the expression it selects. SQL Server sorts NULLs first, so
    sqlglot writes DuckDB's NULLS LAST as a `CASE WHEN x IS NULL ...` key before x, which it cannot do for a position.
    """
    tree = tree.copy()
    for select in tree.find_all(exp.Select):
        order = select.args.get("order")
        if order is None or select.args.get("distinct"):
            continue
        for ordered in order.expressions:
            key = ordered.this
            if isinstance(key, exp.Literal) and key.is_int and 1 <= int(key.name) <= len(select.expressions):
                ordered.set("this", select.expressions[int(key.name) - 1].unalias().copy())
    return tree


def query(text: str, dialect: str, tables: TableMap) -> str:
    """A SELECT from sql/, to run on the server."""
    return write(parse(text, tables), dialect)


def create_table_as(
    text: str, dialect: str, tables: TableMap, target: tuple[str, str], columns: Sequence[Column]
) -> str:
    """CREATE TABLE target AS the query, each output column cast to the type DuckDB gives it, so the server's table
    holds exactly what a DuckDB refresh would (the same rounding of pounds, the same whole numbers).

    The query becomes the last CTE, `result_rows`, and the casts select from it: T-SQL allows no CTE inside a derived
    table and no ORDER BY inside a CTE, so the query's own CTEs are lifted beside it and its ORDER BY dropped (a
    table has no order).
    """
    tree = parse(text, tables)
    ctes = []
    existing = tree.args.get("with_") or tree.args.get("with")
    if existing is not None:
        ctes = [cte.copy() for cte in existing.expressions]
        tree.set("with_" if "with_" in tree.args else "with", None)
    tree.set("order", None)
    ctes.append(exp.CTE(this=tree, alias=exp.TableAlias(this=exp.to_identifier(RESULT_ROWS))))
    casts = [
        exp.alias_(exp.Cast(this=exp.column(c.name, quoted=True), to=server_type(c.type, dialect)), c.name, quoted=True)
        for c in columns
    ]
    select = exp.select(*casts).from_(RESULT_ROWS)
    select.set("with_" if "with_" in exp.Select.arg_types else "with", exp.With(expressions=ctes))
    create = exp.Create(this=exp.table_(target[1], db=target[0]), kind="TABLE", expression=select)
    return write(create, dialect)


RESULT_ROWS = "result_rows"

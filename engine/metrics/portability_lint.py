"""Checks that a metric's DuckDB query stays inside the subset that transpiles faithfully to T-SQL.

sqlglot fails loudly on some constructs it cannot render (`ErrorLevel.RAISE`, see engine.metrics.transpile), but
others transpile silently into invalid or changed T-SQL. `UNPORTABLE` lists those the metric files must avoid
(DESIGN.md, "Stack choices"), and `unportable()` finds them in a query's tree; `integer_averages()` finds the one that
needs column types. `tables_read()` lists the tables a query reads, to check against the metric's declared inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import expressions as exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from engine.metrics.transpile import Schema


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


def _unguarded_division(node: exp.Expr) -> bool:
    # Division by zero is an error on SQL Server and on Spark under ANSI mode, and inf or NaN on DuckDB: every divisor
    # is NULLIF(<divisor>, 0) (a cast or brackets around it allowed), so each engine gives NULL for the same rows.
    if not isinstance(node, exp.Div):
        return False
    divisor = node.expression
    while isinstance(divisor, exp.Paren | exp.Cast):
        divisor = divisor.this
    return not isinstance(divisor, exp.Nullif)


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
        "division without NULLIF",
        "x / 0 fails on SQL Server and on Spark in ANSI mode, and is inf on DuckDB: write x / NULLIF(divisor, 0)",
        _unguarded_division,
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

"""One type per kind of figure in every file the engine publishes, whatever type the SQL happened to produce.

DuckDB widens sums: a sum of integer counts is a DECIMAL(38,0), a sum of pounds a DECIMAL(38,4). Readers such as
Power BI and SQL Server want stable, narrow types, and a Power BI model declares each column's type, so the
published files use four: whole numbers (BIGINT: counts, years, periods, ids), money (DECIMAL(18,4): pounds to the
hundredth of a penny, up to £100 trillion), other figures (DOUBLE: means, rates, shares, z scores) and text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.store import Store

MONEY = "DECIMAL(18,4)"
_WHOLE = re.compile(r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|DECIMAL\(\d+,0\))$")
_MONEY = re.compile(r"^DECIMAL\(\d+,[1-9]\d*\)$")
_FIGURE = re.compile(r"^(DOUBLE|FLOAT|REAL)$")
_AS_IS = frozenset({"VARCHAR", "BOOLEAN", "DATE", "TIMESTAMP"})


class UnpublishableTypeError(ValueError):
    """A result column of a type the published files have no place for (a developer error, caught by tests)."""


def published_type(duckdb_type: str) -> str:
    """The type a column of `duckdb_type` has in the published files."""
    if _WHOLE.match(duckdb_type):
        return "BIGINT"
    if _MONEY.match(duckdb_type):
        return MONEY
    if _FIGURE.match(duckdb_type):
        return "DOUBLE"
    if duckdb_type in _AS_IS:
        return duckdb_type
    raise UnpublishableTypeError(
        f"no published type for a {duckdb_type} column: add one to engine/publish/column_types.py"
    )


def typed_query(store: Store, table: str, *, sorted_by: Sequence[str] = ()) -> str:
    """SELECT every column of `table`, in order, cast to its published type; with `sorted_by`, the rows in that
    order and then by every other column, so the same results always give the same file, byte for byte."""
    columns = store.con.execute(f"DESCRIBE {table}").fetchall()
    casts = [f'CAST("{name}" AS {published_type(str(kind))}) AS "{name}"' for name, kind, *_ in columns]
    query = f"SELECT {', '.join(casts)} FROM {table}"
    if sorted_by:
        rest = [str(name) for name, *_ in columns if name not in sorted_by]
        query += " ORDER BY " + ", ".join(f'"{name}" NULLS FIRST' for name in [*sorted_by, *rest])
    return query

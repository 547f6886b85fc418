"""SQL text built in Python for the load's generated statements: identifiers quoted and values written as literals."""

from __future__ import annotations


def quoted(identifier: str) -> str:
    """A column or table name as a DuckDB identifier, whatever characters a trust's header holds."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: str | None) -> str:
    """A text value (or NULL) as a SQL literal."""
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"

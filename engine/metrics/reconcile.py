"""The refresh's own check that its numbers add up: system_cost holds every pound loaded, per provider and year."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import duckdb

from engine import sql_files
from engine.errors import StoreError


def check_reconciliation(con: duckdb.DuckDBPyConnection) -> Decimal:
    """The total cost loaded; raise StoreError naming each provider and year where the results differ by any amount."""
    rows = con.execute(sql_files.read("refresh/reconcile.sql")).fetchall()
    wrong = reconciliation_errors(rows)
    if wrong:
        raise StoreError("results do not reconcile with the cost loaded: " + "; ".join(wrong))
    return sum((Decimal(loaded) for _, _, loaded, _ in rows), Decimal(0))


def reconciliation_errors(rows: Sequence[tuple[str, str, Decimal, Decimal]]) -> list[str]:
    """Each provider and year of reconcile.sql's rows whose cost in the results differs from the cost loaded."""
    return [
        f"{org} {year}: £{loaded:,.2f} loaded, £{got:,.2f} in results"
        for org, year, loaded, got in rows
        if loaded != got
    ]

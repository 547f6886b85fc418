"""Which refresh a set of published files comes from: its id, when it was published and the cost it reconciled to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from engine import sql_files
from engine.store import Store


@dataclass(frozen=True)
class RefreshStamp:
    refresh_id: int
    refreshed_at: datetime  # UTC
    cost_reconciled: Decimal


def last_refresh(store: Store) -> RefreshStamp | None:
    """The last refresh the store's log says succeeded, or None before the first."""
    rows = store.con.execute(sql_files.read("refresh/last_refresh.sql")).fetchall()
    if not rows:
        return None
    refresh_id, finished_at, cost = rows[0]
    return RefreshStamp(int(refresh_id), finished_at, Decimal(str(cost)))

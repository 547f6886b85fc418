"""The published result tables, held in Excel's Python process and reloaded only when a refresh lands.

Every worksheet function reads from here, and here reads only the published folder's current refresh
(engine.publish.published_results), never the store: Excel never blocks a load or refresh, a refresh never waits for
Excel, and a formula keeps its answer while a refresh runs. On a warm cache the only per-call cost is one `stat` of
the published folder's pointer (to notice a refresh published elsewhere) and a dictionary lookup. Tables load on
first use, and all tables in memory always come from the same refresh: if a table read finds a newer refresh, the
ones already held are dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyarrow as pa

from engine.config import IcsConfig
from engine.errors import IcsBenchError
from engine.metrics import catalog
from engine.publish import published_results

Key = tuple[Any, ...]
ALL = "(all)"  # the summary tables' key value for "every POD" or "every HRG"


class ResultTable:
    """One published table: its columns as Python lists (converted on first use) and indexes on key columns."""

    def __init__(self, metric: catalog.Metric, table: pa.Table) -> None:
        self.metric = metric
        self.arrow = table
        self.rows = table.num_rows
        self._columns: dict[str, list[Any]] = {}
        self._indexes: dict[tuple[str, ...], dict[Key, list[int]]] = {}
        self._choices: dict[str, dict[str, str]] = {}

    @property
    def column_names(self) -> list[str]:
        names: list[str] = self.arrow.column_names
        return names

    def column(self, name: str) -> list[Any]:
        values = self._columns.get(name)
        if values is None:
            values = self._columns[name] = self.arrow.column(name).to_pylist()
        return values

    def index(self, columns: tuple[str, ...]) -> dict[Key, list[int]]:
        """Row numbers by the values of `columns` (built once per table and set of columns)."""
        index = self._indexes.get(columns)
        if index is None:
            index = {}
            for row, key in enumerate(zip(*(self.column(c) for c in columns), strict=True)):
                index.setdefault(key, []).append(row)
            self._indexes[columns] = index
        return index

    def find(self, **keys: Any) -> list[int]:
        """Row numbers whose columns equal the given values."""
        columns = tuple(keys)
        return self.index(columns).get(tuple(keys[c] for c in columns), [])

    def distinct(self, column: str) -> set[Any]:
        """The different values in `column` (held, so a formula's argument check is one dictionary lookup)."""
        return set(self.choices(column).values())

    def choices(self, column: str) -> dict[str, str]:
        """The column's codes by their capitalised form, for matching what a user typed whatever its case."""
        held = self._choices.get(column)
        if held is None:
            held = {str(v).upper(): v for (v,) in self.index((column,)) if v is not None and v != ALL}
            self._choices[column] = held
        return held

    def value(self, column: str, row: int) -> Any:
        return self.column(column)[row]

    def count_behind(self, column: str) -> str | None:
        """The count column whose suppression hides `column` (itself for a count), or None if it is always shown."""
        doc = self.metric.column(column)
        if doc.role == "count":
            return column
        return doc.source if doc.role == "from" else None

    def suppressed(self, column: str, row: int) -> bool:
        """True when `column` is blank in this row because disclosure control hid it: its count is hidden, or it is
        a benchmark (or compared with one) that could echo a hidden provider."""
        doc = self.metric.column(column)
        if doc.role == "benchmark" or doc.against:
            return self.value(column, row) is None
        count = self.count_behind(column)
        return count is not None and self.value(count, row) is None


@dataclass
class PublishedResults:
    """The tables of one refresh that have been asked for so far."""

    refresh_id: int | None
    tables: dict[str, ResultTable] = field(default_factory=dict)


TableLoader = Callable[[IcsConfig, str], tuple[int, pa.Table]]
StampReader = Callable[[IcsConfig], published_results.Stamp]
RefreshReader = Callable[[IcsConfig], int]


class ResultsCache:
    """Published tables in memory, keyed by the refresh that wrote them."""

    def __init__(
        self,
        config: Callable[[], IcsConfig],
        *,
        load_table: TableLoader = published_results.published_table,
        stamp: StampReader = published_results.snapshot_stamp,
        latest_refresh: RefreshReader = published_results.latest_refresh_id,
        recheck_seconds: float = 0.25,
    ) -> None:
        self._config = config
        self._load_table = load_table
        self._stamp = stamp
        self._latest_refresh = latest_refresh
        self._recheck_seconds = recheck_seconds
        self._checked_at = -float("inf")
        self._held_config: IcsConfig | None = None
        self._seen_stamp: published_results.Stamp | None = None
        self._results = PublishedResults(refresh_id=None)
        self._lock = threading.Lock()
        self.loads = 0  # table reads from the published folder: a test and the benchmark watch it stay flat when warm

    @property
    def config(self) -> IcsConfig:
        if self._held_config is None:
            self._held_config = self._config()
        return self._held_config

    def table(self, name: str) -> ResultTable:
        """Published table `name` of the latest refresh, read from the published folder only when not already held.

        The pointer is looked at (one `stat` call) at most every `recheck_seconds`, so a sheet of thousands of
        formulas costs a dictionary lookup each, and a refresh made elsewhere shows within a fraction of a second."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at >= self._recheck_seconds:
                self._held_config = config = self._config()
                stamp = self._stamp(config)
                self._checked_at = now
                if stamp != self._seen_stamp:
                    self._notice_commit(config, stamp)
            held = self._results.tables.get(name)
            if held is not None:
                return held
            refresh_id, arrow = self._load_table(self.config, name)
            self.loads += 1
            if refresh_id != self._results.refresh_id:
                self._results = PublishedResults(refresh_id=refresh_id)
            table = ResultTable(catalog.metric(name), arrow)
            self._results.tables[name] = table
            return table

    def _notice_commit(self, config: IcsConfig, stamp: published_results.Stamp) -> None:
        """The published folder's pointer changed: keep what we hold unless it names another refresh.

        Should the pointer be unreadable for a moment, keep serving the last good results and look again next call."""
        if self._results.tables:
            try:
                latest = self._latest_refresh(config)
            except IcsBenchError:
                return
            if latest != self._results.refresh_id:
                self._results = PublishedResults(refresh_id=latest)
        self._seen_stamp = stamp

    @property
    def refresh_id(self) -> int | None:
        return self._results.refresh_id

    def clear(self) -> None:
        """Forget everything held: the next call reads the store again (after a refresh made in this process)."""
        with self._lock:
            self._checked_at = -float("inf")
            self._held_config = None
            self._seen_stamp = None
            self._results = PublishedResults(refresh_id=None)


def cell_value(value: Any) -> Any:
    """A published value as Excel should get it: a number as a float (Excel holds every number as one; a Decimal
    would reach the cell as Currency and a large int as a type Excel cannot show), text as it is, None for a blank."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return float(value)
    return value


def spill(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """A spilled range: the header row, then the rows, each value as Excel should get it (`cell_value`)."""
    return [list(header), *([cell_value(v) for v in r] for r in rows)]

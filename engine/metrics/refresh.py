"""The refresh's computing half: build every result table from the store and check that it reconciles, logged.

A refresh runs inside one transaction (`refresh_run`): engine.jobs computes the tables here and publishes them with
small-number suppression (engine.publish) before the commit, so a refresh that fails at any point (a bad file, a full
disk, a reconciliation that does not hold) leaves the last good results exactly as they were, and every table always
carries the same refresh id. The refresh log records each attempt, including failed ones: `running` from its start
until the job has also written the published files (`finish_refresh`: succeeded or failed), so a refresh stopped
part way is still `running`, and the next open of the store marks it interrupted.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import expressions as exp

from engine import codes, sql_files
from engine.errors import StoreError
from engine.metrics import catalog, national_inputs, population_inputs, service_inputs
from engine.metrics.fingerprint import inputs_fingerprint
from engine.metrics.reconcile import check_reconciliation
from engine.progress import Progress, silent
from engine.store import Store, in_progress, record_costs

FUNNEL_Z_95 = 1.959964  # two-sided 95% limits (Spiegelhalter 2005)
FUNNEL_Z_99_8 = 3.090232  # two-sided 99.8% limits


@dataclass(frozen=True)
class TableRefreshed:
    name: str
    rows: int
    seconds: float
    total_cost: Decimal | None = None  # for tables with a total_cost column: its sum, for the refresh log


@dataclass
class RefreshResult:
    refresh_id: int
    started_at: datetime
    seconds: float = 0.0
    cost_loaded: Decimal = Decimal(0)
    tables: list[TableRefreshed] = field(default_factory=list)


class Compute(Protocol):
    """Where the metric SQL runs: in the DuckDB store (the default), or pushed down to the ICS SQL Server."""

    name: str

    def prepare(self, store: Store) -> None:
        """Called once the refresh inputs (parameters, code lists) are in the store."""

    def run(self, store: Store, metric: catalog.Metric) -> tuple[int, Decimal | None]:
        """Build one result table (published ones end up in the store's results schema); its rows and total cost."""

    def reconcile(self, store: Store) -> Decimal:
        """The cost loaded, after checking every pound of it reached results.system_cost."""

    def finish(self) -> None:
        """Tidy up, whether the refresh succeeded or not."""


class InStore:
    """Run every metric in the DuckDB store itself (the refresh without a server, and a server's `pull`)."""

    name = "in_store"

    def prepare(self, store: Store) -> None:
        pass

    def run(self, store: Store, metric: catalog.Metric) -> tuple[int, Decimal | None]:
        if metric.name == "record_costs":  # kept by every load (engine.store.record_costs), rebuilt when stale
            record_costs.ensure(store)
            store.con.execute(record_costs.view_sql())
        else:
            store.con.execute(create_table_sql(metric))
        rows, cost = store.con.execute(metric.count_and_cost_sql(metric.table)).fetchall()[0]
        return int(rows), None if cost is None else Decimal(cost)

    def reconcile(self, store: Store) -> Decimal:
        return check_reconciliation(store.con)

    def finish(self) -> None:
        pass


class RefreshRun:
    """One refresh in progress: its id, what it has built so far, and its progress steps.

    Made by `refresh_run`, which holds the transaction and the refresh log; `compute` builds every result table and
    checks the totals, and the caller (engine.jobs) adds the publishing steps inside the same transaction.
    """

    def __init__(self, store: Store, result: RefreshResult, parameters: dict[str, object], progress: Progress) -> None:
        self.store = store
        self.result = result
        self.parameters = parameters
        self.progress = progress
        self.metrics = catalog.metrics()
        self.steps = len(self.metrics) + FINISHING_STEPS
        self.done = 0

    def step(self, label: str) -> None:
        """Report the next step of the refresh."""
        self.progress(label, self.done, self.steps)
        self.done += 1

    def compute(self, compute: Compute | None = None) -> None:
        """Build every result table, in dependency order, and check that every pound loaded reached the results."""
        compute = compute or InStore()
        try:
            inputs = (
                population_inputs.input_tables(self.store)
                | national_inputs.input_tables(self.store.config)
                | service_inputs.input_tables(self.store.config)
            )
            _prepare(self.store.con, self.parameters, inputs)
            compute.prepare(self.store)
            for metric in self.metrics:
                self.step(metric.name)
                start = time.perf_counter()
                rows, cost = compute.run(self.store, metric)
                self.result.tables.append(TableRefreshed(metric.name, rows, time.perf_counter() - start, cost))
            self.step("checking totals reconcile")
            self.result.cost_loaded = compute.reconcile(self.store)
        finally:
            compute.finish()


FINISHING_STEPS = 2  # checking the totals reconcile, and the caller's publishing step


@contextmanager
def refresh_run(
    store: Store, *, config_file: Path | None = None, progress: Progress = silent, keep_fingerprint: bool = False
) -> Iterator[RefreshRun]:
    """A logged refresh in one transaction: everything done inside the block is kept together or not at all.

    On any error the store keeps its last good results, the log records the failure, and StoreError is raised. On
    success the log row stays `running`: the caller ends it with `finish_refresh` once the results are published.
    With `keep_fingerprint` the log also keeps the fingerprint of the inputs (engine.metrics.fingerprint), which
    `unchanged_since_last` compares with; only a refresh computed from the store's own data may keep one.
    """
    con = store.con
    refresh_id = int(con.execute("SELECT nextval('refresh_ids')").fetchall()[0][0])
    started = datetime.now(UTC).replace(tzinfo=None)
    result = RefreshResult(refresh_id=refresh_id, started_at=started)
    parameters = _parameters(store, refresh_id, started)
    fingerprint = inputs_fingerprint(store, parameters) if keep_fingerprint else None
    store.run_file(
        "refresh/log_start.sql",
        {
            "refresh_id": refresh_id,
            "started_at": started,
            "config_file": str(config_file) if config_file else None,
            "config_sha256": _sha256(config_file),
            "settings": json.dumps(parameters),
            "loads": json.dumps(_loads_used(con)),
            "inputs_sha256": fingerprint,
        },
    )
    clock = time.perf_counter()
    run = RefreshRun(store, result, parameters, progress)
    try:
        with in_progress("refresh_log", refresh_id), store.transaction():
            yield run
    except Exception as exc:
        _finish(store, refresh_id, "failed", f"refresh failed; the last good results are unchanged: {exc}", result)
        raise StoreError(f"refresh failed and the last good results are unchanged: {exc}") from exc
    result.seconds = time.perf_counter() - clock


def finish_refresh(store: Store, result: RefreshResult, *, succeeded: bool, note: str = "") -> None:
    """Record how a refresh whose results were committed ended: published (succeeded) or not (failed, `note` says
    why); a succeeded refresh's message counts its tables and rows."""
    if succeeded:
        total = sum(t.rows for t in result.tables)
        _finish(store, result.refresh_id, "succeeded", f"{len(result.tables)} tables, {total:,} rows{note}", result)
    else:
        _finish(store, result.refresh_id, "failed", note, result)


def unchanged_since_last(store: Store) -> RefreshResult | None:
    """The last refresh, when recomputing now would give exactly its results: it is the latest attempt, it
    succeeded, and nothing it computed from has changed since (no load, replace or deletion, no setting, config
    file, reference data or engine code). None when a refresh has something new to compute."""
    rows = store.con.execute(sql_files.read("refresh/last_attempt.sql")).fetchall()
    if not rows:
        return None
    refresh_id, started_at, finished_at, status, kept, cost_loaded, tables = rows[0]
    if status != "succeeded" or kept is None:
        return None
    now = datetime.now(UTC).replace(tzinfo=None)
    if inputs_fingerprint(store, _parameters(store, refresh_id, now)) != kept:
        return None
    result = RefreshResult(
        refresh_id=int(refresh_id),
        started_at=started_at,
        seconds=(finished_at - started_at).total_seconds(),
        cost_loaded=Decimal(cost_loaded),
    )
    for name, figures in json.loads(tables or "{}").items():
        cost = figures.get("total_cost")
        result.tables.append(
            TableRefreshed(
                name, int(figures["rows"]), float(figures["seconds"]), None if cost is None else Decimal(cost)
            )
        )
    return result


def create_table_sql(metric: catalog.Metric, dialect: str = "duckdb") -> str:
    """`CREATE OR REPLACE TABLE results.<name> AS <the file's query>` (a temporary table for internal ones), built as a
    tree so it renders in any dialect."""
    query = sqlglot.parse_one(metric.query, read="duckdb")
    temporary = None if metric.published else exp.Properties(expressions=[exp.TemporaryProperty()])
    create = exp.Create(
        this=exp.to_table(metric.table),
        kind="TABLE",
        replace=True,
        expression=query,
        properties=temporary,
    )
    return create.sql(dialect=dialect)


def _parameters(store: Store, refresh_id: int, started: datetime) -> dict[str, object]:
    benchmarks = store.config.benchmarks
    suppression = store.config.suppression
    return {
        "refresh_id": refresh_id,
        "refreshed_at": started.isoformat(timespec="seconds"),
        "best_in_system_min_cases": benchmarks.best_in_system_min_cases,
        "headline_min_cases": benchmarks.headline_min_cases,
        "wau_unit_cost": benchmarks.wau_unit_cost,
        "funnel_z_95": FUNNEL_Z_95,
        "funnel_z_99_8": FUNNEL_Z_99_8,
        "funnel_z_significant": FUNNEL_Z_95 if benchmarks.significant_at == "95%" else FUNNEL_Z_99_8,
        "overdispersion_winsorise": benchmarks.overdispersion_winsorise,
        "population_scale": store.config.population.scale,
        "pool_common_periods": int(benchmarks.pool_periods == "common"),
        "suppression_enabled": suppression.enabled,
        "suppression_smallest_shown": suppression.smallest_shown,
        "suppression_round_to": suppression.round_to,
        "national_schedules": {
            year: str(path) if path else "bundled NCC 2023/24"
            for year, path in store.config.national_schedule_paths().items()
        },
        "market_forces_factors": str(store.config.market_forces_factors_path or ""),
    }


def _prepare(con: duckdb.DuckDBPyConnection, parameters: dict[str, object], inputs: dict[str, pa.Table]) -> None:
    keys = (
        "refresh_id",
        "refreshed_at",
        "best_in_system_min_cases",
        "headline_min_cases",
        "wau_unit_cost",
        "funnel_z_95",
        "funnel_z_99_8",
        "funnel_z_significant",
        "overdispersion_winsorise",
        "population_scale",
        "pool_common_periods",
    )
    con.register("parameters_row", pa.table({k: [parameters[k]] for k in keys}))
    pods = [(setting, pod) for setting, entries in codes.PODS.items() for pod in entries]
    con.register(
        "pod_rows",
        pa.table(
            {
                "setting": [setting for setting, _ in pods],
                "pod": [pod.code for _, pod in pods],
                "pod_name": [pod.name for _, pod in pods],
                "national_department": [codes.NATIONAL_SCHEDULE_DEPARTMENT.get(pod.code) for _, pod in pods],
                "unit_of_count": [codes.unit_of_count(pod.code).code for _, pod in pods],
                "unit_name": [codes.unit_of_count(pod.code).name for _, pod in pods],
                "unit_plural": [codes.unit_of_count(pod.code).plural for _, pod in pods],
                "units_per_record": [int(codes.unit_of_count(pod.code).per_record) for _, pod in pods],
                "service_code_field": [codes.NATIONAL_SERVICE_CODE_FIELD.get(pod.code) for _, pod in pods],
                "non_consultant_department": [
                    codes.NON_CONSULTANT_LED_DEPARTMENT if pod.code in codes.NON_CONSULTANT_LED_PODS else None
                    for _, pod in pods
                ],
                "admission_type": [codes.ADMISSION_TYPE.get(pod.code) for _, pod in pods],
            }
        ),
    )
    con.register(
        "driver_rows",
        pa.table(
            {
                "cost_driver": [d.code for d in codes.COST_DRIVERS],
                "cost_driver_name": [d.name for d in codes.COST_DRIVERS],
            }
        ),
    )
    for name, table in inputs.items():
        con.register(name, table)
    for statement in sql_files.statements(sql_files.read("store/refresh_inputs.sql")):
        con.execute(statement)
    for name in ("parameters_row", "pod_rows", "driver_rows", *inputs):
        con.unregister(name)


def _loads_used(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    last, loads, files = con.execute(sql_files.read("refresh/loads_used.sql")).fetchall()[0]
    return {"last_load_id": last, "loads": loads, "files": files}


def _finish(store: Store, refresh_id: int, status: str, message: str, result: RefreshResult) -> None:
    tables = {
        t.name: {"rows": t.rows, "seconds": round(t.seconds, 3)}
        | ({} if t.total_cost is None else {"total_cost": str(t.total_cost)})
        for t in result.tables
    }
    store.run_file(
        "refresh/log_finish.sql",
        {
            "finished_at": datetime.now(UTC).replace(tzinfo=None),
            "status": status,
            "message": message,
            "tables": json.dumps(tables),
            "cost_loaded": result.cost_loaded,
            "refresh_id": refresh_id,
        },
    )


def _sha256(path: Path | None) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path and path.exists() else None

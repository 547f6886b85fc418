"""The load log: what happened to each file, as a result for the caller and a row in the store's `loads` table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from engine.config import SourceSpec
from engine.ingest import control_totals
from engine.ingest import plan as planning
from engine.ingest.sources import Origin, Source
from engine.store import Store


@dataclass(frozen=True)
class LoadResult:
    """What happened to one file."""

    file: str
    status: str
    setting: str | None
    layout: str | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    warnings: int
    cost_loaded: Decimal
    cost_rejected: Decimal
    control_total: Decimal | None
    control_status: str
    replaced_rows: int
    periods: str
    message: str
    load_id: int | None
    providers: str = ""


@dataclass(frozen=True)
class Summary:
    """Counts and money of one staged file, read inside its load transaction."""

    rows_loaded: int
    rows_rejected: int
    warnings: int
    cost_loaded: Decimal
    cost_rejected: Decimal
    periods: str
    providers: str


def summarise(store: Store, spec: SourceSpec, load_id: int) -> Summary:
    """Rows loaded and rejected, warnings, and the cost loaded and rejected, from the staged file and its issues."""
    cost_expr = "0"
    if spec.layout == "cost_lines":
        cost_expr = "coalesce(cost, 0)"
    elif spec.layout == "wide":
        cost_expr = " + ".join(f'coalesce("cost_{d}", 0)' for d in spec.cost_columns.values())
    row = store.con.execute(
        f"""
        SELECT
            count(*) FILTER (WHERE NOT __rejected),
            count(*) FILTER (WHERE __rejected),
            (SELECT count(*) FROM load_issues WHERE load_id = $load_id AND severity = 'warning'),
            coalesce(sum({cost_expr}) FILTER (WHERE NOT __rejected), 0),
            coalesce(sum({cost_expr}) FILTER (WHERE __rejected), 0)
        FROM stage
        """,
        {"load_id": load_id},
    ).fetchall()[0]
    lines = 0
    if spec.layout == "wide":
        lines = store.count("SELECT count(*) FROM cost_lines WHERE load_id = $id", {"id": load_id})
    periods = store.con.execute(
        "SELECT string_agg(org_code || ' ' || fin_year || ' P' || period, ', ' ORDER BY org_code, fin_year, period), "
        "string_agg(DISTINCT org_code, ', ' ORDER BY org_code) FROM stage_keys"
    ).fetchall()[0]
    return Summary(
        rows_loaded=int(row[0]) + lines,
        rows_rejected=int(row[1]),
        warnings=int(row[2]),
        cost_loaded=Decimal(row[3]),
        cost_rejected=Decimal(row[4]),
        periods=periods[0] or "",
        providers=periods[1] or "",
    )


def build_result(
    name: str,
    spec: SourceSpec,
    summary: Summary,
    rows_read: int,
    replaced: int,
    control_total: Decimal | None,
    load_id: int,
    malformed: int,
) -> LoadResult:
    rejected = summary.rows_rejected + malformed
    control_status = control_totals.check(summary.cost_loaded, summary.cost_rejected, control_total)
    status = "loaded_with_rejections" if rejected else "loaded"
    what = "cost lines" if spec.layout == "cost_lines" else "rows"
    message = f"{summary.rows_loaded:,} {what} loaded, £{summary.cost_loaded:,.2f}"
    if rejected:
        message += f"; {rejected:,} rejected (see `icsbench quarantine`)"
    if replaced:
        message += f"; replaced {replaced:,} rows loaded earlier for the same periods"
    return LoadResult(
        file=name,
        status=status,
        setting=spec.setting,
        layout=spec.layout,
        rows_read=rows_read,
        rows_loaded=summary.rows_loaded,
        rows_rejected=rejected,
        warnings=summary.warnings,
        cost_loaded=summary.cost_loaded,
        cost_rejected=summary.cost_rejected,
        control_total=control_total,
        control_status=control_status,
        replaced_rows=replaced,
        periods=summary.periods,
        message=message,
        load_id=load_id,
        providers=summary.providers,
    )


def insert_load(
    store: Store,
    result: LoadResult,
    origin: Origin,
    source: Source | None,
    started: dt.datetime,
    plan: planning.Plan | None,
) -> None:
    store.con.execute(
        """
        INSERT INTO loads VALUES (
            $load_id, $file_name, $file_path, $file_bytes, $file_format, $encoding, $layout, $setting,
            $started_at, $finished_at, $status, $periods, $rows_read, $rows_loaded, $rows_rejected, $warnings,
            $cost_loaded, $cost_rejected, $control_total, $control_status, $replaced_rows, $ignored_columns, $message
        )
        """,
        {
            "load_id": result.load_id,
            "file_name": origin.name,
            "file_path": origin.location,
            "file_bytes": origin.size_bytes,
            "file_format": source.file_format if source else origin.file_format,
            "encoding": source.encoding if source else None,
            "layout": result.layout,
            "setting": result.setting,
            "started_at": started,
            "finished_at": now(),
            "status": result.status,
            "periods": result.periods,
            "rows_read": result.rows_read,
            "rows_loaded": result.rows_loaded,
            "rows_rejected": result.rows_rejected,
            "warnings": result.warnings,
            "cost_loaded": result.cost_loaded,
            "cost_rejected": result.cost_rejected,
            "control_total": result.control_total,
            "control_status": result.control_status,
            "replaced_rows": result.replaced_rows,
            "ignored_columns": ", ".join(plan.ignored_headers) if plan else None,
            "message": result.message,
        },
    )


def nothing_loaded(name: str, status: str, message: str, load_id: int, spec: SourceSpec | None = None) -> LoadResult:
    return LoadResult(
        file=name,
        status=status,
        setting=spec.setting if spec else None,
        layout=spec.layout if spec else None,
        rows_read=0,
        rows_loaded=0,
        rows_rejected=0,
        warnings=0,
        cost_loaded=Decimal(0),
        cost_rejected=Decimal(0),
        control_total=None,
        control_status="none supplied",
        replaced_rows=0,
        periods="",
        message=message,
        load_id=load_id,
    )


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)

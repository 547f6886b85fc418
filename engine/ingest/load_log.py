"""The load log: what happened to each file, as a result for the caller and a row in the store's `loads` table.

A file's row is written `running` (and committed) before the file is read, and completed in the transaction that
saves the file: a run that is stopped part way leaves `running` rows, which the next open of the store marks
`interrupted`, so the log always says which files were saved and which were not.
"""

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

    @property
    def saved(self) -> bool:
        """Whether the file's rows are in the store now (loaded, with or without rejected rows)."""
        return self.status in ("loaded", "loaded_with_rejections")


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
    notes: tuple[str, ...] = ()


# Issues worth a sentence in the file's message as well as their rows in the quarantine or warnings.
_NOTED = {
    "year_out_of_range": "{n:,} row(s) of a financial year outside the config's range were quarantined",
    "nhs_number_masked": "{n:,} value(s) that looked like NHS numbers were masked before loading",
    "formula_not_calculated": "{n:,} cell(s) held formulas with no calculated value and were read as blank",
}


@dataclass(frozen=True)
class Replaced:
    """Rows of earlier loads a file replaced (the same provider, setting and periods), and the files they came from."""

    rows: int = 0
    files: tuple[str, ...] = ()

    def __add__(self, other: Replaced) -> Replaced:
        return Replaced(self.rows + other.rows, tuple(sorted(set(self.files) | set(other.files))))


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
            coalesce(sum({cost_expr}) FILTER (WHERE NOT __rejected), 0),
            coalesce(sum({cost_expr}) FILTER (WHERE __rejected), 0)
        FROM stage
        """
    ).fetchall()[0]
    issues = store.con.execute(
        'SELECT "check", severity, count(*) FROM load_issues WHERE load_id = $load_id GROUP BY "check", severity',
        {"load_id": load_id},
    ).fetchall()
    warnings = sum(int(n) for _, severity, n in issues if severity == "warning")
    counted: dict[str, int] = {}
    for check, _, n in issues:
        counted[check] = counted.get(check, 0) + int(n)
    notes = tuple(text.format(n=counted[check]) for check, text in _NOTED.items() if counted.get(check))
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
        warnings=warnings,
        cost_loaded=Decimal(row[2]),
        cost_rejected=Decimal(row[3]),
        periods=periods[0] or "",
        providers=periods[1] or "",
        notes=notes,
    )


def build_result(
    name: str,
    spec: SourceSpec,
    summary: Summary,
    rows_read: int,
    replaced: Replaced,
    control_total: control_totals.ControlTotal,
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
    for note in summary.notes:
        message += f"; {note}"
    if replaced.rows:
        message += (
            f"; replaced {replaced.rows:,} rows loaded earlier for the same periods (from {', '.join(replaced.files)}; "
            "a period sent as several files loads whole only when they are loaded together)"
        )
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
        control_total=control_total if isinstance(control_total, Decimal) else None,
        control_status=control_status,
        replaced_rows=replaced.rows,
        periods=summary.periods,
        message=message,
        load_id=load_id,
        providers=summary.providers,
    )


def start(store: Store, origin: Origin) -> int:
    """Write a `running` row for a source about to be read (committed at once); returns its load id."""
    load_id = store.count("SELECT nextval('load_ids')")
    store.con.execute(
        "INSERT INTO loads (load_id, file_name, file_path, file_bytes, file_format, started_at, status, message) "
        "VALUES ($load_id, $file_name, $file_path, $file_bytes, $file_format, $started_at, 'running', $message)",
        {
            "load_id": load_id,
            "file_name": origin.name,
            "file_path": origin.location,
            "file_bytes": origin.size_bytes,
            "file_format": origin.file_format,
            "started_at": now(),
            "message": "loading",
        },
    )
    return load_id


def finish(
    store: Store,
    result: LoadResult,
    origin: Origin,
    source: Source | None,
    plan: planning.Plan | None,
) -> None:
    """Complete the source's row in `loads` with what happened to it (in the transaction that saved it, if any).

    Headers and the message pass through icsb_masked (engine.ingest.pseudonymise): a header or a value quoted in a
    message can be an NHS number."""
    store.con.execute(
        """
        UPDATE loads SET
            file_format = $file_format, encoding = $encoding, layout = $layout, setting = $setting,
            finished_at = $finished_at, status = $status, periods = $periods, rows_read = $rows_read,
            rows_loaded = $rows_loaded, rows_rejected = $rows_rejected, warnings = $warnings,
            cost_loaded = $cost_loaded, cost_rejected = $cost_rejected, control_total = $control_total,
            control_status = $control_status, replaced_rows = $replaced_rows,
            ignored_columns = icsb_masked($ignored_columns), message = icsb_masked($message)
        WHERE load_id = $load_id
        """,
        {
            "load_id": result.load_id,
            "file_format": source.file_format if source else origin.file_format,
            "encoding": source.encoding if source else None,
            "layout": result.layout,
            "setting": result.setting,
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

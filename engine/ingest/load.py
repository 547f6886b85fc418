"""Load extract files into the store: read, map, validate, pseudonymise, and replace their periods atomically.

One file is one transaction. Everything before the transaction works on temporary tables, so a file that fails
(or a process that dies) leaves the store exactly as it was. Rows that fail a check go to `load_issues` with their
file, row, column and reason; the good rows of the same file load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from engine import schema
from engine.config import IcsConfig, SourceSpec
from engine.errors import ExtractError, IcsBenchError
from engine.ingest import load_log
from engine.ingest import plan as planning
from engine.ingest.control_totals import read as read_control_totals
from engine.ingest.load_log import LoadResult
from engine.ingest.pseudonymise import Pseudonymiser, pseudonym_map, replace_nhs_numbers
from engine.ingest.sources import MalformedRow, Origin, Source, open_source
from engine.ingest.sql_text import quoted
from engine.progress import Progress, silent
from engine.store import Store

_LAYOUT_ORDER = {"activity": 0, "wide": 0, "cost_lines": 1}
_SETTING_ORDER = {"apc": 0, "op": 1, "ec": 2, "mh": 3, "chs": 4, "cc": 5}


def load_files(
    store: Store,
    paths: Sequence[Path],
    *,
    control_totals: dict[str, Decimal] | None = None,
    progress: Progress = silent,
) -> list[LoadResult]:
    """Load files in dependency order (activity before its cost lines, admitted care before critical care)."""
    results = []
    pseudonymiser = Pseudonymiser(store.config.pseudonym_key())
    folder_totals: dict[Path, dict[str, Decimal]] = {}
    ordered = order_for_loading(store, paths)
    for done, path in enumerate(ordered):
        progress(f"loading {path.name}", done, len(ordered))
        try:
            if path.parent not in folder_totals:
                folder_totals[path.parent] = read_control_totals(path.parent)
            given = (control_totals or {}).get(path.name, folder_totals[path.parent].get(path.name))
            result = load_file(store, path, control_total=given, pseudonymiser=pseudonymiser)
        except IcsBenchError as exc:
            result = record_failure(store, Origin.of_file(path), str(exc))
        results.append(result)
    progress(f"loaded {len(ordered)} file(s)", len(ordered), len(ordered))
    store.checkpoint()
    return results


def order_for_loading(store: Store, paths: Sequence[Path]) -> list[Path]:
    """Files sorted so that what a file depends on is loaded first; unmatched files keep their place at the end."""

    def rank(path: Path) -> tuple[int, int, str]:
        try:
            spec, _ = store.config.extract_for(path)
        except IcsBenchError:
            return (9, 9, path.name)
        return loading_rank(spec, path.name)

    return sorted(paths, key=rank)


def loading_rank(spec: SourceSpec, name: str) -> tuple[int, int, str]:
    """Where a source goes in a load: activity before its cost lines, admitted care before critical care."""
    return (_LAYOUT_ORDER[spec.layout], _SETTING_ORDER[spec.setting], name)


def load_file(
    store: Store,
    path: Path,
    *,
    control_total: Decimal | None = None,
    pseudonymiser: Pseudonymiser | None = None,
) -> LoadResult:
    """Load one file. Raises IcsBenchError when the whole file cannot be read; row problems go to quarantine."""
    config = store.config
    spec, captured = config.extract_for(path)
    mapping = config.column_mapping(spec)
    source = open_source(
        path, encoding=spec.encoding, sheet=spec.sheet, expected=planning.expected_headers(spec, mapping)
    )
    return load_source(
        store, Origin.of_file(path), source, spec, captured, control_total=control_total, pseudonymiser=pseudonymiser
    )


def load_source(
    store: Store,
    origin: Origin,
    source: Source,
    spec: SourceSpec,
    captured: Mapping[str, str],
    *,
    control_total: Decimal | None = None,
    pseudonymiser: Pseudonymiser | None = None,
) -> LoadResult:
    """Map, check and load an opened source (a file, or a table on the ICS SQL Server) into the store, replacing the
    periods it holds. Raises IcsBenchError when the whole source cannot be read; row problems go to quarantine."""
    config = store.config
    mapping = config.column_mapping(spec)
    types = _source_types(source)
    plan = planning.build(spec, mapping, source.headers, types, captured, origin.name)
    started = load_log.now()
    _register_synonyms(store)
    relation = _land(store, origin, source, plan, pseudonymiser or Pseudonymiser(config.pseudonym_key()))
    if plan.has_nhs_number:
        plan = _with_patient_id_from_nhs(plan)
    con = store.con
    con.execute("CREATE OR REPLACE TEMP TABLE file_codes (list VARCHAR, raw VARCHAR, code VARCHAR)")
    lookups = planning.file_codes_sql(plan, relation)
    if lookups:
        con.execute(lookups)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE stage AS "
        + planning.check_sql(plan, f"({planning.parse_sql(plan, relation)})", config.provider_codes)
    )
    con.execute("DROP TABLE IF EXISTS stage_raw")
    if source.file_format == "parquet" and plan.has_nhs_number:
        con.unregister("nhs_map")
    rows_read = store.count("SELECT count(*) FROM stage") + len(source.malformed)
    if rows_read == 0:
        return _record_empty(store, origin, spec, source, started)
    _record_checks(store, spec, plan)
    return _commit(store, origin, spec, plan, source, started, rows_read, control_total)


def _land(store: Store, origin: Origin, source: Source, plan: planning.Plan, pseudonymiser: Pseudonymiser) -> str:
    """Where the parse reads from.

    DuckDB reads Parquet itself, in parallel; NHS numbers in it are swapped for pseudonyms through a map of the
    distinct numbers that lives in Python memory, so a raw number is never written to any table. CSV and XLSX stream
    through Python (where NHS numbers are replaced before DuckDB sees them) into a temp table.
    """
    _check_pseudonym_key(origin, plan, store.config)
    if source.file_format == "parquet" and source.path is not None:
        literal = str(source.path.resolve()).replace("'", "''")
        parquet = f"read_parquet('{literal}', file_row_number = true)"
        if not plan.has_nhs_number:
            return f"(SELECT file_row_number + 1 AS __row, * EXCLUDE (file_row_number) FROM {parquet})"
        nhs = quoted(_nhs_header(plan))
        distinct = store.con.sql(f"SELECT DISTINCT CAST({nhs} AS VARCHAR) AS raw FROM {parquet}").to_arrow_table()
        store.con.register("nhs_map", pseudonym_map(distinct.column("raw"), pseudonymiser))
        return (
            f"(SELECT r.file_row_number + 1 AS __row, r.* EXCLUDE (file_row_number, {nhs}), "
            f"m.{quoted(planning.PATIENT_ID_SOURCE)}, m.{quoted(planning.NHS_STATUS_SOURCE)} "
            f"FROM {parquet} AS r LEFT JOIN nhs_map AS m ON m.raw = CAST(r.{nhs} AS VARCHAR))"
        )
    batches = source.batches()
    stream_schema = _stream_schema(source, plan)
    if plan.has_nhs_number:
        batches = replace_nhs_numbers(batches, _nhs_header(plan), pseudonymiser)
    store.con.register("source_stream", pa.RecordBatchReader.from_batches(stream_schema, batches))
    try:
        store.con.execute("CREATE OR REPLACE TEMP TABLE stage_raw AS SELECT * FROM source_stream")
    finally:
        store.con.unregister("source_stream")
    return "stage_raw"


def _check_pseudonym_key(origin: Origin, plan: planning.Plan, config: IcsConfig) -> None:
    if plan.has_nhs_number and config.pseudonym_key() is None and not config.pseudonymisation.allow_missing_key:
        raise ExtractError(
            origin.name,
            f"has NHS numbers but no pseudonymisation key is set. Set the environment variable "
            f"{config.pseudonymisation.key_env} to the ICS's shared key (the same for every provider) "
            "and load again.",
        )


def _source_types(source: Source) -> dict[str, pa.DataType]:
    return {header: source.type_of(header) for header in source.headers}


def _nhs_header(plan: planning.Plan) -> str:
    nhs = plan.source("nhs_number")
    assert nhs is not None and nhs.header is not None
    return nhs.header


def _with_patient_id_from_nhs(plan: planning.Plan) -> planning.Plan:
    sources = tuple(
        planning.ColumnSource(s.column, constant=planning.PATIENT_ID_SOURCE) if s.column.name == "patient_id" else s
        for s in plan.sources
        if s.column.name != "nhs_number"
    )
    return planning.Plan(plan.setting, plan.layout, sources, plan.cost_columns, plan.ignored_headers, True)


def _stream_schema(source: Source, plan: planning.Plan) -> pa.Schema:
    types = _source_types(source)
    fields = [pa.field("__row", pa.int64())]
    nhs_header = next((s.header for s in plan.sources if s.column.name == "nhs_number"), None)
    for header in source.headers:
        if header != nhs_header:
            fields.append(pa.field(header, types.get(header, pa.string())))
    if plan.has_nhs_number:
        fields += [
            pa.field(planning.PATIENT_ID_SOURCE, pa.string()),
            pa.field(planning.NHS_STATUS_SOURCE, pa.string()),
        ]
    return pa.schema(fields)


def _register_synonyms(store: Store) -> None:
    """The code_synonyms lookup (every accepted spelling of every code), made once per connection."""
    exists = store.count(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_name = 'code_synonyms' AND table_type = 'LOCAL TEMPORARY'"
    )
    if exists:
        return
    rows = planning.synonym_rows()
    table = pa.table({"list": [r[0] for r in rows], "spelling": [r[1] for r in rows], "code": [r[2] for r in rows]})
    store.con.register("synonym_rows", table)
    store.con.execute("CREATE TEMP TABLE code_synonyms AS SELECT * FROM synonym_rows")
    store.con.unregister("synonym_rows")


def _record_checks(store: Store, spec: SourceSpec, plan: planning.Plan) -> None:
    params = {"setting": spec.setting}
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE stage_extra (__row BIGINT, issue {planning.ISSUE_TYPE})")
    if spec.layout == "cost_lines":
        if any(
            plan.source(c) is None or plan.source(c) == planning.ColumnSource(schema.column(c))
            for c in ("fin_year", "period")
        ):
            store.run_file("ingest/fill_cost_line_keys.sql", params)
        store.run_file("ingest/check_cost_line_records.sql", params)
        store.run_file("ingest/stage_keys.sql")
        return
    store.run_file("ingest/stage_keys.sql")
    store.run_file("ingest/check_activity_records.sql", params)
    if plan.source("tfc") is not None:
        store.run_file("ingest/check_tfc_known.sql")
    if spec.setting == "apc":
        store.run_file("ingest/check_apc_dates.sql")
    if spec.setting == "cc":
        store.run_file("ingest/check_cc_links.sql")


def _commit(
    store: Store,
    origin: Origin,
    spec: SourceSpec,
    plan: planning.Plan,
    source: Source,
    started: dt.datetime,
    rows_read: int,
    control_total: Decimal | None,
) -> LoadResult:
    con = store.con
    load_id = store.count("SELECT nextval('load_ids')")
    writes_activity = spec.layout in ("activity", "wide")
    writes_costs = spec.layout in ("cost_lines", "wide")
    params = {"setting": spec.setting, "load_id": load_id}
    with store.transaction():
        store.run_file(
            "ingest/forget_replaced_issues.sql",
            {"setting": spec.setting, "layout": spec.layout, "file_name": origin.name},
        )
        _insert_issues(store, load_id, origin.name, source.malformed)
        replaced = 0
        if writes_activity:
            replaced += _delete_keys(store, "activity", spec.setting)
            con.execute(_insert_activity_sql(plan), params)
        if writes_costs:
            replaced += _delete_keys(store, "cost_lines", spec.setting)
            con.execute(_insert_cost_lines_sql(plan), params)
        summary = load_log.summarise(store, spec, load_id)
        result = load_log.build_result(
            origin.name, spec, summary, rows_read, replaced, control_total, load_id, len(source.malformed)
        )
        load_log.insert_load(store, result, origin, source, started, plan)
    _drop_stage(store)
    return result


def _delete_keys(store: Store, table: str, setting: str) -> int:
    """Delete the rows of the periods the staged file covers; returns how many there were.

    The keys are written into the statement as constants (there are a handful) so DuckDB can skip whole row groups
    by their min/max values instead of joining every stored row to the keys.
    """
    keys = store.con.execute("SELECT org_code, fin_year, list(period ORDER BY period) FROM stage_keys GROUP BY ALL")
    groups = [
        f"(org_code = {_sql_text(org)} AND fin_year = {_sql_text(year)} "
        f"AND period IN ({', '.join(str(int(p)) for p in periods)}))"
        for org, year, periods in keys.fetchall()
    ]
    if not groups:
        return 0
    deleted = store.con.execute(
        f"DELETE FROM {table} WHERE setting = {_sql_text(setting)} AND ({' OR '.join(groups)})"
    ).fetchall()
    return int(deleted[0][0]) if deleted else 0


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _insert_activity_sql(plan: planning.Plan) -> str:
    stored = {c.name for c in schema.stored_activity_columns()} - {"episode_count"}
    columns = [c for c in plan.columns if c in stored]
    quoted = ", ".join(f'"{c}"' for c in columns)
    return (
        f"INSERT INTO activity (setting, {quoted}, load_id) "
        f"SELECT $setting, {quoted}, $load_id FROM stage WHERE NOT __rejected"
    )


def _insert_cost_lines_sql(plan: planning.Plan) -> str:
    if plan.layout == "cost_lines":
        columns = [c.name for c in schema.COST_LINE_COLUMNS]
        quoted = ", ".join(f'"{c}"' for c in columns if c in plan.columns or c in ("fin_year", "period"))
        return (
            f"INSERT INTO cost_lines (setting, {quoted}, load_id) SELECT $setting, {quoted}, $load_id FROM stage "
            "WHERE NOT __rejected"
        )
    selects = [
        f"SELECT org_code, fin_year, period, record_id, '{driver}' AS cost_driver, \"cost_{driver}\" AS cost "
        f'FROM stage WHERE NOT __rejected AND "cost_{driver}" IS NOT NULL AND "cost_{driver}" <> 0'
        for _header, driver, _type in plan.cost_columns
    ]
    return (
        "INSERT INTO cost_lines (setting, org_code, fin_year, period, record_id, cost_driver, cost_resource, cost, "
        "load_id) SELECT $setting, org_code, fin_year, period, record_id, cost_driver, 'all', cost, $load_id FROM ("
        + " UNION ALL ".join(selects)
        + ")"
    )


def _insert_issues(store: Store, load_id: int, file_name: str, malformed: list[MalformedRow]) -> None:
    params = {"load_id": load_id, "file_name": file_name}
    store.run_file("ingest/record_issues.sql", params)
    if malformed:
        table = pa.table(
            {
                "row": [m.row for m in malformed],
                "reason": [
                    f"line has {m.actual} fields but the header has {m.expected}: truncated or misquoted "
                    "(a value containing a comma must be in double quotes); the row was not loaded"
                    for m in malformed
                ],
            }
        )
        store.con.register("malformed_rows", table)
        store.con.execute(
            "INSERT INTO load_issues SELECT $load_id, $file_name, \"row\", NULL, NULL, NULL, 'malformed_line', NULL, "
            "'rejected', reason, NULL "
            "FROM malformed_rows",
            params,
        )
        store.con.unregister("malformed_rows")


def _record_empty(store: Store, origin: Origin, spec: SourceSpec, source: Source, started: dt.datetime) -> LoadResult:
    message = "has a header but no data rows: nothing was loaded and the store is unchanged"
    result = load_log.nothing_loaded(origin.name, "empty", message, store.count("SELECT nextval('load_ids')"), spec)
    with store.transaction():
        load_log.insert_load(store, result, origin, source, started, None)
    _drop_stage(store)
    return result


def record_failure(store: Store, origin: Origin, message: str) -> LoadResult:
    """Record a source that could not be loaded at all, so the load log shows it; the store's data is untouched."""
    result = load_log.nothing_loaded(origin.name, "failed", message, store.count("SELECT nextval('load_ids')"))
    _drop_stage(store)
    with store.transaction():
        load_log.insert_load(store, result, origin, None, load_log.now(), None)
    return result


_STAGE_TABLES = ("stage", "stage_raw", "stage_extra", "stage_keys", "stage_previous", "file_codes")


def _drop_stage(store: Store) -> None:
    """Remove the temp tables one file's load works in."""
    for table in _STAGE_TABLES:
        store.con.execute(f"DROP TABLE IF EXISTS {table}")

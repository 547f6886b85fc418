"""Load one source into the store: read, map, validate, pseudonymise, and replace its periods atomically.

One file is one transaction. Everything before the transaction works on temporary tables, so a file that fails
(or a process that dies) leaves the store exactly as it was. Rows that fail a check go to `load_issues` with their
file, row, column and reason; the good rows of the same file load. A run of many files (engine.ingest.files) calls
this once per file, within one `LoadRun` (engine.ingest.run).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pyarrow as pa

from engine import schema
from engine.config import IcsConfig, SourceSpec
from engine.errors import ExtractError
from engine.ingest import load_log, number_format
from engine.ingest import plan as planning
from engine.ingest.control_totals import ControlTotal
from engine.ingest.load_log import LoadResult, Replaced
from engine.ingest.pseudonymise import Pseudonymiser, pseudonym_map, replace_nhs_numbers
from engine.ingest.sources import Origin, Source
from engine.ingest.sql_text import literal, quoted
from engine.store import Store, record_costs


def start_load(store: Store, origin: Origin) -> int:
    """The load id of a source about to be read, its `running` row in the load log committed."""
    return load_log.start(store, origin)


def load_source(
    store: Store,
    origin: Origin,
    source: Source,
    spec: SourceSpec,
    captured: Mapping[str, str],
    *,
    load_id: int,
    control_total: ControlTotal,
    pseudonymiser: Pseudonymiser,
) -> LoadResult:
    """Map, check and load an opened source (a file, or a table on the ICS SQL Server) into the store, replacing the
    periods it holds. Raises IcsBenchError when the whole source cannot be read; row problems go to quarantine.

    Runs inside a LoadRun (engine.ingest.run), which made `load_id` and the temp tables the run keeps."""
    config = store.config
    mapping = config.column_mapping(spec)
    types = _source_types(source)
    plan = planning.build(spec, mapping, source.headers, types, captured, origin.name)
    _register_synonyms(store)
    relation = _land(store, origin, source, plan, pseudonymiser)
    con = store.con
    try:
        number_format.check(store, plan, relation, origin.name, declared=spec.number_format is not None)
        if plan.has_nhs_number:
            plan = planning.with_patient_id_from_nhs(plan)
        con.execute("CREATE OR REPLACE TEMP TABLE file_codes (list VARCHAR, raw VARCHAR, code VARCHAR)")
        lookups = planning.file_codes_sql(plan, relation)
        if lookups:
            con.execute(lookups)
        checks = planning.check_sql(
            plan, f"({planning.parse_sql(plan, relation)})", config.provider_codes, config.ics.year_range()
        )
        con.execute("CREATE OR REPLACE TEMP TABLE stage AS " + checks)
    finally:
        con.execute("DROP TABLE IF EXISTS stage_raw")
        if source.file_format == "parquet" and plan.has_nhs_number:
            con.unregister("nhs_map")
    rows_read = store.count("SELECT count(*) FROM stage") + len(source.malformed)
    if rows_read == 0:
        return _record_empty(store, origin, spec, source, load_id)
    _record_checks(store, spec, plan)
    return _commit(store, origin, spec, plan, source, rows_read, control_total, load_id)


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
    _stage_raw(store, stream_schema, batches)
    read = store.count("SELECT count(*) FROM stage_raw") + len(source.malformed)
    if source.data_lines is not None and read != source.data_lines:
        source.needs_careful_reading = True  # fewer rows than lines: a quote ran lines into one value
    if source.needs_careful_reading and source.careful_batches is not None:
        batches = source.careful_batches()
        if plan.has_nhs_number:
            batches = replace_nhs_numbers(batches, _nhs_header(plan), pseudonymiser)
        _stage_raw(store, stream_schema, batches)
    return "stage_raw"


def _stage_raw(store: Store, stream_schema: pa.Schema, batches: Iterator[pa.RecordBatch]) -> None:
    store.con.register("source_stream", pa.RecordBatchReader.from_batches(stream_schema, batches))
    try:
        store.con.execute("CREATE OR REPLACE TEMP TABLE stage_raw AS SELECT * FROM source_stream")
    finally:
        store.con.unregister("source_stream")


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
    rows_read: int,
    control_total: ControlTotal,
    load_id: int,
) -> LoadResult:
    con = store.con
    writes = [t for t, layouts in _WRITTEN_BY.items() if spec.layout in layouts]
    params = {"setting": spec.setting, "load_id": load_id}
    with store.transaction():
        store.run_file(
            "ingest/forget_replaced_issues.sql",
            {"setting": spec.setting, "layout": spec.layout, "file_name": origin.name},
        )
        _insert_issues(store, load_id, origin.name, source, plan)
        replaced = Replaced()
        if "cost_lines" in writes:
            record_costs.ensure(store)  # a store made before the kept sums, or with another definition of them
        for table in writes:
            replaced += _delete_keys(store, table, spec.setting)
            con.execute(_insert_activity_sql(plan) if table == "activity" else _insert_cost_lines_sql(plan), params)
            if table == "cost_lines":
                record_costs.add_load(store, load_id)
            store.run_file("ingest/remember_run_keys.sql", {"table_name": table, "setting": spec.setting})
        con.execute("INSERT INTO run_loads VALUES ($load_id)", {"load_id": load_id})
        summary = load_log.summarise(store, spec, load_id)
        result = load_log.build_result(
            origin.name, spec, summary, rows_read, replaced, control_total, load_id, len(source.malformed)
        )
        load_log.finish(store, result, origin, source, plan)
    _drop_stage(store)
    return result


_WRITTEN_BY = {"activity": ("activity", "wide"), "cost_lines": ("cost_lines", "wide")}


def _delete_keys(store: Store, table: str, setting: str) -> Replaced:
    """Delete the rows of the periods the staged file covers; returns how many there were and their files.

    Periods an earlier file of this run loaded are kept: the files of one period load together. The keys are written
    into the statement as constants (there are a handful) so DuckDB can skip whole row groups by their min/max values
    instead of joining every stored row to the keys. Deleting cost lines deletes their kept sums (record_costs) with
    the same predicate.
    """
    keys = store.con.execute(
        "SELECT org_code, fin_year, list(period ORDER BY period) FROM stage_keys AS k WHERE NOT EXISTS ("
        "SELECT 1 FROM run_keys AS r WHERE r.table_name = $table AND r.setting = $setting AND r.org_code = k.org_code "
        "AND r.fin_year = k.fin_year AND r.period = k.period) GROUP BY ALL",
        {"table": table, "setting": setting},
    )
    groups = [
        f"(org_code = {literal(org)} AND fin_year = {literal(year)} "
        f"AND period IN ({', '.join(str(int(p)) for p in periods)}))"
        for org, year, periods in keys.fetchall()
    ]
    if not groups:
        return Replaced()
    where = f"setting = {literal(setting)} AND ({' OR '.join(groups)})"
    [(files,)] = store.con.execute(
        f"SELECT list(DISTINCT l.file_name ORDER BY l.file_name) FROM (SELECT DISTINCT load_id FROM {table} "
        f"WHERE {where}) AS d JOIN loads AS l USING (load_id)"
    ).fetchall()
    deleted = store.con.execute(f"DELETE FROM {table} WHERE {where}").fetchall()
    if table == "cost_lines":
        record_costs.delete(store, where)
    return Replaced(int(deleted[0][0]) if deleted else 0, tuple(files or ()))


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


def _insert_issues(store: Store, load_id: int, file_name: str, source: Source, plan: planning.Plan) -> None:
    params = {"load_id": load_id, "file_name": file_name}
    store.run_file("ingest/record_issues.sql", params)
    rows: list[int | None] = []
    columns: list[str | None] = []
    checks: list[str] = []
    severities: list[str] = []
    reasons: list[str] = []
    for m in source.malformed:
        rows.append(m.row)
        columns.append(None)
        checks.append("malformed_line")
        severities.append("rejected")
        if m.unmatched_quote:
            reasons.append(
                'the line has a double quote (") that opens a value and does not close it on the same line; the row '
                "was not loaded. Remove the stray quote (or the line break inside the quoted value) and send the row "
                "again"
            )
        else:
            reasons.append(
                f"line has {m.actual} fields but the header has {m.expected}: truncated or misquoted "
                "(a value containing a comma must be in double quotes); the row was not loaded"
            )
    read_as = {s.header: s.column.name for s in plan.sources if s.header} | {
        header: f"cost_{driver}" for header, driver, _ in plan.cost_columns
    }
    for cell in source.uncalculated:
        if cell.header not in read_as:
            continue  # a column the mapping does not read: its formulas change nothing
        rows.append(cell.row)
        columns.append(read_as[cell.header])
        checks.append("formula_not_calculated")
        severities.append("warning")
        formula = f" (={cell.formula})" if cell.formula else ""
        reasons.append(
            f"cell {cell.cell} holds a formula{formula} with no calculated value: the program that saved the file "
            "does not work formulas out, so it was read as blank (not as the 0 stored in its place). Open the file "
            "in Excel and save it, or paste the values, and load it again"
        )
    if not rows:
        return
    table = pa.table(
        {"row": rows, "column": columns, "check": checks, "severity": severities, "reason": reasons},
        schema=pa.schema(
            [
                ("row", pa.int64()),
                ("column", pa.string()),
                ("check", pa.string()),
                ("severity", pa.string()),
                ("reason", pa.string()),
            ]
        ),
    )
    store.con.register("file_issues", table)
    try:
        store.con.execute(
            'INSERT INTO load_issues SELECT $load_id, $file_name, f."row", s.org_code, s.fin_year, s.period, '
            'f."check", f."column", f.severity, icsb_masked(f.reason), NULL '
            'FROM file_issues AS f LEFT JOIN stage AS s ON s.__row = f."row"',
            params,
        )
    finally:
        store.con.unregister("file_issues")


def _record_empty(store: Store, origin: Origin, spec: SourceSpec, source: Source, load_id: int) -> LoadResult:
    message = "has a header but no data rows: nothing was loaded and the store is unchanged"
    result = load_log.nothing_loaded(origin.name, "empty", message, load_id, spec)
    with store.transaction():
        load_log.finish(store, result, origin, source, None)
    _drop_stage(store)
    return result


def record_failure(store: Store, origin: Origin, message: str, load_id: int) -> LoadResult:
    """Record a source that could not be loaded at all, so the load log shows it; the store's data is untouched."""
    return _record_nothing_loaded(store, origin, "failed", message, load_id)


def record_skipped(store: Store, origin: Origin, message: str, load_id: int) -> LoadResult:
    """Record a source the run did not load because it had already loaded the same contents."""
    return _record_nothing_loaded(store, origin, "skipped", message, load_id)


def _record_nothing_loaded(store: Store, origin: Origin, status: str, message: str, load_id: int) -> LoadResult:
    result = load_log.nothing_loaded(origin.name, status, message, load_id)
    _drop_stage(store)
    with store.transaction():
        load_log.finish(store, result, origin, None, None)
    return result


_STAGE_TABLES = ("stage", "stage_raw", "stage_extra", "stage_keys", "stage_previous", "file_codes", "stage_dates")


def _drop_stage(store: Store) -> None:
    """Remove the temp tables one file's load works in."""
    for table in _STAGE_TABLES:
        store.con.execute(f"DROP TABLE IF EXISTS {table}")

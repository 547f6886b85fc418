"""Turn the canonical schema, the config's column mapping and a file's headers into the SQL that reads the file.

The parsing rules themselves are SQL macros (sql/ingest/parse_macros.sql); this module only decides, per canonical
column, where its value comes from (a header, a file-name placeholder or the extract's fixed value), which macro reads
it and which checks apply. The result is two SELECT statements: `parse` (raw text and typed value per column) and
`check` (final value and the list of issues per row).

Text is masked as it is read (`icsb_masked`: any NHS number in it becomes `[NHS#...]`), so neither a stored value nor
the value or reason of an issue can hold one; a typed Parquet value is cast with TRY_CAST, so one value out of range
(NaN, infinity, 1e308) sends its row to quarantine instead of failing the file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa

from engine import codes, schema
from engine.config import SourceSpec
from engine.errors import ExtractError
from engine.ingest import headers as header_checks
from engine.ingest.sql_text import literal, quoted
from engine.nhs_number import MASK_PREFIX

PATIENT_ID_SOURCE = "__patient_id"
NHS_STATUS_SOURCE = "__nhs_status"
ISSUE_TYPE = 'STRUCT("check" VARCHAR, "column" VARCHAR, severity VARCHAR, reason VARCHAR, value VARCHAR)'

_TYPE_WORDS = {
    "text": "text",
    "code": "a code",
    "integer": "a whole number",
    "number": "a number",
    "money": "an amount in pounds",
    "date": "a date (dd/mm/yyyy or yyyy-mm-dd)",
    "flag": "Y or N",
}
_KEY_COLUMNS_FROM_ACTIVITY = ("fin_year", "period")


@dataclass(frozen=True)
class ColumnSource:
    """Where one canonical column's value comes from."""

    column: schema.Column
    header: str | None = None
    constant: str | None = None
    arrow_type: pa.DataType | None = None


@dataclass(frozen=True)
class Plan:
    """What to read from a file and how."""

    setting: str
    layout: str
    sources: tuple[ColumnSource, ...]
    cost_columns: tuple[tuple[str, str, pa.DataType], ...]
    ignored_headers: tuple[str, ...]
    has_nhs_number: bool
    decimal_comma: bool = False  # the extract's number_format is "1.234,56"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(s.column.name for s in self.sources)

    def source(self, name: str) -> ColumnSource | None:
        return next((s for s in self.sources if s.column.name == name), None)

    def provides(self, name: str) -> bool:
        """Whether the file (a header) or its extract spec (a fixed value) supplies the column."""
        source = self.source(name)
        return source is not None and (source.header is not None or source.constant is not None)


def wanted_columns(setting: str, layout: str) -> tuple[schema.Column, ...]:
    """Canonical columns a file of this setting and layout may carry."""
    if layout == "cost_lines":
        return schema.COST_LINE_COLUMNS
    return schema.activity_columns_for(setting)


def expected_headers(spec: SourceSpec, mapping: Mapping[str, str]) -> list[str]:
    """The header names a file for `spec` should have (to find the header row of a spreadsheet)."""
    names = [mapping.get(c.name, c.name) for c in wanted_columns(spec.setting, spec.layout)]
    return names + list(spec.cost_columns)


def build(
    spec: SourceSpec,
    mapping: Mapping[str, str],
    headers: list[str],
    types: Mapping[str, pa.DataType],
    captured: Mapping[str, str],
    file_name: str,
) -> Plan:
    """Match headers to canonical columns; a missing required column is an error that says how to map it."""
    header_checks.check(headers, wanted_columns(spec.setting, spec.layout), mapping, file_name, spec.mapping)
    by_folded = {header_checks.fold(h): h for h in headers}
    used: set[str] = set()
    sources: list[ColumnSource] = []
    missing: list[str] = []
    constants = _constants(spec, captured)
    for col in wanted_columns(spec.setting, spec.layout):
        local = mapping.get(col.name, col.name)
        header = by_folded.get(header_checks.fold(local))
        if header is not None:
            used.add(header)
            sources.append(ColumnSource(col, header=header, arrow_type=types.get(header)))
        elif col.name in constants:
            sources.append(ColumnSource(col, constant=constants[col.name]))
        elif _is_required_header(col, spec):
            missing.append(col.name if local == col.name else f"{col.name} (mapped to {local!r})")
        else:
            sources.append(ColumnSource(col))
    cost_columns = []
    for header, driver in spec.cost_columns.items():
        found = by_folded.get(header_checks.fold(header))
        if found is None:
            missing.append(f"cost column {header!r} ({driver})")
        else:
            used.add(found)
            cost_columns.append((found, driver, types.get(found, pa.string())))
    if missing:
        raise ExtractError(
            file_name,
            f"missing required column(s): {', '.join(missing)}. Headers found: {', '.join(headers) or 'none'}. "
            'Rename the headers, or map them in the config ([mappings.<name>] canonical_name = "Your header").',
        )
    has_nhs = any(s.column.name == "nhs_number" and s.header for s in sources)
    ignored = tuple(h for h in headers if h not in used)
    comma = spec.number_format == "1.234,56"
    return Plan(spec.setting, spec.layout, tuple(sources), tuple(cost_columns), ignored, has_nhs, comma)


def with_patient_id_from_nhs(plan: Plan) -> Plan:
    """The plan once NHS numbers are replaced: patient_id comes from the pseudonym column, nhs_number is gone."""
    sources = tuple(
        ColumnSource(s.column, constant=PATIENT_ID_SOURCE) if s.column.name == "patient_id" else s
        for s in plan.sources
        if s.column.name != "nhs_number"
    )
    return dataclasses.replace(plan, sources=sources)


def _filled_from_activity(col: schema.Column, layout: str) -> bool:
    """Cost lines may leave year and period out: they are taken from the activity record the line belongs to."""
    return layout == "cost_lines" and col.name in _KEY_COLUMNS_FROM_ACTIVITY


def _is_required_header(col: schema.Column, spec: SourceSpec) -> bool:
    if _filled_from_activity(col, spec.layout):
        return False
    if col.name == "pod" and len(codes.PODS[spec.setting]) == 1:
        return False
    return col.required_for(spec.setting)


def _constants(spec: SourceSpec, captured: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    if spec.provider or "org" in captured:
        out["org_code"] = spec.provider or captured["org"].upper()
    if spec.fin_year or "year" in captured:
        out["fin_year"] = spec.fin_year or captured["year"]
    if spec.period is not None or "period" in captured:
        out["period"] = str(spec.period if spec.period is not None else int(captured["period"]))
    pods = codes.PODS[spec.setting]
    if len(pods) == 1:
        out["pod"] = pods[0].code
    return out


def _synonym_list(col: schema.Column, setting: str) -> str | None:
    if col.name == "pod":
        return f"pod:{setting}"
    return col.name if col.allowed is not None else None


def synonym_rows() -> list[tuple[str, str, str]]:
    """(list, spelling, code) rows for the code_synonyms lookup table: every coded column, PODs per setting."""
    rows: list[tuple[str, str, str]] = []
    for col in (*schema.ACTIVITY_COLUMNS, *schema.COST_LINE_COLUMNS):
        if col.allowed is not None:
            rows += [(col.name, spelling, code) for spelling, code in codes.synonym_map(col.allowed).items()]
    for setting, pods in codes.PODS.items():
        rows += [(f"pod:{setting}", spelling, code) for spelling, code in codes.synonym_map(pods).items()]
    return sorted(set(rows))


def _raw_expr(source: ColumnSource) -> str:
    if source.header is not None:
        return quoted(source.header)
    if source.column.name == "patient_id" and source.constant == PATIENT_ID_SOURCE:
        return quoted(PATIENT_ID_SOURCE)
    return literal(source.constant)


def _parse_expr(col: schema.Column, raw: str, arrow_type: pa.DataType | None, comma: bool) -> str:
    """The typed value of one column: `raw` is the masked text for a text source, the value itself for a typed one."""
    numeric = arrow_type is not None and (pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type))
    decimal_comma = ", comma := true" if comma and not is_typed(arrow_type) else ""
    if col.name == "fin_year":
        return f"icsb_fin_year({raw})"
    if col.name == "patient_id":
        return f"lower(icsb_text({raw}))"
    if col.type == "money":
        if numeric or _is_decimal(arrow_type):
            return f"TRY_CAST({raw} AS DECIMAL(18, 4))"
        return f"icsb_money({raw}{decimal_comma})"
    if col.type == "integer":
        return f"icsb_whole({raw})" if numeric else f"icsb_integer({raw}{decimal_comma})"
    if col.type == "number":
        return f"TRY_CAST({raw} AS DOUBLE)" if numeric else f"icsb_number({raw}{decimal_comma})"
    if col.type == "date":
        temporal = arrow_type is not None and (pa.types.is_date(arrow_type) or pa.types.is_timestamp(arrow_type))
        return f"TRY_CAST({raw} AS DATE)" if temporal else f"icsb_date({raw})"
    if col.type == "flag":
        return raw if arrow_type is not None and pa.types.is_boolean(arrow_type) else f"icsb_flag({raw})"
    if col.type == "code":
        return f"icsb_code({raw})"
    return f"icsb_text({raw})"


def is_typed(arrow_type: pa.DataType | None) -> bool:
    """A Parquet column that is a number, date or flag already: its blanks are NULLs, not empty text."""
    if arrow_type is None:
        return False
    return not (
        pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or pa.types.is_dictionary(arrow_type)
    )


def _reads_typed(source: ColumnSource) -> bool:
    """Whether a column is read as the typed value the source holds: numbers, dates and flags from Parquet (or a
    server table) are; text and codes are always read as text, whatever type the source gave them."""
    return is_typed(source.arrow_type) and source.column.type not in ("text", "code")


def _is_decimal(arrow_type: pa.DataType | None) -> bool:
    return arrow_type is not None and pa.types.is_decimal(arrow_type)


def parse_sql(plan: Plan, relation: str) -> str:
    """SELECT giving, per column, `<name>__raw` (text as read, NHS numbers masked) and `<name>` (typed or looked-up
    value)."""
    select = ["src.__row AS __row"]
    joins: list[str] = []
    for source in plan.sources:
        col = source.column
        raw = _raw_expr(source)
        raw_in_src = raw if not (source.header or raw == quoted(PATIENT_ID_SOURCE)) else f"src.{raw}"
        typed = _reads_typed(source)
        synonyms = _synonym_list(col, plan.setting)
        as_read = raw_in_src if typed else f"icsb_text({raw_in_src})"
        if not typed and _masked_on_every_row(col, synonyms):
            as_read = f"icsb_masked({as_read})"
        select.append(f"{as_read} AS {quoted(col.name + '__raw')}")
        if synonyms is not None:
            alias = quoted("syn_" + col.name)
            joins.append(
                f"LEFT JOIN file_codes AS {alias} ON {alias}.list = {literal(synonyms)} "
                f"AND {alias}.raw = CAST({raw_in_src} AS VARCHAR)"
            )
            select.append(f"{alias}.code AS {quoted(col.name)}")
        else:
            # A pseudonym is read as sent (a 64-character hash can hold ten digits that pass the check by chance).
            value = raw_in_src if typed or col.name == "patient_id" else as_read
            select.append(f"{_parse_expr(col, value, source.arrow_type, plan.decimal_comma)} AS {quoted(col.name)}")
    if plan.has_nhs_number:
        select.append(f"src.{quoted(NHS_STATUS_SOURCE)} AS __nhs_status")
    for header, driver, arrow_type in plan.cost_columns:
        raw = f"src.{quoted(header)}"
        typed = is_typed(arrow_type)
        as_read = raw if typed else f"icsb_masked(icsb_text({raw}))"
        money = _parse_expr(schema.column("cost"), as_read, arrow_type, plan.decimal_comma)
        select.append(f"{as_read} AS {quoted('cost_' + driver + '__raw')}")
        select.append(f"{money} AS {quoted('cost_' + driver)}")
    return f"SELECT {', '.join(select)} FROM {relation} AS src {' '.join(joins)}"


def _masked_on_every_row(col: schema.Column, synonyms: str | None) -> bool:
    """Whether a column's text is masked for NHS numbers as it is read: the columns stored as the text sent (ids,
    locations, service codes) and the numbers (a number with ten digits after its decimal point is a number too).

    Other columns only keep values that fit a code list or pattern no NHS number fits, and what they hold when it does
    not fit is masked where it is written as an issue (sql/ingest/record_issues.sql), which spares a pattern test on
    every row of the millions a file holds."""
    if col.name in ("patient_id", "fin_year") or synonyms is not None:
        return False
    if col.type in ("text", "money", "number", "integer"):
        return True
    return col.type == "code" and col.pattern is None and not col.setting_patterns


def file_codes_sql(plan: Plan, relation: str) -> str | None:
    """INSERT the code each distinct raw value of each coded column stands for into the temp table `file_codes`.

    Code columns hold a handful of distinct values in millions of rows, so each spelling is looked up once, not once
    per row; the parse then joins on the raw value itself.
    """
    selects = []
    for source in plan.sources:
        synonyms = _synonym_list(source.column, plan.setting)
        if synonyms is None:
            continue
        raw = _raw_expr(source)
        raw_in_src = raw if not source.header else f"src.{raw}"
        selects.append(
            f"SELECT {literal(synonyms)} AS list, d.raw, syn.code "
            f"FROM (SELECT DISTINCT CAST({raw_in_src} AS VARCHAR) AS raw FROM {relation} AS src) AS d "
            f"LEFT JOIN code_synonyms AS syn "
            f"ON syn.list = {literal(synonyms)} AND syn.spelling = icsb_spelling(d.raw)"
        )
    return f"INSERT INTO file_codes {' UNION ALL '.join(selects)}" if selects else None


def _issue(check: str, column: str, severity: str, reason_sql: str, value_sql: str) -> str:
    """A SQL struct literal for one issue (the shape of ISSUE_TYPE)."""
    fields = {"check": literal(check), "column": literal(column), "severity": literal(severity)}
    fields |= {"reason": reason_sql, "value": f"CAST({value_sql} AS VARCHAR)"}
    return "{" + ", ".join(f"'{name}': {sql}" for name, sql in fields.items()) + "}"


def _valid_condition(col: schema.Column, name: str, providers: tuple[str, ...], setting: str) -> str:
    conditions = [f"{name} IS NOT NULL"]
    if col.type == "number":
        conditions.append(f"isfinite({name})")
    pattern = col.pattern_for(setting)
    if col.name in ("org_code", "fin_year"):
        pattern = None  # the provider list and the financial-year parser already guarantee the form
    if pattern:
        conditions.append(f"regexp_full_match({name}, {literal(pattern)})")
    if col.minimum is not None:
        conditions.append(f"{name} >= {col.minimum}")
    if col.maximum is not None:
        conditions.append(f"{name} <= {col.maximum}")
    if col.max_length is not None:
        conditions.append(f"length({name}) <= {col.max_length}")
    if col.name == "org_code":
        conditions.append(f"{name} IN ({', '.join(literal(p) for p in providers)})")
    return " AND ".join(conditions)


def _invalid_reason(col: schema.Column, setting: str, providers: tuple[str, ...]) -> str:
    """SQL text of the reason a value is wrong: what was read, what was expected, and how to fix it."""
    value = f"CAST({quoted(col.name + '__raw')} AS VARCHAR)"
    if col.name == "org_code":
        advice = (
            f" is not in the ICS config; add it under [[providers]] or correct the code (known: {', '.join(providers)})"
        )
        return f"'provider ' || {value} || {literal(advice)}"
    if col.name == "episode_count":
        advice = ": patient-level rows stand for one event each; send unaggregated data"
        return f"'episode_count is ' || {value} || {literal(advice)}"
    if col.allowed is not None or col.name == "pod":
        allowed = codes.PODS[setting] if col.name == "pod" else col.allowed
        assert allowed is not None
        known = literal(" is not a known code; allowed: " + ", ".join(codes.codes(allowed)))
        return f"{literal(col.name + ': ')} || {value} || {known}"
    if col.sensitive_value:
        return literal(f"{col.name}: the value is not {col.pattern_hint}; it was left blank and is not shown here")
    expectation = col.pattern_hint or _TYPE_WORDS[col.type]
    bounds = ""
    if col.minimum is not None and col.maximum is not None:
        bounds = f" between {_bound(col.minimum)} and {_bound(col.maximum)}"
    elif col.minimum is not None:
        bounds = f" of at least {_bound(col.minimum)}"
    if col.max_length is not None:
        bounds += f" of at most {col.max_length} characters"
    advice = ""
    if col.type in ("money", "number"):
        advice = ' (written 1234.50 or 1,234.50; a file with decimal commas needs number_format = "1.234,56")'
    return f"{literal(col.name + ': ')} || {value} || {literal(' is not ' + expectation + bounds + advice)}"


def _bound(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1e6 else f"{value:g}"


def _year_range_check(name: str, raw: str, years: tuple[str | None, str]) -> tuple[str, str]:
    """(condition, reason) for a financial year outside the config's range (`[ics] earliest_year`, `latest_year`)."""
    earliest, latest = years
    outside = f"{name} > {literal(latest)}" + (f" OR {name} < {literal(earliest)}" if earliest else "")
    allowed = f"{earliest} to {latest}" if earliest else f"up to {latest}"
    reason = (
        f"'fin_year ' || {name} || {literal(' is outside the financial years the config allows (' + allowed)} || "
        "'; [ics] earliest_year and latest_year, the latest by default the current one): the row was quarantined. "
        "If the year is right, widen the range in the config and load the file again'"
    )
    return f"({raw} IS NOT NULL AND ({outside}))", reason


def check_sql(plan: Plan, relation: str, providers: tuple[str, ...], years: tuple[str | None, str]) -> str:
    """SELECT giving each column's final value (NULL where blanked), `__rejected`, and `__issues`.

    `__issues` (the row's list of problems) is built only for rows where some check fails, so clean rows, nearly all
    of them, cost one boolean test per column. `years` is the (earliest, latest) financial year a row may hold.
    """
    finals = ["__row"]
    issues: list[str] = []
    problems: list[str] = []
    rejections: list[str] = []

    def check(condition: str, severity: str, issue: str) -> str:
        problems.append(condition)
        if severity == "rejected":
            rejections.append(condition)
        return f"WHEN {condition} THEN {issue}"

    for source in plan.sources:
        col = source.column
        name, raw = quoted(col.name), quoted(col.name + "__raw")
        valid = _valid_condition(col, name, providers, plan.setting)
        year_range = _year_range_check(name, raw, years) if col.name == "fin_year" else None
        if year_range is not None:
            valid = f"{valid} AND NOT {year_range[0]}"
        severity = "rejected" if col.on_invalid == "reject" else "warning"
        fallback = _fallback(col)
        if col.name == "patient_id" and plan.has_nhs_number:
            finals.append(f"{name}")
            nhs = _issue("nhs_number_invalid", "nhs_number", "warning", "__nhs_status", literal("<withheld>"))
            issues.append(f"CASE {check('__nhs_status IS NOT NULL', 'warning', nhs)} END")
            continue
        value_if_invalid = literal(fallback) if fallback else "NULL"
        if col.name == "cost_resource":
            finals.append(f"CASE WHEN {raw} IS NULL THEN 'all' WHEN {valid} THEN {name} ELSE 'other' END AS {name}")
        else:
            finals.append(f"CASE WHEN {valid} THEN {name} ELSE {value_if_invalid} END AS {name}")
        reason = _invalid_reason(col, plan.setting, providers)
        if fallback:
            reason = f"{reason} || {literal('; loaded as ' + fallback)}"
        whens = []
        if col.required_for(plan.setting) and not _filled_from_activity(col, plan.layout):
            missing = f"{col.name} is blank: it is required for {plan.setting} records"
            missing_reason = literal(missing + (f"; loaded as {fallback}" if fallback else ""))
            missing_severity = "warning" if fallback else severity
            whens.append(
                check(
                    f"{raw} IS NULL",
                    missing_severity,
                    _issue("missing_value", col.name, missing_severity, missing_reason, "NULL"),
                )
            )
        if year_range is not None:
            outside, outside_reason = year_range
            out_of_range = _issue("year_out_of_range", col.name, "rejected", outside_reason, raw)
            whens.append(check(outside, "rejected", out_of_range))
        shown = literal("<withheld>") if col.sensitive_value else raw
        whens.append(
            check(
                f"({raw} IS NOT NULL AND NOT ({valid}))",
                severity,
                _issue(_check_code(col), col.name, severity, reason, shown),
            )
        )
        masked_text = col.type in ("text", "code") and _masked_on_every_row(col, _synonym_list(col, plan.setting))
        if masked_text:
            masked = literal(
                f"{col.name} held a number that passes the NHS number check; it was masked ({MASK_PREFIX}...]) before "
                "anything was stored. NHS numbers belong only in the nhs_number column: ask the provider to fix the "
                "extract"
            )
            mask_issue = _issue("nhs_number_masked", col.name, "warning", masked, raw)
            whens.append(check(f"contains({raw}, {literal(MASK_PREFIX)})", "warning", mask_issue))
        if col.type == "money":
            negative = literal("negative cost (a credit or correction); loaded, and counted in the data quality report")
            whens.append(check(f"{name} < 0", "warning", _issue("negative_cost", col.name, "warning", negative, raw)))
        issues.append(f"CASE {' '.join(whens)} END")
    limit = schema.MONEY_LIMIT
    for _header, driver, _type in plan.cost_columns:
        name, raw = quoted("cost_" + driver), quoted("cost_" + driver + "__raw")
        finals.append(f"CASE WHEN abs({name}) <= {limit} THEN {name} END AS {name}")
        reason = (
            f"{literal('cost_' + driver + ': ')} || CAST({raw} AS VARCHAR) || "
            f"{literal(' is not an amount in pounds of less than ' + _bound(limit))}"
        )
        invalid = _issue("invalid_value", "cost_" + driver, "rejected", reason, raw)
        wrong = f"({raw} IS NOT NULL AND ({name} IS NULL OR abs({name}) > {limit}))"
        issues.append(f"CASE {check(wrong, 'rejected', invalid)} END")
    issue_list = f"list_filter(CAST([{', '.join(issues)}] AS {ISSUE_TYPE}[]), lambda i: i IS NOT NULL)"
    any_problem = " OR ".join(problems) or "FALSE"
    rejected = " OR ".join(rejections) or "FALSE"
    return (
        f"SELECT {', '.join(finals)}, coalesce({rejected}, FALSE) AS __rejected, "
        f"CASE WHEN {any_problem} THEN {issue_list} END AS __issues FROM {relation}"
    )


def _check_code(col: schema.Column) -> str:
    if col.name == "org_code":
        return "unknown_provider"
    if col.allowed is not None or col.name == "pod":
        return "unknown_code"
    return "invalid_value"


def _fallback(col: schema.Column) -> str | None:
    return {"cost_driver": "other", "cost_resource": "other"}.get(col.name)

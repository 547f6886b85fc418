"""Tell decimal commas from decimal points before a file's numbers are read, so 1.234,50 is never read as £1.2345.

A file says nothing about how it writes numbers, and some values read either way (1,234 is a thousand and more with a
decimal point, a little over one with a decimal comma). So the numbers of a file whose [[extracts]] entry does not
declare `number_format` are looked at first: if some can only be decimal-comma numbers (1.234,50; 12,5) and none can
only be decimal-point numbers (1,234.50; 12.5), the file is refused with a sentence saying how to declare it. Where
both kinds appear, the file is read the UK way and each number written the other way is quarantined by its own row.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import ExtractError
from engine.ingest import plan as planning
from engine.ingest.sql_text import literal, quoted
from engine.store import Store

COMMA_ONLY = r"[-+]?([0-9]{1,3}(\.[0-9]{3})+,[0-9]*|[0-9]{1,3}(\.[0-9]{3}){2,}|[0-9]*,([0-9]{1,2}|[0-9]{4,}))"
POINT_ONLY = r"[-+]?([0-9]{1,3}(,[0-9]{3})+\.[0-9]*|[0-9]{1,3}(,[0-9]{3}){2,}|[0-9]*\.([0-9]{1,2}|[0-9]{4,}))"
DECLARE = 'number_format = "1.234,56"'
# Cheap tests first: a number can only be comma-written with a comma or two dots, point-written with either mark.
_COMMA_HINT = "(contains({t}, ',') OR {t} LIKE '%.%.%')"
_POINT_HINT = "(contains({t}, ',') OR contains({t}, '.'))"


@dataclass(frozen=True)
class NumberColumn:
    """A column read from text as a number: the file's header and the canonical column it fills."""

    header: str
    column: str


def number_columns(plan: planning.Plan) -> list[NumberColumn]:
    """The columns of a plan whose numbers are read from text (money and other numbers; not whole-number codes)."""
    found = [
        NumberColumn(s.header, s.column.name)
        for s in plan.sources
        if s.header is not None and s.column.type in ("money", "number") and not planning.is_typed(s.arrow_type)
    ]
    found += [
        NumberColumn(header, f"cost_{driver}")
        for header, driver, arrow_type in plan.cost_columns
        if not planning.is_typed(arrow_type)
    ]
    return found


def check(store: Store, plan: planning.Plan, relation: str, file_name: str, declared: bool) -> None:
    """Refuse a file (undeclared) whose numbers are written with decimal commas; see the module's note."""
    columns = number_columns(plan)
    if declared or not columns:
        return
    comma_written = ", ".join(_first_written(c, COMMA_ONLY, _COMMA_HINT) for c in columns)
    firsts = store.con.execute(f"SELECT {comma_written} FROM {relation} AS src").fetchall()[0]
    found = [
        (int(str(row)), str(value), c)
        for (row, value), c in zip(_pairs(firsts), columns, strict=True)
        if row is not None
    ]
    if not found:
        return
    point_written = " OR ".join(f"bool_or({_written(c, POINT_ONLY, _POINT_HINT)})" for c in columns)
    if store.con.execute(f"SELECT {point_written} FROM {relation} AS src").fetchall()[0][0]:
        return
    row, value, column = min(found, key=lambda f: f[0])
    raise ExtractError(
        file_name,
        f"writes numbers with a decimal comma (row {row}, column {column.header!r}: {value!r}), which read the UK way "
        "would give a different amount. Say how the file writes numbers: add "
        f"{DECLARE} to its [[extracts]] entry in the config (or export it again with decimal points), and load it "
        "again.",
    )


def _text(column: NumberColumn) -> str:
    return f"regexp_replace(icsb_text(src.{quoted(column.header)}), '[£()\\s]', '', 'g')"


def _written(column: NumberColumn, pattern: str, prefilter: str) -> str:
    text = _text(column)
    return f"({prefilter.format(t=text)} AND regexp_full_match({text}, {literal(pattern)}))"


def _first_written(column: NumberColumn, pattern: str, prefilter: str) -> str:
    """The first row (and its value, NHS numbers masked) whose number can only be written `pattern`'s way."""
    condition = _written(column, pattern, prefilter)
    value = f"icsb_masked(icsb_text(src.{quoted(column.header)}))"
    return f"min(src.__row) FILTER (WHERE {condition}), arg_min({value}, src.__row) FILTER (WHERE {condition})"


def _pairs(values: tuple[object, ...]) -> list[tuple[object, object]]:
    return [(values[i], values[i + 1]) for i in range(0, len(values), 2)]

"""Check a file's headers before anything is read by them: each names one column, and none can be mistaken for another.

Headers are matched to canonical columns ignoring case and surrounding spaces, so two headers that differ only in
case are one name twice. A header that icsbench uses inside a load (`__row`, `__patient_id`: two underscores first)
would be read in place of its own value, and a header spelling a canonical name that the mapping reads from another
header leaves it unclear which one holds the column. Each of these stops the file with a sentence saying which
columns and how to fix them, instead of silently reading one of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engine import schema
from engine.errors import ExtractError

RESERVED_PREFIX = "__"
RESERVED_NAMES = frozenset({"file_row_number"})  # the row number column DuckDB adds when it reads Parquet


def fold(header: str) -> str:
    """A header as it is matched: without surrounding spaces, in lower case."""
    return header.strip().lower()


def check(
    headers: Sequence[str],
    wanted: Sequence[schema.Column],
    mapping: Mapping[str, str],
    file_name: str,
    mapping_name: str | None,
) -> None:
    """Refuse repeated headers, reserved names and canonical names the mapping reads from another header."""
    _no_repeats(headers, file_name)
    for position, header in enumerate(headers, start=1):
        folded = fold(header)
        if folded.startswith(RESERVED_PREFIX) or folded in RESERVED_NAMES:
            raise ExtractError(
                file_name,
                f"column {position} is headed {header!r}, a name icsbench keeps for its own use (names starting "
                "with two underscores, and file_row_number), so its values could be taken for icsbench's own. "
                "Rename or remove that column and load the file again.",
            )
    present = {fold(h): h for h in headers}
    for column in wanted:
        local = mapping.get(column.name)
        if local is None or fold(local) == column.name:
            continue
        shadow = present.get(column.name)
        if shadow is not None and fold(local) in present:
            raise ExtractError(
                file_name,
                f"has a column {shadow!r} as well as {present[fold(local)]!r}, which [mappings.{mapping_name}] reads "
                f"as {column.name}, so it is not clear which of the two holds {column.name}. Remove one of them, or "
                "change the mapping, and load the file again.",
            )
    nhs = present.get(fold(mapping.get("nhs_number", "nhs_number")))
    patient = present.get(fold(mapping.get("patient_id", "patient_id")))
    if nhs is not None and patient is not None:
        raise ExtractError(
            file_name,
            f"has both an NHS number column ({nhs!r}) and a patient_id column ({patient!r}). icsbench makes "
            "patient_id from the NHS number, so send only the NHS number and load the file again.",
        )


def _no_repeats(headers: Sequence[str], file_name: str) -> None:
    first: dict[str, int] = {}
    for position, header in enumerate(headers, start=1):
        folded = fold(header)
        if folded in first:
            raise ExtractError(
                file_name,
                f"columns {first[folded]} and {position} are both headed {header.strip()!r} (headers are matched "
                "ignoring case and spaces), so icsbench cannot tell which one to read. Rename or remove one of them "
                "and load the file again.",
            )
        first[folded] = position

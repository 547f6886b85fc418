"""Replace the NHS number column of a batch stream with patient pseudonyms, before any database sees it."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from engine import nhs_number
from engine.ingest.plan import NHS_STATUS_SOURCE, PATIENT_ID_SOURCE

NOT_TEN_DIGITS = "NHS number is not 10 digits; the record loads without a patient pseudonym"
BAD_CHECK_DIGIT = "NHS number fails its check digit (mod 11); the record loads without a patient pseudonym"
NO_KEY = "no pseudonymisation key is set, so the NHS number was dropped; the record loads without a patient pseudonym"


def replace_nhs_numbers(batches: Iterator[pa.RecordBatch], header: str, key: bytes | None) -> Iterator[pa.RecordBatch]:
    """Drop `header` from every batch; add the pseudonym and, where the number is unusable, the reason why.

    Each distinct number is checked and hashed once (a patient has many events); rows take their result by index.
    With no key (only when the config allows it) every number is dropped and the records stay unlinked.
    """
    cache: dict[str, tuple[str | None, str | None]] = {}
    for batch in batches:
        index = batch.schema.get_field_index(header)
        cleaned = pc.replace_substring(pc.utf8_trim_whitespace(pc.cast(batch.column(index), pa.string())), " ", "")
        distinct = pc.unique(cleaned)
        results = [_pseudonym(value, key, cache) for value in distinct.to_pylist()]
        positions = pc.index_in(cleaned, value_set=distinct)
        pseudonyms = pc.take(pa.array([r[0] for r in results], pa.string()), positions)
        statuses = pc.take(pa.array([r[1] for r in results], pa.string()), positions)
        kept = [i for i in range(batch.num_columns) if i != index]
        yield pa.RecordBatch.from_arrays(
            [*(batch.column(i) for i in kept), pseudonyms, statuses],
            names=[*(batch.schema.names[i] for i in kept), PATIENT_ID_SOURCE, NHS_STATUS_SOURCE],
        )


def pseudonym_map(raw_values: pa.Array, key: bytes | None) -> pa.Table:
    """(raw, pseudonym, problem) for each distinct NHS number as read: joined to a file DuckDB reads itself.

    The table lives in Python memory only for the length of one load; DuckDB joins to it without storing it.
    """
    cache: dict[str, tuple[str | None, str | None]] = {}
    raw = pc.cast(raw_values, pa.string())
    cleaned = pc.replace_substring(pc.utf8_trim_whitespace(raw), " ", "").to_pylist()
    results = [_pseudonym(value, key, cache) for value in cleaned]
    return pa.table(
        {
            "raw": raw,
            PATIENT_ID_SOURCE: pa.array([r[0] for r in results], pa.string()),
            NHS_STATUS_SOURCE: pa.array([r[1] for r in results], pa.string()),
        }
    )


def _pseudonym(
    value: str | None, key: bytes | None, cache: dict[str, tuple[str | None, str | None]]
) -> tuple[str | None, str | None]:
    """(pseudonym, problem) for one NHS number as read."""
    if not value:
        return None, None
    if key is None:
        return None, NO_KEY
    found = cache.get(value)
    if found is None:
        if len(value) != 10 or not value.isdigit():
            found = (None, NOT_TEN_DIGITS)
        elif not nhs_number.is_valid(value):
            found = (None, BAD_CHECK_DIGIT)
        else:
            found = (nhs_number.pseudonymise([value], key)[0], None)
        cache[value] = found
    return found

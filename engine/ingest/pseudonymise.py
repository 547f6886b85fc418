"""Replace the NHS number column of a batch stream with patient pseudonyms, before any database sees it; and mask an
NHS number found in any other column, header or name."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from engine import nhs_number
from engine.ingest.plan import NHS_STATUS_SOURCE, PATIENT_ID_SOURCE
from engine.ingest.sql_text import literal

NOT_TEN_DIGITS = "NHS number is not 10 digits; the record loads without a patient pseudonym"
BAD_CHECK_DIGIT = "NHS number fails its check digit (mod 11); the record loads without a patient pseudonym"
NO_KEY = "no pseudonymisation key is set, so the NHS number was dropped; the record loads without a patient pseudonym"


class Pseudonymiser:
    """Checks and hashes NHS numbers, each distinct number once for a whole load (a patient has many events).

    Raw numbers stay in this object's memory only while one `icsbench load` runs; they are never written anywhere.
    """

    def __init__(self, key: bytes | None) -> None:
        self.key = key
        # Masks use the pseudonym key, so a number masks the same way in every load; with no key (allow_missing_key)
        # a key of this run's own, so a number masks the same way within the run.
        self.mask_key = key or secrets.token_bytes(32)
        self._known: dict[str, tuple[str | None, str | None]] = {}

    def mask(self, text: str) -> str:
        """`text` with every NHS number in it masked."""
        return nhs_number.mask(text, self.mask_key)

    def lookup(self, values: list[str | None]) -> tuple[list[str | None], list[str | None]]:
        """(pseudonyms, problems) for numbers as read (spaces already removed); blanks give (None, None)."""
        new = sorted({v for v in values if v and v not in self._known})
        if new:
            if self.key is None:
                self._known.update(dict.fromkeys(new, (None, NO_KEY)))
            else:
                valid = nhs_number.valid_mask(new)
                digests = nhs_number.pseudonymise([v for v, ok in zip(new, valid, strict=True) if ok], self.key)
                hashed = iter(digests)
                for value, ok in zip(new, valid, strict=True):
                    if ok:
                        self._known[value] = (next(hashed), None)
                    elif len(value) != 10 or not value.isdigit():
                        self._known[value] = (None, NOT_TEN_DIGITS)
                    else:
                        self._known[value] = (None, BAD_CHECK_DIGIT)
        results = [self._known[v] if v else (None, None) for v in values]
        return [r[0] for r in results], [r[1] for r in results]


def _cleaned(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    return pc.replace_substring(pc.utf8_trim_whitespace(pc.cast(values, pa.string())), " ", "")


def replace_nhs_numbers(
    batches: Iterator[pa.RecordBatch], header: str, pseudonymiser: Pseudonymiser
) -> Iterator[pa.RecordBatch]:
    """Drop `header` from every batch; add the pseudonym and, where the number is unusable, the reason why."""
    for batch in batches:
        index = batch.schema.get_field_index(header)
        cleaned = _cleaned(batch.column(index))
        distinct = pc.unique(cleaned)
        pseudonyms, problems = pseudonymiser.lookup(distinct.to_pylist())
        positions = pc.index_in(cleaned, value_set=distinct)
        kept = [i for i in range(batch.num_columns) if i != index]
        yield pa.RecordBatch.from_arrays(
            [
                *(batch.column(i) for i in kept),
                pc.take(pa.array(pseudonyms, pa.string()), positions),
                pc.take(pa.array(problems, pa.string()), positions),
            ],
            names=[*(batch.schema.names[i] for i in kept), PATIENT_ID_SOURCE, NHS_STATUS_SOURCE],
        )


def pseudonym_map(raw_values: pa.Array | pa.ChunkedArray, pseudonymiser: Pseudonymiser) -> pa.Table:
    """(raw, pseudonym, problem) for each distinct NHS number as read: joined to a file DuckDB reads itself.

    The table lives in Python memory only for the length of one file's load; DuckDB joins to it without storing it.
    """
    raw = pc.cast(raw_values, pa.string())
    pseudonyms, problems = pseudonymiser.lookup(_cleaned(raw).to_pylist())
    return pa.table(
        {
            "raw": raw,
            PATIENT_ID_SOURCE: pa.array(pseudonyms, pa.string()),
            NHS_STATUS_SOURCE: pa.array(problems, pa.string()),
        }
    )


def register_masking(con: duckdb.DuckDBPyConnection, pseudonymiser: Pseudonymiser) -> None:
    """Define `icsb_masked(text)` on the connection: the text with every NHS number in it masked.

    Only text that could hold one (ten digits, possibly spaced) reaches Python; everything else is returned as it is
    by DuckDB itself, so masking costs one pattern test per value."""

    def masked(values: pa.Array) -> pa.Array:
        return pa.array([None if v is None else pseudonymiser.mask(v) for v in values.to_pylist()], pa.string())

    with contextlib.suppress(duckdb.InvalidInputException):  # not defined yet on this connection
        con.remove_function("icsb_nhs_mask")
    # type="arrow" as text: the stubs list only duckdb's enum for it, which moved between DuckDB versions.
    con.create_function("icsb_nhs_mask", masked, ["VARCHAR"], "VARCHAR", type="arrow")  # type: ignore[call-overload]
    con.execute(
        "CREATE OR REPLACE TEMP MACRO icsb_masked(x) AS CASE WHEN length(x) >= 10 AND "
        f"regexp_full_match(x, {literal(nhs_number.IN_TEXT_SQL)}) THEN icsb_nhs_mask(x) ELSE x END"
    )

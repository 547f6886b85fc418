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

    With no key (only when the config allows it) every number is dropped and the records stay unlinked.
    """
    cache: dict[str, str | None] = {}
    for batch in batches:
        index = batch.schema.get_field_index(header)
        raw = pc.utf8_trim_whitespace(pc.cast(batch.column(index), pa.string()))
        cleaned = pc.replace_substring(raw, " ", "").to_pylist()
        pseudonyms: list[str | None] = []
        statuses: list[str | None] = []
        for value in cleaned:
            if not value:
                pseudonyms.append(None)
                statuses.append(None)
            elif key is None:
                pseudonyms.append(None)
                statuses.append(NO_KEY)
            elif len(value) != 10 or not value.isdigit():
                pseudonyms.append(None)
                statuses.append(NOT_TEN_DIGITS)
            else:
                if value not in cache:
                    cache[value] = nhs_number.pseudonymise([value], key)[0] if nhs_number.is_valid(value) else None
                digest = cache[value]
                pseudonyms.append(digest)
                statuses.append(None if digest else BAD_CHECK_DIGIT)
        kept = [i for i in range(batch.num_columns) if i != index]
        yield pa.RecordBatch.from_arrays(
            [
                *(batch.column(i) for i in kept),
                pa.array(pseudonyms, pa.string()),
                pa.array(statuses, pa.string()),
            ],
            names=[*(batch.schema.names[i] for i in kept), PATIENT_ID_SOURCE, NHS_STATUS_SOURCE],
        )

"""Replace the NHS number column of a batch stream with patient pseudonyms, before any database sees it."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.ingest.plan import NHS_STATUS_SOURCE, PATIENT_ID_SOURCE

_WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)


def replace_nhs_numbers(batches: Iterator[pa.RecordBatch], header: str, key: bytes) -> Iterator[pa.RecordBatch]:
    """Drop `header` from every batch; add the pseudonym and, where the number is unusable, the reason why."""
    cache: dict[str, str] = {}
    for batch in batches:
        index = batch.schema.get_field_index(header)
        raw = pc.utf8_trim_whitespace(pc.cast(batch.column(index), pa.string()))
        cleaned = pc.replace_substring(raw, " ", "").to_numpy(zero_copy_only=False)
        pseudonyms: list[str | None] = []
        statuses: list[str | None] = []
        for value in cleaned:
            if value is None or value == "":
                pseudonyms.append(None)
                statuses.append(None)
                continue
            status = _problem(value)
            if status is not None:
                pseudonyms.append(None)
                statuses.append(status)
                continue
            digest = cache.get(value)
            if digest is None:
                digest = hmac.new(key, value.encode("ascii"), hashlib.sha256).hexdigest()
                cache[value] = digest
            pseudonyms.append(digest)
            statuses.append(None)
        kept = [i for i in range(batch.num_columns) if i != index]
        yield pa.RecordBatch.from_arrays(
            [*(batch.column(i) for i in kept), pa.array(pseudonyms, pa.string()), pa.array(statuses, pa.string())],
            names=[*(batch.schema.names[i] for i in kept), PATIENT_ID_SOURCE, NHS_STATUS_SOURCE],
        )


def _problem(value: str) -> str | None:
    if len(value) != 10 or not value.isdigit():
        return "NHS number is not 10 digits; the record loads without a patient pseudonym"
    digits = np.frombuffer(value.encode("ascii"), dtype=np.uint8).astype(np.int64) - 48
    check = 11 - int((digits[:9] * _WEIGHTS).sum()) % 11
    check = 0 if check == 11 else check
    if check == 10 or check != digits[9]:
        return "NHS number fails its check digit (mod 11); the record loads without a patient pseudonym"
    return None

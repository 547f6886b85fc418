"""Look for NHS numbers the way an outsider would: by querying every column of every table, and reading every file.

Grepping a store's bytes misses most of what it holds (DuckDB compresses), so the store is scanned with queries:
every text column of every table and view tested for any valid NHS number (ten digits, or 3-3-4 with spaces or
hyphens, passing the mod 11 check), and every column of any type, cast to text, for the numbers a test used.
Pseudonym columns (`patient_id`) are 64-character hashes that can hold ten digits passing the check by chance, and
sums of money (a national schedule's total cost) can be ten digits that pass it too, so those are scanned for the
numbers a test used, not for any number.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine import nhs_number

PSEUDONYM_COLUMNS = frozenset({"patient_id"})
_CANDIDATE = r"[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}"


def written_forms(numbers: Iterable[str]) -> set[str]:
    """Each number as ten digits and as 3-3-4 with spaces or hyphens."""
    forms = set()
    for n in numbers:
        forms |= {n, f"{n[:3]} {n[3:6]} {n[6:]}", f"{n[:3]}-{n[3:6]}-{n[6:]}"}
    return forms


def found_in_text(text: str, known: Iterable[str] = ()) -> list[str]:
    """Valid NHS numbers in `text`, and any of the `known` numbers in any written form."""
    return sorted(set(nhs_number.numbers_in(text)) | {f for f in written_forms(known) if f in text})


def found_in_store(con: duckdb.DuckDBPyConnection, known: Iterable[str] = ()) -> list[tuple[str, str, str]]:
    """(table, column, value) for every value of every table and view that holds an NHS number."""
    known_forms = sorted(written_forms(known))
    columns = con.execute(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = current_database() ORDER BY ALL"
    ).fetchall()
    hits = []
    for schema, table, column, data_type in columns:
        text = f'CAST("{column}" AS VARCHAR)'
        generic = data_type == "VARCHAR" and column not in PSEUDONYM_COLUMNS
        tests = [f"regexp_matches({text}, '(^|[^0-9]){form}([^0-9]|$)')" for form in known_forms]
        if generic:
            tests.append(f"regexp_matches({text}, '{_CANDIDATE}')")
        if not tests:
            continue
        values = con.execute(f'SELECT DISTINCT {text} FROM "{schema}"."{table}" WHERE {" OR ".join(tests)}').fetchall()
        for (value,) in values:
            if (generic and nhs_number.numbers_in(value)) or any(
                nhs_number.numbers_in(value) or form in value for form in known_forms
            ):
                hits.append((f"{schema}.{table}", column, value))
    return hits


def found_in_files(folder: Path, known: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(file, what) for every NHS number in the text, CSV, JSON and Parquet files under `folder`."""
    hits: list[tuple[str, str]] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            for name in table.column_names:
                values = pc.cast(table.column(name), pa.string()).to_pylist()
                for value in {v for v in values if v}:
                    found = found_in_text(value, known) if name not in PSEUDONYM_COLUMNS else []
                    found += [f for f in written_forms(known) if name in PSEUDONYM_COLUMNS and f in value]
                    hits += [(f"{path}:{name}", f) for f in found]
        elif path.suffix in (".csv", ".json", ".txt", ".tmdl", ".toml"):
            hits += [(str(path), f) for f in found_in_text(path.read_text(encoding="utf-8", errors="replace"), known)]
    return hits

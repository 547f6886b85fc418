"""Code spellings fold the same way in Python (the lookup table) and in SQL (the values read from a file)."""

from __future__ import annotations

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from engine import codes, sql_files

CON = duckdb.connect()
CON.execute(sql_files.read("ingest/parse_macros.sql"))


@given(st.text(alphabet="aZ -_\t1", min_size=1, max_size=12))
def test_python_and_sql_fold_spellings_alike(value: str) -> None:
    [(folded,)] = CON.execute("SELECT icsb_spelling($v)", {"v": value}).fetchall()
    expected = codes.normalise_spelling(value)
    assert (folded or "") == expected


def test_local_spellings_reach_their_codes() -> None:
    pods = codes.synonym_map(codes.PODS["apc"])
    assert pods[codes.normalise_spelling(" Day  Case ")] == "DC"
    assert pods[codes.normalise_spelling("day-case")] == "DC"

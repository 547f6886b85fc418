"""The fast paths of reading values give exactly what the slow ones did: whole numbers typed as numbers already
(Parquet) are read without going through text, as their text would be (the same value kept, the same refused), and
text is trimmed only when it starts or ends with a blank, to the same result as trimming every value."""

from __future__ import annotations

import math

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given
from hypothesis import strategies as st

from engine import sql_files
from tests.conftest import APC_HEADER, COST_HEADER, Workspace, apc_row, cost_row

CON = duckdb.connect()
CON.execute(sql_files.read("ingest/parse_macros.sql"))

EDGES = [0.0, -0.0, 1.0, 1.5, -3.0, 1e14 + 1, 1e15, 1e15 - 1, 1e20, -1e20, math.inf, -math.inf, math.nan, 2.0**53]


def _both(value: float | int, sql_type: str) -> tuple[object, object]:
    [(typed, text)] = CON.execute(
        f"SELECT icsb_whole(CAST($v AS {sql_type})), icsb_integer(CAST(CAST($v AS {sql_type}) AS VARCHAR))",
        {"v": value},
    ).fetchall()
    return typed, text


@given(st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(EDGES))
def test_a_typed_double_reads_as_its_text_would(value: float) -> None:
    typed, text = _both(value, "DOUBLE")
    assert typed == text


def _exact_whole(value: float) -> int | None:
    """A float's own value when it is whole and under the 1e15 limit, worked out in Python, not SQL."""
    if not math.isfinite(value) or value != math.floor(value) or abs(value) >= 1e15:
        return None
    return int(value)


@given(st.floats(width=32, allow_nan=True, allow_infinity=True))
def test_a_typed_float_reads_as_its_own_value(value: float) -> None:
    """A 32-bit float reads as the whole number it holds. Its text is the shortest that round-trips at 32 bits
    (254901936 prints as 2.5490194e+08), so from 2**24 up, where such floats are all whole but spaced more than 1
    apart, the text path read a neighbouring number; below that both paths agree."""
    typed, text = _both(value, "FLOAT")
    assert typed == _exact_whole(value)
    if abs(value) < 2**24:
        assert typed == text


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_a_typed_integer_reads_as_its_text_would(value: int) -> None:
    typed, text = _both(value, "BIGINT")
    assert typed == text


def test_a_parquet_period_that_is_not_whole_is_refused_with_its_row_and_column(workspace: Workspace) -> None:
    activity = {h: [v] * 2 for h, v in zip(APC_HEADER, apc_row("R1"), strict=True)}
    activity["record_id"] = ["R1", "R2"]
    activity["spell_id"] = ["SR1", "SR2"]
    activity["period"] = [1.0, 1.5]  # a period sent as a floating-point number: 1.5 is no month
    path = workspace.root / "ZZA_apc_2324_activity.parquet"
    pq.write_table(pa.table(activity), path)
    costs = workspace.write_csv("ZZA_apc_2324_cost_lines.csv", COST_HEADER, [cost_row("R1", 100)])
    results = workspace.load(path, costs)
    assert [r.status for r in results] == ["loaded_with_rejections", "loaded"]
    assert workspace.query("SELECT record_id, period FROM activity") == [("R1", 1)]
    [(row, column, severity, _check, reason, value)] = [
        i for i in workspace.issues("ZZA_apc_2324_activity.parquet") if i[2] == "rejected"
    ]
    assert (row, column, severity, value) == (2, "period", "rejected", "1.5")
    assert "period" in reason


@given(st.text(alphabet=st.sampled_from([" ", "\t", "\n", "\r", "\x0b", "\x01", "a", "7", "é", "\u0301", "😀", "£"])))
def test_text_is_trimmed_exactly_as_a_full_trim_would(value: str) -> None:
    [(ours, full)] = CON.execute(
        "SELECT icsb_text($v), NULLIF(trim($v, ' ' || chr(9) || chr(10) || chr(13)), '')", {"v": value}
    ).fetchall()
    assert ours == full

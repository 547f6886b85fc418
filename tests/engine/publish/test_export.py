"""Exports: the published figures by default, the full ones only on request and on the record; never half a file."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.errors import IcsBenchError
from engine.publish.export import export_table, inert_text
from engine.store import open_store
from tests.conftest import copy_of_store


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_export_writes_the_published_figures(refreshed_ics: Any, tmp_path: Path, suffix: str) -> None:
    config = copy_of_store(refreshed_ics[1], tmp_path)
    out = tmp_path / f"unit_costs{suffix}"
    store = open_store(config)
    try:
        done = export_table(store, "unit_cost_benchmark", out)
        expected = store.con.sql("SELECT * FROM published.unit_cost_benchmark").to_arrow_table()
        [(logged,)] = store.con.execute("SELECT suppressed FROM export_log").fetchall()
    finally:
        store.close()
    assert done.rows == expected.num_rows and done.suppressed and logged == "published"
    if suffix == ".parquet":
        written = pq.read_table(out)
        assert written.to_pylist() == expected.to_pylist()
        assert {str(t) for t in written.schema.types} <= {"string", "int64", "double", "decimal128(18, 4)"}
        return
    if suffix == ".csv":
        with out.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        activity = [r["activity"] for r in rows]
    else:
        book = openpyxl.load_workbook(out, read_only=True)
        header, *values = list(book["unit_cost_benchmark"].iter_rows(values_only=True))
        about = [row[0] for row in book["About"].iter_rows(values_only=True)]
        book.close()
        assert "Small numbers" in about
        assert header == tuple(expected.column_names)
        activity = [v[header.index("activity")] for v in values]
    assert len(activity) == expected.num_rows
    shown = [int(float(a)) for a in activity if a not in (None, "")]
    assert all(a == 0 or a % 5 == 0 for a in shown), "a count that is not rounded reached the file"
    assert len(shown) < len(activity), "the fixture should have some small cells to suppress"


def test_unsuppressed_export_is_complete_and_recorded(refreshed_ics: Any, tmp_path: Path) -> None:
    config = copy_of_store(refreshed_ics[1], tmp_path)
    out = tmp_path / "full.parquet"
    store = open_store(config)
    try:
        export_table(store, "system_cost", out, unsuppressed=True)
        full = store.con.sql("SELECT * FROM results.system_cost").to_arrow_table()
        [(logged, table)] = store.con.execute("SELECT suppressed, table_name FROM export_log").fetchall()
    finally:
        store.close()
    assert pq.read_table(out).to_pylist() == full.to_pylist()
    assert (logged, table) == ("UNSUPPRESSED", "system_cost")


def test_patient_level_tables_and_unknown_names_are_refused(refreshed_ics: Any, tmp_path: Path) -> None:
    config = copy_of_store(refreshed_ics[1], tmp_path)
    store = open_store(config)
    try:
        with pytest.raises(IcsBenchError, match="patient-level"):
            export_table(store, "event_costs", tmp_path / "x.csv", unsuppressed=True)
        with pytest.raises(IcsBenchError, match="unit_cost_benchmark"):
            export_table(store, "unit_costs", tmp_path / "x.csv")
        with pytest.raises(IcsBenchError, match=r"\.csv, \.parquet, \.xlsx"):
            export_table(store, "system_cost", tmp_path / "x.txt")
    finally:
        store.close()
    assert not list(tmp_path.glob("x*"))


def test_export_before_any_refresh_says_what_to_do(workspace: Any, tmp_path: Path) -> None:
    store = open_store(workspace.config)
    try:
        with pytest.raises(IcsBenchError, match="icsbench refresh"):
            export_table(store, "system_cost", tmp_path / "x.csv")
    finally:
        store.close()


def test_text_that_a_spreadsheet_would_run_is_made_inert() -> None:
    table = pa.table({"ward": ["=HYPERLINK(1)", "+1", "-2", "@x", "WARD 1", None], "n": [1, 2, 3, 4, 5, 6]})
    assert inert_text(table)["ward"].to_pylist() == ["'=HYPERLINK(1)", "'+1", "'-2", "'@x", "WARD 1", None]

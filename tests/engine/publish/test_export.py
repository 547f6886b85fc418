"""Exports: the published figures by default, the full ones only on request and on the record (who, where, before the
file is written); never half a file; never the store itself."""

from __future__ import annotations

import csv
import getpass
import socket
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.errors import IcsBenchError
from engine.publish import export as export_module
from engine.publish.export import export_log_path, export_table, inert_text
from engine.store import open_store
from tests.conftest import copy_of_store


def _log(config: Any) -> list[dict[str, str]]:
    with export_log_path(config).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: tuple((v is None, str(v)) for v in row.values()))


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_export_writes_the_published_figures(refreshed_ics: Any, tmp_path: Path, suffix: str) -> None:
    config = copy_of_store(refreshed_ics[1], tmp_path)
    out = tmp_path / f"unit_costs{suffix}"
    done = export_table(config, "unit_cost_benchmark", out)
    store = open_store(config, read_only=True)
    try:
        expected = store.con.sql("SELECT * FROM published.unit_cost_benchmark").to_arrow_table()
        [(last,)] = store.con.execute("SELECT max(refresh_id) FROM refresh_log WHERE status = 'succeeded'").fetchall()
    finally:
        store.close()
    assert done.rows == expected.num_rows and done.suppressed and done.refresh_id == last
    logged = [(e["event"], e["suppression"]) for e in _log(config)]
    assert logged == [("started", "published"), ("written", "published")]
    if suffix == ".parquet":
        written = pq.read_table(out)
        assert _sorted(written.to_pylist()) == _sorted(expected.cast(written.schema).to_pylist())
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


def test_unsuppressed_export_is_complete_and_recorded_with_who_and_where(refreshed_ics: Any, tmp_path: Path) -> None:
    config = copy_of_store(refreshed_ics[1], tmp_path)
    out = tmp_path / "full.parquet"
    export_table(config, "system_cost", out, unsuppressed=True)
    store = open_store(config, read_only=True)
    try:
        full = store.con.sql("SELECT * FROM results.system_cost").to_arrow_table()
    finally:
        store.close()
    written = pq.read_table(out)
    assert _sorted(written.to_pylist()) == _sorted(full.cast(written.schema).to_pylist())
    started, finished = _log(config)
    assert started["event"] == "started" and finished["event"] == "written"
    for entry in (started, finished):
        assert (entry["suppression"], entry["table"]) == ("UNSUPPRESSED", "system_cost")
        assert (entry["user"], entry["host"]) == (getpass.getuser(), socket.gethostname())
        assert entry["file"] == str(out.resolve()) and int(entry["rows"]) == full.num_rows


def test_the_export_is_logged_before_its_file_is_written(
    refreshed_ics: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = copy_of_store(refreshed_ics[1], tmp_path)
    out = tmp_path / "full.parquet"
    seen_in_log: list[list[str]] = []

    def write_table(table: pa.Table, where: Any) -> None:
        seen_in_log.append([e["event"] for e in _log(config)])
        raise OSError("disk full")

    monkeypatch.setattr(export_module.pq, "write_table", write_table)
    with pytest.raises(OSError, match="disk full"):
        export_table(config, "system_cost", out, unsuppressed=True)
    assert seen_in_log == [["started"]], "the log had the export before any byte of the file"
    assert [e["event"] for e in _log(config)] == ["started", "failed"]
    assert "disk full" in _log(config)[1]["detail"]
    assert not out.exists()


def test_an_export_that_cannot_be_logged_is_not_made(refreshed_ics: Any, tmp_path: Path) -> None:
    config = copy_of_store(refreshed_ics[1], tmp_path)
    export_log_path(config).mkdir()  # a folder where the log file should be: it cannot be appended to
    out = tmp_path / "full.csv"
    with pytest.raises(IcsBenchError, match="export log cannot be written"):
        export_table(config, "system_cost", out, unsuppressed=True)
    assert not out.exists()


def test_patient_level_tables_and_unknown_names_are_refused(refreshed_ics: Any, tmp_path: Path) -> None:
    config = copy_of_store(refreshed_ics[1], tmp_path)
    with pytest.raises(IcsBenchError, match="patient-level"):
        export_table(config, "event_costs", tmp_path / "x.csv", unsuppressed=True)
    with pytest.raises(IcsBenchError, match="unit_cost_benchmark"):
        export_table(config, "unit_costs", tmp_path / "x.csv")
    with pytest.raises(IcsBenchError, match=r"\.csv, \.parquet, \.xlsx"):
        export_table(config, "system_cost", tmp_path / "x.txt")
    assert not list(tmp_path.glob("x*"))


def test_export_before_any_refresh_says_what_to_do(workspace: Any, tmp_path: Path) -> None:
    with pytest.raises(IcsBenchError, match="refresh"):
        export_table(workspace.config, "system_cost", tmp_path / "x.csv")
    with pytest.raises(IcsBenchError, match="icsbench refresh"):
        export_table(workspace.config, "system_cost", tmp_path / "x.csv", unsuppressed=True)


def test_text_that_a_spreadsheet_would_run_is_made_inert() -> None:
    table = pa.table({"ward": ["=HYPERLINK(1)", "+1", "-2", "@x", "WARD 1", None], "n": [1, 2, 3, 4, 5, 6]})
    assert inert_text(table)["ward"].to_pylist() == ["'=HYPERLINK(1)", "'+1", "'-2", "'@x", "WARD 1", None]

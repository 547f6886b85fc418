"""Each kind of bad input: a clear message naming file, row and column, and the good rows still load."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from engine.store import open_store
from tests.conftest import APC_HEADER, COST_HEADER, VALID_NHS, Workspace, apc_row, cost_row


def test_empty_file_fails_with_a_clear_message_and_leaves_the_store_alone(workspace: Workspace) -> None:
    good = workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1")])
    workspace.load(good)
    empty = workspace.write_bytes("ZZB_apc_202324_activity.csv", b"")
    [result] = workspace.load(empty)
    assert result.status == "failed"
    assert "ZZB_apc_202324_activity.csv" in result.message and "empty" in result.message
    assert workspace.query("SELECT count(*) FROM activity") == [(1,)]
    assert workspace.query("SELECT status FROM loads ORDER BY load_id") == [("loaded",), ("failed",)]


def test_header_only_loads_nothing_and_keeps_earlier_data(workspace: Workspace) -> None:
    path = workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1"), apc_row("R2")])
    workspace.load(path)
    workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [])
    [result] = workspace.load(path)
    assert result.status == "empty"
    assert "no data rows" in result.message
    assert workspace.query("SELECT count(*) FROM activity") == [(2,)]


def test_truncated_last_line_is_quarantined_with_its_row_and_the_rest_loads(workspace: Workspace) -> None:
    path = workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1"), apc_row("R2")])
    path.write_bytes(path.read_bytes() + b"ZZA,2023/24,1,R3,SR3,NEL")
    [result] = workspace.load(path)
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    [(row, column, severity, check, reason, _value)] = workspace.issues()
    assert (row, column, severity, check) == (4, None, "rejected", "malformed_line")
    assert "6 fields but the header has 15" in reason


def test_utf8_bom_does_not_hide_the_first_header(workspace: Workspace) -> None:
    path = workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1")], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    [result] = workspace.load(path)
    assert result.status == "loaded"
    assert workspace.query("SELECT org_code FROM activity") == [("ZZA",)]


def test_windows_1252_text_and_pound_signs_are_read(workspace: Workspace) -> None:
    workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1")]))
    path = workspace.write_csv(
        "ZZA_apc_202324_cost_lines.csv",
        COST_HEADER,
        [cost_row("R1", "£1,234.50", location="Café Ward – East")],
        encoding="cp1252",
    )
    [result] = workspace.load(path)
    assert result.status == "loaded", workspace.issues()
    assert workspace.query("SELECT cost, location FROM cost_lines") == [(Decimal("1234.5"), "Café Ward – East")]
    assert workspace.query("SELECT encoding FROM loads WHERE file_name = $f", {"f": path.name}) == [("cp1252",)]


def test_money_in_accounting_formats(workspace: Workspace) -> None:
    workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1")]))
    rows = [cost_row("R1", v) for v in ("£1,234.50", "(123.00)", "-£5", " 7 ", "£0.0049")]
    [result] = workspace.load(workspace.write_csv("ZZA_apc_202324_cost_lines.csv", COST_HEADER, rows))
    costs = [r[0] for r in workspace.query("SELECT cost FROM cost_lines ORDER BY cost")]
    assert costs == [Decimal("-123"), Decimal("-5"), Decimal("0.0049"), Decimal("7"), Decimal("1234.5")]
    assert result.cost_loaded == Decimal("1113.5049")


def test_uk_dates_and_excel_numbers(workspace: Workspace) -> None:
    row = apc_row("R1", admission_date="01/04/2023", discharge_date="05/04/2023 00:00:00", tfc="110.0", los="4.0")
    workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [row]))
    assert workspace.query("SELECT admission_date::VARCHAR, discharge_date::VARCHAR, tfc, los FROM activity") == [
        ("2023-04-01", "2023-04-05", "110", 4)
    ]


def test_extra_columns_are_ignored_and_noted_missing_optional_ones_are_blank(workspace: Workspace) -> None:
    header = [h for h in APC_HEADER if h not in ("lsoa", "age")] + ["LocalNotes"]
    row = [v for h, v in zip(APC_HEADER, apc_row("R1"), strict=True) if h not in ("lsoa", "age")] + ["x"]
    [result] = workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", header, [row]))
    assert result.status == "loaded"
    assert workspace.query("SELECT ignored_columns FROM loads") == [("LocalNotes",)]
    assert workspace.query("SELECT lsoa, age FROM activity") == [(None, None)]


def test_missing_required_columns_name_them_and_the_headers_found(workspace: Workspace) -> None:
    header = [h for h in APC_HEADER if h not in ("record_id", "pod")]
    row = [v for h, v in zip(APC_HEADER, apc_row("R1"), strict=True) if h not in ("record_id", "pod")]
    [result] = workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", header, [row]))
    assert result.status == "failed"
    assert "missing required column(s): record_id, pod" in result.message
    assert "Headers found: org_code, fin_year" in result.message
    assert "[mappings." in result.message


def test_xlsx_with_a_title_row_above_the_header(workspace: Workspace) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Alpha Hospitals PLICS extract, April 2023"])
    sheet.append([])
    sheet.append(APC_HEADER)
    sheet.append(apc_row("R1", tfc=110.0))
    sheet.append(apc_row("R2", pod="DC", hrg="bad"))
    path = workspace.root / "ZZA_apc_202324_activity.xlsx"
    book.save(path)
    [result] = workspace.load(path)
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    assert workspace.query("SELECT record_id, tfc, hrg FROM activity ORDER BY record_id") == [
        ("R1", "110", "HT12A"),
        ("R2", "110", None),
    ]
    assert [(r[0], r[1]) for r in workspace.issues()] == [(5, "hrg")], "row numbers are the rows Excel shows"


def test_negative_costs_load_and_are_flagged(workspace: Workspace) -> None:
    workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1")]))
    [result] = workspace.load(
        workspace.write_csv("ZZA_apc_202324_cost_lines.csv", COST_HEADER, [cost_row("R1", "-50.00")])
    )
    assert result.status == "loaded" and result.warnings == 1
    assert workspace.query("SELECT negative_cost_lines, cost_loaded FROM data_quality") == [(1, Decimal("-50"))]


def test_unknown_provider_rows_are_quarantined_and_name_the_known_ones(workspace: Workspace) -> None:
    rows = [apc_row("R1"), apc_row("R2", org_code="RXL")]
    [result] = workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, rows))
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    [(row, column, severity, check, reason, value)] = workspace.issues()
    assert (row, column, severity, check, value) == (3, "org_code", "rejected", "unknown_provider", "RXL")
    assert "known: ZZA, ZZB" in reason


def test_reloading_a_period_replaces_it(workspace: Workspace) -> None:
    activity = workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1"), apc_row("R2")])
    costs = workspace.write_csv("ZZA_apc_202324_cost_lines.csv", COST_HEADER, [cost_row("R1", 10), cost_row("R2", 5)])
    workspace.load(activity, costs)
    results = workspace.load(activity, costs)
    assert [r.replaced_rows for r in results] == [2, 2]
    assert workspace.query("SELECT count(*), sum(cost) FROM cost_lines") == [(2, Decimal("15"))]
    assert workspace.query("SELECT count(*) FROM activity") == [(2,)]


def test_a_new_file_for_a_loaded_period_replaces_only_that_period(workspace: Workspace) -> None:
    first = [
        apc_row("R1", period=1),
        apc_row("R2", period=2, admission_date="2023-05-01", discharge_date="2023-05-02", los=1),
    ]
    workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, first))
    resent = [apc_row("R9", period=2, admission_date="2023-05-03", discharge_date="2023-05-04", los=1)]
    [result] = workspace.load(workspace.write_csv("ZZA_apc_202324_P2_activity.csv", APC_HEADER, resent))
    assert result.replaced_rows == 1 and result.periods == "ZZA 2023/24 P2"
    assert workspace.query("SELECT record_id, period FROM activity ORDER BY record_id") == [
        ("R1", 1),
        ("R9", 2),
    ]


def test_large_csv_is_streamed_in_blocks(workspace: Workspace, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from engine.ingest import sources

    monkeypatch.setattr(sources, "CSV_BLOCK_BYTES", 64 << 10)
    rows = [apc_row(f"R{i}", nhs_number="") for i in range(5000)]
    path = workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, rows)
    source = sources.open_source(path)
    sizes = [b.num_rows for b in source.batches()]
    assert len(sizes) > 5, "a file larger than one block must arrive in several batches"
    assert sum(sizes) == 5000
    [result] = workspace.load(path)
    assert result.rows_loaded == 5000


def test_parquet_with_typed_columns(workspace: Workspace) -> None:
    table = pa.table(
        {
            "org_code": ["ZZA", "ZZA"],
            "fin_year": ["2023/24", "2023/24"],
            "period": pa.array([1, 1], pa.int32()),
            "record_id": ["R1", "R2"],
            "cost_driver": ["theatre", "ward"],
            "cost": pa.array([Decimal("100.25"), Decimal("-0.25")], pa.decimal128(18, 2)),
            "activity_count": [95.0, None],
            "activity_unit": ["theatre_minutes", None],
        }
    )
    workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1"), apc_row("R2")]))
    path = workspace.root / "ZZA_apc_202324_cost_lines.parquet"
    pq.write_table(table, path)
    [result] = workspace.load(path)
    assert result.cost_loaded == Decimal("100.00")
    assert workspace.query("SELECT cost_resource FROM cost_lines ORDER BY cost") == [("all",), ("all",)]


def test_control_totals_match_to_the_penny(workspace: Workspace) -> None:
    workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1")]))
    path = workspace.write_csv(
        "ZZA_apc_202324_cost_lines.csv", COST_HEADER, [cost_row("R1", "10.01"), cost_row("R1", "abc")]
    )
    (workspace.root / "control_totals.csv").write_text("file,rows,total_cost\nZZA_apc_202324_cost_lines.csv,2,10.01\n")
    [matched] = workspace.load(path)
    assert matched.control_status == "matched"
    [differs] = workspace.load(path, control_totals={path.name: Decimal("10.02")})
    assert differs.control_status == "differs by £-0.01"


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_nhs_numbers_never_reach_the_store(workspace: Workspace, file_format: str) -> None:
    numbers = [*VALID_NHS, "943 476 5919", "9434765918", "12345"]
    rows = [apc_row(f"R{i}", nhs_number=n) for i, n in enumerate(numbers)]
    path = workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, rows)
    if file_format == "parquet":
        path = workspace.root / "ZZA_apc_202324_activity.parquet"
        pq.write_table(pacsv.read_csv(workspace.root / "ZZA_apc_202324_activity.csv", convert_options=_as_text()), path)
        (workspace.root / "ZZA_apc_202324_activity.csv").unlink()
    workspace.load(path)
    store = open_store(workspace.config, read_only=True)
    try:
        text_columns = store.con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
        ).fetchall()
        for table, column in text_columns:
            values = store.con.execute(f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM "{table}"').fetchall()
            for number in [*VALID_NHS, "9434765918"]:
                assert not any(number in (v or "") for (v,) in values), f"{number} found in {table}.{column}"
    finally:
        store.close()
    store_bytes = (workspace.root / "store.duckdb").read_bytes()
    assert not any(n.encode() in store_bytes for n in VALID_NHS)
    pseudonyms = workspace.query("SELECT count(DISTINCT patient_id), count(patient_id) FROM activity")
    assert pseudonyms == [(3, 4)], "the spaced copy of the first number links to the same patient"
    checks = sorted(r[3] for r in workspace.issues())
    assert checks == ["nhs_number_invalid", "nhs_number_invalid"]
    assert {r[5] for r in workspace.issues()} == {"<withheld>"}


def _as_text() -> pacsv.ConvertOptions:
    return pacsv.ConvertOptions(column_types=dict.fromkeys(APC_HEADER, pa.string()))


def test_nhs_numbers_without_a_key_stop_the_file(workspace: Workspace, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("ICSBENCH_PSEUDONYM_KEY")
    [result] = workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1")]))
    assert result.status == "failed"
    assert "ICSBENCH_PSEUDONYM_KEY" in result.message
    assert workspace.query("SELECT count(*) FROM activity") == [(0,)]


def test_allow_missing_key_loads_the_records_unlinked(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import BASE_CONFIG

    monkeypatch.delenv("ICSBENCH_PSEUDONYM_KEY", raising=False)
    workspace = Workspace(tmp_path, BASE_CONFIG + "\n[pseudonymisation]\nallow_missing_key = true\n")
    [result] = workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1")]))
    assert (result.status, result.warnings) == ("loaded", 1)
    assert workspace.query("SELECT patient_id FROM activity") == [(None,)]
    assert "no pseudonymisation key is set" in workspace.issues()[0][4]

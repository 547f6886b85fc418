"""Record-level checks: duplicates, ids held for other periods, cost lines without records, links and dates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import IcsBenchError
from engine.ingest import files as load_module
from engine.ingest import load_log
from engine.store import open_store
from tests.conftest import APC_HEADER, COST_HEADER, Workspace, apc_row, cost_row

CC_HEADER = ["org_code", "fin_year", "period", "record_id", "apc_record_id", "unit_type", "hrg", "bed_days"]


def test_duplicate_record_id_keeps_the_first(workspace: Workspace) -> None:
    rows = [apc_row("R1", age=80), apc_row("R1", age=81), apc_row("R2")]
    [result] = workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, rows))
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert workspace.query("SELECT record_id, age FROM activity ORDER BY record_id") == [
        ("R1", 80),
        ("R2", 80),
    ]
    [issue] = workspace.issues()
    assert issue[0] == 3 and issue[3] == "duplicate_record_id" and "first at row 2" in issue[4]


def test_record_id_already_held_for_another_period_is_rejected(workspace: Workspace) -> None:
    workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1", period=1)]))
    moved = apc_row("R1", period=2, admission_date="2023-05-01", discharge_date="2023-05-02", los=1)
    [result] = workspace.load(workspace.write_csv("ZZA_apc_202324_P2_activity.csv", APC_HEADER, [moved]))
    assert result.rows_rejected == 1
    assert "already loaded for 2023/24 P1" in workspace.issues("ZZA_apc_202324_P2_activity.csv")[0][4]


def test_same_record_id_at_two_providers_is_fine(workspace: Workspace) -> None:
    rows = [apc_row("R1"), apc_row("R1", org_code="ZZB")]
    [result] = workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, rows))
    assert result.rows_loaded == 2


def test_cost_lines_without_a_record_are_rejected(workspace: Workspace) -> None:
    activity = workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1")])
    costs = workspace.write_csv("ZZA_apc_202324_cost_lines.csv", COST_HEADER, [cost_row("R1", 10), cost_row("R7", 3)])
    cost_result = workspace.load(costs, activity)[1]
    assert cost_result.file == costs.name, "activity loads before its cost lines whatever the order given"
    assert (cost_result.rows_loaded, cost_result.rows_rejected, cost_result.cost_rejected) == (
        1,
        1,
        Decimal(3),
    )
    assert workspace.issues(costs.name)[0][3] == "no_activity_record"


def test_cost_lines_take_year_and_period_from_their_record(workspace: Workspace) -> None:
    workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1", period=1)]))
    header = ["org_code", "record_id", "cost_driver", "cost"]
    workspace.load(workspace.write_csv("ZZA_apc_202324_cost_lines.csv", header, [["ZZA", "R1", "ward", "12.5"]]))
    assert workspace.query("SELECT fin_year, period, cost FROM cost_lines") == [("2023/24", 1, Decimal("12.5"))]


def test_critical_care_without_its_admission_loads_with_a_warning(workspace: Workspace) -> None:
    workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1")]))
    rows = [
        ["ZZA", "2023/24", 1, "C1", "R1", "adult", "XC05Z", 2],
        ["ZZA", "2023/24", 1, "C2", "R404", "ITU", "XC05Z", 3],
    ]
    [result] = workspace.load(workspace.write_csv("ZZA_cc_202324_activity.csv", CC_HEADER, rows))
    assert (result.rows_loaded, result.rows_rejected, result.warnings) == (2, 0, 1)
    assert workspace.query("SELECT record_id, unit_type FROM activity WHERE setting = 'cc' ORDER BY 1") == [
        ("C1", "adult"),
        ("C2", "adult"),
    ]
    assert workspace.issues("ZZA_cc_202324_activity.csv")[0][3] == "cc_admission_not_loaded"


def test_a_treatment_function_missing_from_the_list_loads_as_sent_with_a_counted_warning(workspace: Workspace) -> None:
    rows = [apc_row("R1", tfc="110"), apc_row("R2", tfc="999"), apc_row("R3", tfc="99")]
    [result] = workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, rows))
    assert (result.rows_loaded, result.rows_rejected, result.warnings) == (3, 0, 2)
    assert workspace.query("SELECT record_id, tfc FROM activity ORDER BY 1") == [
        ("R1", "110"),
        ("R2", "999"),
        ("R3", None),
    ]
    issues = {issue[0]: issue for issue in workspace.issues()}
    assert (issues[3][1], issues[3][2], issues[3][3], issues[3][5]) == (
        "tfc",
        "warning",
        "tfc_not_in_reference_list",
        "999",
    )
    assert "Treatment function 999 (not in the reference list)" in issues[3][4]
    assert issues[4][3] == "invalid_value", "a malformed code is blanked, as before, and not checked twice"
    assert workspace.query("SELECT warnings FROM data_quality") == [(2,)]


def test_length_of_stay_follows_the_dates(workspace: Workspace) -> None:
    rows = [
        apc_row("R1", los=9),
        apc_row("R2", los=""),
        apc_row("R3", admission_date="2023-04-09", discharge_date="2023-04-02"),
    ]
    workspace.load(workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, rows))
    assert workspace.query("SELECT record_id, los, discharge_date IS NULL FROM activity ORDER BY 1") == [
        ("R1", 4, False),
        ("R2", 4, False),
        ("R3", None, True),
    ]
    assert [i[3] for i in workspace.issues()] == ["los_mismatch", "dates_reversed"]


def test_seed_style_headers_and_file_name_placeholders(workspace: Workspace) -> None:
    header = ["OrgCode", "EpisodeID", "SpellID", "PODMapping", "TFC_Code", "HRGCode", "HRG_EpisodeCount"]
    rows = [["ZZB", "E1", "S1", "Elective", "110", "HN12A", 1], ["ZZB", "E2", "S2", "NEL", "110", "HN12A", 3]]
    [result] = workspace.load(workspace.write_csv("seed_ZZB_202324_07.csv", header, rows))
    assert workspace.query("SELECT org_code, fin_year, period, pod, hrg FROM activity") == [
        ("ZZB", "2023/24", 7, "EL", "HN12A")
    ]
    assert result.rows_rejected == 1
    assert "send unaggregated data" in workspace.issues()[0][4]


def test_wide_files_become_cost_lines_by_driver(workspace: Workspace) -> None:
    header = ["org_code", "fin_year", "period", "record_id", "pod", "hrg", "ClinicCost", "PathCost"]
    rows = [
        ["ZZA", "2023/24", 3, "O1", "first", "WF01B", "£120.00", "15.50"],
        ["ZZA", "2023/24", 3, "O2", "follow-up", "WF01A", "80", ""],
        ["ZZA", "2023/24", 3, "O3", "follow-up", "WF01A", "eighty", "1"],
    ]
    [result] = workspace.load(workspace.write_csv("ZZA_op_202324_wide.csv", header, rows))
    assert (result.rows_rejected, result.cost_loaded, result.cost_rejected) == (
        1,
        Decimal("215.5"),
        Decimal("1"),
    )
    assert workspace.query("SELECT pod FROM activity ORDER BY record_id") == [("OPFA",), ("OPFU",)]
    assert workspace.query(
        "SELECT record_id, cost_driver, cost_resource, cost FROM cost_lines ORDER BY record_id, cost_driver"
    ) == [
        ("O1", "outpatient_care", "all", Decimal("120")),
        ("O1", "pathology", "all", Decimal("15.5")),
        ("O2", "outpatient_care", "all", Decimal("80")),
    ]


def test_a_failure_while_committing_leaves_the_last_good_load(workspace: Workspace, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    activity = workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1"), apc_row("R2")])
    costs = workspace.write_csv("ZZA_apc_202324_cost_lines.csv", COST_HEADER, [cost_row("R1", 10)])
    workspace.load(activity, costs)
    before = workspace.query("SELECT * FROM cost_lines")
    real_finish = load_log.finish

    def explode(store: object, result: load_log.LoadResult, *args: object, **kwargs: object) -> None:
        if result.status != "failed":
            raise RuntimeError("disk full")
        real_finish(store, result, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(load_log, "finish", explode)
    workspace.write_csv("ZZA_apc_202324_cost_lines.csv", COST_HEADER, [cost_row("R1", 99), cost_row("R2", 1)])
    store = open_store(workspace.config)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            load_module.load_file(store, costs)
    finally:
        store.close()
    assert workspace.query("SELECT * FROM cost_lines") == before
    [(status, message)] = workspace.query("SELECT status, message FROM loads ORDER BY load_id DESC LIMIT 1")
    assert status == "failed" and "disk full" in message and "Nothing from this file was saved" in message


def test_file_matching_no_extract_pattern_says_how_to_fix_it(workspace: Workspace) -> None:
    path = workspace.write_csv("random.csv", ["a"], [["1"]])
    store = open_store(workspace.config)
    try:
        with pytest.raises(IcsBenchError, match=r"no \[\[extracts\]\] pattern .* matches this file name"):
            load_module.load_file(store, path)
    finally:
        store.close()

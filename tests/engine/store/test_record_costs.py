"""The per-record cost sums the store keeps at load (engine.store.record_costs) equal a full recompute from the cost
lines after every way `icsbench load` changes them: a first load, a reload of the same period, a corrected file, a
period whose lines a reload mostly removes, a wide file, and a store made before the kept sums existed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.metrics import catalog
from engine.store import open_store, record_costs
from tests.conftest import APC_HEADER, COST_HEADER, Workspace, apc_row, cost_row

_FIGURES = (
    "total_cost",
    "ward_cost",
    "theatre_cost",
    "pathology_cost",
    "pharmacy_cost",
    "outpatient_care_cost",
    "ward_bed_days",
    "theatre_minutes",
    "tests",
    "items",
    "medical_contacts",
    "nursing_contacts",
    "therapy_contacts",
)


def _activity(ws: Workspace) -> list[Path]:
    p1 = [apc_row(f"R{i}") for i in (1, 2, 3, 4)]
    may = {"period": 2, "admission_date": "2023-05-01", "discharge_date": "2023-05-02", "los": 1}
    p2 = [apc_row(f"R{i}", **may) for i in (5, 6)]
    return [
        ws.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, p1),
        ws.write_csv("ZZA_apc_202324_P2_activity.csv", APC_HEADER, p2),
    ]


def _line(record: str, cost: str, driver: str, resource: str, count: Any, unit: str, period: int = 1) -> list[Any]:
    return cost_row(
        record,
        cost,
        period=period,
        cost_driver=driver,
        cost_resource=resource,
        activity_count=count,
        activity_unit=unit,
    )


def _p1_lines(scale: int = 1) -> list[list[Any]]:
    """Several lines a record, of several drivers, units and resources; counts with fractions that are not whole or
    half units (0.1, 0.2) as well as whole ones."""
    rows = []
    for i in (1, 2, 3, 4):
        rows += [
            _line(f"R{i}", f"{100 * scale + i}.25", "ward", "nursing", 4, "bed_days"),
            _line(f"R{i}", f"{30 * scale}.10", "ward", "nursing", 0.1, "contacts"),
            _line(f"R{i}", "55.55", "theatre", "consultant", 90.5, "theatre_minutes"),
            _line(f"R{i}", "7.01", "pathology", "other", 3, "tests"),
            _line(f"R{i}", "2.20", "therapies", "ahp", 0.2, "contacts"),
            _line(f"R{i}", "1.10", "therapies", "ahp", 0.1, "contacts"),
        ]
    return rows


def _p2_lines() -> list[list[Any]]:
    return [
        _line("R5", "12.34", "pharmacy", "pharmacist", 2, "items", period=2),
        _line("R5", "0.66", "ward", "consultant", 0.3, "contacts", period=2),
        _line("R6", "9.99", "ward", "nursing", 1, "bed_days", period=2),
    ]


def _costs(ws: Workspace, name: str, rows: list[list[Any]]) -> Path:
    return ws.write_csv(name, COST_HEADER, rows)


def _differences(ws: Workspace) -> tuple[int, int, int]:
    """(rows kept, rows only in the kept sums, rows only in the full recompute), the kept rows added up per record
    and period (two loads of one period in one run give a record a row each)."""
    sums = ", ".join(
        f"CAST(sum({f}) AS DECIMAL(18, 4)) AS {f}" if f.endswith("_cost") else f"sum({f}) AS {f}" for f in _FIGURES
    )
    columns = ", ".join(_FIGURES)
    kept = (
        f"SELECT setting, org_code, fin_year, period, record_id, {sums} FROM {record_costs.TABLE} "
        "GROUP BY setting, org_code, fin_year, period, record_id"
    )
    full = f"SELECT setting, org_code, fin_year, period, record_id, {columns} FROM ({record_costs.query()})"
    [(rows,)] = ws.query(f"SELECT count(*) FROM {record_costs.TABLE}")
    [(extra,)] = ws.query(f"SELECT count(*) FROM ({kept} EXCEPT ALL {full})")
    [(missing,)] = ws.query(f"SELECT count(*) FROM ({full} EXCEPT ALL {kept})")
    return int(rows), int(extra), int(missing)


def _figures(ws: Workspace, record: str) -> tuple[Any, ...]:
    [row] = ws.query(
        f"SELECT sum(total_cost), sum(medical_contacts), sum(therapy_contacts) FROM {record_costs.TABLE} "
        "WHERE record_id = $r",
        {"r": record},
    )
    return row


def _sent(record: str, rows: list[list[Any]]) -> Decimal:
    return sum((Decimal(r[COST_HEADER.index("cost")]) for r in rows if r[3] == record), Decimal(0))


def test_kept_sums_equal_a_full_recompute_after_loads_reloads_and_corrections(workspace: Workspace) -> None:
    ws = workspace
    ws.load(*_activity(ws), _costs(ws, "ZZA_apc_202324_cost_lines.csv", _p1_lines()))
    assert _differences(ws) == (4, 0, 0)
    ws.load(_costs(ws, "ZZA_apc_202324_P2_cost_lines.csv", _p2_lines()))
    assert _differences(ws) == (6, 0, 0)
    assert _figures(ws, "R5") == (Decimal("13.0000"), 0.3, 0.0)

    ws.load(_costs(ws, "ZZA_apc_202324_cost_lines.csv", _p1_lines()))  # the same period again: replaced, not added
    assert _differences(ws) == (6, 0, 0)
    assert _figures(ws, "R1")[0] == _sent("R1", _p1_lines())

    corrected = [r for r in _p1_lines(scale=2) if r[3] != "R4"]  # new costs, and R4's lines withdrawn
    ws.load(_costs(ws, "ZZA_apc_202324_cost_lines.csv", corrected))
    assert _differences(ws) == (5, 0, 0)
    assert _figures(ws, "R1")[0] == _sent("R1", corrected) != _sent("R1", _p1_lines())
    assert ws.query(f"SELECT count(*) FROM {record_costs.TABLE} WHERE record_id = 'R4'") == [(0,)]

    ws.load(_costs(ws, "ZZA_apc_202324_P2_cost_lines.csv", _p2_lines()[2:]))  # P2 cut to R6's line: R5's go
    assert _differences(ws) == (4, 0, 0)
    assert ws.query(f"SELECT record_id FROM {record_costs.TABLE} WHERE period = 2") == [("R6",)]
    [(kept,)] = ws.query(f"SELECT sum(total_cost) FROM {record_costs.TABLE}")
    assert ws.query("SELECT sum(cost) FROM cost_lines") == [(kept,)]


def test_two_files_of_one_period_in_one_run_add_up(workspace: Workspace) -> None:
    ws = workspace
    first = _costs(ws, "ZZA_apc_202324_a_cost_lines.csv", _p1_lines()[:12])
    second = _costs(ws, "ZZA_apc_202324_b_cost_lines.csv", _p1_lines()[12:])
    ws.load(*_activity(ws), first, second)
    assert ws.query("SELECT count(DISTINCT load_id) FROM cost_lines") == [(2,)]
    assert _differences(ws)[1:] == (0, 0)


def test_a_wide_file_keeps_its_sums_and_replaces_them_on_reload(workspace: Workspace) -> None:
    ws = workspace
    header = ["org_code", "fin_year", "period", "record_id", "pod", "tfc", "hrg", "ClinicCost", "PathCost"]
    rows = [["ZZA", "2023/24", 1, f"W{i}", "OPFA", "110", "WF01A", f"{i}0.00", "2.50"] for i in (1, 2, 3)]
    ws.load(ws.write_csv("ZZA_op_202324_wide.csv", header, rows))
    assert _differences(ws) == (3, 0, 0)
    ws.load(ws.write_csv("ZZA_op_202324_wide.csv", header, rows[:1]))
    assert _differences(ws) == (1, 0, 0)
    assert _figures(ws, "W1")[0] == Decimal("12.5000")


def _make_stale(ws: Workspace, how: str) -> None:
    store = open_store(ws.config)
    try:
        if how == "no table":  # a store made before the kept sums existed
            store.con.execute(f"DROP TABLE {record_costs.TABLE}")
            record_costs.forget(store)
        else:  # made with another definition of them
            store.con.execute("UPDATE meta SET value = 'an older query' WHERE key = 'record_costs_sha256'")
            store.con.execute(f"DELETE FROM {record_costs.TABLE} WHERE record_id = 'R1'")
    finally:
        store.close()


def test_a_store_without_current_sums_rebuilds_them_from_its_cost_lines(workspace: Workspace) -> None:
    ws = workspace
    ws.load(*_activity(ws), _costs(ws, "ZZA_apc_202324_cost_lines.csv", _p1_lines()))
    ws.load(_costs(ws, "ZZA_apc_202324_P2_cost_lines.csv", _p2_lines()))
    for how in ("no table", "another definition"):
        _make_stale(ws, how)
        store = open_store(ws.config)
        try:
            assert not record_costs.is_current(store)
            assert record_costs.ensure(store), "rebuilt"
            assert not record_costs.ensure(store), "current now: not rebuilt again"
        finally:
            store.close()
        assert _differences(ws) == (6, 0, 0)

    _make_stale(ws, "no table")  # and a load into such a store rebuilds them before replacing its period
    ws.load(_costs(ws, "ZZA_apc_202324_P2_cost_lines.csv", _p2_lines()[:1]))
    assert _differences(ws) == (5, 0, 0)


def test_the_store_keeps_the_query_the_catalog_runs_elsewhere() -> None:
    """One definition: what the store keeps is the query Spark and the server run as the record_costs metric."""
    assert record_costs.query() == catalog.metric("record_costs").query
    assert record_costs.query().count("FROM cost_lines\n") == 1


def _event_costs_differences(ws: Workspace) -> tuple[int, int, int, int]:
    """(records in event_costs, records whose kept rows it had to add up, rows only in event_costs, rows only in the
    reference): event_costs as the refresh runs it over the kept rows, against each record's kept rows all added up
    in one grouping (what event_costs did before it took a record's one row as it is)."""
    query = (
        catalog.metric("event_costs")
        .query.replace("results.dim_hrg", "(SELECT 'none' AS hrg, 'none' AS hrg_chapter)")
        .replace("results.refresh_parameters", "(SELECT 1 AS refresh_id)")
    )
    sums = ", ".join(
        f"CAST(sum({f}) AS DECIMAL(18, 4)) AS {f}" if f.endswith("_cost") else f"sum({f}) AS {f}" for f in _FIGURES
    )
    columns = ", ".join(_FIGURES)
    reference = (
        f"SELECT setting, org_code, record_id, min(fin_year) AS fin_year, min(period) AS period, {sums} "
        f"FROM {record_costs.TABLE} GROUP BY setting, org_code, record_id"
    )
    store = open_store(ws.config)
    try:
        store.con.execute(record_costs.view_sql())
        store.con.execute(f"CREATE TEMP TABLE ec AS {query}")
        lined = (
            f"SELECT e.setting, e.org_code, e.record_id, e.fin_year, e.period, {columns} FROM ec AS e WHERE EXISTS ("
            f"SELECT 1 FROM {record_costs.TABLE} AS k WHERE k.setting = e.setting AND k.org_code = e.org_code "
            "AND k.record_id = e.record_id)"
        )
        [(records, split)] = store.con.execute(
            "SELECT count(*), (SELECT count(*) FROM (SELECT 1 FROM record_costs GROUP BY setting, org_code, record_id "
            "HAVING count(*) > 1)) FROM ec"
        ).fetchall()
        [(extra,)] = store.con.execute(f"SELECT count(*) FROM ({lined} EXCEPT ALL {reference})").fetchall()
        [(missing,)] = store.con.execute(f"SELECT count(*) FROM ({reference} EXCEPT ALL {lined})").fetchall()
        [(unlinked,)] = store.con.execute(
            "SELECT count(*) FROM ec WHERE has_activity_record = 0 AND pod = 'UNLINKED'"
        ).fetchall()
        [(lines_pounds, ec_pounds)] = store.con.execute(
            "SELECT (SELECT sum(cost) FROM cost_lines), (SELECT sum(total_cost) FROM ec)"
        ).fetchall()
        assert lines_pounds == ec_pounds, "every pound loaded is in event_costs"
    finally:
        store.close()
    return int(records), int(split), int(extra) + int(missing), int(unlinked)


def test_event_costs_adds_up_only_the_records_with_several_kept_rows_and_matches_adding_up_all(
    workspace: Workspace,
) -> None:
    ws = workspace
    lines = _p1_lines()  # six lines a record: R1 to R4
    first = _costs(ws, "ZZA_apc_202324_a_cost_lines.csv", lines[:9])  # R1, and half of R2's lines
    second = _costs(ws, "ZZA_apc_202324_b_cost_lines.csv", lines[9:])  # the rest of R2's, R3 and R4
    ws.load(*_activity(ws), first, second, _costs(ws, "ZZA_apc_202324_P2_cost_lines.csv", _p2_lines()))
    assert _event_costs_differences(ws) == (6, 1, 0, 0)  # R2: a kept row for each file of its period

    fewer = [apc_row(f"R{i}") for i in (1, 2, 3)]  # R4's activity withdrawn: its lines are kept, unlinked
    ws.load(ws.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, fewer))
    assert _event_costs_differences(ws) == (6, 1, 0, 1)

    # a corrected file: new costs, R3's lines gone (and R4's, which a load refuses now R4 has no record)
    corrected = [r for r in _p1_lines(scale=2) if r[3] != "R3"]
    ws.load(_costs(ws, "ZZA_apc_202324_cost_lines.csv", corrected))
    assert _event_costs_differences(ws) == (5, 0, 0, 0)  # one file for the period now: no record has two rows

    ws.load(_costs(ws, "ZZA_apc_202324_P2_cost_lines.csv", _p2_lines()[2:]))  # P2 cut to R6's line
    assert _event_costs_differences(ws) == (5, 0, 0, 0)
    two = [
        _line("R1", "1.00", "ward", "nursing", 0.1, "contacts"),
        _line("R2", "2.00", "pathology", "other", 1, "tests"),
    ]
    third = _costs(ws, "ZZA_apc_202324_c_cost_lines.csv", two)  # period 1 reloaded as two files in one run
    ws.load(_costs(ws, "ZZA_apc_202324_cost_lines.csv", corrected), third)
    assert _event_costs_differences(ws) == (5, 2, 0, 0)

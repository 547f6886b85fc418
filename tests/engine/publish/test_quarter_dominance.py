"""Dominance where it was not checked before issue 16m: a service line's theatre and ward cost in a quarter
(service_line_benchmark), a POD's cost in a quarter and its rolling four quarters (cost_trend), and the ICS theatre
cost that opportunity_summary's theatre rows state beside inpatient_cost_drivers' ICS cell.

A hand-built ICS of admitted care in 2023/24 where every pound is known:
- the service line (NEL, HRG HT12), Q1: at Alpha Hospitals one patient's three episodes have £2,000 of theatre and
  £100 of ward care each, six episodes without a patient £20 and £3,000: the quarter's cost (£24,420) is not dominated
  but its theatre cost (£6,000 of £6,120) is. At Beta Hospitals the same with theatre and ward the other way round
  (£9,000 of £9,600 of ward care one patient's). Q2 at each: nine episodes without a patient of £3,000 ward and
  £2,000 theatre, so neither year is dominated;
- day cases (DC, HRG FZ12A) at Beta: in Q1 one patient's three episodes of £5,000, six of £20 without a patient; in
  Q2 nine of £2,000 without one. The year's cell is not dominated (£15,000 and £2,000 of £33,120); the quarter
  is, and so is its rolling four quarters (the quarter itself);
- elective (EL, HRG FZ22A) theatre in Q1: one patient's three spells of £2,000 at Alpha (a small count), one spell
  of £3,000 and four of £1 without a patient at Gamma (small too), nine of £50 at Beta: the ICS theatre cell is
  £9,454, the largest two £9,000 of it, though Beta's own is not dominated.
ACRO-like nk and p% checks on each contributor's cost, worked out here from the loaded records (not from any result
table), say which cells are dominated; each must be blank where published.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from engine import config as config_module
from engine.jobs import refresh_store
from engine.publish.suppression import SuppressionRule
from engine.store import open_store
from tests.conftest import APC_HEADER, BASE_CONFIG, COST_HEADER, PSEUDONYM_KEY, VALID_NHS, Workspace, apc_row, cost_row

pytestmark = [
    pytest.mark.slow,  # a whole refresh of a hand-built ICS
    pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning"),
]

LINE = "Hip procedures"
CONFIG = BASE_CONFIG.replace(
    "[store]",
    '[[providers]]\ncode = "ZZC"\nname = "Gamma Hospitals (synthetic)"\ntype = "acute"\n\n[store]',
) + (f'\n[[service_lines]]\nname = "{LINE}"\npods = ["NEL"]\nhrgs = ["HT12"]\n')
P1, P2, P3 = VALID_NHS
# (org, record, quarter, POD, HRG, NHS number or blank, ward cost, theatre cost)
RECORDS = [
    *[("ZZA", f"A{i}", 1, "NEL", "HT12A", P1, 100, 2000) for i in range(3)],
    *[("ZZA", f"A{i}", 1, "NEL", "HT12A", "", 3000, 20) for i in range(3, 9)],
    *[("ZZA", f"A{i}", 2, "NEL", "HT12A", "", 3000, 2000) for i in range(9, 18)],
    *[("ZZB", f"B{i}", 1, "NEL", "HT12A", P2, 3000, 20) for i in range(3)],
    *[("ZZB", f"B{i}", 1, "NEL", "HT12A", "", 100, 2000) for i in range(3, 9)],
    *[("ZZB", f"B{i}", 2, "NEL", "HT12A", "", 3000, 2000) for i in range(9, 18)],
    *[("ZZB", f"D{i}", 1, "DC", "FZ12A", P3, 5000, 0) for i in range(3)],
    *[("ZZB", f"D{i}", 1, "DC", "FZ12A", "", 20, 0) for i in range(3, 9)],
    *[("ZZB", f"D{i}", 2, "DC", "FZ12A", "", 2000, 0) for i in range(9, 18)],
    *[("ZZA", f"E{i}", 1, "EL", "FZ22A", P1, 10, 2000) for i in range(3)],
    ("ZZC", "E0", 1, "EL", "FZ22A", "", 10, 3000),
    *[("ZZC", f"E{i}", 1, "EL", "FZ22A", "", 10, 1) for i in range(1, 5)],
    *[("ZZB", f"E{i}", 1, "EL", "FZ22A", "", 10, 50) for i in range(9)],
]
DATES = {1: ("2023-04-01", "2023-04-05", 1), 2: ("2023-07-01", "2023-07-05", 4)}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root: Path = tmp_path_factory.mktemp("quarter_dominance")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config_module.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
        patch.delenv("ICSBENCH_CONFIG", raising=False)
        workspace = Workspace(root, CONFIG)
        files = []
        for org in ("ZZA", "ZZB", "ZZC"):
            mine = [r for r in RECORDS if r[0] == org]
            activity = []
            costs = []
            for _, rid, quarter, pod, hrg, nhs, ward, theatre in mine:
                admitted, discharged, period = DATES[quarter]
                activity.append(
                    apc_row(
                        rid,
                        org_code=org,
                        nhs_number=nhs,
                        pod=pod,
                        hrg=hrg,
                        period=period,
                        admission_date=admitted,
                        discharge_date=discharged,
                    )
                )
                costs.append(cost_row(rid, ward, org_code=org, period=period))
                if theatre:
                    costs.append(
                        cost_row(
                            rid,
                            theatre,
                            org_code=org,
                            period=period,
                            cost_driver="theatre",
                            cost_resource="theatre_staff",
                            activity_count=60,
                            activity_unit="theatre_minutes",
                            location="TH1",
                        )
                    )
            files.append(workspace.write_csv(f"{org}_apc_2324_activity.csv", APC_HEADER, activity))
            files.append(workspace.write_csv(f"{org}_apc_2324_cost_lines.csv", COST_HEADER, costs))
        outcomes = workspace.load(*files)
        assert {o.status for o in outcomes} == {"loaded"}, [o.message for o in outcomes]
        store = open_store(workspace.config)
        try:
            refresh_store(store)
            published = {
                name: store.con.sql(f"SELECT * FROM published.{name}").df()
                for name in ("service_line_benchmark", "cost_trend", "opportunity_summary", "inpatient_cost_drivers")
            }
            records = store.con.sql(
                "SELECT a.org_code, a.record_id, a.patient_id, a.pod, a.hrg, a.period, l.cost_driver, "
                "CAST(l.cost AS DOUBLE) AS cost FROM activity AS a JOIN cost_lines AS l "
                "ON l.setting = a.setting AND l.org_code = a.org_code AND l.record_id = a.record_id"
            ).df()
        finally:
            store.close()
    records["quarter"] = (records["period"] - 1) // 3 + 1
    lone = "record " + records["org_code"] + " " + records["record_id"]
    records["contributor"] = records["patient_id"].where(records["patient_id"].notna(), lone)
    rule = SuppressionRule.from_config(workspace.config.suppression)
    return {"published": published, "records": records, "rule": rule}


def dominated_cells(rows: pd.DataFrame, keys: list[str], rule: SuppressionRule) -> set[tuple[Any, ...]]:
    """The cells (values of `keys`) whose cost one or two contributors dominate, by the nk and p% rules as ACRO
    applies them: each contributor's cost in the cell added up, taken by size."""
    each = rows.groupby([*keys, "contributor"], as_index=False)["cost"].sum()
    each["cost"] = each["cost"].abs()
    each = each[each["cost"] > 0]
    out = set()
    for key, cell in each.groupby(keys):
        sizes = sorted(cell["cost"], reverse=True)
        total, largest = sum(sizes), sizes[0]
        second = sizes[1] if len(sizes) > 1 else 0.0
        p_rule = total - largest - second < rule.dominance_p_percent / 100 * largest
        nk_rule = largest + second >= rule.dominance_k_percent / 100 * total
        if p_rule or nk_rule:
            out.add(key if isinstance(key, tuple) else (key,))
    return out


def _blank(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _line(records: pd.DataFrame) -> pd.DataFrame:
    return records[(records["pod"] == "NEL") & records["hrg"].str.startswith("HT12")]


def test_a_quarters_theatre_and_ward_cost_one_patient_dominates_is_blank(built: dict[str, Any]) -> None:
    rule, records = built["rule"], _line(built["records"])
    published = built["published"]["service_line_benchmark"]
    rows = {(r["org_code"], r["period"]): r for r in published.to_dict("records")}
    # the quarter's whole cost is not dominated, at either provider
    whole = dominated_cells(records.assign(period="Q" + records["quarter"].astype(str)), ["org_code", "period"], rule)
    assert not whole
    flagged = {}
    for driver in ("theatre", "ward"):
        mine = records[records["cost_driver"] == driver]
        quarters = mine.assign(period="Q" + mine["quarter"].astype(str))
        flagged[driver] = dominated_cells(
            pd.concat([quarters, mine.assign(period="year")]), ["org_code", "period"], rule
        )
    assert flagged == {"theatre": {("ZZA", "Q1")}, "ward": {("ZZB", "Q1")}}
    for driver, cells in flagged.items():
        for cell in cells:
            row = rows[cell]
            assert _blank(row[f"{driver}_cost"]), (driver, cell)
            if driver == "ward":
                assert _blank(row["ward_cost_per_bed_day"]), cell
    # rows nothing dominates stay shown (some hidden as partners of a dominated quarter in the year's margin), so the
    # check does not pass by hiding everything
    assert published["theatre_cost"].notna().any() and published["ward_cost"].notna().any()


def test_a_pods_quarter_and_its_rolling_four_quarters_one_patient_dominates_are_blank(built: dict[str, Any]) -> None:
    rule, records = built["rule"], built["records"]
    trend = built["published"]["cost_trend"]
    rows = {(r["org_code"], r["pod"], int(r["quarter"])): r for r in trend.to_dict("records")}
    quarters = dominated_cells(records, ["org_code", "pod", "quarter"], rule)
    assert ("ZZB", "DC", 1) in quarters
    # the year's day case cell is not dominated: only the quarter check catches it
    assert ("ZZB", "DC") not in dominated_cells(records, ["org_code", "pod"], rule)
    # the rolling four quarters ending in each quarter: a record is in its quarter's window and the three after
    windows = pd.concat([records.assign(quarter=records["quarter"] + lag) for lag in range(4)])
    rolling = dominated_cells(windows, ["org_code", "pod", "quarter"], rule)
    assert ("ZZB", "DC", 1) in rolling
    for cell in quarters:
        if cell in rows:
            assert _blank(rows[cell]["total_cost"]) and _blank(rows[cell]["mean_cost"]), cell
    for cell in rolling:
        if cell in rows:
            assert _blank(rows[cell]["rolling_total_cost"]) and _blank(rows[cell]["rolling_mean_cost"]), cell
    ics = dominated_cells(records, ["pod", "quarter"], rule)
    assert ("DC", 1) in ics
    for (org, pod, quarter), row in rows.items():
        if (pod, quarter) in ics:
            assert _blank(row["ics_mean_cost"]), (org, pod, quarter)
    # the service line's rolling windows too (its quarters as cells)
    line = _line(records)
    line_windows = pd.concat([line.assign(quarter=line["quarter"] + lag) for lag in range(4)])
    published = built["published"]["service_line_benchmark"]
    shown = {(r["org_code"], r["period"]): r for r in published.to_dict("records")}
    for org, quarter in dominated_cells(line_windows, ["org_code", "quarter"], rule):
        row = shown.get((org, f"Q{quarter}"))
        assert row is None or _blank(row["rolling_total_cost"]), (org, quarter)


def test_an_ics_theatre_cell_one_patient_dominates_is_blank_in_opportunity_summary(built: dict[str, Any]) -> None:
    rule, records = built["rule"], built["records"]
    theatre = records[records["cost_driver"] == "theatre"]
    ics = dominated_cells(theatre, ["pod", "hrg"], rule)
    assert ("EL", "FZ22A") in ics
    # Beta's own theatre cell is not dominated, and its row of the POD + HRG is published
    assert ("ZZB", "EL", "FZ22A") not in dominated_cells(theatre, ["org_code", "pod", "hrg"], rule)
    summary = built["published"]["opportunity_summary"]
    rows = summary[(summary["cost_driver"] == "theatre") & (summary["pod"] != "(all)") & (summary["hrg"] != "(all)")]
    beta = rows[(rows["org_code"] == "ZZB") & (rows["pod"] == "EL")]
    assert len(beta) == 1 and not _blank(beta["cost"].iloc[0])
    for row in rows.to_dict("records"):
        if (row["pod"], row["hrg"]) in ics:
            assert _blank(row["ics_mean_cost"]), row
    drivers = built["published"]["inpatient_cost_drivers"]
    for row in drivers[drivers["pod"] == "EL"].to_dict("records"):
        assert _blank(row["ics_cost_per_theatre_minute"]), row

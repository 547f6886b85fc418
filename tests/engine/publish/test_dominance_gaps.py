"""Dominance where it was not checked before issue 16q: a service line's ICS ward cost per bed day
(service_line_benchmark), system_cost's quarter cells, and opportunity_summary's ICS theatre row of a POD + HRG, whose
cell is the episodes' HRG while inpatient_cost_drivers' (which it was linked to) is the spell's.

A hand-built ICS of admitted care in 2023/24 (three providers) where every pound is known:
- the service line (NEL, HRG HT12) in Q1: nine episodes without a patient at Alpha and nine at Beta, each £10 of ward
  care and £3,000 of theatre; at Gamma one patient's three episodes of £5,000 ward care (a small count). The ICS's
  ward cost (£15,180) is one patient's £15,000, though the ICS's whole cost (£69,180) and Alpha's and Beta's own ward
  cost are not dominated, so the ICS ward cost per bed day beside Alpha's and Beta's rows gave it back;
- day cases (DC, HRG FZ12A) at Beta: in Q1 one patient's three episodes of £5,000 and six of £20 without a patient;
  in Q2 nine of £2,000 without one; and nine of HRG FZ13A of £5,000 in each quarter, so the POD's quarter (cost_trend)
  is not dominated. system_cost's FZ12A Q1 cell (nine records) is one patient's £15,000 of £15,120;
- elective (EL): one patient's three episodes at Alpha of HRG FZ22A with £3,000 of theatre each, in a spell whose
  HRG is FZ22B; three at Gamma of £400 and nine at Beta of £50, without a patient (spell HRG FZ22A). The ICS theatre
  cell of EL + FZ22A (episodes) is £10,650, the largest two £9,400 of it (88%, over the nk rule's 85%; the rest is
  more than 10% of the largest, so the hidden Alpha and Gamma together leave Alpha's cost room of 13%, and the check
  of ICS rates against hidden providers does not catch it). inpatient_cost_drivers' cell of EL + FZ22A (spells) is
  Gamma's and Beta's spells only, not dominated, so the link from it (RESTATED_ICS_DOMINANCE) missed it;
- elective FZ33A's therapies at Beta: in TFC 110 one patient's three episodes of £1,000 and six of £1 without a
  patient, in TFC 120 another patient's the same, in TFC 130 nine of £1; nine of £1 at Alpha in TFC 110. Beta's TFC
  110 and 120 cells are dominated (and hidden, each protecting the other); the POD + HRG therapies row of
  opportunity_summary adds them up with TFC 130's (£6,021, two patients' £6,000) and is dominated too, at Beta and
  across the ICS, but was checked only through its parts.
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
from tests.engine.publish.test_quarter_dominance import _blank, dominated_cells

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
HEADER = [*APC_HEADER, "spell_hrg"]
# (org, record, quarter, POD, HRG, spell HRG, NHS number or blank, ward cost, theatre cost)
# and the therapies records: (org, record, TFC, NHS number or blank, therapies cost), EL, HRG FZ33A, Q1, £100 ward care
THERAPIES = [
    *[("ZZB", f"T{i}", "110", P3, 1000) for i in range(3)],
    *[("ZZB", f"T{i}", "110", "", 1) for i in range(3, 9)],
    *[("ZZB", f"T{i}", "120", P2, 1000) for i in range(9, 12)],
    *[("ZZB", f"T{i}", "120", "", 1) for i in range(12, 18)],
    *[("ZZB", f"T{i}", "130", "", 1) for i in range(18, 27)],
    *[("ZZA", f"T{i}", "110", "", 1) for i in range(9)],
]
RECORDS = [
    *[("ZZA", f"A{i}", 1, "NEL", "HT12A", "HT12A", "", 10, 3000) for i in range(9)],
    *[("ZZB", f"B{i}", 1, "NEL", "HT12A", "HT12A", "", 10, 3000) for i in range(9)],
    *[("ZZC", f"C{i}", 1, "NEL", "HT12A", "HT12A", P1, 5000, 0) for i in range(3)],
    *[("ZZB", f"D{i}", 1, "DC", "FZ12A", "FZ12A", P3, 5000, 0) for i in range(3)],
    *[("ZZB", f"D{i}", 1, "DC", "FZ12A", "FZ12A", "", 20, 0) for i in range(3, 9)],
    *[("ZZB", f"D{i}", 2, "DC", "FZ12A", "FZ12A", "", 2000, 0) for i in range(9, 18)],
    *[("ZZB", f"F{q}{i}", q, "DC", "FZ13A", "FZ13A", "", 5000, 0) for q in (1, 2) for i in range(9)],
    *[("ZZA", f"E{i}", 1, "EL", "FZ22A", "FZ22B", P2, 10, 3000) for i in range(3)],
    *[("ZZC", f"E{i}", 1, "EL", "FZ22A", "FZ22A", "", 10, 400) for i in range(3)],
    *[("ZZB", f"E{i}", 1, "EL", "FZ22A", "FZ22A", "", 10, 50) for i in range(9)],
]
DATES = {1: ("2023-04-01", "2023-04-05", 1), 2: ("2023-07-01", "2023-07-05", 4)}
TABLES = ("service_line_benchmark", "system_cost", "opportunity_summary", "inpatient_cost_drivers")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root: Path = tmp_path_factory.mktemp("dominance_gaps")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config_module.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
        patch.delenv("ICSBENCH_CONFIG", raising=False)
        workspace = Workspace(root, CONFIG)
        files = []
        for org in ("ZZA", "ZZB", "ZZC"):
            activity, costs = [], []
            for _, rid, quarter, pod, hrg, spell_hrg, nhs, ward, theatre in (r for r in RECORDS if r[0] == org):
                admitted, discharged, period = DATES[quarter]
                row = apc_row(
                    rid,
                    org_code=org,
                    nhs_number=nhs,
                    pod=pod,
                    hrg=hrg,
                    period=period,
                    admission_date=admitted,
                    discharge_date=discharged,
                )
                activity.append([*row, spell_hrg])
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
            for _, rid, tfc, nhs, therapies in (r for r in THERAPIES if r[0] == org):
                row = apc_row(rid, org_code=org, nhs_number=nhs, pod="EL", hrg="FZ33A", tfc=tfc)
                activity.append([*row, "FZ33A"])
                costs.append(cost_row(rid, 100, org_code=org))
                costs.append(
                    cost_row(
                        rid,
                        therapies,
                        org_code=org,
                        cost_driver="therapies",
                        cost_resource="ahp",
                        activity_count=1,
                        activity_unit="contacts",
                        location="AHP1",
                    )
                )
            files.append(workspace.write_csv(f"{org}_apc_2324_activity.csv", HEADER, activity))
            files.append(workspace.write_csv(f"{org}_apc_2324_cost_lines.csv", COST_HEADER, costs))
        outcomes = workspace.load(*files)
        assert {o.status for o in outcomes} == {"loaded"}, [o.message for o in outcomes]
        store = open_store(workspace.config)
        try:
            refresh_store(store)
            published = {name: store.con.sql(f"SELECT * FROM published.{name}").df() for name in TABLES}
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


def test_a_service_lines_ics_ward_cost_one_patient_dominates_is_blank(built: dict[str, Any]) -> None:
    rule, records = built["rule"], built["records"]
    line = records[(records["pod"] == "NEL") & records["hrg"].str.startswith("HT12")]
    ward = line[line["cost_driver"] == "ward"]
    periods = pd.concat([ward.assign(period="Q" + ward["quarter"].astype(str)), ward.assign(period="year")])
    ics = dominated_cells(periods, ["period"], rule)
    assert ics == {("Q1",), ("year",)}
    # not the ICS's whole cost, nor Alpha's or Beta's own ward cost: only the ICS ward cell's check catches it
    assert not dominated_cells(line.assign(period="year"), ["period"], rule)
    assert not dominated_cells(periods[periods["org_code"] != "ZZC"], ["org_code", "period"], rule)
    published = built["published"]["service_line_benchmark"]
    rows = published[published["org_code"].isin(["ZZA", "ZZB"])]
    assert len(rows) == 4, rows[["org_code", "period"]]
    for row in rows.to_dict("records"):
        assert (row["period"],) in ics
        assert _blank(row["ics_ward_cost_per_bed_day"]), row
    # the providers' own figures stay shown, so the check does not pass by hiding the rows
    assert rows["ward_cost_per_bed_day"].notna().any() and rows["total_cost"].notna().any()


def test_a_system_cost_quarter_one_patient_dominates_is_blank(built: dict[str, Any]) -> None:
    rule, records = built["rule"], built["records"]
    cells = dominated_cells(records, ["org_code", "pod", "hrg", "quarter"], rule)
    assert ("ZZB", "DC", "FZ12A", 1) in cells
    # the year's day case cell is not dominated (unit_cost_benchmark's): only the quarter's check catches it
    assert ("ZZB", "DC", "FZ12A") not in dominated_cells(records, ["org_code", "pod", "hrg"], rule)
    system = built["published"]["system_cost"]
    shown = 0
    for row in system.to_dict("records"):
        key = (row["org_code"], row["pod"], row["hrg"], int(row["quarter"]))
        if key in cells:
            assert _blank(row["total_cost"]) and _blank(row["mean_cost"]), row
        elif not _blank(row["total_cost"]):
            shown += 1
    # cells nothing dominates stay shown (Beta's Q2 day cases, Alpha's and Beta's service line)
    assert shown >= 1


def test_an_episode_hrg_ics_theatre_cell_one_patient_dominates_is_blank(built: dict[str, Any]) -> None:
    rule, records = built["rule"], built["records"]
    theatre = records[records["cost_driver"] == "theatre"]
    ics = dominated_cells(theatre, ["pod", "hrg"], rule)
    assert ("EL", "FZ22A") in ics
    assert ("ZZB", "EL", "FZ22A") not in dominated_cells(theatre, ["org_code", "pod", "hrg"], rule)
    summary = built["published"]["opportunity_summary"]
    rows = summary[(summary["cost_driver"] == "theatre") & (summary["pod"] == "EL") & (summary["hrg"] == "FZ22A")]
    beta = rows[rows["org_code"] == "ZZB"]
    assert len(beta) == 1 and not _blank(beta["cost"].iloc[0])
    for row in rows.to_dict("records"):
        assert _blank(row["ics_mean_cost"]), row
    # inpatient_cost_drivers' cell of EL + FZ22A is by the spells' HRG: Beta's nine spells only, not dominated
    drivers = built["published"]["inpatient_cost_drivers"]
    spells = drivers[(drivers["pod"] == "EL") & (drivers["hrg"] == "FZ22A")]
    assert set(spells["org_code"]) == {"ZZB", "ZZC"}


def test_a_pod_hrg_driver_row_one_patient_dominates_is_blank(built: dict[str, Any]) -> None:
    rule, records = built["rule"], built["records"]
    therapies = records[(records["cost_driver"] == "therapies") & (records["hrg"] == "FZ33A")]
    assert dominated_cells(therapies, ["org_code", "pod", "hrg"], rule) == {("ZZB", "EL", "FZ33A")}
    assert dominated_cells(therapies, ["pod", "hrg"], rule) == {("EL", "FZ33A")}
    summary = built["published"]["opportunity_summary"]
    rows = summary[(summary["cost_driver"] == "therapies") & (summary["hrg"] == "FZ33A")]
    assert set(rows["org_code"]) == {"ZZA", "ZZB"}
    for row in rows.to_dict("records"):
        assert _blank(row["ics_mean_cost"]), row
        if row["org_code"] == "ZZB":
            assert _blank(row["cost"]) and _blank(row["mean_cost"]), row
    # Alpha's own therapies row (nine records of £1) is not dominated: shown, so the check does not hide every row
    alpha = rows[rows["org_code"] == "ZZA"]
    assert not _blank(alpha["cost"].iloc[0]), summary[summary["hrg"] == "FZ33A"][["org_code", "cost_driver", "cost"]]

"""Every comparison in its unit of count, and national prices at the schedule's own grain, on a hand-built ICS.

The ICS has two providers and a national schedule written here as the NCC workbook is laid out (one sheet per
department; outpatient sheets by treatment function, emergency medicine by department type), with round prices so
every figure can be checked on paper:

- mental health inpatients (MHBD, currency MHPS) priced at £650 a bed day; ZZA's stays cost exactly that, so it has
  no opportunity against national in any form, where a comparison per record (the old bug) would have shown one;
- critical care XC06Z at £1,800 a day: ZZA's two periods of 3 and 5 days cost £14,400, exactly 8 days' worth;
- outpatient WF01A in TFC 110: £150 consultant led, £100 not; TFC 300 has no price of its own, so the all-specialty
  price (activity weighted over every TFC) stands in, and national_basis says so;
- emergency care VB08Z: £300 for a type 01 attendance leading to admission, £200 not (500 and 1,500 nationally, so
  type 01 is £225), £100 at type 03;
- ZZB has a market forces factor of 1.1: its national prices are 10% higher, and its cost per WAU divides by 1.1;
- a national trim point of 6 days for HT12A non-elective stays caps ZZA's 9-day spell.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from engine import config as config_module
from engine.jobs import refresh_store
from engine.store import open_store
from tests.conftest import PSEUDONYM_KEY, Workspace, query_store

CONFIG = """
[ics]
name = "Comparator ICS"

[[providers]]
code = "ZZA"
name = "Alpha (synthetic)"
type = "acute"

[[providers]]
code = "ZZB"
name = "Beta (synthetic)"
type = "acute"

[store]
path = "store.duckdb"

[benchmarks]
national_schedule = "ncc_schedule.xlsx"
market_forces_factors = "mff.csv"
los_trim_points = "trim_points.csv"
wau_constants = { "2023/24" = 650.0 }

"""
EXTRACTS = "".join(
    f'\n[[extracts]]\npattern = "*_{setting}_activity.csv"\nsetting = "{setting}"\n'
    f'\n[[extracts]]\npattern = "*_{setting}_cost_lines.csv"\nsetting = "{setting}"\nlayout = "cost_lines"\n'
    for setting in ("apc", "cc", "op", "ec", "mh")
)

SHEETS: dict[str, tuple[list[str], list[list[Any]]]] = {
    "Index": (["National schedule of NHS costs (synthetic test copy)"], []),
    "MHPS": (
        ["Currency Code", "Currency Description", "Activity", "National Average Unit Cost"],
        [["MHPS", "Mental Health Provider Spell", 1000, 650]],
    ),
    "CC": (
        ["Currency Code", "Currency Description", "Activity", "National Average Unit Cost"],
        [["XC06Z", "Adult Critical Care, 1 Organ Supported", 2000, 1800]],
    ),
    "CL": (
        [
            "Service Code",
            "Service Description",
            "Currency Code",
            "Currency Description",
            "Activity",
            "National Average Unit Cost",
        ],
        [
            ["110", "Trauma and Orthopaedic Service", "WF01A", "Follow-up", 3000, 150],
            ["130", "Ophthalmology Service", "WF01A", "Follow-up", 1000, 250],
        ],
    ),
    "NCL": (
        [
            "Service Code",
            "Service Description",
            "Currency Code",
            "Currency Description",
            "Activity",
            "National Average Unit Cost",
        ],
        [["110", "Trauma and Orthopaedic Service", "WF01A", "Follow-up", 500, 100]],
    ),
    "EM": (
        ["Service Code", "Currency Code", "Currency Description", "Activity", "National Average Unit Cost"],
        [
            ["T01A", "VB08Z", "Category 2 Investigation with Category 1 Treatment", 500, 300],
            ["T01NA", "VB08Z", "Category 2 Investigation with Category 1 Treatment", 1500, 200],
            ["T03NA", "VB08Z", "Category 2 Investigation with Category 1 Treatment", 1000, 100],
        ],
    ),
    "NEI_L": (
        ["Currency Code", "Currency Description", "Activity", "National Average Unit Cost"],
        [["HT12A", "Very Major Hip Procedures", 100, 5000]],
    ),
}


def _workbook(path: Path) -> None:
    book = xlsxwriter.Workbook(str(path))
    for name, (header, rows) in SHEETS.items():
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, ["Title row above the table, as the NCC workbook has"])
        sheet.write_row(2, 0, header)
        for number, row in enumerate(rows, start=3):
            sheet.write_row(number, 0, row)
    book.close()


ACTIVITY: dict[str, tuple[list[str], list[list[Any]]]] = {
    "mh": (
        ["org_code", "fin_year", "period", "record_id", "pod", "hrg", "bed_days"],
        [["ZZA", "2023/24", 1, "MH1", "MHBD", "MHPS", 10], ["ZZA", "2023/24", 2, "MH2", "MHBD", "MHPS", 20]],
    ),
    "cc": (
        ["org_code", "fin_year", "period", "record_id", "pod", "hrg", "unit_type", "apc_record_id", "bed_days"],
        [
            ["ZZA", "2023/24", 1, "CC1", "CC", "XC06Z", "adult", "AP1", 3],
            ["ZZA", "2023/24", 1, "CC2", "CC", "XC06Z", "adult", "AP1", 5],
        ],
    ),
    "op": (
        ["org_code", "fin_year", "period", "record_id", "pod", "tfc", "hrg", "consultant_led"],
        [
            ["ZZA", "2023/24", 1, "OP1", "OPFU", "110", "WF01A", "Y"],
            ["ZZA", "2023/24", 1, "OP2", "OPFU", "110", "WF01A", "Y"],
            ["ZZA", "2023/24", 1, "OP3", "OPFU", "110", "WF01A", "N"],
            ["ZZB", "2023/24", 1, "OP4", "OPFU", "110", "WF01A", "Y"],
            ["ZZA", "2023/24", 1, "OP5", "OPFU", "300", "WF01A", ""],
        ],
    ),
    "ec": (
        ["org_code", "fin_year", "period", "record_id", "pod", "hrg", "department_type"],
        [["ZZA", "2023/24", 1, "EC1", "EC", "VB08Z", "01"], ["ZZA", "2023/24", 1, "EC2", "EC", "VB08Z", "03"]],
    ),
    "apc": (
        [
            "org_code",
            "fin_year",
            "period",
            "record_id",
            "spell_id",
            "pod",
            "tfc",
            "hrg",
            "admission_date",
            "discharge_date",
            "los",
        ],
        [
            ["ZZA", "2023/24", 1, "AP1", "S1", "NEL", "110", "HT12A", "2023-04-01", "2023-04-10", 9],
            ["ZZA", "2023/24", 1, "AP2", "S2", "NEL", "110", "HT12A", "2023-04-01", "2023-04-04", 3],
        ],
    ),
}
# Cost per record, in pennies so the totals are exact.
COSTS = {
    "MH1": "6500.00",
    "MH2": "13000.00",
    "CC1": "5400.00",
    "CC2": "9000.00",
    "OP1": "160.00",
    "OP2": "160.00",
    "OP3": "100.00",
    "OP4": "200.00",
    "OP5": "180.00",
    "EC1": "240.00",
    "EC2": "90.00",
    "AP1": "6000.00",
    "AP2": "4000.00",
}


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config_module.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
        patch.delenv("ICSBENCH_CONFIG", raising=False)
        workspace = Workspace(tmp_path_factory.mktemp("comparators"), CONFIG + EXTRACTS)
        _workbook(workspace.root / "ncc_schedule.xlsx")
        workspace.write_csv("mff.csv", ["org_code", "mff"], [["ZZB", "1.1"]])
        workspace.write_csv("trim_points.csv", ["hrg", "elective", "non_elective"], [["HT12A", "", "6"]])
        files = []
        for setting, (header, rows) in ACTIVITY.items():
            files.append(workspace.write_csv(f"ics_{setting}_activity.csv", header, rows))
            lines = [[r[0], "2023/24", r[2], r[3], "other", "all", COSTS[r[3]]] for r in rows]
            files.append(
                workspace.write_csv(
                    f"ics_{setting}_cost_lines.csv",
                    ["org_code", "fin_year", "period", "record_id", "cost_driver", "cost_resource", "cost"],
                    lines,
                )
            )
        outcomes = workspace.load(*files)
        assert {o.status for o in outcomes} == {"loaded"}, [o.message for o in outcomes]
        store = open_store(workspace.config)
        try:
            refresh_store(store)
            out = {}
            for name in ("unit_cost_benchmark", "los_benchmark", "cost_per_wau", "critical_care"):
                cursor = store.con.execute(f"SELECT * FROM results.{name}")
                columns = [d[0] for d in cursor.description]
                out[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
            return out
        finally:
            store.close()


def _row(rows: list[dict[str, Any]], **keys: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r[k] == v for k, v in keys.items())]
    assert len(found) == 1, (keys, found)
    return found[0]


def test_mental_health_bed_days_are_compared_per_bed_day_and_exactly_national_shows_nothing(tables: Any) -> None:
    mh = _row(tables["unit_cost_benchmark"], pod="MHBD", org_code="ZZA")
    assert (mh["unit_of_count"], mh["activity"], mh["units"]) == ("bed_day", 2, 30)
    assert mh["mean_cost"] == pytest.approx(650)  # £19,500 / 30 bed days, not £9,750 a record
    assert mh["national_mean_cost"] == pytest.approx(650)
    assert mh["opportunity_vs_national"] == 0 and mh["net_vs_national"] == pytest.approx(0, abs=1e-9)


def test_critical_care_is_compared_per_day_in_every_table(tables: Any) -> None:
    cell = _row(tables["unit_cost_benchmark"], pod="CC", org_code="ZZA")
    assert (cell["unit_of_count"], cell["activity"], cell["units"]) == ("critical_care_day", 2, 8)
    assert cell["mean_cost"] == pytest.approx(1800) == cell["national_mean_cost"]  # £14,400 / 8 days
    assert cell["opportunity_vs_national"] == pytest.approx(0, abs=1e-9)
    unit = _row(tables["critical_care"], org_code="ZZA")
    assert (unit["bed_days"], unit["cost_per_bed_day"], unit["national_cost_per_bed_day"]) == (
        8,
        pytest.approx(1800),
        pytest.approx(1800),
    )


def test_outpatients_are_priced_by_treatment_function_and_who_led_the_clinic(tables: Any) -> None:
    zza = _row(tables["unit_cost_benchmark"], pod="OPFU", tfc="110", org_code="ZZA")
    # two consultant-led attendances at £150 and one not at £100: (150 + 150 + 100) / 3
    assert zza["national_mean_cost"] == pytest.approx(400 / 3)
    assert zza["national_basis"] == "NCC 2023/24: price for the TFC"
    # ZZB's one consultant-led attendance at £150, times its market forces factor of 1.1
    zzb = _row(tables["unit_cost_benchmark"], pod="OPFU", tfc="110", org_code="ZZB")
    assert zzb["national_mean_cost"] == pytest.approx(165)
    assert zzb["national_basis"] == "NCC 2023/24: price for the TFC, x market forces factor 1.1"
    # the cell's national benchmark for both providers together: (150 + 150 + 100 + 165) / 4
    assert zza["ics_national_mean_cost"] == zzb["ics_national_mean_cost"] == pytest.approx(565 / 4)
    # TFC 300 has no price of its own: consultant-led WF01A over every TFC, (3,000 x 150 + 1,000 x 250) / 4,000
    other = _row(tables["unit_cost_benchmark"], pod="OPFU", tfc="300", org_code="ZZA")
    assert other["national_mean_cost"] == pytest.approx(175)
    assert other["national_basis"] == "NCC 2023/24: all-specialty price (the schedule has none for the TFC)"


def test_emergency_care_is_priced_by_department_type(tables: Any) -> None:
    cell = _row(tables["unit_cost_benchmark"], pod="EC", org_code="ZZA")
    # type 01: (500 x 300 + 1,500 x 200) / 2,000 = 225; type 03: 100
    assert cell["national_mean_cost"] == pytest.approx((225 + 100) / 2)
    assert cell["national_basis"] == "NCC 2023/24: prices by department type"


def test_a_national_trim_point_caps_long_stays(tables: Any) -> None:
    cell = _row(tables["los_benchmark"], pod="NEL", hrg="HT12A", org_code="ZZA")
    assert (cell["trim_point"], cell["trim_point_source"]) == (6, "national")
    assert (cell["bed_days"], cell["trimmed_bed_days"], cell["long_stay_bed_days"]) == (12, 9, 3)
    assert (cell["mean_los"], cell["mean_los_untrimmed"]) == (pytest.approx(4.5), pytest.approx(6))


def test_cost_per_wau_by_a_hand_worked_example(tables: Any) -> None:
    # Outpatients, with 2023/24's constant set to £650 a WAU in the config. ZZA's five attendances are priced
    # 150 + 150 + 100 + 175 (TFC 300, all-specialty) = £575 nationally: 575 / 650 = 0.8846 WAU, and they cost
    # 160 + 160 + 100 + 180 = £600 (OP4 is ZZB's), so cost per WAU = 600 / 1 (no MFF) / (575 / 650) = £678.26.
    zza = _row(tables["cost_per_wau"], setting="op", org_code="ZZA")
    assert zza["wau_constant"] == 650
    assert zza["wau"] == pytest.approx(575 / 650)
    assert zza["cost_per_wau"] == pytest.approx(600 / (575 / 650))
    assert zza["priced_cost"] == Decimal("600.00")
    # ZZB: one attendance at £150 nationally (WAU 150 / 650); it cost £200 and its MFF is 1.1, so
    # cost per WAU = 200 / 1.1 / (150 / 650) = £787.88
    zzb = _row(tables["cost_per_wau"], setting="op", org_code="ZZB")
    assert zzb["market_forces_factor"] == pytest.approx(1.1)
    assert zzb["wau"] == pytest.approx(150 / 650)
    assert zzb["cost_per_wau"] == pytest.approx(200 / 1.1 / (150 / 650))
    # the median of two providers is their mean; ZZB is above it by (787.88 - 733.07) x WAU x MFF in its own pounds
    median = (600 / (575 / 650) + 200 / 1.1 / (150 / 650)) / 2
    assert zzb["ics_median_cost_per_wau"] == pytest.approx(median)
    assert zzb["opportunity_vs_median"] == pytest.approx((200 / 1.1 / (150 / 650) - median) * (150 / 650) * 1.1)
    # the whole trust: every priced record of ZZA (MH, CC, OP, EC and admitted care) in one figure
    trust = _row(tables["cost_per_wau"], setting="(all)", org_code="ZZA")
    national = 30 * 650 + 8 * 1800 + 575 + 325 + 2 * 5000
    assert trust["wau"] == pytest.approx(national / 650)


def test_synthetic_mental_health_and_critical_care_match_their_planted_efficiency_against_national(
    refreshed_ics: Any,
) -> None:
    """The synthetic ICS costs each record at the national price of its currency, in its unit, x the provider's
    efficiency factor (the manifest) x noise: compared per unit, each provider's cost against national must come out
    within 5% of that factor. Compared per record, mental health bed days came out at about 18 times national."""
    result, config = refreshed_ics
    efficiency = {p["code"]: p["efficiency_factor"] for p in json.loads(result.manifest_path.read_text())["providers"]}
    rows = query_store(
        config,
        "SELECT org_code, pod, sum(total_cost), sum(national_mean_cost * units), sum(opportunity_vs_national), "
        "sum(units), min(unit_of_count) FROM results.unit_cost_benchmark WHERE pod IN ('MHBD', 'CC') "
        "AND national_mean_cost IS NOT NULL GROUP BY org_code, pod ORDER BY org_code, pod",
    )
    assert {(org, pod) for org, pod, *_ in rows} >= {("ZZA", "CC"), ("ZZB", "CC"), ("ZZC", "CC"), ("ZZD", "MHBD")}
    for org, pod, cost, national, opportunity, _units, unit in rows:
        ratio = float(cost) / national
        assert ratio == pytest.approx(efficiency[org], rel=0.05), (org, pod, ratio)
        assert unit == ("bed_day" if pod == "MHBD" else "critical_care_day")
        if efficiency[org] < 0.99:  # cheaper than national: little or nothing to find against it
            assert opportunity <= 0.05 * float(cost), (org, pod, opportunity)

"""Service lines by a hand-worked example: which records a service line takes, its benchmark by year and quarter,
its trend, the period alignment check, the costing data-quality score, wards, drivers and patient profile.

The expected figures are worked out in this file from the rows it loads, not read back from the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from engine import config as config_module
from engine import jobs
from engine.errors import IcsBenchError
from engine.jobs import refresh_store
from engine.store import open_store
from tests.conftest import APC_HEADER, BASE_CONFIG, COST_HEADER, PSEUDONYM_KEY, VALID_NHS, Workspace, apc_row, cost_row

SERVICE_LINES = """
[benchmarks]
best_in_system_min_cases = 1
headline_min_cases = 1
pool_periods = "{pool}"

[[service_lines]]
name = "NEL hip procedures for trauma"
pods = ["NEL"]
hrgs = ["HT12", "HT13"]
commentary = "commentary/hip.md"

[[service_lines]]
name = "Hip fracture by diagnosis"
pods = ["NEL"]
hrgs = ["HT12"]
diagnoses = ["S72"]
"""
HEADER = [*APC_HEADER, "primary_diagnosis"]
COMMENTARY = "# What we found\n\nZZB's theatre cost per case is **above** the ICS; the service group reviews it.\n"
HIP = "NEL hip procedures for trauma"
# The benchmark tables that carry periods_aligned and costing_score beside their figures.
BENCHMARK_TABLES = (
    "unit_cost_benchmark",
    "cost_driver_benchmark",
    "los_benchmark",
    "opportunity_summary",
    "cost_per_wau",
)
FRACTURE = "Hip fracture by diagnosis"

# record id -> (org, period, pod, hrg, diagnosis, age, lsoa), and its cost lines (driver, cost, count, unit, ward).
RECORDS: dict[str, tuple[str, int, str, str, str, int, str]] = {
    "A1": ("ZZA", 1, "NEL", "HT12A", "S720", 82, "E01012681"),
    "A2": ("ZZA", 2, "NEL", "HT13B", "S721", 70, "E01012681"),
    "A3": ("ZZA", 1, "EL", "HT12A", "S720", 60, "E01012681"),  # elective: not in either service line
    "A4": ("ZZA", 1, "NEL", "HN12A", "S720", 75, "E01012681"),  # another HRG: not in either
    "A5": ("ZZA", 4, "NEL", "HT12A", "M161", 90, "E01012681"),  # hip HRG, not a fracture diagnosis
    "B1": ("ZZB", 1, "NEL", "HT12A", "S722", 85, "E01012681"),
    "B2": ("ZZB", 2, "NEL", "HT12C", "S720", 40, "E01012681"),
}
LINES: dict[str, list[tuple[str, str, int | str, str, str]]] = {
    "A1": [("ward", "1000.10", 4, "bed_days", "W1"), ("theatre", "500.00", 90, "theatre_minutes", "TH1")],
    "A2": [("ward", "2000.00", 5, "bed_days", "W2"), ("overheads", "300.05", "", "", "")],
    "A3": [("ward", "700.00", 2, "bed_days", "W1")],
    "A4": [("ward", "900.00", 3, "bed_days", "W1")],
    "A5": [("ward", "1200.00", 4, "bed_days", "W1")],
    "B1": [("ward", "3000.00", 6, "bed_days", "B WARD"), ("theatre", "900.00", "", "", "TH")],
    "B2": [("ward", "2500.00", 5, "bed_days", "B WARD")],
}


def _in_hip(record: str) -> bool:
    _, _, pod, hrg, *_ = RECORDS[record]
    return pod == "NEL" and hrg[:4] in ("HT12", "HT13")


def _cost(record: str) -> Decimal:
    return sum((Decimal(line[1]) for line in LINES[record]), Decimal(0))


def _build(root: Any, pool: str) -> dict[str, list[dict[str, Any]]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config_module.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
        patch.delenv("ICSBENCH_CONFIG", raising=False)
        workspace = Workspace(root, BASE_CONFIG + SERVICE_LINES.format(pool=pool))
        activity = [
            [
                *apc_row(
                    record,
                    org_code=org,
                    period=period,
                    pod=pod,
                    hrg=hrg,
                    age=age,
                    lsoa=lsoa,
                    nhs_number=VALID_NHS[number % len(VALID_NHS)],
                ),
                diagnosis,
            ]
            for number, (record, (org, period, pod, hrg, diagnosis, age, lsoa)) in enumerate(RECORDS.items())
        ]
        costs = [
            cost_row(
                record,
                cost,
                org_code=RECORDS[record][0],
                period=RECORDS[record][1],
                cost_driver=driver,
                activity_count=count,
                activity_unit=unit,
                location=ward,
            )
            for record, lines in LINES.items()
            for driver, cost, count, unit, ward in lines
        ]
        files = []
        for org in ("ZZA", "ZZB"):
            files.append(
                workspace.write_csv(f"{org}_apc_2324_activity.csv", HEADER, [r for r in activity if r[0] == org])
            )
            files.append(
                workspace.write_csv(f"{org}_apc_2324_cost_lines.csv", COST_HEADER, [r for r in costs if r[0] == org])
            )
        outcomes = workspace.load(*files)
        assert {o.status for o in outcomes} == {"loaded"}, [o.message for o in outcomes]
        store = open_store(workspace.config)
        try:
            refresh_store(store)
            out = {}
            for name in (
                "service_line_benchmark",
                "service_line_drivers",
                "service_line_wards",
                "service_line_profile",
                "period_alignment",
                "costing_quality",
                "service_line_los",
                "cost_trend",
                *BENCHMARK_TABLES,
            ):
                cursor = store.con.execute(f"SELECT * FROM results.{name}")
                columns = [d[0] for d in cursor.description]
                out[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        finally:
            store.close()
        (root / "commentary").mkdir()
        (root / "commentary" / "hip.md").write_text(COMMENTARY, encoding="utf-8")
        for service in (HIP, FRACTURE):
            done = jobs.pack(workspace.config, service, root / f"{service}.html", pdf=False)
            out[f"pack {service}"] = [{"html": done.html.read_text(encoding="utf-8"), "pdf": done.pdf}]
        return out


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[dict[str, Any]]]]:
    yield _build(tmp_path_factory.mktemp("service-lines"), "all")


def _rows(rows: list[dict[str, Any]], **keys: Any) -> list[dict[str, Any]]:
    return [r for r in rows if all(r[k] == v for k, v in keys.items())]


def _row(rows: list[dict[str, Any]], **keys: Any) -> dict[str, Any]:
    found = _rows(rows, **keys)
    assert len(found) == 1, (keys, found)
    return found[0]


def test_a_service_line_takes_the_records_its_pods_hrg_roots_and_diagnoses_match(tables: Any) -> None:
    rows = tables["service_line_benchmark"]
    for org in ("ZZA", "ZZB"):
        mine = [r for r in RECORDS if RECORDS[r][0] == org and _in_hip(r)]
        row = _row(rows, service_line=HIP, period="year", org_code=org)
        assert row["activity"] == len(mine)
        assert row["total_cost"] == sum(_cost(r) for r in mine)  # to the penny
        fractures = [r for r in mine if RECORDS[r][3].startswith("HT12") and RECORDS[r][4].startswith("S72")]
        assert _row(rows, service_line=FRACTURE, period="year", org_code=org)["activity"] == len(fractures)


def test_the_service_benchmark_applies_the_benchmark_method_three_ways(tables: Any) -> None:
    rows = _rows(tables["service_line_benchmark"], service_line=HIP, period="year")
    costs = {org: [_cost(r) for r in RECORDS if RECORDS[r][0] == org and _in_hip(r)] for org in ("ZZA", "ZZB")}
    means = {org: float(sum(c)) / len(c) for org, c in costs.items()}
    ics_mean = float(sum(sum(c) for c in costs.values())) / sum(len(c) for c in costs.values())
    best_org = min(means, key=lambda o: (means[o], o))
    for org, mean in means.items():
        row = _row(rows, org_code=org)
        assert row["mean_cost"] == pytest.approx(mean)
        assert row["ics_mean_cost"] == pytest.approx(ics_mean)
        assert row["best_in_system_org"] == best_org
        assert row["opportunity_vs_ics"] == pytest.approx(max(0.0, (mean - ics_mean) * len(costs[org])))
        assert row["net_vs_ics"] == pytest.approx((mean - ics_mean) * len(costs[org]))
        assert row["opportunity_vs_best"] == pytest.approx((mean - means[best_org]) * len(costs[org]))
        assert row["significant_vs_ics"] <= row["opportunity_vs_ics"]
    assert sum(r["net_vs_ics"] for r in rows) == pytest.approx(0.0, abs=1e-6)  # netted against the ICS: sums to 0


def test_theatre_time_ward_cost_per_bed_day_and_length_of_stay(tables: Any) -> None:
    row = _row(tables["service_line_benchmark"], service_line=HIP, period="year", org_code="ZZB")
    assert row["theatre_cost"] == Decimal("900.00")
    assert row["theatre_minutes"] == 0  # B1's theatre line counts no minutes
    assert row["ward_cost"] == Decimal("5500.00")
    assert row["ward_cost_per_bed_day"] == pytest.approx(5500 / 11)
    zza = _row(tables["service_line_benchmark"], service_line=HIP, period="year", org_code="ZZA")
    assert zza["theatre_minutes_per_case"] == pytest.approx(90 / 3)
    assert zza["spells"] == 3 and zza["mean_los"] == pytest.approx(4.0)  # apc_row's los
    assert zza["ics_theatre_minutes_per_case"] == pytest.approx(90 / 5)
    assert zza["ics_ward_cost_per_bed_day"] == pytest.approx((1000.10 + 2000 + 1200 + 5500) / (4 + 5 + 4 + 11))


def test_quarters_add_up_to_the_year_and_carry_the_trend(tables: Any) -> None:
    rows = _rows(tables["service_line_benchmark"], service_line=HIP, org_code="ZZA")
    year = _row(rows, period="year")
    quarters = {r["period"]: r for r in rows if r["period"] != "year"}
    assert set(quarters) == {"Q1", "Q2"}  # A1, A2 in April and May (Q1); A5 in July (Q2)
    assert sum(q["total_cost"] for q in quarters.values()) == year["total_cost"]
    assert sum(q["activity"] for q in quarters.values()) == year["activity"]
    q1, q2 = quarters["Q1"], quarters["Q2"]
    assert q2["previous_mean_cost"] == pytest.approx(q1["mean_cost"])
    assert q2["change_vs_previous"] == pytest.approx(q2["mean_cost"] / q1["mean_cost"] - 1)
    assert q2["rolling_quarters"] == 2 and q2["rolling_activity"] == year["activity"]
    assert q2["rolling_mean_cost"] == pytest.approx(year["mean_cost"])
    assert q1["previous_mean_cost"] is None and year["previous_mean_cost"] is None


def test_a_year_pooled_from_different_months_is_flagged_everywhere_it_is_used(tables: Any) -> None:
    alignment = tables["period_alignment"]
    zza_months = {RECORDS[r][1] for r in RECORDS if RECORDS[r][0] == "ZZA"}
    zzb_months = {RECORDS[r][1] for r in RECORDS if RECORDS[r][0] == "ZZB"}
    for row in alignment:
        assert row["aligned"] == 0
        months = zza_months if row["org_code"] == "ZZA" else zzb_months
        assert row["loaded"] == int(row["period"] in months)
        assert row["in_common_periods"] == int(row["period"] in zza_months & zzb_months)
        assert row["common_months"] == len(zza_months & zzb_months)
    for table in ("service_line_benchmark", "service_line_drivers", *BENCHMARK_TABLES):
        assert tables[table], table
        assert {r["periods_aligned"] for r in tables[table]} == {0}, table


def test_pooling_only_the_common_months_drops_the_months_one_provider_lacks(
    tmp_path: Any,
) -> None:
    common = _build(tmp_path, "common")
    shared = {RECORDS[r][1] for r in RECORDS if RECORDS[r][0] == "ZZA"} & {
        RECORDS[r][1] for r in RECORDS if RECORDS[r][0] == "ZZB"
    }
    kept = [r for r in RECORDS if RECORDS[r][0] == "ZZA" and _in_hip(r) and RECORDS[r][1] in shared]
    row = _row(common["service_line_benchmark"], service_line=HIP, period="year", org_code="ZZA")
    assert row["activity"] == len(kept)
    assert row["total_cost"] == sum(_cost(r) for r in kept)
    assert row["periods_aligned"] == 0  # still flagged: the restriction is a choice, not a fix


def test_costing_checks_find_theatre_cost_without_minutes_and_score_it_beside_the_benchmark(tables: Any) -> None:
    quality = _rows(tables["costing_quality"], period="year", org_code="ZZB")
    check = _row(quality, check_code="theatre_cost_without_minutes")
    assert check["measure"] == pytest.approx(1.0) and check["passed"] == 0
    measured = [c for c in quality if c["passed"] is not None]
    score = 100 * sum(c["passed"] for c in measured) / len(measured)
    assert [c["score"] for c in quality] == pytest.approx([score] * len(quality))
    row = _row(tables["service_line_benchmark"], service_line=HIP, period="year", org_code="ZZB")
    assert row["costing_score"] == pytest.approx(score) and score < 100
    for table in BENCHMARK_TABLES:
        beside = [r["costing_score"] for r in tables[table] if r["org_code"] == "ZZB"]
        assert beside and beside == pytest.approx([score] * len(beside)), table
    overheads = _row(_rows(tables["costing_quality"], period="year", org_code="ZZA"), check_code="overhead_share")
    zza_cost = sum(_cost(r) for r in RECORDS if RECORDS[r][0] == "ZZA")
    assert overheads["measure"] == pytest.approx(300.05 / float(zza_cost))


def test_wards_and_drivers_add_up_to_the_service_lines_cost(tables: Any) -> None:
    for org in ("ZZA", "ZZB"):
        bench = _row(tables["service_line_benchmark"], service_line=HIP, period="year", org_code=org)
        wards = _rows(tables["service_line_wards"], service_line=HIP, org_code=org)
        assert sum(w["ward_cost"] for w in wards) == bench["ward_cost"]
        drivers = _rows(tables["service_line_drivers"], service_line=HIP, org_code=org)
        assert sum(d["driver_cost"] for d in drivers) == bench["total_cost"]
    w1 = _row(tables["service_line_wards"], service_line=HIP, org_code="ZZA", ward="W1")
    assert (w1["episodes"], w1["ward_cost"], w1["bed_days"]) == (2, Decimal("2200.10"), 8)  # A1 and A5, not A3/A4


def test_the_patient_profile_counts_each_patient_once_per_provider(tables: Any) -> None:
    rows = _rows(tables["service_line_profile"], service_line=HIP, org_code="ZZA")
    ages = {r["category"]: r["patients"] for r in rows if r["measure"] == "age_band"}
    # NHS numbers go by position: A1, A2 and A5 are numbers 0, 1 and 4 % 3 = 1, so A5 is A2's patient, whose
    # latest record of the service line (A5, in July) says 90.
    assert ages == {"75-84": 1, "85+": 1}
    assert sum(r["patients"] for r in rows if r["measure"] == "sex") == 2
    assert all(r["share"] == pytest.approx(r["patients"] / 2) for r in rows)


def test_length_of_stay_bands_add_up_to_the_spells(tables: Any) -> None:
    rows = _rows(tables["service_line_los"], service_line=HIP, org_code="ZZA")
    assert {r["los_band"]: r["spells"] for r in rows} == {"3-7": 3}  # three spells of 4 days (apc_row's los)
    assert rows[0]["provider_spells"] == 3 and rows[0]["share"] == 1.0
    zzb = _rows(tables["service_line_los"], service_line=HIP, org_code="ZZB")
    assert rows[0]["ics_spells"] == 3 + sum(r["spells"] for r in zzb)


def test_the_pack_carries_the_costing_leads_commentary_or_says_how_to_add_it(tables: Any, tmp_path: Any) -> None:
    with_commentary = tables[f"pack {HIP}"][0]
    assert "<h1>What we found</h1>" in with_commentary["html"]
    assert "<strong>above</strong>" in with_commentary["html"]
    assert with_commentary["pdf"] is None  # pdf=False writes the HTML only
    without = tables[f"pack {FRACTURE}"][0]["html"]
    assert "No commentary yet: write it in a Markdown file and name it in the config" in without


def test_a_pack_for_a_service_line_not_in_the_config_lists_the_ones_that_are(tmp_path: Any) -> None:
    config = config_module.parse(BASE_CONFIG + SERVICE_LINES.format(pool="all"), source="ics.toml", base_dir=tmp_path)
    with pytest.raises(IcsBenchError, match="no service line called 'Knees'; the service lines are: 'NEL hip"):
        jobs.pack(config, "Knees", tmp_path / "knees.html")


def test_the_cost_trend_adds_up_to_every_pound_and_carries_the_quarter_before(tables: Any) -> None:
    rows = tables["cost_trend"]
    assert sum(r["total_cost"] for r in rows) == sum(_cost(r) for r in RECORDS)  # to the penny
    nel = {r["quarter"]: r for r in _rows(rows, org_code="ZZA", pod="NEL")}
    quarter_of = {r: (RECORDS[r][1] - 1) // 3 + 1 for r in RECORDS}
    for quarter, row in nel.items():
        mine = [r for r in RECORDS if RECORDS[r][0] == "ZZA" and RECORDS[r][2] == "NEL" and quarter_of[r] == quarter]
        assert row["activity"] == len(mine) and row["total_cost"] == sum(_cost(r) for r in mine)
    assert nel[2]["previous_mean_cost"] == pytest.approx(nel[1]["mean_cost"])
    assert nel[2]["rolling_quarters"] == 2
    assert nel[2]["rolling_mean_cost"] == pytest.approx(
        float(nel[1]["total_cost"] + nel[2]["total_cost"]) / (nel[1]["activity"] + nel[2]["activity"])
    )
    assert {r["periods_aligned"] for r in rows} == {0}

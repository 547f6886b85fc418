"""service_line_benchmark, service_line_drivers, service_line_wards, ward_costs and inpatient_cost_drivers: a cell
one patient dominates is hidden, though its count is not small (issue 16).

A hand-built ICS where every pound is known, all in one service line (NEL, HRG HT12), one quarter and one ward (W1).
At Alpha Hospitals one patient's three episodes (each its own spell) cost £3,000 of ward care and £2,000 of theatre
each, beside six episodes without a patient of £100 ward and £20 theatre: nine episodes (more than seven), but the
patient is £15,000 of £15,720 (and £9,000 of the £9,600 on the ward). Beta Hospitals has nine episodes without a
patient of £1,000 ward and £200 theatre, so its cells and the ICS cells are not dominated. ACRO's own nk and p%
checks, run on the loaded records, judge independently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from engine import config as config_module
from engine.jobs import refresh_store
from engine.metrics import catalog
from engine.publish.suppression import SuppressionRule, dominated
from engine.store import open_store
from tests.conftest import APC_HEADER, BASE_CONFIG, COST_HEADER, PSEUDONYM_KEY, VALID_NHS, Workspace, apc_row, cost_row
from tests.engine.publish.test_acro_checks import DOMINANCE, _acro_config, _flags, contributions

pytestmark = [
    pytest.mark.slow,  # a whole refresh of a hand-built ICS
    pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning"),
]

LINE = "Hip procedures"
SERVICE_LINES = f"""
[[service_lines]]
name = "{LINE}"
pods = ["NEL"]
hrgs = ["HT12"]
"""
# (org, record, NHS number or blank for a record without a patient, ward cost, theatre cost)
RECORDS = [
    *[("ZZA", f"A{i}", VALID_NHS[0], 3000, 2000) for i in range(3)],
    *[("ZZA", f"A{i}", "", 100, 20) for i in range(3, 9)],
    *[("ZZB", f"B{i}", "", 1000, 200) for i in range(9)],
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root: Path = tmp_path_factory.mktemp("service_line_dominance")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config_module.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
        patch.delenv("ICSBENCH_CONFIG", raising=False)
        workspace = Workspace(root, BASE_CONFIG + SERVICE_LINES)
        files = []
        for org in ("ZZA", "ZZB"):
            mine = [r for r in RECORDS if r[0] == org]
            activity = [apc_row(rid, org_code=org, nhs_number=nhs) for _, rid, nhs, _, _ in mine]
            costs = [
                line
                for _, rid, _, ward, theatre in mine
                for line in (
                    cost_row(rid, ward, org_code=org),
                    cost_row(
                        rid,
                        theatre,
                        org_code=org,
                        cost_driver="theatre",
                        cost_resource="theatre_staff",
                        activity_count=60,
                        activity_unit="theatre_minutes",
                        location="TH1",
                    ),
                )
            ]
            files.append(workspace.write_csv(f"{org}_apc_2324_activity.csv", APC_HEADER, activity))
            files.append(workspace.write_csv(f"{org}_apc_2324_cost_lines.csv", COST_HEADER, costs))
        outcomes = workspace.load(*files)
        assert {o.status for o in outcomes} == {"loaded"}, [o.message for o in outcomes]
        store = open_store(workspace.config)
        try:
            refresh_store(store)
            tables = {
                name: (
                    store.con.sql(f"SELECT * FROM results.{name}").to_arrow_table(),
                    store.con.sql(f"SELECT * FROM published.{name}").df(),
                )
                for name in (
                    "service_line_benchmark",
                    "service_line_drivers",
                    "service_line_wards",
                    "ward_costs",
                    "inpatient_cost_drivers",
                )
            }
            records = store.con.sql(
                "SELECT a.org_code, a.record_id, a.patient_id, a.pod, a.hrg, l.cost_driver, "
                "CAST(l.cost AS DOUBLE) AS cost FROM activity AS a JOIN cost_lines AS l "
                "ON l.setting = a.setting AND l.org_code = a.org_code AND l.record_id = a.record_id"
            ).df()
        finally:
            store.close()
    rule = SuppressionRule.from_config(workspace.config.suppression)
    return {"tables": tables, "records": records, "rule": rule}


def _rows(built: dict[str, Any], name: str, keys: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """A table's rows by `keys`: the full results, whether the dominance rule hides the row (read by
    engine.publish.suppression from the table's own dominance figures) and the published row."""
    results, published = built["tables"][name]
    columns = catalog.metric(name).columns
    hidden = dominated(results, columns, built["rule"])
    shown = {tuple(r[k] for k in keys): r for r in published.to_dict("records")}
    out = {}
    for i, row in enumerate(results.to_pylist()):
        key = tuple(row[k] for k in keys)
        out[key] = {**row, "dominated": {c: bool(v[i].as_py()) for c, v in hidden.items()}, "published": shown[key]}
    return out


def _blank(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def test_one_patient_dominates_a_service_line_cell_of_nine_episodes(built: dict[str, Any]) -> None:
    rows = _rows(built, "service_line_benchmark", ("org_code", "period"))
    for period in ("year", "Q1"):
        alpha = rows[("ZZA", period)]
        # the patient's three £5,000 episodes are one contribution of £15,000; the next is £120
        assert (alpha["dominance_cost"], alpha["dominance_largest"], alpha["dominance_second"]) == (15720, 15000, 120)
        assert alpha["activity"] == 9 and alpha["dominated"]["activity"]
        published = alpha["published"]
        assert _blank(published["activity"]) and _blank(published["total_cost"]) and _blank(published["mean_cost"])
        assert _blank(published["theatre_cost"]) and _blank(published["ward_cost_per_bed_day"])
        beta = rows[("ZZB", period)]
        assert (beta["dominance_largest"], beta["dominance_second"]) == (1200, 1200)
        assert not beta["dominated"]["activity"] and not _blank(beta["published"]["total_cost"])
        # across the ICS £15,000 and £1,200 of £26,520 (61%), the rest over 10% of £15,000: the ICS figures shown
        assert (beta["ics_dominance_cost"], beta["ics_dominance_largest"]) == (26520, 15000)
        assert not beta["dominated"]["ics_activity"] and not _blank(beta["published"]["ics_mean_cost"])


def test_one_patient_dominates_a_service_line_drivers_cell(built: dict[str, Any]) -> None:
    rows = _rows(built, "service_line_drivers", ("org_code", "cost_driver"))
    ward, theatre = rows[("ZZA", "ward")], rows[("ZZA", "theatre")]
    assert (ward["dominance_cost"], ward["dominance_largest"], ward["dominance_second"]) == (9600, 9000, 100)
    assert (theatre["dominance_cost"], theatre["dominance_largest"]) == (6120, 6000)
    for row in (ward, theatre):
        assert row["dominated"]["activity"] and _blank(row["published"]["driver_cost"])
        assert _blank(row["published"]["cost_per_unit"])
    for driver in ("ward", "theatre"):
        beta = rows[("ZZB", driver)]
        assert not beta["dominated"]["activity"] and not _blank(beta["published"]["driver_cost"])


def test_one_patients_spells_dominate_an_inpatient_theatre_cell(built: dict[str, Any]) -> None:
    rows = _rows(built, "inpatient_cost_drivers", ("org_code",))
    alpha, beta = rows[("ZZA",)], rows[("ZZB",)]
    assert (alpha["dominance_cost"], alpha["dominance_largest"], alpha["dominance_second"]) == (6120, 6000, 20)
    assert alpha["operated_spells"] == 9 and alpha["dominated"]["operated_spells"]
    assert _blank(alpha["published"]["theatre_cost"]) and _blank(alpha["published"]["cost_per_theatre_minute"])
    assert not beta["dominated"]["operated_spells"] and not _blank(beta["published"]["theatre_cost"])
    # across the ICS £6,000 and £200 of £7,920 (78%), the rest over 10% of £6,000
    assert not beta["dominated"]["ics_operated_spells"]
    assert not _blank(beta["published"]["ics_cost_per_theatre_minute"])


def test_one_patient_dominates_a_ward(built: dict[str, Any]) -> None:
    wards = _rows(built, "ward_costs", ("org_code", "ward"))
    alpha, beta = wards[("ZZA", "W1")], wards[("ZZB", "W1")]
    assert (alpha["dominance_cost"], alpha["dominance_largest"], alpha["dominance_second"]) == (9600, 9000, 100)
    assert alpha["episodes"] == 9 and alpha["dominated"]["episodes"]
    assert _blank(alpha["published"]["ward_cost"]) and _blank(alpha["published"]["cost_per_bed_day"])
    assert not beta["dominated"]["episodes"] and not _blank(beta["published"]["ward_cost"])

    lines = _rows(built, "service_line_wards", ("org_code", "ward"))
    alpha, beta = lines[("ZZA", "W1")], lines[("ZZB", "W1")]
    assert (alpha["dominance_cost"], alpha["dominance_largest"]) == (9600, 9000)
    assert (alpha["provider_dominance_cost"], alpha["provider_dominance_largest"]) == (9600, 9000)
    assert alpha["dominated"]["episodes"] and alpha["dominated"]["provider_episodes"]
    assert _blank(alpha["published"]["ward_cost"]) and _blank(alpha["published"]["provider_cost_per_bed_day"])
    assert not beta["dominated"]["episodes"] and not _blank(beta["published"]["ward_cost"])
    # across the ICS £9,000 and £1,000 of £18,600 (54%), the rest over 10% of £9,000
    assert (beta["ics_dominance_cost"], beta["ics_dominance_largest"]) == (18600, 9000)
    assert not beta["dominated"]["ics_episodes"] and not _blank(beta["published"]["ics_cost_per_bed_day"])


def test_acro_flags_no_published_service_line_cost(built: dict[str, Any]) -> None:
    """ACRO's nk and p% checks on each patient's cost per service line cell (the records of NEL HRG HT12, by the
    config's own rule, worked out here), per provider: every cell it flags has its cost blank in the published
    table, and some cell is flagged."""
    records = built["records"]
    mine = records[(records["pod"] == "NEL") & records["hrg"].str.startswith("HT12")].assign(cell=LINE)
    ours = _acro_config(built["rule"])
    whole = mine.groupby(["cell", "org_code", "record_id", "patient_id"], as_index=False, dropna=False)["cost"].sum()
    flags = _flags(contributions(whole, ["cell"]), ["cell"], ours, margins=False)
    flags = flags[flags["checks"].map(lambda c: any(d in str(c) for d in DOMINANCE))]
    assert set(flags["org_code"]) == {"ZZA"}
    published = built["tables"]["service_line_benchmark"][1]
    for org in flags["org_code"]:
        assert published[published["org_code"] == org]["total_cost"].isna().all()
    by_driver = mine.groupby(["cell", "cost_driver", "org_code", "record_id", "patient_id"], dropna=False)
    cells = ["cell", "cost_driver"]
    driver_flags = _flags(contributions(by_driver["cost"].sum().reset_index(), cells), cells, ours, margins=False)
    driver_flags = driver_flags[driver_flags["checks"].map(lambda c: any(d in str(c) for d in DOMINANCE))]
    assert set(driver_flags["cell"]) == {f"{LINE}|ward", f"{LINE}|theatre"}
    shown = built["tables"]["service_line_drivers"][1]
    for cell, org in zip(driver_flags["cell"], driver_flags["org_code"], strict=True):
        driver = cell.split("|")[1]
        assert shown[(shown["org_code"] == org) & (shown["cost_driver"] == driver)]["driver_cost"].isna().all()

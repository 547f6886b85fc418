"""Dominance of the population tables (issue 16s): deprivation_cost's deciles and population_rates' areas, by setting.

A hand-built ICS of admitted care in 2023/24 at one provider, its population the districts of Blackpool and Fylde
(one place over both), where every pound is known:
- in a Blackpool LSOA one patient's episode costs £50,000 and nine other patients' £100 each: ten records, ten
  patients, not small, but the Blackpool district's and its decile's cost is one patient's;
- in a Fylde LSOA ten patients' episodes cost £1,000 each.
The ICS's cost (£60,900) is not dominated: the largest two are 83.7% of it and the rest £9,900, above 10% of the
largest. ACRO-like nk and p% checks on each patient's cost, worked out here from the loaded records (not from any
result table), say which rows are dominated; each must be blank where published, and the ICS's row stays shown.
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
from tests.conftest import APC_HEADER, BASE_CONFIG, COST_HEADER, PSEUDONYM_KEY, Workspace, apc_row, cost_row

pytestmark = [
    pytest.mark.slow,  # a whole refresh of a hand-built ICS
    pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning"),
]

BLACKPOOL, FYLDE = "E01012662", "E01024981"
CONFIG = BASE_CONFIG.replace(
    "[store]",
    '[population]\ndistricts = ["Blackpool", "Fylde"]\n\n[[population.places]]\nname = "Fylde Coast"\n'
    'districts = ["Blackpool", "Fylde"]\n\n[store]',
)


def nhs_number(serial: int) -> str:
    """A valid NHS number from the 999 test range (modulus 11 check digit), one per serial."""
    while True:
        digits = f"999{serial:06d}"
        check = 11 - sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check != 10:
            return digits + str(0 if check == 11 else check)
        serial += 1000


# (record, NHS number, LSOA, cost)
RECORDS = [
    ("B0", nhs_number(1), BLACKPOOL, 50000),
    *[(f"B{i}", nhs_number(10 + i), BLACKPOOL, 100) for i in range(1, 10)],
    *[(f"F{i}", nhs_number(100 + i), FYLDE, 1000) for i in range(10)],
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root: Path = tmp_path_factory.mktemp("population_dominance")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config_module.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
        patch.delenv("ICSBENCH_CONFIG", raising=False)
        workspace = Workspace(root, CONFIG)
        activity = [apc_row(rid, nhs_number=nhs, lsoa=lsoa) for rid, nhs, lsoa, _ in RECORDS]
        costs = [cost_row(rid, cost) for rid, _, _, cost in RECORDS]
        files = [
            workspace.write_csv("ZZA_apc_2324_activity.csv", APC_HEADER, activity),
            workspace.write_csv("ZZA_apc_2324_cost_lines.csv", COST_HEADER, costs),
        ]
        outcomes = workspace.load(*files)
        assert {o.status for o in outcomes} == {"loaded"}, [o.message for o in outcomes]
        store = open_store(workspace.config)
        try:
            refresh_store(store)
            published = {
                name: store.con.sql(f"SELECT * FROM published.{name}").df()
                for name in ("deprivation_cost", "population_rates")
            }
            records = store.con.sql(
                "SELECT a.patient_id, a.lsoa, l.district, l.imd_decile, CAST(c.cost AS DOUBLE) AS cost "
                "FROM activity AS a JOIN cost_lines AS c ON c.setting = a.setting AND c.org_code = a.org_code "
                "AND c.record_id = a.record_id JOIN ref_lsoa AS l ON l.lsoa = a.lsoa"
            ).df()
        finally:
            store.close()
    rule = SuppressionRule.from_config(workspace.config.suppression)
    return {"published": published, "records": records, "rule": rule}


def dominated(records: pd.DataFrame, key: str, rule: SuppressionRule) -> set[Any]:
    """The values of `key` whose cost one or two patients dominate, by the nk and p% rules as ACRO applies them."""
    out = set()
    for value, cell in records.groupby(key):
        sizes = sorted(cell.groupby("patient_id")["cost"].sum().abs(), reverse=True)
        total, largest = sum(sizes), sizes[0]
        second = sizes[1] if len(sizes) > 1 else 0.0
        if total - largest - second < rule.dominance_p_percent / 100 * largest or (
            largest + second >= rule.dominance_k_percent / 100 * total
        ):
            out.add(value)
    return out


def _blank(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def test_a_decile_one_patient_dominates_is_blank_in_deprivation_cost(built: dict[str, Any]) -> None:
    rule, records = built["rule"], built["records"]
    deciles = dominated(records, "imd_decile", rule)
    blackpool = int(records.loc[records["lsoa"] == BLACKPOOL, "imd_decile"].iloc[0])
    assert blackpool in deciles
    assert not dominated(records.assign(ics=1), "ics", rule)  # the ICS's residents' cost is not
    rows = built["published"]["deprivation_cost"]
    residents = rows[rows["residence"] == "ICS resident"]
    assert len(residents[residents["imd_decile"] == blackpool]) == 2  # apc and all
    for row in residents.to_dict("records"):
        if int(row["imd_decile"]) in deciles:
            for column in ("total_cost", "cost_per_head", "cost_per_patient", "activity", "cost_per_head_index"):
                assert _blank(row[column]), (column, row)
        # the ICS's figures stay: its residents' cost is not dominated
        assert not _blank(row["ics_cost_per_head"]), row
    for setting, rows_of_setting in residents.groupby("setting"):
        # the ICS's residents' cost is shown, so another decile of the setting is hidden with the dominated one, or
        # the ICS less the shown deciles gives its cost back
        others = rows_of_setting[~rows_of_setting["imd_decile"].astype(int).isin(deciles)]
        assert others["total_cost"].isna().any(), setting


def test_an_area_one_patient_dominates_is_blank_in_population_rates(built: dict[str, Any]) -> None:
    rule, records = built["rule"], built["records"]
    districts = dominated(records, "district", rule)
    assert districts == {"Blackpool"}
    rows = built["published"]["population_rates"]
    blackpool = rows[(rows["area_type"] == "district") & (rows["area"] == "Blackpool")]
    assert len(blackpool) == 2  # apc and all
    for row in blackpool.to_dict("records"):
        for column in ("total_cost", "cost_per_head", "standardised_cost_per_100k", "cost_ratio_to_ics"):
            assert _blank(row[column]), (column, row)
    # the ICS (and the place over both districts) is not dominated and stays shown, so the check does not pass by
    # hiding everything
    ics = rows[rows["area_type"].isin(["ics", "place"]) & (rows["area"] != "outside the ICS area or unknown")]
    assert len(ics) == 4 and ics["total_cost"].notna().all() and ics["ics_standardised_cost_per_100k"].notna().all()
    # so the place's other district is hidden with it, or the place less it gives Blackpool's cost back
    place_of = rows[(rows["area_type"] == "district") & (rows["area"] != "Blackpool")]
    assert len(place_of) == 2 and place_of["total_cost"].isna().all(), place_of

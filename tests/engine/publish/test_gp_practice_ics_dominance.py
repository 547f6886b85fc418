"""Dominance of gp_practice_cost's ICS figures (issue 16u): its ICS cost per patient (over every known practice's
patients) and per registered patient (over the practices with a list size), and ratio_to_ics, which gives them back.

A hand-built ICS of admitted care at one provider over three years, where every pound is known. P81001, P81002 and
P81003 have a list size, P81004 none:
- 2022/23: P81003's and P81004's ten patients at £1,000 each: nothing dominated, the ICS figures stay;
- 2023/24: at P81001 and at P81002 one patient's year costs £40,000 and nine others' £100 each, at P81003 ten
  patients' £1,000 each: the two £40,000 patients are 87.1% of the ICS's £91,800 (nk rule);
- 2024/25: the same, and thirty patients of P81004 at £1,000 each: across every known practice the two are 71.6% of
  £121,800, not dominated, but over the practices with a list size they are the £91,800's 87.1% again.
The nk and p% checks on each patient's year, worked out here from the loaded records (not from any result table),
say which of the ICS's figures are dominated; each must be blank where published.
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
from tests.engine.publish.test_population_dominance import dominated, nhs_number

pytestmark = [
    pytest.mark.slow,  # a whole refresh of a hand-built ICS
    pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning"),
]

CONFIG = BASE_CONFIG.replace("[store]", '[population]\ngp_list_sizes = "lists.csv"\n\n[store]')
LISTED = {"P81001": 2000, "P81002": 2000, "P81003": 2000}
YEARS = {"2022/23": ("2223", "2022"), "2023/24": ("2324", "2023"), "2024/25": ("2425", "2024")}
ICS_FIGURES = ("ics_patients", "ics_cost_per_patient", "ics_cost_per_registered_patient", "ratio_to_ics")


def _year(fin_year: str, serial: int, practices: list[tuple[str, list[int]]]) -> list[tuple[str, str, str, int]]:
    """(fin_year, NHS number, practice, cost): one record a patient, each patient's costs as given by practice."""
    rows = []
    for practice, costs in practices:
        for cost in costs:
            rows.append((fin_year, nhs_number(serial), practice, cost))
            serial += 1
    return rows


DOMINATED = [("P81001", [40000] + [100] * 9), ("P81002", [40000] + [100] * 9), ("P81003", [1000] * 10)]
RECORDS = [
    *_year("2022/23", 1, [("P81003", [1000] * 10), ("P81004", [1000] * 10)]),
    *_year("2023/24", 100, DOMINATED),
    *_year("2024/25", 200, [*DOMINATED, ("P81004", [1000] * 30)]),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root: Path = tmp_path_factory.mktemp("gp_practice_ics_dominance")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config_module.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
        patch.delenv("ICSBENCH_CONFIG", raising=False)
        workspace = Workspace(root, CONFIG)
        workspace.write_csv("lists.csv", ["gp_practice", "registered_patients"], list(LISTED.items()))
        files = []
        for fin_year, (short, calendar) in YEARS.items():
            records = [r for r in RECORDS if r[0] == fin_year]
            activity = [
                [
                    *apc_row(
                        f"R{short}-{i}",
                        fin_year=fin_year,
                        admission_date=f"{calendar}-04-01",
                        discharge_date=f"{calendar}-04-05",
                        nhs_number=nhs,
                    ),
                    practice,
                ]
                for i, (_, nhs, practice, _) in enumerate(records)
            ]
            costs = [cost_row(f"R{short}-{i}", cost, fin_year=fin_year) for i, (*_, cost) in enumerate(records)]
            files += [
                workspace.write_csv(f"ZZA_apc_{short}_activity.csv", [*APC_HEADER, "gp_practice"], activity),
                workspace.write_csv(f"ZZA_apc_{short}_cost_lines.csv", COST_HEADER, costs),
            ]
        outcomes = workspace.load(*files)
        assert {o.status for o in outcomes} == {"loaded"}, [o.message for o in outcomes]
        store = open_store(workspace.config)
        try:
            refresh_store(store)
            published = store.con.sql("SELECT * FROM published.gp_practice_cost").df()
            records = store.con.sql(
                "SELECT a.fin_year, a.patient_id, a.gp_practice, CAST(c.cost AS DOUBLE) AS cost "
                "FROM activity AS a JOIN cost_lines AS c ON c.setting = a.setting AND c.org_code = a.org_code "
                "AND c.record_id = a.record_id"
            ).df()
        finally:
            store.close()
    rule = SuppressionRule.from_config(workspace.config.suppression)
    return {"published": published, "records": records, "rule": rule}


def test_the_ics_figures_of_a_year_two_patients_dominate_are_blank(built: dict[str, Any]) -> None:
    rule, records, rows = built["rule"], built["records"], built["published"]
    known = dominated(records[records["gp_practice"].notna()], "fin_year", rule)
    listed = dominated(records[records["gp_practice"].isin(LISTED)], "fin_year", rule)
    # the fixture makes each case: the whole ICS dominated, only its listed practices, and neither
    assert known == {"2023/24"} and listed == {"2023/24", "2024/25"}
    assert set(rows["fin_year"]) == set(YEARS)
    for row in rows.to_dict("records"):
        hidden = row["fin_year"] in known | listed
        for column in ICS_FIGURES:
            assert bool(pd.isna(row[column])) == hidden, (column, row)
    # P81003 is not dominated in any year: its own figures stay, so the check does not pass by hiding every row
    p81003 = rows[rows["gp_practice"] == "P81003"]
    assert len(p81003) == 3 and p81003["total_cost"].notna().all() and p81003["cost_per_patient"].notna().all()

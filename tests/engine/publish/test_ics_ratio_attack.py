"""The outsider's ratio attack (disclosure_attacker.ics_from_ratios) on a hand-built ICS whose ICS figures are hidden.

A row's figure over the ICS's (deprivation_cost's cost_per_head_index, population_rates' ratios to the ICS,
gp_practice_cost's ratio_to_ics), shown beside the row's own figure, gives the ICS figure back: own / ratio. On the
synthetic ICS no row has its ICS figures hidden while its own are shown, so the attack cannot fail there; this ICS
is built so that it could.

Admitted care in 2023/24 at one provider, its population the districts of Blackpool and Fylde (one place over both):
- in a Blackpool LSOA, registered with P81001 (a list size), two patients' episodes cost £80,000 each and eight
  other patients' £100 each;
- in a Fylde LSOA, fifty patients of P81002 (a list size) and fifty of P81003 (none) cost £200 each.
The two £80,000 patients are 88.5% of the ICS's £180,800 (the nk rule's 85%): every ICS figure is hidden. Fylde, its
decile, P81002 and P81003 are large and not dominated, so their own figures are shown: only the ratios can give the
ICS's back. Their counts (50 and 100) are large enough that the rounding of counts (a total is shown at the count
rounded to 5) leaves the attacker well inside the 10% protection interval. The attack is run first on a publication
with the ratios shown (the rule before 2d2f520), where it must pin the ICS figures down, then on what the engine
publishes, where it must find nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine import config as config_module
from engine.store import open_store
from tests.conftest import APC_HEADER, COST_HEADER, PSEUDONYM_KEY, Workspace, apc_row, cost_row
from tests.engine.publish import disclosure_attacker as attacker
from tests.engine.publish.test_disclosure_attack import Demo, ratio_pinned
from tests.engine.publish.test_population_dominance import BLACKPOOL, FYLDE, dominated, nhs_number
from tests.engine.publish.test_population_dominance import CONFIG as POPULATION_CONFIG

pytestmark = [
    pytest.mark.slow,  # a whole refresh of a hand-built ICS
    pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning"),
]

CONFIG = POPULATION_CONFIG.replace("[population]\n", '[population]\ngp_list_sizes = "lists.csv"\n')
LISTED = {"P81001": 2000, "P81002": 3000}
# (record, NHS number, LSOA, GP practice, cost)
RECORDS = [
    *[(f"B{i}", nhs_number(1 + i), BLACKPOOL, "P81001", 80000) for i in range(2)],
    *[(f"B{i}", nhs_number(10 + i), BLACKPOOL, "P81001", 100) for i in range(2, 10)],
    *[(f"F{i}", nhs_number(100 + i), FYLDE, "P81002", 200) for i in range(50)],
    *[(f"G{i}", nhs_number(200 + i), FYLDE, "P81003", 200) for i in range(50)],
]
TABLES = ("deprivation_cost", "population_rates", "gp_practice_cost")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    from engine.jobs import refresh_store

    root: Path = tmp_path_factory.mktemp("ics_ratio_attack")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config_module.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
        patch.delenv("ICSBENCH_CONFIG", raising=False)
        workspace = Workspace(root, CONFIG)
        workspace.write_csv("lists.csv", ["gp_practice", "registered_patients"], list(LISTED.items()))
        activity = [[*apc_row(rid, nhs_number=nhs, lsoa=lsoa), practice] for rid, nhs, lsoa, practice, _ in RECORDS]
        costs = [cost_row(rid, cost) for rid, *_, cost in RECORDS]
        files = [
            workspace.write_csv("ZZA_apc_2324_activity.csv", [*APC_HEADER, "gp_practice"], activity),
            workspace.write_csv("ZZA_apc_2324_cost_lines.csv", COST_HEADER, costs),
        ]
        outcomes = workspace.load(*files)
        assert {o.status for o in outcomes} == {"loaded"}, [o.message for o in outcomes]
        store = open_store(workspace.config)
        try:
            refresh_store(store)
        finally:
            store.close()
        return Demo(workspace.config, root / "published-for-attack")


def _with_ratios_shown(demo: Demo) -> dict[str, pd.DataFrame]:
    """The publication as it was before the ratios were hidden with the ICS figures: every ratio of a row whose own
    figure is shown, to two decimals."""
    out = {name: frame.copy() for name, frame in demo.published.items()}
    for table, ratio, own, _, _ in attacker.RATIOS_TO_ICS:
        frame = out[table]
        restore = frame[ratio].isna() & frame[own].notna()
        frame.loc[restore, ratio] = np.round(demo.truth[table].loc[restore, ratio].astype(float), 2)
    return out


def _records(demo: Demo) -> pd.DataFrame:
    return pd.DataFrame(
        [(nhs, cost, practice) for _, nhs, _, practice, cost in RECORDS], columns=["patient_id", "cost", "practice"]
    )


def test_the_ics_is_dominated_and_the_rows_beside_it_are_shown(demo: Demo) -> None:
    records = _records(demo)
    assert dominated(records.assign(ics=1), "ics", demo.rule) == {1}
    assert dominated(records[records["practice"].isin(LISTED)].assign(ics=1), "ics", demo.rule) == {1}
    for table, _, own, _, ics in attacker.RATIOS_TO_ICS:
        frame = demo.published[table]
        assert frame[ics].isna().all(), (table, ics)  # every ICS figure is hidden ...
        assert (frame[own].notna() & demo.truth[table][ics].notna()).any(), (table, own)  # ... beside shown rows


def test_a_ratio_shown_beside_its_row_gives_the_hidden_ics_figure_back(demo: Demo) -> None:
    _, pinned = ratio_pinned(demo, _with_ratios_shown(demo))
    assert {c.table for c in pinned} == set(TABLES), pinned
    assert {c.figure for c in pinned} == {ics for *_, ics in attacker.RATIOS_TO_ICS}, pinned


def test_no_hidden_ics_figure_is_given_back_by_a_ratio_to_it(demo: Demo) -> None:
    checked, pinned = ratio_pinned(demo, demo.published)
    assert pinned == [], pinned
    assert checked == 0  # every ratio is hidden with the ICS figure it divides by

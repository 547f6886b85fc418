"""The dominance rule counts patients, not records: one patient's several records in a cell are one contributor.

A hand-built ICS where every pound is known: in one cell of Alpha Hospitals a single patient has three episodes of
£1,000 beside six cheaper ones, so no record makes up much of the cell's cost but the patient makes up most of it;
in a second cell the same costs belong to three different patients, and nothing dominates.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.jobs import refresh_store
from engine.metrics import catalog
from engine.publish.suppression import SuppressionRule, dominated
from engine.store import open_store
from tests.conftest import APC_HEADER, COST_HEADER, VALID_NHS, Workspace, apc_row, cost_row

pytestmark = pytest.mark.slow  # a whole refresh of a hand-built ICS

# (org, record, HRG, NHS number or blank for a record without a patient, cost)
RECORDS = [
    # HT12A at ZZA: patient 0 has three £1,000 episodes, patient 1 one of £100, and five records carry no patient.
    *[("ZZA", f"A{i}", "HT12A", VALID_NHS[0], 1000) for i in range(3)],
    ("ZZA", "A3", "HT12A", VALID_NHS[1], 100),
    *[("ZZA", f"A{i}", "HT12A", "", 100) for i in range(4, 9)],
    # HT12B at ZZA: the same costs, but the three £1,000 episodes are three patients'.
    *[("ZZA", f"B{i}", "HT12B", VALID_NHS[i], 1000) for i in range(3)],
    *[("ZZA", f"B{i}", "HT12B", "", 100) for i in range(3, 9)],
    # HT12A at ZZB: patient 0 again, once, among eight records without a patient.
    ("ZZB", "C0", "HT12A", VALID_NHS[0], 1000),
    *[("ZZB", f"C{i}", "HT12A", "", 100) for i in range(1, 9)],
]


def _load(workspace: Workspace) -> None:
    for org in ("ZZA", "ZZB"):
        mine = [r for r in RECORDS if r[0] == org]
        activity = [apc_row(rid, org_code=org, hrg=hrg, nhs_number=nhs) for _, rid, hrg, nhs, _ in mine]
        costs = [cost_row(rid, cost, org_code=org) for _, rid, _, _, cost in mine]
        workspace.write_csv(f"{org}_apc_2324_activity.csv", APC_HEADER, activity)
        workspace.write_csv(f"{org}_apc_2324_cost_lines.csv", COST_HEADER, costs)
    workspace.load(*sorted(workspace.root.glob("*_apc_2324_*.csv")))


def _cells(workspace: Workspace) -> dict[str, dict[tuple[str, str], dict[str, Any]]]:
    """Per table, its rows by provider and HRG: the full results, whether the dominance rule hides the row's count
    (read by engine.publish.suppression from the table's own dominance figures), and the published row."""
    tables = {"unit_cost_benchmark": "activity", "los_benchmark": "spells"}
    store = open_store(workspace.config)
    try:
        refresh_store(store)
        results = {t: store.con.sql(f"SELECT * FROM results.{t}").to_arrow_table() for t in tables}
        published = {t: store.con.sql(f"SELECT * FROM published.{t}").to_arrow_table() for t in tables}
    finally:
        store.close()
    out = {}
    for table, count in tables.items():
        hidden = dominated(results[table], catalog.metric(table).columns, SuppressionRule())
        rows = results[table].append_column("dominated", hidden[count]).to_pylist()
        shown = {(r["org_code"], r["hrg"]): r for r in published[table].to_pylist()}
        out[table] = {(r["org_code"], r["hrg"]): {**r, "published": shown[(r["org_code"], r["hrg"])]} for r in rows}
    return out


def test_one_patients_three_records_dominate_a_cell_that_no_single_record_dominates(workspace: Workspace) -> None:
    _load(workspace)
    tables = _cells(workspace)
    cells = tables["unit_cost_benchmark"]

    linked = cells[("ZZA", "HT12A")]
    # the patient's three episodes are one contribution of £3,000; the next is £100 (one patient, or one record)
    assert (linked["dominance_cost"], linked["dominance_largest"], linked["dominance_second"]) == (3600, 3000, 100)
    # record by record the largest two would be £2,000 of £3,600 (56%), under the nk rule's 85%; as a patient
    # £3,100 of £3,600 (86%) is over it, so the cell is hidden though its nine episodes are more than seven
    assert linked["activity"] == 9 and linked["dominated"]
    assert linked["published"]["activity"] is None and linked["published"]["total_cost"] is None

    unlinked = cells[("ZZA", "HT12B")]
    assert (unlinked["dominance_cost"], unlinked["dominance_largest"], unlinked["dominance_second"]) == (
        3600,
        1000,
        1000,
    )
    assert not unlinked["dominated"]

    # across the ICS the patient's episodes at both providers are one contribution of £4,000
    assert linked["ics_dominance_largest"] == 4000 and linked["ics_dominance_cost"] == 5400
    other = cells[("ZZB", "HT12A")]
    assert (other["dominance_cost"], other["dominance_largest"], other["dominance_second"]) == (1800, 1000, 100)
    assert other["ics_dominance_largest"] == 4000 and not other["dominated"]

    # los_benchmark publishes the cost of spells: each episode here is a spell of its own, so the same patient
    # makes up the same share of the spells' cost, and the row is hidden with everything built on its spells
    spells = tables["los_benchmark"][("ZZA", "HT12A")]
    assert (spells["dominance_cost"], spells["dominance_largest"], spells["dominance_second"]) == (3600, 3000, 100)
    assert spells["dominated"] and spells["published"]["spells"] is None
    assert spells["published"]["total_cost"] is None and spells["published"]["mean_los"] is None
    assert not tables["los_benchmark"][("ZZA", "HT12B")]["dominated"]

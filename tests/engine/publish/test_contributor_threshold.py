"""The threshold of rule 1 applies to a money cell's contributors (patients), not only to its records (issue 16p).

A hand-built ICS where every pound is known. At Alpha Hospitals (ZZA) HT12A has nine episodes of £400 from three
patients, three each: nine records pass the count threshold, and no patient dominates (each is a third of the cost),
yet the cost comes from three patients. UK Trusted Research Environments (and ACRO's threshold check) count the
contributors of a magnitude cell, so the cost is hidden, as a dominated one is. Beta (ZZB) has nine records of £400
without a pseudonym in the same HRG: nine contributors, shown. HT12B across the ICS has nine records from three
patients (six at ZZA, three at ZZB), so its ICS figures are hidden too; HT12C has nine records without a pseudonym at
each provider, and no rule of its own hides it.
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

COST = 400
# (org, record, HRG, NHS number or blank for a record without a patient)
RECORDS = [
    *[("ZZA", f"A{p}{i}", "HT12A", VALID_NHS[p]) for p in range(3) for i in range(3)],
    *[("ZZB", f"A{i}", "HT12A", "") for i in range(9)],
    *[("ZZA", f"B{p}{i}", "HT12B", VALID_NHS[p]) for p in range(2) for i in range(3)],
    *[("ZZB", f"B{i}", "HT12B", VALID_NHS[2]) for i in range(3)],
    *[(org, f"C{i}", "HT12C", "") for org in ("ZZA", "ZZB") for i in range(9)],
]


def _load(workspace: Workspace) -> None:
    for org in ("ZZA", "ZZB"):
        mine = [r for r in RECORDS if r[0] == org]
        activity = [apc_row(rid, org_code=org, hrg=hrg, nhs_number=nhs) for _, rid, hrg, nhs in mine]
        costs = [cost_row(rid, COST, org_code=org) for _, rid, _, _ in mine]
        workspace.write_csv(f"{org}_apc_2324_activity.csv", APC_HEADER, activity)
        workspace.write_csv(f"{org}_apc_2324_cost_lines.csv", COST_HEADER, costs)
    workspace.load(*sorted(workspace.root.glob("*_apc_2324_*.csv")))


def _cells(workspace: Workspace) -> dict[tuple[str, str], dict[str, Any]]:
    """unit_cost_benchmark's rows by provider and HRG: the full results, whether the rule hides the provider's and
    the ICS's count, and the published row."""
    store = open_store(workspace.config)
    try:
        refresh_store(store)
        results = store.con.sql("SELECT * FROM results.unit_cost_benchmark").to_arrow_table()
        published = store.con.sql("SELECT * FROM published.unit_cost_benchmark").to_arrow_table().to_pylist()
    finally:
        store.close()
    hidden = dominated(results, catalog.metric("unit_cost_benchmark").columns, SuppressionRule())
    rows = (
        results.append_column("hidden", hidden["activity"]).append_column("ics_hidden", hidden["ics_activity"])
    ).to_pylist()
    shown = {(r["org_code"], r["hrg"]): r for r in published}
    return {(r["org_code"], r["hrg"]): {**r, "published": shown[(r["org_code"], r["hrg"])]} for r in rows}


def _undominated(cost: float, largest: float, second: float, rule: SuppressionRule) -> bool:
    """Neither the p% nor the nk rule would hide the cell: only the threshold on contributors can."""
    p_rule = cost - largest - second < rule.dominance_p_percent / 100 * largest
    return not p_rule and largest + second < rule.dominance_k_percent / 100 * cost


def test_a_cost_from_fewer_than_eight_patients_is_hidden_however_many_records(workspace: Workspace) -> None:
    _load(workspace)
    cells = _cells(workspace)
    rule = SuppressionRule()

    few = cells[("ZZA", "HT12A")]
    figures = ("dominance_cost", "dominance_largest", "dominance_second", "dominance_contributors")
    assert tuple(few[f] for f in figures) == (3600, 1200, 1200, 3)
    assert few["activity"] == 9 and _undominated(3600, 1200, 1200, rule)
    assert few["hidden"]
    assert few["published"]["total_cost"] is None and few["published"]["activity"] is None
    assert few["published"]["mean_cost"] is None

    many = cells[("ZZB", "HT12A")]
    assert many["dominance_contributors"] == 9 and not many["hidden"]
    assert float(many["published"]["total_cost"]) == pytest.approx(4000)  # at the rounded count, 10

    # across the ICS: nine records of HT12B from three patients, six at ZZA and three at ZZB (each small)
    ics = cells[("ZZA", "HT12B")]
    assert (ics["ics_activity"], ics["ics_dominance_contributors"]) == (9, 3)
    ics_figures = (float(ics[f"ics_{f}"]) for f in figures[:3])
    assert _undominated(*ics_figures, rule)
    for org in ("ZZA", "ZZB"):
        row = cells[(org, "HT12B")]
        assert row["ics_hidden"]
        assert row["published"]["ics_activity"] is None and row["published"]["ics_mean_cost"] is None

    for org in ("ZZA", "ZZB"):  # (ZZB's is hidden by secondary suppression, for its small HT12B)
        control = cells[(org, "HT12C")]
        assert (control["dominance_contributors"], control["ics_dominance_contributors"]) == (9, 18)
        assert not control["hidden"] and not control["ics_hidden"]
    shown = cells[("ZZA", "HT12C")]["published"]
    assert float(shown["total_cost"]) == 4000 and shown["ics_mean_cost"] == 400

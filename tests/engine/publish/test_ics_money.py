"""The ICS money rule (issue 16k): an ICS rate times the ICS count, less the shown providers' rates times counts,
is the hidden providers' money; where it narrows a hidden provider's money, the cell's ICS count is hidden."""

from __future__ import annotations

import pyarrow as pa

from engine.metrics import catalog
from engine.publish import secondary
from engine.publish.suppression import SuppressionRule

COLUMNS = catalog.metric("unit_cost_benchmark").columns


def _cell(b_count: int, b_cost: float, b_shown: bool = False) -> tuple[pa.Table, pa.Table]:
    """Provider A: 100 records at £100, shown; provider B: `b_count` records costing `b_cost`, hidden unless
    `b_shown`. The full row pair and the pair as published (counts to 5, rates to the penny)."""
    keys = {"fin_year": ["2023/24"] * 2, "setting": ["apc"] * 2, "pod": ["EL"] * 2, "tfc": ["110"] * 2}
    keys |= {"hrg": ["HN12A"] * 2, "org_code": ["A", "B"], "unit_of_count": ["episode"] * 2}
    ics_count = 100 + b_count
    ics_rate = (10_000 + b_cost) / ics_count
    full = pa.table(
        keys
        | {
            "activity": [100, b_count],
            "mean_cost": [100.0, b_cost / b_count],
            "total_cost": [10_000.0, b_cost],
            "ics_activity": [ics_count] * 2,
            "ics_mean_cost": [ics_rate] * 2,
        }
    )
    shown_count = 5 * int(ics_count / 5 + 0.5)
    b = [b_count, b_cost / b_count, b_cost] if b_shown else [None, None, None]
    shown = pa.table(
        keys
        | {
            "activity": [100, b[0]],
            "mean_cost": [100.0, b[1]],
            "total_cost": [10_000.0, b[2]],
            "ics_activity": [shown_count] * 2,
            "ics_mean_cost": [round(ics_rate, 2)] * 2,
        }
    )
    return full, shown


def test_an_ics_rate_that_narrows_a_hidden_providers_cost_loses_its_count() -> None:
    # B's £7,000 lies between £6,164 and £7,200 given the ICS's 105 (107) records at £158.88: hide the ICS count
    full, shown = _cell(7, 7_000.0)
    exposed = secondary.exposed_ics_money("unit_cost_benchmark", full, shown, COLUMNS, SuppressionRule())
    assert exposed["ics_activity"].tolist() == [True, True]


def test_an_ics_rate_that_leaves_room_stays() -> None:
    # B at A's rate: the ICS rate says nothing of B's cost beyond what its count's interval allows (£100 to £900)
    full, shown = _cell(5, 500.0)
    assert secondary.exposed_ics_money("unit_cost_benchmark", full, shown, COLUMNS, SuppressionRule()) == {}
    # nothing hidden in the cell: nothing to protect
    full, shown = _cell(7, 7_000.0, b_shown=True)
    assert secondary.exposed_ics_money("unit_cost_benchmark", full, shown, COLUMNS, SuppressionRule()) == {}

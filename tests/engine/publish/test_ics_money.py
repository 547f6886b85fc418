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


def _rounded(n: int | None) -> int | None:
    return None if n is None or 0 < n < 8 else 5 * int(n / 5 + 0.5)


def _levels(alone: int) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
    """One HRG of three providers: TFC 300 (A 4, B 1, C 3 records), TFC 302 (A 5, B 3, C 5) and TFC 420 (A alone,
    `alone` records); opportunity_summary's HRG rows (A, B, C) and their ICS count. Full and as published."""
    cells = [("300", "A", 4), ("300", "B", 1), ("300", "C", 3), ("302", "A", 5), ("302", "B", 3), ("302", "C", 5)]
    cells.append(("420", "A", alone))
    ics = {tfc: sum(n for t, _, n in cells if t == tfc) for tfc, _, _ in cells}
    keys = {"fin_year": ["2023/24"] * len(cells), "pod": ["EL"] * len(cells), "hrg": ["HN12A"] * len(cells)}
    keys |= {
        "unit_of_count": ["episode"] * len(cells),
        "setting": ["apc"] * len(cells),
        "tfc": [t for t, _, _ in cells],
    }
    cells_full = pa.table(keys | {"activity": [n for *_, n in cells], "ics_activity": [ics[t] for t, _, _ in cells]})
    cells_shown = pa.table(
        keys | {"activity": [_rounded(n) for *_, n in cells], "ics_activity": [_rounded(ics[t]) for t, _, _ in cells]}
    )
    own = {org: sum(n for _, o, n in cells if o == org) for org in "ABC"}
    hrg = sum(own.values())
    rows = {"fin_year": ["2023/24"] * 3, "pod": ["EL"] * 3, "hrg": ["HN12A"] * 3, "cost_driver": ["(all)"] * 3}
    rows |= {"unit_of_count": ["episode"] * 3, "org_code": list("ABC")}
    summary_full = pa.table(rows | {"activity": list(own.values()), "ics_activity": [hrg] * 3})
    summary_shown = pa.table(
        rows | {"activity": [_rounded(n) for n in own.values()], "ics_activity": [_rounded(hrg)] * 3}
    )
    return cells_full, cells_shown, summary_full, summary_shown


def test_an_hrgs_ics_count_that_pins_a_hidden_cell_less_its_other_cells_is_hidden() -> None:
    # the HRG's 22 records shown as 20, TFC 300's 8 as 10, TFC 302's 13 as 15: TFC 420 holds at most 22 - 8 - 13 = 1
    exposed = secondary.exposed_ics_levels(*_levels(1), SuppressionRule())
    assert exposed.tolist() == [True, True, True]
    # with 5 records alone in TFC 420 (the HRG's 26 shown as 25) it lies between 0 and 27 - 8 - 13 = 6: room either side
    assert not secondary.exposed_ics_levels(*_levels(5), SuppressionRule()).any()

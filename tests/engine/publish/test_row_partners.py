"""Secondary suppression within a row (engine.publish.secondary.row_partners): gp_practice_cost's setting costs add
up to its total, so a setting hidden by a rule of its own is hidden with the cheapest others that protect it.

Rows are built in code with every column of the table; the costs are chosen so the cheapest protecting set is not the
single cheapest setting, nor the single cheapest one large enough."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from engine.metrics import catalog
from engine.publish import secondary
from engine.publish.suppression import SuppressionRule, suppress

SETTINGS = ("apc", "op", "ec", "cc", "mh", "chs")
RULE = SuppressionRule()


def _practices(rows: list[dict[str, Any]]) -> pa.Table:
    """gp_practice_cost rows: each given as {setting: (records, cost)} and optionally `dominated` (settings one
    patient makes up nine tenths of) and `activity`; every other column a plain value."""
    columns = catalog.metric("gp_practice_cost").columns
    data: dict[str, list[Any]] = {c.name: [] for c in columns}
    for i, row in enumerate(rows):
        settings = {s: row.get(s, (0, 0.0)) for s in SETTINGS}
        values: dict[str, Any] = {
            "fin_year": "2023/24",
            "gp_practice": f"P{i}",
            "patients": 50,
            "activity": row.get("activity", sum(n for n, _ in settings.values())),
            "total_cost": sum(c for _, c in settings.values()),
            "ics_patients": 5000,
        }
        for s, (records, cost) in settings.items():
            values[f"{s}_activity"] = records
            values[f"{s}_cost"] = cost
            largest = 0.9 * cost if s in row.get("dominated", ()) else cost / max(records, 1)
            values |= {f"{s}_dominance_cost": cost, f"{s}_dominance_largest": largest, f"{s}_dominance_second": 0.0}
            values[f"{s}_dominance_contributors"] = records  # a patient a record
        for c in columns:
            default = 0.0 if c.role in ("from", "dominance") else None
            data[c.name].append(values.get(c.name, default))
    return pa.table(data)


def _hidden(table: pa.Table) -> list[set[str]]:
    """The settings each row publishes blank, with 'total' where its total is blank."""
    more = secondary.row_partners("gp_practice_cost", table, RULE)
    shown = suppress(table, catalog.metric("gp_practice_cost").columns, RULE, {k: pa.array(v) for k, v in more.items()})
    return [
        {s for s in SETTINGS if shown[f"{s}_cost"][i].as_py() is None}
        | ({"total"} if shown["total_cost"][i].as_py() is None else set())
        for i in range(table.num_rows)
    ]


def test_a_small_setting_is_hidden_with_the_cheapest_set_that_protects_it() -> None:
    """cc of 3 records (£5,000) is small: partners must hold £500 and be at most ten times it. ec (£400) or mh (£300)
    alone is too little, chs (£1,000) would do, but ec and mh together (£700) cost less."""
    table = _practices(
        [
            {
                "apc": (200, 50_000.0),
                "op": (40, 2_000.0),
                "ec": (10, 400.0),
                "cc": (3, 5_000.0),
                "mh": (9, 300.0),
                "chs": (20, 1_000.0),
            }
        ]
    )
    assert _hidden(table) == [{"cc", "ec", "mh"}]


def test_a_dominated_setting_is_hidden_with_a_partner_and_the_total_stays() -> None:
    table = _practices(
        [{"apc": (200, 50_000.0), "op": (40, 2_000.0), "ec": (30, 9_000.0), "mh": (60, 20_000.0), "dominated": ("mh",)}]
    )
    # partners must hold £2,000 of the £20,000 and be under £200,000: op (£2,000) is the cheapest
    assert _hidden(table) == [{"mh", "op"}]


def test_a_row_with_nothing_hidden_is_left_alone_and_a_hidden_row_hides_every_setting() -> None:
    table = _practices(
        [
            {"apc": (200, 50_000.0), "op": (40, 2_000.0)},
            {"apc": (3, 500.0), "op": (2, 100.0)},  # 5 records: the practice is small, so every setting goes with it
        ]
    )
    assert _hidden(table) == [set(), {"apc", "op", "total"}]


def test_a_setting_the_others_cannot_protect_hides_the_whole_row() -> None:
    """mh dominated at £100,000 beside £5,000 of everything else: no set of the others holds 10% of it, so the row's
    total goes too (and with it everything built on the practice's activity and patients)."""
    table = _practices([{"apc": (50, 4_000.0), "op": (20, 1_000.0), "mh": (60, 100_000.0), "dominated": ("mh",)}])
    more = secondary.row_partners("gp_practice_cost", table, RULE)
    assert more["activity"].tolist() == [True] and more["patients"].tolist() == [True]
    assert _hidden(table) == [{"apc", "op", "mh", "total"}]


@pytest.mark.parametrize("seed", range(20))
def test_every_hidden_setting_keeps_the_protection_interval(seed: int) -> None:
    """Random rows: wherever the total is shown, each hidden setting's cost is at most the others hidden over 10%
    (so the total less the shown ones leaves it that much room), and no setting is hidden alone."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(30):
        row: dict[str, Any] = {
            s: (int(rng.integers(0, 40)), float(rng.choice([0, 1]) * rng.lognormal(7, 2))) for s in SETTINGS
        }
        row = {s: (n, c if n else 0.0) for s, (n, c) in row.items()}
        row["dominated"] = tuple(s for s in SETTINGS if rng.random() < 0.15)
        rows.append(row)
    table = _practices(rows)
    partnered = 0
    for row, hidden in zip(rows, _hidden(table), strict=True):
        if "total" in hidden:
            continue
        partnered += len(hidden) > 1
        costs = {s: row[s][1] for s in hidden}
        assert len([s for s in hidden if costs[s] != 0]) != 1
        for s in hidden:
            assert sum(costs.values()) - costs[s] >= RULE.protection_percent / 100 * costs[s] - 1e-9
    assert partnered > 0  # the rows do put the step to work

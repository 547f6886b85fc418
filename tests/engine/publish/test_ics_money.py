"""The ICS money rule (issue 16k): an ICS rate times the ICS count, less the shown providers' rates times counts,
is the hidden providers' money; where it narrows a hidden provider's money, the cell's ICS count is hidden."""

from __future__ import annotations

import math

import highspy
import numpy as np
import pyarrow as pa

from engine.metrics import catalog
from engine.publish import highs, ics_money
from engine.publish.suppression import SuppressionRule

COLUMNS = catalog.metric("unit_cost_benchmark").columns


def provider_b_cell(b_count: int, b_cost: float, b_shown: bool = False) -> tuple[pa.Table, pa.Table]:
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
    full, shown = provider_b_cell(7, 7_000.0)
    exposed = ics_money.exposed_ics_money("unit_cost_benchmark", full, shown, COLUMNS, SuppressionRule())
    assert exposed["ics_activity"].tolist() == [True, True]


def test_an_ics_rate_that_leaves_room_stays() -> None:
    # B at A's rate: the ICS rate says nothing of B's cost beyond what its count's interval allows (£100 to £900)
    full, shown = provider_b_cell(5, 500.0)
    assert ics_money.exposed_ics_money("unit_cost_benchmark", full, shown, COLUMNS, SuppressionRule()) == {}
    # nothing hidden in the cell: nothing to protect
    full, shown = provider_b_cell(7, 7_000.0, b_shown=True)
    assert ics_money.exposed_ics_money("unit_cost_benchmark", full, shown, COLUMNS, SuppressionRule()) == {}


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
    exposed = ics_money.exposed_ics_levels(*_levels(1), SuppressionRule())
    assert exposed.tolist() == [True, True, True]
    # with 5 records alone in TFC 420 (the HRG's 26 shown as 25) it lies between 0 and 27 - 8 - 13 = 6: room either side
    assert not ics_money.exposed_ics_levels(*_levels(5), SuppressionRule()).any()


def _every_program_narrows(
    rows: np.ndarray,
    hidden: np.ndarray,
    n: np.ndarray,
    r: np.ndarray,
    t: np.ndarray,
    big_n: float,
    big_r: float,
    big_t: float,
    money: np.ndarray,
    half: int,
    share: float,
) -> bool:
    """The rule as first written: a new solver, and each hidden provider's least and greatest money solved."""
    targets = [i for i in rows.tolist() if hidden[i] and money[i] != 0 and not np.isnan(money[i])]
    if not targets:
        return False
    inf = highspy.kHighsInf
    h = highs.quiet_highs()
    k = len(rows)
    secret = [i for i in rows.tolist() if hidden[i]]
    rates, slacks = [], []
    for i in rows.tolist():
        if hidden[i]:
            h.addVar(0.0, inf)
            rates.append(0.0)
            slacks.append(0.0)
        else:
            h.addVar(0.0, 0.0) if n[i] == 0 else h.addVar(max(n[i] - half, 0.0), n[i] + half)
            own, slack = ics_money.rate_slack(r[i], t[i], n[i])
            rates.append(own)
            slacks.append(slack)
    for i in secret:
        h.addVar(0.0 if money[i] >= 0 else -inf, inf)
    counts = np.arange(k, dtype=np.int32)
    h.addRow(*((0.0, 0.0) if big_n == 0 else (max(big_n - half, 0.0), big_n + half)), k, counts, np.ones(k))
    big_r, big_slack = ics_money.rate_slack(big_r, big_t, big_n)
    cols = np.arange(k + len(secret), dtype=np.int32)
    for side in (-1.0, 1.0):
        coefficients = [
            rate + side * slack - (big_r - side * big_slack) for rate, slack in zip(rates, slacks, strict=True)
        ]
        values = np.concatenate([np.array(coefficients), np.ones(len(secret))])
        h.addRow(*((-inf, 0.0) if side < 0 else (0.0, inf)), len(cols), cols, values)
    for i in targets:
        value = float(money[i])
        objective = np.zeros(len(cols))
        objective[k + secret.index(i)] = 1.0
        h.changeColsCost(len(cols), cols, objective)
        for sense, beyond in ((highspy.ObjSense.kMinimize, -1.0), (highspy.ObjSense.kMaximize, 1.0)):
            h.changeObjectiveSense(sense)
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                continue
            reach = h.getInfo().objective_function_value
            if beyond * (reach - value) < share * abs(value) - 0.01:
                return True
    return False


def test_the_programs_left_out_never_change_the_answer() -> None:
    """`_money_narrow` solves one solver's programs and leaves out those that cannot narrow (a hidden provider of
    several: its least, and both ways when another has no floor; the greatest once for all): on random cells of two
    to six providers, some hidden, money of either sign or missing, its answer is the one every program gives."""
    rng = np.random.default_rng(7)
    solver = highs.quiet_highs()
    answers = {True: 0, False: 0}
    for _ in range(600):
        k = int(rng.integers(2, 7))
        counts = rng.integers(0, 40, size=k).astype(float)
        money = np.round(counts * rng.uniform(50, 400, size=k), 2)
        money[rng.random(k) < 0.15] *= -1
        money[rng.random(k) < 0.05] = np.nan
        money[rng.random(k) < 0.05] = 0.0
        hidden = rng.random(k) < 0.5
        hidden[int(rng.integers(k))] = True
        true_n, true_money = counts.sum(), np.nansum(money)
        rate = np.where(counts > 0, money / np.where(counts > 0, counts, 1), 0.0)
        hidden |= np.isnan(rate)  # a row without a rate is hidden, as exposed_ics_money reads it
        n = np.where(hidden, np.nan, 5 * np.floor(counts / 5 + 0.5))
        r = np.where(hidden, np.nan, np.round(rate, 2))
        t = np.where(hidden | (rng.random(k) < 0.5), np.nan, money)
        big_n = 5 * math.floor(true_n / 5 + 0.5)
        big_r = round(true_money / true_n, 2) if true_n else 0.0
        big_t = round(true_money, 2) if rng.random() < 0.3 else math.nan
        rows = np.arange(k)
        figures = (rows, hidden, n, r, t, big_n, big_r, big_t, money, 2, 0.1)
        expected = _every_program_narrows(*figures)
        assert ics_money._money_narrow(solver, *figures) == expected, figures
        answers[expected] += 1
    assert answers[True] > 20 and answers[False] > 20  # both answers met, so the comparison says something

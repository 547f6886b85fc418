"""The ICS money rule (issue 16k): an ICS rate times the ICS count, less the shown providers' rates times counts,
is the hidden providers' money; where it narrows a hidden provider's money, the cell's ICS count is hidden."""

from __future__ import annotations

import math

import highspy
import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


def _lp_narrows(
    h: highspy.Highs,
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
    """The rule as its linear programs judged it before the closed form (1bc2053's `_money_narrow`): whether the ICS
    cell of `rows` narrows a hidden provider's money to less than `share` beyond it either side.

    `h` is a solver to use (its model is cleared first). The programs solved are only those whose answer can matter:
    the hidden providers' money enters the program only as its sum, so with two or more hidden providers one can
    take money from another that has no floor (money below 0 allowed: then both of its bounds are unbounded) or give
    it to another without limit (then its least is its floor, 0, which is never within `share` of a positive money).
    Then only the greatest is solved, and only when every other hidden provider's floor is 0, where it is the same
    for every such provider (the most the hidden providers' money can sum to, the others at 0): solved once."""
    targets = [i for i in rows.tolist() if hidden[i] and money[i] != 0 and not np.isnan(money[i])]
    if not targets:
        return False
    inf = highspy.kHighsInf
    h.clearModel()
    k = len(rows)
    secret = [i for i in rows.tolist() if hidden[i]]
    floorless = [i for i in secret if not money[i] >= 0]  # a hidden money with no floor (below 0 allowed)
    rates, slacks = [], []
    for i in rows.tolist():
        own, slack = (0.0, 0.0) if hidden[i] else ics_money.rate_slack(r[i], t[i], n[i])
        rates.append(own)
        slacks.append(slack)
    # every count, then every hidden money, added at once: a hidden count 0 to no limit, a shown one within rounding
    # (exactly 0 when shown as 0), a hidden money from 0 when it is not negative
    shown_n = np.where(hidden[rows], 0.0, n[rows])
    count_low = np.where(hidden[rows] | (shown_n == 0), 0.0, np.maximum(shown_n - half, 0.0))
    count_high = np.where(hidden[rows], inf, np.where(shown_n == 0, 0.0, shown_n + half))
    money_low = np.where(money[secret] >= 0, 0.0, -inf)
    money_high = np.full(len(secret), inf)
    h.addVars(k + len(secret), np.concatenate([count_low, money_low]), np.concatenate([count_high, money_high]))
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
    alone = len(secret) == 1
    greatest: float | None = None  # the greatest solved for one hidden provider of several: the same for each
    for i in targets:
        if any(j != i for j in floorless):
            continue  # another hidden provider without a floor: this one's money is unbounded both ways
        value = float(money[i])
        if not alone and greatest is not None:
            reaches = [(1.0, greatest)]
        else:
            objective = np.zeros(len(cols))
            objective[k + secret.index(i)] = 1.0
            h.changeColsCost(len(cols), cols, objective)
            reaches = []
            senses = ((highspy.ObjSense.kMinimize, -1.0),) if alone else ()
            for sense, beyond in (*senses, (highspy.ObjSense.kMaximize, 1.0)):
                h.changeObjectiveSense(sense)
                try:
                    reached = highs.settled_optimum(h)
                except highs.UnsettledSolveError:
                    return True  # not shown to be safe: hidden
                if reached is not None:  # else unbounded that way
                    reaches.append((beyond, reached))
            if not alone:
                greatest = next((reach for beyond, reach in reaches if beyond > 0), math.nan)
        for beyond, reach in reaches:
            if beyond * (reach - value) < share * abs(value) - 0.01:
                return True
    return False


def _closed_narrows(
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
    """The rule's closed form (`ics_money.money_narrowed`) on the one ICS cell of `rows`, its ICS figures shown."""
    k = len(rows)
    figures = ics_money.Figures(n, r, t, np.full(k, big_n), np.full(k, big_r), np.full(k, big_t), money)
    out = ics_money.money_narrowed(np.zeros(k, dtype=np.int64), hidden, np.ones(k, dtype=bool), figures, half, share)
    assert out.all() or not out.any()  # a cell's rows are hidden together
    return bool(out.any())


def test_the_programs_left_out_never_change_the_answer() -> None:
    """The rule leaves out the programs that cannot narrow (a hidden provider of several: its least, and both ways
    when another has no floor; the greatest once for all), and now solves the rest in closed form: on random cells
    of two to six providers, some hidden, money of either sign or missing, its answer (and the linear programs' it
    replaced) is the one every program gives."""
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
        assert _lp_narrows(solver, *figures) == expected, figures
        assert _closed_narrows(*figures) == expected, figures
        answers[expected] += 1
    assert answers[True] > 20 and answers[False] > 20  # both answers met, so the comparison says something


def _money(draw: st.DrawFn) -> float:
    return draw(st.sampled_from([0.0, math.nan, 0.004, 0.1, 1.0])) if draw(st.booleans()) else draw(_amounts)


_amounts = st.floats(-5_000.0, 50_000.0, allow_nan=False).map(lambda x: round(x, 2))


@st.composite
def _cells(draw: st.DrawFn) -> tuple[object, ...]:
    """One ICS cell's figures, any at all: one to five providers, counts shown (to 5 or not) or hidden, 0 among
    them, rates to the penny or with totals, money of either sign, 0 or missing, ICS figures consistent or not,
    rounding 0 or 2, protection 0 or 10%."""
    k = draw(st.integers(1, 5))
    hidden = np.array(draw(st.lists(st.booleans(), min_size=k, max_size=k)))
    shown_counts = st.one_of(st.sampled_from([0.0, 5.0, 10.0]), st.integers(0, 60).map(float))
    n = np.array([math.nan if h else draw(shown_counts) for h in hidden])
    r = np.array([math.nan if h else draw(st.floats(0.0, 900.0).map(lambda x: round(x, 2))) for h in hidden])
    t = np.array([math.nan if h or draw(st.booleans()) else draw(_amounts) for h in hidden])
    money = np.array([_money(draw) for _ in range(k)])
    big_n = draw(st.one_of(st.just(0.0), st.integers(0, 200).map(float)))
    big_r = draw(st.floats(0.0, 900.0).map(lambda x: round(x, 2)))
    big_t = draw(st.one_of(st.just(math.nan), _amounts))
    half, share = draw(st.sampled_from([0, 2])), draw(st.sampled_from([0.0, 0.1]))
    return (np.arange(k), hidden, n, r, t, big_n, big_r, big_t, money, half, share)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cells())
def test_the_closed_form_is_the_linear_programs_answer(figures: tuple[object, ...]) -> None:
    """The closed form gives the linear programs' answer on any cell: degenerate ones too (zero counts, one hidden
    provider, no rounding, no protection, figures no counts can meet, which the programs read as narrowed)."""
    assert _closed_narrows(*figures) == _lp_narrows(_SOLVER, *figures)  # type: ignore[arg-type]


_SOLVER = highs.quiet_highs()


def test_figures_no_counts_can_meet_are_read_as_narrowed() -> None:
    """Where no counts meet the shown figures, nothing shows a hidden money keeps its room: narrowed, as the linear
    programs read an infeasible program (unsettled). Shown counts above the ICS count's; and A's rate above the
    ICS's, so that A's money alone exceeds the ICS's by a fraction of a penny (B's money, at least 0, cannot make it
    up) while B's tiny money would otherwise keep its room. Protection 0: only the penny's margin."""
    rows, hidden = np.arange(2), np.array([False, True])
    t = np.full(2, np.nan)
    # A's 20 records (18 to 22) in an ICS of 10 (8 to 12): taken at 18, they would leave B £899.82 to £900.18
    over = (rows, hidden, np.array([20.0, np.nan]), np.array([50.0, np.nan]), t, 10.0, 100.0, math.nan)
    money = np.array([1_000.0, 900.0])
    assert _closed_narrows(*over, money, 2, 0.0) and _lp_narrows(_SOLVER, *over, money, 2, 0.0)
    # A: 10 records at 100.0103 against the ICS's 10 at 100.00 (either within half a penny): at most 10 x -0.0003
    # left for B, whose 0.4p would keep its room (0 to -0.3p is 0.7p away, not under a penny less 10% of it)
    short = (rows, hidden, np.array([10.0, np.nan]), np.array([100.0103, np.nan]), t, 10.0, 100.0, math.nan)
    money = np.array([1_000.103, 0.004])
    assert _closed_narrows(*short, money, 0, 0.0) and _lp_narrows(_SOLVER, *short, money, 0, 0.0)

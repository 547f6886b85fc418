"""The ICS money route: an ICS rate gives back a hidden provider's money.

An ICS rate is the ICS's money over its count, every provider's records in it, so the ICS rate x the ICS count less
the shown providers' rate x count is the hidden providers' money, to within the rounding of every count
(round_to // 2) and rate (the penny, or finer from a total at the rounded count). Where a linear program over those
figures (solved in closed form, `money_narrowed`) narrows a hidden provider's money, the cell's ICS count is hidden
(`exposed_ics_money`); an HRG's or POD's ICS count that is the sum of its cells' and narrows a hidden one is hidden
too (`exposed_ics_levels`). What the route and the published sums give together is `chained`'s audit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from engine.metrics.catalog import ColumnDoc
from engine.publish import suppression
from engine.publish.secondary import ALL, as_floats, ics_cells
from engine.publish.suppression import SuppressionRule

# table -> [(count, rate, the provider's total (None: rate x count), ICS rate, ICS total or None)], for the rows whose
# unit of count is the record (where units, the rate's denominator, are the count).
ICS_MONEY: dict[str, list[tuple[str, str, str | None, str, str | None]]] = {
    "unit_cost_benchmark": [("activity", "mean_cost", "total_cost", "ics_mean_cost", None)],
    "cost_driver_benchmark": [("activity", "driver_cost_per_case", "driver_cost", "ics_driver_cost_per_case", None)],
    "opportunity_summary": [("activity", "mean_cost", "cost", "ics_mean_cost", None)],
    "cost_trend": [("activity", "mean_cost", "total_cost", "ics_mean_cost", None)],
    "service_line_benchmark": [("activity", "mean_cost", "total_cost", "ics_mean_cost", "ics_total_cost")],
    "los_benchmark": [("spells", "mean_los_untrimmed", "bed_days", "ics_mean_los_untrimmed", None)],
    "pathway_cost": [("pathways", "cost_per_pathway", "total_cost", "ics_cost_per_pathway", None)],
    "clinical_support": [
        ("activity", f"{s}_cost_per_case", None, f"ics_{s}_cost_per_case", None)
        for s in ("pharmacy", "imaging", "pathology")
    ],
}
RECORD_UNITS = ("attendance", "contact", "episode")


def exposed_ics_money(
    name: str, full: pa.Table, shown: pa.Table, columns: Sequence[ColumnDoc], rule: SuppressionRule
) -> dict[str, np.ndarray]:
    """ICS counts to hide because the ICS rate beside them gives a hidden provider's money back: for each ICS cell
    with a hidden provider and its ICS count and rate shown, the least and greatest money of each hidden provider
    that the shown counts and rates allow (the true counts within rounding, the ICS count their sum, ICS rate x ICS
    count = the shown rates x counts + the hidden money, a hidden figure of money that is not negative taken as at
    least 0; `money_narrowed`). Where that interval reaches less than protection_percent beyond a hidden provider's
    money on either side, the cell's ICS count is hidden, and what is built on it. `shown` is the table as published
    so far; True for each row of such a cell."""
    keys = suppression.benchmark_cells(columns)
    if name not in ICS_MONEY or not keys:
        return {}
    cell = ics_cells(full, keys)
    records = (
        np.isin(np.asarray(full["unit_of_count"].to_pylist(), dtype=object), RECORD_UNITS)
        if "unit_of_count" in full.column_names
        else np.ones(full.num_rows, dtype=bool)
    )

    def floats(table: pa.Table, column: str) -> np.ndarray:
        return as_floats(table[column])

    half, share = rule.round_to // 2, rule.protection_percent / 100
    exposed: dict[str, np.ndarray] = {}
    for count, rate, total, ics_rate, ics_total in ICS_MONEY[name]:
        ics_count = f"ics_{count}"
        n_true = np.nan_to_num(floats(full, count))
        money = floats(full, total) if total else floats(full, rate) * n_true
        n, r = floats(shown, count), floats(shown, rate)
        t = floats(shown, total) if total else np.full(full.num_rows, np.nan)
        big_n, big_r = floats(shown, ics_count), floats(shown, ics_rate)
        big_t = floats(shown, ics_total) if ics_total else np.full(full.num_rows, np.nan)
        hidden = np.isnan(n) | np.isnan(r)
        wanted = records & ~np.isnan(big_n) & ~np.isnan(big_r)
        out = money_narrowed(cell, hidden, wanted, Figures(n, r, t, big_n, big_r, big_t, money), half, share)
        if out.any():
            exposed[ics_count] = exposed.get(ics_count, np.zeros(full.num_rows, dtype=bool)) | out
    return exposed


def rate_slack(rate: float, total: float, count: float) -> tuple[float, float]:
    """A shown rate and how far the true one can be from it: the penny, or finer from a total at the rounded count."""
    if not np.isnan(total) and not np.isnan(count) and count > 0:
        return total / count, 0.005 / count + 1e-9
    return rate, 0.005 + 1e-9


def rate_slacks(rate: np.ndarray, total: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`rate_slack` of every row at once (the same arithmetic, so the same figures)."""
    finer = ~np.isnan(total) & ~np.isnan(count) & (count > 0)
    per = np.where(finer, count, 1.0)
    return np.where(finer, total / per, rate), np.where(finer, 0.005 / per + 1e-9, 0.005 + 1e-9)


class Figures(NamedTuple):
    """One money equation's figures, a row each: the provider's count, rate and total as shown (NaN: hidden or not
    published), its ICS cell's count, rate and total as shown, and the provider's true money."""

    n: np.ndarray
    r: np.ndarray
    t: np.ndarray
    big_n: np.ndarray
    big_r: np.ndarray
    big_t: np.ndarray
    money: np.ndarray


def money_narrowed(
    cell: np.ndarray, hidden: np.ndarray, wanted: np.ndarray, f: Figures, half: int, share: float
) -> np.ndarray:
    """True for each row of an ICS cell (`cell`, a number per row) that narrows a hidden provider's money to less
    than `share` beyond it either side: every row of the cell `wanted` (its ICS count and rate shown) and one hidden.

    The program of a cell: counts c_j (a hidden one from 0, a shown one within `half` of it, exactly 0 when shown as
    0) summing to within `half` of the ICS count, a money m_s per hidden provider (from 0 when the true money is not
    negative), and  sum_j b_j c_j <= sum_s m_s <= sum_j a_j c_j,  where a_j and b_j are the ICS rate less provider j's
    rate (0 when hidden), both taken at the ends of their slack that widen the range. The hidden money enters only
    as its sum M, which can be any figure between the least of sum b c and the greatest of sum a c over the counts'
    box and sum (the box is convex and b_j <= a_j), so a linear program's optimum is closed form: the greatest of a
    sum of weights times counts given their box and their sum (`_greatest`), taking the extra records above each
    count's least in order of weight, for every cell at once.
    - One hidden provider: its money lies from the least of sum b c (or 0, its floor) to the greatest of sum a c.
    - Several: one can take money from another without a floor (unbounded both ways) or give to another without
      limit (its least is its floor, 0, never within `share` of a positive money), so only the greatest counts, where
      every other hidden provider has a floor: the greatest of sum a c, the others at 0.
    No figures allow the program (its counts' box misses their sum, or sum a c below 0 when every hidden money has a
    floor 0): not shown to be safe, so narrowed, as an infeasible linear program was read."""
    out = np.zeros(len(cell), dtype=bool)
    if not len(cell):
        return out
    order = np.argsort(cell, kind="stable")
    first = np.flatnonzero(np.diff(cell[order], prepend=-1))
    group = np.cumsum(np.diff(cell[order], prepend=-1) != 0) - 1
    asked = np.logical_or.reduceat(hidden[order], first) & np.logical_and.reduceat(wanted[order], first)
    rows = order[asked[group]]  # the rows of the cells asked about, cell by cell
    if not len(rows):
        return out
    starts = np.flatnonzero(np.diff(cell[rows], prepend=-1))
    at = np.cumsum(np.diff(cell[rows], prepend=-1) != 0) - 1  # each row's cell, 0 to cells - 1
    cells, lead = len(starts), rows[starts]  # the ICS figures are read from each cell's first row
    secret, money = hidden[rows], f.money[rows]
    shown_n = np.where(secret, 0.0, f.n[rows])
    low = np.where(secret | (shown_n == 0), 0.0, np.maximum(shown_n - half, 0.0))
    high = np.where(secret, np.inf, np.where(shown_n == 0, 0.0, shown_n + half))
    big_n = f.big_n[lead]
    least_sum = np.where(big_n == 0, 0.0, np.maximum(big_n - half, 0.0))
    most_sum = np.where(big_n == 0, 0.0, big_n + half)
    big_r, big_slack = rate_slacks(f.big_r[lead], f.big_t[lead], big_n)
    own, slack = rate_slacks(f.r[rows], f.t[rows], f.n[rows])
    own, slack = np.where(secret, 0.0, own), np.where(secret, 0.0, slack)
    # the coefficients of the two inequalities as the linear program stated them, less the hidden money's
    upper = -(own - slack - (big_r + big_slack)[at])  # a_j
    lower = own + slack - (big_r - big_slack)[at]  # -b_j
    box = _Box(at, cells, low, high, least_sum, most_sum)
    greatest, least = _greatest(upper, box), -_greatest(lower, box)
    floorless = secret & ~(money >= 0)
    floorless_in = np.bincount(at, weights=floorless, minlength=cells)
    hidden_in = np.bincount(at, weights=secret, minlength=cells)
    feasible = box.holds() & ((greatest >= 0) | (floorless_in > 0))
    # a hidden provider with money to protect, and no other hidden provider of its cell without a floor
    target = secret & (money != 0) & ~np.isnan(money) & (floorless_in[at] - floorless == 0)
    value = np.where(target, money, 0.0)
    room = share * np.abs(value) - 0.01
    beyond_high = 1.0 * (greatest[at] - value) < room
    alone = hidden_in[at] == 1
    lowest = np.maximum(least[at], np.where(value >= 0, 0.0, -np.inf))
    beyond_low = -1.0 * (lowest - value) < room
    hit = target & (beyond_high | (alone & beyond_low))
    narrowed = (np.bincount(at, weights=target, minlength=cells) > 0) & (
        ~feasible | (np.bincount(at, weights=hit, minlength=cells) > 0)
    )
    out[rows] = narrowed[at]
    return out


class _Box(NamedTuple):
    """Every asked cell's counts: each row's cell (`at`, rows cell by cell), the count's least and greatest, and
    the least and greatest of their sum in each cell."""

    at: np.ndarray
    cells: int
    low: np.ndarray
    high: np.ndarray
    least_sum: np.ndarray
    most_sum: np.ndarray

    def sums(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.at, weights=values, minlength=self.cells)

    def holds(self) -> np.ndarray:
        """Whether each cell's counts can meet their sum."""
        return (self.sums(self.low) <= self.most_sum) & (self.least_sum <= self.sums(self.high))


def _greatest(weight: np.ndarray, box: _Box) -> np.ndarray:
    """Each cell's greatest sum of weight x count over its counts' box and sum: every count at its least, then the
    extra records (at least the sum's least less theirs, at most its greatest less theirs, and else as many as the
    counts of positive weight take) given to the counts in order of weight, most first. Meaningless in a cell whose
    box misses its sum (not box.holds())."""
    order = np.lexsort((-weight, box.at))
    at, weight, low = box.at[order], weight[order], box.low[order]
    low_sum = box.sums(box.low)
    most = box.most_sum - low_sum
    room = np.minimum(box.high[order] - low, np.maximum(most, 0.0)[at])  # no count takes more than the whole extra
    wanted = np.bincount(at, weights=np.where(weight > 0, room, 0.0), minlength=box.cells)
    extra = np.minimum(np.maximum(wanted, box.least_sum - low_sum), most)
    taken = np.cumsum(room) - room  # the room of the rows before, from the first cell's first row
    before = taken - taken[np.flatnonzero(np.diff(at, prepend=-1))][at]
    given = np.clip(extra[at] - before, 0.0, room)
    return np.bincount(at, weights=weight * low + weight * given, minlength=box.cells)


def exposed_ics_levels(
    cells_full: pa.Table, cells_shown: pa.Table, summary_full: pa.Table, summary_shown: pa.Table, rule: SuppressionRule
) -> np.ndarray:
    """opportunity_summary rows whose ICS count to hide because the ICS counts one level down add up to it: an
    HRG's ICS count is the sum of its unit_cost_benchmark cells' ICS counts (every TFC and setting), a POD's the sum
    of its HRGs'. A cell's ICS count hidden (small, or hidden by the rule above) is then bounded by the level's less
    the shown cells' (each within round_to // 2), and a hidden provider's count in that cell by that less the other
    providers' shown counts. Where a small hidden count is left less than protection_percent of room on either side
    (as exposed_ics_counts judges it), the level's ICS count is hidden, in every row of opportunity_summary stating
    it (its cost drivers' too). True for each such row; the caller asks again until nothing more is hidden, as a
    hidden HRG count is a part of its POD's."""
    out = np.zeros(summary_shown.num_rows, dtype=bool)

    def column(table: pa.Table, name: str) -> np.ndarray:
        return as_floats(table[name])

    def strings(table: pa.Table, name: str) -> list[object]:
        return list(table[name].to_pylist())

    s_pod, s_hrg, s_driver = (strings(summary_shown, c) for c in ("pod", "hrg", "cost_driver"))
    s_year, s_unit = strings(summary_shown, "fin_year"), strings(summary_shown, "unit_of_count")
    s_ics = column(summary_shown, "ics_activity")
    level_rows: dict[tuple[object, ...], list[int]] = {}
    level_count: dict[tuple[object, ...], float] = {}
    for i in range(summary_shown.num_rows):
        if s_pod[i] == ALL:
            continue
        key = (s_year[i], s_pod[i], s_hrg[i], s_unit[i])
        level_rows.setdefault(key, []).append(i)
        if s_driver[i] == ALL:
            level_count[key] = s_ics[i]
    half, share = rule.round_to // 2, rule.protection_percent / 100
    # the parts: (level key, ICS cell key, true count, shown count, shown ICS count) per provider row
    parts: list[tuple[tuple[object, ...], tuple[object, ...], float, float, float]] = []
    c_keys = [strings(cells_shown, c) for c in ("fin_year", "pod", "hrg", "unit_of_count", "setting", "tfc")]
    c_true, c_n, c_ics = (
        column(cells_full, "activity"),
        column(cells_shown, "activity"),
        column(cells_shown, "ics_activity"),
    )
    for i in range(cells_shown.num_rows):
        level: tuple[object, ...] = (c_keys[0][i], c_keys[1][i], c_keys[2][i], c_keys[3][i])
        parts.append((level, (*level, c_keys[4][i], c_keys[5][i]), c_true[i], c_n[i], c_ics[i]))
    s_true, s_n = column(summary_full, "activity"), column(summary_shown, "activity")
    for i in range(summary_shown.num_rows):
        if s_pod[i] != ALL and s_hrg[i] != ALL and s_driver[i] == ALL:
            level = (s_year[i], s_pod[i], ALL, s_unit[i])
            parts.append((level, (s_year[i], s_pod[i], s_hrg[i], s_unit[i]), s_true[i], s_n[i], s_ics[i]))
    by_level: dict[tuple[object, ...], dict[tuple[object, ...], list[tuple[float, float, float]]]] = {}
    for level, cell, true, n, ics in parts:
        by_level.setdefault(level, {}).setdefault(cell, []).append((true, n, ics))

    def interval(total: float, shown: list[float], blanks: int) -> tuple[float, float]:
        """A hidden part's least and greatest given the total (shown to round_to) and the shown parts."""
        low_total, high_total = (0.0, 0.0) if total == 0 else (total - half, total + half)
        low_parts = sum(0.0 if n == 0 else n - half for n in shown)
        high_parts = sum(0.0 if n == 0 else n + half for n in shown)
        return (max(low_total - high_parts, 0.0) if blanks == 1 else 0.0), high_total - low_parts

    for at, cells in by_level.items():
        total = level_count.get(at, np.nan)
        if np.isnan(total):
            continue
        ics_shown = [rows[0][2] for rows in cells.values() if not np.isnan(rows[0][2])]
        ics_blank = sum(1 for rows in cells.values() if np.isnan(rows[0][2]))
        if ics_blank == 0:
            continue
        low_cell, high_cell = interval(total, ics_shown, ics_blank)
        for rows in cells.values():
            if not np.isnan(rows[0][2]):
                continue
            shown = [n for _, n, _ in rows if not np.isnan(n)]
            blanks = sum(1 for _, n, _ in rows if np.isnan(n))
            low_parts = sum(0.0 if n == 0 else n - half for n in shown)
            high_parts = sum(0.0 if n == 0 else n + half for n in shown)
            low = max(low_cell - high_parts, 0.0) if blanks == 1 else 0.0
            high = high_cell - low_parts
            for true, n, _ in rows:
                if not (np.isnan(n) and 0 < true < rule.smallest_shown):
                    continue
                if high < true * (1 + share) or low > true * (1 - share):
                    out[level_rows.get(at, [])] = True
    return out

"""The ICS money route: an ICS rate gives back a hidden provider's money.

An ICS rate is the ICS's money over its count, every provider's records in it, so the ICS rate x the ICS count less
the shown providers' rate x count is the hidden providers' money, to within the rounding of every count
(round_to // 2) and rate (the penny, or finer from a total at the rounded count). Where a linear program over those
figures narrows a hidden provider's money, the cell's ICS count is hidden (`exposed_ics_money`); an HRG's or POD's ICS
count that is the sum of its cells' and narrows a hidden one is hidden too (`exposed_ics_levels`). What the route and
the published sums give together is `chained`'s audit."""

from __future__ import annotations

import math
from collections.abc import Sequence

import highspy
import numpy as np
import pyarrow as pa

from engine.metrics.catalog import ColumnDoc
from engine.publish import suppression
from engine.publish.highs import UnsettledSolveError, quiet_highs, settled_optimum
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
    that the shown counts and rates allow (a linear program: the true counts within rounding, the ICS count their
    sum, ICS rate x ICS count = the shown rates x counts + the hidden money, a hidden figure of money that is not
    negative taken as at least 0). Where that interval reaches less than protection_percent beyond a hidden
    provider's money on either side, the cell's ICS count is hidden, and what is built on it. `shown` is the table
    as published so far; True for each row of such a cell."""
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
    solver: highspy.Highs | None = None
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
        out = np.zeros(full.num_rows, dtype=bool)
        order = np.argsort(cell, kind="stable")
        starts = np.flatnonzero(np.diff(cell[order], prepend=-1))
        for rows in np.split(order, starts[1:]):
            if not (hidden[rows].any() and wanted[rows].all()):
                continue
            if solver is None:
                solver = quiet_highs()  # one for every cell: making one (its banner silenced) cost more than solving
            cell_figures = (big_n[rows[0]], big_r[rows[0]], big_t[rows[0]])
            if _money_narrow(solver, rows, hidden, n, r, t, *cell_figures, money, half, share):
                out[rows] = True
        if out.any():
            exposed[ics_count] = exposed.get(ics_count, np.zeros(full.num_rows, dtype=bool)) | out
    return exposed


def rate_slack(rate: float, total: float, count: float) -> tuple[float, float]:
    """A shown rate and how far the true one can be from it: the penny, or finer from a total at the rounded count."""
    if not np.isnan(total) and not np.isnan(count) and count > 0:
        return total / count, 0.005 / count + 1e-9
    return rate, 0.005 + 1e-9


def _money_narrow(
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
    """Whether the ICS cell of `rows` narrows a hidden provider's money to less than `share` beyond it either side.

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
        own, slack = (0.0, 0.0) if hidden[i] else rate_slack(r[i], t[i], n[i])
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
    big_r, big_slack = rate_slack(big_r, big_t, big_n)
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
                    reached = settled_optimum(h)
                except UnsettledSolveError:
                    return True  # not shown to be safe: hidden
                if reached is not None:  # else unbounded that way
                    reaches.append((beyond, reached))
            if not alone:
                greatest = next((reach for beyond, reach in reaches if beyond > 0), math.nan)
        for beyond, reach in reaches:
            if beyond * (reach - value) < share * abs(value) - 0.01:
                return True
    return False


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

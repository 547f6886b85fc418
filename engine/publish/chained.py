"""The ICS money route and the published sums taken together (issue 16p).

ics_money.exposed_ics_money judges each ICS cell's money equation alone (ICS rate x ICS count = the shown providers'
rate x count + the hidden providers' money), and secondary.choose judges the published sums alone. An attacker can put
both in one linear program: a hidden provider's cost bounded by the ICS rate beside it is also a part of its
provider's HRG, POD and year sums, whose other hidden parts may be bounded by ICS rates of their own, and what one
route leaves open the other may close (tests/engine/publish/disclosure_attacker.py, `chained_intervals`).

`exposed` audits each ICS cell with a hidden provider and its ICS count and rate shown: one small linear program over
the cell's money equation, every published sum its hidden providers are part of (the other cells of each sum at their
exact cost where shown) and the money equation of every ICS cell beside which one of those sums' other hidden cells
sits; then, STEPS times in all, the sums of every hidden cell now in the program and the ICS cells beside theirs
(issue 16t: a narrowing two sums out was missed at one step). The program holds fewer equations than the attacker's
(the sums and ICS cells further out are left out), so every interval it finds is at least as wide as the attacker's:
whatever it narrows is truly narrowed. Where a hidden provider's cost of the cell, or another hidden part of one of
its sums with at most FEW hidden parts, reaches less than protection_percent beyond it on either side, the cell's ICS
count is hidden, and what is built on it (as exposed_ics_money does). Each solution of the program is a point this
program cannot rule out (issue 16o's witnesses): a side it shows open is never solved for, so the sides are pushed
together first, again and again the sides still shut while a push shows more open (issue 21e), and only those left
are solved one by one. ICS cells whose programs reach the same sums and ICS
cells share one program, built and solved once for all their targets (at scale 0.01, 2,659 cells have 432).
One audit is enough: hiding an ICS count only takes an equation out of every other cell's program.

Issue 21c: the walks out from the cells (`_Reach`, `_programs`) and the programs' rows (`_Layout`, `_Program`) are made
with arrays for many cells at once, not with sets and loops one cell at a time; every program is the one those made,
bit for bit (its columns, rows, bounds and coefficients in the same order, each sum's shown parts added up in the
same order), so the same counts are hidden. The solves use the primal simplex method (most change only the objective).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from itertools import chain, pairwise

import highspy
import numpy as np
import pyarrow as pa

from engine.config import ServiceLineSpec
from engine.metrics import catalog
from engine.publish import highs, ics_money, secondary, suppression
from engine.publish.suppression import SuppressionRule

FEW = 3  # a sum's hidden parts at most for its other hidden parts to be audited too
STEPS = 3  # sums out from the cell: each step adds the sums of the cells in the program and their ICS cells
MANY = 12  # a sum's hidden parts at most for it to be in the program (the room of more is shared among too many)
LONG = 64  # a sum's parts at most for its shown parts to be added up with other sums' (`_in_order`)


class _Group:
    """One ICS cell with a hidden provider and its ICS count and rate shown, as the money equation states it."""

    def __init__(
        self,
        table: str,
        count: str,
        rows: np.ndarray,
        cells: list[int],
        n: np.ndarray,
        rates: np.ndarray,
        slacks: np.ndarray,
        hidden: np.ndarray,
        big: tuple[float, float, float],
    ) -> None:
        self.table, self.count, self.rows, self.cells = table, count, rows, cells
        self.n, self.rates, self.slacks, self.hidden = n, rates, slacks, hidden
        self.big_n, self.big_r, self.big_slack = big


def exposed(
    full: Mapping[str, pa.Table],
    shown: Mapping[str, pa.Table],
    rule: SuppressionRule,
    places: Mapping[str, str] | None = None,
    lines: Sequence[ServiceLineSpec] = (),
    steps: int = STEPS,
) -> dict[str, dict[str, np.ndarray]]:
    """table -> ICS count -> True for the rows of each ICS cell whose money equation, with the published sums,
    narrows a hidden cost (see the module's text). `full` the results, `shown` the tables as published so far."""
    names = tuple(n for n in secondary.TABLES if n in full and n in shown)
    cells = secondary.margin_cells({n: full[n] for n in names}, rule, places, lines)
    number: dict[str, np.ndarray] = {n: np.full(full[n].num_rows, -1, dtype=np.int64) for n in names}
    for c, (name, row) in enumerate(zip(cells.table, cells.row, strict=True)):
        number[name][row] = c
    size = len(cells.table)
    value = np.zeros(size)
    hidden = np.zeros(size, dtype=bool)
    for name in names:
        column = secondary.value_column(name)
        at = number[name]
        value[at] = np.nan_to_num(secondary.as_floats(full[name][column]))
        hidden[at] = np.isnan(secondary.as_floats(shown[name][column]))
    pairs = _Sums(cells.margins, hidden, value)
    parts, secret = pairs.parts, pairs.secret()
    groups = _groups(full, shown, names, number, rule)
    share = rule.protection_percent / 100
    programs = _programs(_Reach(groups, pairs, size), steps)
    out: dict[str, dict[str, np.ndarray]] = {}
    solver = highs.quiet_highs()
    solver.setOptionValue("presolve", "off")  # small programs, solved again from the last basis for each bound
    # most solves after a program's first change only the objective: the last basis stays feasible, and the primal
    # simplex method goes on from it where the dual one starts with a first phase (issue 21c: a quarter less CPU at
    # scale 0.1, the same cells hidden)
    solver.setOptionValue("simplex_strategy", 4)
    layout = _Layout(groups, pairs, value, hidden, rule.round_to // 2)
    for sums, beside, members in programs:
        program = _Program(solver, sums, beside, layout)
        for g in _narrowed(program, members, groups, secret, parts, value, hidden, share):
            group = groups[g]
            masks = out.setdefault(group.table, {})
            mask = masks.setdefault(f"ics_{group.count}", np.zeros(full[group.table].num_rows, dtype=bool))
            mask[group.rows] = True
    return out


class _Sums:
    """The published sums as arrays: every part of every sum in order (`flat`, sum `k`'s from `starts[k]`, the first
    the total), and the hidden parts as pairs (cell, sum) in sum order, from which each sum's hidden parts and each
    hidden cell's sums are read."""

    def __init__(self, margins: Sequence[list[int]], hidden: np.ndarray, value: np.ndarray | None = None) -> None:
        sizes = np.fromiter(map(len, margins), dtype=np.int64, count=len(margins))
        self.count = len(margins)
        self.starts = np.zeros(self.count + 1, dtype=np.int64)
        np.cumsum(sizes, out=self.starts[1:])
        self.flat = np.fromiter(chain.from_iterable(margins), dtype=np.int64, count=int(self.starts[-1]))
        margin = np.repeat(np.arange(self.count, dtype=np.int64), sizes)
        keep = hidden[self.flat]
        self.cell, self.margin = self.flat[keep], margin[keep]  # the hidden parts, in sum order
        self.parts = np.bincount(self.margin, minlength=self.count).astype(np.int64)
        self.sign = np.full(len(self.flat), -1.0)  # the total less its parts
        self.sign[self.starts[:-1][sizes > 0]] = 1.0
        self.hidden_part = keep
        wanted = (self.parts > 0) & (self.parts <= MANY)  # the sums a program can hold
        self.shown = None if value is None else _in_order(self.sign * value[self.flat] * ~keep, self.starts, wanted)

    def secret(self) -> dict[int, list[int]]:
        """The hidden cells of each sum with one, in the sum's order (a cell in it twice, twice)."""
        cuts = np.flatnonzero(np.diff(self.margin)) + 1
        firsts = self.margin[np.r_[0, cuts]].tolist() if len(self.margin) else []
        return dict(zip(firsts, _split(self.cell, cuts), strict=True))

    def margins_of(self) -> dict[int, list[int]]:
        """The sums each hidden cell is in, ascending (a sum holding it twice, twice)."""
        order = np.argsort(self.cell, kind="stable")
        cell, margin = self.cell[order], self.margin[order]
        cuts = np.flatnonzero(np.diff(cell)) + 1
        firsts = cell[np.r_[0, cuts]].tolist() if len(cell) else []
        return dict(zip(firsts, _split(margin, cuts), strict=True))


def _in_order(terms: np.ndarray, starts: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The sum of each `wanted` piece of `terms` (piece k from starts[k] to starts[k + 1]; 0 for the others) added
    left to right, as a Python loop adds them (so the same float to the last bit, where NumPy's sum adds pairwise):
    the pieces of at most LONG terms position by position together, the longest first, and each longer one alone
    (`np.add.accumulate` adds in order)."""
    lengths = np.diff(starts)
    out = np.zeros(len(lengths))
    short = np.flatnonzero(wanted & (lengths <= LONG))
    order = short[np.argsort(-lengths[short], kind="stable")]
    first, longest = starts[:-1][order], lengths[order]
    total = np.zeros(len(order))
    for k in range(int(longest[0]) if len(longest) else 0):
        alive = int(np.searchsorted(-longest, -k, side="left"))  # the pieces longer than k (lengths descending)
        total[:alive] += terms[first[:alive] + k]
    out[order] = total
    for m in np.flatnonzero(wanted & (lengths > LONG)).tolist():
        out[m] = np.add.accumulate(terms[starts[m] : starts[m + 1]])[-1]
    return out


def _hidden_parts(
    margins: Sequence[list[int]], hidden: np.ndarray
) -> tuple[np.ndarray, dict[int, list[int]], dict[int, list[int]]]:
    """Each sum's count of hidden parts (its total among them), the hidden cells of each sum with one (ascending),
    and the sums each hidden cell is in (ascending): found with arrays, then lists made for the hidden cells only."""
    sums = _Sums(margins, hidden)
    return sums.parts, sums.secret(), sums.margins_of()


def _split(values: np.ndarray, cuts: np.ndarray) -> list[list[int]]:
    """`values` cut at `cuts`, each piece a list (none when `values` is empty): one list sliced, np.split's arrays
    are slow to make by the hundred thousand."""
    if not len(values):
        return []
    items = values.tolist()
    bounds = [0, *cuts.tolist(), len(items)]
    return [items[a:b] for a, b in pairwise(bounds)]


def _groups(
    full: Mapping[str, pa.Table],
    shown: Mapping[str, pa.Table],
    names: tuple[str, ...],
    number: Mapping[str, np.ndarray],
    rule: SuppressionRule,
) -> list[_Group]:
    """Every ICS cell of the tables in the sums whose money equation is published (as exposed_ics_money reads it),
    the provider's money being the sums' value (cost, bed days)."""
    out = []
    for name in names:
        columns = catalog.metric(name).columns
        keys = suppression.benchmark_cells(columns)
        if name not in ics_money.ICS_MONEY or not keys:
            continue
        table, published = full[name], shown[name]
        cell = secondary.ics_cells(table, keys)
        records = (
            np.isin(np.asarray(table["unit_of_count"].to_pylist(), dtype=object), ics_money.RECORD_UNITS)
            if "unit_of_count" in table.column_names
            else np.ones(table.num_rows, dtype=bool)
        )
        for count, rate, total, ics_rate, ics_total in ics_money.ICS_MONEY[name]:
            if total != secondary.value_column(name):
                continue
            n, r = secondary.as_floats(published[count]), secondary.as_floats(published[rate])
            t = secondary.as_floats(published[total])
            big_n, big_r = secondary.as_floats(published[f"ics_{count}"]), secondary.as_floats(published[ics_rate])
            big_t = secondary.as_floats(published[ics_total]) if ics_total else np.full(table.num_rows, np.nan)
            blank = np.isnan(n) | np.isnan(r)
            wanted = records & ~np.isnan(big_n) & ~np.isnan(big_r)
            order = np.argsort(cell, kind="stable")
            starts = np.flatnonzero(np.diff(cell[order], prepend=-1))
            for rows in np.split(order, starts[1:]):
                if not (blank[rows].any() and wanted[rows].all()):
                    continue
                rates, slacks = np.zeros(len(rows)), np.zeros(len(rows))
                for k, i in enumerate(rows.tolist()):
                    if not blank[i]:
                        rates[k], slacks[k] = ics_money.rate_slack(r[i], t[i], n[i])
                first = int(rows[0])
                big = (float(big_n[first]), *ics_money.rate_slack(big_r[first], big_t[first], big_n[first]))
                out.append(
                    _Group(
                        name,
                        count,
                        rows,
                        [int(number[name][i]) for i in rows[blank[rows]].tolist()],
                        n[rows],
                        rates,
                        slacks,
                        blank[rows],
                        big,
                    )
                )
    return out


def _csr(keys: np.ndarray, values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (key, value) as rows: row k's values from starts[k] to starts[k + 1], in the pairs' order."""
    starts = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=size), out=starts[1:])
    return starts, values[np.argsort(keys, kind="stable")]


def _gather(owner: np.ndarray, key: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each pair (owner, key), owner once per entry of row `key` (rows as `_csr` makes them), and the entries'
    positions, each row's in order."""
    lengths = starts[key + 1] - starts[key]
    ends = np.cumsum(lengths)
    at = np.repeat(starts[key] - ends + lengths, lengths) + np.arange(int(ends[-1]) if len(ends) else 0)
    return np.repeat(owner, lengths), at


def _distinct(owner: np.ndarray, item: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairs (owner, item), ordered by owner and then item (every item below `width`)."""
    code = np.unique(owner * width + item)
    return code // width, code % width


class _Reach:
    """What the walk out from each ICS cell reads, as rows of arrays: each hidden cell's sums (those with at most
    MANY hidden parts), each such sum's hidden cells, each ICS cell's cells in the sums, and the ICS cell beside
    each cell."""

    def __init__(self, groups: Sequence[_Group], sums: _Sums, size: int) -> None:
        few = sums.parts[sums.margin] <= MANY
        self.cells, self.sums, self.groups = size, sums.count, len(groups)
        self.sums_of = _csr(sums.cell[few], sums.margin[few], size)
        self.cells_of = _csr(sums.margin[few], sums.cell[few], sums.count)
        own = [np.asarray([c for c in group.cells if c >= 0], dtype=np.int64) for group in groups]
        lengths = np.fromiter(map(len, own), dtype=np.int64, count=len(own))
        flat = np.concatenate(own) if own else np.zeros(0, dtype=np.int64)
        self.own = _csr(np.repeat(np.arange(len(own), dtype=np.int64), lengths), flat, len(own))
        self.beside = np.full(size, -1, dtype=np.int64)
        for g, cells in enumerate(own):  # a cell in two ICS cells is beside the last (as a dict made in order keeps)
            self.beside[cells] = g

    def walk(self, first: int, last: int, steps: int) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """The sums and ICS cells of the programs of ICS cells first to last - 1, as pairs (ICS cell,
        sum) and (ICS cell, ICS cell) ordered by both."""
        gs = np.arange(first, last, dtype=np.int64)
        owner, at = _gather(gs, gs, self.own[0])
        inside = _distinct(owner, self.own[1][at], self.cells)
        found = (gs, gs)
        taken = (gs[:0], gs[:0])
        for step in range(steps):
            owner, at = _gather(inside[0], inside[1], self.sums_of[0])
            taken = _distinct(owner, self.sums_of[1][at], self.sums)
            owner, at = _gather(taken[0], taken[1], self.cells_of[0])
            inside = _distinct(np.r_[inside[0], owner], np.r_[inside[1], self.cells_of[1][at]], self.cells)
            b = self.beside[inside[1]]
            near = b >= 0
            found = _distinct(np.r_[found[0], inside[0][near]], np.r_[found[1], b[near]], self.groups)
            if step < steps - 1:
                owner, at = _gather(found[0], found[1], self.own[0])
                inside = _distinct(np.r_[inside[0], owner], np.r_[inside[1], self.own[1][at]], self.cells)
        return taken, found


def _programs(reach: _Reach, steps: int, chunk: int = 256) -> list[tuple[np.ndarray, np.ndarray, list[int]]]:
    """The programs to build: their sums and ICS cells (ascending) and the ICS cells whose program each is, in the
    order of their first ICS cell. ICS cells whose programs reach the same sums and ICS cells share one (at scale
    0.01, 2,659 cells had 432); an ICS cell that reaches no sum has none (the money equation alone is
    exposed_ics_money's judgement). Walked a chunk of ICS cells at a time, all at once with arrays."""
    programs: dict[tuple[bytes, bytes], tuple[np.ndarray, np.ndarray, list[int]]] = {}
    for first in range(0, reach.groups, chunk):
        last = min(first + chunk, reach.groups)
        taken, found = reach.walk(first, last, steps)
        gs = np.arange(first, last + 1)
        t = np.searchsorted(taken[0], gs).tolist()
        f = np.searchsorted(found[0], gs).tolist()
        for k, g in enumerate(range(first, last)):
            if t[k] == t[k + 1]:
                continue
            sums, beside = taken[1][t[k] : t[k + 1]], found[1][f[k] : f[k + 1]]
            key = (sums.tobytes(), beside.tobytes())
            if key in programs:
                programs[key][2].append(g)
            else:
                programs[key] = (sums, beside, [g])
    return list(programs.values())


class _Layout:
    """What every program reads, made once: the sums as arrays (`_Sums`), each cell's value and whether it is hidden,
    and every ICS cell's provider-count columns (their bounds from `starts[b]`), count equation's bounds and two
    money equations' count coefficients, made for all ICS cells at once."""

    def __init__(self, groups: Sequence[_Group], sums: _Sums, value: np.ndarray, hidden: np.ndarray, half: int) -> None:
        self.groups, self.sums, self.value, self.hidden = groups, sums, value, hidden
        self.floats = value.tolist()  # read one by one where a sum is added up in Python
        self.secret = _csr(sums.margin, sums.cell, sums.count)
        self.own = [np.asarray([c for c in group.cells if c >= 0], dtype=np.int64) for group in groups]
        self.at = np.full(len(value), -1, dtype=np.int64)  # a cell's variable in the program being built, or -1
        inf = highspy.kHighsInf
        sizes = np.fromiter((len(group.n) for group in groups), dtype=np.int64, count=len(groups))
        self.starts = np.zeros(len(groups) + 1, dtype=np.int64)
        np.cumsum(sizes, out=self.starts[1:])
        self.starts_list = self.starts.tolist()

        def every(read: Callable[[_Group], np.ndarray]) -> np.ndarray:
            return np.concatenate([read(group) for group in groups]) if groups else np.zeros(0)

        n = np.nan_to_num(every(lambda group: group.n))
        blank = every(lambda group: group.hidden).astype(bool)
        self.low = np.where(blank | (n == 0), 0.0, np.maximum(n - half, 0.0))
        self.high = np.where(blank, inf, np.where(n == 0, 0.0, n + half))
        big = np.array([group.big_n for group in groups], dtype=float)
        self.count = list(
            zip(
                np.where(big == 0, 0.0, np.maximum(big - half, 0.0)).tolist(),
                np.where(big == 0, 0.0, big + half).tolist(),
                strict=True,
            )
        )
        rates, slacks = every(lambda group: group.rates), every(lambda group: group.slacks)
        big_r = np.repeat([group.big_r for group in groups], sizes)
        big_slack = np.repeat([group.big_slack for group in groups], sizes)
        # a hidden provider's rate 0 (its money is its own variable), its count at the ICS rate all the same
        self.rates = [(rates + side * slacks - (big_r - side * big_slack)).tolist() for side in (-1.0, 1.0)]


class _Program:
    """The linear program of a set of sums and ICS cells: a variable per hidden cell in them (`index`) and per
    provider count of the ICS cells, each sum to within half a penny, each ICS cell's count and money equations.
    The sums' rows are read from `_Sums`'s arrays; a sum whose shown parts are none of the program's variables is
    moved by its shown parts added up once for all programs (`_Sums.shown`), the others added up here."""

    def __init__(self, solver: highspy.Highs, sums: np.ndarray, beside: np.ndarray, layout: _Layout) -> None:
        rows = layout.sums
        secret_starts, secret_cells = layout.secret
        _, at = _gather(sums, sums, secret_starts)
        own = [layout.own[b] for b in beside.tolist()]
        variables = np.unique(np.concatenate([secret_cells[at], *own]))
        self.sums = sums.tolist()
        self.index = dict(zip(variables.tolist(), range(len(variables)), strict=True))
        position = layout.at
        position[variables] = np.arange(len(variables))
        try:
            cols, coefficients, starts, row_low, row_high = self._sums(sums, rows, layout, position)
            inf = highspy.kHighsInf
            value = layout.value[variables]
            hidden = layout.hidden[variables]
            # a provider hidden in the ICS cell whose cost is shown in the sums (its count alone hidden) is held at
            # its cost
            col_low = [np.where(hidden, np.where(value >= 0, 0.0, -inf), value)]
            col_high = [np.where(hidden, inf, value)]
            width = len(variables)
            mine = position[np.concatenate(own)].tolist()  # each ICS cell's hidden providers' money, in turn
            taken = 0
            low, high, rates, starts_of = layout.low, layout.high, layout.rates, layout.starts_list
            for b, cells in zip(beside.tolist(), own, strict=True):
                first, last = starts_of[b], starts_of[b + 1]
                col_low.append(low[first:last])
                col_high.append(high[first:last])
                counts = list(range(width, width + last - first))
                width += last - first
                money = mine[taken : taken + len(cells)]
                taken += len(cells)
                row_low.append(layout.count[b][0])
                row_high.append(layout.count[b][1])
                cols += counts
                coefficients += [1.0] * len(counts)
                starts.append(len(cols))
                for side, rate in zip((-1.0, 1.0), rates, strict=True):
                    row_low.append(-inf if side < 0 else 0.0)
                    row_high.append(0.0 if side < 0 else inf)
                    cols += counts + money
                    coefficients += rate[first:last] + [1.0] * len(money)
                    starts.append(len(cols))
        finally:
            position[variables] = -1
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = width, len(row_low)
        lp.col_cost_ = np.zeros(width)
        lp.col_lower_, lp.col_upper_ = np.concatenate(col_low), np.concatenate(col_high)
        lp.row_lower_, lp.row_upper_ = np.array(row_low), np.array(row_high)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(cols, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(coefficients, dtype=float)
        solver.clearModel()  # one solver for every program: made once (`exposed`), its options kept
        self.passed = solver.passModel(lp) != highspy.HighsStatus.kError  # not passed: every member hidden
        self.solver = solver
        self.width = width

    @staticmethod
    def _sums(
        sums: np.ndarray, rows: _Sums, layout: _Layout, position: np.ndarray
    ) -> tuple[list[int], list[float], list[int], list[float], list[float]]:
        """Each sum to within half a penny (see secondary.HALF_PENNY): the total less its parts, each variable's
        coefficient once (a cell twice in a sum, added), in the order of its first part in the sum."""
        row, at = _gather(np.arange(len(sums), dtype=np.int64), sums, rows.starts)
        j = position[rows.flat[at]]
        var = j >= 0
        width = len(layout.value)
        code = row[var] * width + j[var]
        if len(np.unique(code)) < len(code):  # a cell twice in a sum: added up in Python, as a dict keeps it
            return _sums_by_hand(sums.tolist(), layout, position)
        assert rows.shown is not None, "the sums' shown parts are added up when made with the cells' values"
        moved = rows.shown[sums].copy()
        redo = np.unique(row[var & ~rows.hidden_part[at]])  # a shown part that is a variable: not in `shown`
        for r in redo.tolist():
            moved[r] = _moved(int(sums[r]), layout, position)
        counts = np.bincount(row[var], minlength=len(sums))
        starts = np.zeros(len(sums) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        return (
            j[var].tolist(),
            rows.sign[at][var].tolist(),
            starts.tolist(),
            (-moved - secondary.HALF_PENNY).tolist(),
            (-moved + secondary.HALF_PENNY).tolist(),
        )


def _moved(m: int, layout: _Layout, position: np.ndarray) -> float:
    """Sum m's parts that are not the program's variables, the total less the others, added left to right."""
    rows, floats = layout.sums, layout.floats
    moved = 0.0
    for k in range(int(rows.starts[m]), int(rows.starts[m + 1])):
        c = int(rows.flat[k])
        if position[c] < 0:
            moved += rows.sign[k] * floats[c]
    return moved


def _sums_by_hand(
    sums: list[int], layout: _Layout, position: np.ndarray
) -> tuple[list[int], list[float], list[int], list[float], list[float]]:
    """`_Program._sums` one part at a time, each variable's coefficients added as a dict keeps them."""
    rows, floats = layout.sums, layout.floats
    cols: list[int] = []
    coefficients: list[float] = []
    starts = [0]
    row_low: list[float] = []
    row_high: list[float] = []
    for m in sums:
        row: dict[int, float] = {}
        moved = 0.0
        for k in range(int(rows.starts[m]), int(rows.starts[m + 1])):
            c = int(rows.flat[k])
            sign = float(rows.sign[k])
            j = int(position[c])
            if j < 0:
                moved += sign * floats[c]
            else:
                row[j] = row.get(j, 0.0) + sign
        row_low.append(-moved - secondary.HALF_PENNY)
        row_high.append(-moved + secondary.HALF_PENNY)
        cols += row
        coefficients += row.values()
        starts.append(len(cols))
    return cols, coefficients, starts, row_low, row_high


def _narrowed(
    program: _Program,
    members: list[int],
    groups: Sequence[_Group],
    secret: Mapping[int, list[int]],
    parts: np.ndarray,
    value: np.ndarray,
    hidden: np.ndarray,
    share: float,
) -> set[int]:
    """The ICS cells of `members` (which share `program`) for which it narrows a hidden cost to less than `share`
    beyond it: one of the cell's own hidden providers' costs, or another hidden part of one of the program's sums with
    at most FEW hidden parts (the room a sum leaves is shared among its hidden parts: one of many is not narrowed by
    one ICS rate; left out for time)."""
    partners = {c for m in program.sums if parts[m] <= FEW for c in secret[m]}
    owners: dict[int, set[int]] = defaultdict(set)  # a cost audited -> the cells its narrowing hides
    for g in members:
        for c in {c for c in groups[g].cells if c >= 0} | partners:
            if value[c] != 0 and hidden[c]:
                owners[c].add(g)
    targets = sorted(owners)
    if not targets:
        return set()
    if not program.passed:
        return set(members)  # HiGHS refused the program: not audited, so hidden, never published on a guess
    at = [program.index[c] for c in targets]
    return _reaches_less(program.solver, program.width, at, value[targets], share, [owners[c] for c in targets])


def _reaches_less(
    h: highspy.Highs, width: int, at: list[int], values: np.ndarray, share: float, owners: list[set[int]]
) -> set[int]:
    """The owners of each variable `at` that the program `h` (of `width` variables) bounds to less than `share`
    beyond its value on either side; a variable is not solved for once all its owners are found. Every solution is a
    point this program cannot rule out (issue 16o's witnesses): a side on which one reaches share beyond is open and
    never solved for. The open sides are pushed together first (the targets' sum, each over its value), the sides still
    shut pushed again while a push shows more open (those shown open no longer held), then the rest one by one, each
    solution showing others open. Only a single target's optimum shows a side narrowed."""
    every = np.arange(width, dtype=np.int32)
    cols = np.array(at, dtype=np.int64)
    room = share * np.abs(values) - 0.01
    shut = {-1.0: np.ones(len(at), dtype=bool), 1.0: np.ones(len(at), dtype=bool)}  # sides not yet shown open
    everyone = set().union(*owners)
    found: set[int] = set()

    def look() -> None:
        x = np.asarray(h.getSolution().col_value)[cols]
        shut[-1.0] &= ~(values - x >= room)
        shut[1.0] &= ~(x - values >= room)

    def solve(beyond: float, weights: np.ndarray) -> float | None:
        """The optimum that way (every open side it reaches marked), None when unbounded; UnsettledSolveError when
        HiGHS does not settle it."""
        objective = np.zeros(width)
        np.add.at(objective, cols, weights)
        h.changeColsCost(width, every, objective)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize if beyond > 0 else highspy.ObjSense.kMinimize)
        reach = highs.settled_optimum(h)
        if reach is not None:
            look()
        return reach

    scale = 1 / np.maximum(np.abs(values), 1.0)
    if len(at) > 1:
        lp = h.getLp()
        lower, upper = np.asarray(lp.col_lower_)[cols], np.asarray(lp.col_upper_)[cols]
        targets = cols.astype(np.int32)
        for beyond in (-1.0, 1.0):
            # the targets held within a little past share beyond (a point of that smaller program is one of this
            # one), so the sum is bounded where a target alone is not
            far = values + beyond * (room + 1.0)
            low, high = (np.maximum(lower, far), upper) if beyond < 0 else (lower, np.minimum(upper, far))
            # pushed again, the sides still shut only, while a push shows some open (issue 21e: at scale 0.01, 97%
            # of the sides one push left were open alone); a side shown open is no longer held (its target moves
            # freely to make room for the others)
            while (left := int(shut[beyond].sum())) > 1:
                held = shut[beyond].copy()
                h.changeColsBounds(len(targets), targets, np.where(held, low, lower), np.where(held, high, upper))
                try:
                    solve(beyond, np.where(held, scale, 0.0))
                except highs.UnsettledSolveError:
                    break  # then every side left is solved alone
                if int(shut[beyond].sum()) == left:
                    break
            h.changeColsBounds(len(targets), targets, lower, upper)
    for beyond in (-1.0, 1.0):
        for k in range(len(at)):
            if not shut[beyond][k] or owners[k] <= found:
                continue
            weights = np.zeros(len(at))
            weights[k] = 1.0
            try:
                reach = solve(beyond, weights)
            except highs.UnsettledSolveError:
                narrowed = True  # not shown to keep its room: hidden, never published on a guess
            else:
                narrowed = reach is not None and beyond * (reach - values[k]) < room[k]
            if narrowed:
                found |= owners[k]
                if found == everyone:
                    return found
    return found

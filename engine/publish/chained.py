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
together first and only those left are solved one by one. ICS cells whose programs reach the same sums and ICS
cells share one program, built and solved once for all their targets (at scale 0.01, 2,659 cells have 432).
One audit is enough: hiding an ICS count only takes an equation out of every other cell's program.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from itertools import chain

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
    parts, secret, margins_of = _hidden_parts(cells.margins, hidden)
    groups = _groups(full, shown, names, number, rule)
    group_of = {c: g for g, group in enumerate(groups) for c in group.cells}
    share = rule.protection_percent / 100
    programs: dict[tuple[frozenset[int], frozenset[int]], list[int]] = defaultdict(list)
    for g in range(len(groups)):
        taken, found = _reach(g, groups, group_of, secret, parts, margins_of, steps)
        if taken:  # no sum: the money equation alone, exposed_ics_money's judgement
            programs[(taken, found)].append(g)
    out: dict[str, dict[str, np.ndarray]] = {}
    floats = value.tolist()
    solver = highs.quiet_highs()
    solver.setOptionValue("presolve", "off")  # small programs, solved again from the last basis for each bound
    for (taken, found), members in programs.items():
        half = rule.round_to // 2
        program = _Program(
            solver, sorted(taken), sorted(found), groups, cells.margins, secret, (value, floats), hidden, half
        )
        for g in _narrowed(program, members, groups, secret, parts, value, hidden, share):
            group = groups[g]
            masks = out.setdefault(group.table, {})
            mask = masks.setdefault(f"ics_{group.count}", np.zeros(full[group.table].num_rows, dtype=bool))
            mask[group.rows] = True
    return out


def _hidden_parts(
    margins: Sequence[list[int]], hidden: np.ndarray
) -> tuple[np.ndarray, dict[int, list[int]], dict[int, list[int]]]:
    """Each sum's count of hidden parts (its total among them), the hidden cells of each sum with one (ascending),
    and the sums each hidden cell is in (ascending): found with arrays, then lists made for the hidden cells only."""
    sizes = np.fromiter(map(len, margins), dtype=np.int64, count=len(margins))
    flat = np.fromiter(chain.from_iterable(margins), dtype=np.int64, count=int(sizes.sum()))
    margin = np.repeat(np.arange(len(margins), dtype=np.int64), sizes)
    keep = hidden[flat]
    cell, margin = flat[keep], margin[keep]  # in margin order
    parts = np.bincount(margin, minlength=len(margins)).astype(np.int64)
    cuts = np.flatnonzero(np.diff(margin)) + 1
    secret = dict(zip(margin[np.r_[0, cuts]].tolist() if len(margin) else [], _split(cell, cuts), strict=True))
    order = np.argsort(cell, kind="stable")  # each cell's margins kept ascending
    cell, margin = cell[order], margin[order]
    cuts = np.flatnonzero(np.diff(cell)) + 1
    margins_of = dict(zip(cell[np.r_[0, cuts]].tolist() if len(cell) else [], _split(margin, cuts), strict=True))
    return parts, secret, margins_of


def _split(values: np.ndarray, cuts: np.ndarray) -> list[list[int]]:
    """`values` cut at `cuts`, each piece a list (none when `values` is empty)."""
    return [piece.tolist() for piece in np.split(values, cuts)] if len(values) else []


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


def _reach(
    g: int,
    groups: Sequence[_Group],
    group_of: Mapping[int, int],
    secret: Mapping[int, list[int]],
    parts: np.ndarray,
    margins_of: Mapping[int, list[int]],
    steps: int,
) -> tuple[frozenset[int], frozenset[int]]:
    """The sums (margins) and ICS cells (groups) of ICS cell `g`'s program: the sums its hidden providers are in and
    the ICS cells beside their other hidden parts (`secret`: each sum's hidden parts), `steps` times over.
    Neighbouring cells often reach the same ones: their program is then built and solved once (at scale 0.01, 2,659
    cells had 432 programs)."""
    taken: set[int] = set()
    inside = {c for c in groups[g].cells if c >= 0}
    found = {g}
    for _ in range(steps):  # the sums of the cells in the program, and the ICS cells beside their hidden parts
        more = {m for c in inside for m in margins_of.get(c, ()) if parts[m] <= MANY} - taken
        taken |= more
        for m in more:
            inside.update(secret[m])
        found.update(group_of[c] for c in inside if c in group_of)
        for b in found:
            inside.update(c for c in groups[b].cells if c >= 0)
    return frozenset(taken), frozenset(found)


class _Program:
    """The linear program of a set of sums and ICS cells: a variable per hidden cell in them (`index`) and per
    provider count of the ICS cells, each sum to within half a penny, each ICS cell's count and money equations."""

    def __init__(
        self,
        solver: highspy.Highs,
        sums: list[int],
        beside: list[int],
        groups: Sequence[_Group],
        margins: Sequence[list[int]],
        secret: Mapping[int, list[int]],
        values: tuple[np.ndarray, list[float]],
        hidden: np.ndarray,
        half: int,
    ) -> None:
        inside = {c for m in sums for c in secret[m]}
        inside |= {c for b in beside for c in groups[b].cells if c >= 0}
        variables = sorted(inside)
        self.sums = sums
        self.index = index = {c: k for k, c in enumerate(variables)}
        inf = highspy.kHighsInf
        at = np.array(variables, dtype=np.int64)
        value = values[0][at]
        floats = values[1]  # read one by one below: a list's floats are read faster
        # a provider hidden in the ICS cell whose cost is shown in the sums (its count alone hidden) is held at its cost
        col_low = [np.where(hidden[at], np.where(value >= 0, 0.0, -inf), value)]
        col_high = [np.where(hidden[at], inf, value)]
        row_low: list[float] = []
        row_high: list[float] = []
        starts = [0]
        cols: list[int] = []
        coefficients: list[float] = []
        for m in sums:  # each sum to within half a penny (see secondary.HALF_PENNY): the total less its parts
            row: dict[int, float] = {}
            moved = 0.0
            for k, c in enumerate(margins[m]):
                sign = 1.0 if k == 0 else -1.0
                j = index.get(c)
                if j is None:
                    moved += sign * floats[c]
                else:
                    row[j] = row.get(j, 0.0) + sign
            row_low.append(-moved - secondary.HALF_PENNY)
            row_high.append(-moved + secondary.HALF_PENNY)
            cols += row
            coefficients += row.values()
            starts.append(len(cols))
        width = len(variables)
        for b in beside:
            group = groups[b]
            first = width
            n = np.nan_to_num(group.n)
            col_low.append(np.where(group.hidden | (n == 0), 0.0, np.maximum(n - half, 0.0)))
            col_high.append(np.where(group.hidden, inf, np.where(n == 0, 0.0, n + half)))
            width += len(group.n)
            counts = list(range(first, width))
            big_n = group.big_n
            low, high = (0.0, 0.0) if big_n == 0 else (max(big_n - half, 0.0), big_n + half)
            row_low.append(low)
            row_high.append(high)
            cols += counts
            coefficients += [1.0] * len(counts)
            starts.append(len(cols))
            own = [index[c] for c in group.cells if c >= 0]  # the cell's hidden providers' money
            for side in (-1.0, 1.0):
                # a hidden provider's rate 0 (its money is its own variable), its count at the ICS rate all the same
                rates = group.rates + side * group.slacks - (group.big_r - side * group.big_slack)
                row_low.append(-inf if side < 0 else 0.0)
                row_high.append(0.0 if side < 0 else inf)
                cols += counts + own
                coefficients += [*rates.tolist(), *[1.0] * len(own)]
                starts.append(len(cols))
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
    never solved for. The open sides are pushed together first (the targets' sum, each over its value), then the rest
    one by one, each solution showing others open."""
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
            h.changeColsBounds(len(targets), targets, low, high)
            with contextlib.suppress(highs.UnsettledSolveError):  # then every side is solved alone
                solve(beyond, np.where(shut[beyond], scale, 0.0))
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

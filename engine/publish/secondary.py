"""Secondary (complementary) suppression: hide more cells so no hidden cost can be worked out from published totals.

The published cost tables nest: a provider's cost in a POD + TFC + HRG cell (unit_cost_benchmark) is the sum of its
cost drivers (cost_driver_benchmark) and a part of its POD + HRG row in opportunity_summary, which adds up to the
POD row and the provider's whole row there; the POD + HRG cost is also the sum of system_cost's quarters, which add
up to provider_overview. Each such "total = sum of parts" is a margin. Taking the shown parts from a published
total gives back a hidden part exactly when it is the only one hidden, so this module chooses more cells to hide.

It is the classical cell-suppression problem, solved as an integer program with HiGHS (highspy), one provider and
year at a time: minimise the cost hidden (each cell's cost, plus a pound for the cell itself) subject to,
for every margin, (1) no cell hidden alone: a hidden cell has a hidden partner in every margin it is part of, and
(2) protection: in every margin, the partners hidden with a hidden cell hold at least `protection_percent` of its
cost. Asking it of every hidden cell, not only the small ones, keeps slack all the way up and down the hierarchy,
so the interval an attacker can pin a small cell to reaches at least that far either side of its cost. Each
condition is written with one helper variable per margin, so the program grows with the margins' size, not its
square (a setting's total has thousands of parts on a large ICS). The
attacker in tests/engine/publish/test_disclosure_attack.py checks the outcome with its own linear programs.
"""

from __future__ import annotations

import math
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
import pyarrow as pa

from engine.metrics import catalog
from engine.publish import suppression
from engine.publish.suppression import SuppressionRule

Row = Mapping[str, object]
ALL = "(all)"


@dataclass(frozen=True)
class Level:
    """Rows of one published table that form one level of the cost hierarchy."""

    table: str
    value: str  # the cost column
    count: str  # the count whose small values are hidden (primary suppression)
    where: Callable[[Row], bool] = lambda _: True


@dataclass(frozen=True)
class Margin:
    """Each row of `total` is the sum of the rows of `parts` with the same values of `by`."""

    total: Level
    parts: Level
    by: tuple[str, ...]


CELL = Level("unit_cost_benchmark", "total_cost", "activity")
CELL_DRIVER = Level("cost_driver_benchmark", "driver_cost", "activity")
HRG = Level("opportunity_summary", "cost", "activity", lambda r: r["pod"] != ALL and r["hrg"] != ALL)
HRG_ALL = Level("opportunity_summary", "cost", "activity", lambda r: r["hrg"] != ALL and r["cost_driver"] == ALL)
HRG_DRIVER = Level("opportunity_summary", "cost", "activity", lambda r: r["hrg"] != ALL and r["cost_driver"] != ALL)
POD = Level("opportunity_summary", "cost", "activity", lambda r: r["pod"] != ALL and r["hrg"] == ALL)
POD_ALL = Level("opportunity_summary", "cost", "activity", lambda r: _level(r) == "pod" and r["cost_driver"] == ALL)
POD_DRIVER = Level("opportunity_summary", "cost", "activity", lambda r: _level(r) == "pod" and r["cost_driver"] != ALL)
PROVIDER = Level("opportunity_summary", "cost", "activity", lambda r: r["pod"] == ALL)
PROVIDER_ALL = Level("opportunity_summary", "cost", "activity", lambda r: r["pod"] == ALL and r["cost_driver"] == ALL)
PROVIDER_DRIVER = Level(
    "opportunity_summary", "cost", "activity", lambda r: r["pod"] == ALL and r["cost_driver"] != ALL
)
QUARTER = Level("system_cost", "total_cost", "activity")
SETTING = Level("provider_overview", "total_cost", "activity")

# Every "total = sum of parts" among the published cost tables (tests/engine/publish check each holds, to the penny,
# on the full results). All lie within one provider and year.
MARGINS: tuple[Margin, ...] = (
    Margin(CELL, CELL_DRIVER, ("fin_year", "setting", "pod", "tfc", "hrg", "org_code")),
    Margin(HRG_ALL, CELL, ("fin_year", "org_code", "pod", "hrg")),
    Margin(HRG_DRIVER, CELL_DRIVER, ("fin_year", "org_code", "pod", "hrg", "cost_driver")),
    Margin(POD, HRG, ("fin_year", "org_code", "pod", "cost_driver")),
    Margin(PROVIDER, POD, ("fin_year", "org_code", "cost_driver")),
    Margin(HRG_ALL, HRG_DRIVER, ("fin_year", "org_code", "pod", "hrg")),
    Margin(POD_ALL, POD_DRIVER, ("fin_year", "org_code", "pod")),
    Margin(PROVIDER_ALL, PROVIDER_DRIVER, ("fin_year", "org_code")),
    Margin(HRG_ALL, QUARTER, ("fin_year", "org_code", "pod", "hrg")),
    Margin(SETTING, QUARTER, ("fin_year", "org_code", "setting")),
    # Sums the ones above imply, stated too: hiding only by the margins above lets an attacker combine two of them
    # (a setting's total less its shown POD totals). opportunity_summary rows get their POD's setting for these.
    Margin(SETTING, POD_ALL, ("fin_year", "org_code", "setting")),
    Margin(PROVIDER_ALL, SETTING, ("fin_year", "org_code")),
)
TABLES = tuple(sorted({m.total.table for m in MARGINS} | {m.parts.table for m in MARGINS}))


def _level(row: Row) -> str:
    return "provider" if row["pod"] == ALL else "pod" if row["hrg"] == ALL else "hrg"


@dataclass
class Cells:
    """Every row of the tables in the margins, as one list of cells, and the margins as lists of cell numbers."""

    table: list[str] = field(default_factory=list)
    row: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    primary: list[bool] = field(default_factory=list)  # hidden by a rule of the cell's own: small or dominated
    small: list[bool] = field(default_factory=list)  # of those, hidden for a small count
    margins: list[list[int]] = field(default_factory=list)  # first the total, then its parts


@dataclass(frozen=True)
class SecondaryOutcome:
    """Which rows to hide beyond the small ones, per table, and how much that hides."""

    hidden: dict[str, np.ndarray]  # table -> True for rows secondary suppression hides
    cells: int
    primary_cells: int  # hidden for a small count
    secondary_cells: int
    cost: float
    primary_cost: float
    secondary_cost: float
    dominance_cells: int = 0  # of the primary cells, those hidden by the dominance rule and not for a small count
    dominance_cost: float = 0.0
    driver_cells: int = 0  # the same in cost_driver_benchmark, where the dominance rule bites most
    driver_dominance_cells: int = 0
    driver_dominance_cost: float = 0.0


def margin_cells(tables: Mapping[str, pa.Table], rule: SuppressionRule) -> Cells:
    """The cells of every margin, each flagged primary when its count is hidden by the small-number or dominance rule
    (primary suppression: the cell's own figures give it away), and small when by the small-number rule."""
    cells = Cells()
    rows = {name: tables[name].select(_needed(name)).to_pylist() for name in TABLES}
    setting_of = {r["pod"]: r["setting"] for r in rows[CELL.table]}
    for r in rows[PROVIDER.table]:
        r["setting"] = setting_of.get(str(r["pod"]))
    number: dict[tuple[str, int], int] = {}
    for name in TABLES:
        # the same rules as the published table's, in one place: the small-number rule, and the dominance rule
        # where the table declares its figures
        small = rule.hidden(tables[name]["activity"]).to_pylist()
        dominated = suppression.dominated(tables[name], catalog.metric(name).columns, rule).get("activity")
        primary = small if dominated is None else [a or b for a, b in zip(small, dominated.to_pylist(), strict=True)]
        # Cells numbered in the order of their keys, not of the rows: the same results in another row order give
        # the same integer program, and so the same pattern.
        measured = {_value_column(name), "activity"}
        keyed = sorted((_sort_key(r, measured), i) for i, r in enumerate(rows[name]))
        for _, i in keyed:
            r = rows[name][i]
            number[(name, i)] = len(cells.table)
            cells.table.append(name)
            cells.row.append(i)
            value = r[_value_column(name)]
            # to the penny: the same results computed elsewhere (the ICS SQL Server, Spark) differ in the last bits
            # of a double, and a cell of 0.0 against 1e-13 would change the integer program and so the pattern
            cells.value.append(round(abs(float(value)), 2) if value is not None else 0.0)
            cells.primary.append(bool(primary[i]))
            cells.small.append(bool(small[i]))
    for margin in MARGINS:
        parts: dict[tuple[object, ...], list[int]] = defaultdict(list)
        for i, r in enumerate(rows[margin.parts.table]):
            if margin.parts.where(r):
                parts[tuple(r[k] for k in margin.by)].append(number[(margin.parts.table, i)])
        for i, r in enumerate(rows[margin.total.table]):
            if margin.total.where(r):
                found = parts.get(tuple(r[k] for k in margin.by), [])
                if found:
                    cells.margins.append([number[(margin.total.table, i)], *sorted(found)])
    # each margin (its total first, then its parts) in the order of its cells, not of the rows they were found in:
    # Spark or the ICS SQL Server give the same results in another row order, and the integer program must not change
    cells.margins.sort()
    return cells


def _sort_key(row: Row, measured: set[str]) -> tuple[str, ...]:
    """A cell's keys as text, its figures left out: the order must not depend on how a sum came out."""
    return tuple(f"{k}={row[k]!r}" for k in sorted(row) if k not in measured)


def _needed(table: str) -> list[str]:
    """The columns of `table` the margins read: fewer Python objects than whole rows on a large ICS."""
    keys = {k for m in MARGINS for level in (m.total, m.parts) if level.table == table for k in m.by}
    keys |= (
        {"pod", "hrg", "cost_driver"}
        if table == PROVIDER.table
        else {"pod", "setting"}
        if table == CELL.table
        else set()
    )
    return sorted((keys - {"setting"} if table == PROVIDER.table else keys) | {_value_column(table), "activity"})


def _value_column(table: str) -> str:
    return next(level.value for m in MARGINS for level in (m.total, m.parts) if level.table == table)


def choose(tables: Mapping[str, pa.Table], rule: SuppressionRule) -> SecondaryOutcome:
    """The secondary suppression pattern for the published cost tables (their full results in `tables`)."""
    cells = margin_cells(tables, rule)
    hide = np.array(cells.primary, dtype=bool)
    for component in _components(len(cells.table), cells.margins):
        if any(cells.primary[c] for c in component.cells):
            hide[_solve(component.cells, component.margins, cells, rule.protection_percent / 100)] = True
    primary = np.array(cells.primary, dtype=bool)
    dominance = primary & ~np.array(cells.small, dtype=bool)
    value = np.array(cells.value)
    secondary = hide & ~primary
    by_table = {name: np.zeros(tables[name].num_rows, dtype=bool) for name in TABLES}
    for c in np.flatnonzero(secondary):
        by_table[cells.table[c]][cells.row[c]] = True
    cell_table = np.array(cells.table)
    base = cell_table == CELL.table  # information loss is measured on the cell-level table
    drivers = cell_table == CELL_DRIVER.table
    return SecondaryOutcome(
        hidden=by_table,
        cells=int(base.sum()),
        primary_cells=int((primary & ~dominance & base).sum()),
        secondary_cells=int((secondary & base).sum()),
        cost=_pounds(value[base]),
        primary_cost=_pounds(value[primary & ~dominance & base]),
        secondary_cost=_pounds(value[secondary & base]),
        dominance_cells=int((dominance & base).sum()),
        dominance_cost=_pounds(value[dominance & base]),
        driver_cells=int(drivers.sum()),
        driver_dominance_cells=int((dominance & drivers).sum()),
        driver_dominance_cost=_pounds(value[dominance & drivers]),
    )


def _pounds(values: np.ndarray) -> float:
    """A sum to the penny, the same whatever order the values come in."""
    return round(math.fsum(values.tolist()), 2)


@dataclass(frozen=True)
class _Component:
    cells: list[int]
    margins: list[list[int]]


def _components(size: int, margins: Sequence[list[int]]) -> list[_Component]:
    """Groups of cells linked by margins (one provider and year each), so each integer program stays small."""
    parent = list(range(size))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for margin in margins:
        root = find(margin[0])
        for c in margin[1:]:
            other = find(c)
            if other != root:
                parent[other] = root
    cells: dict[int, list[int]] = defaultdict(list)
    for c in range(size):
        cells[find(c)].append(c)
    linked: dict[int, list[list[int]]] = defaultdict(list)
    for margin in margins:
        linked[find(margin[0])].append(margin)
    return [_Component(cells[root], linked[root]) for root in sorted(linked)]


def _solve(members: list[int], margins: list[list[int]], cells: Cells, protection: float) -> list[int]:
    """Cells to hide in one component: the cheapest set meeting the two conditions of the module docstring.

    A pattern built margin by margin (`_margin_by_margin`) is always feasible; it is handed to HiGHS as the starting
    solution, and HiGHS improves on it within a limit of branch-and-bound nodes (work, not time, so the same
    results always give the same pattern), so a large component never ends without a pattern."""
    index = {c: i for i, c in enumerate(members)}
    value = np.array([cells.value[c] for c in members])
    primary = np.array([cells.primary[c] for c in members])
    local = [np.array([index[c] for c in margin]) for margin in margins]
    start = _margin_by_margin(local, value, primary, protection)
    # Columns: x (hide the cell), then per margin y (some cell of it hidden) and w (the largest cost hidden in it).
    # Rows, each the size of its margin, not its square:
    #   x_j - y_m <= 0 and  sum x - 2 y_m >= 0             never hidden alone
    #   v_j x_j - w_m <= 0 and  sum v x - (1 + p) w_m >= 0  the others hold p x the largest
    n = len(members)
    y0, w0 = n, n + len(local)
    rows = _Rows()
    for k, m in enumerate(local):
        y, w = y0 + k, w0 + k
        for j in m:
            rows.add([int(j), y], [1.0, -1.0], -highspy.kHighsInf, 0.0)
            if value[j] > 0:
                rows.add([int(j), w], [float(value[j]), -1.0], -highspy.kHighsInf, 0.0)
        rows.add([*map(int, m), y], [1.0] * len(m) + [-2.0], 0.0, highspy.kHighsInf)
        rows.add([*map(int, m), w], [*map(float, value[m]), -(1.0 + protection)], 0.0, highspy.kHighsInf)
    width = n + 2 * len(local)
    lp = highspy.HighsLp()
    lp.num_col_ = width
    lp.num_row_ = len(rows.lower)
    lp.col_cost_ = np.concatenate([value + 1.0, np.zeros(2 * len(local))])
    lp.col_lower_ = np.concatenate([primary.astype(float), np.zeros(2 * len(local))])
    lp.col_upper_ = np.concatenate([np.ones(n + len(local)), np.full(len(local), highspy.kHighsInf)])
    lp.row_lower_ = np.array(rows.lower)
    lp.row_upper_ = np.array(rows.upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(rows.starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(rows.columns, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(rows.values)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * (n + len(local)) + [highspy.HighsVarType.kContinuous] * len(
        local
    )
    solver = _quiet_highs()
    solver.setOptionValue("mip_max_nodes", NODE_LIMIT)  # a limit in work, not time: the same pattern every run
    solver.setOptionValue("threads", 1)
    solver.passModel(lp)
    initial = highspy.HighsSolution()
    some = [float(start[m].any()) for m in local]
    largest = [float(value[m][start[m]].max(initial=0.0)) for m in local]
    initial.col_value = [*start.astype(float), *some, *largest]
    solver.setSolution(initial)
    solver.run()
    solved = solver.getSolution()
    chosen = np.array(solved.col_value[:n]) > 0.5 if solved.value_valid else start
    if not _meets(local, value, chosen, protection):
        chosen = start
    return [members[i] for i in np.flatnonzero(chosen)]


NODE_LIMIT = 5000


@dataclass
class _Rows:
    """Constraint rows, row by row, for a row-wise sparse matrix."""

    starts: list[int] = field(default_factory=lambda: [0])
    columns: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)

    def add(self, columns: list[int], values: list[float], lower: float, upper: float) -> None:
        self.columns.extend(columns)
        self.values.extend(values)
        self.lower.append(lower)
        self.upper.append(upper)
        self.starts.append(len(self.columns))


def _quiet_highs() -> highspy.Highs:
    """A HiGHS solver that prints nothing: its banner goes straight to the process's stdout (file descriptor 1)
    when it is made, past Python's sys.stdout, so that descriptor points at the null device meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with Path(os.devnull).open("w") as null:
            os.dup2(null.fileno(), 1)
            solver = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    solver.setOptionValue("output_flag", False)
    return solver


def _margin_by_margin(
    margins: list[np.ndarray], value: np.ndarray, primary: np.ndarray, protection: float
) -> np.ndarray:
    """A feasible pattern: go round the margins, and wherever a hidden cell lacks partners, hide the cheapest shown
    cell that gives enough (or, failing one, the largest ones), until no margin wants more."""
    hide = primary.copy()
    changed = True
    while changed:
        changed = False
        for m in margins:
            hidden = m[hide[m]]
            if len(hidden) == 0:
                continue
            total = value[hidden].sum()
            need = max(max((protection * value[j] - (total - value[j]) for j in hidden), default=0.0), 0.0)
            alone = len(hidden) == 1
            if need <= 0 and not alone:
                continue
            shown = m[~hide[m]]
            if len(shown) == 0:
                continue
            enough = shown[value[shown] >= need]
            if len(enough):
                pick = [enough[np.argmin(value[enough])]]
            else:
                ordered = shown[np.argsort(-value[shown])]
                pick = list(ordered[: int(np.searchsorted(np.cumsum(value[ordered]), need)) + 1])
            hide[pick] = True
            changed = True
    return hide


def _meets(margins: list[np.ndarray], value: np.ndarray, hide: np.ndarray, protection: float) -> bool:
    for m in margins:
        hidden = m[hide[m]]
        if len(hidden) == 1:
            return False
        total = value[hidden].sum()
        if any(total - value[j] < protection * value[j] - 1e-6 for j in hidden):
            return False
    return True

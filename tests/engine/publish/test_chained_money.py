"""The ICS money route and the published sums together (issues 16p, 16t): an ICS cell whose money equation, with the
sums its hidden provider is part of (and the sums and ICS cells beyond them), narrows a hidden cost loses its ICS
count, though neither route narrows it alone."""

from __future__ import annotations

from typing import Any

import highspy
import numpy as np
import pyarrow as pa
import pytest

from engine.metrics import catalog
from engine.publish import chained, highs, ics_money
from engine.publish.suppression import SuppressionRule
from tests.engine.publish.stalled_solver import stalled_highs

CELL = {"fin_year": "2023/24", "setting": "apc", "pod": "EL", "hrg": "HN12A", "unit_of_count": "episode"}


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Every column of the published table `name`, those not given null."""
    data = {}
    for c in catalog.metric(name).columns:
        values = [r.get(c.name) for r in rows]
        data[c.name] = pa.array(values, pa.float64()) if all(v is None for v in values) else pa.array(values)
    return pa.table(data)


def _provider_b(tfc_100_cost: float) -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    """Provider A shows two cells of one HRG (TFC 100: 100 records at £20; TFC 110: 100 at £10); provider B's two
    cells are hidden (TFC 100: 6 records costing `tfc_100_cost`; TFC 110: 20 records at £10, £200) and its HRG row in
    opportunity_summary is shown. TFC 110's ICS count (120) and rate (£10) are shown, TFC 100's not. Full and as
    published."""
    b_hrg = tfc_100_cost + 200.0
    cells = [
        ("100", "A", 100, 2000.0, 106, (2000.0 + tfc_100_cost) / 106),
        ("100", "B", 6, tfc_100_cost, 106, (2000.0 + tfc_100_cost) / 106),
        ("110", "A", 100, 1000.0, 120, 10.0),
        ("110", "B", 20, 200.0, 120, 10.0),
    ]

    def cell_rows(published: bool) -> list[dict[str, Any]]:
        out = []
        for tfc, org, n, cost, ics_n, ics_r in cells:
            hidden = published and org == "B"
            no_ics = published and tfc == "100"
            out.append(
                CELL
                | {"tfc": tfc, "org_code": org}
                | {"activity": None if hidden else n, "total_cost": None if hidden else cost}
                | {"mean_cost": None if hidden else cost / n, "units": None if hidden else n}
                | {"ics_activity": None if no_ics else ics_n, "ics_mean_cost": None if no_ics else ics_r}
            )
        return out

    summary = [
        {k: CELL[k] for k in ("fin_year", "pod", "hrg", "unit_of_count")}
        | {"org_code": org, "cost_driver": "(all)", "activity": n, "cost": cost, "mean_cost": cost / n}
        for org, n, cost in (("A", 200, 3000.0), ("B", 26, b_hrg))
    ]
    hrgs = _table("opportunity_summary", summary)
    full = {"unit_cost_benchmark": _table("unit_cost_benchmark", cell_rows(False)), "opportunity_summary": hrgs}
    shown = {"unit_cost_benchmark": _table("unit_cost_benchmark", cell_rows(True)), "opportunity_summary": hrgs}
    return full, shown


COLUMNS = catalog.metric("unit_cost_benchmark").columns


def test_an_ics_rate_that_narrows_a_hidden_cost_through_a_sum_loses_its_count() -> None:
    """B's TFC 110 cost is the ICS's 120 (118 to 122) records at £10 less A's 100 (98 to 102): £160 to £240, 20% room,
    which the money rule alone lets stand. B's HRG (£1,200) less that puts TFC 100's £1,000 between £960 and £1,040,
    4%: TFC 110's ICS count is hidden."""
    full, shown = _provider_b(1000.0)
    cells = "unit_cost_benchmark"
    alone = ics_money.exposed_ics_money(cells, full[cells], shown[cells], COLUMNS, SuppressionRule())
    assert alone == {}
    exposed = chained.exposed(full, shown, SuppressionRule())
    assert list(exposed) == [cells]
    assert exposed[cells]["ics_activity"].tolist() == [False, False, True, True]


def test_an_ics_rate_that_leaves_room_through_the_sum_stays() -> None:
    """TFC 100 at £100: the HRG's £300 less £160 to £240 places it between £60 and £140, 40% room either side."""
    full, shown = _provider_b(100.0)
    assert chained.exposed(full, shown, SuppressionRule()) == {}
    # with TFC 110's ICS count hidden (as the first test's audit hides it) nothing is left to narrow either
    full, shown = _provider_b(1000.0)
    cells = shown["unit_cost_benchmark"]
    blank = pa.array([None] * 4, pa.float64())
    shown["unit_cost_benchmark"] = cells.set_column(cells.schema.get_field_index("ics_activity"), "ics_activity", blank)
    assert chained.exposed(full, shown, SuppressionRule()) == {}


def _two_steps() -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    """Provider B's two hidden HRG rows of one POD (HRG1: 20 episodes, £1,000; HRG2: 20 at £10, £200) under its shown
    POD row (£1,200). HRG1's ICS count (120) and rate (£50) are shown beside provider A's HRG1 row (100 at £50),
    HRG2's not. HRG2's one cell (TFC 110, hidden) has its ICS count (120) and rate (£10) shown beside A's (100 at £10).
    HRG1's cell is hidden, its ICS figures too. Full and as published."""
    pod = {k: CELL[k] for k in ("fin_year", "pod", "unit_of_count")}
    rows = [  # org, HRG, episodes, cost, ICS count and rate shown
        ("A", "HA01A", 100, 5000.0, True),
        ("B", "HA01A", 20, 1000.0, True),
        ("A", "HA02A", 100, 1000.0, False),
        ("B", "HA02A", 20, 200.0, False),
    ]
    ics = {"HA01A": (120, 50.0), "HA02A": (120, 10.0)}

    def summary(published: bool) -> pa.Table:
        out: list[dict[str, Any]] = []
        for org, hrg, n, cost, ics_shown in rows:
            hidden = published and org == "B"
            no_ics = published and not ics_shown
            out.append(
                pod
                | {"org_code": org, "hrg": hrg, "cost_driver": "(all)"}
                | {"activity": None if hidden else n, "cost": None if hidden else cost}
                | {"mean_cost": None if hidden else cost / n}
                | {"ics_activity": None if no_ics else ics[hrg][0], "ics_mean_cost": None if no_ics else ics[hrg][1]}
            )
        for org, n, cost in (("A", 200, 6000.0), ("B", 40, 1200.0)):
            out.append(
                pod
                | {"org_code": org, "hrg": "(all)", "cost_driver": "(all)", "activity": n, "cost": cost}
                | {"mean_cost": cost / n}
            )
        return _table("opportunity_summary", out)

    def cells(published: bool) -> pa.Table:
        out: list[dict[str, Any]] = []
        for org, hrg, n, cost, ics_shown in rows:
            hidden = published and org == "B"
            no_ics = published and ics_shown  # the cells' ICS figures of HRG2 shown, of HRG1 hidden
            out.append(
                CELL
                | {"hrg": hrg, "tfc": "110", "org_code": org}
                | {"activity": None if hidden else n, "total_cost": None if hidden else cost}
                | {"mean_cost": None if hidden else cost / n, "units": None if hidden else n}
                | {"ics_activity": None if no_ics else ics[hrg][0], "ics_mean_cost": None if no_ics else ics[hrg][1]}
            )
        return _table("unit_cost_benchmark", out)

    full = {"unit_cost_benchmark": cells(False), "opportunity_summary": summary(False)}
    shown = {"unit_cost_benchmark": cells(True), "opportunity_summary": summary(True)}
    return full, shown


def test_an_ics_rate_that_narrows_a_hidden_cost_two_sums_away_loses_its_count() -> None:
    """B's HRG1 cost (£1,000) is the ICS's 120 (118 to 122) episodes at £50 less A's 100 (98 to 102): £800 to £1,200,
    20% room. Its POD (£1,200) less it leaves HRG2 £0 to £400, and HRG2's one cell by its own ICS rate £160 to £240
    (20%): each program one sum out from an ICS cell leaves 20% room. Two sums out, the POD less HRG2's cell places
    HRG1 between £960 and £1,040, 4%: the audit reaching that far hides an ICS count (issue 16t)."""
    full, shown = _two_steps()
    exposed = chained.exposed(full, shown, SuppressionRule())
    assert exposed["opportunity_summary"]["ics_activity"].tolist() == [True, True] + [False] * 4
    assert exposed["unit_cost_benchmark"]["ics_activity"].tolist() == [False, False, True, True]
    assert chained.exposed(full, shown, SuppressionRule(), steps=1) == {}  # one sum out: 20% room everywhere


def test_a_cell_whose_program_does_not_finish_loses_its_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """TFC 100 at £100 keeps 40% room; with HiGHS allowed no simplex iteration nothing shows it, so the audit hides
    the ICS count rather than read the unfinished run as room."""
    full, shown = _provider_b(100.0)
    monkeypatch.setattr(highs, "quiet_highs", stalled_highs)
    exposed = chained.exposed(full, shown, SuppressionRule())
    assert exposed["unit_cost_benchmark"]["ics_activity"].tolist() == [False, False, True, True]


def test_each_sums_hidden_parts_found_with_arrays_match_those_found_cell_by_cell() -> None:
    """`_hidden_parts` (arrays) against the loops it replaced, on random sums (a cell twice in one sum, sums with
    no hidden part, a cell in no sum)."""
    rng = np.random.default_rng(21)
    for _ in range(200):
        size = int(rng.integers(1, 40))
        hidden = rng.random(size) < rng.random()
        margins = [rng.integers(0, size, int(rng.integers(2, 8))).tolist() for _ in range(int(rng.integers(0, 25)))]
        parts, secret, margins_of = chained._hidden_parts(margins, hidden)
        assert parts.tolist() == [sum(bool(hidden[c]) for c in m) for m in margins]
        assert secret == {k: [c for c in m if hidden[c]] for k, m in enumerate(margins) if any(hidden[c] for c in m)}
        expected: dict[int, list[int]] = {}
        for k, m in enumerate(margins):
            for c in m:
                if hidden[c]:
                    expected.setdefault(c, []).append(k)
        assert margins_of == expected


def test_a_program_highs_refuses_loses_the_counts_of_its_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    """TFC 100 at £100 keeps 40% room; a program HiGHS will not take (passModel's error) is not audited, so the ICS
    count of each cell that shares it is hidden rather than published unchecked."""
    full, shown = _provider_b(100.0)

    def refusing() -> highspy.Highs:
        solver = quiet()
        solver.passModel = lambda lp: highspy.HighsStatus.kError  # type: ignore[method-assign,assignment]
        return solver

    quiet = highs.quiet_highs
    monkeypatch.setattr(highs, "quiet_highs", refusing)
    exposed = chained.exposed(full, shown, SuppressionRule())
    assert exposed["unit_cost_benchmark"]["ics_activity"].tolist() == [False, False, True, True]


def _reach_by_sets(
    g: int, cells: list[list[int]], secret: dict[int, list[int]], parts: np.ndarray, margins_of: dict[int, list[int]]
) -> tuple[frozenset[int], frozenset[int]]:
    """The walk out from ICS cell g as `chained` made it before issue 21c, one cell at a time with sets."""
    group_of = {c: b for b, own in enumerate(cells) for c in own}
    taken: set[int] = set()
    inside = {c for c in cells[g] if c >= 0}
    found = {g}
    for _ in range(chained.STEPS):
        more = {m for c in inside for m in margins_of.get(c, ()) if parts[m] <= chained.MANY} - taken
        taken |= more
        for m in more:
            inside.update(secret[m])
        found.update(group_of[c] for c in inside if c in group_of)
        for b in found:
            inside.update(c for c in cells[b] if c >= 0)
    return frozenset(taken), frozenset(found)


def _random_sums(rng: np.random.Generator) -> tuple[int, np.ndarray, list[list[int]], list[list[int]]]:
    """Cells, which are hidden, sums over them (a cell twice in one, some with more than MANY hidden parts) and ICS
    cells' cells (-1 for one in no sum, a cell in two ICS cells)."""
    size = int(rng.integers(1, 60))
    hidden = rng.random(size) < rng.random()
    margins = [
        rng.integers(0, size, int(rng.integers(2, 3 + 2 * chained.MANY))).tolist()
        for _ in range(int(rng.integers(0, 30)))
    ]
    cells = [rng.integers(-1, size, int(rng.integers(1, 4))).tolist() for _ in range(int(rng.integers(0, 12)))]
    return size, hidden, margins, cells


def test_the_walk_with_arrays_finds_the_programs_the_sets_found() -> None:
    """`_programs` (every ICS cell's walk at once with arrays, a few at a time) against the walk with sets it
    replaced, and the ICS cells sharing each program as the dict of frozensets grouped them, on random sums."""
    rng = np.random.default_rng(21)
    for _ in range(300):
        size, hidden, margins, cells = _random_sums(rng)
        groups = [
            chained._Group("t", "activity", np.arange(len(c)), c, *([np.zeros(len(c))] * 4), (1.0, 1.0, 0.0))
            for c in cells
        ]
        sums = chained._Sums(margins, hidden)
        parts, secret, margins_of = sums.parts, sums.secret(), sums.margins_of()
        expected: dict[tuple[frozenset[int], frozenset[int]], list[int]] = {}
        for g in range(len(groups)):
            taken, found = _reach_by_sets(g, cells, secret, parts, margins_of)
            if taken:
                expected.setdefault((taken, found), []).append(g)
        chunk = int(rng.integers(1, 5))
        got = chained._programs(chained._Reach(groups, sums, size), chained.STEPS, chunk)
        assert [(s.tolist(), b.tolist(), m) for s, b, m in got] == [
            (sorted(t), sorted(f), m) for (t, f), m in expected.items()
        ]


def test_each_sums_shown_parts_added_with_arrays_are_the_loops_float_to_the_last_bit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`_Sums.shown` (short sums position by position together, long ones alone) is each sum's shown parts added
    left to right, the total less the others, as a Python loop adds them: the same float, not one a rounding away.
    Only sums a program can hold (1 to MANY hidden parts) are added up."""
    monkeypatch.setattr(chained, "LONG", 5)  # both ways taken by the random sums
    rng = np.random.default_rng(16)
    for _ in range(200):
        size, hidden, margins, _ = _random_sums(rng)
        value = rng.normal(0, 1e6, size) * (rng.random(size) < 0.9)
        shown = chained._Sums(margins, hidden, value).shown
        for m, parts in enumerate(margins):
            moved = 0.0
            for k, c in enumerate(parts):
                if not hidden[c]:
                    moved += (1.0 if k == 0 else -1.0) * float(value[c])
            assert shown[m] == (moved if 0 < sum(bool(hidden[c]) for c in parts) <= chained.MANY else 0.0)

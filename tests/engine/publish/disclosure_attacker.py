"""An outsider trying to undo the disclosure control, from the published Parquet files alone.

Written apart from engine.publish (it imports nothing from it): what it knows of the tables is what
docs/metrics.md tells any reader (which columns are keys, which rows add up to which). Each attack returns claims:
"this hidden figure is X", "this rounded count is really N". The tests judge the claims against the full results;
the attacker itself never sees them, except `intervals`, which is given the exact cost of every shown cell (more
than any file holds) so that passing it is a stronger result than the files alone would give.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import highspy
import numpy as np
import pandas as pd

ALL = "(all)"

# The rate each provider row of a benchmark table states, and the keys that name its cell (docs/metrics.md).
RATES = {
    "unit_cost_benchmark": ("mean_cost", ["fin_year", "setting", "pod", "tfc", "hrg", "unit_of_count"]),
    "cost_driver_benchmark": (
        "driver_cost_per_case",
        ["fin_year", "setting", "pod", "tfc", "hrg", "cost_driver", "unit_of_count"],
    ),
    "los_benchmark": ("mean_los", ["fin_year", "pod", "tfc", "hrg"]),
    "critical_care": ("cost_per_bed_day", ["fin_year", "unit_type", "hrg"]),
    "opportunity_summary": ("mean_cost", ["fin_year", "pod", "hrg", "cost_driver", "unit_of_count"]),
    "cost_per_wau": ("cost_per_wau", ["fin_year", "setting"]),
}
# Benchmarks that pick one provider's own figure (a median, a best in system): where a hidden one could be echoed.
COMPARATOR_WORDS = ("median", "best_in_system")


def read_published(folder: Path) -> dict[str, pd.DataFrame]:
    """Every published Parquet file, pounds as floats."""
    return {p.stem: as_floats(pd.read_parquet(p)) for p in sorted(folder.glob("*.parquet"))}


def as_floats(frame: pd.DataFrame) -> pd.DataFrame:
    for c in frame.columns:
        if frame[c].dtype == object and _decimal(frame[c]):
            frame[c] = frame[c].map(lambda x: np.nan if x is None else float(x)).astype(float)
    return frame


@dataclass(frozen=True)
class Claim:
    table: str
    row: int  # row number in the published file
    column: str  # the hidden or rounded column the claim is about
    value: float


def echoes(published: Mapping[str, pd.DataFrame], count: str = "activity") -> list[Claim]:
    """(a) Every comparator figure in a cell where a provider's rate is hidden: a claim that it is that rate."""
    claims: list[Claim] = []
    for table, (rate, cell) in RATES.items():
        frame = published[table]
        own = count if count in frame else next(c for c in ("spells", "periods", "priced_activity") if c in frame)
        comparators = [c for c in frame.columns if any(w in c for w in COMPARATOR_WORDS) and _numeric(frame[c])]
        for _, rows in frame.groupby(cell, dropna=False):
            hidden = rows.index[rows[own].isna() & rows[rate].isna()]
            if len(hidden) == 0:
                continue
            shown_rates = set(np.round(rows[rate].dropna().to_numpy(float), 2))
            values = {round(float(v), 2) for c in comparators for v in rows[c].dropna()} - shown_rates
            claims += [Claim(table, int(i), rate, v) for i in hidden for v in values]
    return claims


def unrounded_counts(
    published: Mapping[str, pd.DataFrame], counts: Mapping[str, list[str]], round_to: int
) -> list[Claim]:
    """(b) Any ratio a / b or a / (b - c) of a row's published figures that is a whole number within rounding of a
    published count but not equal to it: a claim that it is the true count."""
    claims: list[Claim] = []
    for table, names in counts.items():
        frame = published[table]
        numeric = [c for c in frame.columns if _numeric(frame[c]) and c not in names and c != "refresh_id"]
        values = {c: frame[c].to_numpy(float) for c in numeric}
        denominators = dict(values)
        for b, c in itertools.permutations(numeric, 2):
            denominators[f"{b}-{c}"] = values[b] - values[c]
        for name in names:
            shown = frame[name].to_numpy(float)
            for a in numeric:
                for denominator in denominators.values():
                    with np.errstate(all="ignore"):
                        ratio = values[a] / denominator
                        whole = np.round(ratio)
                        hit = (
                            np.isfinite(ratio)
                            & (np.abs(ratio - whole) <= 1e-9 * np.maximum(1.0, np.abs(ratio)))
                            & (np.abs(whole - shown) <= round_to / 2)
                            & (whole != shown)
                            & (whole > 0)
                        )
                    claims += [Claim(table, int(i), name, float(whole[i])) for i in np.flatnonzero(hit)]
    return claims


# (c) The sums any reader can see in the docs: each row of `total` is the sum of the rows of `parts` agreeing on `by`.
# The figure each table's rows add up by: pounds in the cost tables, bed days in the length-of-stay tables.
COST = {
    "unit_cost_benchmark": "total_cost",
    "cost_driver_benchmark": "driver_cost",
    "opportunity_summary": "cost",
    "system_cost": "total_cost",
    "provider_overview": "total_cost",
    "cost_trend": "total_cost",
    "cost_per_wau": "total_cost",
    "los_benchmark": "bed_days",
    "los_summary": "bed_days",
    "ward_costs": "ward_cost",
    "service_line_benchmark": "total_cost",
    "service_line_drivers": "driver_cost",
    "service_line_wards": "ward_cost",
    "population_rates": "total_cost",
    "deprivation_cost": "total_cost",
    "pathway_cost": "total_cost",
}
# The same sums read on the counts (spells add up as bed days do; the cost tables' counts are not attacked this way).
SPELLS = {"los_benchmark": "spells", "los_summary": "spells"}


def _summary_level(frame: pd.DataFrame) -> pd.Series:
    return np.where(frame["pod"] == ALL, "provider", np.where(frame["hrg"] == ALL, "pod", "hrg"))


def sums(
    published: Mapping[str, pd.DataFrame],
    places: Mapping[str, str] | None = None,
    service_lines: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] | None = None,
) -> list[tuple[tuple[str, int], list[tuple[str, int]]]]:
    """Every published "total = sum of parts" among the cost tables, as (table, row) references. `places` gives each
    district's place, as the ICS's configuration and its population pages say; `service_lines` each service line's
    PODs and HRG code prefixes, as the configuration says (only lines filtered on nothing else)."""
    cell = ["fin_year", "setting", "pod", "tfc", "hrg", "org_code"]
    cells = _rows(published, "unit_cost_benchmark", cell)
    drivers = _rows(published, "cost_driver_benchmark", [*cell, "cost_driver"])
    summary = _rows(published, "opportunity_summary", ["fin_year", "org_code", "pod", "hrg", "cost_driver"]).assign(
        level=lambda f: _summary_level(f)
    )
    quarters = _rows(published, "system_cost", ["fin_year", "quarter", "setting", "pod", "hrg", "org_code"])
    overview = _rows(published, "provider_overview", ["fin_year", "org_code", "setting"])
    trend = _rows(published, "cost_trend", ["fin_year", "quarter", "setting", "pod", "org_code"])
    wau = _rows(published, "cost_per_wau", ["fin_year", "setting", "org_code"])
    los_cells = _rows(published, "los_benchmark", ["fin_year", "pod", "hrg", "org_code"])
    los = _rows(published, "los_summary", ["fin_year", "pod", "hrg", "org_code"]).assign(
        level=lambda f: _summary_level(f)
    )
    wards = _rows(published, "ward_costs", ["fin_year", "org_code"])
    line = ["service_line", "fin_year", "org_code"]
    lines = _rows(published, "service_line_benchmark", [*line, "period"])
    line_drivers = _rows(published, "service_line_drivers", [*line, "cost_driver"])
    line_wards = _rows(published, "service_line_wards", line)
    areas = _rows(published, "population_rates", ["fin_year", "area_type", "area", "setting"])
    deciles = _rows(published, "deprivation_cost", ["fin_year", "setting", "residence", "imd_decile"])
    pathways = _rows(published, "pathway_cost", ["fin_year", "pathway", "org_code", "step"])
    ics = areas[areas.area_type == "ics"]
    pairs: list[tuple[str, pd.DataFrame, str, pd.DataFrame, list[str]]] = [
        (
            "unit_cost_benchmark",
            cells,
            "cost_driver_benchmark",
            drivers,
            ["fin_year", "setting", "pod", "tfc", "hrg", "org_code"],
        ),
        (
            "opportunity_summary",
            summary[(summary.level == "hrg") & (summary.cost_driver == ALL)],
            "unit_cost_benchmark",
            cells,
            ["fin_year", "org_code", "pod", "hrg"],
        ),
        (
            "opportunity_summary",
            summary[(summary.level == "hrg") & (summary.cost_driver != ALL)],
            "cost_driver_benchmark",
            drivers,
            ["fin_year", "org_code", "pod", "hrg", "cost_driver"],
        ),
        (
            "opportunity_summary",
            summary[summary.level == "pod"],
            "opportunity_summary",
            summary[summary.level == "hrg"],
            ["fin_year", "org_code", "pod", "cost_driver"],
        ),
        (
            "opportunity_summary",
            summary[summary.level == "provider"],
            "opportunity_summary",
            summary[summary.level == "pod"],
            ["fin_year", "org_code", "cost_driver"],
        ),
        (
            "opportunity_summary",
            summary[(summary.level == "hrg") & (summary.cost_driver == ALL)],
            "system_cost",
            quarters,
            ["fin_year", "org_code", "pod", "hrg"],
        ),
        ("provider_overview", overview, "system_cost", quarters, ["fin_year", "org_code", "setting"]),
        # cost_trend: a POD's quarter is the sum of system_cost's rows of that quarter; its quarters make its year
        ("cost_trend", trend, "system_cost", quarters, ["fin_year", "quarter", "org_code", "pod"]),
        (
            "opportunity_summary",
            summary[(summary.level == "pod") & (summary.cost_driver == ALL)],
            "cost_trend",
            trend,
            ["fin_year", "org_code", "pod"],
        ),
        ("provider_overview", overview, "cost_trend", trend, ["fin_year", "org_code", "setting"]),
        # cost_per_wau states each setting's cost and the provider's again
        ("cost_per_wau", wau[wau.setting != ALL], "provider_overview", overview, ["fin_year", "org_code", "setting"]),
        ("cost_per_wau", wau[wau.setting == ALL], "cost_per_wau", wau[wau.setting != ALL], ["fin_year", "org_code"]),
        # los_summary: los_benchmark's cells added up to a POD + HRG, a POD, the provider
        ("los_summary", los[los.level == "hrg"], "los_benchmark", los_cells, ["fin_year", "org_code", "pod", "hrg"]),
        (
            "los_summary",
            los[los.level == "pod"],
            "los_summary",
            los[los.level == "hrg"],
            ["fin_year", "org_code", "pod"],
        ),
        ("los_summary", los[los.level == "provider"], "los_summary", los[los.level == "pod"], ["fin_year", "org_code"]),
        # a provider's ward cost driver is the sum of its wards
        (
            "opportunity_summary",
            summary[(summary.level == "provider") & (summary.cost_driver == "ward")],
            "ward_costs",
            wards,
            ["fin_year", "org_code"],
        ),
        # a service line's year: the sum of its quarters, and of its cost drivers; its ward driver of its wards
        (
            "service_line_benchmark",
            lines[lines.period == "year"],
            "service_line_benchmark",
            lines[lines.period != "year"],
            line,
        ),
        ("service_line_benchmark", lines[lines.period == "year"], "service_line_drivers", line_drivers, line),
        (
            "service_line_drivers",
            line_drivers[line_drivers.cost_driver == "ward"],
            "service_line_wards",
            line_wards,
            line,
        ),
        # an area's cost over all settings is the sum of its settings; the ICS's the sum of its places, its districts
        # and its residents' deprivation deciles
        (
            "population_rates",
            areas[areas.setting == "all"],
            "population_rates",
            areas[areas.setting != "all"],
            ["fin_year", "area_type", "area"],
        ),
        ("population_rates", ics, "population_rates", areas[areas.area_type == "place"], ["fin_year", "setting"]),
        ("population_rates", ics, "population_rates", areas[areas.area_type == "district"], ["fin_year", "setting"]),
        (
            "deprivation_cost",
            deciles[deciles.setting == "all"],
            "deprivation_cost",
            deciles[deciles.setting != "all"],
            ["fin_year", "residence", "imd_decile"],
        ),
        ("population_rates", ics, "deprivation_cost", deciles, ["fin_year", "setting"]),
        (
            "population_rates",
            areas[areas.area_type == "place"].assign(place=lambda f: f.area),
            "population_rates",
            areas[areas.area_type == "district"].assign(place=lambda f: f.area.map(dict(places or {}))),
            ["fin_year", "setting", "place"],
        ),
    ]
    # a service line's year is the cost of its provider's records of its PODs and HRGs (issue 16k): the sum of
    # opportunity_summary's POD + HRG rows of them (every cost driver)
    hrg_rows = summary[(summary.level == "hrg") & (summary.cost_driver == ALL)]
    for name, (pods, hrgs) in (service_lines or {}).items():
        mine = hrg_rows[hrg_rows.pod.isin(pods) & hrg_rows.hrg.str.startswith(tuple(hrgs))]
        years = lines[(lines.service_line == name) & (lines.period == "year")]
        pairs.append(("service_line_benchmark", years, "opportunity_summary", mine, ["fin_year", "org_code"]))
    # a pathway's whole cost is the sum of its steps' (docs/metrics.md: the whole pathway is their sum)
    pairs.append(
        (
            "pathway_cost",
            pathways[pathways.step == "whole_pathway"],
            "pathway_cost",
            pathways[pathways.step != "whole_pathway"],
            ["fin_year", "pathway", "org_code"],
        )
    )
    for level in ("hrg", "pod", "provider"):
        at = summary[summary.level == level]
        pairs.append(
            (
                "opportunity_summary",
                at[at.cost_driver == ALL],
                "opportunity_summary",
                at[at.cost_driver != ALL],
                ["fin_year", "org_code", "pod", "hrg"],
            )
        )
    out = []
    for total_table, totals, part_table, parts, by in pairs:
        groups = {k: list(v) for k, v in parts.groupby(by, dropna=False).groups.items()}
        for i, key in zip(totals.index, totals[by].itertuples(index=False, name=None), strict=True):
            found = groups.get(key if len(by) > 1 else key[0])
            if found:
                out.append(((total_table, int(i)), [(part_table, int(j)) for j in found]))
    return out


def pathway_ics_differences(published: Mapping[str, pd.DataFrame]) -> list[Claim]:
    """The ICS cost per pathway of a step is stated on every provider's row of it, and the whole pathway's is the sum
    of its steps' (one ICS count of pathways for all): where exactly one of a pathway's ICS figures is blank, the
    whole less the shown steps (or the whole less the other steps) gives it back. Claims on each row it is blank."""
    frame = published.get("pathway_cost")
    if frame is None or frame.empty:
        return []
    claims: list[Claim] = []
    for _, rows in frame.groupby(["fin_year", "pathway"], dropna=False):
        by_step = rows.groupby("step")["ics_cost_per_pathway"].first()
        blank = by_step.index[by_step.isna()]
        if len(blank) != 1 or "whole_pathway" not in by_step.index:
            continue
        [missing] = blank
        steps = by_step.drop("whole_pathway")
        value = (
            float(steps.sum())
            if missing == "whole_pathway"
            else float(by_step["whole_pathway"] - steps.drop(missing).sum())
        )
        claims += [
            Claim("pathway_cost", int(i), "ics_cost_per_pathway", value) for i in rows.index[rows.step == missing]
        ]
    return claims


def _rows(published: Mapping[str, pd.DataFrame], table: str, keys: list[str]) -> pd.DataFrame:
    """The table's rows; none when it is not among those given (the tests' generated tables are the cost tables, the
    hand-built pathways' pathway_cost alone)."""
    return published[table] if table in published else pd.DataFrame({k: pd.Series(dtype=object) for k in keys})


def hidden_cells(published: Mapping[str, pd.DataFrame], measure: Mapping[str, str] = COST) -> set[tuple[str, int]]:
    return {
        (t, int(i)) for t, c in measure.items() if t in published for i in published[t].index[published[t][c].isna()]
    }


def intervals(
    published: Mapping[str, pd.DataFrame],
    known: Mapping[tuple[str, int], float],
    targets: Iterable[tuple[str, int]],
    nonnegative: set[tuple[str, int]],
    measure: Mapping[str, str] = COST,
    places: Mapping[str, str] | None = None,
    ranges: Iterable[Ranged] = (),
    service_lines: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] | None = None,
) -> dict[tuple[str, int], tuple[float, float]]:
    """(c) For each target hidden cell, the least and greatest value of its `measure` (cost, bed days, spells) it can
    have given every published sum, solving a linear program per bound (HiGHS). `known` gives the exact value of
    each shown cell; hidden cells in `nonnegative` cannot be below 0; `ranges` are sums of cells known to lie between
    two figures (a total shown at a rounded count: `rolling_ranges`)."""
    hidden = hidden_cells(published, measure)
    equations: list[tuple[list[tuple[str, int]], list[float], float, float]] = [
        ([t, *parts], [1.0] + [-1.0] * len(parts), 0.0, 0.0)
        for t, parts in sums(published, places, service_lines)
        if t in hidden or any(p in hidden for p in parts)
    ]
    equations += [(list(r.cells), [1.0] * len(r.cells), r.low, r.high) for r in ranges if set(r.cells) & hidden]
    find, join = _linked(hidden)
    for members, *_ in equations:
        join(members)
    by_root: dict[tuple[str, int], list[tuple[list[tuple[str, int]], list[float], float, float]]] = defaultdict(list)
    for equation in equations:
        by_root[find(next(m for m in equation[0] if m in hidden))].append(equation)
    out: dict[tuple[str, int], tuple[float, float]] = {}
    wanted = set(targets)
    for members_list in by_root.values():
        variables = sorted({m for members, *_ in members_list for m in members if m in hidden})
        todo = [v for v in variables if v in wanted]
        if not todo:
            continue
        out.update(_bounds(variables, members_list, known, todo, nonnegative))
    for target in wanted - set(out):
        out[target] = (-np.inf, np.inf)  # in no published sum at all
    return out


def _linked(
    hidden: set[tuple[str, int]],
) -> tuple[Callable[[tuple[str, int]], tuple[str, int]], Callable[[list[tuple[str, int]]], None]]:
    """Union-find over hidden cells: `join` links the hidden members of one equation, `find` names a cell's group
    (cells of one group share a linear program; groups apart cannot narrow each other)."""
    parent = {h: h for h in hidden}

    def find(a: tuple[str, int]) -> tuple[str, int]:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def join(members: list[tuple[str, int]]) -> None:
        inside = [m for m in members if m in hidden]
        for m in inside[1:]:
            parent[find(m)] = find(inside[0])

    return find, join


def _bounds(
    variables: list[tuple[str, int]],
    equations: list[tuple[list[tuple[str, int]], list[float], float, float]],
    known: Mapping[tuple[str, int], float],
    todo: list[tuple[str, int]],
    nonnegative: set[tuple[str, int]],
) -> dict[tuple[str, int], tuple[float, float]]:
    index = {v: i for i, v in enumerate(variables)}
    h = _program(variables, nonnegative)
    _add_sums(h, equations, index, known)
    return {target: _min_max(h, len(variables), index[target]) for target in todo}


def _program(variables: list[tuple[str, int]], nonnegative: set[tuple[str, int]]) -> highspy.Highs:
    """A silent linear program with one variable per hidden figure, those of positive cost held at 0 or more."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for v in variables:
        h.addVar(0.0 if v in nonnegative else -highspy.kHighsInf, highspy.kHighsInf)
    return h


def _add_sums(
    h: highspy.Highs,
    equations: Sequence[tuple[list[tuple[str, int]], list[float], float, float]],
    index: Mapping[tuple[str, int], int],
    known: Mapping[tuple[str, int], float],
) -> None:
    """low <= sum(sign x) <= high for each published sum (total - sum(parts) = 0), the known cells moved to the
    bounds."""
    for members, signs, low, high in equations:
        coefficients: dict[int, float] = defaultdict(float)
        moved = 0.0
        for cell, sign in zip(members, signs, strict=True):
            if cell in index:
                coefficients[index[cell]] += sign
            else:
                moved += sign * known[cell]
        cols = np.array(list(coefficients), dtype=np.int32)
        h.addRow(low - moved, high - moved, len(cols), cols, np.array([coefficients[c] for c in cols]))


UNBOUNDED = (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible)


def _min_max(h: highspy.Highs, size: int, column: int) -> tuple[float, float]:
    """The least and greatest value of variable `column` the program allows (unbounded: minus or plus infinity)."""
    return _bound(h, size, column, highspy.ObjSense.kMinimize), _bound(h, size, column, highspy.ObjSense.kMaximize)


def _bound(h: highspy.Highs, size: int, column: int, sense: highspy.ObjSense) -> float:
    """The least (`sense` kMinimize) or greatest value of variable `column` the program allows, minus or plus
    infinity if unbounded; the program is left at the solution found, a witness that the variable gets there.
    Every program here is feasible (the true figures satisfy it), so HiGHS's answer is optimal or unbounded; any other
    (a solve that stopped on numerical trouble, from the basis the previous bound left) is solved again from scratch,
    and raised if it stays so: taken as unbounded, it would read as "no narrowing" and a run could pass by chance."""
    cost = np.zeros(size)
    cost[column] = 1.0
    h.changeColsCost(size, np.arange(size, dtype=np.int32), cost)
    h.changeObjectiveSense(sense)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal and status not in UNBOUNDED:
        h.clearSolver()
        h.run()
        status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return float(h.getInfo().objective_function_value)
    if status in UNBOUNDED:
        return -np.inf if sense == highspy.ObjSense.kMinimize else np.inf
    raise RuntimeError(f"HiGHS could not bound variable {column}: {h.modelStatusToString(status)}")


@dataclass(frozen=True)
class Ranged:
    """The true sum of `cells` lies between `low` and `high`."""

    cells: tuple[tuple[str, int], ...]
    low: float
    high: float


# Tables with a cost per quarter, its rolling four quarters and the quarter before (docs/metrics.md): a series' keys
TRENDS = {
    "cost_trend": ["setting", "pod", "org_code", "unit_of_count"],
    "service_line_benchmark": ["service_line", "org_code", "unit_of_count"],
}


def _quarters(
    published: Mapping[str, pd.DataFrame],
) -> Iterable[tuple[str, pd.DataFrame, pd.DataFrame, dict[int, int]]]:
    """Each series of quarter rows of the TRENDS tables: (table, the table, its rows with `index`, index -> row)."""
    for table, keys in TRENDS.items():
        if table not in published:
            continue
        frame = published[table]
        quarter = frame.quarter if "quarter" in frame else frame.period.str[1:].where(frame.period.str[0] == "Q")
        quarter = pd.to_numeric(quarter)
        rows = frame.assign(index=frame.fin_year.str[:4].astype(int) * 4 + quarter)[quarter.notna()]
        for _, series in rows.groupby(keys, dropna=False):
            yield table, frame, series, dict(zip(series["index"].astype(int), series.index, strict=True))


def rolling_ranges(published: Mapping[str, pd.DataFrame], round_to: int) -> list[Ranged]:
    """The rolling cost of a quarter (cost_trend, service_line_benchmark) is the cost of it and of the quarters
    before it (rolling_quarters of them, the last four at most), shown at its rounded rolling count: the true sum lies
    within round_to // 2 records' worth of the shown one. Rolling costs of the quarters a year apart differ by a
    quarter less the one four back."""
    out = []
    for table, _, series, at in _quarters(published):
        for _, r in series.iterrows():
            if pd.isna(r.rolling_total_cost) or pd.isna(r.rolling_activity):
                continue
            # a quarter without a row had no record: it adds nothing
            quarters = [at[q] for q in range(int(r["index"]) - 3, int(r["index"]) + 1) if q in at]
            low, high = _total_interval(float(r.rolling_total_cost), float(r.rolling_activity), round_to)
            out.append(Ranged(tuple((table, int(q)) for q in quarters), low, high))
    return out


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _decimal(series: pd.Series) -> bool:
    first = series.dropna()
    return bool(len(first)) and type(first.iloc[0]).__name__ == "Decimal"


# (d) Figures one table states again in another (docs/metrics.md): a service's cost per case in clinical_support times
# its cases is that cost driver's cost in opportunity_summary's POD + HRG row, and inpatient_cost_drivers' theatre cost
# is the theatre driver's. The other table's figure, blank in one, bounds it.
RESTATED = (
    ("clinical_support", "pharmacy_cost_per_case", "activity", "pharmacy"),
    ("clinical_support", "imaging_cost_per_case", "activity", "imaging"),
    ("clinical_support", "pathology_cost_per_case", "activity", "pathology"),
    ("inpatient_cost_drivers", "theatre_cost", "operated_spells", "theatre"),
)
RESTATED_KEYS = ["fin_year", "org_code", "pod", "hrg"]


@dataclass(frozen=True)
class Bounded:
    """A claim that a hidden figure lies in [low, high]: `figure` names it (a cost driver for a row of
    opportunity_summary or clinical_support, whose costs are stated per case)."""

    table: str
    row: int
    figure: str
    low: float
    high: float


def restated(published: Mapping[str, pd.DataFrame], round_to: int) -> list[Bounded]:
    """Every cost blank in one table of RESTATED and shown in the other, bounded by the shown one: a total stated at
    its rounded count n (rule 3 of the policy) is the cost of n +- round_to // 2 records at the same rate; a rate to
    the penny times a count rounded to round_to likewise."""
    summary = published["opportunity_summary"]
    levels = summary[(summary.pod != ALL) & (summary.hrg != ALL)]
    out: list[Bounded] = []
    for table, figure, count, driver in RESTATED:
        if table not in published:
            continue
        frame = published[table]
        drivers = levels[levels.cost_driver == driver]
        joined = frame.reset_index().merge(
            drivers.reset_index(), on=RESTATED_KEYS, suffixes=("", "_summary"), validate="many_to_one"
        )
        rate = figure.endswith("_per_case")
        for _, r in joined.iterrows():
            own_blank, other_blank = pd.isna(r[figure]), pd.isna(r["cost"])
            if own_blank and not other_blank:
                low, high = _total_interval(float(r["cost"]), r["activity_summary"], round_to)
                out.append(Bounded(table, int(r["index"]), driver, low, high))
            elif other_blank and not own_blank:
                if rate:
                    low, high = _rate_interval(float(r[figure]), r[count], round_to)
                else:
                    low, high = _total_interval(float(r[figure]), r[count], round_to)
                out.append(Bounded("opportunity_summary", int(r["index_summary"]), driver, low, high))
    return out


def _total_interval(total: float, count: float, round_to: int) -> tuple[float, float]:
    """A total shown at the rounded count: the true total lies between the rate times the least and the greatest
    count that rounds to it."""
    if pd.isna(count) or count == 0:
        return (total, total) if count == 0 else (-np.inf, np.inf)
    ends = sorted((total * (count - round_to // 2) / count, total * (count + round_to // 2) / count))
    return ends[0] - 0.005, ends[1] + 0.005


def _rate_interval(rate: float, count: float, round_to: int) -> tuple[float, float]:
    """A rate to the penny times a count rounded to round_to."""
    if pd.isna(count):
        return -np.inf, np.inf
    least, most = max(count - round_to // 2, 0), count + round_to // 2
    ends = [r * n for r in (rate - 0.005, rate + 0.005) for n in (least, most)]
    return min(ends), max(ends)


# (f) A row's figure over the ICS's (docs/metrics.md): (table, the ratio, the row's figure it divides, whether that
# figure is a total shown at the rounded count or a rate, the ICS figure it divides by). gp_practice_cost's ratio
# divides the cost per registered patient by the ICS's where the practice has a list size, else the cost per patient.
RATIOS_TO_ICS = (
    ("deprivation_cost", "cost_per_head_index", "cost_per_head", "total", "ics_cost_per_head"),
    (
        "population_rates",
        "activity_ratio_to_ics",
        "standardised_activity_per_100k",
        "total",
        "ics_standardised_activity_per_100k",
    ),
    ("population_rates", "cost_ratio_to_ics", "standardised_cost_per_100k", "total", "ics_standardised_cost_per_100k"),
    ("gp_practice_cost", "ratio_to_ics", "cost_per_registered_patient", "total", "ics_cost_per_registered_patient"),
    ("gp_practice_cost", "ratio_to_ics", "cost_per_patient", "rate", "ics_cost_per_patient"),
)


def ics_from_ratios(published: Mapping[str, pd.DataFrame], round_to: int) -> list[Bounded]:
    """Every blank ICS figure of RATIOS_TO_ICS whose row shows both the ratio and the figure it divides: the ICS figure
    is the row's figure over the ratio, bounded by the two decimals of both and, for a total shown at the rounded
    count (`activity`), by the counts that round to it."""
    out: list[Bounded] = []
    for table, ratio, own, kind, ics in RATIOS_TO_ICS:
        if table not in published:
            continue
        frame = published[table]
        open_ = frame[ics].isna() & frame[ratio].notna() & frame[own].notna() & (frame[ratio].abs() > 0.005)
        if "registered_patients" in frame:  # which of the practice's figures the ratio divides
            listed = frame["registered_patients"].notna()
            open_ &= listed if own == "cost_per_registered_patient" else ~listed
        for i in np.flatnonzero(open_.to_numpy()):
            shown = float(frame[own].iloc[i])
            if kind == "total":
                low, high = _total_interval(shown, float(frame["activity"].iloc[i]), round_to)
            else:
                low, high = shown - 0.005, shown + 0.005
            r = float(frame[ratio].iloc[i])
            ends = [figure / bound for figure in (low, high) for bound in (r - 0.005, r + 0.005)]
            out.append(Bounded(table, int(frame.index[i]), ics, min(ends), max(ends)))
    return out


def restated_ics(published: Mapping[str, pd.DataFrame]) -> list[Claim]:
    """The same for the ICS: clinical_support's ICS cost per case of a service, blank, claimed to be the ICS mean cost
    of that cost driver in opportunity_summary's POD + HRG row."""
    summary = published["opportunity_summary"]
    levels = summary[(summary.pod != ALL) & (summary.hrg != ALL)]
    claims: list[Claim] = []
    for table, figure, _, driver in RESTATED:
        ics = f"ics_{figure}"
        if table not in published or ics not in published[table]:
            continue
        joined = (
            published[table]
            .reset_index()
            .merge(levels[levels.cost_driver == driver], on=RESTATED_KEYS, suffixes=("", "_summary"))
        )
        found = joined[joined[ics].isna() & joined["ics_mean_cost"].notna()]
        pairs = zip(found["index"], found["ics_mean_cost"], strict=True)
        claims += [Claim(table, int(i), ics, float(v)) for i, v in pairs]
    return claims


def previous_echoes(published: Mapping[str, pd.DataFrame]) -> list[Claim]:
    """The cost per unit of the quarter before, shown beside a quarter (cost_trend, service_line_benchmark): claimed
    for that quarter where its own is blank."""
    claims = []
    for table, frame, series, at in _quarters(published):
        for _, r in series.iterrows():
            before = at.get(int(r["index"]) - 1)
            if before is not None and pd.isna(frame.at[before, "mean_cost"]) and pd.notna(r.previous_mean_cost):
                claims.append(Claim(table, int(before), "mean_cost", float(r.previous_mean_cost)))
    return claims


# (e) ICS columns: a cell's ICS count is the sum of its providers' counts (docs/metrics.md), every one rounded to
# round_to, so an ICS count less the other providers' shown counts bounds a hidden provider's count.
# table -> (the keys naming the ICS cell, [(the provider's count, the ICS count)])
ICS_COUNTS: dict[str, tuple[list[str], list[tuple[str, str]]]] = {
    "unit_cost_benchmark": (
        ["fin_year", "setting", "pod", "tfc", "hrg", "unit_of_count"],
        [("activity", "ics_activity")],
    ),
    "cost_driver_benchmark": (
        ["fin_year", "setting", "pod", "tfc", "hrg", "cost_driver", "unit_of_count"],
        [("activity", "ics_activity")],
    ),
    "opportunity_summary": (["fin_year", "pod", "hrg", "cost_driver", "unit_of_count"], [("activity", "ics_activity")]),
    "clinical_support": (["fin_year", "setting", "pod", "hrg"], [("activity", "ics_activity")]),
    "inpatient_cost_drivers": (
        ["fin_year", "pod", "hrg"],
        [("spells", "ics_spells"), ("operated_spells", "ics_operated_spells")],
    ),
    "los_benchmark": (["fin_year", "pod", "tfc", "hrg"], [("spells", "ics_spells")]),
    "los_summary": (["fin_year", "pod", "hrg"], [("spells", "ics_spells")]),
    "critical_care": (["fin_year", "unit_type", "hrg", "unit_of_count"], [("periods", "ics_periods")]),
    "cost_trend": (["fin_year", "quarter", "setting", "pod", "unit_of_count"], [("activity", "ics_activity")]),
    "service_line_los": (["service_line", "fin_year", "los_band"], [("spells", "ics_spells")]),
}
# service_line_los: a provider's bands add up to its spells of the line
BAND_TOTALS = ("service_line_los", ["service_line", "fin_year", "org_code"], "spells", "provider_spells")


def count_intervals(published: Mapping[str, pd.DataFrame], round_to: int) -> list[Bounded]:
    """For each hidden provider count in a cell whose total is shown, the least and greatest whole count the total
    less the shown counts allows, every shown count n (but 0, which is exact) lying in n +- round_to // 2 and a
    hidden one at least 0."""
    half = round_to // 2
    out: list[Bounded] = []
    groups: list[tuple[str, list[str], str, str]] = [
        (t, cell, count, total) for t, (cell, pairs) in ICS_COUNTS.items() for count, total in pairs
    ]
    groups.append((BAND_TOTALS[0], BAND_TOTALS[1], BAND_TOTALS[2], BAND_TOTALS[3]))
    for table, cell, count, total in groups:
        if table not in published:
            continue
        for _, rows in published[table].groupby(cell, dropna=False):
            hidden = rows.index[rows[count].isna()]
            totals = rows[total].dropna()
            if len(hidden) == 0 or len(totals) == 0:
                continue
            shown = rows[count].dropna().to_numpy(float)
            t = float(totals.iloc[0])
            spread = half * (np.count_nonzero(shown) + (t != 0))
            least, most = t - shown.sum() - spread, t - shown.sum() + spread
            for i in hidden:
                low = max(0.0, least) if len(hidden) == 1 else 0.0
                out.append(Bounded(table, int(i), count, float(np.ceil(low - 1e-9)), float(np.floor(most + 1e-9))))
    return out


# (f) ICS money (issue 16k): an ICS cost per unit is the ICS cost over the ICS count, every provider's records in
# it, so R x N = the shown providers' rate x count + the hidden providers' totals. Every count is rounded (within
# round_to // 2; 0 is exact) and every rate is to the penny (a total shown at the rounded count gives it finer:
# total / rounded count), so this is a linear program in the true counts and the hidden totals. Only where the unit
# of count is the record (units = activity: docs/metrics.md); lengths of stay in bed days per spell.
# table -> (the keys naming the ICS cell, count, rate, ICS count, ICS rate, the provider's total, the ICS total)
ICS_MONEY: dict[str, tuple[list[str], str, str, str, str, str | None, str | None]] = {
    "unit_cost_benchmark": (
        ["fin_year", "setting", "pod", "tfc", "hrg", "unit_of_count"],
        "activity",
        "mean_cost",
        "ics_activity",
        "ics_mean_cost",
        "total_cost",
        None,
    ),
    "cost_driver_benchmark": (
        ["fin_year", "setting", "pod", "tfc", "hrg", "cost_driver", "unit_of_count"],
        "activity",
        "driver_cost_per_case",
        "ics_activity",
        "ics_driver_cost_per_case",
        "driver_cost",
        None,
    ),
    "opportunity_summary": (
        ["fin_year", "pod", "hrg", "cost_driver", "unit_of_count"],
        "activity",
        "mean_cost",
        "ics_activity",
        "ics_mean_cost",
        "cost",
        None,
    ),
    "cost_trend": (
        ["fin_year", "quarter", "setting", "pod", "unit_of_count"],
        "activity",
        "mean_cost",
        "ics_activity",
        "ics_mean_cost",
        "total_cost",
        None,
    ),
    "service_line_benchmark": (
        ["service_line", "fin_year", "period", "unit_of_count"],
        "activity",
        "mean_cost",
        "ics_activity",
        "ics_mean_cost",
        "total_cost",
        "ics_total_cost",
    ),
    "los_benchmark": (
        ["fin_year", "pod", "tfc", "hrg"],
        "spells",
        "mean_los_untrimmed",
        "ics_spells",
        "ics_mean_los_untrimmed",
        "bed_days",
        None,
    ),
    "pathway_cost": (
        ["fin_year", "pathway", "step"],
        "pathways",
        "cost_per_pathway",
        "ics_pathways",
        "ics_cost_per_pathway",
        "total_cost",
        None,
    ),
}
RECORD_UNITS = ("attendance", "contact", "episode")
CLINICAL_SERVICES = ("pharmacy", "imaging", "pathology")


@dataclass(frozen=True)
class _Provider:
    row: int
    count: float  # shown count (nan: hidden)
    rate: float  # shown rate, nan: hidden
    slack: float  # how far the true rate can be from `rate`


def _rate(rate: float, total: float, count: float) -> tuple[float, float]:
    """A shown rate and how far the true one can be from it: to the penny, or finer from a total at the rounded
    count (itself to the penny)."""
    if not pd.isna(total) and not pd.isna(count) and count > 0:
        return total / count, 0.005 / count + 1e-9
    return rate, 0.005 + 1e-9


def _money_cells(
    published: Mapping[str, pd.DataFrame],
) -> Iterable[tuple[str, str, list[_Provider], float, float, float]]:
    """Each ICS cell with a hidden provider and its ICS count and rate shown: (table, figure, providers, ICS count,
    ICS rate, its slack). `figure` names the hidden total (a cost driver for clinical_support)."""
    for table, (cell, count, rate, ics_count, ics_rate, total, ics_total) in ICS_MONEY.items():
        frame = published.get(table)
        if frame is None or frame.empty:
            continue
        if "unit_of_count" in frame:
            frame = frame[frame.unit_of_count.isin(RECORD_UNITS)]
        for _, rows in frame.groupby(cell, dropna=False):
            yield from _money_cell(table, total or rate, rows, count, rate, ics_count, ics_rate, total, ics_total)
    frame = published.get("clinical_support")
    if frame is not None and not frame.empty:
        for _, rows in frame.groupby(["fin_year", "setting", "pod", "hrg"], dropna=False):
            for service in CLINICAL_SERVICES:
                yield from _money_cell(
                    "clinical_support",
                    service,
                    rows,
                    "activity",
                    f"{service}_cost_per_case",
                    "ics_activity",
                    f"ics_{service}_cost_per_case",
                    None,
                    None,
                )


def _money_cell(
    table: str,
    figure: str,
    rows: pd.DataFrame,
    count: str,
    rate: str,
    ics_count: str,
    ics_rate: str,
    total: str | None,
    ics_total: str | None,
) -> Iterable[tuple[str, str, list[_Provider], float, float, float]]:
    ics_n = rows[ics_count].dropna()
    ics_r = rows[ics_rate].dropna()
    hidden = rows[count].isna() | rows[rate].isna()
    if not hidden.any() or ics_n.empty or ics_r.empty:
        return
    n, r = float(ics_n.iloc[0]), float(ics_r.iloc[0])
    big_t = float(rows[ics_total].dropna().iloc[0]) if ics_total and rows[ics_total].notna().any() else np.nan
    r, r_slack = _rate(r, big_t, n)
    providers = []
    for i, row in rows.iterrows():
        if hidden[i]:
            providers.append(_Provider(int(i), np.nan, np.nan, 0.0))
        else:
            own, slack = _rate(float(row[rate]), float(row[total]) if total else np.nan, float(row[count]))
            providers.append(_Provider(int(i), float(row[count]), own, slack))
    yield table, figure, providers, n, r, r_slack


def ics_money_intervals(
    published: Mapping[str, pd.DataFrame], round_to: int, nonnegative: bool = False
) -> list[Bounded]:
    """For each hidden provider's total (cost; bed days in los_benchmark; a service's cost in clinical_support) in
    an ICS cell whose count and rate are shown, the least and greatest it can be: HiGHS over the true counts (each
    shown one within round_to // 2, 0 exact; a hidden one at least 0), the ICS count (likewise) = their sum, and
    ICS rate x ICS count = the shown rates x counts + the hidden totals (every rate within its rounding)."""
    half = round_to // 2
    out: list[Bounded] = []
    inf = highspy.kHighsInf
    for table, figure, providers, big_n, big_r, big_slack in _money_cells(published):
        k = len(providers)
        hidden = [j for j, p in enumerate(providers) if np.isnan(p.count)]
        # variables: k counts, then one total per hidden provider
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        for p in providers:
            if np.isnan(p.count):
                h.addVar(0.0, inf)
            elif p.count == 0:
                h.addVar(0.0, 0.0)
            else:
                h.addVar(max(p.count - half, 0.0), p.count + half)
        for _ in hidden:
            h.addVar(0.0 if nonnegative else -inf, inf)
        counts = np.arange(k, dtype=np.int32)
        if big_n == 0:
            h.addRow(0.0, 0.0, k, counts, np.ones(k))
        else:
            h.addRow(max(big_n - half, 0.0), big_n + half, k, counts, np.ones(k))
        totals = np.arange(k, k + len(hidden), dtype=np.int32)
        cols = np.concatenate([counts, totals])
        # sum(hidden totals) + sum(shown r n) - R sum(n) = 0, each rate anywhere within its slack
        for side in (-1.0, 1.0):
            coefficients = [
                (0.0 if np.isnan(p.count) else p.rate + side * p.slack) - (big_r - side * big_slack) for p in providers
            ]
            values = np.concatenate([np.array(coefficients), np.ones(len(hidden))])
            if side < 0:
                h.addRow(-inf, 0.0, len(cols), cols, values)
            else:
                h.addRow(0.0, inf, len(cols), cols, values)
        for at, j in enumerate(hidden):
            bounds = []
            for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
                cost = np.zeros(k + len(hidden))
                cost[k + at] = 1.0
                h.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)
                h.changeObjectiveSense(sense)
                h.run()
                ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
                bounds.append(h.getInfo().objective_function_value if ok else (-inf if sense.value == 1 else inf))
            out.append(Bounded(table, providers[j].row, figure, float(bounds[0]), float(bounds[1])))
    return out


# (g) Counts across levels (issue 16k): one linear program over every published count of a POD and unit of count,
# rather than one ICS cell at a time as count_intervals does. A provider's POD row in opportunity_summary is the sum
# of its HRG rows, an HRG row the sum of unit_cost_benchmark's cells of it (every TFC and setting), and every ICS
# count the sum of its providers' rows: so an ICS count hidden in one HRG is bounded by the POD's less the others.
def _count_rows(published: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The rows whose counts the program reads: table, row, level (pod, hrg, cell), the ICS cell, fin_year,
    org_code, pod, hrg, unit_of_count, the count and the ICS count."""
    columns = ["fin_year", "org_code", "pod", "hrg", "unit_of_count", "activity", "ics_activity"]
    parts = []
    summary = published.get("opportunity_summary")
    if summary is not None and not summary.empty:
        rows = summary[(summary.cost_driver == ALL) & (summary.pod != ALL)]
        parts.append(
            rows[columns].assign(
                table="opportunity_summary",
                row=rows.index,
                level=np.where(rows.hrg == ALL, "pod", "hrg"),
                cell="s|" + rows.hrg.astype(str),
            )
        )
    cells = published.get("unit_cost_benchmark")
    if cells is not None and not cells.empty:
        parts.append(
            cells[columns].assign(
                table="unit_cost_benchmark",
                row=cells.index,
                level="cell",
                cell="u|" + cells.setting.astype(str) + "|" + cells.tfc.astype(str) + "|" + cells.hrg.astype(str),
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def count_lp_intervals(
    published: Mapping[str, pd.DataFrame], round_to: int, targets: Iterable[tuple[str, int]] | None = None
) -> list[Bounded]:
    """For each hidden count of opportunity_summary's POD and HRG rows and unit_cost_benchmark's cells (or those in
    `targets`), the least and greatest it can be given every published count of its POD (HiGHS, continuous: the
    bounds are rounded inwards to whole counts)."""
    half = round_to // 2
    rows = _count_rows(published)
    if rows.empty:
        return []
    wanted = set(targets) if targets is not None else None
    inf = highspy.kHighsInf
    out: list[Bounded] = []
    for _, comp in rows.groupby(["fin_year", "pod", "unit_of_count"], dropna=False):
        comp = comp.reset_index(drop=True)
        todo = [
            j
            for j in comp.index[comp.activity.isna()]
            if wanted is None or (comp.at[j, "table"], int(comp.at[j, "row"])) in wanted
        ]
        if not todo:
            continue
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        for n in comp.activity:
            if pd.isna(n):
                h.addVar(0.0, inf)
            elif n == 0:
                h.addVar(0.0, 0.0)
            else:
                h.addVar(max(n - half, 0.0), n + half)

        def add_sum(total: list[int], parts: list[int], h: highspy.Highs = h) -> None:
            cols = np.array(total + parts, dtype=np.int32)
            h.addRow(0.0, 0.0, len(cols), cols, np.array([1.0] * len(total) + [-1.0] * len(parts)))

        org = comp.org_code.astype(str)
        pods = comp[comp.level == "pod"]
        for i in pods.index:
            add_sum([int(i)], [int(j) for j in comp.index[(comp.level == "hrg") & (org == org[i])]])
        for i in comp.index[comp.level == "hrg"]:
            mine = comp.index[(comp.level == "cell") & (org == org[i]) & (comp.hrg == comp.hrg[i])]
            if len(mine):
                add_sum([int(i)], [int(j) for j in mine])
        for _, cell in comp.groupby("cell"):
            shown = cell.ics_activity.dropna()
            if shown.empty:
                continue
            n = float(shown.iloc[0])
            cols = cell.index.to_numpy(np.int32)
            low, high = (0.0, 0.0) if n == 0 else (max(n - half, 0.0), n + half)
            h.addRow(low, high, len(cols), cols, np.ones(len(cols)))
        every = np.arange(len(comp), dtype=np.int32)
        for j in todo:
            bounds = []
            for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
                cost = np.zeros(len(comp))
                cost[j] = 1.0
                h.changeColsCost(len(comp), every, cost)
                h.changeObjectiveSense(sense)
                h.run()
                ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
                bounds.append(h.getInfo().objective_function_value if ok else (0.0 if sense.value == 1 else inf))
            out.append(
                Bounded(
                    str(comp.at[j, "table"]),
                    int(comp.at[j, "row"]),
                    "activity",
                    float(np.ceil(bounds[0] - 1e-6)),
                    float(np.floor(bounds[1] + 1e-6)),
                )
            )
    return out


# (h) Columns of one row that add up to another column of the same row (docs/metrics.md): gp_practice_cost's six
# setting costs make its total cost, each cost shown at the rounded count of its own records (rule 3).
# table -> (the total and its count, [each part and its count])
SETTINGS = ("apc", "op", "ec", "cc", "mh", "chs")
ROW_SUMS: dict[str, tuple[tuple[str, str], list[tuple[str, str]]]] = {
    "gp_practice_cost": (("total_cost", "activity"), [(f"{s}_cost", f"{s}_activity") for s in SETTINGS]),
}


def row_intervals(
    published: Mapping[str, pd.DataFrame], round_to: int, known: Mapping[tuple[str, int, str], float] | None = None
) -> list[Bounded]:
    """For each hidden part of a row sum whose total is shown, the least and greatest value the total less the shown
    parts allows, a hidden part being at least 0 (a practice's cost in a setting is not negative). A shown figure is
    taken from `known` ((table, row, column) -> exact value: more than any file holds) where given, else as what it
    says at its rounded count (`_total_interval`)."""
    out: list[Bounded] = []
    for table, ((total, total_count), parts) in ROW_SUMS.items():
        if table not in published:
            continue
        frame = published[table]

        for _, row in frame[frame[total].notna()].iterrows():
            hidden = [figure for figure, _ in parts if pd.isna(row[figure])]
            if not hidden:
                continue
            total_low, total_high = _stated(table, row, total, total_count, round_to, known)
            shown = [_stated(table, row, f, count, round_to, known) for f, count in parts if pd.notna(row[f])]
            rest_low = total_low - sum(high for _, high in shown)
            rest_high = total_high - sum(low for low, _ in shown)
            for figure in hidden:
                low = max(0.0, rest_low) if len(hidden) == 1 else 0.0
                out.append(Bounded(table, int(row.name), figure, low, rest_high))
    return out


def _stated(
    table: str,
    row: pd.Series,
    figure: str,
    count: str,
    round_to: int,
    known: Mapping[tuple[str, int, str], float] | None,
) -> tuple[float, float]:
    """Where a shown figure of a row lies: exactly its value in `known` where given, else `_total_interval`."""
    if known is not None:
        value = known[(table, int(row.name), figure)]
        return value, value
    return _total_interval(float(row[figure]), row[count], round_to)


# population_rates' ICS row of a setting is the ICS's cost in it: every practice's cost in that setting added up.
# table -> (the table of the column totals, the column naming its ICS rows and its value, the setting column)
COLUMN_SUMS = {"gp_practice_cost": ("population_rates", ("area_type", "ics"), "setting", "total_cost")}


def grid_intervals(published: Mapping[str, pd.DataFrame], known: Mapping[tuple[str, int, str], float]) -> list[Bounded]:
    """The row sums of ROW_SUMS and the column sums of COLUMN_SUMS together: for each hidden part, the least and
    greatest value it can have (a linear program per bound, HiGHS), every part at least 0, every shown figure (and
    the ICS's) exact from `known`, (table, row, column) -> value."""
    out: list[Bounded] = []
    for table, ((total, _), parts) in ROW_SUMS.items():
        if table not in published:
            continue
        frame = published[table]
        columns_table, (area, ics), setting, value = COLUMN_SUMS[table]
        ics_rows = published[columns_table][published[columns_table][area] == ics]
        for year, rows in frame.groupby("fin_year"):
            hidden = [(int(i), f) for i in rows.index for f, _ in parts if pd.isna(rows.at[i, f])]
            if not hidden:
                continue
            at = {h: k for k, h in enumerate(hidden)}
            equations: list[tuple[list[int], float]] = []
            for i in rows.index[rows[total].notna()]:
                cols = [at[(int(i), f)] for f, _ in parts if (int(i), f) in at]
                shown = sum(known[(table, int(i), f)] for f, _ in parts if (int(i), f) not in at)
                if cols:
                    equations.append((cols, known[(table, int(i), total)] - shown))
            for j in ics_rows.index[(ics_rows["fin_year"] == year) & ics_rows[value].notna()]:
                figure = f"{ics_rows.at[j, setting]}_cost"
                if figure not in dict(parts):
                    continue
                cols = [at[(int(i), figure)] for i in rows.index if (int(i), figure) in at]
                shown = sum(known[(table, int(i), figure)] for i in rows.index if (int(i), figure) not in at)
                if cols:
                    equations.append((cols, known[(columns_table, int(j), value)] - shown))
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            for _ in hidden:
                h.addVar(0.0, highspy.kHighsInf)
            for cols, rhs in equations:
                h.addRow(rhs, rhs, len(cols), np.array(cols, dtype=np.int32), np.ones(len(cols)))
            n = len(hidden)
            for (i, figure), k in at.items():
                ends = []
                for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
                    cost = np.zeros(n)
                    cost[k] = 1.0
                    h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
                    h.changeObjectiveSense(sense)
                    h.run()
                    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
                    ends.append(h.getInfo().objective_function_value if optimal else [0.0, np.inf][len(ends)])
                out.append(Bounded(table, i, figure, ends[0], ends[1]))
    return out


# (h) Chained (issue 16l): the ICS money program of every ICS cell and the published sums of (c) in ONE linear
# program, so a hidden provider's cost bounded by the ICS rate is also a part of its provider's HRG, POD and year
# sums, and what one route leaves open the other may close.
def chained_intervals(
    published: Mapping[str, pd.DataFrame],
    known: Mapping[tuple[str, int], float],
    targets: Iterable[tuple[str, int]],
    nonnegative: set[tuple[str, int]],
    round_to: int,
    places: Mapping[str, str] | None = None,
    service_lines: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] | None = None,
) -> dict[tuple[str, int], tuple[float, float]]:
    """For each target hidden cell (of COST), its least and greatest cost given every published sum (the shown cells
    at the values in `known`) and, for each ICS cell whose count and rate are shown, ICS rate x ICS count = the
    shown providers' rates x counts + the hidden providers' costs (every count within round_to // 2, every rate
    within its rounding; the counts are variables of the program). Hidden cells in `nonnegative` are at least 0."""
    wanted = set(targets)
    out: dict[tuple[str, int], tuple[float, float]] = {}
    programs = _chained_programs(published, known, wanted, nonnegative, round_to, places, service_lines)
    for h, size, index, todo in programs:
        for target in todo:
            out[target] = _min_max(h, size, index[target])
    for target in wanted - set(out):
        out[target] = (-np.inf, np.inf)
    return out


def _chained_programs(
    published: Mapping[str, pd.DataFrame],
    known: Mapping[tuple[str, int], float],
    wanted: set[tuple[str, int]],
    nonnegative: set[tuple[str, int]],
    round_to: int,
    places: Mapping[str, str] | None,
    service_lines: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] | None,
) -> Iterable[tuple[highspy.Highs, int, dict[tuple[str, int], int], list[tuple[str, int]]]]:
    """The program of `chained_intervals` for each group of linked hidden cells holding a wanted one: (the program,
    its number of variables, each hidden cell's variable, the wanted cells of the group). The hidden cells come
    first, then the true counts of each ICS cell's providers."""
    half = round_to // 2
    hidden = hidden_cells(published, COST)
    equations: list[tuple[list[tuple[str, int]], list[float], float, float]] = [
        ([t, *parts], [1.0] + [-1.0] * len(parts), 0.0, 0.0)
        for t, parts in sums(published, places, service_lines)
        if t in hidden or any(p in hidden for p in parts)
    ]
    money = [
        (table, providers, n, r, slack)
        for table, figure, providers, n, r, slack in _money_cells(published)
        if COST.get(table) == figure
    ]
    find, join = _linked(hidden)
    for members, *_ in equations:
        join(members)
    for table, providers, *_ in money:
        join([(table, p.row) for p in providers if np.isnan(p.count)])
    sums_of: dict[tuple[str, int], list[int]] = defaultdict(list)
    for at, (members, *_) in enumerate(equations):
        sums_of[find(next(m for m in members if m in hidden))].append(at)
    money_of: dict[tuple[str, int], list[int]] = defaultdict(list)
    for at, (table, providers, *_) in enumerate(money):
        cells = [(table, p.row) for p in providers if np.isnan(p.count) and (table, p.row) in hidden]
        if cells:
            money_of[find(cells[0])].append(at)
    by_root: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
    for cell in hidden:
        by_root[find(cell)].append(cell)
    inf = highspy.kHighsInf
    for root, members in by_root.items():
        todo = sorted(m for m in members if m in wanted)
        if not todo:
            continue
        variables = sorted(members)
        index = {v: i for i, v in enumerate(variables)}
        h = _program(variables, nonnegative)
        size = len(variables)
        _add_sums(h, [equations[at] for at in sums_of.get(root, [])], index, known)
        for at in money_of.get(root, []):
            table, providers, big_n, big_r, big_slack = money[at]
            first = size
            for p in providers:  # the true counts
                if np.isnan(p.count):
                    h.addVar(0.0, inf)
                elif p.count == 0:
                    h.addVar(0.0, 0.0)
                else:
                    h.addVar(max(p.count - half, 0.0), p.count + half)
            size += len(providers)
            counts = np.arange(first, size, dtype=np.int32)
            ones = np.ones(len(providers))
            h.addRow(*((0.0, 0.0) if big_n == 0 else (max(big_n - half, 0.0), big_n + half)), len(counts), counts, ones)
            secret = [index[(table, p.row)] for p in providers if np.isnan(p.count)]
            moved = sum(known[(table, p.row)] for p in providers if np.isnan(p.count) and (table, p.row) not in index)
            cols = np.concatenate([counts, np.array(secret, dtype=np.int32)])
            for side in (-1.0, 1.0):
                coefficients_ = [
                    (0.0 if np.isnan(p.count) else p.rate + side * p.slack) - (big_r - side * big_slack)
                    for p in providers
                ]
                values = np.concatenate([np.array(coefficients_), np.ones(len(secret))])
                h.addRow(*((-inf, -moved) if side < 0 else (-moved, inf)), len(cols), cols, values)
        yield h, size, index, todo


@dataclass(frozen=True)
class Narrowed:
    """A hidden cell the chained program holds within less than the protection share of its true `value` on at
    least one side: [low, high] is all it can be."""

    table: str
    row: int
    value: float
    low: float
    high: float


def chained_narrowed(
    published: Mapping[str, pd.DataFrame],
    known: Mapping[tuple[str, int], float],
    values: Mapping[tuple[str, int], float],
    nonnegative: set[tuple[str, int]],
    round_to: int,
    share: float,
    places: Mapping[str, str] | None = None,
    service_lines: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] | None = None,
    rounds: int = 20,
) -> tuple[int, list[Narrowed]]:
    """`chained_intervals`' question asked of every hidden cell of `values` ((table, row) -> its true cost: only the
    test knows it) at once: can the program put it `share` of its value beyond it on both sides (within a penny)?
    Any solution of the program is a witness for every cell it puts that far out, so rather than a least and a
    greatest value per cell (two solves each), each side is first pushed for all open cells together (each held at
    its mark by a bound, weighted by 1 / its mark's distance), up to `rounds` times while a push still reaches a
    twentieth of the cells open; then each cell still open on a side gets its exact bound on that side alone (one
    solve, whose solution is a witness for the others it reaches). A cell whose exact bound falls short of its mark
    is narrowed, and gets its exact interval. (cells checked, those narrowed)."""
    wanted = set(values)
    checked = 0
    narrowed: list[Narrowed] = []
    programs = _chained_programs(published, known, wanted, nonnegative, round_to, places, service_lines)
    for h, size, index, todo in programs:
        columns = np.array([index[t] for t in todo], dtype=np.int32)
        true = np.array([values[t] for t in todo])
        marks = (true - share * np.abs(true) + 0.01, true + share * np.abs(true) - 0.01)
        # presolve off: at scale 0.1 HiGHS's presolve called the first push of the 244,247-variable program
        # infeasible (the true figures satisfy it); without it the push is optimal in 7.8 s of CPU (issue 16w)
        h.setOptionValue("presolve", "off")
        reached = _reach(h, size, columns, marks, rounds)
        checked += len(todo)
        for k in np.flatnonzero(~(reached[0] & reached[1])):
            low, high = _min_max(h, size, int(columns[k]))
            narrowed.append(Narrowed(todo[k][0], todo[k][1], float(true[k]), low, high))
    return checked, narrowed


def _reach(
    h: highspy.Highs, size: int, columns: np.ndarray, marks: tuple[np.ndarray, np.ndarray], rounds: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each of `columns`, whether some solution of the program puts it at or below marks[0], and whether some
    puts it at or above marks[1]: pushed together, then each cell left by its exact bound on that side
    (`chained_narrowed`). False on a side means the exact bound there falls short of the mark."""
    lp = h.getLp()
    lower, upper = np.array(lp.col_lower_), np.array(lp.col_upper_)
    every = np.arange(size, dtype=np.int32)
    reached = (np.zeros(len(columns), dtype=bool), np.zeros(len(columns), dtype=bool))

    def witness() -> None:
        x = np.array(h.getSolution().col_value)[columns]
        reached[0][x <= marks[0]] = True
        reached[1][x >= marks[1]] = True

    for side, sign in ((0, 1.0), (1, -1.0)):
        for _ in range(rounds):
            open_ = np.flatnonzero(~reached[side])
            if len(open_) == 0:
                break
            before = len(open_)
            cost, low, high = np.zeros(size), lower.copy(), upper.copy()
            cols = columns[open_]
            distance = np.maximum(np.abs(marks[1][open_] - marks[0][open_]) / 2, 1.0)
            cost[cols] = sign / distance
            if side == 0:
                low[cols] = np.maximum(lower[cols], marks[0][open_] - 0.01)
            else:
                high[cols] = np.minimum(upper[cols], marks[1][open_] + 0.01)
            h.changeColsBounds(size, every, low, high)
            h.changeColsCost(size, every, cost)
            h.changeObjectiveSense(highspy.ObjSense.kMinimize)
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                h.clearSolver()
                h.run()
            if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                witness()
            if before - np.count_nonzero(~reached[side]) < max(1, before // 20):
                break
        h.changeColsBounds(size, every, lower, upper)
    sense = (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize)
    for side in (0, 1):
        for k in np.flatnonzero(~reached[side]):
            if reached[side][k]:  # an earlier solution reached it
                continue
            bound = _bound(h, size, int(columns[k]), sense[side])
            if np.isfinite(bound):
                witness()
            if bound <= marks[0][k] if side == 0 else bound >= marks[1][k]:
                reached[side][k] = True
    return reached

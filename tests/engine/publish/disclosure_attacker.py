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
from collections.abc import Iterable, Mapping
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
    published: Mapping[str, pd.DataFrame], places: Mapping[str, str] | None = None
) -> list[tuple[tuple[str, int], list[tuple[str, int]]]]:
    """Every published "total = sum of parts" among the cost tables, as (table, row) references. `places` gives each
    district's place, as the ICS's configuration and its population pages say."""
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
) -> dict[tuple[str, int], tuple[float, float]]:
    """(c) For each target hidden cell, the least and greatest value of its `measure` (cost, bed days, spells) it can
    have given every published sum, solving a linear program per bound (HiGHS). `known` gives the exact value of
    each shown cell; hidden cells in `nonnegative` cannot be below 0; `ranges` are sums of cells known to lie between
    two figures (a total shown at a rounded count: `rolling_ranges`)."""
    hidden = hidden_cells(published, measure)
    equations: list[tuple[list[tuple[str, int]], list[float], float, float]] = [
        ([t, *parts], [1.0] + [-1.0] * len(parts), 0.0, 0.0)
        for t, parts in sums(published, places)
        if t in hidden or any(p in hidden for p in parts)
    ]
    equations += [(list(r.cells), [1.0] * len(r.cells), r.low, r.high) for r in ranges if set(r.cells) & hidden]
    parent = {h: h for h in hidden}

    def find(a: tuple[str, int]) -> tuple[str, int]:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for members, *_ in equations:
        inside = [m for m in members if m in hidden]
        for m in inside[1:]:
            parent[find(m)] = find(inside[0])
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


def _bounds(
    variables: list[tuple[str, int]],
    equations: list[tuple[list[tuple[str, int]], list[float], float, float]],
    known: Mapping[tuple[str, int], float],
    todo: list[tuple[str, int]],
    nonnegative: set[tuple[str, int]],
) -> dict[tuple[str, int], tuple[float, float]]:
    index = {v: i for i, v in enumerate(variables)}
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    for v in variables:
        h.addVar(0.0 if v in nonnegative else -inf, inf)
    for members, signs, low, high in equations:
        # low <= sum(sign x) <= high (total - sum(parts) = 0 for a sum), the known cells moved to the bounds
        coefficients: dict[int, float] = defaultdict(float)
        moved = 0.0
        for cell, sign in zip(members, signs, strict=True):
            if cell in index:
                coefficients[index[cell]] += sign
            else:
                moved += sign * known[cell]
        cols = np.array(list(coefficients), dtype=np.int32)
        h.addRow(low - moved, high - moved, len(cols), cols, np.array([coefficients[c] for c in cols]))
    out = {}
    for target in todo:
        bounds = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            cost = np.zeros(len(variables))
            cost[index[target]] = 1.0
            h.changeColsCost(len(variables), np.arange(len(variables), dtype=np.int32), cost)
            h.changeObjectiveSense(sense)
            h.run()
            status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                bounds.append(h.getInfo().objective_function_value)
            else:
                bounds.append(-np.inf if sense == highspy.ObjSense.kMinimize else np.inf)
        out[target] = (bounds[0], bounds[1])
    return out


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


# (f) Columns of one row that add up to another column of the same row (docs/metrics.md): gp_practice_cost's six
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

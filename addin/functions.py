"""The `=ICS_...` worksheet functions, as plain Python taking the values Excel sends.

Each function only looks figures up in the published result tables (small numbers already suppressed); none
computes a benchmark. A cell shows a number, a spilled table, or a sentence: what is wrong with an argument (with the
valid choices), that a figure is suppressed, or that there was no activity (which is not the same as zero).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from addin import arguments
from addin.arguments import ArgumentError
from addin.config_source import ConfigSource
from addin.registry import worksheet_function
from addin.results import ResultsCache, ResultTable, spill
from engine import codes
from engine.errors import IcsBenchError
from engine.metrics.population_inputs import ICS_AREA, OUTSIDE_AREA
from engine.publish import published_results, reports
from engine.publish.suppression import SuppressionRule

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

ALL = "(all)"
BENCHMARK_SUFFIX = {"ics mean": "ics", "ics median": "median", "best in system": "best", "national": "national"}
MAX_SPILL_ROWS = 50_000

_cache = ResultsCache(ConfigSource())


def use_cache(cache: ResultsCache) -> ResultsCache:
    """Point every worksheet function at `cache` (tests, the benchmark, and a config chosen in Settings)."""
    global _cache
    previous, _cache = _cache, cache
    return previous


def results() -> ResultsCache:
    return _cache


class NotShownError(Exception):
    """A figure that cannot be shown, with the sentence the cell should say instead."""


def inert(value: Any) -> Any:
    """Text that Excel could take for a formula (=, +, - or @ first) gets an apostrophe in front."""
    return reports.inert(value) if isinstance(value, str) else value


def _in_cell(function: F) -> F:
    """Turn every failure into a sentence for the cell: never a traceback."""

    @functools.wraps(function)
    def guarded(*args: Any) -> Any:
        try:
            value = function(*args)
        except (ArgumentError, NotShownError) as exc:
            return inert(str(exc))
        except IcsBenchError as exc:
            return inert(f"ICS results unavailable: {exc}")
        except Exception:
            log.exception("%s failed", function.__name__)
            return f"{function.__name__} failed unexpectedly; the details are in the xlwings log"
        if isinstance(value, list):
            return [[inert(v) for v in row] for row in value]
        return inert(value)

    return guarded  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------------------- helpers


def _table(name: str) -> ResultTable:
    return _cache.table(name)


def _provider(value: object, table: ResultTable) -> str:
    provider = arguments.code(value, "provider", table.choices("org_code"), names=_provider_names())
    if provider is None:
        raise ArgumentError(f"give a provider; choose one of: {', '.join(sorted(table.distinct('org_code')))}")
    return provider


_provider_names_held: tuple[object, dict[str, str]] = (None, {})


def _provider_names() -> dict[str, str]:
    """Provider codes by their names in capitals, so a formula may name a provider either way."""
    global _provider_names_held
    config = _cache.config
    if _provider_names_held[0] is not config:
        _provider_names_held = (config, {p.name.upper(): p.code for p in config.providers})
    return _provider_names_held[1]


def _year(value: object, table: ResultTable) -> str:
    return arguments.fin_year(value, table.choices("fin_year").values())


def _pod(value: object, table: ResultTable) -> str | None:
    return arguments.code(value, "POD", table.choices("pod"))


def _hrg(value: object, table: ResultTable, pod: str | None) -> str | None:
    hrg = arguments.code(value, "HRG", table.choices("hrg"))
    if hrg is not None and pod is None:
        pods = sorted({p for (p, h) in table.index(("pod", "hrg")) if h == hrg and p != ALL})
        raise ArgumentError(f"give the POD with HRG {hrg} (it is recorded under {', '.join(pods)})")
    return hrg


def _cell_keys(table: ResultTable, pod: str | None, hrg: str | None, tfc: str | None) -> None:
    if tfc is not None and (pod is None or hrg is None):
        raise ArgumentError("a TFC needs the POD and HRG with it")
    if tfc is not None and tfc not in table.choices("tfc"):
        raise ArgumentError(
            f"TFC '{tfc}' is not in the results; choose one of: {arguments.listing(table.distinct('tfc'))}"
        )


def _one_row(table: ResultTable, describe: str, **keys: Any) -> int:
    rows = table.find(**keys)
    if not rows:
        raise NotShownError(f"no activity: {describe}")
    return rows[0]


def _figure(table: ResultTable, row: int, column: str, *, why_blank: str) -> float:
    value = table.value(column, row)
    if value is not None:
        return float(value)
    if table.suppressed(column, row):
        raise NotShownError(SuppressionRule.from_config(_cache.config.suppression).hidden_text())
    raise NotShownError(why_blank)


def _describe(provider: str | None, pod: str | None, hrg: str | None, tfc: str | None, year: str) -> str:
    parts = [p for p in (provider, pod, f"TFC {tfc}" if tfc else None, hrg) if p]
    return f"{' '.join(parts) or 'the ICS'} has no records in {year}"


def _summary_row(
    name: str, provider: str, pod: str | None, hrg: str | None, year: str, **extra: str
) -> tuple[ResultTable, int]:
    table = _table(name)
    row = _one_row(
        table,
        _describe(provider, pod, hrg, None, year),
        fin_year=year,
        org_code=provider,
        pod=pod or ALL,
        hrg=hrg or ALL,
        **extra,
    )
    return table, row


# ------------------------------------------------------------------------------------------------- cost functions


@worksheet_function(
    "Cost opportunity in pounds, (cost per unit - benchmark) x units, added up over cells with enough cases. "
    "Floored: each cell at 0; net: both signs; significant: outside the funnel only. Never add across benchmarks.",
    provider="Provider ODS code or name, e.g. ZZA",
    pod="Point of delivery, e.g. NEL; blank for all",
    hrg="HRG, e.g. HT12A; blank for all (needs the POD)",
    benchmark="ICS mean (default), ICS median, best in system or national",
    driver="Cost driver, e.g. theatre or ward; blank for the total cost",
    tfc="Treatment function code, e.g. 110; blank for all",
    year="Financial year, e.g. 2023/24; blank for the latest",
    measure="floored (default), net or significant (ICS mean only)",
)
@_in_cell
def ICS_OPPORTUNITY(
    provider: Any,
    pod: Any = None,
    hrg: Any = None,
    benchmark: Any = None,
    driver: Any = None,
    tfc: Any = None,
    year: Any = None,
    measure: Any = None,
) -> float:
    summary = _table("opportunity_summary")
    org = _provider(provider, summary)
    fin_year = _year(year, summary)
    pod_code = _pod(pod, summary)
    hrg_code = _hrg(hrg, summary, pod_code)
    driver_code = arguments.code(driver, "cost driver", summary.choices("cost_driver"))
    kind = arguments.measure(measure)
    only_ics = kind == "significant"
    chosen = arguments.benchmark(
        benchmark,
        allowed=("ics mean",)
        if only_ics
        else ("ics mean", "best in system")
        if driver_code
        else tuple(BENCHMARK_SUFFIX),
    )
    column = f"{arguments.MEASURES[kind]}_vs_{BENCHMARK_SUFFIX[chosen]}"
    tfc_code = arguments.tfc(tfc)
    if tfc_code is not None:
        name = "cost_driver_benchmark" if driver_code else "unit_cost_benchmark"
        table = _table(name)
        _cell_keys(table, pod_code, hrg_code, tfc_code)
        keys = {"cost_driver": driver_code} if driver_code else {}
        row = _one_row(
            table,
            _describe(org, pod_code, hrg_code, tfc_code, fin_year),
            fin_year=fin_year,
            pod=pod_code,
            tfc=tfc_code,
            hrg=hrg_code,
            org_code=org,
            **keys,
        )
    else:
        table = summary
        row = _one_row(
            table,
            _describe(org, pod_code, hrg_code, None, fin_year),
            fin_year=fin_year,
            org_code=org,
            pod=pod_code or ALL,
            hrg=hrg_code or ALL,
            cost_driver=driver_code or ALL,
        )
    why = f"no {arguments.BENCHMARKS[chosen][0]} benchmark for this activity"
    if chosen == "best in system":
        why += " (no provider has enough cases)"
    elif chosen == "national":
        why += " (the national schedule has no price for it)"
    return _figure(table, row, column, why_blank=why)


@worksheet_function(
    "The provider's cost per unit of count (episode, attendance, contact, bed day or critical care day), pounds; "
    "blank for all PODs together, whose units differ.",
    provider="Provider ODS code or name",
    pod="Point of delivery; blank for all",
    hrg="HRG; blank for all (needs the POD)",
    tfc="Treatment function code; blank for all",
    year="Financial year; blank for the latest",
)
@_in_cell
def ICS_MEAN_COST(provider: Any, pod: Any = None, hrg: Any = None, tfc: Any = None, year: Any = None) -> float:
    table, row = _provider_cell(provider, pod, hrg, tfc, year)
    return _figure(table, row, "mean_cost", why_blank="no cost recorded")


@worksheet_function(
    "The provider's records (episodes, attendances, periods or contacts), rounded to 5 when published.",
    provider="Provider ODS code or name",
    pod="Point of delivery; blank for all",
    hrg="HRG; blank for all (needs the POD)",
    tfc="Treatment function code; blank for all",
    year="Financial year; blank for the latest",
)
@_in_cell
def ICS_ACTIVITY(provider: Any, pod: Any = None, hrg: Any = None, tfc: Any = None, year: Any = None) -> float:
    table, row = _provider_cell(provider, pod, hrg, tfc, year)
    return _figure(table, row, "activity", why_blank="no activity")


def _provider_cell(provider: Any, pod: Any, hrg: Any, tfc: Any, year: Any) -> tuple[ResultTable, int]:
    summary = _table("opportunity_summary")
    org = _provider(provider, summary)
    fin_year = _year(year, summary)
    pod_code = _pod(pod, summary)
    hrg_code = _hrg(hrg, summary, pod_code)
    tfc_code = arguments.tfc(tfc)
    if tfc_code is None:
        return _summary_row("opportunity_summary", org, pod_code, hrg_code, fin_year, cost_driver=ALL)
    table = _table("unit_cost_benchmark")
    _cell_keys(table, pod_code, hrg_code, tfc_code)
    row = _one_row(
        table,
        _describe(org, pod_code, hrg_code, tfc_code, fin_year),
        fin_year=fin_year,
        pod=pod_code,
        tfc=tfc_code,
        hrg=hrg_code,
        org_code=org,
    )
    return table, row


@worksheet_function(
    "The benchmark cost per unit of count for a POD and HRG: ICS mean, ICS median, best in system or national.",
    pod="Point of delivery, e.g. NEL",
    hrg="HRG, e.g. HT12A",
    benchmark="ICS mean (default), ICS median, best in system or national",
    tfc="Treatment function code; blank for all",
    year="Financial year; blank for the latest",
)
@_in_cell
def ICS_BENCHMARK_COST(pod: Any, hrg: Any, benchmark: Any = None, tfc: Any = None, year: Any = None) -> float:
    summary = _table("opportunity_summary")
    fin_year = _year(year, summary)
    pod_code = _pod(pod, summary)
    hrg_code = _hrg(hrg, summary, pod_code)
    if pod_code is None or hrg_code is None:
        raise ArgumentError("give a POD and an HRG: benchmarks compare like with like")
    chosen = arguments.benchmark(benchmark)
    column = {
        "ics mean": "ics_mean_cost",
        "ics median": "ics_median_cost",
        "best in system": "best_in_system_cost",
        "national": "ics_national_mean_cost",  # a provider's own national figure is its case mix: see ICS_OPPORTUNITY
    }[chosen]
    tfc_code = arguments.tfc(tfc)
    describe = _describe(None, pod_code, hrg_code, tfc_code, fin_year)
    if tfc_code is None:
        table = summary
        row = _one_row(table, describe, fin_year=fin_year, pod=pod_code, hrg=hrg_code, cost_driver=ALL)
    else:
        table = _table("unit_cost_benchmark")
        _cell_keys(table, pod_code, hrg_code, tfc_code)
        row = _one_row(table, describe, fin_year=fin_year, pod=pod_code, tfc=tfc_code, hrg=hrg_code)
    why = {
        "best in system": "no best in system: no provider has enough cases",
        "national": "no national price for this POD and HRG",
    }.get(chosen, "not available")
    return _figure(table, row, column, why_blank=why)


# ---------------------------------------------------------------------------------------------- length of stay


@worksheet_function(
    "The provider's average length of stay per spell, days.",
    provider="Provider ODS code or name",
    pod="Point of delivery (EL, NEL, NES, DC, RP); blank for all admitted care",
    hrg="Spell HRG; blank for all (needs the POD)",
    tfc="Treatment function code; blank for all",
    year="Financial year; blank for the latest",
)
@_in_cell
def ICS_LOS(provider: Any, pod: Any = None, hrg: Any = None, tfc: Any = None, year: Any = None) -> float:
    table, row = _los_row(provider, pod, hrg, tfc, year)
    return _figure(table, row, "mean_los", why_blank="no spells")


@worksheet_function(
    "Length-of-stay opportunity: excess bed days against the benchmark, in pounds (at the provider's ward cost per "
    "bed day) or in bed days. Do not add it to the cost opportunity: ward cost is in both.",
    provider="Provider ODS code or name",
    pod="Point of delivery (EL, NEL, NES, DC, RP); blank for all admitted care",
    hrg="Spell HRG; blank for all (needs the POD)",
    benchmark="ICS mean (default) or best in system",
    measure="cost (default, pounds) or bed days",
    tfc="Treatment function code; blank for all",
    year="Financial year; blank for the latest",
)
@_in_cell
def ICS_LOS_OPPORTUNITY(
    provider: Any,
    pod: Any = None,
    hrg: Any = None,
    benchmark: Any = None,
    measure: Any = None,
    tfc: Any = None,
    year: Any = None,
) -> float:
    chosen = arguments.benchmark(benchmark, allowed=("ics mean", "best in system"))
    unit = (arguments.text(measure, "measure") or "cost").lower().replace("_", " ")
    if unit not in ("cost", "bed days"):
        raise ArgumentError(f"measure '{unit}' is not one of: cost, bed days")
    table, row = _los_row(provider, pod, hrg, tfc, year)
    column = f"excess_{'cost' if unit == 'cost' else 'bed_days'}_vs_{'ics' if chosen == 'ics mean' else 'best'}"
    return _figure(table, row, column, why_blank="no best in system: no provider has enough spells")


def _los_row(provider: Any, pod: Any, hrg: Any, tfc: Any, year: Any) -> tuple[ResultTable, int]:
    summary = _table("los_summary")
    org = _provider(provider, summary)
    fin_year = _year(year, summary)
    pod_code = _pod(pod, summary)
    hrg_code = _hrg(hrg, summary, pod_code)
    tfc_code = arguments.tfc(tfc)
    if tfc_code is None:
        return _summary_row("los_summary", org, pod_code, hrg_code, fin_year)
    table = _table("los_benchmark")
    _cell_keys(table, pod_code, hrg_code, tfc_code)
    row = _one_row(
        table,
        _describe(org, pod_code, hrg_code, tfc_code, fin_year),
        fin_year=fin_year,
        pod=pod_code,
        tfc=tfc_code,
        hrg=hrg_code,
        org_code=org,
    )
    return table, row


# ------------------------------------------------------------------------------------------------ productivity


@worksheet_function(
    "Cost per weighted activity unit (WAU), the Model Health System measure, for a provider's setting or the whole "
    "trust (market forces adjusted), pounds.",
    provider="Provider ODS code or name",
    setting="apc, op, ec, cc, mh or chs; blank for the whole trust",
    year="Financial year; blank for the latest",
)
@_in_cell
def ICS_COST_PER_WAU(provider: Any, setting: Any = None, year: Any = None) -> float:
    table = _table("cost_per_wau")
    org = _provider(provider, table)
    fin_year = _year(year, table)
    given = arguments.text(setting, "setting")
    chosen = ALL if given is None or given.strip("()").lower() == "all" else None
    if chosen is None:
        chosen = arguments.code(setting, "setting", table.choices("setting"))
    row = _one_row(
        table, f"{org} has no {chosen} records in {fin_year}", fin_year=fin_year, setting=chosen, org_code=org
    )
    return _figure(table, row, "cost_per_wau", why_blank="no records with a national price")


# --------------------------------------------------------------------------------------------- spilled tables


@worksheet_function(
    "The provider's largest cost opportunities by POD, TFC and HRG (spills in Excel 2021 or 365). Suppressed cells "
    "are left out.",
    spills=True,
    provider="Provider ODS code or name",
    n="How many rows (default 10)",
    benchmark="ICS mean (default), ICS median, best in system or national",
    year="Financial year; blank for the latest",
)
@_in_cell
def ICS_TOP_OPPORTUNITIES(provider: Any, n: Any = None, benchmark: Any = None, year: Any = None) -> list[list[Any]]:
    table = _table("unit_cost_benchmark")
    org = _provider(provider, table)
    fin_year = _year(year, table)
    count = arguments.whole_number(n, "n", default=10, largest=1000)
    chosen = arguments.benchmark(benchmark)
    suffix = BENCHMARK_SUFFIX[chosen]
    benchmark_column = {
        "ics": "ics_mean_cost",
        "median": "ics_median_cost",
        "best": "best_in_system_cost",
        "national": "national_mean_cost",
    }[suffix]
    opportunity = table.column(f"opportunity_vs_{suffix}")
    rows = [r for r in table.find(fin_year=fin_year, org_code=org) if (opportunity[r] or 0) > 0]
    rows.sort(key=lambda r: -opportunity[r])
    columns = ("pod", "tfc", "hrg", "activity", "mean_cost", benchmark_column, f"opportunity_vs_{suffix}")
    header = ("POD", "TFC", "HRG", "Activity", "Mean cost", f"{arguments.BENCHMARKS[chosen][0]} cost", "Opportunity")
    if not rows:
        raise NotShownError(f"no opportunity against the {arguments.BENCHMARKS[chosen][0]} for {org} in {fin_year}")
    return spill(header, [[table.value(c, r) for c in columns] for r in rows[:count]])


@worksheet_function(
    "Drill-down of a POD and HRG by cost driver (spills in Excel 2021 or 365): the provider's cost per case on each "
    "driver against the ICS and the best in system, and the opportunity.",
    spills=True,
    provider="Provider ODS code or name",
    pod="Point of delivery, e.g. NEL",
    hrg="HRG, e.g. HT12A",
    tfc="Treatment function code; blank for all",
    year="Financial year; blank for the latest",
)
@_in_cell
def ICS_DRIVERS(provider: Any, pod: Any, hrg: Any, tfc: Any = None, year: Any = None) -> list[list[Any]]:
    summary = _table("opportunity_summary")
    org = _provider(provider, summary)
    fin_year = _year(year, summary)
    pod_code = _pod(pod, summary)
    hrg_code = _hrg(hrg, summary, pod_code)
    if pod_code is None or hrg_code is None:
        raise ArgumentError("give a POD and an HRG to drill into")
    tfc_code = arguments.tfc(tfc)
    drivers = _table("cost_driver_benchmark")
    names = {code: name for code, name in drivers.index(("cost_driver", "cost_driver_name"))}
    if tfc_code is None:
        table = summary
        columns = ("mean_cost", "ics_mean_cost", "best_in_system_cost", "opportunity_vs_ics", "opportunity_vs_best")
        rows = [
            r
            for r in table.find(fin_year=fin_year, org_code=org, pod=pod_code, hrg=hrg_code)
            if table.value("cost_driver", r) != ALL
        ]
    else:
        table = drivers
        _cell_keys(table, pod_code, hrg_code, tfc_code)
        columns = (
            "driver_cost_per_case",
            "ics_driver_cost_per_case",
            "best_in_system_driver_cost_per_case",
            "opportunity_vs_ics",
            "opportunity_vs_best",
        )
        rows = table.find(fin_year=fin_year, pod=pod_code, tfc=tfc_code, hrg=hrg_code, org_code=org)
    if not rows:
        raise NotShownError(f"no activity: {_describe(org, pod_code, hrg_code, tfc_code, fin_year)}")
    rows = sorted(rows, key=lambda r: -(table.value("opportunity_vs_ics", r) or 0))
    header = (
        "Cost driver",
        "Name",
        "Cost per case",
        "ICS cost per case",
        "Best in system",
        "Opportunity vs ICS",
        "Opportunity vs best",
    )
    body = []
    for r in rows:
        driver = table.value("cost_driver", r)
        body.append([driver, names.get(driver, driver), *(table.value(c, r) for c in columns)])
    return spill(header, body)


@worksheet_function(
    "Any published result table, filtered (spills in Excel 2021 or 365): name, then pairs of column and value, e.g. "
    'ICS_TABLE("los_benchmark", "org_code", "ZZA", "pod", "NEL").',
    spills=True,
    name="Result table, e.g. unit_cost_benchmark",
    filters="Pairs of column name and value",
)
@_in_cell
def ICS_TABLE(name: Any, *filters: Any) -> list[list[Any]]:
    table_name = arguments.text(name, "table")
    if table_name is None:
        raise ArgumentError("give the name of a result table, e.g. unit_cost_benchmark")
    table = _table(table_name.lower())
    pairs = arguments.filters(filters)
    unknown = [c for c, _ in pairs if c not in table.column_names]
    if unknown:
        raise ArgumentError(
            f"{table_name} has no column {unknown[0]}; its columns are: {', '.join(table.column_names)}"
        )
    rows: Sequence[int] = range(table.rows)
    for column, value in pairs:
        wanted = _filter_value(value)
        values = table.column(column)
        rows = [r for r in rows if _matches(values[r], wanted)]
    if len(rows) > MAX_SPILL_ROWS:
        raise ArgumentError(f"{len(rows):,} rows: more than Excel should hold here; add filters")
    if not rows:
        raise NotShownError(f"no rows in {table_name} match")
    return spill(table.column_names, [[table.value(c, r) for c in table.column_names] for r in rows])


def _filter_value(value: object) -> object:
    value = arguments.single(value, "filter value")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _matches(cell: object, wanted: object) -> bool:
    if cell is None or wanted is None:
        return cell is None and wanted is None
    if isinstance(wanted, str) or isinstance(cell, str):
        return str(cell).strip().upper() == str(wanted).strip().upper()
    return float(cell) == float(wanted)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------------ pathways

WHOLE_PATHWAY = "whole_pathway"
ICS_PROVIDER = "ICS"
PATHWAY_MEASURES: dict[str, tuple[str, str | None]] = {
    # measure: (the provider's column, the ICS's column: None when the measure compares a provider with the ICS)
    "cost per pathway": ("cost_per_pathway", "ics_cost_per_pathway"),
    "ICS": ("ics_cost_per_pathway", "ics_cost_per_pathway"),
    "difference": ("difference_per_pathway", None),
    "opportunity": ("opportunity_vs_ics", None),
    "pathways": ("pathways", "ics_pathways"),
    "events per pathway": ("events_per_pathway", "ics_events_per_pathway"),
}
_PATHWAY_MEASURE_WORDS = {
    **{arguments.name_key(m): m for m in PATHWAY_MEASURES},
    "cost": "cost per pathway",
    "icscost": "ICS",
    "icscostperpathway": "ICS",
    "differenceperpathway": "difference",
    "opportunityvsics": "opportunity",
    "events": "events per pathway",
}


@worksheet_function(
    "Cost of a care pathway per index admission, credited to the provider of the index admission (costs follow the "
    "patient to every provider), against the ICS. Only complete pathways are costed; do not add steps together.",
    provider="Provider of the index admission, ODS code or name; ICS for the ICS figure",
    pathway="Pathway name or label from the ICS config, e.g. hip_fracture",
    pathway_step="whole_pathway (default), index_admission or a step such as readmissions",
    measure="cost per pathway (default), ICS, difference, opportunity, pathways or events per pathway",
    year="Financial year of the index admission; blank for the latest",
)
@_in_cell
def ICS_PATHWAY_COST(
    provider: Any, pathway: Any, pathway_step: Any = None, measure: Any = None, year: Any = None
) -> float:
    table = _table("pathway_cost")
    org = _pathway_provider(provider, table)
    name, label = _pathway(pathway, table)
    chosen_step = _pathway_step(pathway_step, table, name)
    fin_year = _year(year, table)
    chosen = _pathway_measure(measure)
    own, ics = PATHWAY_MEASURES[chosen]
    if org is None or chosen == "ICS":
        if ics is None:
            raise ArgumentError(f"the {chosen} compares a provider with the ICS: give a provider")
        rows = table.find(fin_year=fin_year, pathway=name, step=chosen_step)
        if not rows:
            raise NotShownError(f"no activity: no provider has {label} index admissions in {fin_year}")
        return _figure(table, rows[0], ics, why_blank=f"no complete {label} pathways in the ICS in {fin_year}")
    row = _one_row(
        table,
        f"{org} has no {label} index admissions in {fin_year}",
        fin_year=fin_year,
        pathway=name,
        org_code=org,
        step=chosen_step,
    )
    why = f"no complete pathways: {org}'s {label} pathways in {fin_year} have not all run their course yet"
    return _figure(table, row, own, why_blank=why)


def _pathway_provider(value: object, table: ResultTable) -> str | None:
    """A provider's code, or None for the ICS. Every configured provider is a choice: one with no index admissions
    has no rows in the table, and gets a "no activity" sentence rather than a wrong-code one."""
    given = arguments.text(value, "provider")
    if given is None:
        raise ArgumentError("give the provider of the index admission, or ICS")
    if arguments.name_key(given) in (arguments.name_key(ICS_PROVIDER), arguments.name_key(_cache.config.ics.name)):
        return None
    codes = {p.code.upper(): p.code for p in _cache.config.providers} | table.choices("org_code")
    return arguments.code(given, "provider", codes, names=_provider_names())


def _pathway(value: object, table: ResultTable) -> tuple[str, str]:
    """The pathway's name and label, typed as either. A configured pathway with no index admissions yet is a
    choice too, and says so."""
    labels = {p.name: p.label for p in _cache.config.pathways}
    labels.update({name: label for (name, label) in table.index(("pathway", "pathway_label"))})
    if not labels:
        raise NotShownError("no pathways in the results: the ICS config has no [[pathways]]")
    keys = {arguments.name_key(label): name for name, label in labels.items()}
    keys.update({arguments.name_key(name): name for name in labels})
    name = arguments.named(value, "pathway", keys, shown=sorted(labels))
    if name is None:
        raise ArgumentError(f"give a pathway; choose one of: {', '.join(sorted(labels))}")
    if not table.find(pathway=name):
        raise NotShownError(f"no activity: no provider has {labels[name]} index admissions in the results")
    return name, labels[name]


def _pathway_step(value: object, table: ResultTable, pathway: str) -> str:
    """A step of the pathway (its name, with case, spaces and underscores not mattering); blank is the whole pathway."""
    held = table.index(("pathway", "step", "step_order"))
    steps = [step for _, step in sorted((order, step) for (p, step, order) in held if p == pathway)]
    chosen = arguments.named(value, "step", {arguments.name_key(s): s for s in steps}, shown=steps)
    return chosen or WHOLE_PATHWAY


def _pathway_measure(value: object) -> str:
    given = arguments.text(value, "measure")
    if given is None:
        return "cost per pathway"
    chosen = _PATHWAY_MEASURE_WORDS.get(arguments.name_key(given))
    if chosen is None:
        raise ArgumentError(f"measure '{given}' is not one of: {', '.join(PATHWAY_MEASURES)}")
    return chosen


# ---------------------------------------------------------------------------------------------- service lines

# measure word -> (the provider's column, the ICS's column or None) in service_line_benchmark
SERVICE_MEASURES: dict[str, tuple[str, str | None]] = {
    "mean cost": ("mean_cost", "ics_mean_cost"),
    "cases": ("activity", "ics_activity"),
    "cost": ("total_cost", "ics_total_cost"),
    "best in system": ("best_in_system_cost", "best_in_system_cost"),
    "national mean cost": ("national_mean_cost", "ics_national_mean_cost"),
    "opportunity vs ICS": ("opportunity_vs_ics", None),
    "opportunity vs best": ("opportunity_vs_best", None),
    "opportunity vs national": ("opportunity_vs_national", None),
    "net vs ICS": ("net_vs_ics", None),
    "significant vs ICS": ("significant_vs_ics", None),
    "mean LoS": ("mean_los", "ics_mean_los"),
    "theatre minutes per case": ("theatre_minutes_per_case", "ics_theatre_minutes_per_case"),
    "theatre cost": ("theatre_cost", None),
    "ward cost per bed day": ("ward_cost_per_bed_day", "ics_ward_cost_per_bed_day"),
    "change vs previous": ("change_vs_previous", None),
    "rolling mean cost": ("rolling_mean_cost", None),
    "costing score": ("costing_score", None),
    "periods aligned": ("periods_aligned", None),
}
_SERVICE_MEASURE_WORDS = {arguments.name_key(m): m for m in SERVICE_MEASURES}


@worksheet_function(
    "A service line's figure (a group of HRGs such as NEL hip procedures for trauma, from the ICS config) for a "
    "provider or the ICS, for the year or a quarter: the seed's service slide figure by figure.",
    provider="Provider ODS code or name; ICS for the ICS figure",
    service_line="Service line name from the ICS config, e.g. NEL hip procedures for trauma",
    measure="mean cost (default), cases, cost, best in system, national mean cost, opportunity vs ICS/best/national, "
    "net vs ICS, significant vs ICS, mean LoS, theatre minutes per case, theatre cost, ward cost per bed day, "
    "change vs previous, rolling mean cost",
    period="year (default) or a quarter, Q1 to Q4",
    year="Financial year; blank for the latest",
)
@_in_cell
def ICS_SERVICE_LINE(
    provider: Any, service_line: Any, measure: Any = None, period: Any = None, year: Any = None
) -> float:
    table = _table("service_line_benchmark")
    names = {arguments.name_key(s.name): s.name for s in _cache.config.service_lines}
    shown = [s.name for s in _cache.config.service_lines]
    name = arguments.named(service_line, "service line", names, shown=shown)
    if name is None:
        raise ArgumentError(f"give a service line; choose one of: {', '.join(shown) or 'none in the ICS config'}")
    given = arguments.text(measure, "measure")
    chosen = "mean cost" if given is None else _SERVICE_MEASURE_WORDS.get(arguments.name_key(given))
    if chosen is None:
        raise ArgumentError(f"measure '{given}' is not one of: {', '.join(SERVICE_MEASURES)}")
    wanted = arguments.text(period, "period")
    chosen_period = "year" if wanted is None else wanted.strip().upper().replace("YEAR", "year")
    if chosen_period not in ("year", "Q1", "Q2", "Q3", "Q4"):
        raise ArgumentError(f"period '{wanted}' is not year or a quarter Q1 to Q4")
    fin_year = _year(year, table)
    own, ics = SERVICE_MEASURES[chosen]
    whose = arguments.text(provider, "provider")
    if whose is not None and arguments.name_key(whose) in (
        arguments.name_key(ICS_PROVIDER),
        arguments.name_key(_cache.config.ics.name),
    ):
        if ics is None:
            raise ArgumentError(f"the {chosen} is a provider's figure: give a provider")
        rows = table.find(fin_year=fin_year, service_line=name, period=chosen_period)
        if not rows:
            raise NotShownError(f"no activity: no provider has {name} records in {fin_year} {chosen_period}")
        return _figure(table, rows[0], ics, why_blank=f"no {chosen} for {name} in {fin_year}")
    org = _provider(provider, table)
    row = _one_row(
        table,
        f"{org} has no {name} records in {fin_year} {chosen_period}",
        fin_year=fin_year,
        service_line=name,
        period=chosen_period,
        org_code=org,
    )
    return _figure(table, row, own, why_blank=f"no {chosen} for {org}'s {name} records in {fin_year}")


# ---------------------------------------------------------------------------------------------- high-use patients


@worksheet_function(
    "Share of the linked patients' cost used by the top N% of patients by cost, as a fraction (format the cell as "
    "a percentage). Cohorts overlap: the top 5% includes the top 1%.",
    top_percent="The cohort, 1 to 100: 5, 5%, 0.05 or top 5% (1 means 1%; all or 100 for every patient)",
    year="Financial year; blank for the latest",
)
@_in_cell
def ICS_HIGH_USE_SHARE(top_percent: Any, year: Any = None) -> float:
    table = _table("high_use_patients")
    percent = arguments.percent(top_percent, "top_percent")
    fin_year = _year(year, table)
    row = _one_row(
        table, f"no top {percent}% cohort of linked patients in {fin_year}", fin_year=fin_year, top_percent=percent
    )
    return _figure(table, row, "share_of_cost", why_blank=f"no cost recorded for linked patients in {fin_year}")


# ----------------------------------------------------------------------------------------------------- population

POPULATION_COLUMNS = (
    ("area_type", "Area type"),
    ("area", "Area"),
    ("setting", "Setting"),
    ("population", "Population"),
    ("patients", "Patients"),
    ("activity", "Activity"),
    ("activity_per_100k", "Activity per 100,000"),
    ("standardised_activity_per_100k", "Standardised activity per 100,000"),
    ("cost_per_head", "Cost per head"),
    ("standardised_cost_per_100k", "Standardised cost per 100,000"),
    ("cost_ratio_to_ics", "Cost ratio to ICS"),
)
AREA_LISTS = {"places": "place", "place": "place", "districts": "district", "district": "district"}
ALL_SETTINGS = "all"
_SETTING_ORDER = {code.code: n for n, code in enumerate((*codes.SETTINGS, codes.Code(ALL_SETTINGS, "every setting")))}


@worksheet_function(
    "Activity and cost of an area's residents per head and per 100,000, crude and age-standardised, against the "
    "ICS (spills in Excel 2021 or 365): every place or district with the ICS, or one area by setting. Suppressed "
    "figures are blank.",
    spills=True,
    area="places (default), districts, ICS, or the name of a place or district",
    setting="apc, op, ec, cc, mh, chs or all; blank: all for places or districts, every setting for one area",
    year="Financial year; blank for the latest",
)
@_in_cell
def ICS_POPULATION(area: Any = None, setting: Any = None, year: Any = None) -> list[list[Any]]:
    table = _table("population_rates")
    fin_year = _year(year, table)
    chosen_setting = arguments.code(setting, "setting", table.choices("setting"))
    area_type, area_name = _population_area(area, table)
    if area_name is None:
        wanted = chosen_setting or ALL_SETTINGS
        rows = table.find(fin_year=fin_year, area_type=area_type, setting=wanted) + _ics_rows(table, fin_year, wanted)
        missing = f"no {area_type}'s residents have {wanted} records in {fin_year}"
    else:
        rows = [r for r in table.find(fin_year=fin_year, area=area_name) if _has_setting(table, r, chosen_setting)]
        missing = f"{area_name} residents have no {chosen_setting or ''} records in {fin_year}".replace("  ", " ")
    if not rows:
        raise NotShownError(f"no activity: {missing}")
    rows.sort(key=lambda r: _population_order(table, r))
    return spill(
        [label for _, label in POPULATION_COLUMNS],
        [[table.value(column, r) for column, _ in POPULATION_COLUMNS] for r in rows],
    )


def _population_area(value: object, table: ResultTable) -> tuple[str, str | None]:
    """(area type, None) for a list of places or districts; (area type, name) for one area."""
    given = arguments.text(value, "area")
    held = table.index(("area_type", "area"))
    areas = {area: kind for (kind, area) in held}
    places = any(kind == "place" for (kind, _) in held)
    if given is None:
        return ("place" if places else "district"), None
    key = arguments.name_key(given)
    listed = AREA_LISTS.get(key)
    if listed == "place" and not places:
        raise ArgumentError("the ICS config names no places ([[population.places]]); choose districts or a district")
    if listed is not None:
        return listed, None
    if key == arguments.name_key(ICS_PROVIDER):
        ics = [area for area, kind in areas.items() if kind == ICS_AREA and area != OUTSIDE_AREA]
        if ics:
            return ICS_AREA, ics[0]
    by_key = {arguments.name_key(area): area for area in areas}
    if key not in by_key:
        raise ArgumentError(
            f"area '{given}' is not in the results; choose places, districts, ICS or one of: {arguments.listing(areas)}"
        )
    found = by_key[key]
    return areas[found], found


def _ics_rows(table: ResultTable, fin_year: str, setting: str) -> list[int]:
    """The whole ICS's row, to close a list of places or districts (not the row of residents outside it)."""
    rows = table.find(fin_year=fin_year, area_type=ICS_AREA, setting=setting)
    return [r for r in rows if table.value("area", r) != OUTSIDE_AREA]


def _has_setting(table: ResultTable, row: int, setting: str | None) -> bool:
    return setting is None or table.value("setting", row) == setting


def _population_order(table: ResultTable, row: int) -> tuple[bool, bool, str, int]:
    """Places or districts by name with the ICS last; one area's settings in the usual order with all last (a name
    that is both a place and a district: the place first)."""
    kind = table.value("area_type", row)
    setting = table.value("setting", row)
    return kind == ICS_AREA, kind != "place", table.value("area", row), _SETTING_ORDER.get(setting, len(_SETTING_ORDER))


# ------------------------------------------------------------------------------------------------------- refresh


@worksheet_function("When the results were last refreshed, and from which extracts.")
@_in_cell
def ICS_REFRESHED() -> str:
    _table("system_cost")  # notices a new refresh, so the text and the figures agree
    info = published_results.refresh_info(_cache.config)
    settings = ", ".join(f"{e.setting} {e.files}" for e in info.extracts)
    files = sum(e.files for e in info.extracts)
    newest = max((e.last_loaded_at for e in info.extracts), default=None)
    loaded = f", the newest loaded {newest:%Y-%m-%d %H:%M} UTC" if newest else ""
    return (
        f"Refresh {info.refresh_id} at {info.refreshed_at:%Y-%m-%d %H:%M} UTC from {files} extract files "
        f"({settings}){loaded}; £{info.cost_reconciled:,.2f} reconciled"
    )

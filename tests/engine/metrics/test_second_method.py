"""A second method: the key figures of unit_cost_benchmark, cost_driver_benchmark and los_benchmark worked out with
plain pandas straight from the extract files (never the store), and by hand for one cell of each, against what the
refresh wrote.

The ICS is four providers of admitted care, built so the numbers can be checked on paper:

- cell A, NEL / 110 / HT12A: ZZA 12 episodes at £1,000, ZZB 11 at £1,200, ZZC 10 at £980 (exactly the
  best-in-system threshold, so not eligible) and ZZD 2 at £875 (the lowest average, far too few cases);
- cell B, NEL / 110 / HT12B: ZZC only, the first episodes of its two two-episode spells;
- cell C, NEL / 300 / HT12A: ZZB's three single-episode spells and the second episodes of ZZC's two spells.

Ward cost is always the provider's own rate per bed day (ZZA £150, ZZB £120, ZZC £140, ZZD £250) times the ward bed
days, so every ward cost per bed day is that rate. Ward bed days are the length of stay except for one ZZB spell with
two of its days in critical care, so a rate worked out per day of stay instead would show. ZZC has no imaging or
critical care although others do. ZZC's two-episode spells start in TFC 110 with episode HRG HT12B and carry spell HRG
HT12A, so for length of stay they belong with cell A's spells, not with cells B or C.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy
import pandas as pd
import pytest

from engine import config as config_module
from engine.jobs import refresh_store
from engine.store import open_store
from tests.conftest import APC_HEADER, BASE_CONFIG, COST_HEADER, PSEUDONYM_KEY, Workspace, apc_row, cost_row

CONFIG = BASE_CONFIG.replace(
    "[store]",
    '[[providers]]\ncode = "ZZC"\nname = "Gamma Hospitals (synthetic)"\ntype = "acute"\n\n'
    '[[providers]]\ncode = "ZZD"\nname = "Delta Hospitals (synthetic)"\ntype = "acute"\n\n[store]',
)
ORGS = ("ZZA", "ZZB", "ZZC", "ZZD")
ACTIVITY_HEADER = [*APC_HEADER, "episode_number", "spell_hrg"]
WARD_RATE = {"ZZA": 150, "ZZB": 120, "ZZC": 140, "ZZD": 250}
TABLES = ("unit_cost_benchmark", "cost_driver_benchmark", "los_benchmark", "opportunity_summary")
YEAR = "2023/24"

Line = tuple[str, str, Decimal, int, str]  # cost_driver, cost_resource, cost, activity_count, activity_unit


@dataclass(frozen=True)
class Episode:
    org: str
    record_id: str
    spell_id: str
    episode_number: int
    tfc: str
    hrg: str
    spell_hrg: str  # blank: the loader and the SQL use the episode HRG
    los: int
    lines: tuple[Line, ...]


def ward(org: str, days: int) -> Line:
    return ("ward", "nursing", Decimal(WARD_RATE[org] * days), days, "bed_days")


def theatre(cost: int, minutes: int) -> tuple[Line, Line]:
    """Theatre cost split 80/20 between surgical and anaesthetic time: two lines on one driver."""
    surgical = Decimal(cost) * Decimal("0.8")
    return (
        ("theatre", "consultant", surgical, minutes, "theatre_minutes"),
        ("theatre", "medical_other", Decimal(cost) - surgical, minutes, "anaesthetic_minutes"),
    )


def imaging(cost: int) -> Line:
    return ("imaging", "scientific", Decimal(cost), 1, "examinations")


def pathology(cost: str | int) -> Line:
    return ("pathology", "scientific", Decimal(cost), 3, "tests")


def episodes() -> list[Episode]:
    out: list[Episode] = []

    def single(
        org: str, n: int, tfc: str, hrg: str, los: int, *lines: Line, spell_hrg: str | None = None, ward_days: int = 0
    ) -> None:
        record = f"{org}-{tfc}-{hrg}-{n:02d}"
        lines = (ward(org, ward_days or los), *lines)
        out.append(Episode(org, record, f"S{record}", 1, tfc, hrg, hrg if spell_hrg is None else spell_hrg, los, lines))

    # Cell A, NEL / 110 / HT12A. Per case: ward + theatre + imaging + pathology.
    for n in range(12):  # ZZA: stays 3, 5, 3, 5 ... (mean 4): 600 + 250 + 100 + 50 = £1,000; pennies cancel in pairs
        los, path = (3, "49.99") if n % 2 == 0 else (5, "50.01")
        single("ZZA", n, "110", "HT12A", los, *theatre(250, 50), imaging(100), pathology(path), spell_hrg="")
    for n, los in enumerate([5, 7] * 5 + [6]):  # ZZB: mean stay 6: 720 + 300 + 120 + 60 = £1,200
        single("ZZB", n, "110", "HT12A", los, *theatre(300, 60), imaging(120), pathology(60))
    for n in range(10):  # ZZC: stays 3, 5 ... (mean 4), no imaging: 560 + 300 + 0 + 120 = £980
        single("ZZC", n, "110", "HT12A", 3 if n % 2 == 0 else 5, *theatre(300, 60), pathology(120))
    for n in range(2):  # ZZD: stays of 2: 500 + 290 + 35 + 50 = £875
        single("ZZD", n, "110", "HT12A", 2, *theatre(290, 58), imaging(35), pathology(50))

    # Cell C, NEL / 300 / HT12A: ZZB stays 9, 10, 11, each with 200 imaging + 100 pathology: 1,080 + 300 = 1,380;
    # 1,200 + 300 = 1,500; and the 11 days are 9 on the ward (1,080) and 2 in critical care (240): 1,620.
    single("ZZB", 0, "300", "HT12A", 9, imaging(200), pathology(100))
    single("ZZB", 1, "300", "HT12A", 10, imaging(200), pathology(100))
    critical = ("critical_care", "nursing", Decimal(240), 2, "cc_bed_days")
    single("ZZB", 2, "300", "HT12A", 11, critical, imaging(200), pathology(100), ward_days=9)

    # ZZC's two-episode spells: first episode in cell B (TFC 110, HRG HT12B), second in cell C (TFC 300), spell HRG
    # HT12A. Spell M1 (stay 8) lists its second episode first, and that episode's record id sorts first too.
    def episode(record: str, spell: str, number: int, tfc: str, hrg: str, los: int, *lines: Line) -> None:
        out.append(Episode("ZZC", record, spell, number, tfc, hrg, "HT12A", los, lines))

    zzc = "ZZC"
    episode("ZZC-M1-A", "ZZC-M1", 2, "300", "HT12A", 8, ward(zzc, 5), pathology(100))  # £800
    episode("ZZC-M1-B", "ZZC-M1", 1, "110", "HT12B", 8, ward(zzc, 3), *theatre(300, 60), pathology(80))  # £800
    episode("ZZC-M2-1", "ZZC-M2", 1, "110", "HT12B", 12, ward(zzc, 4), *theatre(300, 60), pathology(140))  # £1,000
    episode("ZZC-M2-2", "ZZC-M2", 2, "300", "HT12A", 12, ward(zzc, 8), pathology(80))  # £1,200
    return out


def write_extracts(workspace: Workspace) -> list[Path]:
    """One activity file and one cost lines file holding every provider (fewer files load faster)."""
    every = episodes()
    activity = [
        [
            *apc_row(
                e.record_id,
                org_code=e.org,
                spell_id=e.spell_id,
                tfc=e.tfc,
                hrg=e.hrg,
                discharge_date=f"2023-04-{1 + e.los:02d}",
                los=e.los,
            ),
            e.episode_number,
            e.spell_hrg,
        ]
        for e in every
    ]
    lines = [
        cost_row(
            e.record_id,
            f"{cost:.2f}",
            org_code=e.org,
            cost_driver=driver,
            cost_resource=resource,
            activity_count=count,
            activity_unit=unit,
        )
        for e in every
        for driver, resource, cost, count, unit in e.lines
    ]
    return [
        workspace.write_csv("ics_apc_202324_activity.csv", ACTIVITY_HEADER, activity),
        workspace.write_csv("ics_apc_202324_cost_lines.csv", COST_HEADER, lines),
    ]


@dataclass(frozen=True)
class Loaded:
    root: Path
    min_cases: int
    tables: dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def ics(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config_module.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
        patch.delenv("ICSBENCH_CONFIG", raising=False)
        workspace = Workspace(tmp_path_factory.mktemp("second_method"), CONFIG)
        outcomes = workspace.load(*write_extracts(workspace))
        assert [(o.status, o.rows_rejected, o.warnings) for o in outcomes] == [("loaded", 0, 0)] * 2, [
            o.message for o in outcomes
        ]
        assert workspace.issues() == []
        store = open_store(workspace.config)
        try:
            refresh_store(store)
            tables = {}
            for name in TABLES:
                cursor = store.con.execute(f"SELECT * FROM results.{name}")
                columns = [d[0] for d in cursor.description]
                tables[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        finally:
            store.close()
        yield Loaded(workspace.root, workspace.config.benchmarks.best_in_system_min_cases, tables)


# ---------------------------------------------------------------------------------------------------------------------
# The second method: pandas on the extract files.


def read_episodes(root: Path) -> pd.DataFrame:
    """One row per episode from the CSV files: its keys, spell, stay, and cost per driver (Decimal, exact)."""
    activity = pd.concat(
        [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(root.glob("*_apc_*_activity.csv"))]
    )
    lines = pd.concat(
        [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(root.glob("*_apc_*_cost_lines.csv"))]
    )
    lines["cost"] = lines["cost"].map(Decimal)
    lines["activity_count"] = lines["activity_count"].astype(float)
    by_driver = lines.groupby(["org_code", "record_id", "cost_driver"])["cost"].sum().unstack(fill_value=Decimal(0))
    by_driver.columns = [f"{d}_cost" for d in by_driver.columns]
    ward_days = (
        lines[(lines.cost_driver == "ward") & (lines.activity_unit == "bed_days")]
        .groupby(["org_code", "record_id"])["activity_count"]
        .sum()
        .rename("ward_bed_days")
    )
    out = activity.merge(by_driver.reset_index(), on=["org_code", "record_id"], how="left")
    out = out.merge(ward_days.reset_index(), on=["org_code", "record_id"], how="left")
    driver_columns = list(by_driver.columns)
    out[driver_columns] = out[driver_columns].map(lambda v: Decimal(0) if pd.isna(v) else v)
    out["ward_bed_days"] = out["ward_bed_days"].fillna(0.0)
    out["total_cost"] = out[driver_columns].apply(lambda r: sum(r, Decimal(0)), axis=1)
    out["los"] = out["los"].astype(int)
    out["episode_number"] = out["episode_number"].astype(int)
    out["spell_hrg"] = out["spell_hrg"].where(out["spell_hrg"] != "", out["hrg"])
    return out


def dsum(values: Any) -> Decimal:
    return sum(values, Decimal(0))


def spread(values: list[float]) -> float | None:
    """Sample standard deviation of the records' values; None where it cannot be measured (one record, no spread)."""
    if len(values) < 2:
        return None
    sd = statistics.stdev(values)
    return sd if sd > 0 else None


def benchmark(
    cases: dict[str, int], totals: dict[str, Decimal], records: list[float], min_cases: int
) -> dict[str, dict[str, Any]]:
    """The figures every benchmark shares, per provider: mean, ICS mean and median, best in system, opportunities, and
    the standard error of log(mean / ICS mean) before overdispersion (the funnel's z comes from `add_funnel`)."""
    means = {org: float(totals[org]) / cases[org] for org in cases}
    ics_cases = sum(cases.values())
    ics_mean = float(dsum(totals.values())) / ics_cases
    eligible = {org: mean for org, mean in means.items() if cases[org] > min_cases}
    best_org = min(eligible, key=lambda org: (eligible[org], org)) if eligible else None
    best = eligible[best_org] if best_org else None
    sd = spread(records) if ics_mean > 0 else None
    return {
        org: {
            "mean": means[org],
            "ics_cases": ics_cases,
            "ics_mean": ics_mean,
            "median": statistics.median(means.values()),
            "providers": len(cases),
            "best": best,
            "best_org": best_org,
            "vs_ics": max(means[org] - ics_mean, 0) * cases[org],
            "vs_best": None if best is None else max(means[org] - best, 0) * cases[org],
            "net_vs_ics": (means[org] - ics_mean) * cases[org],
            "log_se": None if sd is None else sd / math.sqrt(cases[org]) / ics_mean,
        }
        for org in cases
    }


def add_funnel(cells: list[dict[str, dict[str, Any]]]) -> None:
    """The funnel z-scores of one benchmark family in one year, with Spiegelhalter's additive overdispersion estimated
    over all its cells together: z = log(mean / ICS mean) / s; winsorise at the 10th and 90th percentiles of every z;
    tau^2 = (sum of z_w^2 - sum (k - 1)) / sum (sum w - sum w^2 / sum w) over cells of k > 1 scored providers, w = 1 /
    s^2; then z = log(mean / ICS mean) / sqrt(s^2 + tau^2). Written from the paper, not from the SQL."""
    scored = [
        [(f, math.log(f["mean"] / f["ics_mean"]) / f["log_se"]) for f in cell.values() if f["log_se"] and f["mean"] > 0]
        for cell in cells
    ]
    every = [z for cell in scored for _, z in cell]
    low, high = (float(numpy.percentile(every, q)) for q in (10, 90)) if every else (0.0, 0.0)
    q_total = df_total = denominator = 0.0
    for cell in scored:
        if len(cell) < 2:
            continue
        q_total += sum(min(max(z, low), high) ** 2 for _, z in cell)
        df_total += len(cell) - 1
        weights = [1 / f["log_se"] ** 2 for f, _ in cell]
        denominator += sum(weights) - sum(w * w for w in weights) / sum(weights)
    tau2 = (q_total - df_total) / denominator if q_total > df_total else 0.0
    for cell in cells:
        for f in cell.values():
            usable = f["log_se"] and f["mean"] > 0
            f["z"] = math.log(f["mean"] / f["ics_mean"]) / math.sqrt(f["log_se"] ** 2 + tau2) if usable else None


def expected_unit_cost(eps: pd.DataFrame, min_cases: int) -> dict[tuple[str, ...], dict[str, Any]]:
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    cells = []
    for (pod, tfc, hrg), cell in eps.groupby(["pod", "tfc", "hrg"]):
        cases = cell.groupby("org_code").size().to_dict()
        totals = cell.groupby("org_code")["total_cost"].agg(dsum).to_dict()
        figures = benchmark(cases, totals, [float(c) for c in cell.total_cost], min_cases)
        cells.append(figures)
        for org, f in figures.items():
            out[(YEAR, "apc", pod, tfc, hrg, org)] = {
                "activity": cases[org],
                "units": float(cases[org]),  # admitted care is counted in episodes: one unit per record
                "total_cost": totals[org],
                "mean_cost": f["mean"],
                "ics_activity": f["ics_cases"],
                "ics_mean_cost": f["ics_mean"],
                "ics_median_cost": f["median"],
                "providers": f["providers"],
                "best_in_system_cost": f["best"],
                "best_in_system_org": f["best_org"],
                "opportunity_vs_ics": f["vs_ics"],
                "opportunity_vs_best": f["vs_best"],
                "net_vs_ics": f["net_vs_ics"],
                "funnel_z": f,
            }
    add_funnel(cells)
    for figures in out.values():
        figures["funnel_z"] = figures["funnel_z"]["z"]
    return out


def expected_cost_drivers(eps: pd.DataFrame, min_cases: int) -> dict[tuple[str, ...], dict[str, Any]]:
    drivers = [c.removesuffix("_cost") for c in eps.columns if c.endswith("_cost") and c != "total_cost"]
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    cells = []
    for (pod, tfc, hrg), cell in eps.groupby(["pod", "tfc", "hrg"]):
        cases = cell.groupby("org_code").size().to_dict()
        for driver in drivers:
            column = f"{driver}_cost"
            if not (cell[column] != 0).any():
                continue  # only the drivers some provider in the cell has cost on
            totals = cell.groupby("org_code")[column].agg(dsum).to_dict()
            figures = benchmark(cases, totals, [float(c) for c in cell[column]], min_cases)
            cells.append(figures)
            for org, f in figures.items():
                out[(YEAR, "apc", pod, tfc, hrg, org, driver)] = {
                    "activity": cases[org],
                    "driver_cost": totals[org],
                    "driver_cost_per_case": f["mean"],
                    "ics_activity": f["ics_cases"],
                    "ics_driver_cost_per_case": f["ics_mean"],
                    "ics_median_driver_cost_per_case": f["median"],
                    "best_in_system_driver_cost_per_case": f["best"],
                    "best_in_system_org": f["best_org"],
                    "opportunity_vs_ics": f["vs_ics"],
                    "opportunity_vs_best": f["vs_best"],
                    "net_vs_ics": f["net_vs_ics"],
                    "funnel_z": f,
                }
    add_funnel(cells)
    for figures in out.values():
        figures["funnel_z"] = figures["funnel_z"]["z"]
    return out


def read_spells(eps: pd.DataFrame) -> pd.DataFrame:
    """Spells: POD and TFC of the first episode (episode number, then record id), the spell HRG, summed costs."""
    ordered = eps.sort_values(["org_code", "spell_id", "episode_number", "record_id"])
    first = ordered.groupby(["org_code", "spell_id"]).first()[["pod", "tfc", "spell_hrg"]]
    sums = ordered.groupby(["org_code", "spell_id"]).agg(
        los=("los", "max"),
        total_cost=("total_cost", dsum),
        ward_cost=("ward_cost", dsum),
        ward_bed_days=("ward_bed_days", "sum"),
    )
    return first.join(sums).reset_index().rename(columns={"spell_hrg": "hrg"})


def trim_points(spells: pd.DataFrame) -> dict[tuple[str, str], int]:
    """The tariff's trim point per POD and HRG: upper quartile + 1.5 x interquartile range of the stays, rounded to
    whole days (halves up), with numpy's linear percentiles (PERCENTILE_CONT's definition)."""
    out = {}
    for (pod, hrg), group in spells.groupby(["pod", "hrg"]):
        lower, upper = numpy.percentile(group.los.astype(float), [25, 75])
        point = Decimal(str(float(upper + 1.5 * (upper - lower)))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        out[(pod, hrg)] = int(point)
    return out


def expected_los(eps: pd.DataFrame, min_cases: int) -> dict[tuple[str, ...], dict[str, Any]]:
    spells = read_spells(eps)
    trims = trim_points(spells)
    spells["trimmed"] = [
        min(los, trims[(pod, hrg)]) for los, pod, hrg in zip(spells.los, spells.pod, spells.hrg, strict=False)
    ]
    by_org = spells.groupby("org_code")
    rates = (by_org["ward_cost"].agg(lambda v: float(dsum(v))) / by_org["ward_bed_days"].sum()).to_dict()
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    cells = []
    for (pod, tfc, hrg), cell in spells.groupby(["pod", "tfc", "hrg"]):
        counts = cell.groupby("org_code").size().to_dict()
        bed_days = {org: Decimal(int(v)) for org, v in cell.groupby("org_code")["trimmed"].sum().items()}
        untrimmed = cell.groupby("org_code")["los"].sum().to_dict()
        figures = benchmark(counts, bed_days, [float(v) for v in cell.trimmed], min_cases)
        cells.append(figures)
        for org, f in figures.items():
            excess_ics, excess_best = f["vs_ics"], f["vs_best"]
            out[(YEAR, pod, tfc, hrg, org)] = {
                "spells": counts[org],
                "bed_days": int(untrimmed[org]),
                "trim_point": trims[(pod, hrg)],
                "trimmed_bed_days": float(bed_days[org]),
                "long_stay_bed_days": float(int(untrimmed[org]) - bed_days[org]),
                "mean_los": f["mean"],
                "mean_los_untrimmed": untrimmed[org] / counts[org],
                "total_cost": dsum(cell[cell.org_code == org].total_cost),
                "ics_spells": f["ics_cases"],
                "ics_mean_los": f["ics_mean"],
                "ics_median_los": f["median"],
                "best_in_system_los": f["best"],
                "best_in_system_org": f["best_org"],
                "excess_bed_days_vs_ics": excess_ics,
                "excess_bed_days_vs_best": excess_best,
                "net_bed_days_vs_ics": f["net_vs_ics"],
                "ward_cost_per_bed_day": rates[org],
                "excess_cost_vs_ics": excess_ics * rates[org],
                "excess_cost_vs_best": None if excess_best is None else excess_best * rates[org],
                "funnel_z": f,
            }
    add_funnel(cells)
    for figures in out.values():
        figures["funnel_z"] = figures["funnel_z"]["z"]
    return out


# ---------------------------------------------------------------------------------------------------------------------
# Comparing.

UNIT_KEYS = ("fin_year", "setting", "pod", "tfc", "hrg", "org_code")
DRIVER_KEYS = (*UNIT_KEYS, "cost_driver")
LOS_KEYS = ("fin_year", "pod", "tfc", "hrg", "org_code")


def keyed(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(row[k] for k in keys): row for row in rows}


def same(got: Any, want: Any) -> bool:
    if want is None:
        return got is None or (isinstance(got, float) and math.isnan(got))
    if got is None:
        return False
    if isinstance(want, Decimal):
        return isinstance(got, Decimal) and got == want  # money totals: exact, to the penny
    if isinstance(want, float):
        return bool(got == pytest.approx(want, rel=1e-9, abs=1e-9))
    return bool(got == want)


def assert_same_figures(
    table: str, got: dict[tuple[Any, ...], dict[str, Any]], want: dict[tuple[Any, ...], dict[str, Any]]
) -> None:
    assert sorted(got) == sorted(want), f"{table}: different rows"
    wrong = [
        f"{table} {key} {column}: expected {value!r}, got {got[key][column]!r}"
        for key, figures in sorted(want.items())
        for column, value in figures.items()
        if not same(got[key][column], value)
    ]
    assert not wrong, "\n".join(wrong)


def test_unit_cost_benchmark_matches_pandas(ics: Loaded) -> None:
    want = expected_unit_cost(read_episodes(ics.root), ics.min_cases)
    assert len(want) == 4 + 1 + 2  # cell A four providers, cell B one, cell C two
    assert_same_figures("unit_cost_benchmark", keyed(ics.tables["unit_cost_benchmark"], UNIT_KEYS), want)


def test_cost_driver_benchmark_matches_pandas(ics: Loaded) -> None:
    want = expected_cost_drivers(read_episodes(ics.root), ics.min_cases)
    # cell A: ward, theatre, imaging, pathology x 4; cell B: ward, theatre, pathology x 1; cell C: ward, imaging,
    # pathology, critical care x 2 (nobody has theatre cost there, so no theatre rows)
    assert len(want) == 16 + 3 + 8
    assert_same_figures("cost_driver_benchmark", keyed(ics.tables["cost_driver_benchmark"], DRIVER_KEYS), want)


def test_driver_costs_per_case_add_up_to_the_mean_cost(ics: Loaded) -> None:
    means = {key: row["mean_cost"] for key, row in keyed(ics.tables["unit_cost_benchmark"], UNIT_KEYS).items()}
    added: dict[tuple[Any, ...], float] = dict.fromkeys(means, 0.0)
    for row in ics.tables["cost_driver_benchmark"]:
        added[tuple(row[k] for k in UNIT_KEYS)] += row["driver_cost_per_case"]
    assert added == pytest.approx(means)


def test_los_benchmark_matches_pandas(ics: Loaded) -> None:
    want = expected_los(read_episodes(ics.root), ics.min_cases)
    # NEL/110/HT12A: four providers (ZZC's two-episode spells included); NEL/300/HT12A: ZZB only
    assert len(want) == 4 + 1
    assert_same_figures("los_benchmark", keyed(ics.tables["los_benchmark"], LOS_KEYS), want)


# ---------------------------------------------------------------------------------------------------------------------
# Worked by hand.


def test_unit_cost_cell_a_by_hand(ics: Loaded) -> None:
    rows = keyed(ics.tables["unit_cost_benchmark"], UNIT_KEYS)
    cell = {org: rows[(YEAR, "apc", "NEL", "110", "HT12A", org)] for org in ORGS}
    # activity and total: ZZA 12 x 1,000 = 12,000; ZZB 11 x 1,200 = 13,200; ZZC 10 x 980 = 9,800; ZZD 2 x 875 = 1,750
    assert {o: (r["activity"], r["total_cost"], r["mean_cost"]) for o, r in cell.items()} == {
        "ZZA": (12, Decimal("12000.00"), pytest.approx(1000)),
        "ZZB": (11, Decimal("13200.00"), pytest.approx(1200)),
        "ZZC": (10, Decimal("9800.00"), pytest.approx(980)),
        "ZZD": (2, Decimal("1750.00"), pytest.approx(875)),
    }
    for row in cell.values():
        assert row["ics_activity"] == 35  # 12 + 11 + 10 + 2
        assert row["ics_mean_cost"] == pytest.approx(1050)  # 36,750 / 35
        assert row["ics_median_cost"] == pytest.approx(990)  # means 875, 980, 1,000, 1,200: (980 + 1,000) / 2
        assert row["providers"] == 4
        # more than 10 cases: ZZA (12) and ZZB (11) only. ZZD (875) and ZZC (980, exactly 10) are cheaper but
        # do not qualify, so the best in system is ZZA at 1,000.
        assert (row["best_in_system_org"], row["best_in_system_cost"]) == ("ZZA", pytest.approx(1000))
    # vs ICS: ZZB (1,200 - 1,050) x 11 = 1,650; the others are below 1,050, so 0 (never negative)
    assert {o: r["opportunity_vs_ics"] for o, r in cell.items()} == pytest.approx(
        {"ZZA": 0, "ZZB": 1650, "ZZC": 0, "ZZD": 0}
    )
    # vs best: ZZB (1,200 - 1,000) x 11 = 2,200; ZZC (980) and ZZD (875) are below the best, so 0
    assert {o: r["opportunity_vs_best"] for o, r in cell.items()} == pytest.approx(
        {"ZZA": 0, "ZZB": 2200, "ZZC": 0, "ZZD": 0}
    )


def test_unit_cost_one_provider_cells_by_hand(ics: Loaded) -> None:
    rows = keyed(ics.tables["unit_cost_benchmark"], UNIT_KEYS)
    only = rows[(YEAR, "apc", "NEL", "110", "HT12B", "ZZC")]
    # ZZC's first episodes only: 800 and 1,000, mean 900; the provider is the ICS, so no opportunity
    assert (only["activity"], only["total_cost"], only["providers"]) == (2, Decimal("1800.00"), 1)
    assert only["mean_cost"] == only["ics_mean_cost"] == only["ics_median_cost"] == pytest.approx(900)
    assert only["best_in_system_cost"] is None and only["best_in_system_org"] is None  # 2 cases is not enough
    assert only["opportunity_vs_ics"] == 0 and only["opportunity_vs_best"] is None
    assert only["funnel_z"] == pytest.approx(0)  # sd = sqrt(100^2 + 100^2) = 141.42, se = 141.42 / sqrt(2) = 100
    assert only["outlier_95"] == "within"
    # cell C: ZZB 1,380 + 1,500 + 1,620 = 4,500 (mean 1,500); ZZC's second episodes 800 + 1,200 = 2,000 (mean 1,000)
    zzb, zzc = (rows[(YEAR, "apc", "NEL", "300", "HT12A", org)] for org in ("ZZB", "ZZC"))
    assert zzb["ics_mean_cost"] == pytest.approx(1300)  # 6,500 / 5
    assert zzb["ics_median_cost"] == pytest.approx(1250)  # (1,000 + 1,500) / 2
    assert (zzb["opportunity_vs_ics"], zzc["opportunity_vs_ics"]) == pytest.approx((600, 0))  # (1,500 - 1,300) x 3


def test_cost_drivers_cell_a_by_hand(ics: Loaded) -> None:
    rows = keyed(ics.tables["cost_driver_benchmark"], DRIVER_KEYS)

    def cell(org: str, driver: str) -> dict[str, Any]:
        return rows[(YEAR, "apc", "NEL", "110", "HT12A", org, driver)]

    # per case:  ward  theatre  imaging  pathology  = mean
    #   ZZA      600     250      100       50      = 1,000
    #   ZZB      720     300      120       60      = 1,200
    #   ZZC      560     300        0      120      =   980
    #   ZZD      500     290       35       50      =   875
    per_case = {
        "ZZA": (600, 250, 100, 50),
        "ZZB": (720, 300, 120, 60),
        "ZZC": (560, 300, 0, 120),
        "ZZD": (500, 290, 35, 50),
    }
    drivers = ("ward", "theatre", "imaging", "pathology")
    for org, figures in per_case.items():
        assert [cell(org, d)["driver_cost_per_case"] for d in drivers] == pytest.approx(list(figures))
    # ZZC has no imaging: a row with 0, not a missing row or a blank
    assert (cell("ZZC", "imaging")["driver_cost"], cell("ZZC", "imaging")["driver_cost_per_case"]) == (0, 0)
    # imaging across the ICS: (12 x 100 + 11 x 120 + 10 x 0 + 2 x 35) / 35 = 2,590 / 35 = 74
    assert cell("ZZA", "imaging")["ics_driver_cost_per_case"] == pytest.approx(74)
    # vs ICS: ZZA (100 - 74) x 12 = 312; ZZB (120 - 74) x 11 = 506; ZZC and ZZD below 74, so 0
    assert [cell(o, "imaging")["opportunity_vs_ics"] for o in ORGS] == pytest.approx([312, 506, 0, 0])
    # ward across the ICS: (12 x 600 + 11 x 720 + 10 x 560 + 2 x 500) / 35 = 21,720 / 35
    assert cell("ZZD", "ward")["ics_driver_cost_per_case"] == pytest.approx(21720 / 35)
    # ZZB's ward: (720 - 21,720 / 35) x 11 = (25,200 - 21,720) / 35 x 11 = 3,480 / 35 x 11 = 38,280 / 35 (1,093.71)
    assert cell("ZZB", "ward")["opportunity_vs_ics"] == pytest.approx(38280 / 35)


def test_los_cell_a_by_hand(ics: Loaded) -> None:
    rows = keyed(ics.tables["los_benchmark"], LOS_KEYS)
    cell = {org: rows[(YEAR, "NEL", "110", "HT12A", org)] for org in ORGS}
    # The trim point of NEL HT12A comes from all 40 of its spells (TFC 110 and 300): sorted, 2 x 2, 11 x 3, 16 x 5, 6,
    # 5 x 7, 8, 9, 10, 11, 12. Lower quartile at position 1 + 39 x 0.25 = 10.75: 3. Upper quartile at 30.25: the 30th
    # (6) + 0.25 x (7 - 6) = 6.25. 6.25 + 1.5 x 3.25 = 11.125, 11 days: ZZC's 12-day spell counts as 11, one long-stay
    # day. ZZA 12 spells, 6 x 3 + 6 x 5 = 48 days (mean 4); ZZB 11 spells, 5 x 5 + 5 x 7 + 6 = 66 (mean 6); ZZC 10
    # single-episode spells, 5 x 3 + 5 x 5 = 40, plus its two two-episode spells of 8 and 12 (trimmed 11) days, whose
    # first episodes are TFC 110 with spell HRG HT12A: 12 spells, 60 days, 59 trimmed (mean 59 / 12); ZZD 2 x 2 days
    assert {o: (r["spells"], r["bed_days"], r["trimmed_bed_days"], r["mean_los"]) for o, r in cell.items()} == {
        "ZZA": (12, 48, 48, pytest.approx(4)),
        "ZZB": (11, 66, 66, pytest.approx(6)),
        "ZZC": (12, 60, 59, pytest.approx(59 / 12)),
        "ZZD": (2, 4, 4, pytest.approx(2)),
    }
    assert {r["trim_point"] for r in cell.values()} == {11} and cell["ZZC"]["long_stay_bed_days"] == 1
    for row in cell.values():
        assert row["ics_spells"] == 37
        assert row["ics_mean_los"] == pytest.approx(177 / 37)  # (48 + 66 + 59 + 4) / 37 = 4.78
        assert row["ics_mean_los_untrimmed"] == pytest.approx(178 / 37)
        assert row["ics_median_los"] == pytest.approx((4 + 59 / 12) / 2)  # means 2, 4, 4.92, 6
        # more than 10 spells: ZZA, ZZB and ZZC; ZZD's 2 days is shortest but on 2 spells
        assert (row["best_in_system_org"], row["best_in_system_los"]) == ("ZZA", pytest.approx(4))
    # vs ICS: ZZB (6 - 177 / 37) x 11 = 45 / 37 x 11 = 495 / 37; ZZC (59 / 12 - 177 / 37) x 12 = (2,183 - 2,124) / 37
    # = 59 / 37; the others are below, 0; net keeps the sign: ZZA (4 - 177 / 37) x 12 = -29 / 37 x 12 = -348 / 37
    assert [cell[o]["excess_bed_days_vs_ics"] for o in ORGS] == pytest.approx([0, 495 / 37, 59 / 37, 0])
    assert cell["ZZA"]["net_bed_days_vs_ics"] == pytest.approx(-348 / 37)
    # vs best: ZZB (6 - 4) x 11 = 22; ZZC (59 / 12 - 4) x 12 = 11
    assert [cell[o]["excess_bed_days_vs_best"] for o in ORGS] == pytest.approx([0, 22, 11, 0])
    # every provider's ward cost per bed day is its own rate, over all its admitted care: ZZB's ward cost is
    # 7,920 + 3,360 = 11,280 over 66 + 28 ward bed days = 120 (over its 66 + 30 days of stay it would be 117.50)
    assert [cell[o]["ward_cost_per_bed_day"] for o in ORGS] == pytest.approx([150, 120, 140, 250])
    # excess cost vs ICS: ZZB 495 / 37 x 120 = 59,400 / 37 (1,605.41); ZZC 59 / 37 x 140 = 8,260 / 37 (223.24)
    assert [cell[o]["excess_cost_vs_ics"] for o in ORGS] == pytest.approx([0, 59400 / 37, 8260 / 37, 0])
    # ZZC's spells cost: 10 x 980 = 9,800 single, plus 800 + 800 and 1,000 + 1,200
    assert cell["ZZC"]["total_cost"] == Decimal("13600.00")
    # TFC 300 holds only ZZB's own spells: ZZC's second episodes there belong to spells that started in TFC 110
    assert [k[-1] for k in rows if k[:4] == (YEAR, "NEL", "300", "HT12A")] == ["ZZB"]
    assert not [k for k in rows if k[3] == "HT12B"]  # no spell has HRG HT12B, though two episodes do


def test_headline_totals_match_pandas(ics: Loaded) -> None:
    """opportunity_summary's provider totals, worked out from the records: only cells with at least the headline
    minimum of cases count; the floored sum (each cell at 0 first), the net sum (both signs)."""
    cells = expected_unit_cost(read_episodes(ics.root), ics.min_cases)
    minimum = 10  # [benchmarks] headline_min_cases, the default
    want: dict[str, list[float]] = {}
    for key, figures in cells.items():
        if figures["activity"] >= minimum:
            totals = want.setdefault(key[5], [0.0, 0.0])
            totals[0] += figures["opportunity_vs_ics"]
            totals[1] += figures["net_vs_ics"]
    got = {
        row["org_code"]: [row["opportunity_vs_ics"], row["net_vs_ics"]]
        for row in ics.tables["opportunity_summary"]
        if (row["pod"], row["hrg"], row["cost_driver"]) == ("(all)", "(all)", "(all)")
    }
    # cell A: ZZA (12), ZZB (11) and ZZC (10) count, ZZD (2 cases) does not; cells B and C have too few everywhere
    assert sorted(want) == ["ZZA", "ZZB", "ZZC"]
    assert want["ZZB"] == pytest.approx([1650, 1650])  # (1,200 - 1,050) x 11
    assert want["ZZA"] == pytest.approx([0, -600])  # (1,000 - 1,050) x 12
    for org, totals in got.items():
        assert totals == pytest.approx(want.get(org, [0.0, 0.0]), abs=1e-6), org

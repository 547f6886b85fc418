"""Open reference data bundled with the engine: the national cost schedule, IMD 2019 and LSOA populations.

The files keep the publishers' quirks (a BOM, codes with trailing spaces, numbers with thousands separators); this
module is the one place that cleans them, so that the generator, ingest and metrics all see the same values.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent / "reference_data"
NATIONAL_SCHEDULE = REFERENCE_DIR / "ncc_2023_24_national_schedule.csv"
IMD = REFERENCE_DIR / "imd2019_lsoa.csv.gz"
POPULATION = REFERENCE_DIR / "imd2019_population_denominators_lsoa.csv.gz"
NATIONAL_SCHEDULE_YEAR = "2023/24"

# Lancashire and South Cumbria local authority districts (2019 names), for realistic synthetic residents.
LANCASHIRE_AND_SOUTH_CUMBRIA = (
    "Blackpool",
    "Blackburn with Darwen",
    "Preston",
    "Lancaster",
    "Wyre",
    "Fylde",
    "Chorley",
    "South Ribble",
    "West Lancashire",
    "Burnley",
    "Pendle",
    "Hyndburn",
    "Rossendale",
    "Ribble Valley",
    "Barrow-in-Furness",
    "South Lakeland",
)


@dataclass(frozen=True)
class ScheduleRow:
    """One national schedule line: a department (POD label) and currency with its national activity and cost."""

    department: str
    currency: str
    description: str
    activity: float
    unit_cost: float
    total_cost: float


@dataclass(frozen=True)
class Lsoa:
    """One LSOA with its district, deprivation and population."""

    code: str
    name: str
    district: str
    imd_rank: int
    imd_decile: int
    population: int
    population_0_15: int
    population_16_59: int
    population_60_plus: int


def _number(text: str) -> float:
    return float(text.replace(",", "").strip() or 0)


@cache
def national_schedule(path: Path = NATIONAL_SCHEDULE) -> tuple[ScheduleRow, ...]:
    """Every line of a national schedule in the NCC layout (the bundled 2023/24 one by default), trimmed."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return tuple(
            ScheduleRow(
                department=row["Service Code"].strip(),
                currency=row["Dept or Currency Code"].strip(),
                description=row["Dept or Currency Desc"].strip(),
                activity=_number(row["Activity"]),
                unit_cost=_number(row["Unit cost"]),
                total_cost=_number(row["Cost"]),
            )
            for row in csv.DictReader(handle)
        )


@cache
def lsoas(districts: tuple[str, ...] | None = None) -> tuple[Lsoa, ...]:
    """LSOAs with IMD 2019 rank and decile and mid-2015 population; all of England, or only the named districts."""
    with gzip.open(POPULATION, "rt", encoding="utf-8-sig", newline="") as handle:
        population = {row["LSOA code (2011)"]: row for row in csv.DictReader(handle)}
    out = []
    with gzip.open(IMD, "rt", encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            district = row["Local Authority District name (2019)"]
            if districts is not None and district not in districts:
                continue
            code = row["LSOA code (2011)"]
            pop = population[code]
            out.append(
                Lsoa(
                    code=code,
                    name=row["LSOA name (2011)"],
                    district=district,
                    imd_rank=int(_number(row["Index of Multiple Deprivation (IMD) Rank"])),
                    imd_decile=int(row["Index of Multiple Deprivation (IMD) Decile"]),
                    population=int(_number(pop["Total population: mid 2015 (excluding prisoners)"])),
                    population_0_15=int(_number(pop["Dependent Children aged 0-15: mid 2015 (excluding prisoners)"])),
                    population_16_59=int(_number(pop["Population aged 16-59: mid 2015 (excluding prisoners)"])),
                    population_60_plus=int(
                        _number(pop["Older population aged 60 and over: mid 2015 (excluding prisoners)"])
                    ),
                )
            )
    return tuple(out)

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

from engine.errors import ConfigError

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


# Headers accepted for a GP list size file: ours, and those of NHS Digital's "Patients Registered at a GP Practice".
_PRACTICE_HEADERS = ("gp_practice", "code", "practice_code")
_LIST_SIZE_HEADERS = ("registered_patients", "number_of_patients", "list_size")


def gp_list_sizes(path: Path) -> dict[str, int]:
    """Registered patients per GP practice from a CSV (gp_practice, registered_patients; or NHS Digital's CODE and
    NUMBER_OF_PATIENTS, whose all-ages rows are kept). Raises ConfigError naming the file, row and column."""
    if not path.exists():
        raise ConfigError(f"{path}: the GP list size file named in [population] gp_list_sizes does not exist")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        headers = {name.strip().lower(): name for name in reader.fieldnames or ()}
        practice = next((headers[h] for h in _PRACTICE_HEADERS if h in headers), None)
        size = next((headers[h] for h in _LIST_SIZE_HEADERS if h in headers), None)
        if practice is None or size is None:
            raise ConfigError(
                f"{path}: needs a practice column ({' or '.join(_PRACTICE_HEADERS)}) and a list size column "
                f"({' or '.join(_LIST_SIZE_HEADERS)}); found {', '.join(headers) or 'no header'}"
            )
        sizes: dict[str, int] = {}
        for row_number, row in enumerate(reader, start=2):
            if not _practice_total(row, headers):
                continue
            code = (row[practice] or "").strip().upper()
            text = (row[size] or "").replace(",", "").strip()
            if not code:
                raise ConfigError(
                    f"{path}, row {row_number}, column {practice}: no practice code; fill it in or delete the row"
                )
            if not text.isdigit():
                raise ConfigError(
                    f"{path}, row {row_number}, column {size}: {row[size]!r} is not a number of patients; "
                    "write a whole number such as 8123"
                )
            sizes[code] = sizes.get(code, 0) + int(text)
    return sizes


def _practice_total(row: dict[str, str], headers: dict[str, str]) -> bool:
    """NHS Digital's file also splits practices by sex and age: keep only the GP rows for all sexes and ages."""
    for name, wanted in (("type", "GP"), ("sex", "ALL"), ("age", "ALL")):
        header = headers.get(name)
        if header is not None and (row[header] or "").strip().upper() != wanted:
            return False
    return True

"""Open reference data bundled with the engine: the national cost schedule, IMD 2019 and LSOA populations, and the
names of HRG4+ chapters and subchapters, currency groups and treatment functions.

The files keep the publishers' quirks (a BOM, codes with trailing spaces, numbers with thousands separators); this
module is the one place that cleans them, so that the generator, ingest and metrics all see the same values.
engine/reference_data/README.md gives the source and licence of each file.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

from engine.errors import ConfigError, ReferenceDataError

REFERENCE_DIR = Path(__file__).resolve().parent / "reference_data"
NATIONAL_SCHEDULE = REFERENCE_DIR / "ncc_2023_24_national_schedule.csv"
IMD = REFERENCE_DIR / "imd2019_lsoa.csv.gz"
POPULATION = REFERENCE_DIR / "imd2019_population_denominators_lsoa.csv.gz"
HRG_CHAPTERS = REFERENCE_DIR / "hrg4_chapters.csv"
HRG_SUBCHAPTERS = REFERENCE_DIR / "hrg4_subchapters.csv"
CURRENCY_GROUPS = REFERENCE_DIR / "currency_groups.csv"
TREATMENT_FUNCTIONS = REFERENCE_DIR / "treatment_functions.csv"
NATIONAL_SCHEDULE_YEAR = "2023/24"
# The files the store's reference tables are made from, besides the national schedule (which a config may replace).
BUNDLED_LISTS = (IMD, POPULATION, HRG_CHAPTERS, HRG_SUBCHAPTERS, CURRENCY_GROUPS, TREATMENT_FUNCTIONS)

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


def fingerprint(paths: tuple[Path, ...], *, extra: str = "") -> str:
    """A digest of these files' names and bytes (and of `extra`): it changes whenever one of them does."""
    digest = hashlib.sha256(extra.encode("utf-8"))
    for path in paths:
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


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


@dataclass(frozen=True)
class Named:
    """A code and its name: an HRG4+ chapter ("H", "Musculoskeletal System"), a currency group, a treatment function."""

    code: str
    name: str


@dataclass(frozen=True)
class HrgSubchapter:
    """An HRG4+ subchapter (the first two letters of an HRG) and its name.

    `name_source` is `listed` when the name is the published one, `derived` when no source confirmed it and the name
    is the chapter's with the subchapter code, e.g. "Digestive System (subchapter FF)".
    """

    code: str
    name: str
    name_source: str

    @property
    def chapter(self) -> str:
        return self.code[0]


@dataclass(frozen=True)
class CurrencyPrefix:
    """Currencies outside HRG4+ whose code starts with `prefix` belong to the currency group `group` (MH ->
    mental_health); `covers` says which currencies those are."""

    prefix: str
    group: str
    group_name: str
    covers: str


NAME_SOURCES = ("listed", "derived")
# The two groups no prefix leads to: a record with no currency at all, and a currency that is neither an HRG4+ HRG nor
# in a currency group (engine/reference_data/currency_groups.csv).
NO_CURRENCY = Named("none", "No HRG or currency recorded")
OTHER_CURRENCY = Named("other", "Other currency (not an HRG4+ HRG, nor in a currency group)")


def _reference_rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """Every row of a bundled reference CSV, values trimmed (the file may start with a BOM and pad its values).

    Raises ReferenceDataError naming the file, row and column when a column is missing, a value is blank or the first
    column repeats a code."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader, [])]
        missing = [c for c in columns if c not in header]
        if missing:
            found = ", ".join(header) or "nothing"
            raise ReferenceDataError(f"{path}: no column {', '.join(missing)} (found: {found})")
        rows: list[dict[str, str]] = []
        seen: set[str] = set()
        for row_number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            row = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header)}
            for column in columns:
                if not row[column]:
                    raise ReferenceDataError(f"{path}, row {row_number}, column {column}: blank")
            key = row[columns[0]]
            if key in seen:
                raise ReferenceDataError(f"{path}, row {row_number}: {columns[0]} {key} appears twice")
            seen.add(key)
            rows.append({c: row[c] for c in columns})
    return rows


def _check_pattern(path: Path, column: str, value: str, pattern: str, meaning: str) -> None:
    if not re.fullmatch(pattern, value):
        raise ReferenceDataError(f"{path}, column {column}: {value!r} is not {meaning}")


def _named_codes(path: Path, code: str, name: str, pattern: str, meaning: str) -> tuple[Named, ...]:
    """A list of codes (column `code`, each matching `pattern`) and their names (column `name`)."""
    rows = _reference_rows(path, (code, name))
    for row in rows:
        _check_pattern(path, code, row[code], pattern, meaning)
    return tuple(Named(r[code], r[name]) for r in rows)


@cache
def hrg_chapters(path: Path = HRG_CHAPTERS) -> tuple[Named, ...]:
    """The HRG4+ chapters: one capital letter each (H) and its name (Musculoskeletal System)."""
    return _named_codes(path, "chapter", "chapter_name", r"[A-Z]", "one capital letter")


@cache
def hrg_subchapters(path: Path = HRG_SUBCHAPTERS) -> tuple[HrgSubchapter, ...]:
    """The HRG4+ subchapters: two capital letters each (HT) with a name and where the name comes from."""
    rows = _reference_rows(path, ("subchapter", "subchapter_name", "name_source"))
    for row in rows:
        _check_pattern(path, "subchapter", row["subchapter"], r"[A-Z]{2}", "two capital letters")
        _check_pattern(path, "name_source", row["name_source"], "|".join(NAME_SOURCES), " or ".join(NAME_SOURCES))
    return tuple(HrgSubchapter(r["subchapter"], r["subchapter_name"], r["name_source"]) for r in rows)


@cache
def currency_prefixes(path: Path = CURRENCY_GROUPS) -> tuple[CurrencyPrefix, ...]:
    """The code prefixes of the currencies outside HRG4+, each with its currency group.

    No prefix may begin another (a code then belongs to one group whatever the order), and each group has one name.
    """
    rows = _reference_rows(path, ("prefix", "currency_group", "currency_group_name", "covers"))
    names: dict[str, str] = {}
    for row in rows:
        _check_pattern(path, "prefix", row["prefix"], r"[A-Z0-9]+", "capital letters and digits")
        _check_pattern(path, "currency_group", row["currency_group"], r"[a-z_]+", "lower-case letters and _")
        group, name = row["currency_group"], row["currency_group_name"]
        if group in (NO_CURRENCY.code, OTHER_CURRENCY.code):
            raise ReferenceDataError(f"{path}: currency group {group} is kept for codes no prefix matches")
        if names.setdefault(group, name) != name:
            raise ReferenceDataError(f"{path}: currency group {group} is called both {names[group]!r} and {name!r}")
    prefixes = sorted(r["prefix"] for r in rows)
    for shorter, longer in pairwise(prefixes):
        if longer.startswith(shorter):
            raise ReferenceDataError(f"{path}: prefix {shorter} begins prefix {longer}; a code must match one prefix")
    return tuple(CurrencyPrefix(r["prefix"], r["currency_group"], r["currency_group_name"], r["covers"]) for r in rows)


def currency_groups(path: Path = CURRENCY_GROUPS) -> tuple[Named, ...]:
    """Every currency group, in file order, then the groups for no currency and for an unrecognised one."""
    groups = {p.group: p.group_name for p in currency_prefixes(path)}
    return (*(Named(code, name) for code, name in groups.items()), NO_CURRENCY, OTHER_CURRENCY)


@cache
def treatment_functions(path: Path = TREATMENT_FUNCTIONS) -> tuple[Named, ...]:
    """Treatment function codes (three digits, e.g. 110) with their NHS Data Dictionary names."""
    return _named_codes(path, "tfc", "tfc_name", r"[0-9]{3}", "a three digit treatment function code")


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

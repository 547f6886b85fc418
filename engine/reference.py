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
from typing import Final

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
    """One national schedule line: a department (POD label), service code and currency with its national activity and
    cost. `service_code` is the treatment function for outpatients and the department type for emergency care in the
    full NCC workbook; blank where the schedule does not split the currency by service."""

    department: str
    currency: str
    description: str
    activity: float
    unit_cost: float
    total_cost: float
    service_code: str = ""


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


# The NCC workbook's sheet names and the department each prices (sheets not listed, such as the index, notes and
# excess bed days, are not read).
NCC_SHEET_DEPARTMENTS: Final[dict[str, str]] = {
    "EI": "Elective Inpatients",
    "EL": "Elective Inpatients",
    "NEI_L": "Non-Elective Inpatient - Long Stay",
    "NEL": "Non-Elective Inpatient - Long Stay",
    "NEI_S": "Non-Elective Inpatient - Short Stay",
    "NES": "Non-Elective Inpatient - Short Stay",
    "DC": "Daycase",
    "RP": "Regular Day or Night Admissions",
    "CL": "Consultant Led",
    "NCL": "Non Consultant Led",
    "OPROC": "Outpatient Procedures",
    "EM": "Emergency Care",
    "CC": "Critical care",
    "MHCC": "Mental Health Care Contact",
    "MHPS": "Mental Health Provider Spell",
    "CHS": "Community Health Service",
}
# Headers a schedule's columns may have (lower case): the bundled file's, the NCC workbook's and plain names.
_SCHEDULE_HEADERS: Final[dict[str, tuple[str, ...]]] = {
    "department": ("department", "department description", "dept description"),
    "service_code": ("service code", "tfc", "treatment function code", "department type"),
    "currency": ("currency code", "currency", "dept or currency code", "hrg", "hrg code"),
    "description": ("currency description", "dept or currency desc", "description", "hrg name"),
    "activity": ("activity", "number of fces", "activity count"),
    "unit_cost": ("national average unit cost", "unit cost", "unit_cost"),
    "total_cost": ("cost", "total cost", "total_cost", "national cost"),
}


def national_schedule(path: Path = NATIONAL_SCHEDULE) -> tuple[ScheduleRow, ...]:
    """Every line of a national schedule, trimmed: the bundled NCC 2023/24 file by default, or a schedule a costing
    team downloads, as a CSV (the bundled layout, or one row per department, service code and currency) or as the
    NCC workbook (.xlsx: one sheet per department, NCC_SHEET_DEPARTMENTS). Raises ConfigError naming what is wrong."""
    return _national_schedule(path.resolve())


@cache
def _national_schedule(path: Path) -> tuple[ScheduleRow, ...]:
    if not path.exists():
        raise ConfigError(f"{path}: the national schedule file does not exist")
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return _schedule_workbook(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        table = [row for row in csv.reader(handle)]
    if not table:
        raise ConfigError(f"{path}: the national schedule file is empty")
    return tuple(_schedule_rows(path, "", table[0], table[1:], department=None))


def _schedule_workbook(path: Path) -> tuple[ScheduleRow, ...]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise ConfigError(f"{path}: not a readable Excel workbook ({exc}); save it again as .xlsx") from exc
    out: list[ScheduleRow] = []
    for sheet in workbook.sheet_names:
        department = NCC_SHEET_DEPARTMENTS.get(sheet.strip().upper())
        values = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        cells = [["" if v is None else str(v).strip() for v in row] for row in values]
        header = next((i for i, row in enumerate(cells[:30]) if _schedule_columns(row).keys() >= _NEEDED), None)
        if header is None:
            continue
        out += _schedule_rows(path, f", sheet {sheet}", cells[header], cells[header + 1 :], department, header + 2)
    if not out:
        raise ConfigError(
            f"{path}: no sheet has a schedule table (a header row with currency code, activity and national average "
            "unit cost columns)"
        )
    return tuple(out)


_NEEDED: Final = frozenset({"currency", "activity", "unit_cost"})


def _schedule_columns(header: list[str]) -> dict[str, int]:
    """Which column holds what; a header used for one field is not reused for another."""
    names = [h.strip().lower() for h in header]
    found: dict[str, int] = {}
    for field, accepted in _SCHEDULE_HEADERS.items():
        for name in accepted:
            if name in names and names.index(name) not in found.values():
                found[field] = names.index(name)
                break
    return found


def _schedule_rows(
    path: Path, where: str, header: list[str], rows: list[list[str]], department: str | None, first_row: int = 2
) -> list[ScheduleRow]:
    columns = _schedule_columns(header)
    names = [h.strip().lower() for h in header]
    if "dept or currency code" in names:  # the bundled layout: its "Service Code" is the department, not a service
        columns["department"] = columns.pop("service_code")
    missing = sorted(_NEEDED - columns.keys() | ({"department"} - columns.keys() if department is None else set()))
    if missing:
        raise ConfigError(
            f"{path}{where}: the national schedule has no {', '.join(missing)} column; found {', '.join(header)}"
        )
    out: list[ScheduleRow] = []
    for number, row in enumerate(rows, start=first_row):
        cell = {field: (row[i].strip() if i < len(row) else "") for field, i in columns.items()}
        if not cell["currency"]:
            continue
        try:
            activity, unit_cost = _number(cell["activity"]), _number(cell["unit_cost"])
            total = _number(cell["total_cost"]) if cell.get("total_cost") else activity * unit_cost
        except ValueError as exc:
            raise ConfigError(f"{path}{where}, row {number}: {exc}; activity and unit cost must be numbers") from exc
        out.append(
            ScheduleRow(
                department=department or cell["department"],
                currency=cell["currency"],
                description=cell.get("description", ""),
                activity=activity,
                unit_cost=unit_cost,
                total_cost=total,
                service_code=_service_code(cell.get("service_code", "")),
            )
        )
    return out


def _service_code(text: str) -> str:
    """A TFC as written ('110', '110.0' from a spreadsheet number) or an emergency department type as the NCC writes
    it ('T01A', 'T01NA' = type 01, admitted or not) as the activity carries it ('01')."""
    text = text.strip().upper()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    department_type = re.fullmatch(r"T0?([1-5])N?A?", text)
    if department_type:
        return f"0{department_type.group(1)}"
    return text


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


@dataclass(frozen=True)
class MarketForcesFactor:
    """A provider's market forces factor (MFF): how much its unavoidable costs (staff, land, buildings) differ from
    the national average because of where it is. A year of '' applies to every year without a factor of its own."""

    org_code: str
    fin_year: str
    mff: float


_MFF_ORG_HEADERS = ("org_code", "organisation code", "org code", "provider code", "trust code")
_MFF_YEAR_HEADERS = ("fin_year", "financial year", "year")
_MFF_VALUE_HEADERS = ("mff", "market forces factor", "payment index", "mff payment index")


def market_forces_factors(path: Path) -> tuple[MarketForcesFactor, ...]:
    """Market forces factors per provider from a CSV (org_code, mff and optionally fin_year; the names NHS England's
    MFF files use are accepted too). Raises ConfigError naming the file, row and column."""
    if not path.exists():
        raise ConfigError(f"{path}: the market forces factor file named in [benchmarks] does not exist")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        headers = {name.strip().lower(): name for name in reader.fieldnames or ()}
        org = next((headers[h] for h in _MFF_ORG_HEADERS if h in headers), None)
        value = next((headers[h] for h in _MFF_VALUE_HEADERS if h in headers), None)
        year = next((headers[h] for h in _MFF_YEAR_HEADERS if h in headers), None)
        if org is None or value is None:
            raise ConfigError(
                f"{path}: needs a provider column ({' or '.join(_MFF_ORG_HEADERS)}) and a factor column "
                f"({' or '.join(_MFF_VALUE_HEADERS)}); found {', '.join(headers) or 'no header'}"
            )
        out: list[MarketForcesFactor] = []
        for number, row in enumerate(reader, start=2):
            code = (row[org] or "").strip().upper()
            text = (row[value] or "").strip()
            if not code and not text:
                continue
            try:
                factor = float(text)
            except ValueError:
                factor = 0.0
            if not code or not 0.5 < factor < 2.0:
                raise ConfigError(
                    f"{path}, row {number}, column {value if code else org}: "
                    + (
                        f"{text!r} is not a market forces factor; write a number such as 1.0412"
                        if code
                        else "no provider code; fill it in or delete the row"
                    )
                )
            out.append(MarketForcesFactor(code, (row[year] or "").strip() if year else "", factor))
    return tuple(out)


@dataclass(frozen=True)
class TrimPoint:
    """A national length-of-stay trim point: the days after which a stay counts as unusually long."""

    hrg: str
    admission_type: str  # elective or non_elective
    days: float


_TRIM_HRG_HEADERS = ("hrg", "hrg code")
_TRIM_HEADERS = {
    "elective": ("elective", "ordinary elective long stay trim point (days)", "elective trim point"),
    "non_elective": ("non_elective", "non-elective long stay trim point (days)", "non-elective trim point"),
}


def los_trim_points(path: Path) -> tuple[TrimPoint, ...]:
    """National trim points per HRG from a CSV (hrg, elective, non_elective; the tariff workbook's column names are
    accepted too). A blank cell means no trim point for that admission type. Raises ConfigError naming the file,
    row and column."""
    if not path.exists():
        raise ConfigError(f"{path}: the trim point file named in [benchmarks] los_trim_points does not exist")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        headers = {name.strip().lower(): name for name in reader.fieldnames or ()}
        hrg = next((headers[h] for h in _TRIM_HRG_HEADERS if h in headers), None)
        columns = {
            kind: next((headers[h] for h in names if h in headers), None) for kind, names in _TRIM_HEADERS.items()
        }
        if hrg is None or not any(columns.values()):
            raise ConfigError(
                f"{path}: needs an HRG column and an elective or non_elective trim point column; found "
                f"{', '.join(headers) or 'no header'}"
            )
        out: list[TrimPoint] = []
        for number, row in enumerate(reader, start=2):
            code = (row[hrg] or "").strip().upper()
            for kind, column in columns.items():
                text = (row[column] or "").strip() if column else ""
                if not code or not text:
                    continue
                try:
                    days = float(text)
                except ValueError:
                    days = -1.0
                if days < 0:
                    raise ConfigError(
                        f"{path}, row {number}, column {column}: {text!r} is not a number of days; write a whole "
                        "number such as 14, or leave it blank"
                    )
                out.append(TrimPoint(code, kind, days))
    return tuple(out)

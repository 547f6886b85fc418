"""The canonical PLICS data model, written down once as data.

Ingest builds its validation from these definitions, the store its tables, the synthetic generator its files and
`docs/data-model.md` its tables (a test checks the document is in step). Two canonical tables hold every trust's data:

* `activity`: one row per patient event (APC episode, outpatient attendance, emergency care attendance, critical care
  period, mental health contact or bed-day record, community contact), keyed by provider, setting and record id.
* `cost_lines`: the event's cost split by cost driver (collection activity) and resource, with an activity count.

A check that fails on a column marked `reject` sends the row to quarantine; on a column marked `blank` the value is
blanked, the row loads, and a warning is recorded, so that a bad postcode never loses a row's cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from engine import codes
from engine.nhs_number import PSEUDONYM_PATTERN

ColumnType = Literal["text", "code", "integer", "number", "money", "date", "flag"]
OnInvalid = Literal["reject", "blank"]
ALL_SETTINGS: Final[tuple[str, ...]] = codes.codes(codes.SETTINGS)


@dataclass(frozen=True)
class Column:
    """One canonical column.

    `settings` lists where the column applies; `required_in` where a value must be present. `pattern` is a regular
    expression the cleaned value must match; `allowed` names a code list whose synonyms are accepted; `minimum` and
    `maximum` bound numbers and integers.
    """

    name: str
    type: ColumnType
    description: str
    example: str
    settings: tuple[str, ...] = ALL_SETTINGS
    required_in: tuple[str, ...] = ()
    on_invalid: OnInvalid = "blank"
    pattern: str | None = None
    pattern_hint: str | None = None
    allowed: tuple[codes.Code, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    sensitive: bool = False  # never stored (the raw NHS number)
    sensitive_value: bool = False  # stored, but a wrong value is never shown: it may identify a patient
    setting_patterns: tuple[tuple[str, str], ...] = ()

    def pattern_for(self, setting: str) -> str | None:
        """The pattern a value must match in one setting (some settings use other currencies)."""
        return dict(self.setting_patterns).get(setting, self.pattern)

    def applies_to(self, setting: str) -> bool:
        return setting in self.settings

    def required_for(self, setting: str) -> bool:
        return setting in self.required_in


ODS_PATTERN: Final = r"^[A-Z0-9]{3}([A-Z0-9]{2})?$"
HRG_PATTERN: Final = r"^[A-Z]{2}[0-9]{2}[A-Z]$"
CURRENCY_PATTERN: Final = r"^[A-Z0-9]{2,7}$"
TFC_PATTERN: Final = r"^[0-9]{3}$"
LSOA_PATTERN: Final = r"^[EW]01[0-9]{6}$"
GP_PRACTICE_PATTERN: Final = r"^[A-Z][0-9]{5}$"
FIN_YEAR_PATTERN: Final = r"^[0-9]{4}/[0-9]{2}$"
ICD10_PATTERN: Final = r"^[A-Z][0-9]{2}[0-9X]?[0-9A-Z]?$"
# Every number a row may hold is below a billion, so a ten-digit NHS number in a number column is never a value.
MONEY_LIMIT: Final = 999_999_999.9999

# Columns every activity record carries, whatever its setting.
_COMMON: Final[tuple[Column, ...]] = (
    Column(
        "org_code",
        "code",
        "Provider ODS code; must be a provider named in the ICS config.",
        "ZZA",
        required_in=ALL_SETTINGS,
        on_invalid="reject",
        pattern=ODS_PATTERN,
        pattern_hint="a 3 or 5 character ODS code such as RXL or RXL01",
    ),
    Column(
        "fin_year",
        "text",
        "Financial year, April to March, written 2023/24 (202324 and 2023-24 are accepted).",
        "2023/24",
        required_in=ALL_SETTINGS,
        on_invalid="reject",
        pattern=FIN_YEAR_PATTERN,
        pattern_hint="a financial year such as 2023/24",
    ),
    Column(
        "period",
        "integer",
        "Month of the financial year: 1 = April ... 12 = March.",
        "7",
        required_in=ALL_SETTINGS,
        on_invalid="reject",
        minimum=1,
        maximum=12,
    ),
    Column(
        "record_id",
        "text",
        "The provider's id for the event, unique within provider and setting (an episode, attendance or contact).",
        "APC000123",
        required_in=ALL_SETTINGS,
        on_invalid="reject",
        max_length=64,
    ),
    Column(
        "nhs_number",
        "text",
        "Raw NHS number, if the file has one: checked (mod 11) and replaced at ingest by `patient_id`; never stored.",
        "9434765919",
        pattern=r"^[0-9]{10}$",
        pattern_hint="10 digits with a valid check digit",
        sensitive=True,
    ),
    Column(
        "patient_id",
        "text",
        "Patient pseudonym: a keyed hash (HMAC-SHA-256) of the NHS number, the same at every provider. icsbench makes "
        "it from `nhs_number`; a file may send it instead only as that hash (64 hexadecimal characters): any other "
        "value (a raw NHS number, a hospital number) is blanked with a warning and never stored.",
        "3f1c…",
        pattern=PSEUDONYM_PATTERN,
        pattern_hint="a pseudonym made by icsbench (64 hexadecimal characters)",
        sensitive_value=True,
    ),
    Column("age", "integer", "Age in whole years at the start of the event.", "67", minimum=0, maximum=120),
    Column(
        "sex",
        "code",
        "Sex: M, F or U (1/2/9/0 and male/female are accepted).",
        "F",
        allowed=(
            codes.Code("M", "Male", ("1", "MALE")),
            codes.Code("F", "Female", ("2", "FEMALE")),
            codes.Code("U", "Not known", ("0", "9", "X", "UNKNOWN", "NOT_KNOWN", "I")),
        ),
    ),
    Column(
        "lsoa",
        "code",
        "Lower layer super output area (2011) of the patient's residence.",
        "E01012681",
        pattern=LSOA_PATTERN,
        pattern_hint="an LSOA code such as E01012681",
    ),
    Column(
        "gp_practice",
        "code",
        "Registered GP practice code.",
        "P81001",
        pattern=GP_PRACTICE_PATTERN,
        pattern_hint="a GP practice code: a letter and five digits, such as P81001",
    ),
    Column(
        "pod",
        "code",
        "Point of delivery (see the POD list). Required for admitted care and outpatients; implied elsewhere.",
        "NEL",
        required_in=("apc", "op", "mh"),
        on_invalid="reject",
    ),
    Column(
        "tfc",
        "code",
        "Treatment function code (3 digits; 110.0 from Excel reads as 110). A code not in the NHS Data Dictionary "
        "list (`ref_tfc`) loads as sent, with a warning.",
        "110",
        settings=("apc", "op", "cc"),
        pattern=TFC_PATTERN,
        pattern_hint="a 3 digit treatment function code such as 110",
    ),
    Column(
        "hrg",
        "code",
        "Currency: episode HRG for admitted care, HRG or WF code for outpatients, VB HRG for emergency care, "
        "XA/XB/XC HRG for critical care, care cluster or service currency for mental health and community.",
        "HT12A",
        pattern=HRG_PATTERN,
        pattern_hint="an HRG4+ code such as HT12A or WF01A; for MH and community a currency code such as MHCC or A08A1",
        setting_patterns=(("mh", CURRENCY_PATTERN), ("chs", CURRENCY_PATTERN)),
    ),
    Column(
        "event_date",
        "date",
        "Date the event started: episode start, appointment, arrival, critical care start or contact date.",
        "2023-10-14",
    ),
    Column("end_date", "date", "Date the event ended (episode end, critical care discharge).", "2023-10-20"),
    Column(
        "episode_count",
        "integer",
        "Events this row stands for: always 1 in patient-level data (the seed's HRG_EpisodeCount).",
        "1",
        on_invalid="reject",
        minimum=1,
        maximum=1,
    ),
)

_SETTING_SPECIFIC: Final[tuple[Column, ...]] = (
    Column(
        "spell_id",
        "text",
        "Hospital provider spell the episode belongs to.",
        "SP00042",
        settings=("apc",),
        required_in=("apc",),
        on_invalid="reject",
        max_length=64,
    ),
    Column(
        "episode_number",
        "integer",
        "Order of the episode within its spell, from 1.",
        "1",
        settings=("apc",),
        minimum=1,
        maximum=99,
    ),
    Column(
        "admission_method",
        "code",
        "Admission method (NHS Data Dictionary), e.g. 11 waiting list, 21 emergency via A&E.",
        "21",
        settings=("apc",),
        pattern=r"^[0-9][0-9A-D]$",
        pattern_hint="a 2 character admission method such as 11 or 21",
    ),
    Column("admission_date", "date", "Date the spell started.", "2023-10-14", settings=("apc",)),
    Column("discharge_date", "date", "Date the spell ended.", "2023-10-20", settings=("apc",)),
    Column(
        "los",
        "integer",
        "Spell length of stay in days (discharge date - admission date); worked out from the dates if blank.",
        "6",
        settings=("apc",),
        minimum=0,
        maximum=3650,
    ),
    Column(
        "spell_hrg",
        "code",
        "Spell HRG.",
        "HT12A",
        settings=("apc",),
        pattern=HRG_PATTERN,
        pattern_hint="an HRG4+ code such as HT12A",
    ),
    Column(
        "primary_diagnosis",
        "code",
        "Primary diagnosis, ICD-10 without the dot.",
        "S720",
        settings=("apc",),
        pattern=ICD10_PATTERN,
        pattern_hint="an ICD-10 code such as S720 or I639",
    ),
    Column(
        "face_to_face",
        "flag",
        "Whether the attendance or contact was face to face (Y/N).",
        "Y",
        settings=("op", "mh", "chs"),
    ),
    Column(
        "consultant_led",
        "flag",
        "Whether a consultant led the outpatient clinic (Y/N): national prices differ for consultant-led and "
        "non-consultant-led attendances. Consultant led when not sent.",
        "Y",
        settings=("op",),
    ),
    Column(
        "department_type",
        "code",
        "Emergency care department type 01-05.",
        "01",
        settings=("ec",),
        pattern=r"^0[1-5]$",
        pattern_hint="01, 02, 03, 04 or 05",
    ),
    Column(
        "unit_type",
        "code",
        "Critical care unit type.",
        "adult",
        settings=("cc",),
        required_in=("cc",),
        on_invalid="reject",
        allowed=(
            codes.Code("adult", "Adult critical care", ("A", "ADULT", "ACC", "ITU", "ICU", "HDU", "GICU")),
            codes.Code("paediatric", "Paediatric critical care", ("P", "PAEDS", "PICU", "PCC")),
            codes.Code("neonatal", "Neonatal critical care", ("N", "NEONATAL", "NICU", "NCC")),
        ),
    ),
    Column(
        "apc_record_id",
        "text",
        "Record id of the admitted patient care episode the critical care period belongs to.",
        "APC000123",
        settings=("cc",),
        required_in=("cc",),
        on_invalid="reject",
        max_length=64,
    ),
    Column(
        "bed_days",
        "number",
        "Bed days: critical care days for a critical care period, occupied bed days for mental health bed days.",
        "3",
        settings=("cc", "mh"),
        minimum=0,
        maximum=3650,
    ),
    Column(
        "level_2_days",
        "number",
        "Critical care days at level 2 (one organ supported).",
        "2",
        settings=("cc",),
        minimum=0,
        maximum=3650,
    ),
    Column(
        "level_3_days",
        "number",
        "Critical care days at level 3 (advanced respiratory or two or more organs supported).",
        "1",
        settings=("cc",),
        minimum=0,
        maximum=3650,
    ),
    Column(
        "duration_minutes",
        "number",
        "Length of the contact in minutes.",
        "45",
        settings=("mh", "chs"),
        minimum=0,
        maximum=1440,
    ),
    Column(
        "service_code",
        "code",
        "Team or service that saw the patient (local code, e.g. community physiotherapy).",
        "PHYSIO",
        settings=("mh", "chs"),
        max_length=20,
    ),
)

ACTIVITY_COLUMNS: Final[tuple[Column, ...]] = _COMMON + _SETTING_SPECIFIC

# Cost lines carry their own copy of provider, year and period so a reload can replace them without a join.
COST_LINE_COLUMNS: Final[tuple[Column, ...]] = (
    *(c for c in _COMMON if c.name in ("org_code", "fin_year", "period", "record_id")),
    Column(
        "cost_driver",
        "code",
        "Collection activity: what the money was spent doing (ward, theatre, imaging ...). "
        "An unknown code loads as `other` with a warning.",
        "theatre",
        required_in=ALL_SETTINGS,
        on_invalid="blank",
        allowed=codes.COST_DRIVERS,
    ),
    Column(
        "cost_resource",
        "code",
        "Collection resource: who or what the money was spent on (consultant, nursing, drugs ...).",
        "nursing",
        allowed=codes.COST_RESOURCES,
    ),
    Column(
        "cost",
        "money",
        "Cost in pounds, to 4 decimal places. £1,234.50 and (123.00) are read; negative costs load and are flagged. "
        "A single line of £1 billion or more (either sign) is not a patient's cost and is quarantined.",
        "1234.50",
        required_in=ALL_SETTINGS,
        on_invalid="reject",
        minimum=-MONEY_LIMIT,
        maximum=MONEY_LIMIT,
    ),
    Column(
        "activity_count",
        "number",
        "How much of the unit the line used (minutes, tests, bed days ...). Additive across a record's lines.",
        "95",
        minimum=0,
        maximum=MONEY_LIMIT,
    ),
    Column(
        "activity_unit",
        "code",
        "Unit of the activity count.",
        "theatre_minutes",
        allowed=codes.ACTIVITY_UNITS,
    ),
    Column(
        "location",
        "text",
        "Where the cost arose: ward code for ward costs, theatre or department otherwise.",
        "WARD35",
        max_length=40,
    ),
)

LAYOUTS: Final[tuple[str, ...]] = ("activity", "cost_lines", "wide")


def activity_columns_for(setting: str) -> tuple[Column, ...]:
    """The activity columns that apply to one setting."""
    return tuple(c for c in ACTIVITY_COLUMNS if c.applies_to(setting))


def column(name: str) -> Column:
    """Look up an activity or cost line column by name."""
    for col in (*ACTIVITY_COLUMNS, *COST_LINE_COLUMNS):
        if col.name == name:
            return col
    raise KeyError(name)


def stored_activity_columns() -> tuple[Column, ...]:
    """Activity columns the store keeps: everything but raw NHS numbers."""
    return tuple(c for c in ACTIVITY_COLUMNS if not c.sensitive)

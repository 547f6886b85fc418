"""Project-owned code lists: settings, points of delivery, cost drivers, resources and activity units.

The official NCC collection activity and resource lists sit behind a login, so the project keeps its own short lists,
modelled on their structure (a collection activity says *what* was done, a collection resource says *who or what* was
used). Every list is documented in docs/data-model.md, which a test regenerates from this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Code:
    """One entry of a code list: the canonical code, a name for people and the local spellings accepted for it."""

    code: str
    name: str
    synonyms: tuple[str, ...] = ()


SETTINGS: Final[tuple[Code, ...]] = (
    Code("apc", "Admitted patient care episodes", ("ip", "inpatient", "inpatients", "admitted")),
    Code("op", "Outpatient attendances", ("outpatient", "outpatients")),
    Code("ec", "Emergency care attendances", ("ae", "a&e", "ed", "emergency")),
    Code("cc", "Critical care periods", ("critical_care", "critcare", "itu", "icu")),
    Code("mh", "Mental health contacts and bed days", ("mental_health",)),
    Code("chs", "Community health service contacts", ("community", "cmty")),
)

# Points of delivery. Admitted care uses the NCC PODs; other settings have one POD each, or one per attendance type,
# so that one POD column serves every setting.
PODS: Final[dict[str, tuple[Code, ...]]] = {
    "apc": (
        Code("EL", "Elective inpatient", ("ELIP", "ELECTIVE")),
        Code("NEL", "Non-elective inpatient (long stay)", ("NELIP", "NON-ELECTIVE", "NONELECTIVE", "NEL_LS")),
        Code("NES", "Non-elective short stay", ("NELST", "NEL_SS", "NELSS")),
        Code("DC", "Day case", ("DAYCASE", "DAY CASE")),
        Code("RP", "Regular day or night admission", ("RDNA", "REGULAR")),
    ),
    "op": (
        Code("OPFA", "Outpatient first attendance", ("FIRST", "OP_FIRST", "FA", "1")),
        Code("OPFU", "Outpatient follow-up attendance", ("FOLLOW_UP", "FOLLOWUP", "OP_FUP", "OPFUP", "FU", "2")),
        Code("OPPROC", "Outpatient procedure", ("PROCEDURE", "OP_PROC", "OPPROC", "PROC")),
    ),
    "ec": (Code("EC", "Emergency care attendance", ("AE", "A&E", "ED")),),
    "cc": (Code("CC", "Critical care period", ("CRITCARE",)),),
    "mh": (
        Code("MHCC", "Mental health care contact", ("CONTACT", "MH_CONTACT")),
        Code("MHBD", "Mental health inpatient bed days", ("BED_DAYS", "MH_BED_DAYS", "MHPS")),
    ),
    "chs": (Code("CHS", "Community health service contact", ("COMMUNITY", "CONTACT")),),
}

# The NCC department each POD's national unit costs come from (../shared/reference national schedule). Outpatient
# attendances are priced in "Consultant Led" or "Non Consultant Led" by who led the clinic (the record's
# consultant_led flag; consultant led when a trust does not send it).
NATIONAL_SCHEDULE_DEPARTMENT: Final[dict[str, str]] = {
    "EL": "Elective Inpatients",
    "NEL": "Non-Elective Inpatient - Long Stay",
    "NES": "Non-Elective Inpatient - Short Stay",
    "DC": "Daycase",
    "RP": "Regular Day or Night Admissions",
    "OPFA": "Consultant Led",
    "OPFU": "Consultant Led",
    "OPPROC": "Outpatient Procedures",
    "EC": "Emergency Care",
    "CC": "Critical care",
    "MHCC": "Mental Health Care Contact",
    "MHBD": "Mental Health Provider Spell",
    "CHS": "Community Health Service",
}
NON_CONSULTANT_LED_DEPARTMENT: Final = "Non Consultant Led"
"""Where an outpatient attendance not led by a consultant is priced (first and follow-up attendances)."""
NON_CONSULTANT_LED_PODS: Final = frozenset({"OPFA", "OPFU"})
"""The PODs the national schedule also prices in NON_CONSULTANT_LED_DEPARTMENT."""


@dataclass(frozen=True)
class UnitOfCount:
    """What one unit of a POD's activity is: the thing costs are compared per, locally and nationally."""

    code: str
    name: str  # singular, for a sentence: "cost per bed day"
    plural: str  # for a column heading: "bed days"
    per_record: bool  # one per record (an episode, an attendance, a contact); else counted on the record (days)


UNITS_OF_COUNT: Final[tuple[UnitOfCount, ...]] = (
    UnitOfCount("episode", "episode", "episodes", per_record=True),
    UnitOfCount("attendance", "attendance", "attendances", per_record=True),
    UnitOfCount("contact", "contact", "contacts", per_record=True),
    UnitOfCount("bed_day", "bed day", "bed days", per_record=False),
    UnitOfCount("critical_care_day", "critical care day", "critical care days", per_record=False),
)

# The unit of count of every POD, declared once. The national schedule prices each POD in the same unit (admitted
# care per finished consultant episode, mental health inpatients and critical care per day), so every comparison,
# national included, is per this unit: never a cost per record against a price per day.
POD_UNIT_OF_COUNT: Final[dict[str, str]] = {
    "EL": "episode",
    "NEL": "episode",
    "NES": "episode",
    "DC": "episode",
    "RP": "episode",
    "OPFA": "attendance",
    "OPFU": "attendance",
    "OPPROC": "attendance",
    "EC": "attendance",
    "CC": "critical_care_day",
    "MHCC": "contact",
    "MHBD": "bed_day",
    "CHS": "contact",
}
SPELL: Final = UnitOfCount("spell", "spell", "spells", per_record=False)
"""Length of stay is compared per hospital spell (all the episodes of one admission)."""


# Where the national schedule splits a POD's prices by a service code, and which field of the record holds it:
# outpatient attendances by treatment function, emergency care by department type (01-05).
NATIONAL_SERVICE_CODE_FIELD: Final[dict[str, str]] = {
    "OPFA": "tfc",
    "OPFU": "tfc",
    "OPPROC": "tfc",
    "EC": "department_type",
}
# Admitted care PODs by admission type, which the tariff's length-of-stay trim points differ by.
ADMISSION_TYPE: Final[dict[str, str]] = {
    "EL": "elective",
    "DC": "elective",
    "RP": "elective",
    "NEL": "non_elective",
    "NES": "non_elective",
}


def unit_of_count(pod: str) -> UnitOfCount:
    """The unit a POD's activity is counted and compared in."""
    code = POD_UNIT_OF_COUNT[pod]
    return next(u for u in UNITS_OF_COUNT if u.code == code)


# Collection activities: the cost drivers costs are split by (what the money was spent doing).
COST_DRIVERS: Final[tuple[Code, ...]] = (
    Code("ward", "Ward care", ("ward_care", "wards", "bed_days")),
    Code("theatre", "Theatres (surgical and anaesthetic time)", ("theatres", "theater", "operating_theatre")),
    Code("critical_care", "Critical care", ("critcare", "itu", "icu")),
    Code("pathology", "Pathology", ("path", "lab", "laboratory")),
    Code("imaging", "Imaging (radiology)", ("radiology", "xray", "diagnostic_imaging")),
    Code("pharmacy", "Pharmacy and medicines", ("drugs", "medicines", "pharmacy_and_drugs")),
    Code("high_cost_drugs", "High-cost drugs and devices", ("hcd", "high_cost_devices")),
    Code("therapies", "Allied health professional therapies", ("ahp", "therapy")),
    Code("outpatient_care", "Outpatient clinic care", ("outpatients", "clinic")),
    Code("emergency_care", "Emergency department care", ("ed", "a&e", "ae")),
    Code("community_care", "Community care", ("community",)),
    Code("mental_health_care", "Mental health care", ("mental_health",)),
    Code("other_clinical", "Other clinical services", ("other_clinical_support",)),
    Code("overheads", "Overheads and support services", ("overhead", "support", "corporate")),
    Code("other", "Other or unmapped", ("unknown", "unmapped")),
)

# Collection resources: who or what the money was spent on.
COST_RESOURCES: Final[tuple[Code, ...]] = (
    Code("consultant", "Consultants", ("consultants", "medical_consultant")),
    Code("medical_other", "Other medical staff", ("medical", "junior_doctors", "doctors")),
    Code("nursing", "Nursing and midwifery", ("nurses", "midwifery")),
    Code("ahp", "Allied health professionals", ("ahps", "therapists")),
    Code("scientific", "Scientific and technical staff", ("scientists", "technical")),
    Code("drugs", "Drugs", ("medicines",)),
    Code("supplies", "Clinical supplies and services", ("clinical_supplies", "consumables")),
    Code("overheads", "Overheads", ("overhead", "support")),
    Code("all", "Not split by resource", ("total", "none")),
    Code("other", "Other or unmapped", ("unknown", "unmapped")),
)

# Units an activity count can be in. Counts of one unit are additive across the cost lines of one record.
ACTIVITY_UNITS: Final[tuple[Code, ...]] = (
    Code("bed_days", "Bed days", ("beddays", "days")),
    Code("theatre_minutes", "Theatre (procedure) minutes", ("theatre_mins", "procedure_minutes")),
    Code("anaesthetic_minutes", "Anaesthetic minutes", ("anaesthetic_mins",)),
    Code("cc_bed_days", "Critical care bed days", ("critical_care_days",)),
    Code("tests", "Tests (pathology)", ("test",)),
    Code("examinations", "Examinations (imaging)", ("exams", "exam")),
    Code("items", "Items dispensed", ("item", "doses")),
    Code("contacts", "Patient contacts", ("contact",)),
    Code("attendances", "Attendances", ("attendance",)),
    Code("minutes", "Minutes of care", ("mins",)),
)

# Provider types in the ICS config.
PROVIDER_TYPES: Final[tuple[str, ...]] = ("acute", "mental_health", "community", "specialist", "independent")


def codes(code_list: tuple[Code, ...]) -> tuple[str, ...]:
    """The canonical codes of a list, in order."""
    return tuple(c.code for c in code_list)


def synonym_map(code_list: tuple[Code, ...]) -> dict[str, str]:
    """Every accepted spelling (upper-cased, spaces and hyphens as underscores) mapped to its canonical code."""
    mapping: dict[str, str] = {}
    for entry in code_list:
        for spelling in (entry.code, entry.name, *entry.synonyms):
            mapping[normalise_spelling(spelling)] = entry.code
    return mapping


def normalise_spelling(value: str) -> str:
    """Fold a local spelling so that `Day Case`, `day-case` and `DAY_CASE` compare equal.

    The same rule as the SQL macro icsb_spelling (sql/ingest/parse_macros.sql), which folds the values in a file.
    """
    return re.sub(r"[\s-]+", "_", value.strip().upper())


@dataclass(frozen=True)
class CostingCheck:
    """A costing data-quality check made per provider and period, modelled on the national costing data-quality
    checks: a measure (a share of cost or records, or a ratio to the ICS) and the range it should fall in."""

    code: str
    name: str
    lower: float | None  # the measure passes at or above this (None: no lower limit)
    upper: float | None  # and at or below this (None: no upper limit)
    explanation: str


# The checks behind the data-quality score shown beside every benchmark (costing_quality). A check that cannot be
# measured (no ward cost at a provider, say) is left out of the score rather than passed.
COSTING_CHECKS: Final[tuple[CostingCheck, ...]] = (
    CostingCheck(
        "unallocated_share",
        "Cost on other or unmapped drivers",
        None,
        0.02,
        "share of cost on the 'other' cost driver (unallocated or unmapped collection activity); at most 2%",
    ),
    CostingCheck(
        "overhead_share",
        "Overhead share of cost",
        0.05,
        0.35,
        "share of cost on overheads and support services; 5% to 35% (outside it, overheads are usually "
        "absorbed differently from the other trusts)",
    ),
    CostingCheck(
        "ward_cost_without_bed_days",
        "Ward cost without bed days",
        None,
        0.01,
        "share of ward cost on records whose ward cost lines count no bed days; at most 1%",
    ),
    CostingCheck(
        "theatre_cost_without_minutes",
        "Theatre cost without minutes",
        None,
        0.01,
        "share of theatre cost on records whose theatre cost lines count no minutes; at most 1%",
    ),
    CostingCheck(
        "cost_per_bed_day_ratio",
        "Cost per bed day against the ICS",
        0.67,
        1.5,
        "the provider's ward cost per bed day over the ICS's; 0.67 to 1.5 (an outlier usually means a "
        "different costing choice before it means different care)",
    ),
    CostingCheck(
        "cost_per_theatre_minute_ratio",
        "Cost per theatre minute against the ICS",
        0.67,
        1.5,
        "the provider's theatre cost per minute over the ICS's; 0.67 to 1.5",
    ),
    CostingCheck(
        "records_without_cost",
        "Records without cost lines",
        None,
        0.01,
        "share of records with no cost (no cost lines, or lines adding to 0); at most 1%",
    ),
    CostingCheck(
        "cost_without_records",
        "Cost lines without records",
        None,
        0.001,
        "share of cost on cost lines whose record was not loaded; at most 0.1%",
    ),
)

"""Case mix from the real 2023/24 national schedule: which currencies occur, how often, at what national cost.

For each POD the generator draws currencies within the POD's schedule department in proportion to national
activity, then gives each event a treatment function, a diagnosis, a patient of the right kind (children for
paediatric HRGs, women for obstetrics) and, for admitted care, a length of stay that fits the HRG.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt

from engine import codes, reference, schema
from engine.synth import ics_definitions

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Strs = npt.NDArray[np.str_]

# Patient groups an event can be drawn from (see `eligible`).
ANY: Final = 0
CHILD: Final = 1
ADULT: Final = 2
MATERNITY: Final = 3
FEMALE_ADULT: Final = 4
MALE_ADULT: Final = 5
NEONATE: Final = 6
INFANT: Final = 7
SCHOOL: Final = 8
OLDER: Final = 9

# Cost per occupied bed day the expected ward share of a record's national cost is converted at.
REFERENCE_WARD_RATE: Final = 480.0

_EXCLUDED: Final = frozenset({"UZ01Z", "CHS00", "N05CGM"})
# Departments whose currencies must be HRGs (they also list IVF drugs and midwife visits, which are not).
_HRG_DEPARTMENTS: Final = frozenset(
    codes.NATIONAL_SCHEDULE_DEPARTMENT[pod] for pod in ("EL", "NEL", "NES", "DC", "RP", "OPPROC", "EC", "CC")
)


@dataclass(frozen=True)
class Currencies:
    """The currencies of one schedule department with national activity and unit cost, row-aligned arrays."""

    department: str
    codes: Strs
    descriptions: tuple[str, ...]
    unit_cost: Floats
    activity: Floats
    procedural: Bools
    group: Ints

    def __len__(self) -> int:
        return len(self.codes)

    def subset(self, keep: Bools) -> Currencies:
        index = np.flatnonzero(keep)
        return replace(
            self,
            codes=self.codes[index],
            descriptions=tuple(self.descriptions[i] for i in index),
            unit_cost=self.unit_cost[index],
            activity=self.activity[index],
            procedural=self.procedural[index],
            group=self.group[index],
        )

    def starts_with(self, *prefixes: str) -> Bools:
        return np.array([c.startswith(prefixes) for c in self.codes.tolist()], dtype=np.bool_)

    def unit_cost_of(self, code: str) -> float:
        return float(self.unit_cost[self.codes.tolist().index(code)])


@cache
def currencies(department: str) -> Currencies:
    """Rows of the national schedule for a department that can be drawn (positive activity and cost)."""
    rows = [
        r
        for r in reference.national_schedule()
        if r.department == department
        and r.activity > 0
        and r.unit_cost > 0
        and r.currency not in _EXCLUDED
        and not r.currency.startswith("WCE")
        and (department not in _HRG_DEPARTMENTS or re.match(schema.HRG_PATTERN, r.currency))
    ]
    if not rows:
        raise ValueError(f"the national schedule has no usable rows for department {department!r}")
    return Currencies(
        department=department,
        codes=np.array([r.currency for r in rows]),
        descriptions=tuple(r.description for r in rows),
        unit_cost=np.array([r.unit_cost for r in rows], dtype=np.float64),
        activity=np.array([r.activity for r in rows], dtype=np.float64),
        procedural=np.array(["Procedure" in r.description for r in rows], dtype=np.bool_),
        group=np.array([_group(r.currency, r.description) for r in rows], dtype=np.int64),
    )


def for_pod(pod: str) -> Currencies:
    """The currencies of the schedule department a POD is costed against."""
    return currencies(codes.NATIONAL_SCHEDULE_DEPARTMENT[pod])


def _group(code: str, description: str) -> int:
    text = description.lower()
    if code.startswith("PB"):
        return NEONATE
    if code.startswith(("N03",)):
        return INFANT
    if code.startswith(("N05", "VACN")):
        return SCHOOL
    if code.startswith(("NZ", "N01")):
        return MATERNITY
    if code.startswith(("MA", "MB")):
        return FEMALE_ADULT
    if code.startswith("MC") or "prostat" in text or "(male)" in text:
        return MALE_ADULT
    if code.startswith("P") or "years and under" in text or ", child" in text:
        return CHILD
    if "elderly" in text:
        return OLDER
    if "years and over" in text or ", adult" in text or code.startswith(("HT1", "AA35")):
        return ADULT
    return ANY


def eligible(age: npt.NDArray[np.int32], female: Bools, group: int) -> Bools:
    """Which patients can be drawn for an event of a patient group."""
    rules: dict[int, Bools] = {
        ANY: np.ones(len(age), dtype=np.bool_),
        CHILD: age <= 17,
        ADULT: age >= 18,
        MATERNITY: female & (age >= 16) & (age <= 45),
        FEMALE_ADULT: female & (age >= 16),
        MALE_ADULT: ~female & (age >= 18),
        NEONATE: age == 0,
        INFANT: age <= 4,
        SCHOOL: (age >= 5) & (age <= 15),
        OLDER: age >= 65,
    }
    return np.asarray(rules[group], dtype=np.bool_)


def is_orthopaedic(cur: Currencies) -> Bools:
    """Orthopaedic HRGs: chapter H procedures and the hip, knee and trauma subchapters."""
    return np.asarray(cur.starts_with("H") & (cur.procedural | cur.starts_with("HN", "HT")), dtype=np.bool_)


# Treatment functions by HRG prefix (longest prefix wins): (usual TFC, alternative, share of the usual one).
_MEDICAL_TFC: Final[dict[str, tuple[str, str, float]]] = {
    "AA35": ("328", "328", 1.0),
    "AA": ("400", "300", 0.4),
    "AB": ("191", "191", 1.0),
    "B": ("130", "130", 1.0),
    "C": ("120", "120", 1.0),
    "CD": ("140", "144", 0.6),
    "D": ("340", "300", 0.45),
    "E": ("320", "300", 0.55),
    "EY": ("320", "320", 1.0),
    "FD": ("301", "300", 0.5),
    "FE": ("301", "100", 0.7),
    "FF": ("100", "100", 1.0),
    "G": ("301", "300", 0.5),
    "H": ("110", "410", 0.6),
    "HD": ("410", "110", 0.5),
    "JA": ("103", "103", 1.0),
    "JB": ("160", "160", 1.0),
    "J": ("330", "300", 0.7),
    "K": ("302", "300", 0.6),
    "LA": ("361", "300", 0.6),
    "L": ("101", "101", 1.0),
    "M": ("502", "502", 1.0),
    "NZ": ("501", "501", 1.0),
    "N0": ("501", "501", 1.0),
    "PB": ("422", "420", 0.8),
    "P": ("420", "420", 1.0),
    "Q": ("107", "107", 1.0),
    "R": ("812", "812", 1.0),
    "SA": ("303", "303", 1.0),
    "SB": ("370", "800", 0.6),
    "SC": ("800", "800", 1.0),
    "VA": ("110", "100", 0.6),
    "VC": ("314", "314", 1.0),
    "WD": ("430", "300", 0.5),
    "WH": ("100", "300", 0.5),
    "Y": ("300", "100", 0.5),
}
_PROCEDURAL_TFC: Final[dict[str, tuple[str, str, float]]] = {
    "A": ("150", "150", 1.0),
    "AB": ("191", "191", 1.0),
    "B": ("130", "130", 1.0),
    "C": ("120", "120", 1.0),
    "CD": ("144", "140", 0.6),
    "D": ("173", "340", 0.5),
    "E": ("320", "172", 0.8),
    "F": ("100", "100", 1.0),
    "FE": ("301", "100", 0.5),
    "G": ("100", "100", 1.0),
    "H": ("110", "110", 1.0),
    "JA": ("103", "103", 1.0),
    "J": ("160", "330", 0.6),
    "K": ("100", "100", 1.0),
    "L": ("101", "101", 1.0),
    "M": ("502", "502", 1.0),
    "N": ("501", "501", 1.0),
    "P": ("171", "171", 1.0),
    "Q": ("107", "107", 1.0),
    "S": ("303", "303", 1.0),
    "V": ("110", "110", 1.0),
    "Y": ("100", "300", 0.5),
}

# Primary diagnoses (ICD-10 without the dot) by HRG prefix, longest prefix wins.
_DIAGNOSES: Final[dict[str, tuple[str, ...]]] = {
    "HT12": ("S720", "S721", "S722"),
    "HT13": ("S720", "S721", "S722"),
    "HT": ("S525", "S826", "S422", "S620", "S822"),
    "HN1": ("M161", "M169", "M160"),
    "HN2": ("M171", "M179", "M170"),
    "HN": ("M750", "M751", "M179", "M233", "M201", "M190"),
    "HC": ("M511", "M545", "M480"),
    "HD": ("M069", "M797", "M150", "M810"),
    "HE": ("T845", "M869"),
    "H": ("M255", "M199", "M796"),
    "AA35": ("I634", "I635", "I639", "I619", "I64X"),
    "AA": ("G409", "G450", "R51X", "G35X", "G20X", "R55X"),
    "AB": ("M545", "G589", "R522"),
    "B": ("H251", "H269", "H353", "H402", "H330"),
    "CA": ("J350", "J343", "H669", "D110"),
    "CB": ("J029", "J36X", "R040", "H811"),
    "CD": ("K021", "K011", "K048"),
    "DX": ("U071",),
    "DZ11": ("J189", "J181", "J159", "J690"),
    "DZ15": ("J459", "J450", "J46X"),
    "DZ17": ("C349", "C341", "C343"),
    "DZ65": ("J440", "J441", "J449"),
    "D": ("J440", "J441", "J189", "J22X", "J459", "J90X", "C349"),
    "EB03": ("I500", "I501", "I509"),
    "EB10": ("I214", "I219", "I249"),
    "EB13": ("I209", "I208", "I251"),
    "EB": ("I500", "I214", "I480", "R074", "I269", "I10X"),
    "E": ("I480", "I251", "R002", "I350"),
    "FD": ("K590", "K297", "K921", "R101", "K529", "K509"),
    "FE": ("K219", "K297", "D509", "K635", "R195", "K573"),
    "F": ("K409", "K358", "K429", "K802", "K566"),
    "GC": ("K802", "K810", "K851", "K703", "R17X"),
    "G": ("K802", "K801", "K831", "K860"),
    "JA": ("C509", "D486", "N63X"),
    "JB": ("T302", "T213"),
    "JD": ("L039", "L031", "L309", "L409"),
    "J": ("L721", "D225", "C443", "L905", "L600"),
    "KB": ("E119", "E109", "E115", "E116"),
    "KC": ("E871", "E86X", "E162", "E119", "E101"),
    "K": ("E041", "E210", "E278"),
    "LA01": ("N185", "N184"),
    "LA02": ("N185", "N184"),
    "LA03": ("N185", "N184"),
    "LA05": ("N185", "N184"),
    "LA08": ("N184", "N185", "N183", "N189"),
    "LA": ("N390", "N179", "N189", "N10X"),
    "L": ("N400", "N200", "C679", "R31X", "N132"),
    "MB": ("O039", "O209", "N939", "N944"),
    "MC": ("N46X",),
    "M": ("D259", "N814", "N832", "N920", "N870"),
    "N": ("O800", "O342", "O471", "O200", "O260", "O990", "O244"),
    "PB": ("P599", "P220", "P071", "P369", "P929"),
    "PD12": ("J459", "J450"),
    "P": ("J219", "R509", "A084", "J069", "J189", "R11X", "J459"),
    "Q": ("I702", "I714", "I839", "I739", "E115"),
    "R": ("Z014",),
    "SA": ("D649", "D509", "D696", "D571"),
    "SB": ("C509", "C189", "C349", "C61X", "C900", "C859", "C56X"),
    "SC": ("C509", "C61X", "C349", "C20X", "C679"),
    "VA": ("T07X", "S069", "S270", "S361"),
    "VC": ("Z501", "I693"),
    "WD02": ("F039", "F019", "F009", "G309"),
    "WD07": ("F209", "F200", "F250", "F29X"),
    "WD": ("F050", "F051", "F101", "F102", "F329"),
    "WH": ("Z539", "Z098", "T814", "Z488"),
    "WJ": ("A419", "A410", "D849", "R509", "T810"),
    "YQ": ("I802", "I269"),
    "YR": ("N185", "T827", "Z452"),
    "Y": ("I802", "J90X", "R59X", "N185", "C229"),
    "": ("R69X", "R53X"),
}


# Diagnoses that show no long-term condition, for HRGs whose own list has none (longest prefix wins).
_CONDITION_FREE_DIAGNOSES: Final[dict[str, tuple[str, ...]]] = {
    "KB": ("R739", "E162"),
    "DZ15": ("J22X", "R062"),
    "DZ17": ("D381", "R911"),
    "DZ65": ("J22X", "R060"),
    "EB03": ("R570", "R609"),
    "EB10": ("R074", "R079"),
    "EB13": ("R074", "R072"),
    "LA": ("N289", "R944"),
    "PD12": ("J219", "R062"),
    "SB": ("D489", "Z511"),
    "SC": ("D489", "Z510"),
    "WD02": ("F059", "R410"),
    "WD07": ("F419", "F489"),
    "": ("R69X", "R53X"),
}

_T = TypeVar("_T")


def longest_prefix(table: dict[str, _T], code: str, default: _T) -> _T:
    """The value of the longest key that `code` starts with, else `default`."""
    best = max((p for p in table if code.startswith(p)), key=len, default=None)
    return table[best] if best is not None else default


def diagnoses_for(hrg: str) -> tuple[str, ...]:
    """The primary diagnoses an event with this HRG (or HRG prefix) is drawn from."""
    return longest_prefix(_DIAGNOSES, hrg, _DIAGNOSES[""])


@cache
def condition_free_diagnoses(hrg: str) -> tuple[str, ...]:
    """The HRG's diagnoses that show no long-term condition (or, where it has none, others that fit the HRG)."""
    prefixes = tuple(p for condition in ics_definitions.CONDITIONS for p in condition.diagnoses)
    free = tuple(code for code in diagnoses_for(hrg) if not code.startswith(prefixes))
    return free or longest_prefix(_CONDITION_FREE_DIAGNOSES, hrg, _CONDITION_FREE_DIAGNOSES[""])


@dataclass(frozen=True)
class Clinical:
    """Row-aligned clinical details of a currency table: TFC choices and a diagnosis list per row."""

    tfc_usual: Strs
    tfc_other: Strs
    tfc_usual_share: Floats
    diagnosis_start: Ints
    diagnosis_count: Ints
    diagnosis_codes: Strs


@cache
def clinical(department: str) -> Clinical:
    """TFC and diagnosis choices for every row of a department's currencies."""
    cur = currencies(department)
    usual, other, share, start, count = [], [], [], [], []
    flat: list[str] = []
    for code, procedural in zip(cur.codes.tolist(), cur.procedural.tolist(), strict=True):
        table = _PROCEDURAL_TFC if procedural else _MEDICAL_TFC
        tfc = longest_prefix(table, code, ("300", "300", 1.0))
        usual.append(tfc[0])
        other.append(tfc[1])
        share.append(tfc[2])
        diagnoses = diagnoses_for(code)
        start.append(len(flat))
        count.append(len(diagnoses))
        flat.extend(diagnoses)
    return Clinical(
        tfc_usual=np.array(usual),
        tfc_other=np.array(other),
        tfc_usual_share=np.array(share, dtype=np.float64),
        diagnosis_start=np.array(start, dtype=np.int64),
        diagnosis_count=np.array(count, dtype=np.int64),
        diagnosis_codes=np.array(flat),
    )


def draw_tfc(
    rng: np.random.Generator,
    department: str,
    rows: Ints,
    age: npt.NDArray[np.int32],
    procedural: Bools,
    *,
    emergency: bool,
) -> Strs:
    """Treatment function per event: the HRG's usual specialty, paediatric for children, geriatric for some elderly."""
    info = clinical(department)
    cur = currencies(department)
    hrg = cur.codes[rows]
    tfc = np.where(rng.random(len(rows)) < info.tfc_usual_share[rows], info.tfc_usual[rows], info.tfc_other[rows])
    fixed = np.char.startswith(hrg, "AA35") | np.char.startswith(hrg, "N") | np.char.startswith(hrg, "M")
    child = (age <= 16) & ~fixed
    ortho = np.char.startswith(hrg, "H") | np.char.startswith(hrg, "V")
    tfc = np.where(child & ~procedural, "420", tfc)
    tfc = np.where(child & procedural, np.where(ortho, "214", "171"), tfc)
    tfc = np.where(np.char.startswith(hrg, "PB") & (age == 0), "422", tfc)
    if emergency:
        geriatric = (age >= 75) & ~procedural & ~fixed & (rng.random(len(rows)) < 0.35)
        tfc = np.where(geriatric, "430", tfc)
    return np.asarray(tfc)


def draw_diagnosis(rng: np.random.Generator, department: str, rows: Ints) -> Strs:
    """A primary diagnosis that fits each event's HRG."""
    info = clinical(department)
    pick = info.diagnosis_start[rows] + np.floor(rng.random(len(rows)) * info.diagnosis_count[rows]).astype(np.int64)
    return np.asarray(info.diagnosis_codes[pick])


# Length of stay: share of the national unit cost that is ward care, by POD and whether the HRG is a procedure.
_WARD_SHARE: Final[dict[tuple[str, bool], float]] = {
    ("NEL", False): 0.52,
    ("NEL", True): 0.3,
    ("EL", False): 0.45,
    ("EL", True): 0.22,
}
# HRG groups with a known typical stay (mean days across the group; each HRG scaled by its cost within it).
_LOS_TARGETS: Final[dict[tuple[str, str], float]] = {
    ("NEL", "HT12"): 17.0,
    ("NEL", "HT13"): 14.0,
    ("NEL", "AA35"): 11.0,
}
NES_ONE_DAY_SHARE: Final = 0.6
SAME_DAY_WARD_DAYS: Final = 0.5


@cache
def expected_los(pod: str) -> Floats:
    """Mean length of stay (days) per row of the POD's currencies.

    Derived from the national unit cost (the ward share of it at a reference cost per bed day), so that ward cost
    driven by length of stay and the national cost agree, except for HRG groups with a well-known stay.
    """
    cur = for_pod(pod)
    if pod in ("DC", "RP"):
        return np.zeros(len(cur))
    if pod == "NES":
        return np.full(len(cur), NES_ONE_DAY_SHARE)
    share = np.where(cur.procedural, _WARD_SHARE[(pod, True)], _WARD_SHARE[(pod, False)])
    low, high = (2.5, 35.0) if pod == "NEL" else (1.0, 25.0)
    los = np.clip(share * cur.unit_cost / REFERENCE_WARD_RATE, low, high)
    for (target_pod, prefix), mean_days in _LOS_TARGETS.items():
        if target_pod != pod:
            continue
        rows = cur.starts_with(prefix)
        if rows.any():
            mean_cost = np.average(cur.unit_cost[rows], weights=cur.activity[rows])
            los = np.where(rows, mean_days * cur.unit_cost / mean_cost, los)
    return np.asarray(los, dtype=np.float64)


def expected_ward_days(pod: str) -> Floats:
    """Expected bed days per row for budgeting the record's non-ward cost (same-day stays count half a day)."""
    if pod in ("DC", "RP"):
        return np.full(len(for_pod(pod)), SAME_DAY_WARD_DAYS)
    if pod == "NES":
        return np.full(len(for_pod(pod)), NES_ONE_DAY_SHARE + (1 - NES_ONE_DAY_SHARE) * SAME_DAY_WARD_DAYS)
    return expected_los(pod)


def draw_los(rng: np.random.Generator, pod: str, rows: Ints) -> Ints:
    """Length of stay per episode: gamma around the HRG's mean, at least 2 days for NEL and 1 for EL."""
    n = len(rows)
    if pod in ("DC", "RP"):
        return np.zeros(n, dtype=np.int64)
    if pod == "NES":
        return (rng.random(n) < NES_ONE_DAY_SHARE).astype(np.int64)
    mean = expected_los(pod)[rows]
    shape = 3.0
    days = np.rint(rng.gamma(shape, mean / shape)).astype(np.int64)
    return np.clip(days, 2 if pod == "NEL" else 1, 120)

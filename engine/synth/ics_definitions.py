"""What links records across providers: the ICS's places, its long-term conditions and its care pathways.

These definitions are the single source for both sides of the synthetic ICS: the generator uses them to give
residents conditions that show in their records and to schedule follow-on care after index admissions, and
`ics_config` writes them into ics.toml ([population], [[long_term_conditions]], [[pathways]]) so the engine
reads the records with exactly the rules the generator followed.

Codes match as prefixes, as the engine matches them: a patient has a condition in a year when any of their records
has a primary diagnosis starting with one of the condition's `diagnoses`, or a service code starting with one of its
`services`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Place:
    """A group of local authority districts (IMD 2019 names) the population view reports on."""

    name: str
    districts: tuple[str, ...]


PLACES: Final[tuple[Place, ...]] = (
    Place("Fylde Coast", ("Blackpool", "Fylde", "Wyre")),
    Place("Morecambe Bay", ("Lancaster", "South Lakeland", "Barrow-in-Furness")),
    Place("Central Lancashire", ("Preston", "Chorley", "South Ribble")),
    Place("West Lancashire", ("West Lancashire",)),
    Place(
        "Pennine Lancashire",
        ("Blackburn with Darwen", "Burnley", "Pendle", "Hyndburn", "Rossendale", "Ribble Valley"),
    ),
)


@dataclass(frozen=True)
class Condition:
    """A long-term condition and the codes that show a patient has it (ICD-10 and service code prefixes)."""

    name: str
    label: str
    diagnoses: tuple[str, ...]
    services: tuple[str, ...] = ()


def _numbered(letter: str, first: int, last: int) -> tuple[str, ...]:
    """ICD-10 three-character categories from first to last: _numbered("E", 10, 14) = E10 ... E14."""
    return tuple(f"{letter}{n:02d}" for n in range(first, last + 1))


CONDITIONS: Final[tuple[Condition, ...]] = (
    Condition("diabetes", "Diabetes", _numbered("E", 10, 14), ("DIABETES",)),
    Condition("copd", "COPD", _numbered("J", 41, 44), ("RESPIRATORY",)),
    Condition("asthma", "Asthma", ("J45", "J46")),
    Condition("heart_failure", "Heart failure", ("I50",), ("HEARTFAILURE",)),
    Condition("atrial_fibrillation", "Atrial fibrillation", ("I48",)),
    Condition("coronary_heart_disease", "Coronary heart disease", _numbered("I", 20, 25)),
    Condition("chronic_kidney_disease", "Chronic kidney disease", ("N18",)),
    Condition("dementia", "Dementia", (*_numbered("F", 0, 3), "G30"), ("MEMORY",)),
    Condition("cancer", "Cancer", ("C",)),
    Condition("serious_mental_illness", "Serious mental illness", _numbered("F", 20, 31), ("EIP", "CMHT")),
)
CONDITION_NAMES: Final[tuple[str, ...]] = tuple(c.name for c in CONDITIONS)


def condition_index(name: str) -> int:
    """The column of a condition in a population's condition matrix."""
    return CONDITION_NAMES.index(name)


@dataclass(frozen=True)
class Events:
    """Which records a pathway's index or step takes: every filter that is set must match (codes as prefixes)."""

    settings: tuple[str, ...]
    pods: tuple[str, ...] = ()
    diagnoses: tuple[str, ...] = ()
    hrgs: tuple[str, ...] = ()
    services: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """A step of a pathway: its events, during the index stay or from the index discharge up to `to_day` days on."""

    name: str
    events: Events
    window: str
    to_day: int | None = None


@dataclass(frozen=True)
class Pathway:
    """A care pathway: an index admission and the steps that follow it."""

    name: str
    label: str
    index: Events
    steps: tuple[Step, ...]


FOLLOW_UP_DAYS: Final = 90
REHAB_SERVICES: Final = ("PHYSIO", "OT", "REHAB")
_STEPS: Final = (
    Step("critical_care", Events(("cc",)), "during"),
    Step("readmissions", Events(("apc",), pods=("NEL", "NES")), "after", 30),
    Step("outpatient_follow_up", Events(("op",), pods=("OPFU",)), "after", FOLLOW_UP_DAYS),
    Step("community_rehabilitation", Events(("chs",), services=REHAB_SERVICES), "after", FOLLOW_UP_DAYS),
)
HIP_FRACTURE: Final = "hip_fracture"
KNEE_REPLACEMENT: Final = "knee_replacement"
PATHWAYS: Final[tuple[Pathway, ...]] = (
    Pathway(
        HIP_FRACTURE,
        "Hip fracture (non-elective)",
        Events(("apc",), pods=("NEL", "NES"), diagnoses=("S720", "S721", "S722")),
        _STEPS,
    ),
    Pathway(
        KNEE_REPLACEMENT,
        "Knee replacement (elective)",
        Events(("apc",), pods=("EL",), hrgs=("HN22", "HN23")),
        _STEPS,
    ),
)


def distinct(values: npt.NDArray[np.str_]) -> tuple[list[str], npt.NDArray[np.int64]]:
    """The distinct codes of an array and, per value, the position of its code (hashing, not sorting: chunks are big
    and hold few distinct codes)."""
    encoded = pa.array(np.asarray(values, dtype=str), pa.string()).dictionary_encode()
    return encoded.dictionary.to_pylist(), encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def starts_with_any(values: npt.NDArray[np.str_], prefixes: tuple[str, ...]) -> Bools:
    """Which values start with one of the prefixes (each distinct value is tested once)."""
    if len(values) == 0 or not prefixes:
        return np.zeros(len(values), dtype=np.bool_)
    unique, index = distinct(values)
    hits = np.array([v.startswith(prefixes) for v in unique], dtype=np.bool_)
    return np.asarray(hits[index], dtype=np.bool_)


def condition_of_codes(values: npt.NDArray[np.str_], field: str) -> npt.NDArray[np.int64]:
    """Per value, the condition whose diagnosis (field "diagnosis") or service prefixes it starts with, else -1."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    unique, index = distinct(values)
    lookup = np.array([_condition_of(v, field) for v in unique], dtype=np.int64)
    return np.asarray(lookup[index], dtype=np.int64)


@cache
def _condition_of(value: str, field: str) -> int:
    for k, condition in enumerate(CONDITIONS):
        if value.startswith(condition.diagnoses if field == "diagnosis" else condition.services):
            return k
    return -1

"""Synthetic residents of Lancashire and South Cumbria: where they live, their age, sex, GP and home hospital.

Residents are placed in real LSOAs in proportion to the LSOAs' populations and given ages from each LSOA's own age
bands, so deprivation and age structure are those of the real places. Everything personal is made up: NHS numbers
come from the 999 test range, GP practices are fictional (`Z` + 5 digits).

How much care a resident uses is a weight: an age factor that rises steeply after 65 (per setting, since children
fill paediatric clinics and emergency departments but few wards), a deprivation factor and a heavy-tailed individual
frailty (gamma, shape 0.5) so that a fifth of patients carry most of the cost, as the Derbyshire PLICS work found.
Residents have long-term conditions (see `conditions`), drawn from age, deprivation and frailty; each condition
raises the resident's frailty by half its drawn value again.

Mental health care is concentrated, as it is in England: about 6% of residents are in contact with the mental health
trust in a year (more where deprived), nearly everyone with a serious mental illness and most with dementia; only they
have a mental health weight, which is higher for serious mental illness and dementia.

In a national-shaped set the added acute trusts take home patients in proportion to their sizes (`system_scale`):
each resident keeps the home of their district with the ICS's trusts' share of the total size, else is given an added
trust's. The residents still live in the ICS's LSOAs, so deprivation and age are realistic, but the geography is the
ICS's repeated: a national set is for measuring scale and comparing providers, not for mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from engine import reference
from engine.nhs_number import synthetic_numbers, test_range_numbers
from engine.synth import conditions
from engine.synth.ics_definitions import condition_index
from engine.synth.providers import ACUTE, BASE_ROSTER, PROVIDERS, Roster
from engine.synth.seeding import chunk_rng

Floats = npt.NDArray[np.float64]

RESIDENTS_PER_PRACTICE: Final = 8_000
PATIENTS_AT_SCALE_ONE: Final = 850_000
MIN_PATIENTS: Final = 200
FRAILTY_CAP: Final = 12.0
# Mental health: chance of being in contact in the year, its rise per IMD decile more deprived than the middle, the
# chance for residents with a serious mental illness or dementia, and how much more those use.
MH_CONTACT_SHARE: Final = 0.045
MH_CONTACT_DEPRIVATION: Final = 0.08
MH_CONTACT_WITH_CONDITION: Final[dict[str, float]] = {"serious_mental_illness": 0.85, "dementia": 0.6}
MH_WEIGHT_WITH_CONDITION: Final[dict[str, float]] = {"serious_mental_illness": 2.0, "dementia": 1.0}
MH_FRAILTY_CAP: Final = 30.0

# Age knots and relative use per setting (interpolated linearly between knots).
_AGE_CURVES: Final[dict[str, tuple[tuple[float, ...], tuple[float, ...]]]] = {
    "apc": ((0, 1, 5, 16, 45, 65, 75, 85, 100), (2.0, 0.9, 0.45, 0.6, 0.9, 1.8, 3.2, 5.5, 7.0)),
    "op": ((0, 5, 16, 45, 65, 75, 85, 100), (1.0, 0.7, 0.7, 1.0, 1.6, 2.2, 2.5, 2.2)),
    "ec": ((0, 5, 16, 25, 45, 65, 80, 100), (2.0, 1.0, 1.2, 1.3, 0.9, 1.1, 2.0, 2.6)),
    "cc": ((0, 1, 5, 16, 45, 65, 75, 85, 100), (2.0, 0.9, 0.45, 0.6, 0.9, 1.8, 3.2, 5.5, 7.0)),
    "mh": ((0, 12, 18, 25, 45, 65, 80, 100), (0.1, 0.5, 1.0, 1.2, 1.0, 0.6, 0.9, 0.8)),
    "chs": ((0, 2, 5, 16, 45, 65, 75, 85, 100), (3.0, 1.5, 0.6, 0.3, 0.5, 1.2, 3.0, 6.0, 8.0)),
}
_DEPRIVATION_GRADIENT: Final[dict[str, float]] = {"mh": 0.12}


@dataclass(frozen=True)
class Population:
    """Per-patient arrays, all of the same length; `lsoa`, `gp_practice`, `sex` and `nhs_number` are Arrow arrays."""

    size: int
    nhs_number: Any
    lsoa: Any
    gp_practice: Any
    sex: Any
    age: npt.NDArray[np.int32]
    female: npt.NDArray[np.bool_]
    imd_decile: npt.NDArray[np.int32]
    home: npt.NDArray[np.int32]
    frailty: Floats
    mh_frailty: Floats
    practice_codes: tuple[str, ...]
    practice_index: npt.NDArray[np.int32]
    conditions: npt.NDArray[np.bool_]
    mh_team_draw: Floats

    @property
    def practices(self) -> int:
        return len(self.practice_codes)

    def has(self, condition: str) -> npt.NDArray[np.bool_]:
        """Which residents have a long-term condition."""
        return np.asarray(self.conditions[:, condition_index(condition)], dtype=np.bool_)

    def utilisation(self, setting: str) -> Floats:
        """Relative use of a setting's services by each patient (not normalised)."""
        knots, values = _AGE_CURVES[setting]
        age_factor = np.interp(self.age.astype(np.float64), knots, values)
        gradient = _DEPRIVATION_GRADIENT.get(setting, 0.06)
        deprivation = 1.0 + gradient * (10 - self.imd_decile)
        frailty = self.mh_frailty if setting == "mh" else self.frailty
        return np.asarray(age_factor * deprivation * frailty, dtype=np.float64)


@cache
def _test_range_size() -> int:
    return len(test_range_numbers())


def patient_count(scale: float) -> int:
    """850,000 patients at scale 1, at least 200, at most the number of valid test-range NHS numbers."""
    wanted = max(MIN_PATIENTS, round(PATIENTS_AT_SCALE_ONE * scale))
    return min(wanted, _test_range_size())


def system_scale(scale: float, providers: Roster = BASE_ROSTER) -> float:
    """The share of the reference population the residents stand for: `scale` times the acute trusts' total size
    against the ICS's three (the same as `scale` for the ICS alone), so volumes per provider follow `scale`."""
    sizes = sum(providers.provider(code).size for code in providers.acute)
    return scale * sizes / len(ACUTE)


def build(n_patients: int, seed: int, providers: Roster = BASE_ROSTER) -> Population:
    """Draw the residents."""
    rng = chunk_rng(seed, "population")
    places = reference.lsoas(reference.LANCASHIRE_AND_SOUTH_CUMBRIA)
    lsoa_pop = np.array([p.population for p in places], dtype=np.float64)
    where = rng.choice(len(places), size=n_patients, p=lsoa_pop / lsoa_pop.sum())

    bands = np.array([[p.population_0_15, p.population_16_59, p.population_60_plus] for p in places], dtype=np.float64)
    bands /= bands.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(bands, axis=1)[where]
    draw = rng.random(n_patients)
    band = (draw >= cumulative[:, 0]).astype(np.int32) + (draw >= cumulative[:, 1]).astype(np.int32)
    age = np.where(
        band == 0,
        rng.integers(0, 16, n_patients),
        np.where(
            band == 1,
            rng.integers(16, 60, n_patients),
            60 + np.floor(41 * rng.beta(1.0, 2.4, n_patients)).astype(np.int64),
        ),
    ).astype(np.int32)
    female_share = np.where(age >= 85, 0.66, np.where(age >= 75, 0.57, 0.505))
    female = rng.random(n_patients) < female_share

    districts = sorted({p.district for p in places})
    district_of = np.array([districts.index(p.district) for p in places], dtype=np.int32)
    practice_of_lsoa, practice_codes, first_practice, practice_count = _practices(places, districts)
    own = practice_of_lsoa[where]
    patient_district = district_of[where]
    other = first_practice[patient_district] + np.floor(
        rng.random(n_patients) * practice_count[patient_district]
    ).astype(np.int32)
    practice = np.where(rng.random(n_patients) < 0.85, own, other)

    home_by_district = np.full(len(districts), -1, dtype=np.int32)
    for index, code in enumerate(ACUTE):
        spec = next(p for p in PROVIDERS if p.code == code)
        for district in spec.home_districts:
            home_by_district[districts.index(district)] = index
    if (home_by_district < 0).any():
        raise ValueError("every district needs a home acute provider")

    lsoa_codes = pa.array([p.code for p in places], pa.string())
    imd_decile = np.array([p.imd_decile for p in places], dtype=np.int32)[where]
    frailty = np.minimum(rng.gamma(0.5, 2.0, n_patients), FRAILTY_CAP)
    has = conditions.draw(chunk_rng(seed, "population", "conditions"), age, imd_decile, frailty)
    mh_rng = chunk_rng(seed, "population", "mental health")
    mh_frailty = _mental_health_frailty(mh_rng, imd_decile, has)
    mh_team_draw = mh_rng.random(n_patients)
    return Population(
        size=n_patients,
        nhs_number=pa.array(synthetic_numbers(np.arange(n_patients, dtype=np.int64)), pa.string()),
        lsoa=lsoa_codes.take(pa.array(where)),
        gp_practice=pa.array(practice_codes, pa.string()).take(pa.array(practice)),
        sex=pa.array(["M", "F"], pa.string()).take(pa.array(female.astype(np.int8))),
        age=age,
        female=female,
        imd_decile=imd_decile,
        home=_national_homes(home_by_district[patient_district], seed, providers),
        frailty=frailty * conditions.utilisation_factor(has),
        mh_frailty=mh_frailty,
        practice_codes=tuple(practice_codes),
        practice_index=practice.astype(np.int32),
        conditions=has,
        mh_team_draw=mh_team_draw,
    )


def _national_homes(home: npt.NDArray[np.int32], seed: int, providers: Roster) -> npt.NDArray[np.int32]:
    """Give residents to the added acute trusts in proportion to their sizes (unchanged for the ICS alone)."""
    extra = providers.extra_acute
    if not extra:
        return home
    sizes = np.array([providers.provider(code).size for code in extra])
    rng = chunk_rng(seed, "population", "national homes")
    moved = rng.random(len(home)) < sizes.sum() / (sizes.sum() + len(ACUTE))
    added = len(ACUTE) + choose_index(rng, sizes / sizes.sum(), int(moved.sum()))
    out = home.copy()
    out[moved] = added
    return out


def choose_index(rng: np.random.Generator, p: Floats, n: int) -> npt.NDArray[np.int32]:
    """n draws of an index with probabilities p."""
    return np.asarray(rng.choice(len(p), size=n, p=p), dtype=np.int32)


def _mental_health_frailty(
    rng: np.random.Generator, imd_decile: npt.NDArray[np.int32], has: npt.NDArray[np.bool_]
) -> Floats:
    """Mental health weight: zero for residents not in contact this year, gamma (mean 1) raised by condition."""
    n = len(imd_decile)
    chance = MH_CONTACT_SHARE * np.maximum(1.0 + MH_CONTACT_DEPRIVATION * (5.5 - imd_decile), 0.0)
    weight = np.ones(n)
    for name, share in MH_CONTACT_WITH_CONDITION.items():
        column = has[:, condition_index(name)]
        chance = np.where(column, np.maximum(chance, share), chance)
        weight = weight + MH_WEIGHT_WITH_CONDITION[name] * column
    in_contact = rng.random(n) < chance
    return np.asarray(np.minimum(np.where(in_contact, rng.gamma(0.7, 1 / 0.7, n) * weight, 0.0), MH_FRAILTY_CAP))


@cache
def reference_population() -> int:
    """Residents of the reference population: the mid-2015 population of the ICS's districts."""
    return sum(p.population for p in reference.lsoas(reference.LANCASHIRE_AND_SOUTH_CUMBRIA))


def gp_list_sizes(people: Population, scale: float) -> dict[str, int]:
    """Registered patients per practice at the same scale as the reference population.

    The synthetic residents registered at a practice, each standing for reference population x scale / residents
    people, so the list sizes add up to about the reference population x scale.
    """
    per_resident = reference_population() * scale / people.size
    registered = np.bincount(people.practice_index, minlength=people.practices) * per_resident
    return {code: round(float(n)) for code, n in zip(people.practice_codes, registered, strict=True)}


def _practices(
    places: tuple[reference.Lsoa, ...], districts: list[str]
) -> tuple[npt.NDArray[np.int32], list[str], npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Fictional GP practices: about one per 8,000 residents, each serving a block of its district's LSOAs.

    LSOA codes run roughly in geographic order within a district, so a block of consecutive codes is a plausible
    practice catchment.
    """
    practice_of_lsoa = np.zeros(len(places), dtype=np.int32)
    codes: list[str] = []
    first = np.zeros(len(districts), dtype=np.int32)
    count = np.zeros(len(districts), dtype=np.int32)
    for d, district in enumerate(districts):
        members = sorted((p.code, i) for i, p in enumerate(places) if p.district == district)
        residents = sum(places[i].population for _, i in members)
        n = max(1, min(len(members), round(residents / RESIDENTS_PER_PRACTICE)))
        first[d], count[d] = len(codes), n
        for k, block in enumerate(np.array_split(np.array([i for _, i in members]), n)):
            practice_of_lsoa[block] = len(codes)
            codes.append(f"Z{d + 1:02d}{k + 1:03d}")
    return practice_of_lsoa, codes, first, count

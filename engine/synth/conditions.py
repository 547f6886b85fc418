"""Long-term conditions: who has them, how they raise care use, and how they show in the records.

Each resident's conditions are drawn with a prevalence that rises with age (linear between knots, roughly the English
QOF registers) and with deprivation (a relative change per IMD decile from the middle), scaled by the resident's
individual frailty (to the power `FRAILTY_LINK`, normalised to mean 1), so that conditions cluster in the same people.
A resident's utilisation weight is then multiplied by 1 + `UTILISATION_PER_CONDITION` x their number of conditions.

The records show a condition in three ways, all within the rule of `ics_definitions.CONDITIONS`:
* HRGs that define a condition (diabetes HRGs, COPD, asthma, heart failure, chemotherapy ...) are drawn only for
  patients who have it, with diagnoses of that condition, and related HRGs (other cardiac or respiratory care ...)
  partly from them;
* admissions of a patient with a condition whose HRG fits it (a cardiac HRG for heart failure ...) carry the
  condition's diagnosis with the condition's probability; and condition diagnoses drawn for patients without the
  condition are replaced by other diagnoses of the HRG, so every condition code belongs to a patient who has it;
* community specialist nursing for diabetes, respiratory and cardiac care goes to patients with diabetes, COPD and heart
  failure under the services DIABETES, RESPIRATORY and HEARTFAILURE (see also the mental health teams in `community`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from engine.synth import casemix
from engine.synth.ics_definitions import CONDITION_NAMES, CONDITIONS, condition_index, condition_of_codes, distinct

if TYPE_CHECKING:
    from engine.synth.events import Records

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Strs = npt.NDArray[np.str_]

FRAILTY_LINK: Final = 0.5
UTILISATION_PER_CONDITION: Final = 0.5
MAX_CHANCE: Final = 0.95
_MIDDLE_DECILE: Final = 5.5


@dataclass(frozen=True)
class Prevalence:
    """Share of residents with a condition by age (knots, linear between) at middling deprivation, and the relative
    change per IMD decile more deprived than the middle."""

    ages: tuple[float, ...]
    rates: tuple[float, ...]
    deprivation: float


PREVALENCE: Final[dict[str, Prevalence]] = {
    "diabetes": Prevalence(
        (0, 16, 25, 40, 50, 60, 70, 80, 100), (0.002, 0.004, 0.012, 0.04, 0.075, 0.115, 0.15, 0.16, 0.13), 0.08
    ),
    "copd": Prevalence((0, 35, 45, 55, 65, 75, 85, 100), (0.0, 0.0, 0.006, 0.02, 0.045, 0.07, 0.08, 0.07), 0.14),
    "asthma": Prevalence((0, 6, 16, 40, 70, 100), (0.02, 0.07, 0.065, 0.06, 0.07, 0.06), 0.03),
    "heart_failure": Prevalence(
        (0, 40, 50, 60, 70, 80, 90, 100), (0.0, 0.001, 0.003, 0.008, 0.02, 0.045, 0.08, 0.1), 0.07
    ),
    "atrial_fibrillation": Prevalence(
        (0, 40, 50, 60, 70, 80, 90, 100), (0.0, 0.001, 0.005, 0.015, 0.05, 0.1, 0.14, 0.14), 0.02
    ),
    "coronary_heart_disease": Prevalence(
        (0, 35, 45, 55, 65, 75, 85, 100), (0.0, 0.001, 0.007, 0.025, 0.06, 0.1, 0.13, 0.13), 0.08
    ),
    "chronic_kidney_disease": Prevalence(
        (0, 18, 40, 50, 60, 70, 80, 90, 100), (0.0, 0.001, 0.006, 0.015, 0.035, 0.08, 0.16, 0.24, 0.24), 0.05
    ),
    "dementia": Prevalence(
        (0, 55, 65, 70, 75, 80, 85, 90, 100), (0.0, 0.0005, 0.008, 0.015, 0.03, 0.06, 0.1, 0.16, 0.22), 0.04
    ),
    "cancer": Prevalence(
        (0, 20, 30, 40, 50, 60, 70, 80, 100), (0.001, 0.002, 0.005, 0.01, 0.02, 0.045, 0.08, 0.11, 0.11), 0.02
    ),
    "serious_mental_illness": Prevalence(
        (0, 15, 18, 25, 45, 65, 100), (0.0, 0.0005, 0.006, 0.011, 0.012, 0.009, 0.007), 0.12
    ),
}

# ICD-10 codes (no dot) an admission of a patient with the condition is given when its HRG fits the condition.
CODES: Final[dict[str, tuple[str, ...]]] = {
    "diabetes": ("E119", "E109", "E115", "E111", "E116"),
    "copd": ("J440", "J441", "J449", "J439"),
    "asthma": ("J459", "J450", "J46X"),
    "heart_failure": ("I500", "I501", "I509"),
    "atrial_fibrillation": ("I480", "I481", "I489"),
    "coronary_heart_disease": ("I214", "I219", "I209", "I251", "I249"),
    "chronic_kidney_disease": ("N184", "N185", "N183", "N189"),
    "dementia": ("F039", "F019", "F009", "G309"),
    "cancer": ("C349", "C509", "C189", "C61X", "C679", "C20X", "C259", "C169"),
    "serious_mental_illness": ("F209", "F200", "F250", "F319", "F29X"),
}
# Who an HRG's events are drawn from, longest prefix first: per condition, the share of events drawn among patients
# who have it (the rest from anyone). A share of 1 means the HRG defines the condition: its diagnoses in casemix are
# the condition's codes.
DRAWN_FROM: Final[dict[str, tuple[tuple[str, float], ...]]] = {
    "KB": (("diabetes", 1.0),),
    "KC": (("diabetes", 0.3), ("chronic_kidney_disease", 0.2)),
    "DZ65": (("copd", 1.0),),
    "DZ15": (("asthma", 1.0),),
    "PD12": (("asthma", 1.0),),
    "DZ17": (("cancer", 1.0),),
    "DZ": (("copd", 0.25), ("asthma", 0.08)),
    "EB03": (("heart_failure", 1.0),),
    "EB07": (("atrial_fibrillation", 0.6),),
    "EB10": (("coronary_heart_disease", 1.0),),
    "EB13": (("coronary_heart_disease", 1.0),),
    "EB": (("heart_failure", 0.15), ("atrial_fibrillation", 0.15), ("coronary_heart_disease", 0.15)),
    "EY3": (("atrial_fibrillation", 0.7),),
    "EY4": (("coronary_heart_disease", 0.7),),
    "ED2": (("coronary_heart_disease", 0.8),),
    "LA01": (("chronic_kidney_disease", 1.0),),
    "LA02": (("chronic_kidney_disease", 1.0),),
    "LA03": (("chronic_kidney_disease", 1.0),),
    "LA05": (("chronic_kidney_disease", 1.0),),
    "LA08": (("chronic_kidney_disease", 1.0),),
    "LA": (("chronic_kidney_disease", 0.3),),
    "WD02": (("dementia", 1.0),),
    "WD07": (("serious_mental_illness", 1.0),),
    "WD": (("dementia", 0.2), ("serious_mental_illness", 0.2)),
    "SB": (("cancer", 1.0),),
    "SC": (("cancer", 1.0),),
}
# Per condition, the HRGs that fit it (longest prefix wins) and the chance that an admission there of a patient with
# the condition carries the condition's diagnosis.
FITTING_HRGS: Final[dict[str, dict[str, float]]] = {
    "diabetes": {"KC": 0.35, "Q": 0.35},
    "copd": {"DZ": 0.45, "DX": 0.3},
    "asthma": {"DZ": 0.25, "PD": 0.35},
    "heart_failure": {"EB": 0.35, "E": 0.25},
    "atrial_fibrillation": {"EB07": 0.8, "EY3": 0.8, "EB": 0.2, "E": 0.15},
    "coronary_heart_disease": {"EY4": 0.8, "ED2": 0.8, "EB": 0.3, "E": 0.25},
    "chronic_kidney_disease": {"LA": 0.45, "YR": 0.45, "KC": 0.3},
    "dementia": {"WD": 0.35},
    "cancer": {"JA": 0.3, "SA": 0.3, "FD": 0.3, "FE": 0.3, "FF": 0.3, "LB": 0.3, "MA": 0.3, "DZ": 0.3},
    "serious_mental_illness": {"WD": 0.6},
}
# Community currencies that serve a condition: drawn for patients who have it, under the service shown (None: the
# currency's own service).
CONDITION_CURRENCIES: Final[tuple[tuple[str, str, str | None], ...]] = (
    ("N15", "diabetes", "DIABETES"),
    ("N08A", "copd", "RESPIRATORY"),
    ("N08C", "asthma", None),
    ("N11A", "heart_failure", "HEARTFAILURE"),
    ("N10", "cancer", None),
    ("N09", "cancer", None),
)


def _check_definitions() -> None:
    """Every code the generator gives a condition must be one the config's rule finds for that condition."""
    if set(PREVALENCE) != set(CONDITION_NAMES) or set(CODES) != set(CONDITION_NAMES):
        raise ValueError("every long-term condition needs a prevalence and diagnosis codes")
    for condition in CONDITIONS:
        for code in CODES[condition.name]:
            if not code.startswith(condition.diagnoses):
                raise ValueError(f"{code} is not a {condition.name} diagnosis")
    for prefix, drawn in DRAWN_FROM.items():
        if sum(share for _, share in drawn) > 1:
            raise ValueError(f"HRG {prefix}: the shares drawn from patients with conditions add up to more than 1")
        for name, share in drawn:
            condition = CONDITIONS[condition_index(name)]
            defined = share == 1.0
            if defined and not all(c.startswith(condition.diagnoses) for c in casemix.diagnoses_for(prefix)):
                raise ValueError(f"HRG {prefix} defines {name}, so its diagnoses must all be {name} codes")
    for _, name, service in CONDITION_CURRENCIES:
        if service is not None and service not in CONDITIONS[condition_index(name)].services:
            raise ValueError(f"service {service} does not show {name}")


_check_definitions()


def prevalence(age: npt.NDArray[np.int32], imd_decile: npt.NDArray[np.int32], name: str) -> Floats:
    """Chance of a condition by age and deprivation, before the individual frailty link."""
    spec = PREVALENCE[name]
    by_age = np.interp(age.astype(np.float64), spec.ages, spec.rates)
    deprivation = np.maximum(1.0 + spec.deprivation * (_MIDDLE_DECILE - imd_decile), 0.0)
    return np.asarray(by_age * deprivation, dtype=np.float64)


def draw(
    rng: np.random.Generator, age: npt.NDArray[np.int32], imd_decile: npt.NDArray[np.int32], frailty: Floats
) -> Bools:
    """Residents x conditions: who has which condition. Frailer residents have more, so conditions cluster."""
    link = np.power(frailty, FRAILTY_LINK)
    link = link / link.mean() if link.mean() > 0 else np.ones(len(frailty))
    out = np.zeros((len(age), len(CONDITIONS)), dtype=np.bool_)
    for k, name in enumerate(CONDITION_NAMES):
        chance = np.minimum(prevalence(age, imd_decile, name) * link, MAX_CHANCE)
        out[:, k] = rng.random(len(age)) < chance
    return out


def utilisation_factor(conditions: Bools) -> Floats:
    """How much more care a resident uses for their number of long-term conditions."""
    return np.asarray(1.0 + UTILISATION_PER_CONDITION * conditions.sum(axis=1), dtype=np.float64)


@cache
def _drawn_from(code: str) -> tuple[tuple[int, float], ...]:
    """The conditions an HRG's events are drawn from, with their shares."""
    return tuple((condition_index(name), share) for name, share in casemix.longest_prefix(DRAWN_FROM, code, ()))


@cache
def _fitting_chances(code: str) -> tuple[float, ...]:
    """Per condition, the chance an admission with this HRG of a patient with it carries its diagnosis."""
    return tuple(casemix.longest_prefix(FITTING_HRGS[name], code, 0.0) for name in CONDITION_NAMES)


@cache
def _currency_condition(code: str) -> int:
    names: dict[str, str | None] = {prefix: name for prefix, name, _ in CONDITION_CURRENCIES}
    name = casemix.longest_prefix(names, code, None)
    return -1 if name is None else condition_index(name)


def defining_condition(hrg: Strs) -> Ints:
    """Per HRG, the condition it defines (all its patients have it), else -1."""
    unique, inverse = distinct(hrg)
    lookup = [d[0][0] if len(d := _drawn_from(c)) == 1 and d[0][1] == 1.0 else -1 for c in unique]
    return np.asarray(np.array(lookup, dtype=np.int64)[inverse], dtype=np.int64)


def wanted_condition(rng: np.random.Generator, table: Strs, rows: Ints) -> Ints:
    """Per event (a row of the currency `table`), the condition its patient must have, drawn by the currency's shares
    in `DRAWN_FROM`, else -1."""
    draw = rng.random(len(rows))
    drawn = [_drawn_from(str(code)) for code in table.tolist()]
    width = max(1, *(len(d) for d in drawn))
    condition = np.full((len(table), width), -1, dtype=np.int64)
    share = np.zeros((len(table), width))
    for i, pairs in enumerate(drawn):
        for j, (k, value) in enumerate(pairs):
            condition[i, j], share[i, j] = k, value
    ceiling = np.cumsum(share, axis=1)[rows]
    pick = np.argmax(draw[:, None] < ceiling, axis=1)
    return np.asarray(np.where(draw < ceiling[:, -1], condition[rows, pick], -1), dtype=np.int64)


def currency_condition(table: Strs) -> Ints:
    """Per community currency of the table, the condition whose patients it serves, else -1."""
    return np.array([_currency_condition(str(code)) for code in table.tolist()], dtype=np.int64)


def currency_service(table: Strs, rows: Ints, service: Strs, has: Bools) -> Strs:
    """Community services of events (rows of the currency `table`): condition currencies move to the condition's
    service (DIABETES ...) for patients who have the condition (`has`: events x conditions)."""
    named = np.full(len(table), "", dtype=object)
    for prefix, _, name in CONDITION_CURRENCIES:
        if name is not None:
            named[np.char.startswith(table.astype(str), prefix)] = name
    condition = currency_condition(table)[rows]
    serves = (named[rows] != "") & has[np.arange(len(rows)), np.maximum(condition, 0)] & (condition >= 0)
    return np.asarray(np.where(serves, named[rows], service.astype(object))).astype(str)


def fit_diagnoses(rng: np.random.Generator, hrg: Strs, diagnosis: Strs, has: Bools) -> Strs:
    """Admissions' primary diagnoses made to agree with the patients' conditions (`has`: records x conditions).

    A patient with a condition whose HRG fits it gets the condition's diagnosis with the condition's chance (one
    condition at random where several fire); then any condition diagnosis of a patient without that condition is
    replaced by one of the HRG's other diagnoses.
    """
    n = len(hrg)
    out = diagnosis.astype("<U8")
    if n == 0:
        return out
    priority = np.full(n, -1.0)
    chosen = np.full(n, -1, dtype=np.int64)
    open_to_recoding = defining_condition(hrg) < 0
    unique, inverse = distinct(hrg)
    chances = np.array([_fitting_chances(code) for code in unique], dtype=np.float64).reshape(-1, len(CONDITIONS))
    for k in range(len(CONDITIONS)):
        fires = open_to_recoding & has[:, k] & (rng.random(n) < chances[inverse, k])
        key = np.where(fires, rng.random(n), -1.0)
        better = key > priority
        priority = np.where(better, key, priority)
        chosen = np.where(better, k, chosen)
    for k, name in enumerate(CONDITION_NAMES):
        rows = np.flatnonzero(chosen == k)
        codes = np.array(CODES[name])
        out[rows] = codes[rng.integers(0, len(codes), len(rows))]
    shown = condition_of_codes(out, "diagnosis")
    wrong = (shown >= 0) & ~has[np.arange(n), np.maximum(shown, 0)]
    for i in np.unique(inverse[wrong]).tolist():
        rows = np.flatnonzero(wrong & (inverse == i))
        others = np.array(casemix.condition_free_diagnoses(unique[i]))
        out[rows] = others[rng.integers(0, len(others), len(rows))]
    return out


class ConditionTally:
    """Which patients the records show to have each condition (by the config's rule), accumulated chunk by chunk."""

    def __init__(self, patients: int) -> None:
        self.detected = np.zeros((patients, len(CONDITIONS)), dtype=np.bool_)

    def add(self, records: Records) -> None:
        for column, field in (("primary_diagnosis", "diagnosis"), ("service_code", "service")):
            if column not in records.columns or len(records) == 0:
                continue
            shown = condition_of_codes(np.asarray(records.columns[column]), field)
            hit = shown >= 0
            self.detected[records.patient[hit], shown[hit]] = True

    def summary(self, has: Bools, age: npt.NDArray[np.int32], patient_pennies: Ints) -> dict[str, Any]:
        """Drawn and detected prevalence per condition, and cost per patient by number of conditions."""
        people = len(age)
        conditions = {}
        for k, condition in enumerate(CONDITIONS):
            drawn, found = has[:, k], self.detected[:, k]
            conditions[condition.name] = {
                "label": condition.label,
                "drawn_patients": int(drawn.sum()),
                "drawn_prevalence": _share(int(drawn.sum()), people),
                "drawn_prevalence_adults": _share(int(drawn[age >= 18].sum()), int((age >= 18).sum())),
                "detected_patients": int(found.sum()),
                "detected_prevalence": _share(int(found.sum()), people),
                "detected_without_condition": int((found & ~drawn).sum()),
            }
        return {
            "rule": "a patient has a condition when any record carries a primary diagnosis or service code starting "
            "with one of the condition's codes in ics.toml [[long_term_conditions]]",
            "frailty_link": FRAILTY_LINK,
            "utilisation_per_condition": UTILISATION_PER_CONDITION,
            "conditions": conditions,
            "cost_per_patient_by_drawn_count": _by_count(has.sum(axis=1), patient_pennies),
            "cost_per_patient_by_detected_count": _by_count(self.detected.sum(axis=1), patient_pennies),
        }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 5) if whole else None


def _by_count(count: Ints, patient_pennies: Ints, top: int = 4) -> dict[str, dict[str, Any]]:
    """Patients and mean cost (pounds) by number of conditions, the last group being `top` or more."""
    group = np.minimum(count, top)
    out = {}
    for g in range(top + 1):
        members = group == g
        patients = int(members.sum())
        mean = float(patient_pennies[members].mean()) / 100 if patients else None
        label = f"{g}+" if g == top else str(g)
        out[label] = {"patients": patients, "mean_cost": None if mean is None else round(mean, 2)}
    return out

"""What every setting's event generator shares: the chunk context, the record container and patient sampling.

A chunk is one provider, one setting and one quarter. Generators fill canonical activity columns (numpy arrays or
Arrow arrays, named as in `engine.schema`) and the inputs costing needs; they never write files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from engine.synth import casemix
from engine.synth.dates import FinYear, quarter_days
from engine.synth.population import Population
from engine.synth.providers import ProviderSpec
from engine.synth.volumes import Demand, quarter_weight

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

SETTING_TAGS = {"apc": "APC", "op": "OP", "ec": "EC", "cc": "CC", "mh": "MH", "chs": "CHS"}


@dataclass(frozen=True)
class Chunk:
    """Everything a generator needs to make one provider's events for one setting and quarter."""

    provider: ProviderSpec
    setting: str
    quarter: int
    fin_year: FinYear
    scale: float
    seed: int
    population: Population
    demand: Demand

    def expected(self, per_year: float, pod: str) -> float:
        """Expected events in this chunk from a yearly system volume at scale 1."""
        return per_year * self.scale * quarter_weight(pod, self.quarter)

    def record_ids(self, n: int, tag: str | None = None) -> Any:
        """Ids unique within provider and setting: ZZA-APC-2324Q1-0000001."""
        prefix = f"{self.provider.code}-{tag or SETTING_TAGS[self.setting]}-{self.fin_year.short}Q{self.quarter}-"
        numbers = pc.cast(pa.array(np.arange(1, n + 1, dtype=np.int64)), pa.string())
        return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, 7, "0"), "")

    def days(self, *, weekdays_only: bool = False) -> npt.NDArray[np.datetime64]:
        return quarter_days(self.fin_year, self.quarter, weekdays_only=weekdays_only)


@dataclass
class CostInputs:
    """What costing needs per record, row-aligned with the records.

    `base_cost` is the national unit cost times the quantity the currency counts (1, or bed days for critical care
    and mental health bed days). `location` maps a cost driver to an index into `locations` (-1 = blank).
    For admitted care `ward_days` are the bed days on the ward (what ward cost follows) and
    `expected_ward_days` what the national cost assumes, so the rest of the budget is not inflated by a long stay.
    """

    profile: npt.NDArray[np.str_]
    base_cost: Floats
    days: Floats
    expected_ward_days: Floats
    ward_rate: Floats
    location: dict[str, npt.NDArray[np.int32]]
    locations: list[str]
    theatre_cost_per_minute: float = 0.0
    main_resource: npt.NDArray[np.str_] | None = None


@dataclass
class Records:
    """One chunk's events: canonical activity columns plus the patient index and costing inputs."""

    setting: str
    patient: Ints
    columns: dict[str, Any]
    cost: CostInputs

    def __len__(self) -> int:
        return len(self.patient)


class Locations:
    """Collects location strings for a chunk and hands out indices."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._index: dict[str, int] = {}

    def index(self, value: str) -> int:
        if value not in self._index:
            self._index[value] = len(self.values)
            self.values.append(value)
        return self._index[value]

    def constant(self, value: str, n: int) -> npt.NDArray[np.int32]:
        return np.full(n, self.index(value), dtype=np.int32)

    def of(self, values: npt.NDArray[np.str_]) -> npt.NDArray[np.int32]:
        unique, inverse = np.unique(values, return_inverse=True)
        lookup = np.array([self.index(str(v)) for v in unique.tolist()], dtype=np.int32)
        return np.asarray(lookup[inverse], dtype=np.int32)


_CONDITION_KEYS = 1_000


class PatientSampler:
    """Draws patients with probability proportional to a weight, within a patient group (children, women ...) and,
    where an event needs one, among patients with a long-term condition (an index into `ics_definitions.CONDITIONS`)."""

    NO_CONDITION = -1

    def __init__(self, population: Population, weights: Floats) -> None:
        self.population = population
        self.weights = weights
        self._cumulative: dict[tuple[int, int], tuple[Ints | None, Floats]] = {}

    def _cdf(self, group: int, condition: int) -> tuple[Ints | None, Floats]:
        """The patients a draw picks from (None: everyone) and their cumulative weights."""
        key = (group, condition)
        if key not in self._cumulative:
            people = self.population
            if condition == self.NO_CONDITION:
                mask = casemix.eligible(people.age, people.female, group)
                found: tuple[Ints | None, Floats] = (None, np.cumsum(np.where(mask, self.weights, 0.0)))
            else:
                members = np.flatnonzero(people.conditions[:, condition]).astype(np.int64)
                mask = casemix.eligible(people.age[members], people.female[members], group)
                found = (members, np.cumsum(np.where(mask, self.weights[members], 0.0)))
            if len(found[1]) == 0 or found[1][-1] <= 0:
                if condition != self.NO_CONDITION:
                    found = self._cdf(group, self.NO_CONDITION)
                elif group != casemix.ANY:
                    found = self._cdf(casemix.ANY, self.NO_CONDITION)
            self._cumulative[key] = found
        return self._cumulative[key]

    def draw(self, rng: np.random.Generator, groups: Ints, conditions: Ints | None = None) -> Ints:
        """A patient per event of each group (and condition, -1 for none); patients may repeat."""
        out = np.empty(len(groups), dtype=np.int64)
        if len(groups) == 0:
            return out
        wanted = np.zeros(len(groups), dtype=np.int64) if conditions is None else conditions - self.NO_CONDITION
        keys = groups * _CONDITION_KEYS + wanted
        order = np.argsort(keys, kind="stable")
        starts = np.flatnonzero(np.diff(keys[order], prepend=-1))
        for start, end in zip(starts.tolist(), [*starts[1:].tolist(), len(keys)], strict=True):
            where = order[start:end]
            group, condition = divmod(int(keys[where[0]]), _CONDITION_KEYS)
            members, cdf = self._cdf(group, condition + self.NO_CONDITION)
            picked = np.minimum(np.searchsorted(cdf, rng.random(len(where)) * cdf[-1], side="right"), len(cdf) - 1)
            out[where] = picked if members is None else members[picked]
        return out


@dataclass(frozen=True)
class FollowOns:
    """Events scheduled by earlier index admissions for one chunk: who, on which day, under which currency.

    `tfc` is the clinic's treatment function for outpatient attendances (blank for community contacts, whose service
    follows from the currency).
    """

    patient: Ints
    date: npt.NDArray[np.datetime64]
    currency: npt.NDArray[np.str_]
    tfc: npt.NDArray[np.str_]

    def __len__(self) -> int:
        return len(self.patient)

    @staticmethod
    def concat(parts: list[FollowOns]) -> FollowOns:
        return FollowOns(
            patient=np.concatenate([p.patient for p in parts]).astype(np.int64),
            date=np.concatenate([p.date for p in parts]).astype("datetime64[D]"),
            currency=np.concatenate([p.currency for p in parts]).astype(str),
            tfc=np.concatenate([p.tfc for p in parts]).astype(str),
        )


def patient_columns(population: Population, patient: Ints) -> dict[str, Any]:
    """The patient's identity and residence as it appears on each of their records."""
    index = pa.array(patient)
    return {
        "nhs_number": population.nhs_number.take(index),
        "age": population.age[patient],
        "sex": population.sex.take(index),
        "lsoa": population.lsoa.take(index),
        "gp_practice": population.gp_practice.take(index),
    }


def draw_days(rng: np.random.Generator, days: npt.NDArray[np.datetime64], n: int) -> npt.NDArray[np.datetime64]:
    """Dates drawn uniformly from the given days (unsorted: callers order their records by date)."""
    return np.asarray(days[rng.integers(0, len(days), n)])


def poisson(rng: np.random.Generator, expected: float) -> int:
    return int(rng.poisson(max(expected, 0.0)))


def choose(rng: np.random.Generator, probabilities: Floats, n: int) -> Ints:
    """Row indices drawn with the given probabilities (which need not be normalised)."""
    cdf = np.cumsum(probabilities)
    picked = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
    return np.asarray(np.minimum(picked, len(cdf) - 1), dtype=np.int64)

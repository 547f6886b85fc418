"""Admitted patient care episodes and the critical care periods linked to them.

Spells are drawn per POD with HRGs in proportion to national activity, then given a patient, treatment function,
diagnosis, length of stay and ward. About 8% of non-elective spells have a second episode under another treatment
function. A spell belongs to the period its discharge falls in, so all its episodes (and any critical care period
inside it) are in the same quarter's files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from engine.synth import casemix, conditions, planted, volumes
from engine.synth.dates import periods_of
from engine.synth.events import (
    Chunk,
    CostInputs,
    Locations,
    PatientSampler,
    Records,
    choose,
    draw_days,
    patient_columns,
    poisson,
)
from engine.synth.providers import ELECTIVE_CENTRE, ProviderSpec, Ward, theatres
from engine.synth.seeding import chunk_rng

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Strs = npt.NDArray[np.str_]

APC_PODS: Final = ("EL", "NEL", "NES", "DC", "RP")
_PLANNED: Final = frozenset({"EL", "DC", "RP"})
_ADMISSION_METHODS: Final[dict[str, tuple[tuple[str, ...], tuple[float, ...]]]] = {
    "EL": (("11", "12", "13"), (0.6, 0.25, 0.15)),
    "DC": (("11", "12", "13"), (0.7, 0.25, 0.05)),
    "RP": (("13", "12"), (0.85, 0.15)),
    "NEL": (("21", "22", "24", "25", "28"), (0.72, 0.12, 0.06, 0.02, 0.08)),
    "NES": (("21", "22", "24", "25", "28"), (0.72, 0.12, 0.06, 0.02, 0.08)),
}
# Critical care: chance a non-elective or elective spell has a period on the unit, and mean days there, by unit.
CC_LINK_CHANCE: Final[dict[str, float]] = {"adult": 0.055, "paediatric": 0.03, "neonatal": 0.12}
CC_MEAN_DAYS: Final[dict[str, float]] = {"adult": 4.5, "paediatric": 4.0, "neonatal": 8.0}
_IMAGING_ROOMS: Final = ("RAD XR", "RAD CT", "RAD MR", "RAD US")


def _spells(chunk: Chunk, rng: np.random.Generator, sampler: PatientSampler) -> dict[str, np.ndarray]:
    """Spell-level arrays for every POD of the chunk (episode 1 details only)."""
    code = chunk.provider.code
    pods = ("EL", "DC") if code == ELECTIVE_CENTRE else APC_PODS
    share = chunk.demand.provider_share("apc", code)
    condition_rng = chunk_rng(chunk.seed, code, "apc", chunk.quarter, "conditions")
    parts: list[dict[str, np.ndarray]] = []
    for pod in pods:
        weights, volume = volumes.apc_hrg_weights(code, pod)
        n = poisson(rng, chunk.expected(volumes.apc_spells_per_year(pod), pod) * share * volume)
        cur = casemix.for_pod(pod)
        department = cur.department
        rows = choose(rng, weights, n)
        patient = sampler.draw(rng, cur.group[rows], conditions.wanted_condition(condition_rng, cur.codes, rows))
        age = chunk.population.age[patient]
        methods, chances = _ADMISSION_METHODS[pod]
        parts.append(
            {
                "pod": np.full(n, pod),
                "row": rows,
                "hrg": cur.codes[rows],
                "patient": patient,
                "procedural": cur.procedural[rows],
                "unit_cost": cur.unit_cost[rows],
                "expected_ward_days": casemix.expected_ward_days(pod)[rows],
                "tfc": casemix.draw_tfc(
                    rng, department, rows, age, cur.procedural[rows], emergency=pod in ("NEL", "NES")
                ),
                "diagnosis": casemix.draw_diagnosis(rng, department, rows),
                "los": casemix.draw_los(rng, pod, rows),
                "admission_method": np.array(methods)[choose(rng, np.array(chances), n)],
                "group": cur.group[rows],
            }
        )
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _second_episodes(rng: np.random.Generator, spells: dict[str, np.ndarray], age: Ints) -> dict[str, np.ndarray]:
    """Second episodes for about 8% of adult non-elective spells, under a different treatment function.

    They are general medical step-down care, so never an HRG that defines a long-term condition (the patient is
    the spell's, who may not have it).
    """
    nel = casemix.for_pod("NEL")
    step_down = (
        ~nel.procedural
        & np.isin(nel.group, (casemix.ANY, casemix.ADULT, casemix.OLDER))
        & ~nel.starts_with("AA35", "HT1")
        & (conditions.defining_condition(nel.codes) < 0)
    )
    weights = np.where(step_down, nel.activity, 0.0)
    candidate = (spells["pod"] == "NEL") & (age >= 18) & np.isin(spells["group"], (casemix.ANY, casemix.ADULT))
    nel_spells = int((spells["pod"] == "NEL").sum())
    chance = volumes.SECOND_EPISODE_SHARE * nel_spells / max(int(candidate.sum()), 1)
    has_second = candidate & (rng.random(len(candidate)) < chance)
    first = np.flatnonzero(has_second)
    rows = choose(rng, weights, len(first))
    first_tfc = spells["tfc"][first]
    older = age[first] >= 70
    tfc = np.where(older, np.where(first_tfc == "430", "300", "430"), np.where(first_tfc == "300", "340", "300"))
    return {
        "spell": first,
        "row": rows,
        "hrg": nel.codes[rows],
        "tfc": tfc,
        "diagnosis": casemix.draw_diagnosis(rng, nel.department, rows),
        "los": casemix.draw_los(rng, "NEL", rows),
        "unit_cost": nel.unit_cost[rows],
        "expected_ward_days": casemix.expected_ward_days("NEL")[rows],
    }


def _critical_care_links(
    rng: np.random.Generator, spells: dict[str, np.ndarray], age: Ints, provider: str
) -> tuple[Ints, Strs, Floats]:
    """Which spells have a critical care period (in their first episode), on which unit, for how many days."""
    n = len(age)
    unit = np.where(age == 0, "neonatal", np.where(age < 16, "paediatric", "adult"))
    if provider == ELECTIVE_CENTRE:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype="<U10"), np.zeros(0)
    chance = np.select(
        [unit == "adult", unit == "paediatric"],
        [CC_LINK_CHANCE["adult"], CC_LINK_CHANCE["paediatric"]],
        CC_LINK_CHANCE["neonatal"],
    )
    eligible = np.isin(spells["pod"], ("NEL", "EL"))
    linked = np.flatnonzero(eligible & (rng.random(n) < chance))
    mean = np.select(
        [unit[linked] == "adult", unit[linked] == "paediatric"],
        [CC_MEAN_DAYS["adult"], CC_MEAN_DAYS["paediatric"]],
        CC_MEAN_DAYS["neonatal"],
    )
    days = 1 + np.rint(rng.gamma(1.5, (mean - 1) / 1.5))
    return linked, unit[linked], np.asarray(days, dtype=np.float64)


def _ward_kind(pod: Strs, tfc: Strs, procedural: npt.NDArray[np.bool_]) -> Strs:
    return np.asarray(
        np.select(
            [
                np.isin(pod, ("DC", "RP")),
                pod == "NES",
                np.isin(tfc, ("110", "214")),
                tfc == "328",
                tfc == "430",
                np.isin(tfc, ("420", "171", "422")),
                tfc == "501",
                procedural | (tfc == "502"),
            ],
            ["day_unit", "assessment", "orthopaedic", "stroke", "elderly", "paediatric", "maternity", "surgical"],
            "medical",
        )
    )


def _pick_wards(rng: np.random.Generator, kinds: Strs, wards: tuple[Ward, ...]) -> Ints:
    """A ward of the right kind for each episode (medical, then any ward, where the provider has none)."""
    ward_kinds = np.array([w.kind for w in wards])
    out = np.empty(len(kinds), dtype=np.int64)
    for kind in np.unique(kinds).tolist():
        where = np.flatnonzero(kinds == kind)
        options = np.flatnonzero(ward_kinds == kind)
        if len(options) == 0:
            options = np.flatnonzero(ward_kinds == "medical")
        if len(options) == 0:
            options = np.arange(len(wards))
        out[where] = options[rng.integers(0, len(options), len(where))]
    return out


def _profile(pod: Strs, hrg: Strs, procedural: npt.NDArray[np.bool_]) -> Strs:
    same_day = np.isin(pod, ("DC", "RP"))
    return np.asarray(
        np.select(
            [same_day & procedural, same_day & np.char.startswith(hrg, "SB"), same_day, procedural],
            ["dc_surgical", "dc_chemo", "dc_medical", "apc_surgical"],
            "apc_medical",
        )
    )


@dataclass(frozen=True)
class CriticalCareLinks:
    """APC episodes (rows of the chunk's records) that contain a critical care period, its unit and its days."""

    episode: Ints
    unit_type: Strs
    days: Floats


@dataclass(frozen=True)
class _Episodes:
    """Where each episode row comes from: its spell, its number in the spell and, if second, its second-episode row."""

    spell: Ints
    number: Ints
    second_row: Ints

    @property
    def first(self) -> npt.NDArray[np.bool_]:
        return np.asarray(self.number == 1)

    def pick(self, first_values: np.ndarray, second_values: np.ndarray) -> np.ndarray:
        """Per episode: the spell's value for first episodes, the second-episode value for second ones."""
        out = first_values[self.spell].copy()
        second = ~self.first
        out[second] = second_values[self.second_row[second]]
        return np.asarray(out)


def _episode_rows(spell_rank: Ints, second_spell: Ints) -> _Episodes:
    """Episode rows in spell order (by discharge date), the second episode straight after the first."""
    n_spells = len(spell_rank)
    spell = np.concatenate([np.arange(n_spells), second_spell])
    number = np.concatenate([np.ones(n_spells, dtype=np.int64), np.full(len(second_spell), 2)])
    second_row = np.concatenate([np.full(n_spells, -1), np.arange(len(second_spell))]).astype(np.int64)
    order = np.lexsort((number, spell_rank[spell]))
    return _Episodes(spell[order], number[order], second_row[order])


def _stays(
    rng: np.random.Generator,
    provider: ProviderSpec,
    spells: dict[str, np.ndarray],
    second: dict[str, np.ndarray],
    links: tuple[Ints, Strs, Floats],
) -> tuple[Ints, Ints, Floats]:
    """First and second episode lengths of stay per spell, and critical care days per spell.

    A spell with a critical care period stays at least a day longer than the period; planted extra days come last.
    """
    n_spells = len(spells["pod"])
    cc_spell, _, cc_days = links
    first = spells["los"].copy()
    days_in_cc = np.zeros(n_spells)
    days_in_cc[cc_spell] = cc_days
    first[cc_spell] = np.maximum(first[cc_spell], cc_days.astype(np.int64) + 1 + rng.integers(0, 4, len(cc_spell)))
    first = first + planted.extra_los_days(provider, "apc", spells["pod"], spells["hrg"])
    second_los = np.zeros(n_spells, dtype=np.int64)
    second_los[second["spell"]] = second["los"]
    return first, second_los, days_in_cc


def _discharges(rng: np.random.Generator, chunk: Chunk, pod: Strs) -> npt.NDArray[np.datetime64]:
    """Discharge dates in the quarter; planned care (elective, day case, regular) on weekdays only."""
    planned = np.isin(pod, tuple(_PLANNED))
    discharge = np.empty(len(pod), dtype="datetime64[D]")
    discharge[planned] = draw_days(rng, chunk.days(weekdays_only=True), int(planned.sum()))
    discharge[~planned] = draw_days(rng, chunk.days(), int((~planned).sum()))
    return discharge


def admitted_care(chunk: Chunk, wards: tuple[Ward, ...]) -> tuple[Records, CriticalCareLinks]:
    """One provider's APC episodes for one quarter, and the episodes critical care periods belong to."""
    code = chunk.provider.code
    rng = chunk_rng(chunk.seed, code, "apc", chunk.quarter)
    sampler = PatientSampler(chunk.population, chunk.demand.patient_weights("apc", code))
    spells = _spells(chunk, rng, sampler)
    age = chunk.population.age[spells["patient"]].astype(np.int64)
    second = _second_episodes(rng, spells, age)
    links = _critical_care_links(rng, spells, age, code)
    los1, los2, days_in_cc = _stays(rng, chunk.provider, spells, second, links)
    spell_los = los1 + los2
    discharge = _discharges(rng, chunk, spells["pod"])
    admission = discharge - spell_los.astype("timedelta64[D]")
    rank = np.empty(len(discharge), dtype=np.int64)
    rank[np.argsort(discharge, kind="stable")] = np.arange(len(discharge))
    episodes = _episode_rows(rank, second["spell"])
    spell, first = episodes.spell, episodes.first

    pod = spells["pod"][spell]
    hrg = episodes.pick(spells["hrg"], second["hrg"])
    tfc = episodes.pick(spells["tfc"], second["tfc"])
    procedural = np.where(first, spells["procedural"][spell], False)
    episode_los = np.where(first, los1[spell], los2[spell])
    start = admission[spell] + np.where(first, 0, los1[spell]).astype("timedelta64[D]")
    ward_days = np.where(first, episode_los - days_in_cc[spell], episode_los).astype(np.float64)
    patient = spells["patient"][spell]
    columns = {
        "period": periods_of(chunk.fin_year, discharge[spell]),
        "record_id": chunk.record_ids(len(spell)),
        **patient_columns(chunk.population, patient),
        "pod": pod,
        "tfc": tfc,
        "hrg": hrg,
        "event_date": start,
        "end_date": start + episode_los.astype("timedelta64[D]"),
        "spell_id": chunk.record_ids(len(rank), "SPL").take(rank).take(spell),
        "episode_number": episodes.number,
        "admission_method": spells["admission_method"][spell],
        "admission_date": admission[spell],
        "discharge_date": discharge[spell],
        "los": spell_los[spell],
        "spell_hrg": spells["hrg"][spell],
        "primary_diagnosis": conditions.fit_diagnoses(
            chunk_rng(chunk.seed, code, "apc", chunk.quarter, "diagnoses"),
            hrg,
            episodes.pick(spells["diagnosis"], second["diagnosis"]),
            chunk.population.conditions[patient],
        ),
    }
    cost = _cost_inputs(
        rng,
        chunk,
        wards,
        pod=pod,
        hrg=hrg,
        tfc=tfc,
        procedural=procedural,
        base_cost=episodes.pick(spells["unit_cost"], second["unit_cost"]),
        expected_ward_days=episodes.pick(spells["expected_ward_days"], second["expected_ward_days"]),
        ward_days=np.where(ward_days <= 0, casemix.SAME_DAY_WARD_DAYS, ward_days),
    )
    row_of_first = np.empty(len(rank), dtype=np.int64)
    row_of_first[spell[first]] = np.flatnonzero(first)
    cc_spell, cc_unit, cc_days = links
    return Records("apc", patient, columns, cost), CriticalCareLinks(row_of_first[cc_spell], cc_unit, cc_days)


def _cost_inputs(
    rng: np.random.Generator,
    chunk: Chunk,
    wards: tuple[Ward, ...],
    *,
    pod: Strs,
    hrg: Strs,
    tfc: Strs,
    procedural: npt.NDArray[np.bool_],
    base_cost: Floats,
    expected_ward_days: Floats,
    ward_days: Floats,
) -> CostInputs:
    """What costing needs per episode: profile, national cost, ward and bed days, and where each cost arose."""
    n = len(pod)
    ward_index = _pick_wards(rng, _ward_kind(pod, tfc, procedural), wards)
    locations = Locations()
    ward_location = np.array([locations.index(w.code) for w in wards], dtype=np.int32)[ward_index]
    theatre_codes = theatres(chunk.provider.code)
    theatre_location = np.array([locations.index(t) for t in theatre_codes], dtype=np.int32)
    imaging_rooms = np.array([locations.index(r) for r in _IMAGING_ROOMS], dtype=np.int32)
    return CostInputs(
        profile=_profile(pod, hrg, procedural),
        base_cost=base_cost,
        days=ward_days,
        expected_ward_days=expected_ward_days,
        ward_rate=np.array([w.rate for w in wards])[ward_index],
        location={
            "ward": ward_location,
            "theatre": theatre_location[rng.integers(0, len(theatre_location), n)],
            "pathology": locations.constant("PATH LAB", n),
            "imaging": imaging_rooms[rng.integers(0, len(imaging_rooms), n)],
            "pharmacy": locations.constant("PHARMACY", n),
            "therapies": locations.constant("THERAPIES", n),
            "other_clinical": locations.constant("CLINICAL SUPPORT", n),
            "overheads": np.full(n, -1, dtype=np.int32),
        },
        locations=locations.values,
        theatre_cost_per_minute=chunk.provider.theatre_cost_per_minute,
    )


def critical_care(chunk: Chunk, apc: Records, links: CriticalCareLinks) -> Records:
    """Critical care periods inside the first episode of linked APC spells, in the same provider and quarter."""
    code = chunk.provider.code
    rng = chunk_rng(chunk.seed, code, "cc", chunk.quarter)
    episode, unit, days = links.episode, links.unit_type, links.days
    n = len(episode)
    cur = casemix.for_pod("CC")
    hrg_rows = np.empty(n, dtype=np.int64)
    prefixes = {"adult": "XC", "paediatric": "XB", "neonatal": "XA"}
    for kind, prefix in prefixes.items():
        where = np.flatnonzero(unit == kind)
        allowed = cur.starts_with(prefix) & ~np.isin(cur.codes, ("XA06Z",))
        hrg_rows[where] = choose(rng, np.where(allowed, cur.activity, 0.0), len(where))
    hrg = cur.codes[hrg_rows]
    level_3 = np.isin(hrg, ("XC01Z", "XC02Z", "XC03Z", "XC04Z", "XC05Z", "XB01Z", "XB02Z", "XB03Z", "XA01Z"))
    level_2 = np.isin(hrg, ("XC06Z", "XC07Z", "XB04Z", "XB05Z", "XB06Z", "XB07Z", "XB09Z", "XA02Z"))
    upper = np.where(level_3, np.rint(days * rng.uniform(0.5, 1.0, n)), 0.0)
    lower = np.where(level_3, days - upper, np.where(level_2, days, 0.0))

    episode_start = apc.columns["event_date"][episode]
    episode_los = (apc.columns["end_date"][episode] - episode_start).astype(np.int64)
    slack = np.maximum(episode_los - days.astype(np.int64), 0)
    start = episode_start + np.floor(rng.random(n) * (slack + 1)).astype("timedelta64[D]")
    order = np.lexsort((start, apc.columns["period"][episode]))
    episode, unit, days, hrg_rows, hrg = episode[order], unit[order], days[order], hrg_rows[order], hrg[order]
    upper, lower, start = upper[order], lower[order], start[order]

    locations = Locations()
    unit_names = {"adult": f"{code} ICU", "paediatric": f"{code} PICU", "neonatal": f"{code} NICU"}
    patient = apc.patient[episode]
    columns = {
        "period": apc.columns["period"][episode],
        "record_id": chunk.record_ids(n),
        **patient_columns(chunk.population, patient),
        "pod": np.full(n, "CC"),
        "tfc": np.select([unit == "adult", unit == "paediatric"], ["192", "242"], "422"),
        "hrg": hrg,
        "event_date": start,
        "end_date": start + days.astype(np.int64).astype("timedelta64[D]"),
        "unit_type": unit,
        "apc_record_id": apc.columns["record_id"].take(episode),
        "bed_days": days,
        "level_2_days": lower,
        "level_3_days": upper,
    }
    cost = CostInputs(
        profile=np.full(n, "cc"),
        base_cost=cur.unit_cost[hrg_rows] * days,
        days=days,
        expected_ward_days=np.zeros(n),
        ward_rate=np.zeros(n),
        location={
            "critical_care": locations.of(
                np.select(
                    [unit == "adult", unit == "paediatric"],
                    [unit_names["adult"], unit_names["paediatric"]],
                    unit_names["neonatal"],
                )
            ),
            "pharmacy": locations.constant("PHARMACY", n),
            "overheads": np.full(n, -1, dtype=np.int32),
        },
        locations=locations.values,
    )
    return Records("cc", patient, columns, cost)

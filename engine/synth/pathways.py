"""Care pathways: follow-on care scheduled after index admissions, and what the written records show of it.

After each provider's admitted care for a quarter, the index spells of each pathway in `ics_definitions.PATHWAYS` (hip
fractures, elective knee replacements) schedule follow-on events in the 90 days after discharge: trauma and
orthopaedic outpatient follow-ups at the index provider (about 6 and 12 weeks after) and community rehabilitation
contacts (physiotherapy, occupational therapy, community rehabilitation teams) at the community arm of the patient's
home acute trust. Each event is held until the chunk of its own provider, setting and quarter is made, and joins that
chunk's normal draws, so it is numbered, costed and written like any other record. Events after the end of the
financial year are not made. Planted pathway effects (`planted.PLANTED_PATHWAYS`) multiply the rehabilitation
contacts of index spells at their provider.

What the written records show of each pathway is measured by `pathway_tally`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from engine.synth import planted
from engine.synth.community import service_of
from engine.synth.dates import periods_of
from engine.synth.events import Chunk, FollowOns, Records, choose
from engine.synth.ics_definitions import (
    FOLLOW_UP_DAYS,
    HIP_FRACTURE,
    KNEE_REPLACEMENT,
    PATHWAYS,
    REHAB_SERVICES,
    Events,
    Pathway,
    starts_with_any,
)
from engine.synth.providers import BASE_ROSTER, Roster
from engine.synth.seeding import chunk_rng

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Strs = npt.NDArray[np.str_]
Days = npt.NDArray[np.datetime64]
ChunkKey = tuple[str, str, int]

REHAB_STEP: Final = "community_rehabilitation"
OUTPATIENT_TFC: Final = "110"
OUTPATIENT_CURRENCIES: Final = (("WF01A", 0.85), ("WF01C", 0.15))
# Rehabilitation contacts per index spell are gamma-Poisson (this shape) around the pathway's mean.
REHAB_SHAPE: Final = 3.0
REHAB_MIX: Final = (("PHYSIO", 0.5), ("OT", 0.25), ("REHAB", 0.25))
REHAB_CURRENCIES: Final[dict[str, tuple[str, ...]]] = {
    "PHYSIO": ("A08A1",),
    "OT": ("A06A1",),
    "REHAB": ("OSCCRT", "MCCRT"),
}


@dataclass(frozen=True)
class Visit:
    """A scheduled outpatient follow-up: its chance, and its day after discharge (normal, mean and spread)."""

    chance: float
    day: float
    spread: float


@dataclass(frozen=True)
class Schedule:
    """The follow-on care of one pathway's index spell."""

    visits: tuple[Visit, ...]
    rehab_contacts: float


SCHEDULES: Final[dict[str, Schedule]] = {
    HIP_FRACTURE: Schedule((Visit(1.0, 42, 7), Visit(0.5, 84, 5)), rehab_contacts=6.0),
    KNEE_REPLACEMENT: Schedule((Visit(1.0, 42, 7), Visit(1.0, 84, 5)), rehab_contacts=4.0),
}


def _check_definitions() -> None:
    if set(SCHEDULES) != {p.name for p in PATHWAYS}:
        raise ValueError("every pathway needs a follow-on schedule")
    for service, currencies in REHAB_CURRENCIES.items():
        if service not in REHAB_SERVICES or any(service_of(c) != service for c in currencies):
            raise ValueError(f"rehabilitation currencies {currencies} are not community service {service}")


_check_definitions()


def matches(events: Events, columns: dict[str, Any], setting: str) -> Bools:
    """Which records of a chunk an index or step definition takes (every filter that is set must match)."""
    n = len(columns["period"])
    keep = np.full(n, setting in events.settings, dtype=np.bool_)
    filters = (
        ("pod", events.pods),
        ("primary_diagnosis", events.diagnoses),
        ("hrg", events.hrgs),
        ("service_code", events.services),
    )
    for column, prefixes in filters:
        if not prefixes:
            continue
        values = columns.get(column)
        if values is None:
            return np.zeros(n, dtype=np.bool_)
        rows = np.flatnonzero(keep)
        keep[rows] = starts_with_any(np.asarray(values)[rows], prefixes)
    return keep


def index_rows(records: Records, pathway: Pathway) -> Ints:
    """The first episodes of a pathway's index spells in an admitted care chunk."""
    if records.setting != "apc" or len(records) == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.asarray(records.columns["episode_number"]) == 1
    return np.flatnonzero(first & matches(pathway.index, records.columns, "apc"))


def community_provider(home: npt.NDArray[np.int32], providers: Roster = BASE_ROSTER) -> Strs:
    """Where each patient gets community care after discharge: their home acute trust's community arm, else their
    home's community provider (ZZD for the ICS's own homes)."""
    return np.asarray(providers.community_arm(home))


def _weekday_before(days: Days) -> Days:
    """The day itself if a weekday, else the Friday before (clinics run Monday to Friday)."""
    return np.asarray(np.busday_offset(days.astype("datetime64[D]"), 0, roll="backward"), dtype="datetime64[D]")


@dataclass
class Scheduled:
    """What one admitted care chunk's index spells set in motion."""

    follow_ons: dict[ChunkKey, FollowOns] = field(default_factory=dict)
    rehab_by_spell: dict[str, Ints] = field(default_factory=dict)
    outpatient_by_spell: dict[str, Ints] = field(default_factory=dict)

    def add(self, key: ChunkKey, events: FollowOns) -> None:
        if len(events) == 0:
            return
        current = self.follow_ons.get(key)
        self.follow_ons[key] = events if current is None else FollowOns.concat([current, events])


def _within_year(chunk: Chunk, date: Days) -> tuple[Bools, Ints]:
    """Which dates fall in the financial year, and the quarter of each."""
    period = periods_of(chunk.fin_year, date).astype(np.int64)
    return (period >= 1) & (period <= 12), (period - 1) // 3 + 1


def schedule_outpatients(
    chunk: Chunk, rng: np.random.Generator, schedule: Schedule, patient: Ints, discharge: Days, out: Scheduled
) -> Ints:
    """Outpatient follow-ups at the index provider; returns how many of each spell's fall within the year."""
    parts_spell, parts_date = [], []
    for visit in schedule.visits:
        takes = np.flatnonzero(rng.random(len(patient)) < visit.chance)
        day = np.clip(np.rint(rng.normal(visit.day, visit.spread, len(patient))), 1, FOLLOW_UP_DAYS).astype(np.int64)
        parts_spell.append(takes)
        parts_date.append(_weekday_before(discharge[takes] + day[takes].astype("timedelta64[D]")))
    spell = np.concatenate(parts_spell)
    who = patient[spell]
    when = np.concatenate(parts_date)
    currency = np.array([c for c, _ in OUTPATIENT_CURRENCIES])[
        choose(rng, np.array([w for _, w in OUTPATIENT_CURRENCIES]), len(who))
    ]
    inside, quarter = _within_year(chunk, when)
    code = chunk.provider.code
    for q in np.unique(quarter[inside]).tolist():
        rows = inside & (quarter == q)
        tfc = np.full(int(rows.sum()), OUTPATIENT_TFC)
        out.add((code, "op", int(q)), FollowOns(who[rows], when[rows], currency[rows], tfc))
    return np.bincount(spell[inside], minlength=len(patient)).astype(np.int64)


def schedule_rehabilitation(
    chunk: Chunk, rng: np.random.Generator, pathway: str, patient: Ints, discharge: Days, out: Scheduled
) -> Ints:
    """Community rehabilitation contacts after discharge; returns how many of each spell's fall within the year."""
    mean = SCHEDULES[pathway].rehab_contacts * planted.pathway_factor(pathway, REHAB_STEP, chunk.provider.code)
    counts = rng.poisson(rng.gamma(REHAB_SHAPE, mean / REHAB_SHAPE, len(patient)))
    spell = np.repeat(np.arange(len(patient)), counts)
    day = 1 + np.floor(rng.beta(1.2, 2.0, len(spell)) * FOLLOW_UP_DAYS).astype(np.int64)
    when = discharge[spell] + day.astype("timedelta64[D]")
    service = np.array([s for s, _ in REHAB_MIX])[choose(rng, np.array([w for _, w in REHAB_MIX]), len(spell))]
    currency = np.empty(len(spell), dtype="<U8")
    for name, options in REHAB_CURRENCIES.items():
        rows = np.flatnonzero(service == name)
        currency[rows] = np.array(options)[rng.integers(0, len(options), len(rows))]
    who = patient[spell]
    where = community_provider(chunk.population.home[who], chunk.demand.providers)
    inside, quarter = _within_year(chunk, when)
    for code in np.unique(where[inside]).tolist():
        for q in np.unique(quarter[inside & (where == code)]).tolist():
            rows = inside & (where == code) & (quarter == q)
            tfc = np.full(int(rows.sum()), "")
            out.add((str(code), "chs", int(q)), FollowOns(who[rows], when[rows], currency[rows], tfc))
    return np.bincount(spell[inside], minlength=len(patient)).astype(np.int64)


def schedule(chunk: Chunk, records: Records) -> Scheduled:
    """The follow-on events of an admitted care chunk's index spells, by the chunk they belong to."""
    rng = chunk_rng(chunk.seed, chunk.provider.code, "apc", chunk.quarter, "pathways")
    out = Scheduled()
    for pathway in PATHWAYS:
        rows = index_rows(records, pathway)
        patient = records.patient[rows]
        discharge = np.asarray(records.columns["discharge_date"])[rows].astype("datetime64[D]")
        plan = SCHEDULES[pathway.name]
        out.outpatient_by_spell[pathway.name] = schedule_outpatients(chunk, rng, plan, patient, discharge, out)
        out.rehab_by_spell[pathway.name] = schedule_rehabilitation(chunk, rng, pathway.name, patient, discharge, out)
    return out


class PendingFollowOns:
    """Follow-on events waiting for the chunk they belong to (a few per index spell, so small)."""

    def __init__(self) -> None:
        self._waiting: dict[ChunkKey, list[FollowOns]] = {}

    def add(self, scheduled: Scheduled) -> None:
        for key, events in scheduled.follow_ons.items():
            self._waiting.setdefault(key, []).append(events)

    def take(self, code: str, setting: str, quarter: int) -> FollowOns | None:
        parts = self._waiting.pop((code, setting, quarter), None)
        return FollowOns.concat(parts) if parts else None

    def check_all_taken(self) -> None:
        """Every scheduled event must have been written: none may wait for a chunk that was never made."""
        if self._waiting:
            raise RuntimeError(f"follow-on events were scheduled for chunks never made: {sorted(self._waiting)}")

"""Mental health contacts and bed days (the mental health trust) and community health service contacts.

Each mental health patient has a team (a community mental health team, early intervention in psychosis, a memory
service ...) that sees them for most of their contacts, chosen by age and long-term conditions: residents with a
serious mental illness are mostly with community mental health and early intervention teams, those with dementia
with memory services; the rest of their contacts are with crisis and liaison teams. Community specialist nursing for
diabetes, respiratory and heart failure care goes to residents with those conditions (see `conditions`).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from engine.synth import casemix, conditions, volumes
from engine.synth.dates import month_bounds, periods_of, quarter_periods
from engine.synth.events import (
    Chunk,
    CostInputs,
    FollowOns,
    Locations,
    PatientSampler,
    Records,
    choose,
    draw_days,
    poisson,
)
from engine.synth.events import patient_columns as _patient_columns
from engine.synth.providers import mental_health_wards
from engine.synth.seeding import chunk_rng

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Strs = npt.NDArray[np.str_]

Teams = tuple[tuple[str, float], ...]
# A patient's own team, by who they are; PERINATAL only for women of 16-45 (others go to liaison instead).
_ADULT_TEAMS: Final[Teams] = (("CMHT", 0.28), ("CRHT", 0.25), ("MHLT", 0.3), ("PERINATAL", 0.15), ("EIP", 0.02))
_SMI_TEAMS: Final[Teams] = (("CMHT", 0.6), ("EIP", 0.3), ("CRHT", 0.1))
_OLDER_TEAMS: Final[Teams] = (("OACMHT", 0.75), ("MHLT", 0.25))
_OLDER_SMI_TEAMS: Final[Teams] = (("CMHT", 0.5), ("OACMHT", 0.5))
_DEMENTIA_TEAMS: Final[Teams] = (("MEMORY", 0.75), ("OACMHT", 0.25))
# Share of an adult's contacts with their own team; the rest are with crisis (adults) and liaison teams.
OWN_TEAM_SHARE: Final = 0.8
_CRISIS_TEAMS: Final[Teams] = (("CRHT", 0.5), ("MHLT", 0.5))
_MH_MAIN_RESOURCE: Final = {"MEMORY": "consultant", "CAMHS": "ahp", "MHLT": "medical_other"}
_MINUTES: Final = (np.array([15, 30, 45, 60, 90]), np.array([0.1, 0.3, 0.25, 0.25, 0.1]))
_CHS_MINUTES: Final = (np.array([15, 20, 30, 45, 60]), np.array([0.15, 0.25, 0.3, 0.2, 0.1]))
# Community service (team) by currency prefix, longest prefix first.
_CHS_SERVICES: Final = (
    ("A08", "PHYSIO"),
    ("A06", "OT"),
    ("A13", "SALT"),
    ("A09", "PODIATRY"),
    ("A03", "DIETETICS"),
    ("A01", "THERAPY"),
    ("N02", "DN"),
    ("N03", "HV"),
    ("N05", "SCHOOLNURSE"),
    ("N01", "MIDWIFERY"),
    ("N12", "CHILDNURSE"),
    ("IC", "ICT"),
    ("M01", "DENTAL"),
    ("VACN", "IMMS"),
    ("DCF", "REHAB"),
    ("SCRT", "REHAB"),
    ("NCRT", "REHAB"),
    ("OSCCRT", "REHAB"),
    ("MCCRT", "REHAB"),
    ("N", "SPECNURSE"),
)
_THERAPY_SERVICES: Final = frozenset({"PHYSIO", "OT", "SALT", "PODIATRY", "DIETETICS", "THERAPY", "REHAB"})


def _pick(rng: np.random.Generator, options: tuple[tuple[str, float], ...], n: int) -> Strs:
    return np.asarray(np.array([o[0] for o in options])[choose(rng, np.array([o[1] for o in options]), n)])


def _team(draw: Floats, teams: Teams) -> Strs:
    """The team a patient's own uniform draw falls in."""
    cumulative = np.cumsum([w for _, w in teams]) / sum(w for _, w in teams)
    picked = np.minimum(np.searchsorted(cumulative, draw, side="right"), len(teams) - 1)
    return np.asarray(np.array([t for t, _ in teams])[picked])


def _own_teams(chunk: Chunk, patient: Ints) -> Strs:
    """Each patient's own mental health team, fixed for the year by their age, sex and conditions."""
    people = chunk.population
    age, female, draw = people.age[patient], people.female[patient], people.mh_team_draw[patient]
    smi = people.has("serious_mental_illness")[patient]
    dementia = people.has("dementia")[patient]
    adult = _team(draw, _ADULT_TEAMS)
    adult = np.where((adult == "PERINATAL") & ~(female & (age <= 45)), "MHLT", adult)
    return np.asarray(
        np.select(
            [age < 18, dementia, smi & (age >= 65), smi, age >= 65],
            [
                "CAMHS",
                _team(draw, _DEMENTIA_TEAMS),
                _team(draw, _OLDER_SMI_TEAMS),
                _team(draw, _SMI_TEAMS),
                _team(draw, _OLDER_TEAMS),
            ],
            adult,
        )
    )


def _contact_teams(rng: np.random.Generator, chunk: Chunk, patient: Ints) -> Strs:
    """The team of each contact: mostly the patient's own, otherwise crisis or liaison (children stay with CAMHS)."""
    n = len(patient)
    age = chunk.population.age[patient]
    own = rng.random(n) < OWN_TEAM_SHARE
    other = np.where(age >= 65, "MHLT", _pick(rng, _CRISIS_TEAMS, n))
    return np.asarray(np.where(own | (age < 18), _own_teams(chunk, patient), other))


def mental_health(chunk: Chunk) -> Records:
    """Mental health care contacts (MHCC) and inpatient bed-day records (MHBD, one per patient per month)."""
    code = chunk.provider.code
    rng = chunk_rng(chunk.seed, code, "mh", chunk.quarter)
    sampler = PatientSampler(chunk.population, chunk.demand.patient_weights("mh", code))
    share = chunk.demand.provider_share("mh", code)
    n_contacts = poisson(rng, chunk.expected(volumes.MH_CONTACTS, "MHCC") * share)
    n_beds = poisson(rng, chunk.expected(volumes.MH_BED_DAY_RECORDS, "MHBD") * share)
    n = n_contacts + n_beds
    groups = np.concatenate([np.full(n_contacts, casemix.ANY), np.full(n_beds, casemix.ADULT)])
    patient = sampler.draw(rng, groups)
    age = chunk.population.age[patient]
    contact = np.arange(n) < n_contacts

    service = _contact_teams(rng, chunk, patient)
    ward_service = np.where(age >= 65, "OLDAGE", _pick(rng, (("ADULTACUTE", 0.75), ("PICU", 0.1), ("REHAB", 0.15)), n))
    service = np.where(contact, service, ward_service)

    when = draw_days(rng, chunk.days(), n)
    bed_days = np.zeros(n)
    ends = when.copy()
    periods = quarter_periods(chunk.quarter)
    month = np.array(periods)[rng.integers(0, 3, n)]
    for period in periods:
        where = np.flatnonzero(~contact & (month == period))
        first, after = month_bounds(chunk.fin_year, period)
        length = int((after - first).astype(np.int64))
        days = np.clip(np.rint(rng.gamma(2.0, 10.0, len(where))), 1, length - 1)
        start = first + np.floor(rng.random(len(where)) * (length - days)).astype("timedelta64[D]")
        when[where] = start
        ends[where] = start + days.astype(np.int64).astype("timedelta64[D]")
        bed_days[where] = days
    order = np.argsort(when, kind="stable")
    patient, service, contact, when, ends, bed_days = (
        patient[order],
        service[order],
        contact[order],
        when[order],
        ends[order],
        bed_days[order],
    )

    minutes = np.where(contact, _MINUTES[0][choose(rng, _MINUTES[1], n)], np.nan)
    wards = np.array(mental_health_wards(chunk.provider))
    ward = wards[rng.integers(0, len(wards), n)]
    locations = Locations()
    contact_cost = casemix.for_pod("MHCC").unit_cost_of("MHCC")
    bed_day_cost = casemix.for_pod("MHBD").unit_cost_of("MHPS")
    columns = {
        "period": periods_of(chunk.fin_year, when),
        "record_id": chunk.record_ids(n),
        **_patient_columns(chunk.population, patient),
        "pod": np.where(contact, "MHCC", "MHBD"),
        "hrg": np.where(contact, "MHCC", "MHPS"),
        "event_date": when,
        "end_date": ends,
        "face_to_face": np.where(contact & (rng.random(n) >= 0.8), "N", "Y"),
        "bed_days": np.where(contact, np.nan, bed_days),
        "duration_minutes": minutes,
        "service_code": service,
    }
    cost = CostInputs(
        profile=np.where(contact, "mh_contact", "mh_bed_days"),
        base_cost=np.where(contact, contact_cost, bed_day_cost * bed_days),
        days=bed_days,
        expected_ward_days=np.zeros(n),
        ward_rate=np.zeros(n),
        location={"mental_health_care": locations.of(np.where(contact, service, ward))},
        locations=locations.values,
        main_resource=np.array([_MH_MAIN_RESOURCE.get(s, "nursing") for s in service.tolist()], dtype="<U13"),
    )
    return Records("mh", patient, columns, cost)


def service_of(code: str) -> str:
    """The community service (team) a currency belongs to."""
    return next(service for prefix, service in _CHS_SERVICES if code.startswith(prefix)) if code else ""


def community(chunk: Chunk, follow_ons: FollowOns | None = None) -> Records:
    """Community health service contacts (district nursing, therapies, health visiting ...).

    `follow_ons` (rehabilitation after index admissions) join the chunk's own draws before they are put in date order.
    """
    code = chunk.provider.code
    rng = chunk_rng(chunk.seed, code, "chs", chunk.quarter)
    sampler = PatientSampler(chunk.population, chunk.demand.patient_weights("chs", code))
    n = poisson(rng, chunk.expected(volumes.CHS_CONTACTS, "CHS") * chunk.demand.provider_share("chs", code))
    cur = casemix.for_pod("CHS")
    rows = choose(rng, cur.activity, n)
    patient = sampler.draw(rng, cur.group[rows], conditions.currency_condition(cur.codes)[rows])
    when = draw_days(rng, chunk.days(), n)
    if follow_ons is not None:
        position = {c: i for i, c in enumerate(cur.codes.tolist())}
        rows = np.concatenate([rows, np.array([position[c] for c in follow_ons.currency.tolist()], dtype=np.int64)])
        patient = np.concatenate([patient, follow_ons.patient])
        when = np.concatenate([when, follow_ons.date])
        n = len(rows)
    order = np.argsort(when, kind="stable")
    rows, patient, when = rows[order], patient[order], when[order]

    services = np.array([service_of(c) for c in cur.codes.tolist()])
    lower = [d.lower() for d in cur.descriptions]
    remote = np.array(["non face to face" in d for d in lower], dtype=np.bool_)
    service = conditions.currency_service(cur.codes, rows, services[rows], chunk.population.conditions[patient])
    face = np.where(remote[rows], "N", np.where(rng.random(n) < 0.93, "Y", "N"))
    locations = Locations()
    columns = {
        "period": periods_of(chunk.fin_year, when),
        "record_id": chunk.record_ids(n),
        **_patient_columns(chunk.population, patient),
        "pod": np.full(n, "CHS"),
        "hrg": cur.codes[rows],
        "event_date": when,
        "end_date": when,
        "face_to_face": face,
        "duration_minutes": _CHS_MINUTES[0][choose(rng, _CHS_MINUTES[1], n)].astype(np.float64),
        "service_code": service,
    }
    cost = CostInputs(
        profile=np.full(n, "chs"),
        base_cost=cur.unit_cost[rows],
        days=np.zeros(n),
        expected_ward_days=np.zeros(n),
        ward_rate=np.zeros(n),
        location={"community_care": locations.of(service)},
        locations=locations.values,
        main_resource=np.where(
            np.isin(service, tuple(_THERAPY_SERVICES)), "ahp", np.where(service == "DENTAL", "medical_other", "nursing")
        ),
    )
    return Records("chs", patient, columns, cost)

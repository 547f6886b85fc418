"""Outpatient attendances and emergency care attendances."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from engine.synth import casemix, conditions, volumes
from engine.synth.dates import periods_of
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
from engine.synth.providers import ELECTIVE_CENTRE
from engine.synth.seeding import chunk_rng

Ints = npt.NDArray[np.int64]
Strs = npt.NDArray[np.str_]

# Clinic treatment functions for first and follow-up attendances, with the patients they see.
_ACUTE_CLINICS: Final[tuple[tuple[str, float, int], ...]] = (
    ("110", 0.10, casemix.ANY),
    ("130", 0.10, casemix.ANY),
    ("120", 0.05, casemix.ANY),
    ("300", 0.04, casemix.ADULT),
    ("320", 0.06, casemix.ADULT),
    ("330", 0.05, casemix.ANY),
    ("100", 0.05, casemix.ADULT),
    ("101", 0.05, casemix.ADULT),
    ("502", 0.05, casemix.FEMALE_ADULT),
    ("501", 0.06, casemix.MATERNITY),
    ("420", 0.06, casemix.CHILD),
    ("340", 0.04, casemix.ADULT),
    ("301", 0.05, casemix.ADULT),
    ("370", 0.03, casemix.ADULT),
    ("800", 0.04, casemix.ADULT),
    ("303", 0.04, casemix.ADULT),
    ("361", 0.02, casemix.ADULT),
    ("400", 0.03, casemix.ANY),
    ("410", 0.04, casemix.ADULT),
    ("430", 0.02, casemix.OLDER),
    ("302", 0.03, casemix.ADULT),
)
_ELECTIVE_CENTRE_CLINICS: Final[tuple[tuple[str, float, int], ...]] = (
    ("110", 0.78, casemix.ANY),
    ("214", 0.05, casemix.CHILD),
    ("191", 0.10, casemix.ADULT),
    ("410", 0.07, casemix.ADULT),
)
_WF_CODES: Final[dict[tuple[str, bool], str]] = {
    ("OPFU", True): "WF01A",
    ("OPFA", True): "WF01B",
    ("OPFU", False): "WF01C",
    ("OPFA", False): "WF01D",
}
_IMAGING_ROOMS: Final = ("RAD XR", "RAD US")
_MINOR_EC: Final = ("VB10Z", "VB11Z", "VB99Z")


def _follow_up_parts(follow_ons: FollowOns) -> dict[str, np.ndarray]:
    """Scheduled follow-up attendances (after index admissions) in the shape of the chunk's own draws."""
    n = len(follow_ons)
    consultant_led = casemix.currencies("Consultant Led")
    face = np.isin(follow_ons.currency, (_WF_CODES[("OPFU", True)], _WF_CODES[("OPFA", True)]))
    return {
        "pod": np.full(n, "OPFU"),
        "tfc": follow_ons.tfc,
        "hrg": follow_ons.currency,
        "group": np.full(n, casemix.ANY, dtype=np.int64),
        "face_to_face": np.where(face, "Y", "N"),
        "consultant_led": np.full(n, "Y"),
        "unit_cost": np.array([consultant_led.unit_cost_of(c) for c in follow_ons.currency.tolist()], dtype=float),
        "profile": np.full(n, "op"),
    }


def outpatients(chunk: Chunk, follow_ons: FollowOns | None = None) -> Records:
    """First, follow-up and procedure attendances at one provider in one quarter.

    `follow_ons` (follow-ups after index admissions) join the chunk's own draws before they are put in date order.
    """
    code = chunk.provider.code
    rng = chunk_rng(chunk.seed, code, "op", chunk.quarter)
    sampler = PatientSampler(chunk.population, chunk.demand.patient_weights("op", code))
    share = chunk.demand.provider_share("op", code)
    clinics = _ELECTIVE_CENTRE_CLINICS if code == ELECTIVE_CENTRE else _ACUTE_CLINICS
    consultant_led = casemix.currencies("Consultant Led")
    non_consultant_led = casemix.currencies("Non Consultant Led")
    # Who led the clinic is drawn from a stream of its own, so adding it changed no other draw of the chunk.
    clinic_lead_rng = chunk_rng(chunk.seed, code, "op", chunk.quarter, "consultant_led")
    parts: list[dict[str, np.ndarray]] = []
    for pod in ("OPFA", "OPFU"):
        n = poisson(rng, chunk.expected(volumes.OP_ATTENDANCES * volumes.OP_POD_MIX[pod], pod) * share)
        clinic = choose(rng, np.array([c[1] for c in clinics]), n)
        face = rng.random(n) < volumes.FACE_TO_FACE_SHARE
        hrg = np.where(face, _WF_CODES[(pod, True)], _WF_CODES[(pod, False)])
        led = clinic_lead_rng.random(n) < volumes.CONSULTANT_LED_SHARE
        unit_cost = np.where(
            led,
            np.where(
                face,
                consultant_led.unit_cost_of(_WF_CODES[(pod, True)]),
                consultant_led.unit_cost_of(_WF_CODES[(pod, False)]),
            ),
            np.where(
                face,
                non_consultant_led.unit_cost_of(_WF_CODES[(pod, True)]),
                non_consultant_led.unit_cost_of(_WF_CODES[(pod, False)]),
            ),
        )
        parts.append(
            {
                "pod": np.full(n, pod),
                "tfc": np.array([c[0] for c in clinics])[clinic],
                "hrg": hrg,
                "group": np.array([c[2] for c in clinics], dtype=np.int64)[clinic],
                "face_to_face": np.where(face, "Y", "N"),
                "consultant_led": np.where(led, "Y", "N"),
                "unit_cost": unit_cost,
                "profile": np.full(n, "op"),
            }
        )
    procedures = casemix.for_pod("OPPROC")
    allowed = procedures.starts_with("H", "AB") if code == ELECTIVE_CENTRE else np.ones(len(procedures), bool)
    n = poisson(rng, chunk.expected(volumes.OP_ATTENDANCES * volumes.OP_POD_MIX["OPPROC"], "OPPROC") * share)
    rows = choose(rng, np.where(allowed, procedures.activity, 0.0), n)
    groups = procedures.group[rows]
    parts.append(
        {
            "pod": np.full(n, "OPPROC"),
            "tfc": np.zeros(n, dtype="<U3"),
            "hrg": procedures.codes[rows],
            "group": groups,
            "face_to_face": np.full(n, "Y"),
            "consultant_led": np.full(n, "Y"),
            "unit_cost": procedures.unit_cost[rows],
            "profile": np.full(n, "op_proc"),
        }
    )
    merged = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    total = len(merged["pod"])
    is_proc = merged["pod"] == "OPPROC"
    wanted = np.full(total, PatientSampler.NO_CONDITION, dtype=np.int64)
    condition_rng = chunk_rng(chunk.seed, code, "op", chunk.quarter, "conditions")
    wanted[is_proc] = conditions.wanted_condition(condition_rng, procedures.codes, rows)
    patient = sampler.draw(rng, merged["group"], wanted)
    merged["tfc"][is_proc] = casemix.draw_tfc(
        rng,
        procedures.department,
        rows,
        chunk.population.age[patient[is_proc]],
        procedures.procedural[rows],
        emergency=False,
    )
    when = draw_days(rng, chunk.days(weekdays_only=True), total)
    if follow_ons is not None:
        extra = _follow_up_parts(follow_ons)
        merged = {key: np.concatenate([value, extra[key]]) for key, value in merged.items()}
        patient = np.concatenate([patient, follow_ons.patient])
        when = np.concatenate([when, follow_ons.date])
        total = len(patient)
    order = np.argsort(when, kind="stable")
    when = when[order]
    merged = {key: value[order] for key, value in merged.items()}
    patient = patient[order]

    locations = Locations()
    columns = {
        "period": periods_of(chunk.fin_year, when),
        "record_id": chunk.record_ids(total),
        **_patient_columns(chunk.population, patient),
        "pod": merged["pod"],
        "tfc": merged["tfc"],
        "hrg": merged["hrg"],
        "event_date": when,
        "end_date": when,
        "face_to_face": merged["face_to_face"],
        "consultant_led": merged["consultant_led"],
    }
    rooms = np.array([locations.index(r) for r in _IMAGING_ROOMS], dtype=np.int32)
    cost = CostInputs(
        profile=merged["profile"],
        base_cost=merged["unit_cost"],
        days=np.zeros(total),
        expected_ward_days=np.zeros(total),
        ward_rate=np.zeros(total),
        location={
            "outpatient_care": locations.of(np.char.add("OPD ", merged["tfc"])),
            "pathology": locations.constant("PATH LAB", total),
            "imaging": rooms[rng.integers(0, len(rooms), total)],
            "pharmacy": locations.constant("OP PHARMACY", total),
            "overheads": np.full(total, -1, dtype=np.int32),
        },
        locations=locations.values,
    )
    return Records("op", patient, columns, cost)


def emergency_care(chunk: Chunk) -> Records:
    """Emergency department (type 01), eye casualty (02) and urgent treatment centre (03) attendances."""
    code = chunk.provider.code
    rng = chunk_rng(chunk.seed, code, "ec", chunk.quarter)
    sampler = PatientSampler(chunk.population, chunk.demand.patient_weights("ec", code))
    n = poisson(rng, chunk.expected(volumes.EC_ATTENDANCES, "EC") * chunk.demand.provider_share("ec", code))
    cur = casemix.for_pod("EC")
    department = np.array(["01", "02", "03"])[choose(rng, np.array([0.80, 0.02, 0.18]), n)]
    rows = np.empty(n, dtype=np.int64)
    minor_unit = department == "03"
    light = np.isin(cur.codes, ("VB08Z", "VB09Z", "VB11Z"))
    rows[minor_unit] = choose(rng, np.where(light, cur.activity, 0.0), int(minor_unit.sum()))
    rows[~minor_unit] = choose(rng, cur.activity, int((~minor_unit).sum()))
    patient = sampler.draw(rng, np.zeros(n, dtype=np.int64))
    when = np.sort(draw_days(rng, chunk.days(), n))
    hrg = cur.codes[rows]

    locations = Locations()
    names = {"01": f"{code} ED", "02": f"{code} EYE CASUALTY", "03": f"{code} UTC"}
    columns = {
        "period": periods_of(chunk.fin_year, when),
        "record_id": chunk.record_ids(n),
        **_patient_columns(chunk.population, patient),
        "pod": np.full(n, "EC"),
        "hrg": hrg,
        "event_date": when,
        "end_date": when + (rng.random(n) < 0.12).astype("timedelta64[D]"),
        "department_type": department,
    }
    rooms = np.array([locations.index(r) for r in ("RAD XR", "RAD CT")], dtype=np.int32)
    cost = CostInputs(
        profile=np.where(np.isin(hrg, _MINOR_EC), "ec_minor", "ec"),
        base_cost=cur.unit_cost[rows],
        days=np.zeros(n),
        expected_ward_days=np.zeros(n),
        ward_rate=np.zeros(n),
        location={
            "emergency_care": locations.of(
                np.select([department == "01", department == "02"], [names["01"], names["02"]], names["03"])
            ),
            "pathology": locations.constant("PATH LAB", n),
            "imaging": rooms[(rng.random(n) < 0.2).astype(np.int64)],
            "overheads": np.full(n, -1, dtype=np.int32),
        },
        locations=locations.values,
    )
    return Records("ec", patient, columns, cost)

"""Planted variation: known differences the benchmark engine must find, and what the data actually shows.

Three cost effects are planted on admitted care, and one pathway effect (`PLANTED_PATHWAYS`: longer community
rehabilitation after hip fracture admissions at ZZC, whose realised size `pathways` measures). The realised figures
of the cost effects are computed from the records and cost lines as written (so they include noise, case mix and the
providers' efficiency factors) both crude and case-mix adjusted by POD and HRG (indirect standardisation against the
other providers), which is what a POD/HRG benchmark should find. Like a benchmark, the case-mix adjusted figures leave
out cells where no provider has any cost on the effect's driver (chemotherapy day cases have no imaging), which would
otherwise dilute the excess per case.

In a national-shaped set every added acute trust carries one effect of its own too (`added_trust_effect`, drawn from
the seed: dearer theatre, longer operations or longer stays in one POD and HRG family), listed and
measured in the manifest the same way, so that a national benchmark has something to find in every trust.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from engine import codes

if TYPE_CHECKING:
    from engine.synth.costs import CostLines
    from engine.synth.events import Records
    from engine.synth.providers import ProviderSpec

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
_DRIVERS: Final = codes.codes(codes.COST_DRIVERS)
_UNITS: Final = codes.codes(codes.ACTIVITY_UNITS)
# The activity unit each planted driver's count is in (for cost per unit in the realised figures).
_UNIT_OF_DRIVER: Final = {"theatre": "theatre_minutes", "ward": "bed_days", "imaging": "examinations"}


@dataclass(frozen=True)
class PlantedEffect:
    """One planted difference. `pod` None means every POD of the setting."""

    id: str
    provider: str
    setting: str
    pod: str | None
    hrg_pattern: str
    driver: str
    measure: str
    effect: str
    factor: float | None = None
    days: int | None = None
    more_units: bool = False
    """With a factor: the driver's activity grows with its cost (longer operations: more theatre minutes at the same
    price per minute) instead of each unit costing more."""

    def applies(self, setting: str, pod: npt.NDArray[np.str_], hrg: npt.NDArray[np.str_]) -> Bools:
        if setting != self.setting:
            return np.zeros(len(pod), dtype=np.bool_)
        keep = np.ones(len(pod), dtype=np.bool_) if self.pod is None else pod == self.pod
        pattern = re.compile(self.hrg_pattern)
        unique, inverse = np.unique(hrg, return_inverse=True)
        matches = np.array([bool(pattern.match(str(h))) for h in unique.tolist()], dtype=np.bool_)
        return np.asarray(keep & matches[inverse] if len(unique) else keep, dtype=np.bool_)


PLANTED: Final[tuple[PlantedEffect, ...]] = (
    PlantedEffect(
        id="zzb_theatre_hip_trauma",
        provider="ZZB",
        setting="apc",
        pod="NEL",
        hrg_pattern=r"^HT1[23]",
        driver="theatre",
        measure="theatre cost per case",
        effect="Theatre cost of non-elective hip procedures for trauma is 25% above the other providers "
        "(theatre lines multiplied by 1.25 after all other costing; theatre minutes unchanged).",
        factor=1.25,
    ),
    PlantedEffect(
        id="zzc_stroke_los",
        provider="ZZC",
        setting="apc",
        pod="NEL",
        hrg_pattern=r"^AA35",
        driver="ward",
        measure="length of stay (days)",
        effect="Non-elective stroke stays are 2 days longer than at the other providers; ward bed days and ward "
        "cost follow the longer stay.",
        days=2,
    ),
    PlantedEffect(
        id="zza_imaging_apc",
        provider="ZZA",
        setting="apc",
        pod=None,
        hrg_pattern=r".*",
        driver="imaging",
        measure="imaging cost per case",
        effect="Imaging cost per case on all admitted care is 30% above the other providers (imaging lines "
        "multiplied by 1.3; examinations unchanged).",
        factor=1.3,
    ),
)


# What an added trust of a national-shaped set (`providers.roster`) may stand out on: (kind, driver, POD, HRG
# pattern, the cases in words). Families with enough cases, and drivers on nearly every one of their records, for a
# benchmark to see them at small scales: elective orthopaedic and general surgical theatre, non-elective respiratory
# and digestive stays. "price" makes each unit dearer (as ZZB's theatre effect), "units" more units at the same price
# (longer operations), "days" longer stays (as ZZC's stroke effect).
_ADDED_TRUST_VARIATION: Final = (
    ("price", "theatre", "EL", r"^HN", "elective orthopaedic procedures"),
    ("units", "theatre", "EL", r"^FF", "elective general surgical procedures"),
    ("days", "ward", "NEL", r"^DZ", "non-elective respiratory admissions"),
    ("days", "ward", "NEL", r"^FD", "non-elective digestive admissions"),
)


def added_trust_effect(code: str, rng: np.random.Generator) -> PlantedEffect:
    """The one planted effect of an added acute trust, drawn from `rng`: which family and how large (theatre cost
    30-50% above the others, theatre minutes 30-50% longer, or stays 2-3 days longer)."""
    kind, driver, pod, pattern, cases = _ADDED_TRUST_VARIATION[int(rng.integers(len(_ADDED_TRUST_VARIATION)))]
    family = pattern.removeprefix("^")
    effect_id = f"{code.lower()}_{driver}_{pod.lower()}_{family.lower()}"
    if kind == "days":
        days = int(rng.integers(2, 4))
        return PlantedEffect(
            id=effect_id, provider=code, setting="apc", pod=pod, hrg_pattern=pattern, driver=driver,
            measure="length of stay (days)",
            effect=f"Stays of {cases} ({family}) are {days} days longer than at the other providers; ward bed days "
            "and ward cost follow the longer stay.",
            days=days,
        )  # fmt: skip
    factor = round(float(rng.uniform(1.3, 1.5)), 2)
    if kind == "units":
        effect = (
            f"Theatre time of {cases} ({family}) is {factor:g} times the other providers' (theatre minutes and "
            "theatre cost both multiplied; the price per minute unchanged)."
        )
    else:
        effect = (
            f"{driver.capitalize()} cost per case of {cases} ({family}) is {factor:g} times the other providers' "
            f"({driver} lines multiplied after all other costing; {_UNIT_OF_DRIVER[driver]} unchanged)."
        )
    return PlantedEffect(
        id=effect_id, provider=code, setting="apc", pod=pod, hrg_pattern=pattern, driver=driver,
        measure=f"{driver} cost per case", effect=effect, factor=factor, more_units=kind == "units",
    )  # fmt: skip


@dataclass(frozen=True)
class PlantedPathwayEffect:
    """A planted difference in the care that follows an index admission at one provider."""

    id: str
    pathway: str
    step: str
    provider: str
    factor: float
    measure: str
    effect: str


PLANTED_PATHWAYS: Final[tuple[PlantedPathwayEffect, ...]] = (
    PlantedPathwayEffect(
        id="zzc_hip_fracture_rehab",
        pathway="hip_fracture",
        step="community_rehabilitation",
        provider="ZZC",
        factor=1.6,
        measure="community rehabilitation contacts per index spell within 90 days of discharge",
        effect="Hip fracture patients admitted at ZZC get 1.6 times the community rehabilitation contacts after "
        "discharge (longer community rehab), wherever the rehabilitation is delivered.",
    ),
)


def pathway_factor(pathway: str, step: str, provider: str) -> float:
    """How much a planted pathway effect multiplies a step's follow-on events for index spells at `provider`."""
    factor = 1.0
    for effect in PLANTED_PATHWAYS:
        if (effect.pathway, effect.step, effect.provider) == (pathway, step, provider):
            factor *= effect.factor
    return factor


def effects_of(spec: ProviderSpec) -> tuple[PlantedEffect, ...]:
    """The planted effects a provider carries: the synthetic ICS's own, or an added trust's (`added_trust_effect`)."""
    return tuple(e for e in PLANTED if e.provider == spec.code) + spec.planted_effects


def extra_los_days(
    spec: ProviderSpec, setting: str, pod: npt.NDArray[np.str_], hrg: npt.NDArray[np.str_]
) -> npt.NDArray[np.int64]:
    """Days added to each episode's stay by planted length-of-stay effects."""
    extra = np.zeros(len(pod), dtype=np.int64)
    for effect in effects_of(spec):
        if effect.days is not None:
            extra += np.where(effect.applies(setting, pod, hrg), effect.days, 0)
    return extra


def driver_factors(
    spec: ProviderSpec, setting: str, columns: dict[str, Any], *, more_units: bool = False
) -> dict[str, Floats]:
    """Per-record multipliers of a driver's cost from planted cost effects (only drivers that have one): those where
    each unit costs more, or with `more_units` those where the activity grows with the cost."""
    out: dict[str, Floats] = {}
    if "pod" not in columns or "hrg" not in columns:
        return out
    for effect in effects_of(spec):
        if effect.factor is None or effect.more_units != more_units:
            continue
        hit = effect.applies(setting, columns["pod"], columns["hrg"])
        if hit.any():
            current = out.get(effect.driver, np.ones(len(hit)))
            out[effect.driver] = np.where(hit, current * effect.factor, current)
    return out


class Realised:
    """Accumulates, chunk by chunk, the figures each planted effect is judged on, per provider, POD and HRG."""

    def __init__(self, effects: tuple[PlantedEffect, ...] = PLANTED) -> None:
        self._effects = effects
        self._cells: dict[str, dict[tuple[str, str, str], Floats]] = {e.id: {} for e in effects}

    def add(self, provider: str, records: Records, lines: CostLines) -> None:
        for effect in self._effects:
            if records.setting != effect.setting or len(records) == 0:
                continue
            hit = effect.applies(records.setting, records.columns["pod"], records.columns["hrg"])
            if not hit.any():
                continue
            rows = np.flatnonzero(hit)
            driver_cost = lines.by_driver[rows, _DRIVERS.index(effect.driver)] / 100.0
            unit = _UNIT_OF_DRIVER[effect.driver]
            on_unit = (lines.unit == _UNITS.index(unit)) & (lines.driver == _DRIVERS.index(effect.driver))
            units = np.bincount(
                lines.record[on_unit], weights=np.nan_to_num(lines.count[on_unit]), minlength=len(records)
            )[rows]
            value = records.columns["los"][rows].astype(np.float64) if effect.days is not None else driver_cost
            keys = np.char.add(np.char.add(records.columns["pod"][rows].astype(str), "|"), records.columns["hrg"][rows])
            unique, inverse = np.unique(keys, return_inverse=True)
            sums = np.stack(
                [
                    np.bincount(inverse, minlength=len(unique)).astype(np.float64),
                    np.bincount(inverse, weights=value, minlength=len(unique)),
                    np.bincount(inverse, weights=driver_cost, minlength=len(unique)),
                    np.bincount(inverse, weights=units, minlength=len(unique)),
                ],
                axis=1,
            )
            cells = self._cells[effect.id]
            for key, row in zip(unique.tolist(), sums, strict=True):
                pod, hrg = key.split("|")
                cell = (provider, pod, hrg)
                cells[cell] = cells[cell] + row if cell in cells else row.copy()

    def summary(self) -> list[dict[str, Any]]:
        """Each planted effect with its realised size (null where a side has no cases)."""
        out = []
        for effect in self._effects:
            cells = self._cells[effect.id]
            mine = {k[1:]: v for k, v in cells.items() if k[0] == effect.provider}
            others: dict[tuple[str, str], Floats] = {}
            for key, v in cells.items():
                if key[0] != effect.provider:
                    others[key[1:]] = others[key[1:]] + v if key[1:] in others else v.copy()
            out.append(_describe(effect, mine, others))
        return out


def _total(cells: dict[tuple[str, str], Floats]) -> Floats:
    return np.sum(list(cells.values()), axis=0) if cells else np.zeros(4)


def _rounded(value: float | None, places: int = 4) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), places)


def _describe(
    effect: PlantedEffect, mine: dict[tuple[str, str], Floats], others: dict[tuple[str, str], Floats]
) -> dict[str, Any]:
    m, o = _total(mine), _total(others)
    provider_mean = m[1] / m[0] if m[0] else None
    others_mean = o[1] / o[0] if o[0] else None
    shared = [k for k, v in mine.items() if k in others and (v[2] != 0 or others[k][2] != 0)]
    expected = sum(mine[k][0] * others[k][1] / others[k][0] for k in shared)
    observed = sum(mine[k][1] for k in shared)
    matched = sum(mine[k][0] for k in shared)
    unit = _UNIT_OF_DRIVER[effect.driver]
    realised: dict[str, Any] = {
        "provider_cases": int(m[0]),
        "others_cases": int(o[0]),
        "provider_mean": _rounded(provider_mean),
        "others_mean": _rounded(others_mean),
        "ratio": _rounded(provider_mean / others_mean) if provider_mean and others_mean else None,
        "difference": _rounded(provider_mean - others_mean)
        if provider_mean is not None and others_mean is not None
        else None,
        "casemix_adjusted_ratio": _rounded(observed / expected) if expected else None,
        "casemix_adjusted_difference": _rounded((observed - expected) / matched) if matched else None,
        f"{effect.driver}_cost_per_case": {
            "provider": _rounded(m[2] / m[0] if m[0] else None),
            "others": _rounded(o[2] / o[0] if o[0] else None),
        },
        f"{unit}_per_case": {
            "provider": _rounded(m[3] / m[0] if m[0] else None),
            "others": _rounded(o[3] / o[0] if o[0] else None),
        },
        f"{effect.driver}_cost_per_{unit.removesuffix('s')}": {
            "provider": _rounded(m[2] / m[3] if m[3] else None),
            "others": _rounded(o[2] / o[3] if o[3] else None),
        },
    }
    return {
        "id": effect.id,
        "provider": effect.provider,
        "setting": effect.setting,
        "pod": effect.pod,
        "hrg_pattern": effect.hrg_pattern,
        "driver": effect.driver,
        "measure": effect.measure,
        "effect": effect.effect,
        "factor": effect.factor,
        "days": effect.days,
        "more_units": effect.more_units,
        "realised": realised,
    }

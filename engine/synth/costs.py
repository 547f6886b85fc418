"""Patient-level costs: each record's cost spread over cost drivers and resources, as PLICS cost lines.

A record's cost is the national unit cost of its currency x the provider's efficiency factor x lognormal noise
(mean 1). It is shared between cost drivers in proportions typical of the setting (admitted care differs for
medical and surgical HRGs and day cases), and each driver's cost between 1-4 resources. Admitted care ward cost is
not a share: it is the episode's bed days x its ward's cost per bed day, and only the rest of the national cost is
shared out, so length of stay drives ward cost. Each line carries an activity count where one fits (bed days,
theatre minutes, tests ...), on one line per record so that counts add up across a record's lines.

Planted effects are applied last, then every line is rounded to whole pennies; totals are sums of pennies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from engine import codes
from engine.synth import casemix, planted
from engine.synth.events import CostInputs, Records

if TYPE_CHECKING:
    from engine.synth.providers import ProviderSpec

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

DRIVERS: Final[tuple[str, ...]] = codes.codes(codes.COST_DRIVERS)
RESOURCES: Final[tuple[str, ...]] = codes.codes(codes.COST_RESOURCES)
UNITS: Final[tuple[str, ...]] = codes.codes(codes.ACTIVITY_UNITS)
NOISE_SIGMA: Final = 0.25
CREDIT_CHANCE: Final = 1 / 5_000
MAIN: Final = "main"


@dataclass(frozen=True)
class Line:
    """One resource line of a driver: its typical share of the driver's cost and the count it carries, if any."""

    resource: str
    weight: float
    unit: str | None = None
    count: str | None = None


@dataclass(frozen=True)
class Driver:
    """A cost driver in a profile: share of the record's budget, how often a record uses it, and its lines."""

    driver: str
    share: float
    presence: float
    lines: tuple[Line, ...]
    min_lines: int = 1
    all_lines: float = 0.7


@dataclass(frozen=True)
class Profile:
    """How one kind of record's cost is made up. `ward` marks admitted care, whose ward cost follows bed days."""

    drivers: tuple[Driver, ...]
    ward: bool = False
    floor: float = 0.3


_WARD = Driver(
    "ward",
    0.0,
    1.0,
    (
        Line("nursing", 0.6, "bed_days", "days"),
        Line("consultant", 0.15, "contacts", "ward_contacts"),
        Line("medical_other", 0.15),
        Line("supplies", 0.1),
    ),
    min_lines=2,
    all_lines=0.85,
)


def _theatre(share: float) -> Driver:
    return Driver(
        "theatre",
        share,
        1.0,
        (
            Line("nursing", 0.4, "theatre_minutes", "theatre_minutes"),
            Line("medical_other", 0.18, "anaesthetic_minutes", "anaesthetic_minutes"),
            Line("consultant", 0.22),
            Line("supplies", 0.2),
        ),
        min_lines=2,
        all_lines=0.9,
    )


# Admitted care clinical support: up to four resource lines each.
def _pathology(share: float, presence: float) -> Driver:
    lines = (
        Line("scientific", 0.55, "tests", "tests"),
        Line("medical_other", 0.15),
        Line("supplies", 0.2),
        Line("overheads", 0.1),
    )
    return Driver("pathology", share, presence, lines, all_lines=0.9)


def _imaging(share: float, presence: float) -> Driver:
    lines = (
        Line("scientific", 0.5, "examinations", "examinations"),
        Line("consultant", 0.25),
        Line("supplies", 0.15),
        Line("overheads", 0.1),
    )
    return Driver("imaging", share, presence, lines, all_lines=0.9)


def _pharmacy(share: float, presence: float) -> Driver:
    lines = (
        Line("drugs", 0.7, "items", "items"),
        Line("scientific", 0.15),
        Line("supplies", 0.1),
        Line("overheads", 0.05),
    )
    return Driver("pharmacy", share, presence, lines, all_lines=0.9)


def _therapies(share: float, presence: float) -> Driver:
    lines = (Line("ahp", 0.8, "contacts", "therapy_contacts"), Line("supplies", 0.1), Line("overheads", 0.1))
    return Driver("therapies", share, presence, lines, all_lines=0.9)


def _other_clinical(share: float, presence: float) -> Driver:
    lines = (Line("scientific", 0.45), Line("supplies", 0.35), Line("nursing", 0.2))
    return Driver("other_clinical", share, presence, lines, all_lines=0.8)


def _overheads(share: float) -> Driver:
    lines = (Line("overheads", 0.75), Line("supplies", 0.15), Line("nursing", 0.1))
    return Driver("overheads", share, 1.0, lines, all_lines=0.9)


# Outpatient and emergency care: fewer lines per record.
def _light(driver: str, share: float, presence: float, count: Line, other: str, all_lines: float) -> Driver:
    return Driver(driver, share, presence, (count, Line(other, 0.3)), all_lines=all_lines)


def _patient_facing(driver: str, share: float, lines: tuple[Line, ...], all_lines: float = 0.35) -> Driver:
    return Driver(driver, share, 1.0, lines, min_lines=2, all_lines=all_lines)


def _main(driver: str, unit: str, count: str, share: float = 1.0) -> Driver:
    lines = (Line(MAIN, 0.72, unit, count), Line("overheads", 0.2), Line("supplies", 0.08))
    return Driver(driver, share, 1.0, lines, all_lines=0.2)


def _ambulatory_support(
    pathology: float, imaging: float, pharmacy: float, all_lines: float = 0.5
) -> tuple[Driver, ...]:
    out = [
        _light("pathology", 0.06, pathology, Line("scientific", 0.7, "tests", "tests"), "supplies", all_lines),
        _light(
            "imaging", 0.06, imaging, Line("scientific", 0.7, "examinations", "examinations"), "consultant", all_lines
        ),
    ]
    if pharmacy:
        out.append(Driver("pharmacy", 0.04, pharmacy, (Line("drugs", 1.0, "items", "items"),)))
    return tuple(out)


PROFILES: Final[dict[str, Profile]] = {
    "apc_medical": Profile(
        (
            _WARD,
            _pathology(0.15, 0.95),
            _imaging(0.14, 0.8),
            _pharmacy(0.17, 0.95),
            _therapies(0.10, 0.6),
            _other_clinical(0.06, 0.5),
            _overheads(0.38),
        ),
        ward=True,
    ),
    "apc_surgical": Profile(
        (
            _WARD,
            _theatre(0.55),
            _pathology(0.06, 0.9),
            _imaging(0.06, 0.7),
            _pharmacy(0.07, 0.95),
            _therapies(0.04, 0.5),
            _other_clinical(0.02, 0.4),
            _overheads(0.20),
        ),
        ward=True,
    ),
    "dc_surgical": Profile(
        (_WARD, _theatre(0.62), _pathology(0.05, 0.5), _imaging(0.04, 0.35), _pharmacy(0.06, 0.8), _overheads(0.23)),
        ward=True,
    ),
    "dc_medical": Profile(
        (
            _WARD,
            _pathology(0.12, 0.8),
            _imaging(0.08, 0.4),
            _pharmacy(0.30, 0.9),
            _other_clinical(0.15, 0.5),
            _overheads(0.35),
        ),
        ward=True,
    ),
    "dc_chemo": Profile(
        (_WARD, _pathology(0.10, 0.9), _pharmacy(0.55, 1.0), _other_clinical(0.05, 0.3), _overheads(0.30)),
        ward=True,
    ),
    "op": Profile(
        (
            _patient_facing(
                "outpatient_care",
                0.70,
                (
                    Line("consultant", 0.45, "attendances", "one"),
                    Line("nursing", 0.25),
                    Line("medical_other", 0.2),
                    Line("supplies", 0.1),
                ),
            ),
            *_ambulatory_support(0.3, 0.2, 0.15),
            Driver("overheads", 0.15, 1.0, (Line("overheads", 1.0),)),
        )
    ),
    "op_proc": Profile(
        (
            _patient_facing(
                "outpatient_care",
                0.72,
                (
                    Line("consultant", 0.4, "attendances", "one"),
                    Line("supplies", 0.25),
                    Line("nursing", 0.25),
                    Line("medical_other", 0.1),
                ),
            ),
            *_ambulatory_support(0.3, 0.25, 0.2),
            Driver("overheads", 0.15, 1.0, (Line("overheads", 1.0),)),
        )
    ),
    "ec": Profile(
        (
            _patient_facing(
                "emergency_care",
                0.62,
                (
                    Line("nursing", 0.4, "attendances", "one"),
                    Line("medical_other", 0.3),
                    Line("consultant", 0.2),
                    Line("supplies", 0.1),
                ),
                all_lines=0.75,
            ),
            *_ambulatory_support(0.75, 0.6, 0.0, all_lines=0.85),
            Driver("overheads", 0.16, 1.0, (Line("overheads", 1.0),)),
        )
    ),
    "ec_minor": Profile(
        (
            _patient_facing(
                "emergency_care",
                0.84,
                (
                    Line("nursing", 0.45, "attendances", "one"),
                    Line("medical_other", 0.3),
                    Line("consultant", 0.15),
                    Line("supplies", 0.1),
                ),
                all_lines=0.75,
            ),
            Driver("overheads", 0.16, 1.0, (Line("overheads", 1.0),)),
        )
    ),
    "cc": Profile(
        (
            Driver(
                "critical_care",
                0.80,
                1.0,
                (
                    Line("nursing", 0.55, "cc_bed_days", "days"),
                    Line("consultant", 0.2),
                    Line("medical_other", 0.15),
                    Line("supplies", 0.1),
                ),
                min_lines=2,
                all_lines=0.2,
            ),
            Driver(
                "pharmacy", 0.11, 0.9, (Line("drugs", 0.85, "items", "items"), Line("scientific", 0.15)), all_lines=0.2
            ),
            Driver("overheads", 0.09, 1.0, (Line("overheads", 1.0),)),
        )
    ),
    "mh_contact": Profile((_main("mental_health_care", "contacts", "one"),)),
    "mh_bed_days": Profile(
        (
            Driver(
                "mental_health_care",
                1.0,
                1.0,
                (Line("nursing", 0.6, "bed_days", "days"), Line("consultant", 0.15), Line("overheads", 0.25)),
                all_lines=0.5,
            ),
        )
    ),
    "chs": Profile((_main("community_care", "contacts", "one"),)),
}


@dataclass
class CostLines:
    """A chunk's cost lines as row-aligned arrays (indices into DRIVERS, RESOURCES, UNITS and `locations`).

    `by_driver` holds each record's pennies per driver and `lines_by_driver` how many lines it has there.
    """

    record: Ints
    driver: Ints
    resource: Ints
    pennies: Ints
    count: Floats
    unit: Ints
    location: npt.NDArray[np.int32]
    locations: list[str]
    by_driver: Ints
    lines_by_driver: Ints

    def __len__(self) -> int:
        return len(self.record)

    def record_pennies(self) -> Ints:
        return np.asarray(self.by_driver.sum(axis=1), dtype=np.int64)

    @property
    def wide_cells(self) -> int:
        """Non-blank cells of a wide file (one per record and driver with cost): the cost lines ingest makes."""
        return int((self.lines_by_driver > 0).sum())


# Price ranges (pounds) that turn a support driver's cost into a count of its units.
_UNIT_PRICES: Final[dict[str, tuple[float, float]]] = {
    "tests": (7.0, 12.0),
    "examinations": (70.0, 130.0),
    "items": (15.0, 35.0),
    "therapy_contacts": (45.0, 75.0),
}


def _counts(
    rule: str | None,
    rng: np.random.Generator,
    cost: Floats,
    days: Floats,
    theatre_rate: float,
    state: dict[str, Floats],
) -> Floats:
    """Activity counts for one line of every record in `cost` (NaN where the line carries none)."""
    n = len(cost)
    if rule is None:
        return np.full(n, np.nan)
    if rule == "days":
        return days
    if rule == "one":
        return np.ones(n)
    if rule == "ward_contacts":
        return np.maximum(1.0, np.rint(days * rng.uniform(0.6, 1.0, n)))
    if rule == "theatre_minutes":
        minutes = np.maximum(10.0, np.rint(cost / (theatre_rate * rng.uniform(0.85, 1.15, n))))
        state["theatre_minutes"] = minutes
        return minutes
    if rule == "anaesthetic_minutes":
        return state["theatre_minutes"] + rng.integers(15, 36, n)
    low, high = _UNIT_PRICES[rule]
    return np.maximum(1.0, np.rint(cost / rng.uniform(low, high, n)))


def cost_records(records: Records, provider: ProviderSpec, rng: np.random.Generator) -> CostLines:
    """Cost lines for every record of a chunk."""
    inputs = records.cost
    n = len(records)
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("record", "driver", "resource", "cost", "count", "unit", "loc")
    }
    efficiency = provider.efficiency
    factors = planted.driver_factors(provider, records.setting, records.columns)
    longer = planted.driver_factors(provider, records.setting, records.columns, more_units=True)
    noise = rng.lognormal(-(NOISE_SIGMA**2) / 2, NOISE_SIGMA, n)
    for name in sorted(set(inputs.profile.tolist())):
        profile = PROFILES[name]
        rows = np.flatnonzero(inputs.profile == name)
        base = inputs.base_cost[rows]
        if profile.ward:
            expected_ward = inputs.expected_ward_days[rows] * casemix.REFERENCE_WARD_RATE
            budget = np.maximum(base - expected_ward, profile.floor * base) * efficiency * noise[rows]
        else:
            budget = base * efficiency * noise[rows]
        total_share = sum(d.share for d in profile.drivers)
        state: dict[str, Floats] = {}
        for spec in profile.drivers:
            if spec.driver == "ward":
                present = np.ones(len(rows), dtype=np.bool_)
                driver_cost = inputs.days[rows] * inputs.ward_rate[rows]
            else:
                present = rng.random(len(rows)) < spec.presence
                driver_cost = budget * spec.share / total_share / spec.presence
            if spec.driver in longer:  # more units at the same price: the counts follow this cost
                driver_cost = driver_cost * longer[spec.driver][rows]
            factor = factors[spec.driver][rows] if spec.driver in factors else None
            _add_lines(parts, spec, rows, present, driver_cost, factor, inputs, rng, state)
    return _assemble(parts, n, inputs.locations, rng)


def _add_lines(
    parts: dict[str, list[np.ndarray]],
    spec: Driver,
    rows: Ints,
    present: npt.NDArray[np.bool_],
    driver_cost: Floats,
    factor: Floats | None,
    inputs: CostInputs,
    rng: np.random.Generator,
    state: dict[str, Floats],
) -> None:
    """Split one driver's cost over its resource lines for the records where it is present.

    Counts follow the cost before any planted factor, so a planted factor shows as a dearer unit (cost per minute,
    per examination), not as more activity.
    """
    k = len(spec.lines)
    m = len(rows)
    used = np.where(rng.random(m) < spec.all_lines, k, rng.integers(spec.min_lines, max(spec.min_lines, k - 1) + 1, m))
    weights = np.array([line.weight for line in spec.lines]) * rng.lognormal(0.0, 0.2, (m, k))
    weights = np.where(np.arange(k)[None, :] < used[:, None], weights, 0.0)
    weights /= weights.sum(axis=1, keepdims=True)
    planted_cost = driver_cost if factor is None else driver_cost * factor
    location = inputs.location.get(spec.driver)
    if location is None:
        location = np.full(len(inputs.base_cost), -1, dtype=np.int32)
    location = location[rows]
    days = inputs.days[rows]
    for j, line in enumerate(spec.lines):
        take = present & (used > j)
        counts = _counts(line.count, rng, driver_cost, days, inputs.theatre_cost_per_minute, state)
        records = rows[take]
        if line.resource == MAIN:
            if inputs.main_resource is None:
                raise ValueError(f"driver {spec.driver} needs a main resource per record")
            values, inverse = np.unique(inputs.main_resource[records], return_inverse=True)
            lookup = np.array([RESOURCES.index(v) for v in values.tolist()], dtype=np.int64)
            resource = np.asarray(lookup[inverse], dtype=np.int64)
        else:
            resource = np.full(len(records), RESOURCES.index(line.resource), dtype=np.int64)
        parts["record"].append(records)
        parts["driver"].append(np.full(len(records), DRIVERS.index(spec.driver), dtype=np.int64))
        parts["resource"].append(resource)
        parts["cost"].append((planted_cost * weights[:, j])[take])
        parts["count"].append(counts[take])
        parts["unit"].append(np.full(len(records), UNITS.index(line.unit) if line.unit else -1, dtype=np.int64))
        parts["loc"].append(location[take])


def _assemble(parts: dict[str, list[np.ndarray]], n: int, locations: list[str], rng: np.random.Generator) -> CostLines:
    if not parts["record"]:
        parts = {key: [np.zeros(0, dtype=np.float64 if key in ("cost", "count") else np.int64)] for key in parts}
    record = np.concatenate(parts["record"]).astype(np.int64)
    order = np.argsort(record, kind="stable")
    record = record[order]
    driver = np.concatenate(parts["driver"])[order]
    cost = np.concatenate(parts["cost"])[order]
    credit = rng.random(len(cost)) < CREDIT_CHANCE
    cost = np.where(credit, -cost, cost)
    pennies = np.rint(cost * 100).astype(np.int64)
    key = record * len(DRIVERS) + driver
    by_driver = np.bincount(key, weights=pennies, minlength=n * len(DRIVERS)).astype(np.int64)
    lines_by_driver = np.bincount(key, minlength=n * len(DRIVERS)).astype(np.int64)
    return CostLines(
        record=record,
        driver=driver,
        resource=np.concatenate(parts["resource"])[order],
        pennies=pennies,
        count=np.concatenate(parts["count"])[order],
        unit=np.concatenate(parts["unit"])[order],
        location=np.concatenate(parts["loc"]).astype(np.int32)[order],
        locations=locations,
        by_driver=by_driver.reshape(n, len(DRIVERS)),
        lines_by_driver=lines_by_driver.reshape(n, len(DRIVERS)),
    )

"""The five fictional providers of the synthetic ICS, their catchments, wards and theatres.

Codes start `ZZ` and every name ends `(synthetic)` so the files can never be mistaken for a real trust's. Each
provider has a fixed efficiency factor (its general cost level against the national schedule), kept close to 1 for
the providers that carry planted effects so that the planted size is what a benchmark finds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from engine.synth.seeding import chunk_rng


@dataclass(frozen=True)
class ProviderSpec:
    """One fictional trust: what it provides, where its patients live and how costly it is."""

    code: str
    name: str
    type: str
    settings: tuple[str, ...]
    home_districts: tuple[str, ...]
    efficiency: float
    theatre_cost_per_minute: float
    ward_code_style: str


PROVIDERS: Final[tuple[ProviderSpec, ...]] = (
    ProviderSpec(
        "ZZA",
        "Northshore Teaching Hospitals NHS Foundation Trust (synthetic)",
        "acute",
        ("apc", "op", "ec", "cc", "chs"),
        ("Blackpool", "Fylde", "Wyre", "Lancaster", "South Lakeland", "Barrow-in-Furness"),
        1.01,
        18.0,
        "WARD{n}",
    ),
    ProviderSpec(
        "ZZB",
        "Ribblemere Hospitals NHS Trust (synthetic)",
        "acute",
        ("apc", "op", "ec", "cc", "chs"),
        ("Preston", "Chorley", "South Ribble", "West Lancashire"),
        1.02,
        19.5,
        "{site} W{n}",
    ),
    ProviderSpec(
        "ZZC",
        "Eastfell University Hospitals NHS Trust (synthetic)",
        "acute",
        ("apc", "op", "ec", "cc", "chs"),
        ("Blackburn with Darwen", "Burnley", "Pendle", "Hyndburn", "Rossendale", "Ribble Valley"),
        1.04,
        21.0,
        "EUH-{letter}{n}",
    ),
    ProviderSpec(
        "ZZD",
        "Fellside Mental Health and Community Care NHS Trust (synthetic)",
        "mental_health",
        ("mh", "chs"),
        (),
        0.97,
        0.0,
        "FMH {name}",
    ),
    ProviderSpec(
        "ZZE",
        "Brightwater Orthopaedic and Elective Centre (synthetic)",
        "specialist",
        ("apc", "op"),
        (),
        0.94,
        16.5,
        "BOC-{n}",
    ),
)

ACUTE: Final[tuple[str, ...]] = tuple(p.code for p in PROVIDERS if p.type == "acute")
MENTAL_HEALTH: Final = "ZZD"
ELECTIVE_CENTRE: Final = "ZZE"
SETTING_ORDER: Final[tuple[str, ...]] = ("apc", "op", "ec", "cc", "mh", "chs")


def provider(code: str) -> ProviderSpec:
    """The provider with this code."""
    for spec in PROVIDERS:
        if spec.code == code:
            return spec
    raise KeyError(code)


# Ward kinds and their typical cost per occupied bed day (before the ward's own spread and the provider's level).
WARD_KIND_RATES: Final[dict[str, float]] = {
    "medical": 465.0,
    "surgical": 480.0,
    "orthopaedic": 475.0,
    "stroke": 500.0,
    "elderly": 445.0,
    "paediatric": 520.0,
    "maternity": 490.0,
    "assessment": 510.0,
    "day_unit": 300.0,
}
ACUTE_WARD_KINDS: Final[tuple[str, ...]] = (
    "medical",
    "medical",
    "medical",
    "medical",
    "surgical",
    "surgical",
    "orthopaedic",
    "stroke",
    "elderly",
    "elderly",
    "paediatric",
    "maternity",
    "assessment",
    "day_unit",
)
ELECTIVE_WARD_KINDS: Final[tuple[str, ...]] = ("orthopaedic", "orthopaedic", "surgical", "day_unit")
_ZZB_SITES: Final = ("RGH", "MVH")
_MH_WARD_NAMES: Final = ("ORCHARD", "BECK", "HEATHER", "LARCH", "ROWAN", "TARN", "WILLOW", "GARTH")


@dataclass(frozen=True)
class Ward:
    """A ward: its local code, what kind of patients it takes and its cost per occupied bed day."""

    code: str
    kind: str
    rate: float


def wards(code: str, seed: int) -> tuple[Ward, ...]:
    """The provider's 15-30 wards (none for providers without admitted care), fixed by seed and provider."""
    spec = provider(code)
    if "apc" not in spec.settings:
        return ()
    rng = chunk_rng(seed, code, "wards")
    n_wards = int(rng.integers(15, 31))
    base_kinds = ELECTIVE_WARD_KINDS if code == ELECTIVE_CENTRE else ACUTE_WARD_KINDS
    kinds = list(base_kinds) + [str(k) for k in rng.choice(base_kinds, size=max(0, n_wards - len(base_kinds)))]
    numbers = rng.choice(np.arange(1, 60), size=len(kinds), replace=False)
    out = []
    for i, (kind, number) in enumerate(zip(kinds, numbers, strict=True)):
        ward_code = spec.ward_code_style.format(
            n=int(number), site=_ZZB_SITES[i % len(_ZZB_SITES)], letter="ABCDEF"[i % 6]
        )
        spread = float(rng.uniform(0.88, 1.12))
        rate = min(550.0, max(200.0, WARD_KIND_RATES[kind] * spread * spec.efficiency))
        out.append(Ward(ward_code, kind, round(rate, 2)))
    return tuple(out)


def mental_health_wards() -> tuple[str, ...]:
    """Ward codes of the mental health trust's inpatient units."""
    return tuple(f"FMH {name}" for name in _MH_WARD_NAMES)


def theatres(code: str) -> tuple[str, ...]:
    """Theatre codes of a provider with admitted care."""
    count = 6 if code == ELECTIVE_CENTRE else 10
    prefix = {"ZZA": "MAIN THR", "ZZB": "RGH TH", "ZZC": "EUH-TH", "ZZE": "BOC THEATRE"}.get(code, "THR")
    return tuple(f"{prefix} {i}" for i in range(1, count + 1))

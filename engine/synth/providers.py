"""The fictional providers of a synthetic data set, their catchments, wards and theatres.

The synthetic ICS has five providers. A national-shaped set (`roster(n)`, `icsbench synth --providers N`) adds
N - 5 more in the mix NHS England sees (about 60% acute, 25% mental health, 15% community trusts), each with its own
size (catchment weight), efficiency factor and home patients, and each added acute trust one planted effect of its
own (`planted.added_trust_effect`); the five keep everything they had, so their planted variation is the same and
still found.

Codes start `Z` (`ZZA`-`ZZE`, then `ZN001`...) and every name ends `(synthetic)` so the files can never be mistaken
for a real trust's (real trust codes start `R`, `T` or a digit). Each provider has a fixed efficiency factor (its
general cost level against the national schedule), kept close to 1 for the providers that carry planted effects so
that the planted size is what a benchmark finds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import numpy.typing as npt

from engine.synth.planted import PlantedEffect, added_trust_effect
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
    size: float = 1.0
    planted_effects: tuple[PlantedEffect, ...] = ()
    """An added trust's own planted effects (the synthetic ICS's are `planted.PLANTED`)."""


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
    """The provider of the synthetic ICS with this code."""
    return BASE_ROSTER.provider(code)


@dataclass(frozen=True)
class Roster:
    """The providers of one synthetic data set and who serves each home acute trust's patients.

    Every patient has a home acute trust (an index into `acute`); `mental_health[h]` and `community[h]` are the
    providers that give mental health care and the non-acute share of community care to patients of home `h`.
    """

    providers: tuple[ProviderSpec, ...]
    acute: tuple[str, ...]
    mental_health: tuple[str, ...]
    community: tuple[str, ...]

    def provider(self, code: str) -> ProviderSpec:
        """The provider with this code."""
        for spec in self.providers:
            if spec.code == code:
                return spec
        raise KeyError(code)

    @property
    def extra_acute(self) -> tuple[str, ...]:
        """Acute trusts beyond the synthetic ICS's own (their homes follow the ICS's three)."""
        return self.acute[len(ACUTE) :]

    def community_arm(self, home: npt.NDArray[np.int32]) -> npt.NDArray[np.str_]:
        """Where each patient gets community care after discharge: their home acute trust if it provides community
        care, else the community provider of their home."""
        arms = np.array(
            [code if "chs" in self.provider(code).settings else self.community[h] for h, code in enumerate(self.acute)]
        )
        return np.asarray(arms[home])


BASE_ROSTER: Final = Roster(PROVIDERS, ACUTE, (MENTAL_HEALTH,) * len(ACUTE), (MENTAL_HEALTH,) * len(ACUTE))
MAX_PROVIDERS: Final = 999 + len(PROVIDERS)
# The types of the added providers, in a repeating order of 20 (12 acute, 5 mental health, 3 community) chosen so
# every mental health and community trust has home acute trusts to serve however many are added.
_EXTRA_TYPES: Final = "AAMACAAMAACAMAAAMCAM"
_PLACE_STEMS: Final = (
    "Ashby Vale", "Brackenmoor", "Carrow Fields", "Dunmere", "Eldersby", "Fernhithe", "Garthwick", "Holmbrook",
    "Ivelmouth", "Kestrel Downs", "Larchmere", "Marlow Edge", "Netherwold", "Oakhithe", "Pennock", "Quarrendon",
    "Rushmere", "Saltcombe", "Thornleigh", "Wyvern",
)  # fmt: skip
_EXTRA_KINDS: Final = {
    "A": ("acute", "Hospitals NHS Trust", ("apc", "op", "ec", "cc")),
    "M": ("mental_health", "Mental Health NHS Trust", ("mh", "chs")),
    "C": ("community", "Community Health NHS Trust", ("chs",)),
}


def _extra(index: int, rng: np.random.Generator) -> ProviderSpec:
    """The index-th added provider (1-based): its code, name, type, settings, size and cost level."""
    kind = _EXTRA_TYPES[(index - 1) % len(_EXTRA_TYPES)]
    type_, suffix, settings = _EXTRA_KINDS[kind]
    code = f"ZN{index:03d}"
    if kind == "A" and index % 2 == 0:
        settings = (*settings, "chs")
    size = float(rng.uniform(0.5, 2.0)) if kind == "A" else 1.0
    stem = _PLACE_STEMS[(index - 1) % len(_PLACE_STEMS)]
    return ProviderSpec(
        code=code,
        name=f"{stem} {suffix} {index:03d} (synthetic)",
        type=type_,
        settings=settings,
        home_districts=(),
        efficiency=round(float(rng.uniform(0.92, 1.08)), 3),
        theatre_cost_per_minute=round(float(rng.uniform(16.0, 22.0)), 2) if kind == "A" else 0.0,
        ward_code_style=f"{code} W{{n}}" if kind == "A" else f"{code} {{name}}",
        size=round(size, 3),
    )


def roster(n_providers: int = len(PROVIDERS), seed: int = 42) -> Roster:
    """The synthetic ICS's five providers and `n_providers` - 5 more, fixed by seed.

    Added acute trusts take their own home patients; each added mental health or community trust serves the homes of
    some added acute trusts (in turn), and the ICS's own homes keep ZZD.
    """
    if not len(PROVIDERS) <= n_providers <= MAX_PROVIDERS:
        raise ValueError(f"providers must be from {len(PROVIDERS)} to {MAX_PROVIDERS}, not {n_providers}")
    if n_providers == len(PROVIDERS):
        return BASE_ROSTER
    rng = chunk_rng(seed, "national providers")
    extras = tuple(_extra(i, rng) for i in range(1, n_providers - len(PROVIDERS) + 1))
    extras = tuple(
        replace(p, planted_effects=(added_trust_effect(p.code, chunk_rng(seed, p.code, "planted")),))
        if p.type == "acute"
        else p
        for p in extras
    )
    extra_acute = tuple(p.code for p in extras if p.type == "acute")
    mh_pool = [p.code for p in extras if p.type == "mental_health"] or [MENTAL_HEALTH]
    community_pool = [p.code for p in extras if p.type in ("community", "mental_health")] or [MENTAL_HEALTH]
    mental_health = [mh_pool[i % len(mh_pool)] for i in range(len(extra_acute))]
    community = [community_pool[i % len(community_pool)] for i in range(len(extra_acute))]
    ics = (MENTAL_HEALTH,) * len(ACUTE)
    return Roster(PROVIDERS + extras, ACUTE + extra_acute, ics + tuple(mental_health), ics + tuple(community))


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


def wards(code: str, seed: int, providers: Roster | None = None) -> tuple[Ward, ...]:
    """The provider's 15-30 wards (none for providers without admitted care), fixed by seed and provider."""
    spec = (providers or BASE_ROSTER).provider(code)
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


def mental_health_wards(spec: ProviderSpec | None = None) -> tuple[str, ...]:
    """Ward codes of a mental health trust's inpatient units (ZZD's unless another is given)."""
    style = spec.ward_code_style if spec is not None else "FMH {name}"
    return tuple(style.format(name=name) for name in _MH_WARD_NAMES)


def theatres(code: str) -> tuple[str, ...]:
    """Theatre codes of a provider with admitted care."""
    count = 6 if code == ELECTIVE_CENTRE else 10
    prefix = {"ZZA": "MAIN THR", "ZZB": "RGH TH", "ZZC": "EUH-TH", "ZZE": "BOC THEATRE"}.get(code, "THR")
    return tuple(f"{prefix} {i}" for i in range(1, count + 1))

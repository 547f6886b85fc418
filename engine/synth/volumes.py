"""How much activity each provider sees: yearly volumes, POD mix, seasons and where patients go.

A patient goes to their home acute trust for most acute care and to another acute trust for some; the elective
centre takes about 30% of elective and day case orthopaedics; community care is split between the home acute trust
and the mental health and community trust. A provider's expected volume is the system volume times the share of
utilisation-weighted patients that would use it, and a chunk's patients are drawn with the same weights, so every
chunk can be made on its own and the system still adds up.

In a national-shaped set (`providers.roster`) each added acute trust sees 88% of its own home patients' admitted
care (86-90% by setting) and the rest goes to the next added acute trust; added mental health and community trusts
serve the homes the roster gives them. The elective centre serves only the ICS's own three homes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from engine.synth import casemix
from engine.synth.population import Population
from engine.synth.providers import ACUTE, BASE_ROSTER, ELECTIVE_CENTRE, Roster

Floats = npt.NDArray[np.float64]

# Yearly volumes for an ICS of about 1.8M people (scale 1.0).
APC_EPISODES: Final = 610_000
OP_ATTENDANCES: Final = 2_800_000
EC_ATTENDANCES: Final = 690_000
CC_BED_DAYS: Final = 73_000
MH_CONTACTS: Final = 630_000
MH_BED_DAY_RECORDS: Final = 15_000
CHS_CONTACTS: Final = 2_100_000

APC_POD_MIX: Final[dict[str, float]] = {"EL": 0.12, "NEL": 0.38, "NES": 0.10, "DC": 0.35, "RP": 0.05}
OP_POD_MIX: Final[dict[str, float]] = {"OPFA": 0.30, "OPFU": 0.60, "OPPROC": 0.10}
SECOND_EPISODE_SHARE: Final = 0.08
ELECTIVE_CENTRE_ORTHO_SHARE: Final = 0.30
ELECTIVE_CENTRE_ORTHO_MIX: Final = 0.85
FACE_TO_FACE_SHARE: Final = 0.85
# Share of first and follow-up outpatient attendances led by a consultant (NCC 2023/24: 49.0M of 70.8M WF01 and WF02
# attendances were in Consultant Led, the rest Non Consultant Led).
CONSULTANT_LED_SHARE: Final = 0.69

# Emergency work is busier in winter; weights per quarter average 1.
_WINTER: Final = (0.96, 0.97, 1.02, 1.05)
_SEASONAL: Final = frozenset({"NEL", "NES", "EC"})

# Probability that a patient of each home acute trust goes to a provider, per setting.
_HOME: Final[dict[str, float]] = {"apc": 0.88, "op": 0.86, "ec": 0.90, "cc": 0.88}
_AWAY: Final[dict[str, float]] = {"apc": 0.06, "op": 0.05, "ec": 0.05, "cc": 0.06}
ELECTIVE_CENTRE_OP_SHARE: Final = 0.04
COMMUNITY_HOME_ACUTE_SHARE: Final = 0.5


def quarter_weight(pod: str, quarter: int) -> float:
    """Share of a year's activity that falls in the quarter (a quarter of it, more in winter for emergencies)."""
    weights = _WINTER if pod in _SEASONAL else (1.0, 1.0, 1.0, 1.0)
    return weights[quarter - 1] / sum(weights)


def affinity(setting: str, provider: str, providers: Roster = BASE_ROSTER) -> Floats:
    """Probability that a patient goes to `provider` for `setting`, by home acute trust (one value per home)."""
    homes = providers.acute
    out = np.zeros(len(homes))
    base = len(ACUTE)
    if setting in _HOME and provider in ACUTE:
        out[:base] = _AWAY[setting]
        out[ACUTE.index(provider)] = _HOME[setting]
    elif setting in _HOME and provider in homes:
        _national_acute(out, setting, homes.index(provider), base)
    elif setting in ("apc", "op") and provider == ELECTIVE_CENTRE:
        out[:base] = ELECTIVE_CENTRE_OP_SHARE if setting == "op" else 1.0
    elif setting == "chs":
        own = np.array(["chs" in providers.provider(code).settings for code in homes])
        if provider in homes:
            out[homes.index(provider)] = COMMUNITY_HOME_ACUTE_SHARE if own[homes.index(provider)] else 0.0
        serves = np.array(providers.community) == provider
        out[serves] = np.where(own[serves], 1 - COMMUNITY_HOME_ACUTE_SHARE, 1.0)
    elif setting == "mh":
        out[np.array(providers.mental_health) == provider] = 1.0
    return out


def _national_acute(out: Floats, setting: str, index: int, base: int) -> None:
    """An added acute trust's share of each home: most of its own, the rest of the previous added trust's (if any)."""
    extra = len(out) - base
    if extra == 1:
        out[index] = 1.0
        return
    out[index] = _HOME[setting]
    previous = base + (index - base - 1) % extra
    out[previous] += 1 - _HOME[setting]


@dataclass
class Demand:
    """Utilisation weights of the population per setting, and the provider shares they imply."""

    population: Population
    providers: Roster = BASE_ROSTER
    _weights: dict[str, Floats] = field(default_factory=dict)

    def weights(self, setting: str) -> Floats:
        if setting not in self._weights:
            self._weights[setting] = self.population.utilisation(setting)
        return self._weights[setting]

    def home_shares(self, setting: str) -> Floats:
        """Share of the setting's utilisation-weighted patients living in each home acute trust's area."""
        w = self.weights(setting)
        totals = np.bincount(self.population.home, weights=w, minlength=len(self.providers.acute))
        return np.asarray(totals / totals.sum(), dtype=np.float64)

    def provider_share(self, setting: str, provider: str) -> float:
        """Expected share of the system's `setting` activity that happens at `provider` (before case-mix moves)."""
        return float(self.home_shares(setting) @ affinity(setting, provider, self.providers))

    def patient_weights(self, setting: str, provider: str) -> Floats:
        """Weight of each patient when drawing `provider`'s events for `setting`."""
        shares = affinity(setting, provider, self.providers)
        return np.asarray(self.weights(setting) * shares[self.population.home], dtype=np.float64)


def apc_spells_per_year(pod: str) -> float:
    """Spells a year at scale 1: episodes x POD share, less the second episodes of non-elective spells."""
    episodes = APC_EPISODES * APC_POD_MIX[pod]
    return episodes / (1 + SECOND_EPISODE_SHARE) if pod == "NEL" else episodes


def apc_hrg_weights(provider: str, pod: str) -> tuple[Floats, float]:
    """HRG probabilities at a provider for a POD, and the provider's volume relative to its plain share.

    The elective centre takes 30% of elective and day case orthopaedics from the ICS's acute trusts, which keep the
    rest (added acute trusts keep all theirs).
    For the elective centre the returned volume is its share of the whole system (85% orthopaedics, the rest
    pain management, minor skin and general surgery procedures).
    """
    cur = casemix.for_pod(pod)
    national = cur.activity / cur.activity.sum()
    if pod not in ("EL", "DC") or (provider not in ACUTE and provider != ELECTIVE_CENTRE):
        return national, 1.0
    ortho = casemix.is_orthopaedic(cur)
    if provider != ELECTIVE_CENTRE:
        kept = national * np.where(ortho, 1 - ELECTIVE_CENTRE_ORTHO_SHARE, 1.0)
        return kept / kept.sum(), float(kept.sum())
    other = cur.procedural & cur.starts_with("AB", "JC", "FF")
    mix = (
        ELECTIVE_CENTRE_ORTHO_MIX * np.where(ortho, national, 0) / national[ortho].sum()
        + (1 - ELECTIVE_CENTRE_ORTHO_MIX) * np.where(other, national, 0) / national[other].sum()
    )
    volume = ELECTIVE_CENTRE_ORTHO_SHARE * float(national[ortho].sum()) / ELECTIVE_CENTRE_ORTHO_MIX
    return np.asarray(mix, dtype=np.float64), volume

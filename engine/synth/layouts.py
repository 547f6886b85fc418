"""How each provider sends its files: names, which ones use local headers, which one is wide.

Most files use canonical column names. Two providers differ, as real trusts do: ZZC sends admitted care activity
with the seed SQL script's headers, and ZZE sends outpatients as one wide file with a cost column per driver.
"""

from __future__ import annotations

from typing import Final

SEED_STYLE: Final = "seed_style"
# Canonical column -> local header, exactly as [mappings.seed_style] in the config.
SEED_STYLE_MAPPING: Final[dict[str, str]] = {
    "org_code": "OrgCode",
    "pod": "PODMapping",
    "tfc": "TFC_Code",
    "hrg": "HRGCode",
    "record_id": "EpisodeID",
    "spell_id": "SpellID",
    "episode_count": "HRG_EpisodeCount",
}
# Wide file cost column -> cost driver, as the wide extract's cost_columns in the config.
WIDE_COST_COLUMNS: Final[dict[str, str]] = {
    "OutpatientCost": "outpatient_care",
    "PathologyCost": "pathology",
    "ImagingCost": "imaging",
    "PharmacyCost": "pharmacy",
    "OverheadCost": "overheads",
}
_SEED_STYLE_FILES: Final = frozenset({("ZZC", "apc")})
_WIDE_FILES: Final = frozenset({("ZZE", "op")})


def mapping_for(provider: str, setting: str) -> dict[str, str]:
    """Local headers of a provider's activity file for a setting (empty: canonical names)."""
    return dict(SEED_STYLE_MAPPING) if (provider, setting) in _SEED_STYLE_FILES else {}


def is_wide(provider: str, setting: str) -> bool:
    """Whether the provider sends this setting as one wide file (activity and costs together)."""
    return (provider, setting) in _WIDE_FILES


def layouts_for(provider: str, setting: str) -> tuple[str, ...]:
    """The files a provider writes per setting and quarter."""
    return ("wide",) if is_wide(provider, setting) else ("activity", "cost_lines")


def file_name(provider: str, setting: str, compact_year: str, quarter: int, layout: str, extension: str) -> str:
    """ZZA_apc_202324_Q1_activity.parquet"""
    return f"{provider}_{setting}_{compact_year}_Q{quarter}_{layout}.{extension}"

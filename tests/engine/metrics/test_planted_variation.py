"""The benchmarks find what was planted in the synthetic ICS, at the size the data actually shows.

The synthetic ICS plants three differences and writes their realised size into its manifest, measured case-mix
adjusted at POD and HRG (each provider's cases against the other providers' average for the same POD and HRG). The
engine's tables must (1) put the planted provider at the top of the opportunity for the planted HRGs and driver, and
(2) give the same excess per case once rebuilt from their own columns: for each cell, the other providers' average is
(ICS average x ICS activity - the provider's own) / (ICS activity - the provider's activity), and the excess is the
provider's amount less its cases at that average, over the cells other providers share. Tolerance: 5% of the
realised excess per case (the engine's cells add TFC to the manifest's POD and HRG, so the two differ slightly).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import query_store

TOLERANCE = 0.05

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def planted_ics(planted_ics_tenth: tuple[Any, Any]) -> tuple[dict[str, Any], Any]:
    result, config = planted_ics_tenth
    manifest = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    return {p["id"]: p for p in manifest["planted_effects"]}, config


def _excess(config: Any, table: str, where: str, count: str, amount: str, mean: str, ics_count: str) -> list[Any]:
    """Per provider: (org, cases, opportunity vs ICS, excess over the other providers' average, outlier cells)."""
    opportunity = "excess_bed_days_vs_ics" if table == "los_benchmark" else "opportunity_vs_ics"
    return query_store(
        config,
        f"""
        SELECT org_code, sum({count}) AS cases, sum({opportunity}) AS opportunity,
               sum(CAST({amount} AS DOUBLE)
                   - {count} * ({mean} * {ics_count} - CAST({amount} AS DOUBLE)) / ({ics_count} - {count})) AS excess,
               sum(CASE WHEN outlier_95 = 'high' THEN 1 ELSE 0 END) AS high_cells
        FROM results.{table}
        WHERE {where} AND {ics_count} > {count}
        GROUP BY org_code
        ORDER BY opportunity DESC
        """,
    )


def _check(found: list[Any], effect: dict[str, Any]) -> None:
    realised = effect["realised"]["casemix_adjusted_difference"]
    top = found[0]
    assert top[0] == effect["provider"], f"{effect['id']}: {top[0]} tops the opportunity, not {effect['provider']}"
    assert top[3] / top[1] == pytest.approx(realised, rel=TOLERANCE), effect["id"]
    assert top[2] > 0 and top[4] > 0, f"{effect['id']}: no opportunity or no funnel outlier"


def test_theatre_cost_of_hip_trauma_at_zzb_is_found(planted_ics: Any) -> None:
    effects, config = planted_ics
    found = _excess(
        config,
        "cost_driver_benchmark",
        "setting = 'apc' AND pod = 'NEL' AND regexp_matches(hrg, '^HT1[23]') AND cost_driver = 'theatre'",
        "activity",
        "driver_cost",
        "ics_driver_cost_per_case",
        "ics_activity",
    )
    _check(found, effects["zzb_theatre_hip_trauma"])


def test_longer_stroke_stays_at_zzc_are_found(planted_ics: Any) -> None:
    effects, config = planted_ics
    found = _excess(
        config,
        "los_benchmark",
        "pod = 'NEL' AND regexp_matches(hrg, '^AA35')",
        "spells",
        "bed_days",
        "ics_mean_los_untrimmed",  # the planted two days are on the untrimmed stays
        "ics_spells",
    )
    _check(found, effects["zzc_stroke_los"])


def test_imaging_cost_at_zza_is_found(planted_ics: Any) -> None:
    effects, config = planted_ics
    found = _excess(
        config,
        "cost_driver_benchmark",
        "setting = 'apc' AND cost_driver = 'imaging'",
        "activity",
        "driver_cost",
        "ics_driver_cost_per_case",
        "ics_activity",
    )
    _check(found, effects["zza_imaging_apc"])


def test_longer_community_rehabilitation_after_hip_fracture_at_zzc_is_found(planted_ics: Any) -> None:
    """The planted pathway effect: the whole-pathway table puts ZZC's hip fracture patients' community rehabilitation
    top, at about the size the generator wrote (the manifest counts every index spell; the table only complete
    pathways, a patient's first in the year, so the two agree within 20%)."""
    _, config = planted_ics
    manifest = json.loads((config.base_dir / "manifest.json").read_text(encoding="utf-8"))
    planted = manifest["pathway_effects"]["hip_fracture"]["planted"]
    assert (planted["provider"], planted["step"]) == ("ZZC", "community_rehabilitation")
    written_ratio = planted["realised"]["rehab_contacts_per_spell"]["ratio"]
    rows = query_store(
        config,
        "SELECT org_code, pathways, events, events_per_pathway, cost_per_pathway, opportunity_vs_ics "
        "FROM results.pathway_cost WHERE pathway = 'hip_fracture' AND step = 'community_rehabilitation' "
        "ORDER BY events_per_pathway DESC",
    )
    assert rows[0][0] == "ZZC", rows
    assert max(rows, key=lambda r: r[5])[0] == "ZZC"
    others = [r for r in rows if r[0] != "ZZC"]
    found_ratio = rows[0][3] / (sum(r[2] for r in others) / sum(r[1] for r in others))
    assert found_ratio > 1.3
    assert found_ratio == pytest.approx(written_ratio, rel=0.2)


def test_the_hip_theatre_effect_at_zzb_shows_at_service_level_where_the_hrg_cells_are_too_small(
    planted_ics: Any,
) -> None:
    """The seed's flagship slide for one service: the service line pools the hip HRGs, so ZZB's theatre cost per case
    is measured on all its cases at once and equals the generator's own figure for the same records (its plain,
    not case-mix adjusted, provider and others' means), with the theatre minutes per case unchanged."""
    effects, config = planted_ics
    realised = effects["zzb_theatre_hip_trauma"]["realised"]
    rows = query_store(
        config,
        "SELECT org_code, activity, CAST(driver_cost AS DOUBLE), opportunity_vs_ics, significant_vs_ics, outlier_95 "
        "FROM results.service_line_drivers WHERE service_line = 'NEL hip procedures for trauma' "
        "AND cost_driver = 'theatre' ORDER BY opportunity_vs_ics DESC",
    )
    zzb = rows[0]
    assert zzb[0] == "ZZB" and zzb[5] == "high" and zzb[4] > 0, rows
    others = [r for r in rows if r[0] != "ZZB"]
    assert zzb[1] == realised["provider_cases"] and sum(r[1] for r in others) == realised["others_cases"]
    assert zzb[2] / zzb[1] == pytest.approx(realised["provider_mean"], abs=1e-4)
    assert sum(r[2] for r in others) / sum(r[1] for r in others) == pytest.approx(realised["others_mean"], abs=1e-4)
    minutes = dict(
        query_store(
            config,
            "SELECT org_code, theatre_minutes_per_case FROM results.service_line_benchmark "
            "WHERE service_line = 'NEL hip procedures for trauma' AND period = 'year'",
        )
    )
    assert minutes["ZZB"] == pytest.approx(realised["theatre_minutes_per_case"]["provider"], abs=1e-4)


def test_longer_stroke_stays_at_zzc_show_in_the_stroke_service_line(planted_ics: Any) -> None:
    """The stroke service line's mean length of stay per spell equals the generator's figures for the same stays."""
    effects, config = planted_ics
    realised = effects["zzc_stroke_los"]["realised"]
    rows = query_store(
        config,
        "SELECT org_code, mean_los, ics_mean_los, spells FROM results.service_line_benchmark "
        "WHERE service_line = 'Stroke' AND period = 'year' ORDER BY mean_los DESC",
    )
    assert rows[0][0] == "ZZC" and rows[0][1] > rows[0][2], rows
    assert rows[0][1] == pytest.approx(realised["provider_mean"], abs=1e-4)
    others = rows[1:]
    others_mean = sum(r[1] * r[3] for r in others) / sum(r[3] for r in others)
    assert others_mean == pytest.approx(realised["others_mean"], abs=1e-4)

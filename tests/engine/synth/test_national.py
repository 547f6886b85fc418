"""A national-shaped synthetic set (`icsbench synth --providers N`): added trusts with plausible codes, types, sizes
and home patients; every provider in the published tables; totals reconciled; planted variation still found."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from engine import config as config_module
from engine import jobs
from engine.cli.main import main
from engine.synth import population, volumes
from engine.synth.providers import BASE_ROSTER, ELECTIVE_CENTRE, PROVIDERS, roster
from tests.conftest import query_store

# Real NHS trust codes start R or T (or are digits for some independents); synthetic ones start Z.
SYNTHETIC_CODE = re.compile(r"^Z(Z[A-E]|N[0-9]{3})$")


def test_five_providers_is_the_synthetic_ics_itself() -> None:
    assert roster(5) is BASE_ROSTER
    with pytest.raises(ValueError, match="providers must be from 5"):
        roster(4)


def test_two_hundred_providers_have_synthetic_codes_and_the_national_mix_of_types() -> None:
    system = roster(200, seed=3)
    codes = [p.code for p in system.providers]
    assert len(codes) == len(set(codes)) == 200
    assert all(SYNTHETIC_CODE.match(code) for code in codes)
    assert all(p.name.endswith("(synthetic)") for p in system.providers)
    types = Counter(p.type for p in system.providers[len(PROVIDERS) :])
    assert 0.55 <= types["acute"] / 195 <= 0.65
    assert 0.2 <= types["mental_health"] / 195 <= 0.3
    assert 0.1 <= types["community"] / 195 <= 0.2
    sizes = [p.size for p in system.providers if p.code in system.extra_acute]
    assert min(sizes) >= 0.5 and max(sizes) <= 2.0 and max(sizes) / min(sizes) > 2
    efficiencies = [p.efficiency for p in system.providers[len(PROVIDERS) :]]
    assert 0.92 <= min(efficiencies) < max(efficiencies) <= 1.08
    assert roster(200, seed=3) == system
    assert roster(200, seed=4) != system


@pytest.mark.parametrize("n_providers", [6, 8, 10, 47, 200])
def test_every_patient_goes_somewhere_for_every_setting_and_every_added_trust_has_patients(n_providers: int) -> None:
    """Per home, the providers' shares of each setting add up to one, and each provider has some home's patients
    for each of its settings (so none is missing from the published tables). The elective centre's admitted care is
    a share of orthopaedics the ICS's acute trusts give up (`volumes.apc_hrg_weights`), not of all admitted care."""
    system = roster(n_providers)
    for setting in ("apc", "op", "ec", "cc", "mh", "chs"):
        providing = [p.code for p in system.providers if setting in p.settings]
        if setting == "apc":
            providing.remove(ELECTIVE_CENTRE)
        shares = np.array([volumes.affinity(setting, code, system) for code in providing])
        np.testing.assert_allclose(shares.sum(axis=0), 1.0, err_msg=setting)
        assert (shares.sum(axis=1) > 0).all(), [c for c, s in zip(providing, shares, strict=True) if s.sum() == 0]


def test_the_synthetic_ics_shares_are_unchanged_by_the_roster() -> None:
    for setting in ("apc", "op", "ec", "cc", "mh", "chs"):
        for spec in PROVIDERS:
            base = volumes.affinity(setting, spec.code, BASE_ROSTER)
            national = volumes.affinity(setting, spec.code, roster(30))
            np.testing.assert_array_equal(national[: len(base)], base)


def test_added_trusts_take_home_patients_by_size() -> None:
    system = roster(40, seed=9)
    scale = population.system_scale(0.01, system)
    people = population.build(population.patient_count(scale), 9, system)
    homes = np.bincount(people.home, minlength=len(system.acute)) / people.size
    sizes = np.array([system.provider(code).size for code in system.acute])
    np.testing.assert_allclose(homes, sizes / sizes.sum(), atol=0.01)
    assert people.size == round(population.PATIENTS_AT_SCALE_ONE * 0.01 * sizes.sum() / 3)


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, config_module.IcsConfig]:
    """Ten providers (three added acute trusts, a mental health and a community trust) at scale 0.002, made by the
    CLI, loaded and refreshed."""
    root = tmp_path_factory.mktemp("national")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config_module.PSEUDONYM_KEY_ENV, "synthetic-test-key")
        made = CliRunner().invoke(
            main, ["synth", "--providers", "10", "--scale", "0.002", "--seed", "7", "--out", str(root)]
        )
        assert made.exit_code == 0, made.output
        config = config_module.load(root / "ics.toml")
        files = sorted(p for p in root.glob("Z*.parquet"))
        loaded = jobs.load(config, files)
        assert not loaded.failed, [r.message for r in loaded.failed]
        jobs.refresh(config, config_file=root / "ics.toml")
    return root, config


def _control_total(root: Path) -> Decimal:
    with (root / "control_totals.csv").open(encoding="utf-8", newline="") as handle:
        return sum((Decimal(r["total_cost"]) for r in csv.DictReader(handle) if r["total_cost"]), Decimal(0))


def _published(config: config_module.IcsConfig, table: str) -> Any:
    current = json.loads((config.published_folder / "current.json").read_text(encoding="utf-8"))
    return pq.read_table(config.published_folder / current["folder"] / f"{table}.parquet")


@pytest.mark.slow
def test_every_provider_appears_in_the_published_tables(national: tuple[Path, config_module.IcsConfig]) -> None:
    root, config = national
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    expected = {p["code"]: set(p["settings"]) for p in manifest["providers"]}
    assert len(expected) == 10
    assert set(_published(config, "dim_provider").column("org_code").to_pylist()) == set(expected)
    overview = _published(config, "provider_overview").select(["org_code", "setting"]).to_pylist()
    found: dict[str, set[str]] = {}
    for row in overview:
        found.setdefault(row["org_code"], set()).add(row["setting"])
    assert found == expected


@pytest.mark.slow
def test_totals_reconcile_to_the_penny(national: tuple[Path, config_module.IcsConfig]) -> None:
    root, config = national
    control = _control_total(root)
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert control == Decimal(manifest["totals"]["total_cost"])
    current = json.loads((config.published_folder / "current.json").read_text(encoding="utf-8"))
    stamp = json.loads((config.published_folder / current["folder"] / "refresh.json").read_text(encoding="utf-8"))
    assert Decimal(stamp["cost_reconciled"]) == control
    [(by_provider,)] = query_store(config, "SELECT sum(total_cost) FROM results.provider_overview")
    assert by_provider == control
    per_provider = dict(
        query_store(config, "SELECT org_code, sum(total_cost) FROM results.provider_overview GROUP BY org_code")
    )
    for code, settings in manifest["counts"].items():
        assert per_provider[code] == sum(Decimal(s["total_cost"]) for s in settings.values()), code


@pytest.mark.slow
def test_planted_imaging_at_zza_is_still_found_among_the_added_trusts(
    national: tuple[Path, config_module.IcsConfig],
) -> None:
    """ZZA's 30% higher imaging cost on admitted care is the largest imaging opportunity, as the manifest says."""
    root, config = national
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    imaging = next(e for e in manifest["planted_effects"] if e["id"] == "zza_imaging_apc")["realised"]
    assert 1.1 <= imaging["casemix_adjusted_ratio"] <= 1.5
    found = query_store(
        config,
        "SELECT org_code, sum(opportunity_vs_ics) AS opportunity FROM results.cost_driver_benchmark "
        "WHERE setting = 'apc' AND cost_driver = 'imaging' GROUP BY org_code ORDER BY opportunity DESC",
    )
    assert len(found) == 7
    assert found[0][0] == "ZZA"


def test_every_added_acute_trust_carries_one_seeded_planted_effect_of_its_own() -> None:
    system = roster(60, seed=9)
    added = system.providers[len(PROVIDERS) :]
    for spec in added:
        assert len(spec.planted_effects) == (1 if spec.type == "acute" else 0), spec.code
        assert all(e.provider == spec.code and e.setting == "apc" for e in spec.planted_effects)
    assert all(not p.planted_effects for p in PROVIDERS)  # the ICS's own stay in planted.PLANTED
    effects = [e for spec in added for e in spec.planted_effects]
    assert len({e.id for e in effects}) == len(effects)
    kinds = Counter("days" if e.days else "minutes" if e.more_units else "price" for e in effects)
    assert set(kinds) == {"days", "minutes", "price"}, kinds
    assert len({(e.pod, e.hrg_pattern) for e in effects}) >= 3
    assert all(1.3 <= e.factor <= 1.5 for e in effects if e.factor is not None)
    assert all(e.days in (2, 3) for e in effects if e.days is not None)
    assert roster(60, seed=9) == system
    assert [s.planted_effects for s in roster(60, seed=10).providers] != [s.planted_effects for s in system.providers]


@pytest.mark.slow
def test_the_refresh_finds_each_added_trusts_planted_effect(national: tuple[Path, config_module.IcsConfig]) -> None:
    """Each added acute trust's planted effect is in the manifest, realised in its records, and found by the refresh:
    the trust's excess over the ICS per case (theatre cost, or bed days for longer stays) in the planted POD and HRG
    family is positive and larger than in the rest of that POD."""
    root, config = national
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    added = {p["code"] for p in manifest["providers"] if p["code"].startswith("ZN") and p["type"] == "acute"}
    effects = [e for e in manifest["planted_effects"] if e["provider"] in added]
    assert len(added) == 3 and sorted(e["provider"] for e in effects) == sorted(added)
    for effect in effects:
        realised = effect["realised"]
        if effect["days"] is not None:
            assert realised["casemix_adjusted_difference"] > 0, effect["id"]
            sql = (
                "SELECT hrg, sum(spells), sum(net_bed_days_vs_ics) FROM results.los_benchmark "
                f"WHERE org_code = '{effect['provider']}' AND pod = '{effect['pod']}' GROUP BY hrg"
            )
        else:
            assert realised["casemix_adjusted_ratio"] > 1, effect["id"]
            sql = (
                "SELECT hrg, sum(activity), sum(net_vs_ics) FROM results.cost_driver_benchmark "
                f"WHERE setting = 'apc' AND org_code = '{effect['provider']}' AND pod = '{effect['pod']}' "
                f"AND cost_driver = '{effect['driver']}' GROUP BY hrg"
            )
        rows = query_store(config, sql)
        planted = [(n, excess) for hrg, n, excess in rows if re.match(effect["hrg_pattern"], hrg)]
        others = [(n, excess) for hrg, n, excess in rows if not re.match(effect["hrg_pattern"], hrg)]
        assert planted and others, effect["id"]
        in_family = sum(x for _, x in planted) / sum(n for n, _ in planted)
        elsewhere = sum(x for _, x in others) / sum(n for n, _ in others)
        assert in_family > 0 and in_family > elsewhere, (effect["id"], in_family, elsewhere)

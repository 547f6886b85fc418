"""Cross-provider linkage in the synthetic ICS: pathway follow-on care, long-term conditions, GP list sizes, config.

Records are read back from the written files and judged by the rules the written ics.toml states, so these tests
check what the engine will see, not the generator's own bookkeeping.
"""

from __future__ import annotations

import csv
import json
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import engine.synth
from engine import reference
from engine.synth import admitted, conditions, pathways, planted, population
from engine.synth.dates import parse_fin_year
from engine.synth.events import Chunk
from engine.synth.providers import PROVIDERS, provider, wards
from engine.synth.seeding import chunk_rng
from engine.synth.volumes import Demand

SCALE = 0.02
SEED = 11
SEED_STYLE = {"EpisodeID": "record_id", "PODMapping": "pod", "TFC_Code": "tfc", "HRGCode": "hrg", "SpellID": "spell_id"}
WIDE_COSTS = ("OutpatientCost", "PathologyCost", "ImagingCost", "PharmacyCost", "OverheadCost")
HIP_DIAGNOSES = ("S720", "S721", "S722")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> engine.synth.SynthResult:
    return engine.synth.generate(tmp_path_factory.mktemp("linkage"), scale=SCALE, seed=SEED)


@pytest.fixture(scope="module")
def people() -> population.Population:
    return population.build(population.patient_count(SCALE), SEED)


@dataclass
class Written:
    """Every activity record of a data set, one list per column, with its file's provider, setting and quarter."""

    rows: list[dict[str, Any]]
    patient_cost: dict[str, float]


def _canonical(table: pa.Table) -> pa.Table:
    return table.rename_columns([SEED_STYLE.get(c, c) for c in table.column_names])


def _record_costs(path: Path, table: pa.Table) -> list[float]:
    """Each record's total cost, from its cost lines (or the wide file's cost columns)."""
    if path.name.endswith("_wide.parquet"):
        cells = [table.column(c).cast(pa.float64()).fill_null(0.0).to_numpy() for c in WIDE_COSTS]
        return [float(v) for v in np.sum(cells, axis=0)]
    lines = pq.read_table(str(path).replace("_activity", "_cost_lines"), columns=["record_id", "cost"])
    summed = lines.group_by("record_id").aggregate([("cost", "sum")])
    by_id = dict(zip(summed["record_id"].to_pylist(), summed["cost_sum"].cast(pa.float64()).to_pylist(), strict=True))
    return [by_id.get(r, 0.0) for r in table.column("record_id").to_pylist()]


def _written(result: engine.synth.SynthResult) -> Written:
    rows: list[dict[str, Any]] = []
    patient_cost: dict[str, float] = defaultdict(float)
    for path in result.files:
        org, setting, _, quarter, layout = path.stem.split("_", 4)
        if layout == "cost_lines":
            continue
        table = _canonical(pq.read_table(path))
        costs = _record_costs(path, table)
        for row, cost in zip(table.to_pylist(), costs, strict=True):
            row.update(org=org, setting=setting, quarter=int(quarter[1]), cost=cost)
            rows.append(row)
            patient_cost[row["nhs_number"]] += cost
    return Written(rows, patient_cost)


@pytest.fixture(scope="module")
def written(dataset: engine.synth.SynthResult) -> Written:
    return _written(dataset)


def _config(result: engine.synth.SynthResult) -> dict[str, Any]:
    return tomllib.loads(result.config_path.read_text(encoding="utf-8"))


def _detected(config: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, set[str]]:
    """NHS number -> conditions shown by the config's rule (a diagnosis or service code starting with a listed code)."""
    found: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        diagnosis, service = row.get("primary_diagnosis") or "", row.get("service_code") or ""
        for condition in config["long_term_conditions"]:
            by_diagnosis = diagnosis and diagnosis.startswith(tuple(condition["diagnoses"]))
            by_service = service and service.startswith(tuple(condition.get("services", [])))
            if by_diagnosis or by_service:
                found[row["nhs_number"]].add(condition["name"])
    return found


def _drawn(people: population.Population) -> dict[str, set[str]]:
    """NHS number -> conditions the resident was given."""
    names = [c.name for c in engine.synth.ics_definitions.CONDITIONS]
    numbers = people.nhs_number.to_pylist()
    return {numbers[i]: {names[k] for k in np.flatnonzero(people.conditions[i])} for i in range(people.size)}


@dataclass(frozen=True)
class IndexSpell:
    org: str
    nhs_number: str
    discharge: date
    spell_id: str


def _index_spells(config: dict[str, Any], rows: list[dict[str, Any]], name: str) -> list[IndexSpell]:
    """A pathway's index spells by the config's definition (first episodes matching every index filter)."""
    index = next(p for p in config["pathways"] if p["name"] == name)["index"]
    spells = []
    for row in rows:
        if row["setting"] != "apc" or row["episode_number"] != 1 or row["pod"] not in index["pods"]:
            continue
        if "diagnoses" in index and not row["primary_diagnosis"].startswith(tuple(index["diagnoses"])):
            continue
        if "hrgs" in index and not row["hrg"].startswith(tuple(index["hrgs"])):
            continue
        spells.append(IndexSpell(row["org"], row["nhs_number"], row["discharge_date"], row["spell_id"]))
    return spells


def _rehab_per_spell(config: dict[str, Any], rows: list[dict[str, Any]], name: str) -> dict[str, tuple[int, float]]:
    """Per index provider: index spells and community rehabilitation contacts per spell in 0-90 days after discharge."""
    step = next(s for p in config["pathways"] if p["name"] == name for s in p["steps"] if s["settings"] == ["chs"])
    contacts: dict[str, list[date]] = defaultdict(list)
    for row in rows:
        if row["setting"] == "chs" and row["service_code"].startswith(tuple(step["services"])):
            contacts[row["nhs_number"]].append(row["event_date"])
    spells: dict[str, list[int]] = defaultdict(list)
    for spell in _index_spells(config, rows, name):
        days = [(d - spell.discharge).days for d in contacts[spell.nhs_number]]
        spells[spell.org].append(sum(1 for d in days if 0 <= d <= step["to_day"]))
    return {org: (len(counts), sum(counts) / len(counts)) for org, counts in spells.items()}


def test_follow_on_events_are_written_in_their_own_chunk_within_90_days_of_an_index_discharge(
    dataset: engine.synth.SynthResult, people: population.Population, written: Written
) -> None:
    """Rebuild each admitted care chunk and what its index spells scheduled; every event must be in the right file."""
    year = parse_fin_year("2023/24")
    demand = Demand(people)
    numbers = people.nhs_number.to_pylist()
    expected: dict[tuple[str, str, int], Counter[tuple[str, date, str]]] = defaultdict(Counter)
    scheduled_total = 0
    for spec in (p for p in PROVIDERS if "apc" in p.settings):
        for quarter in (1, 2, 3, 4):
            chunk = Chunk(spec, "apc", quarter, year, SCALE, SEED, people, demand)
            records, _ = admitted.admitted_care(chunk, wards(spec.code, SEED))
            discharges: dict[int, list[np.datetime64]] = defaultdict(list)
            for pathway in engine.synth.ics_definitions.PATHWAYS:
                for row in pathways.index_rows(records, pathway).tolist():
                    discharges[int(records.patient[row])].append(records.columns["discharge_date"][row])
            for (org, setting, q), events in pathways.schedule(chunk, records).follow_ons.items():
                for patient, when, currency, tfc in zip(
                    events.patient.tolist(), events.date, events.currency.tolist(), events.tfc.tolist(), strict=True
                ):
                    gaps = [int((when - d).astype(np.int64)) for d in discharges[patient]]
                    assert any(1 <= g <= 90 for g in gaps), (org, setting, gaps)
                    assert (int(str(when)[5:7]) - 4) % 12 // 3 + 1 == q
                    if setting == "op":
                        assert org == spec.code and tfc == pathways.OUTPATIENT_TFC
                    else:
                        assert setting == "chs"
                        assert org == pathways.community_provider(people.home[[patient]])[0]
                        assert "chs" in provider(org).settings
                    expected[(org, setting, q)][(numbers[patient], when.astype(date), currency)] += 1
                    scheduled_total += 1
    assert scheduled_total > 100
    assert {setting for _, setting, _ in expected} == {"op", "chs"}
    found: dict[tuple[str, str, int], Counter[tuple[str, date, str]]] = defaultdict(Counter)
    for row in written.rows:
        if row["setting"] == "op" and row["pod"] == "OPFU" and row["tfc"] == pathways.OUTPATIENT_TFC:
            found[(row["org"], "op", row["quarter"])][(row["nhs_number"], row["event_date"], row["hrg"])] += 1
        if row["setting"] == "chs" and row["service_code"] in engine.synth.ics_definitions.REHAB_SERVICES:
            found[(row["org"], "chs", row["quarter"])][(row["nhs_number"], row["event_date"], row["hrg"])] += 1
    for key, events in expected.items():
        assert not events - found[key], key


def test_every_index_provider_has_follow_ups_and_rehabilitation_recorded(dataset: engine.synth.SynthResult) -> None:
    manifest = json.loads(dataset.manifest_path.read_text(encoding="utf-8"))
    hip = manifest["pathway_effects"]["hip_fracture"]["index_providers"]
    knee = manifest["pathway_effects"]["knee_replacement"]["index_providers"]
    assert set(hip) == {"ZZA", "ZZB", "ZZC"}
    assert set(knee) == {"ZZA", "ZZB", "ZZC", "ZZE"}
    for figures in (*hip.values(), *knee.values()):
        assert figures["index_spells"] > 0
        assert figures["follow_on_outpatient_attendances_per_spell"] > 0.5
        assert figures["follow_on_rehab_contacts_per_spell"] > 1
        assert figures["rehab_contacts_per_spell"] >= figures["follow_on_rehab_contacts_per_spell"]
    for name, spells in (("hip_fracture", hip), ("knee_replacement", knee)):
        complete = manifest["pathway_effects"][name]["complete_pathways"]
        assert set(complete) == set(spells)
        for org, figures in complete.items():
            assert 0 < figures["pathways"] + figures["pathways_incomplete"] <= spells[org]["index_spells"]
            assert figures["pathways"] > figures["pathways_incomplete"]


def test_pathway_figures_in_the_manifest_are_those_of_the_written_records(
    dataset: engine.synth.SynthResult, written: Written
) -> None:
    manifest = json.loads(dataset.manifest_path.read_text(encoding="utf-8"))
    config = _config(dataset)
    for name in ("hip_fracture", "knee_replacement"):
        reported = manifest["pathway_effects"][name]["index_providers"]
        for org, (spells, per_spell) in _rehab_per_spell(config, written.rows, name).items():
            assert reported[org]["index_spells"] == spells, (name, org)
            assert reported[org]["rehab_contacts_per_spell"] == pytest.approx(per_spell, abs=1e-4), (name, org)


def test_planted_rehabilitation_factor_multiplies_the_contacts_scheduled_at_its_provider(
    people: population.Population,
) -> None:
    """Many index spells early in the year (so no window is cut short): ZZC's mean is 1.6 times the others'."""
    effect = next(e for e in planted.PLANTED_PATHWAYS if e.id == "zzc_hip_fracture_rehab")
    year = parse_fin_year("2023/24")
    demand = Demand(people)
    patient = np.arange(4000, dtype=np.int64) % people.size
    discharge = np.full(len(patient), np.datetime64("2023-04-10"), dtype="datetime64[D]")
    means = {}
    for code in ("ZZA", "ZZC"):
        chunk = Chunk(provider(code), "apc", 1, year, SCALE, SEED, people, demand)
        out = pathways.Scheduled()
        rng = chunk_rng(SEED, code, "test")
        scheduled = pathways.schedule_rehabilitation(chunk, rng, "hip_fracture", patient, discharge, out)
        means[code] = float(scheduled.mean())
    assert means["ZZA"] == pytest.approx(pathways.SCHEDULES["hip_fracture"].rehab_contacts, rel=0.06)
    assert means["ZZC"] / means["ZZA"] == pytest.approx(effect.factor, rel=0.08)


@pytest.mark.slow
def test_longer_rehabilitation_after_hip_fracture_at_zzc_shows_in_the_written_records(tmp_path: Path) -> None:
    """At scale 0.1 (about 80 ZZC and 150 other hip fractures) the planted x1.6 shows, diluted a little by the
    rehabilitation contacts these patients have anyway."""
    result = engine.synth.generate(tmp_path, scale=0.1, seed=42)
    rows = _written(result).rows
    per_provider = _rehab_per_spell(_config(result), rows, "hip_fracture")
    zzc_spells, zzc_mean = per_provider["ZZC"]
    others = [(n, m) for org, (n, m) in per_provider.items() if org != "ZZC"]
    others_mean = sum(n * m for n, m in others) / sum(n for n, _ in others)
    assert zzc_spells >= 40
    assert 1.25 <= zzc_mean / others_mean <= 2.0
    manifest = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    realised = manifest["pathway_effects"]["hip_fracture"]["planted"]["realised"]
    assert realised["rehab_contacts_per_spell"]["ratio"] == pytest.approx(zzc_mean / others_mean, abs=1e-3)
    assert 1.3 <= realised["follow_on_rehab_contacts_per_spell"]["ratio"] <= 1.95


def test_condition_codes_only_appear_for_patients_with_the_condition(
    dataset: engine.synth.SynthResult, people: population.Population, written: Written
) -> None:
    """Every diagnosis the rule counts belongs to a patient given that condition; so do the condition-specific
    services, except the community mental health and early intervention teams, which see other patients too."""
    drawn = _drawn(people)
    config = _config(dataset)
    shared_services = {"serious_mental_illness"}
    diagnosed = 0
    for row in written.rows:
        shown = _detected(config, [row]).get(row["nhs_number"], set())
        if row.get("primary_diagnosis") and shown:
            diagnosed += 1
            assert shown <= drawn[row["nhs_number"]], (row["primary_diagnosis"], row["hrg"])
        elif row.get("service_code") and shown - shared_services:
            assert shown <= drawn[row["nhs_number"]], row["service_code"]
    assert diagnosed > 200


def test_every_condition_shows_in_the_records(dataset: engine.synth.SynthResult, written: Written) -> None:
    detected = _detected(_config(dataset), written.rows)
    shown = Counter(name for names in detected.values() for name in names)
    assert set(shown) == {c.name for c in engine.synth.ics_definitions.CONDITIONS}
    assert all(count >= 10 for count in shown.values()), shown


def _share(flags: list[bool]) -> float:
    return sum(flags) / len(flags)


def test_detected_prevalence_rises_with_age_and_deprivation(
    dataset: engine.synth.SynthResult, people: population.Population, written: Written
) -> None:
    detected = _detected(_config(dataset), written.rows)
    numbers = people.nhs_number.to_pylist()
    has_any = [numbers[i] in detected for i in range(people.size)]
    age, decile = people.age.tolist(), people.imd_decile.tolist()
    by_age = [
        _share([has_any[i] for i in range(people.size) if low <= age[i] < high])
        for low, high in ((0, 18), (18, 40), (40, 65), (65, 80), (80, 200))
    ]
    assert by_age == sorted(by_age) and by_age[-1] > 5 * by_age[1]
    for low, high in ((0, 200), (40, 200)):
        deprived = _share([has_any[i] for i in range(people.size) if decile[i] <= 2 and low <= age[i] < high])
        affluent = _share([has_any[i] for i in range(people.size) if decile[i] >= 9 and low <= age[i] < high])
        assert deprived > 1.15 * affluent, (low, deprived, affluent)


def test_cost_per_patient_rises_with_the_number_of_detected_conditions(
    dataset: engine.synth.SynthResult, written: Written
) -> None:
    detected = _detected(_config(dataset), written.rows)
    costs: dict[int, list[float]] = defaultdict(list)
    for number, cost in written.patient_cost.items():
        costs[min(len(detected.get(number, ())), 3)].append(cost)
    means = [sum(costs[k]) / len(costs[k]) for k in range(4)]
    assert all(later > 1.4 * earlier for earlier, later in pairwise(means)), means


def test_manifest_counts_of_conditions_match_the_records(
    dataset: engine.synth.SynthResult, people: population.Population, written: Written
) -> None:
    manifest = json.loads(dataset.manifest_path.read_text(encoding="utf-8"))["long_term_conditions"]
    detected = _detected(_config(dataset), written.rows)
    for k, condition in enumerate(engine.synth.ics_definitions.CONDITIONS):
        reported = manifest["conditions"][condition.name]
        assert reported["drawn_patients"] == int(people.conditions[:, k].sum())
        assert reported["detected_patients"] == sum(1 for names in detected.values() if condition.name in names)
    by_count = manifest["cost_per_patient_by_drawn_count"]
    assert [by_count[k]["mean_cost"] for k in ("0", "1", "2")] == sorted(by_count[k]["mean_cost"] for k in "012")


def test_drawn_prevalence_is_roughly_english_and_clusters() -> None:
    people = population.build(100_000, 3)
    adults = people.age >= 18
    targets = {
        "diabetes": 0.07,
        "copd": 0.02,
        "asthma": 0.06,
        "heart_failure": 0.01,
        "atrial_fibrillation": 0.02,
        "coronary_heart_disease": 0.03,
        "chronic_kidney_disease": 0.04,
        "dementia": 0.008,
        "cancer": 0.03,
        "serious_mental_illness": 0.01,
    }
    for name, target in targets.items():
        share = float(people.has(name)[adults].mean())
        assert 0.6 * target <= share <= 1.6 * target, (name, share)
    old, young = people.age >= 70, (people.age >= 18) & (people.age < 50)
    for name in ("diabetes", "copd", "heart_failure", "atrial_fibrillation", "dementia", "cancer"):
        assert people.has(name)[old].mean() > 4 * people.has(name)[young].mean(), name
    rng = np.random.default_rng(1)
    frailty = np.minimum(rng.gamma(0.5, 2.0, 50_000), population.FRAILTY_CAP)
    same = np.full(len(frailty), 75, dtype=np.int32), np.full(len(frailty), 5, dtype=np.int32)
    has = conditions.draw(rng, *same, frailty)
    rates = has.mean(axis=0)
    assert has.sum(axis=1).var() > 1.3 * float((rates * (1 - rates)).sum()), "conditions should cluster"


def test_prevalence_rises_with_deprivation_at_the_same_age() -> None:
    age = np.full(2, 60, dtype=np.int32)
    decile = np.array([1, 10], dtype=np.int32)
    for name in ("diabetes", "copd", "heart_failure", "coronary_heart_disease", "serious_mental_illness"):
        most, least = conditions.prevalence(age, decile, name)
        assert most > 1.3 * least, name


def test_gp_list_sizes_add_up_to_the_reference_population_at_scale(
    dataset: engine.synth.SynthResult, people: population.Population
) -> None:
    with dataset.gp_list_sizes_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["gp_practice", "registered_patients"]
    assert [r["gp_practice"] for r in rows] == list(people.practice_codes)
    reference_population = sum(p.population for p in reference.lsoas(reference.LANCASHIRE_AND_SOUTH_CUMBRIA))
    total = sum(int(r["registered_patients"]) for r in rows)
    assert abs(total - reference_population * SCALE) <= len(rows) / 2
    registered = Counter(people.gp_practice.to_pylist())
    per_resident = reference_population * SCALE / people.size
    assert all(int(r["registered_patients"]) == round(registered[r["gp_practice"]] * per_resident) for r in rows)
    summary = json.loads(dataset.manifest_path.read_text(encoding="utf-8"))["population"]["gp_list_sizes"]
    assert summary == {
        "file": "gp_list_sizes.csv",
        "practices": len(rows),
        "registered_patients": total,
        "reference_population": reference_population,
        "scale": SCALE,
    }


def test_config_describes_population_conditions_and_pathways(dataset: engine.synth.SynthResult) -> None:
    config = _config(dataset)
    assert config["population"]["districts"] == list(reference.LANCASHIRE_AND_SOUTH_CUMBRIA)
    assert config["population"]["scale"] == SCALE
    assert config["population"]["gp_list_sizes"] == "gp_list_sizes.csv"
    assert {p["name"]: p["districts"] for p in config["population"]["places"]} == {
        "Fylde Coast": ["Blackpool", "Fylde", "Wyre"],
        "Morecambe Bay": ["Lancaster", "South Lakeland", "Barrow-in-Furness"],
        "Central Lancashire": ["Preston", "Chorley", "South Ribble"],
        "West Lancashire": ["West Lancashire"],
        "Pennine Lancashire": [
            "Blackburn with Darwen",
            "Burnley",
            "Pendle",
            "Hyndburn",
            "Rossendale",
            "Ribble Valley",
        ],
    }
    placed = [d for p in config["population"]["places"] for d in p["districts"]]
    assert sorted(placed) == sorted(config["population"]["districts"])
    listed = {c["name"]: (c["label"], c["diagnoses"], c.get("services", [])) for c in config["long_term_conditions"]}
    assert listed == {
        "diabetes": ("Diabetes", ["E10", "E11", "E12", "E13", "E14"], ["DIABETES"]),
        "copd": ("COPD", ["J41", "J42", "J43", "J44"], ["RESPIRATORY"]),
        "asthma": ("Asthma", ["J45", "J46"], []),
        "heart_failure": ("Heart failure", ["I50"], ["HEARTFAILURE"]),
        "atrial_fibrillation": ("Atrial fibrillation", ["I48"], []),
        "coronary_heart_disease": ("Coronary heart disease", ["I20", "I21", "I22", "I23", "I24", "I25"], []),
        "chronic_kidney_disease": ("Chronic kidney disease", ["N18"], []),
        "dementia": ("Dementia", ["F00", "F01", "F02", "F03", "G30"], ["MEMORY"]),
        "cancer": ("Cancer", ["C"], []),
        "serious_mental_illness": ("Serious mental illness", [f"F{n}" for n in range(20, 32)], ["EIP", "CMHT"]),
    }
    steps = [
        {"name": "critical_care", "settings": ["cc"], "window": "during"},
        {"name": "readmissions", "settings": ["apc"], "pods": ["NEL", "NES"], "window": "after", "to_day": 30},
        {"name": "outpatient_follow_up", "settings": ["op"], "pods": ["OPFU"], "window": "after", "to_day": 90},
        {
            "name": "community_rehabilitation",
            "settings": ["chs"],
            "services": ["PHYSIO", "OT", "REHAB"],
            "window": "after",
            "to_day": 90,
        },
    ]
    assert config["pathways"] == [
        {
            "name": "hip_fracture",
            "label": "Hip fracture (non-elective)",
            "index": {"settings": ["apc"], "pods": ["NEL", "NES"], "diagnoses": list(HIP_DIAGNOSES)},
            "steps": steps,
        },
        {
            "name": "knee_replacement",
            "label": "Knee replacement (elective)",
            "index": {"settings": ["apc"], "pods": ["EL"], "hrgs": ["HN22", "HN23"]},
            "steps": steps,
        },
    ]


def test_knee_replacements_are_done_at_the_elective_centre_and_the_acutes_with_knee_diagnoses(
    written: Written,
) -> None:
    knees = [
        r for r in written.rows if r["setting"] == "apc" and r["pod"] == "EL" and r["hrg"].startswith(("HN22", "HN23"))
    ]
    assert {r["org"] for r in knees} == {"ZZA", "ZZB", "ZZC", "ZZE"}
    assert all(r["primary_diagnosis"].startswith("M17") for r in knees)
    hips = [r for r in written.rows if r["setting"] == "apc" and r["hrg"].startswith(("HT12", "HT13"))]
    assert hips and all(r["primary_diagnosis"].startswith(HIP_DIAGNOSES) for r in hips)


def test_pending_follow_ons_must_all_be_taken() -> None:
    pending = pathways.PendingFollowOns()
    events = engine.synth.events.FollowOns(
        np.array([1]), np.array(["2023-05-02"], dtype="datetime64[D]"), np.array(["A08A1"]), np.array([""])
    )
    scheduled = pathways.Scheduled()
    scheduled.add(("ZZA", "chs", 1), events)
    pending.add(scheduled)
    with pytest.raises(RuntimeError, match="never made"):
        pending.check_all_taken()
    taken = pending.take("ZZA", "chs", 1)
    assert taken is not None and len(taken) == 1
    pending.check_all_taken()

"""The synthetic data generator: file layout, referential integrity, exact totals, determinism and planted effects."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import engine.synth
from engine import config, reference, schema
from engine.errors import ConfigError
from engine.nhs_number import is_valid
from engine.synth import generate

SCALE = 0.003
NAME = re.compile(
    r"^(?P<org>ZZ[A-E])_(?P<setting>[a-z]+)_202324_Q(?P<quarter>[1-4])_(?P<layout>[a-z_]+)\.(parquet|csv)$"
)
SEED_STYLE = {
    "org_code": "OrgCode",
    "pod": "PODMapping",
    "tfc": "TFC_Code",
    "hrg": "HRGCode",
    "record_id": "EpisodeID",
    "spell_id": "SpellID",
}
WIDE_COSTS = ["OutpatientCost", "PathologyCost", "ImagingCost", "PharmacyCost", "OverheadCost"]
EXPECTED_KINDS = {
    "ZZA": {"apc", "op", "ec", "cc", "chs"},
    "ZZB": {"apc", "op", "ec", "cc", "chs"},
    "ZZC": {"apc", "op", "ec", "cc", "chs"},
    "ZZD": {"mh", "chs"},
    "ZZE": {"apc", "op"},
}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> engine.synth.SynthResult:
    return generate(tmp_path_factory.mktemp("synth"), scale=SCALE, seed=7)


def _parts(path: Path) -> dict[str, str]:
    match = NAME.match(path.name)
    assert match, path.name
    return match.groupdict()


def _tables(result: engine.synth.SynthResult, layout: str) -> list[tuple[dict[str, str], pa.Table]]:
    return [(_parts(p), pq.read_table(p)) for p in result.files if _parts(p)["layout"] == layout]


def _canonical(org: str, setting: str, table: pa.Table) -> pa.Table:
    """Activity with canonical names (undo ZZC's seed-style headers)."""
    if (org, setting) == ("ZZC", "apc"):
        local = {v: k for k, v in SEED_STYLE.items()}
        return table.rename_columns([local.get(c, c) for c in table.column_names])
    return table


def _activity(result: engine.synth.SynthResult) -> dict[tuple[str, str, str], pa.Table]:
    out = {}
    for parts, table in _tables(result, "activity") + _tables(result, "wide"):
        out[(parts["org"], parts["setting"], parts["quarter"])] = _canonical(parts["org"], parts["setting"], table)
    return out


def _file_pennies(path: Path) -> int:
    table = pq.read_table(path) if path.suffix == ".parquet" else pacsv.read_csv(path)
    columns = ["cost"] if "cost" in table.column_names else WIDE_COSTS
    total = Decimal(0)
    for name in columns:
        for value in table.column(name).to_pylist():
            total += Decimal(str(value)) if value is not None else 0
    return int(total * 100)


def test_public_surface_is_exactly_generate_and_result() -> None:
    assert sorted(engine.synth.__all__) == ["GENERATOR_VERSION", "SynthResult", "generate"]


def test_every_expected_file_is_written_and_nothing_else(dataset: engine.synth.SynthResult) -> None:
    others = {"control_totals.csv", "manifest.json", "ics.toml", "gp_list_sizes.csv"}
    expected = set(others)
    for org, settings in EXPECTED_KINDS.items():
        for setting in settings:
            for quarter in (1, 2, 3, 4):
                if (org, setting) == ("ZZE", "op"):
                    expected.add(f"ZZE_op_202324_Q{quarter}_wide.parquet")
                else:
                    expected.add(f"{org}_{setting}_202324_Q{quarter}_activity.parquet")
                    expected.add(f"{org}_{setting}_202324_Q{quarter}_cost_lines.parquet")
    assert {p.name for p in dataset.out_dir.iterdir()} == expected
    assert {p.name for p in dataset.files} == expected - others
    assert dataset.config_path.name == "ics.toml"
    assert dataset.manifest_path.name == "manifest.json"
    assert dataset.gp_list_sizes_path.name == "gp_list_sizes.csv"


def test_activity_and_cost_line_columns_are_canonical_or_the_stated_local_names(
    dataset: engine.synth.SynthResult,
) -> None:
    for parts, table in _tables(dataset, "activity") + _tables(dataset, "wide"):
        org, setting = parts["org"], parts["setting"]
        canonical = [
            c.name for c in schema.activity_columns_for(setting) if c.name not in ("patient_id", "episode_count")
        ]
        if (org, setting) == ("ZZC", "apc"):
            names = [SEED_STYLE.get(c, c) for c in canonical]
            names.insert(names.index("end_date") + 1, "HRG_EpisodeCount")
            assert table.column_names == names
            assert pc.all(pc.equal(table.column("HRG_EpisodeCount"), 1), min_count=0).as_py()
        elif parts["layout"] == "wide":
            assert table.column_names == canonical + WIDE_COSTS
        else:
            assert table.column_names == canonical, (org, setting)
    for _, table in _tables(dataset, "cost_lines"):
        assert table.column_names == [c.name for c in schema.COST_LINE_COLUMNS]


def test_columns_are_typed(dataset: engine.synth.SynthResult) -> None:
    for parts, table in _tables(dataset, "activity"):
        table = _canonical(parts["org"], parts["setting"], table)
        assert table.schema.field("event_date").type == pa.date32()
        assert table.schema.field("period").type == pa.int32()
        assert table.schema.field("nhs_number").type == pa.string()
        assert table.schema.field("age").type == pa.int32()
    for _, table in _tables(dataset, "cost_lines"):
        assert table.schema.field("cost").type == pa.decimal128(18, 2)
        assert table.schema.field("activity_count").type == pa.float64()
    for _, table in _tables(dataset, "wide"):
        for name in WIDE_COSTS:
            assert table.schema.field(name).type == pa.decimal128(18, 2)


def test_required_columns_are_filled_and_codes_valid(dataset: engine.synth.SynthResult) -> None:
    for (org, setting, _), table in _activity(dataset).items():
        for column in schema.activity_columns_for(setting):
            if column.name in ("patient_id", "episode_count"):
                continue
            values = table.column(column.name)
            if column.required_for(setting) or column.name in ("nhs_number", "age", "lsoa", "hrg", "event_date"):
                assert values.null_count == 0, (org, setting, column.name)
            if column.pattern and column.name not in ("hrg",):
                texts = [str(v) for v in values.to_pylist() if v is not None]
                assert all(re.match(column.pattern, v) for v in texts), (org, setting, column.name)
        assert pc.all(pc.equal(table.column("org_code"), org), min_count=0).as_py()
        assert pc.all(pc.equal(table.column("fin_year"), "2023/24"), min_count=0).as_py()


def test_record_ids_are_unique_within_provider_and_setting(dataset: engine.synth.SynthResult) -> None:
    ids: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (org, setting, _), table in _activity(dataset).items():
        ids[(org, setting)].extend(table.column("record_id").to_pylist())
    for key, values in ids.items():
        assert len(values) == len(set(values)), key


def test_every_cost_line_belongs_to_a_record_of_the_same_file_set(dataset: engine.synth.SynthResult) -> None:
    activity = _activity(dataset)
    for parts, table in _tables(dataset, "cost_lines"):
        key = (parts["org"], parts["setting"], parts["quarter"])
        records = set(activity[key].column("record_id").to_pylist())
        assert set(table.column("record_id").to_pylist()) <= records, key
        assert pc.all(pc.equal(table.column("org_code"), parts["org"]), min_count=0).as_py()


def test_critical_care_links_to_an_episode_of_the_same_provider_and_quarter(
    dataset: engine.synth.SynthResult,
) -> None:
    activity = _activity(dataset)
    linked = 0
    for (org, setting, quarter), cc in activity.items():
        if setting != "cc":
            continue
        apc = activity[(org, "apc", quarter)]
        episodes = {r["record_id"]: r for r in apc.to_pylist()}
        for row in cc.to_pylist():
            episode = episodes[row["apc_record_id"]]
            assert episode["event_date"] <= row["event_date"] <= row["end_date"] <= episode["end_date"]
            assert row["period"] == episode["period"]
            assert row["nhs_number"] == episode["nhs_number"]
            assert row["bed_days"] == (row["end_date"] - row["event_date"]).days
            linked += 1
    assert linked > 0


def test_admitted_care_dates_stays_and_methods_are_consistent(dataset: engine.synth.SynthResult) -> None:
    spells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for (org, setting, _), table in _activity(dataset).items():
        if setting != "apc":
            continue
        for row in table.to_pylist():
            assert row["admission_date"] <= row["event_date"] <= row["end_date"] <= row["discharge_date"]
            assert row["los"] == (row["discharge_date"] - row["admission_date"]).days
            assert (row["discharge_date"].month - 4) % 12 + 1 == row["period"]
            if row["pod"] in ("EL", "DC", "RP"):
                assert row["admission_method"] in ("11", "12", "13")
            else:
                assert "21" <= row["admission_method"] <= "28"
            if row["pod"] in ("DC", "RP"):
                assert row["los"] == 0
            if row["pod"] == "NES":
                assert row["los"] <= 1
            if row["hrg"].startswith(("HT12", "HT13")):
                assert row["primary_diagnosis"].startswith("S72")
            if row["hrg"].startswith("AA35") and row["pod"] == "NEL":
                assert row["tfc"] == "328"
                assert row["primary_diagnosis"].startswith("I6")
            if org == "ZZE":
                assert row["pod"] in ("EL", "DC")
            spells[(org, row["spell_id"])].append(row)
    nel_spells = two_episode = 0
    for episodes in spells.values():
        shared = {(e["nhs_number"], e["admission_date"], e["discharge_date"], e["los"], e["pod"]) for e in episodes}
        assert len(shared) == 1
        episodes.sort(key=lambda e: e["episode_number"])
        assert [e["episode_number"] for e in episodes] in ([1], [1, 2])
        if len(episodes) == 2:
            assert episodes[0]["end_date"] == episodes[1]["event_date"]
            assert episodes[0]["tfc"] != episodes[1]["tfc"]
            assert episodes[1]["spell_hrg"] == episodes[0]["hrg"]
            two_episode += 1
        nel_spells += episodes[0]["pod"] == "NEL"
    assert 0.03 <= two_episode / nel_spells <= 0.15


def test_other_settings_are_dated_in_their_period(dataset: engine.synth.SynthResult) -> None:
    for (org, setting, quarter), table in _activity(dataset).items():
        if setting in ("apc", "cc"):
            continue
        for row in table.select(["event_date", "period"]).to_pylist():
            assert (row["event_date"].month - 4) % 12 + 1 == row["period"], (org, setting)
            assert (row["period"] - 1) // 3 + 1 == int(quarter)


def test_nhs_numbers_are_valid_test_range_numbers(dataset: engine.synth.SynthResult) -> None:
    numbers: set[str] = set()
    for table in _activity(dataset).values():
        numbers.update(table.column("nhs_number").to_pylist())
    assert numbers
    assert all(n.startswith("999") and is_valid(n) for n in numbers)


def test_residents_live_in_lancashire_and_south_cumbria(dataset: engine.synth.SynthResult) -> None:
    allowed = {lsoa.code for lsoa in reference.lsoas(reference.LANCASHIRE_AND_SOUTH_CUMBRIA)}
    seen: set[str] = set()
    for table in _activity(dataset).values():
        seen.update(table.column("lsoa").to_pylist())
    assert seen <= allowed
    assert len(seen) > 100


def test_the_same_patients_are_seen_by_several_providers(dataset: engine.synth.SynthResult) -> None:
    providers: dict[str, set[str]] = defaultdict(set)
    for (org, _, _), table in _activity(dataset).items():
        for number in table.column("nhs_number").to_pylist():
            providers[number].add(org)
    several = sum(1 for orgs in providers.values() if len(orgs) >= 2)
    assert several > 0.2 * len(providers)
    assert any(len(orgs) >= 3 for orgs in providers.values())


def test_control_totals_match_the_files_to_the_penny(dataset: engine.synth.SynthResult) -> None:
    with (dataset.out_dir / "control_totals.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["file"] for r in rows] == [p.name for p in dataset.files]
    total = 0
    for row in rows:
        path = dataset.out_dir / row["file"]
        assert int(row["rows"]) == pq.read_metadata(path).num_rows
        if _parts(path)["layout"] == "activity":
            assert row["total_cost"] == ""
            continue
        assert re.fullmatch(r"-?[0-9]+\.[0-9]{2}", row["total_cost"])
        pennies = _file_pennies(path)
        assert int(Decimal(row["total_cost"]) * 100) == pennies, row["file"]
        total += pennies
    assert Decimal(total) / 100 == dataset.total_cost


def test_manifest_counts_match_the_files(dataset: engine.synth.SynthResult) -> None:
    manifest = json.loads(dataset.manifest_path.read_text(encoding="utf-8"))
    records: dict[tuple[str, str], int] = defaultdict(int)
    lines: dict[tuple[str, str], int] = defaultdict(int)
    pennies: dict[tuple[str, str], int] = defaultdict(int)
    for path in dataset.files:
        parts = _parts(path)
        key = (parts["org"], parts["setting"])
        table = pq.read_table(path)
        if parts["layout"] in ("activity", "wide"):
            records[key] += table.num_rows
        if parts["layout"] == "cost_lines":
            lines[key] += table.num_rows
        if parts["layout"] == "wide":
            lines[key] += sum(table.num_rows - table.column(c).null_count for c in WIDE_COSTS)
        if parts["layout"] != "activity":
            pennies[key] += _file_pennies(path)
    for (org, setting), count in records.items():
        entry = manifest["counts"][org][setting]
        assert entry["records"] == count
        assert entry["cost_lines"] == lines[(org, setting)]
        assert Decimal(entry["total_cost"]) == Decimal(pennies[(org, setting)]) / 100
    assert manifest["totals"]["records"] == sum(records.values()) == dataset.activity_rows
    assert manifest["totals"]["cost_lines"] == sum(lines.values()) == dataset.cost_lines
    assert Decimal(manifest["totals"]["total_cost"]) == dataset.total_cost
    assert {p["code"] for p in manifest["providers"]} == set(EXPECTED_KINDS)
    assert all(p["name"].endswith("(synthetic)") for p in manifest["providers"])
    assert [e["id"] for e in manifest["planted_effects"]] == [
        "zzb_theatre_hip_trauma",
        "zzc_stroke_los",
        "zza_imaging_apc",
    ]
    text = dataset.manifest_path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_config_loads_and_claims_every_file(dataset: engine.synth.SynthResult) -> None:
    loaded = config.load(dataset.config_path)
    assert loaded.ics.name == "Lancashire and South Cumbria (synthetic)"
    assert loaded.provider_codes == ("ZZA", "ZZB", "ZZC", "ZZD", "ZZE")
    assert loaded.store.path == "icsbench.duckdb"
    for path in dataset.files:
        parts = _parts(path)
        spec, _ = loaded.extract_for(path)
        assert spec.setting == parts["setting"]
        assert spec.layout == parts["layout"]
        mapping = loaded.column_mapping(spec)
        header = pq.read_schema(path).names
        assert all(local in header for local in mapping.values())
        if (parts["org"], parts["setting"]) == ("ZZC", "apc") and parts["layout"] == "activity":
            assert spec.mapping == "seed_style"
            assert mapping["episode_count"] == "HRG_EpisodeCount"
        if parts["layout"] == "wide":
            assert set(spec.cost_columns) == set(WIDE_COSTS)
            assert spec.cost_columns["OutpatientCost"] == "outpatient_care"
    for name in ("control_totals.csv", "manifest.json", "ics.toml", "gp_list_sizes.csv"):
        with pytest.raises(ConfigError, match="no \\[\\[extracts\\]\\] pattern"):
            loaded.extract_for(dataset.out_dir / name)


def test_activity_counts_sit_on_one_line_per_record_and_unit(dataset: engine.synth.SynthResult) -> None:
    """Counts add up across a record's lines: one line per record, driver and unit carries each count.

    Only contacts appear under two drivers of one record (consultant ward rounds and therapy contacts).
    """
    for parts, table in _tables(dataset, "cost_lines"):
        counted = table.filter(pc.is_valid(table.column("activity_unit"))).select(
            ["record_id", "cost_driver", "activity_unit", "activity_count"]
        )
        rows = counted.to_pylist()
        by_driver = [(r["record_id"], r["cost_driver"], r["activity_unit"]) for r in rows]
        assert len(by_driver) == len(set(by_driver)), parts
        by_unit = [(r["record_id"], r["activity_unit"]) for r in rows if r["activity_unit"] != "contacts"]
        assert len(by_unit) == len(set(by_unit)), parts
        assert all(r["activity_count"] is not None and r["activity_count"] >= 0 for r in rows)
        uncounted = table.filter(pc.is_null(table.column("activity_unit")))
        assert uncounted.column("activity_count").null_count == uncounted.num_rows


def test_ward_cost_follows_bed_days_at_ward_rates(dataset: engine.synth.SynthResult) -> None:
    for parts, table in _tables(dataset, "cost_lines"):
        if parts["setting"] != "apc":
            continue
        ward = table.filter(pc.equal(table.column("cost_driver"), "ward"))
        assert ward.column("location").null_count == 0
        cost: dict[str, Decimal] = defaultdict(Decimal)
        days: dict[str, float] = {}
        credited: set[str] = set()
        for row in ward.to_pylist():
            cost[row["record_id"]] += row["cost"]
            if row["cost"] < 0:
                credited.add(row["record_id"])
            if row["activity_unit"] == "bed_days":
                days[row["record_id"]] = row["activity_count"]
        assert set(days) == set(cost)
        rates = [float(cost[r]) / days[r] for r in cost if r not in credited]
        assert min(rates) >= 195
        assert max(rates) <= 555


def test_theatre_minutes_and_anaesthetic_minutes(dataset: engine.synth.SynthResult) -> None:
    pairs = 0
    for parts, table in _tables(dataset, "cost_lines"):
        if parts["setting"] != "apc":
            continue
        minutes: dict[str, dict[str, float]] = defaultdict(dict)
        for row in table.filter(pc.equal(table.column("cost_driver"), "theatre")).to_pylist():
            if row["activity_unit"]:
                minutes[row["record_id"]][row["activity_unit"]] = row["activity_count"]
        for units in minutes.values():
            gap = units["anaesthetic_minutes"] - units["theatre_minutes"]
            assert 15 <= gap <= 35
            pairs += 1
    assert pairs > 0


def test_a_few_cost_lines_are_credits(dataset: engine.synth.SynthResult) -> None:
    lines = [t.column("cost") for _, t in _tables(dataset, "cost_lines")]
    negatives = sum(pc.sum(pc.less(c, pa.scalar(Decimal(0), c.type))).as_py() or 0 for c in lines)
    assert negatives < 0.002 * sum(len(c) for c in lines)


def test_same_seed_gives_identical_files_and_another_seed_does_not(
    dataset: engine.synth.SynthResult, tmp_path: Path
) -> None:
    again = generate(tmp_path / "again", scale=SCALE, seed=7)
    other = generate(tmp_path / "other", scale=SCALE, seed=8)
    for path in dataset.files:
        assert pq.read_table(path).equals(pq.read_table(again.out_dir / path.name)), path.name
    assert (dataset.out_dir / "manifest.json").read_bytes() == (again.out_dir / "manifest.json").read_bytes()
    for name in ("control_totals.csv", "gp_list_sizes.csv", "ics.toml"):
        assert (dataset.out_dir / name).read_bytes() == (again.out_dir / name).read_bytes(), name
    different = [p.name for p in dataset.files if not pq.read_table(p).equals(pq.read_table(other.out_dir / p.name))]
    assert len(different) == len(dataset.files)
    assert other.total_cost != dataset.total_cost


def test_progress_is_reported_after_every_file(tmp_path: Path) -> None:
    calls: list[tuple[int, int, str]] = []
    result = generate(tmp_path, scale=0.001, seed=1, progress=lambda label, d=None, t=None: calls.append((d, t, label)))
    total = len(result.files) + 4
    assert [c[0] for c in calls] == list(range(1, total + 1))
    assert {c[1] for c in calls} == {total}
    assert [c[2] for c in calls][: len(result.files)] == [p.name for p in result.files]


def test_csv_output_has_iso_dates_two_decimal_costs_and_matching_config(tmp_path: Path) -> None:
    result = generate(tmp_path, scale=0.001, seed=3, file_format="csv")
    assert all(p.suffix == ".csv" for p in result.files)
    loaded = config.load(result.config_path)
    for path in result.files:
        spec, _ = loaded.extract_for(path)
        assert spec.setting == _parts(path)["setting"]
    sample = next(p for p in result.files if p.name.startswith("ZZA_apc_") and "cost_lines" in p.name)
    with sample.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(re.fullmatch(r"-?[0-9]+\.[0-9]{2}", r["cost"]) for r in rows)
    activity = next(p for p in result.files if p.name.startswith("ZZA_apc_") and "activity" in p.name)
    with activity.open(encoding="utf-8", newline="") as handle:
        first = next(csv.DictReader(handle))
    assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", first["event_date"])
    with (result.out_dir / "control_totals.csv").open(encoding="utf-8", newline="") as handle:
        totals = {r["file"]: r["total_cost"] for r in csv.DictReader(handle)}
    assert int(Decimal(totals[sample.name]) * 100) == _file_pennies(sample)


def test_small_scales_keep_at_least_200_patients_and_bad_arguments_are_refused(tmp_path: Path) -> None:
    result = generate(tmp_path, scale=0.0001, seed=1)
    manifest = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    assert manifest["population"]["patients"] == 200
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale=0)
    with pytest.raises(ValueError, match="fin_year"):
        generate(tmp_path, fin_year="2023-24")
    with pytest.raises(ValueError, match="file_format"):
        generate(tmp_path, file_format="xlsx")  # type: ignore[arg-type]


def test_a_fifth_of_patients_carry_most_of_the_cost(dataset: engine.synth.SynthResult) -> None:
    manifest = json.loads(dataset.manifest_path.read_text(encoding="utf-8"))
    assert manifest["population"]["top_20pct_patients_cost_share"] > 0.5


def _realised(manifest: dict[str, Any], effect_id: str) -> dict[str, Any]:
    effect = next(e for e in manifest["planted_effects"] if e["id"] == effect_id)
    realised: dict[str, Any] = effect["realised"]
    return realised


@pytest.mark.slow
def test_planted_effects_show_at_their_planted_size(tmp_path: Path) -> None:
    """At scale 0.1 (about 60 ZZB hip fractures, 170 ZZC strokes) each effect shows within ~2.5 standard errors.

    Unit costs (per minute, per examination) are far less noisy than costs per case, so they are held tighter.
    """
    result = generate(tmp_path, scale=0.1, seed=42)
    manifest = json.loads(result.manifest_path.read_text(encoding="utf-8"))

    theatre = _realised(manifest, "zzb_theatre_hip_trauma")
    assert theatre["provider_cases"] >= 40
    assert 1.1 <= theatre["casemix_adjusted_ratio"] <= 1.4
    per_minute = theatre["theatre_cost_per_theatre_minute"]
    assert 1.18 <= per_minute["provider"] / per_minute["others"] <= 1.32
    minutes = theatre["theatre_minutes_per_case"]
    assert abs(minutes["provider"] / minutes["others"] - 1) < 0.12

    stroke = _realised(manifest, "zzc_stroke_los")
    assert stroke["provider_cases"] >= 100
    assert 0.5 <= stroke["casemix_adjusted_difference"] <= 3.5
    assert stroke["bed_days_per_case"]["provider"] > stroke["bed_days_per_case"]["others"]
    assert stroke["ward_cost_per_case"]["provider"] > stroke["ward_cost_per_case"]["others"]

    imaging = _realised(manifest, "zza_imaging_apc")
    assert 1.2 <= imaging["casemix_adjusted_ratio"] <= 1.36
    exams = imaging["examinations_per_case"]
    assert abs(exams["provider"] / exams["others"] - 1) < 0.06

"""The patient view on a hand-built ICS: pathways, long-term conditions and linkage, checked record by record.

Three providers (two acute trusts and a community trust) send admitted care, critical care, outpatients and community
contacts for a handful of patients whose every event and pound is known, so each figure can be worked out by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine import config as config_module
from engine.ingest import load_files, quality
from engine.jobs import refresh_store
from engine.store import Store, open_store
from tests.conftest import PSEUDONYM_KEY

CONFIG = """
[ics]
name = "Hand-built ICS"

[[providers]]
code = "ZZA"
name = "Alpha Hospitals (synthetic)"
type = "acute"

[[providers]]
code = "ZZB"
name = "Beta Hospitals (synthetic)"
type = "acute"

[[providers]]
code = "ZZD"
name = "Delta Community Care (synthetic)"
type = "community"

[store]
path = "store.duckdb"

[population]
districts = ["Blackpool", "Fylde"]

[[population.places]]
name = "Fylde Coast"
districts = ["Blackpool", "Fylde"]

[[long_term_conditions]]
name = "heart_failure"
label = "Heart failure"
diagnoses = ["I50"]

[[long_term_conditions]]
name = "diabetes"
label = "Diabetes"
diagnoses = ["E11"]
services = ["DIABETES"]

[[pathways]]
name = "hip_fracture"
label = "Hip fracture"
index = { settings = ["apc"], pods = ["NEL", "NES"], diagnoses = ["S72.0", "s72.1"] }
steps = [
  { name = "critical_care", settings = ["cc"], window = "during" },
  { name = "readmissions", settings = ["apc"], pods = ["NEL", "NES"], window = "after", to_day = 30 },
  { name = "outpatient_follow_up", settings = ["op"], pods = ["OPFU"], window = "after", to_day = 90 },
  { name = "community_rehabilitation", settings = ["chs"], services = ["PHYSIO"], window = "after", to_day = 90 },
]

[[extracts]]
pattern = "*_{org}_activity.csv"
setting = "apc"

[[extracts]]
pattern = "apc_cost_lines.csv"
setting = "apc"
layout = "cost_lines"

[[extracts]]
pattern = "cc_{org}.csv"
setting = "cc"

[[extracts]]
pattern = "cc_cost_lines.csv"
setting = "cc"
layout = "cost_lines"

[[extracts]]
pattern = "op_{org}.csv"
setting = "op"

[[extracts]]
pattern = "op_cost_lines.csv"
setting = "op"
layout = "cost_lines"

[[extracts]]
pattern = "chs_{org}.csv"
setting = "chs"

[[extracts]]
pattern = "chs_cost_lines.csv"
setting = "chs"
layout = "cost_lines"
"""

# Synthetic NHS numbers from the 999 test range (valid check digits).
ANNE, BILL, CARA, DAN = "9990000018", "9990011028", "9990000026", "9990000034"
BLACKPOOL, FYLDE = "E01012662", "E01024981"

APC = ["fin_year", "period", "record_id", "spell_id", "pod", "tfc", "hrg", "admission_date", "discharge_date",
       "nhs_number", "age", "sex", "lsoa", "gp_practice", "primary_diagnosis"]  # fmt: skip
# Admitted care episodes: (provider, record, spell, pod, hrg, admitted, discharged, patient, diagnosis, cost).
EPISODES = [
    ("ZZA", "A1", "SA1", "NEL", "HT12A", "2023-04-01", "2023-04-10", ANNE, "S720", "10000.00"),
    ("ZZA", "A2", "SA1", "NEL", "HT12A", "2023-04-01", "2023-04-10", ANNE, "I500", "1500.50"),
    ("ZZB", "B1", "SB1", "NEL", "EB03A", "2023-04-25", "2023-04-28", ANNE, "I500", "2000.00"),
    ("ZZB", "B2", "SB2", "NEL", "HT12A", "2023-08-01", "2023-08-09", ANNE, "S721", "9000.00"),
    ("ZZB", "B3", "SB3", "NES", "HT13B", "2023-05-01", "2023-05-06", BILL, "S721", "12000.00"),
    ("ZZA", "A3", "SA3", "NEL", "DZ11A", "2023-06-01", "2023-06-03", CARA, "J189", "3000.00"),
    ("ZZA", "A4", "SA4", "NEL", "HT12A", "2024-03-01", "2024-03-05", DAN, "S720", "11000.00"),
    ("ZZA", "A5", "SA5", "EL", "HN22A", "2023-07-01", "2023-07-03", None, "M170", "7000.00"),
]
# Critical care periods: (provider, record, linked episode, start, end, patient, cost).
CRITICAL_CARE = [("ZZA", "C1", "A1", "2023-04-02", "2023-04-04", ANNE, "3000.00")]
# Outpatient attendances: (provider, record, pod, date, patient, cost).
OUTPATIENTS = [
    ("ZZA", "O1", "OPFU", "2023-05-20", ANNE, "150.00"),
    ("ZZB", "O2", "OPFA", "2023-05-20", BILL, "200.00"),
    ("ZZB", "O3", "OPFU", "2023-06-30", BILL, "140.25"),
]
# Community contacts: (provider, record, service, date, patient, cost).
COMMUNITY = [
    ("ZZD", "D1", "PHYSIO", "2023-06-01", ANNE, "60.00"),
    ("ZZD", "D2", "PHYSIO", "2023-07-15", ANNE, "60.00"),
    ("ZZD", "D3", "PHYSIO", "2023-05-10", BILL, "55.00"),
    ("ZZD", "D4", "PHYSIO", "2023-05-20", BILL, "55.00"),
    ("ZZD", "D5", "DIABETESNURSE", "2023-05-21", BILL, "45.00"),
]
LOADED = sum(Decimal(row[-1]) for rows in (EPISODES, CRITICAL_CARE, OUTPATIENTS, COMMUNITY) for row in rows)


def _period(date: str) -> int:
    month = int(date[5:7])
    return month - 3 if month >= 4 else month + 9


def _write(root: Path, name: str, header: list[str], rows: list[list[Any]]) -> Path:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    path = root / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cost_file(root: Path, setting: str, rows: list[tuple[str, str, str, str]]) -> Path:
    header = ["org_code", "fin_year", "period", "record_id", "cost_driver", "cost"]
    driver = {"apc": "ward", "cc": "critical_care", "op": "outpatient_care", "chs": "community_care"}[setting]
    return _write(
        root, f"{setting}_cost_lines.csv", header, [[o, "2023/24", _period(d), r, driver, c] for o, r, d, c in rows]
    )


def _person(nhs: str | None) -> list[Any]:
    lsoa = FYLDE if nhs == BILL else BLACKPOOL
    return [nhs, 81, "F", lsoa, "P81001" if nhs != BILL else "P81002"]


def _write_extracts(root: Path) -> list[Path]:
    files = []
    for org in ("ZZA", "ZZB"):
        rows = [
            ["2023/24", _period(a), r, s, pod, "110", hrg, a, d, *_person(n), dx]
            for o, r, s, pod, hrg, a, d, n, dx, _ in EPISODES
            if o == org
        ]
        files.append(_write(root, f"apc_{org}_activity.csv", APC, rows))
    files.append(_cost_file(root, "apc", [(o, r, a, c) for o, r, _, _, _, a, _, _, _, c in EPISODES]))
    person = ["nhs_number", "age", "sex", "lsoa", "gp_practice"]
    cc_header = ["fin_year", "period", "record_id", "unit_type", "apc_record_id", "event_date", "end_date", *person]
    files.append(
        _write(
            root,
            "cc_ZZA.csv",
            cc_header,
            [["2023/24", _period(s), r, "adult", a, s, e, *_person(n)] for _, r, a, s, e, n, _ in CRITICAL_CARE],
        )
    )
    files.append(_cost_file(root, "cc", [(o, r, s, c) for o, r, _, s, _, _, c in CRITICAL_CARE]))
    op_header = ["fin_year", "period", "record_id", "pod", "tfc", "event_date", *person]
    for org in ("ZZA", "ZZB"):
        rows = [
            ["2023/24", _period(d), r, pod, "110", d, *_person(n)] for o, r, pod, d, n, _ in OUTPATIENTS if o == org
        ]
        files.append(_write(root, f"op_{org}.csv", op_header, rows))
    files.append(_cost_file(root, "op", [(o, r, d, c) for o, r, _, d, _, c in OUTPATIENTS]))
    chs_header = ["fin_year", "period", "record_id", "pod", "service_code", "event_date", *person]
    rows = [["2023/24", _period(d), r, "CHS", s, d, *_person(n)] for _, r, s, d, n, _ in COMMUNITY]
    files.append(_write(root, "chs_ZZD.csv", chs_header, rows))
    files.append(_cost_file(root, "chs", [(o, r, d, c) for o, r, _, d, _, c in COMMUNITY]))
    return files


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The hand-built ICS loaded and refreshed; the connection stays open so the internal tables can be read."""
    root = tmp_path_factory.mktemp("patients")
    (root / "ics.toml").write_text(CONFIG, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config_module.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
        opened = open_store(config_module.load(root / "ics.toml"))
        outcomes = load_files(opened, _write_extracts(root))
    assert {o.status for o in outcomes} == {"loaded"}, [o.message for o in outcomes if o.status != "loaded"]
    quality.rebuild(opened)
    refresh_store(opened)
    yield opened
    opened.close()


def _rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return store.con.execute(sql).fetchall()


def test_hand_built_files_load_every_pound(store: Store) -> None:
    assert _rows(store, "SELECT sum(cost) FROM cost_lines")[0][0] == LOADED


def test_pathway_takes_the_index_stay_and_each_step_within_its_window(store: Store) -> None:
    events = _rows(
        store,
        "SELECT index_org_code, index_spell_id, step, org_code, record_id, total_cost, is_complete "
        "FROM pathway_events ORDER BY index_spell_id, step_order, record_id",
    )
    assert events == [
        ("ZZA", "SA1", "index_admission", "ZZA", "A1", Decimal("10000.00"), 1),
        ("ZZA", "SA1", "index_admission", "ZZA", "A2", Decimal("1500.50"), 1),
        ("ZZA", "SA1", "critical_care", "ZZA", "C1", Decimal("3000.00"), 1),
        # A non-elective stay at another trust 15 days after discharge is a readmission, whatever its diagnosis.
        ("ZZA", "SA1", "readmissions", "ZZB", "B1", Decimal("2000.00"), 1),
        ("ZZA", "SA1", "outpatient_follow_up", "ZZA", "O1", Decimal("150.00"), 1),
        # Day 52 is inside the 90 days; D2 (day 96) is not, and the second fracture (SB2) is not a second index.
        ("ZZA", "SA1", "community_rehabilitation", "ZZD", "D1", Decimal("60.00"), 1),
        # Dan's fracture in March has no 90 days of follow-up loaded yet: an incomplete pathway.
        ("ZZA", "SA4", "index_admission", "ZZA", "A4", Decimal("11000.00"), 0),
        ("ZZB", "SB3", "index_admission", "ZZB", "B3", Decimal("12000.00"), 1),
        # O2 is a first attendance, not a follow-up; D5 is a diabetes nurse, not physiotherapy.
        ("ZZB", "SB3", "outpatient_follow_up", "ZZB", "O3", Decimal("140.25"), 1),
        ("ZZB", "SB3", "community_rehabilitation", "ZZD", "D3", Decimal("55.00"), 1),
        ("ZZB", "SB3", "community_rehabilitation", "ZZD", "D4", Decimal("55.00"), 1),
    ]


def test_pathway_cost_credits_the_index_provider_and_compares_with_the_ics(store: Store) -> None:
    rows = {
        (org, step): (pathways, events, total, incomplete)
        for org, step, pathways, events, total, incomplete in _rows(
            store,
            "SELECT org_code, step, pathways, events, total_cost, pathways_incomplete FROM results.pathway_cost",
        )
    }
    assert rows[("ZZA", "whole_pathway")] == (1, 5, Decimal("16710.50"), 1)
    assert rows[("ZZA", "index_admission")] == (1, 1, Decimal("11500.50"), 1)  # two episodes, one spell
    assert rows[("ZZB", "whole_pathway")] == (1, 4, Decimal("12250.25"), 0)
    assert rows[("ZZB", "critical_care")] == (1, 0, Decimal("0"), 0)
    ics = _rows(
        store,
        "SELECT DISTINCT ics_pathways, ics_cost_per_pathway FROM results.pathway_cost WHERE step = 'whole_pathway'",
    )
    assert ics == [(2, pytest.approx((16710.50 + 12250.25) / 2))]
    opportunity = _rows(
        store, "SELECT org_code, opportunity_vs_ics FROM results.pathway_cost WHERE step = 'whole_pathway' ORDER BY 1"
    )
    assert opportunity == [("ZZA", pytest.approx((16710.50 - 14480.375) * 1)), ("ZZB", 0)]


def test_long_term_conditions_follow_the_documented_rule(store: Store) -> None:
    found = _rows(
        store,
        "SELECT a.record_id, c.condition FROM patient_conditions AS c "
        "JOIN activity AS a ON a.patient_id = c.patient_id ORDER BY 1, 2",
    )
    by_record = {record: condition for record, condition in found}
    # Anne's second episode (I500) and her readmission show heart failure; Bill's "DIABETESNURSE" service starts
    # with DIABETES; Cara's pneumonia shows nothing.
    assert by_record.get("A2") == "heart_failure"
    assert by_record.get("D5") == "diabetes"
    assert "A3" not in by_record
    counts = dict(_rows(store, "SELECT age_band, sum(conditions) FROM patient_cost GROUP BY 1"))
    assert counts == {"75-84": 2}


def test_every_pound_loaded_is_in_the_patient_and_population_tables(store: Store) -> None:
    for sql in (
        "SELECT sum(total_cost) FROM patient_cost",
        "SELECT sum(total_cost) FROM resident_activity WHERE setting = 'all'",
        "SELECT sum(total_cost) FROM resident_activity WHERE setting <> 'all'",
        "SELECT sum(total_cost) FROM results.linkage_quality WHERE level = 'provider'",
        "SELECT sum(total_cost) FROM results.linkage_quality WHERE level = 'ics'",
        "SELECT sum(total_cost) FROM results.gp_practice_cost",
        "SELECT sum(total_cost) FROM results.deprivation_cost WHERE setting = 'all'",
        "SELECT sum(total_cost) FROM results.population_rates WHERE setting = 'all' AND area_type = 'ics'",
    ):
        assert _rows(store, sql)[0][0] == LOADED, sql


def test_records_without_a_pseudonym_keep_their_cost_but_count_no_patient(store: Store) -> None:
    unlinked = _rows(store, "SELECT patients, records, total_cost, age_band FROM patient_cost WHERE patient_id IS NULL")
    assert unlinked == [(0, 1, Decimal("7000.00"), "75-84")]
    ics = _rows(
        store,
        "SELECT records, linked_records, unlinked_cost, patients, patients_seen_elsewhere "
        "FROM results.linkage_quality WHERE level = 'ics'",
    )
    # Anne (ZZA, ZZB, ZZD) and Bill (ZZB, ZZD) were seen by more than one provider; Cara and Dan by one.
    assert ics == [(17, 16, Decimal("7000.00"), 4, 2)]


def test_population_rates_use_the_configured_districts_and_places(store: Store) -> None:
    areas = _rows(
        store,
        "SELECT area_type, area, population FROM results.population_rates WHERE setting = 'all' ORDER BY 1, 2",
    )
    populations = dict(
        _rows(
            store, "SELECT district, sum(population) FROM ref_lsoa WHERE district IN ('Blackpool', 'Fylde') GROUP BY 1"
        )
    )
    assert areas == [
        ("district", "Blackpool", populations["Blackpool"]),
        ("district", "Fylde", populations["Fylde"]),
        ("ics", "Hand-built ICS", populations["Blackpool"] + populations["Fylde"]),
        ("place", "Fylde Coast", populations["Blackpool"] + populations["Fylde"]),
    ]


def test_published_patient_tables_hide_small_numbers_and_never_hold_a_pseudonym(store: Store) -> None:
    pseudonyms = {
        row[0] for row in _rows(store, "SELECT DISTINCT patient_id FROM activity WHERE patient_id IS NOT NULL")
    }
    for table in ("linkage_quality", "high_use_patients", "pathway_cost", "gp_practice_cost", "deprivation_cost",
                  "population_rates"):  # fmt: skip
        relation = store.con.sql(f"SELECT * FROM published.{table}")
        assert "patient_id" not in relation.columns
        for row in relation.fetchall():
            assert not pseudonyms & {v for v in row if isinstance(v, str)}, table
    # Every patient count here is below 8, so every figure resting on one is hidden.
    shown = _rows(store, "SELECT count(*) FROM published.pathway_cost WHERE cost_per_pathway IS NOT NULL")
    assert shown == [(0,)]
    assert _rows(store, "SELECT count(*) FROM published.high_use_patients WHERE share_of_cost IS NOT NULL") == [(0,)]

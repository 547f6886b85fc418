"""The patient view on the synthetic ICS: every pound accounted for, nothing that could identify a patient, and the
patterns the generator builds in (conditions, deprivation, high use) found by the engine's tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.metrics import catalog
from tests.conftest import query_store

PATIENT_TABLES = (
    "linkage_quality",
    "high_use_patients",
    "pathway_cost",
    "gp_practice_cost",
    "deprivation_cost",
    "population_rates",
)


def _loaded(config: Any) -> Decimal:
    return Decimal(query_store(config, "SELECT sum(cost) FROM cost_lines")[0][0])


def test_population_tables_hold_every_pound_loaded_in_every_setting(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    by_setting = dict(query_store(config, "SELECT setting, sum(cost) FROM cost_lines GROUP BY setting"))
    for table, where in (
        ("deprivation_cost", "TRUE"),
        ("population_rates", "area_type = 'ics'"),
        ("linkage_quality", "level = 'provider'"),
    ):
        found = dict(
            query_store(config, f"SELECT setting, sum(total_cost) FROM results.{table} WHERE {where} GROUP BY 1")
        )
        found_all = found.pop("all", None)
        assert found == by_setting, table
        if table != "linkage_quality":
            assert found_all == _loaded(config), table
    gp = query_store(config, "SELECT sum(total_cost) FROM results.gp_practice_cost")[0][0]
    assert gp == _loaded(config)


def test_linkage_quality_matches_the_records_loaded(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    expected = query_store(
        config,
        "SELECT count(*), count(patient_id), count(DISTINCT patient_id) FROM activity",
    )[0]
    multi = query_store(
        config,
        "SELECT count(*) FROM (SELECT patient_id FROM activity WHERE patient_id IS NOT NULL "
        "GROUP BY patient_id HAVING count(DISTINCT org_code) > 1)",
    )[0][0]
    found = query_store(
        config,
        "SELECT records, linked_records, patients, patients_seen_elsewhere FROM results.linkage_quality "
        "WHERE level = 'ics'",
    )
    assert found == [(*expected, multi)]


def test_no_published_patient_table_can_identify_a_patient(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    pseudonyms = {r[0] for r in query_store(config, "SELECT DISTINCT patient_id FROM activity WHERE patient_id <> ''")}
    for name in PATIENT_TABLES:
        metric = catalog.metric(name)
        assert not {"patient_id", "nhs_number", "record_id", "spell_id"} & {c.name for c in metric.columns}
        for row in query_store(config, f"SELECT * FROM published.{name}"):
            assert not pseudonyms & {v for v in row if isinstance(v, str)}, name
        for column in (c.name for c in metric.columns if c.role == "count"):
            small = query_store(config, f"SELECT count(*) FROM published.{name} WHERE {column} BETWEEN 1 AND 7")
            assert small == [(0,)], (name, column)


def test_every_shown_high_use_row_rests_on_a_band_of_at_least_eight_patients(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    rows = query_store(
        config,
        "SELECT p.band_patients, r.band_patients FROM published.high_use_patients AS p "
        "JOIN results.high_use_patients AS r USING (fin_year, top_percent) WHERE p.share_of_cost IS NOT NULL",
    )
    assert rows, "the synthetic ICS has enough patients for the curve"
    assert all(full >= 8 for _, full in rows)
    full = query_store(config, "SELECT max(top_percent), sum(band_patients) FROM results.high_use_patients")[0]
    linked = query_store(config, "SELECT count(DISTINCT patient_id) FROM activity WHERE patient_id IS NOT NULL")
    assert full == (100, linked[0][0])


def test_high_use_patients_are_older_sicker_and_use_most_of_the_cost(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    rows = {
        headline: (share, age, conditions)
        for headline, share, age, conditions in query_store(
            config,
            "SELECT headline, share_of_cost, mean_age, mean_conditions FROM results.high_use_patients "
            "WHERE headline <> ''",
        )
    }
    assert rows["top 1%"][0] < rows["top 5%"][0] < rows["top 20%"][0] < rows["all patients"][0] == 1
    assert rows["top 20%"][0] > 0.5  # under a fifth of patients use most of the cost
    assert rows["top 5%"][1] > rows["all patients"][1]
    assert rows["top 5%"][2] > 2 * rows["all patients"][2]


def test_deprivation_and_conditions_go_with_cost(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    per_head = dict(
        query_store(
            config,
            "SELECT imd_decile, cost_per_head FROM results.deprivation_cost "
            "WHERE setting = 'all' AND residence = 'ICS resident'",
        )
    )
    most, least = (per_head[1] + per_head[2]) / 2, (per_head[9] + per_head[10]) / 2
    assert most > least

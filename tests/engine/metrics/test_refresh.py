"""The refresh: every table built, documented, stamped with one refresh id, reconciled to the penny and atomic."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from engine.errors import StoreError
from engine.jobs import refresh_store
from engine.metrics import catalog
from engine.metrics import refresh as refresh_module
from engine.store import open_store
from tests.conftest import copy_of_store, query_store


def test_every_result_table_has_exactly_the_columns_its_header_documents(refreshed_ics: Any, tmp_path: Any) -> None:
    store = open_store(copy_of_store(refreshed_ics[1], tmp_path))
    try:
        refresh_store(store)  # internal tables live only in the refreshing connection
        for metric in catalog.metrics():
            columns = [row[0] for row in store.con.execute(f"DESCRIBE {metric.table}").fetchall()]
            assert columns == [c.name for c in metric.columns], f"{metric.name}: header and SQL disagree"
            if metric.published:
                published = [row[0] for row in store.con.execute(f"DESCRIBE {metric.published_table}").fetchall()]
                # the figures only disclosure control reads (role dominance) stay in the results, never published
                assert published == [c.name for c in metric.columns if c.published]
    finally:
        store.close()


def test_record_level_tables_never_reach_the_store_file(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    tables = {row[0] for row in query_store(config, "SELECT table_name FROM information_schema.tables")}
    internal = {m.name for m in catalog.metrics() if not m.published}
    assert internal and not internal & tables
    columns = {
        row[0]
        for row in query_store(
            config, "SELECT column_name FROM information_schema.columns WHERE table_schema IN ('results', 'published')"
        )
    }
    assert "patient_id" not in columns and "record_id" not in columns


def test_the_issue_tables_are_all_published() -> None:
    assert {m.name for m in catalog.published()} == set(catalog.PRESENTATION_ORDER)


def test_every_row_of_every_table_carries_the_last_refresh_id(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    [(last,)] = query_store(config, "SELECT max(refresh_id) FROM refresh_log WHERE status = 'succeeded'")
    for metric in catalog.published():
        ids = query_store(config, f"SELECT DISTINCT refresh_id FROM {metric.table}")
        assert ids == [(last,)], metric.name


def test_system_cost_reconciles_with_the_cost_loaded_per_provider_and_year(refreshed_ics: Any) -> None:
    result, config = refreshed_ics
    loaded = dict(
        ((org, year), total)
        for org, year, total in query_store(config, "SELECT org_code, fin_year, sum(cost) FROM cost_lines GROUP BY ALL")
    )
    in_results = dict(
        ((org, year), total)
        for org, year, total in query_store(
            config, "SELECT org_code, fin_year, sum(total_cost) FROM results.system_cost GROUP BY ALL"
        )
    )
    assert in_results == loaded
    assert sum(in_results.values(), Decimal(0)) == result.total_cost


def test_provider_overview_and_data_quality_totals_reconcile_too(refreshed_ics: Any) -> None:
    result, config = refreshed_ics
    [(overview,)] = query_store(config, "SELECT sum(total_cost) FROM results.provider_overview")
    [(quality,)] = query_store(config, "SELECT sum(cost_loaded) FROM results.data_quality")
    [(spells,)] = query_store(config, "SELECT sum(total_cost) FROM results.los_benchmark")
    [(apc,)] = query_store(config, "SELECT sum(cost) FROM cost_lines WHERE setting = 'apc'")
    assert overview == quality == result.total_cost
    assert spells == apc


def test_unit_costs_hold_every_linked_record_and_its_cost(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    [(records, cost)] = query_store(
        config,
        "SELECT count(*), sum(cost) FROM activity LEFT JOIN (SELECT setting, org_code, "
        "record_id, sum(cost) AS cost FROM cost_lines GROUP BY ALL) USING (setting, org_code, record_id)",
    )
    [(activity, total)] = query_store(config, "SELECT sum(activity), sum(total_cost) FROM results.unit_cost_benchmark")
    assert (activity, total) == (records, cost)


def test_driver_costs_per_case_add_up_to_the_average_cost(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    rows = query_store(
        config,
        """
        SELECT u.mean_cost, sum(d.driver_cost_per_case), sum(d.driver_cost), u.total_cost
        FROM results.unit_cost_benchmark AS u
        JOIN results.cost_driver_benchmark AS d USING (fin_year, setting, pod, tfc, hrg, org_code)
        GROUP BY u.fin_year, u.setting, u.pod, u.tfc, u.hrg, u.org_code, u.mean_cost, u.total_cost
        """,
    )
    assert rows
    for mean, per_case, driver_total, total in rows:
        assert per_case == pytest.approx(mean, rel=1e-9, abs=1e-9)
        assert driver_total == total


def test_opportunities_are_never_negative(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    checks = {
        "unit_cost_benchmark": (
            "opportunity_vs_ics",
            "opportunity_vs_median",
            "opportunity_vs_best",
            "opportunity_vs_national",
        ),
        "cost_driver_benchmark": ("opportunity_vs_ics", "opportunity_vs_best"),
        "los_benchmark": ("excess_bed_days_vs_ics", "excess_bed_days_vs_best"),
        "critical_care": ("opportunity_vs_ics", "opportunity_vs_best", "opportunity_vs_national"),
        "clinical_support": (
            "pharmacy_opportunity_vs_ics",
            "imaging_opportunity_vs_ics",
            "pathology_opportunity_vs_ics",
        ),
        "cost_per_wau": ("opportunity_vs_median",),
    }
    for table, columns in checks.items():
        for column in columns:
            [(negative,)] = query_store(config, f"SELECT count(*) FROM results.{table} WHERE {column} < 0")
            assert negative == 0, f"{table}.{column}"


def test_the_refresh_log_says_what_ran_on_which_data(refreshed_ics: Any) -> None:
    result, config = refreshed_ics
    [(status, config_file, settings, loads, cost, tables)] = query_store(
        config,
        "SELECT status, config_file, settings, loads, cost_loaded, tables FROM refresh_log ORDER BY refresh_id DESC "
        "LIMIT 1",
    )
    assert status == "succeeded"
    assert config_file == str(result.config_path)
    assert json.loads(settings)["best_in_system_min_cases"] == config.benchmarks.best_in_system_min_cases
    assert json.loads(loads)["files"] == len(result.files)
    assert cost == result.total_cost
    assert set(json.loads(tables)) == {m.name for m in catalog.metrics()}
    assert Decimal(json.loads(tables)["system_cost"]["total_cost"]) == result.total_cost


def test_a_failed_refresh_leaves_the_last_good_results_and_logs_the_failure(
    refreshed_ics: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = copy_of_store(refreshed_ics[1], tmp_path)
    before = {m.name: query_store(config, f"SELECT * FROM {m.table} ORDER BY ALL") for m in catalog.published()}

    def broken(_con: Any) -> Decimal:
        raise StoreError("simulated failure after every table was rebuilt")

    monkeypatch.setattr(refresh_module, "check_reconciliation", broken)
    store = open_store(config)
    try:
        with pytest.raises(StoreError, match="last good results are unchanged"):
            refresh_store(store)
    finally:
        store.close()
    after = {m.name: query_store(config, f"SELECT * FROM {m.table} ORDER BY ALL") for m in catalog.published()}
    assert after == before
    [(status, message)] = query_store(
        config, "SELECT status, message FROM refresh_log ORDER BY refresh_id DESC LIMIT 1"
    )
    assert status == "failed"
    assert "simulated failure" in message


def test_results_a_penny_out_do_not_reconcile(refreshed_ics: Any, tmp_path: Any) -> None:
    config = copy_of_store(refreshed_ics[1], tmp_path)
    store = open_store(config)
    try:
        assert refresh_module.check_reconciliation(store.con) == refreshed_ics[0].total_cost
        store.con.execute("UPDATE cost_lines SET cost = cost + 0.01 WHERE rowid = 0")
        with pytest.raises(StoreError, match="do not reconcile"):
            refresh_module.check_reconciliation(store.con)
    finally:
        store.close()


def test_refreshing_twice_gives_the_same_figures_under_a_new_id(refreshed_ics: Any, tmp_path: Any) -> None:
    """Counts, money and flags are identical; figures from sums of floating-point squares (the funnel spread) are
    added up in parallel in whatever order the threads finish, so they agree to 12 significant figures."""
    config = copy_of_store(refreshed_ics[1], tmp_path)
    query = (
        "SELECT * EXCLUDE (refresh_id) FROM results.unit_cost_benchmark "
        "ORDER BY fin_year, setting, pod, tfc, hrg, org_code"
    )
    before = query_store(config, query)
    store = open_store(config)
    try:
        second = refresh_store(store)
    finally:
        store.close()
    after = query_store(config, query)
    assert len(after) == len(before)
    for old, new in zip(before, after, strict=True):
        assert [v for v in new if not isinstance(v, float)] == [v for v in old if not isinstance(v, float)]
        assert [v for v in new if isinstance(v, float)] == pytest.approx(
            [v for v in old if isinstance(v, float)], rel=1e-12
        )
    assert query_store(config, "SELECT DISTINCT refresh_id FROM results.unit_cost_benchmark") == [(second.refresh_id,)]

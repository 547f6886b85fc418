"""A second method for the service line tables: the seed slide's figures for the hip service worked out with pandas
from the store's canonical records (activity and cost lines, never the result tables) and compared with what the
refresh wrote, to the penny for money and exactly for counts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from engine.config import IcsConfig
from engine.store import open_store
from tests.conftest import query_store

HIP = "NEL hip procedures for trauma"


def _frame(config: IcsConfig, sql: str) -> pd.DataFrame:
    store = open_store(config, read_only=True)
    try:
        return store.con.execute(sql).df()
    finally:
        store.close()


@pytest.fixture(scope="module")
def hip(refreshed_ics: Any) -> tuple[pd.DataFrame, pd.DataFrame, IcsConfig]:
    """The hip service's records (NEL, HRG under HT12 or HT13) with their costs by driver, and their cost lines."""
    _, config = refreshed_ics
    records = _frame(
        config,
        "SELECT org_code, fin_year, period, record_id, spell_id, los FROM activity "
        "WHERE setting = 'apc' AND pod = 'NEL' AND (hrg LIKE 'HT12%' OR hrg LIKE 'HT13%')",
    )
    lines = _frame(
        config,
        "SELECT org_code, record_id, cost_driver, CAST(cost AS VARCHAR) AS cost, activity_count, activity_unit, "
        "location FROM cost_lines "
        "WHERE setting = 'apc'",
    ).merge(records[["org_code", "record_id"]], on=["org_code", "record_id"])
    lines["cost"] = lines["cost"].map(Decimal)
    records["quarter"] = "Q" + ((records["period"] - 1) // 3 + 1).astype(str)
    costs = lines.groupby(["org_code", "record_id"])["cost"].apply(lambda c: sum(c, Decimal(0))).rename("cost")
    records = records.merge(costs.reset_index(), on=["org_code", "record_id"], how="left")
    records["cost"] = records["cost"].map(lambda c: c if isinstance(c, Decimal) else Decimal(0))
    return records, lines, config


def _table(config: IcsConfig, name: str, where: str = "") -> list[dict[str, Any]]:
    """The rows as the store holds them (money stays Decimal)."""
    store = open_store(config, read_only=True)
    try:
        cursor = store.con.execute(f"SELECT * FROM results.{name} WHERE service_line = '{HIP}' {where}")
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        store.close()


def test_cases_cost_and_mean_cost_by_provider_year_and_quarter_reconcile_to_the_penny(hip: Any) -> None:
    records, _, config = hip
    rows = _table(config, "service_line_benchmark")
    assert rows, "the hip service has no rows on the synthetic ICS"
    for period in ["year", *sorted(records["quarter"].unique())]:
        chosen = records if period == "year" else records[records["quarter"] == period]
        for org, mine in chosen.groupby("org_code"):
            (row,) = [r for r in rows if r["period"] == period and r["org_code"] == org]
            assert row["activity"] == len(mine)
            assert row["total_cost"] == sum(mine["cost"], Decimal(0))
            assert row["mean_cost"] == pytest.approx(float(sum(mine["cost"], Decimal(0))) / len(mine))
        period_rows = [r for r in rows if r["period"] == period]
        assert sum(r["total_cost"] for r in period_rows) == sum(chosen["cost"], Decimal(0))
    assert {r["period"] for r in rows} == {"year", *records["quarter"].unique()}


def test_ics_best_in_system_and_opportunity_three_ways(hip: Any) -> None:
    records, _, config = hip
    minimum = config.benchmarks.best_in_system_min_cases
    yearly = records.groupby("org_code")["cost"].agg(cases="count", cost=lambda c: float(sum(c, Decimal(0))))
    yearly["mean"] = yearly["cost"] / yearly["cases"]
    ics_mean = yearly["cost"].sum() / yearly["cases"].sum()
    eligible = yearly[yearly["cases"] > minimum]
    best = eligible["mean"].min() if len(eligible) else None
    for row in _table(config, "service_line_benchmark", "AND period = 'year'"):
        mine = yearly.loc[row["org_code"]]
        assert row["ics_mean_cost"] == pytest.approx(ics_mean)
        assert row["opportunity_vs_ics"] == pytest.approx(max(0.0, (mine["mean"] - ics_mean) * mine["cases"]))
        assert row["net_vs_ics"] == pytest.approx((mine["mean"] - ics_mean) * mine["cases"])
        if best is None:
            assert row["best_in_system_cost"] is None
        else:
            assert row["best_in_system_cost"] == pytest.approx(best)
            assert row["opportunity_vs_best"] == pytest.approx(max(0.0, (mine["mean"] - best) * mine["cases"]))
        if row["national_mean_cost"] is not None:
            gap = (mine["mean"] - row["national_mean_cost"]) * mine["cases"]
            assert row["opportunity_vs_national"] == pytest.approx(max(0.0, gap))
        assert 0 <= row["significant_vs_ics"] <= row["opportunity_vs_ics"] + 1e-9


def test_theatre_and_anaesthetic_minutes_theatre_spend_ward_cost_per_bed_day_and_los(hip: Any) -> None:
    records, lines, config = hip
    for row in _table(config, "service_line_benchmark", "AND period = 'year'"):
        mine = lines[lines["org_code"] == row["org_code"]]
        theatre = mine[mine["cost_driver"] == "theatre"]
        ward = mine[mine["cost_driver"] == "ward"]
        assert row["theatre_cost"] == sum(theatre["cost"], Decimal(0))
        minutes = mine.loc[mine["activity_unit"] == "theatre_minutes", "activity_count"].sum()
        anaesthetic = mine.loc[mine["activity_unit"] == "anaesthetic_minutes", "activity_count"].sum()
        assert row["theatre_minutes"] == pytest.approx(minutes)
        assert row["anaesthetic_minutes"] == pytest.approx(anaesthetic)
        bed_days = ward.loc[ward["activity_unit"] == "bed_days", "activity_count"].sum()
        assert row["ward_cost_per_bed_day"] == pytest.approx(float(sum(ward["cost"], Decimal(0))) / bed_days)
        spells = records[records["org_code"] == row["org_code"]].groupby("spell_id")["los"].max()
        assert row["spells"] == len(spells)
        assert row["mean_los"] == pytest.approx(spells.mean())


def test_ward_rows_add_up_and_each_wards_cost_per_bed_day_is_its_lines(hip: Any) -> None:
    _, lines, config = hip
    ward_lines = lines[lines["cost_driver"] == "ward"].copy()
    ward_lines["ward"] = ward_lines["location"].fillna("(no ward given)")
    for row in _table(config, "service_line_wards"):
        mine = ward_lines[(ward_lines["org_code"] == row["org_code"]) & (ward_lines["ward"] == row["ward"])]
        assert row["ward_cost"] == sum(mine["cost"], Decimal(0))
        assert row["episodes"] == mine["record_id"].nunique()
        assert row["bed_days"] == pytest.approx(mine.loc[mine["activity_unit"] == "bed_days", "activity_count"].sum())


def test_what_is_published_hides_small_counts_and_every_figure_built_on_them(hip: Any) -> None:
    """As an outsider reading the published table: no count below the smallest shown, and where a count is hidden,
    nothing built on it shows."""
    _, _, config = hip
    smallest = config.suppression.smallest_shown
    published = query_store(
        config,
        f"SELECT activity, total_cost, mean_cost, opportunity_vs_best, spells, mean_los FROM published."
        f"service_line_benchmark WHERE service_line = '{HIP}'",
    )
    assert published
    for activity, total_cost, mean_cost, opportunity, spells, mean_los in published:
        assert activity is None or activity >= smallest
        if activity is None:
            assert (total_cost, mean_cost, opportunity) == (None, None, None)
        if spells is None:
            assert mean_los is None

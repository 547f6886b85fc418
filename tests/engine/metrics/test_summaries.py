"""opportunity_summary and los_summary add up their cells exactly, at every level, and their benchmarks are right."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import query_store

ALL = "(all)"
BENCHMARKS = ("ics", "median", "best", "national")


def _sums(rows: list[tuple[Any, ...]], key_of: Any, width: int) -> dict[tuple[Any, ...], list[Any]]:
    """Sums of the last `width` columns per level key; None where every cell was blank, as SQL's sum gives."""
    totals: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [None] * width)
    for row in rows:
        for level_key in key_of(row):
            for i, value in enumerate(row[-width:]):
                if value is not None:
                    held = totals[level_key][i]
                    totals[level_key][i] = value if held is None else held + value
    return totals


def _close(got: Any, want: Any) -> bool:
    return (got is None and want is None) or (
        got is not None and want is not None and got == pytest.approx(want, rel=1e-9, abs=1e-6)
    )


def test_opportunity_summary_adds_up_the_cells_at_every_level(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    cells = query_store(
        config,
        # only cells with enough cases for a headline count in the opportunity totals
        "SELECT fin_year, org_code, pod, hrg, activity, total_cost, in_headline * opportunity_vs_ics, "
        "in_headline * opportunity_vs_median, in_headline * opportunity_vs_best, in_headline * opportunity_vs_national,"
        " in_headline * net_vs_ics, in_headline * net_vs_national, in_headline * significant_vs_ics "
        "FROM results.unit_cost_benchmark",
    )

    def levels(row: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        year, org, pod, hrg = row[:4]
        return [(year, org, ALL, ALL), (year, org, pod, ALL), (year, org, pod, hrg)]

    expected = _sums(cells, levels, 9)
    summary = query_store(
        config,
        "SELECT fin_year, org_code, pod, hrg, activity, cost, opportunity_vs_ics, opportunity_vs_median, "
        "opportunity_vs_best, opportunity_vs_national, net_vs_ics, net_vs_national, significant_vs_ics "
        "FROM results.opportunity_summary WHERE cost_driver = '(all)'",
    )
    assert len(summary) == len(expected)
    for row in summary:
        want = expected[row[:4]]
        assert row[4] == want[0]
        assert row[5] == want[1]  # exact: DECIMAL pounds
        for got, sum_of_cells in zip(row[6:], want[2:], strict=True):
            assert _close(got, sum_of_cells)


def test_provider_totals_reconcile_with_the_cells_to_the_penny(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    by_provider = dict(
        query_store(config, "SELECT org_code, sum(total_cost) FROM results.unit_cost_benchmark GROUP BY org_code")
    )
    summary = dict(
        query_store(
            config,
            "SELECT org_code, sum(cost) FROM results.opportunity_summary "
            "WHERE pod = '(all)' AND cost_driver = '(all)' GROUP BY org_code",
        )
    )
    assert summary == by_provider
    assert sum(summary.values(), Decimal(0)) > 0


def test_driver_rows_add_up_the_driver_cells(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    cells = query_store(
        config,
        "SELECT fin_year, org_code, pod, hrg, cost_driver, driver_cost, in_headline * opportunity_vs_ics, "
        "in_headline * opportunity_vs_best FROM results.cost_driver_benchmark",
    )
    expected = _sums(cells, lambda r: [(r[0], r[1], r[2], ALL, r[4]), (r[0], r[1], r[2], r[3], r[4])], 3)
    summary = query_store(
        config,
        "SELECT fin_year, org_code, pod, hrg, cost_driver, cost, opportunity_vs_ics, opportunity_vs_best "
        "FROM results.opportunity_summary WHERE cost_driver <> '(all)' AND pod <> '(all)'",
    )
    assert len(summary) == len(expected)
    for row in summary:
        want = expected[row[:5]]
        assert row[5] == want[0]
        assert _close(row[6], want[1])
        assert _close(row[7], want[2])


def test_hrg_level_benchmarks_recomputed_by_hand(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    cells = query_store(
        config, "SELECT fin_year, pod, hrg, org_code, activity, units, total_cost FROM results.unit_cost_benchmark"
    )
    minimum = query_store(config, "SELECT best_in_system_min_cases FROM results.refresh_parameters")[0][0]
    # per provider: records (what best in system counts), units of count (what costs are per) and cost
    providers: dict[tuple[str, str, str], dict[str, list[Any]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for year, pod, hrg, org, activity, units, cost in cells:
        providers[(year, pod, hrg)][org][0] += activity
        providers[(year, pod, hrg)][org][1] += units
        providers[(year, pod, hrg)][org][2] += cost
    summary = query_store(
        config,
        "SELECT fin_year, pod, hrg, ics_mean_cost, ics_median_cost, best_in_system_cost, best_in_system_org "
        "FROM results.opportunity_summary WHERE hrg <> '(all)' AND cost_driver = '(all)'",
    )
    checked_best = 0
    for year, pod, hrg, ics_mean, median, best, best_org in summary:
        group = providers[(year, pod, hrg)]
        means = sorted((float(c) / u, org) for org, (_, u, c) in group.items())
        total_units = sum(u for _, u, _ in group.values())
        assert ics_mean == pytest.approx(float(sum(c for _, _, c in group.values())) / total_units, rel=1e-12)
        middle = len(means) // 2
        want_median = means[middle][0] if len(means) % 2 else (means[middle - 1][0] + means[middle][0]) / 2
        assert median == pytest.approx(want_median, rel=1e-12)
        eligible = [(m, org) for m, org in means if group[org][0] > minimum]
        if eligible:
            checked_best += 1
            assert (best, best_org) == (pytest.approx(eligible[0][0], rel=1e-12), eligible[0][1])
        else:
            assert best is None and best_org is None
    assert checked_best > 0


def test_los_summary_adds_up_the_cells(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    cells = query_store(
        config,
        "SELECT fin_year, org_code, pod, hrg, spells, bed_days, in_headline * excess_bed_days_vs_ics, "
        "in_headline * excess_bed_days_vs_best, in_headline * excess_cost_vs_ics, in_headline * excess_cost_vs_best "
        "FROM results.los_benchmark",
    )
    expected = _sums(cells, lambda r: [(r[0], r[1], ALL, ALL), (r[0], r[1], r[2], ALL), (r[0], r[1], r[2], r[3])], 6)
    summary = query_store(
        config,
        "SELECT fin_year, org_code, pod, hrg, spells, bed_days, excess_bed_days_vs_ics, excess_bed_days_vs_best, "
        "excess_cost_vs_ics, excess_cost_vs_best FROM results.los_summary",
    )
    assert len(summary) == len(expected)
    for row in summary:
        want = expected[row[:4]]
        assert row[4:6] == tuple(want[:2])
        for got, sum_of_cells in zip(row[6:], want[2:], strict=True):
            assert _close(got, sum_of_cells)

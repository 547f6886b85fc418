"""The worksheet functions give the published figures, say why when they cannot, and never raise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addin import functions
from addin.registry import WORKSHEET_FUNCTIONS
from addin.results import ResultsCache
from engine.metrics import catalog
from tests.addin.conftest import FixedConfig
from tests.conftest import query_store

F = functions


def _published(config: Any, sql: str) -> list[tuple[Any, ...]]:
    return query_store(config, sql)


def test_opportunity_at_every_level_is_the_published_figure(ics_functions: Any) -> None:
    config, _ = ics_functions
    rows = _published(
        config,
        "SELECT org_code, pod, hrg, fin_year, opportunity_vs_ics, opportunity_vs_best "
        "FROM published.opportunity_summary WHERE cost_driver = '(all)' AND opportunity_vs_ics IS NOT NULL "
        "ORDER BY opportunity_vs_ics DESC LIMIT 40",
    )
    assert rows
    for org, pod, hrg, year, vs_ics, vs_best in rows:
        pod_arg = None if pod == "(all)" else pod
        hrg_arg = None if hrg == "(all)" else hrg.lower()
        assert F.ICS_OPPORTUNITY(org, pod_arg, hrg_arg) == pytest.approx(vs_ics)
        assert F.ICS_OPPORTUNITY(org, pod_arg, hrg_arg, "ICS mean", None, None, year) == pytest.approx(vs_ics)
        if vs_best is not None:
            assert F.ICS_OPPORTUNITY(org, pod_arg, hrg_arg, "best in system") == pytest.approx(vs_best)


def test_a_tfc_sent_as_a_float_finds_the_seed_grain_cell(ics_functions: Any) -> None:
    config, _ = ics_functions
    org, pod, tfc, hrg, activity, mean, vs_median, ics_mean = _published(
        config,
        "SELECT org_code, pod, tfc, hrg, activity, mean_cost, opportunity_vs_median, ics_mean_cost "
        "FROM published.unit_cost_benchmark WHERE activity IS NOT NULL AND tfc <> '' "
        "ORDER BY opportunity_vs_median DESC LIMIT 1",
    )[0]
    assert F.ICS_ACTIVITY(org, pod, hrg, float(tfc)) == activity
    assert F.ICS_MEAN_COST(org, pod, hrg, float(tfc)) == pytest.approx(mean)
    assert F.ICS_OPPORTUNITY(org, pod, hrg, "median", None, float(tfc)) == pytest.approx(vs_median)
    assert F.ICS_BENCHMARK_COST(pod, hrg, None, float(tfc)) == pytest.approx(ics_mean)


def test_suppressed_no_activity_and_zero_are_three_different_answers(ics_functions: Any) -> None:
    config, _ = ics_functions
    hidden = _published(
        config,
        "SELECT org_code, pod, hrg FROM published.opportunity_summary "
        "WHERE activity IS NULL AND hrg <> '(all)' AND cost_driver = '(all)' LIMIT 1",
    )[0]
    assert (
        F.ICS_OPPORTUNITY(*hidden) == "suppressed: fewer than 8 cases, or hidden so no patient's cost can be worked out"
    )
    assert F.ICS_ACTIVITY(*hidden) == "suppressed: fewer than 8 cases, or hidden so no patient's cost can be worked out"
    zero = _published(
        config,
        "SELECT org_code, pod, hrg FROM published.opportunity_summary "
        "WHERE opportunity_vs_ics = 0 AND hrg <> '(all)' AND cost_driver = '(all)' LIMIT 1",
    )[0]
    assert F.ICS_OPPORTUNITY(*zero) == 0.0
    present = {
        (o, p, h)
        for o, p, h in _published(
            config, "SELECT org_code, pod, hrg FROM published.opportunity_summary WHERE hrg <> '(all)'"
        )
    }
    org, pod, hrg = next(
        (o, p, h) for (_, p, h) in present for o in ("ZZA", "ZZB", "ZZC", "ZZE") if (o, p, h) not in present
    )
    answer = F.ICS_OPPORTUNITY(org, pod, hrg)
    assert answer == f"no activity: {org} {pod} {hrg} has no records in 2023/24"


def test_wrong_codes_name_the_valid_choices(ics_functions: Any) -> None:
    config, _ = ics_functions
    providers = ", ".join(p.code for p in sorted(config.providers, key=lambda p: p.code))
    assert F.ICS_OPPORTUNITY("ZZX", "NEL") == f"provider 'ZZX' is not in the results; choose one of: {providers}"
    assert F.ICS_OPPORTUNITY("ZZA", "NELX").startswith("POD 'NELX' is not in the results; choose one of: ")
    assert "NEL" in F.ICS_OPPORTUNITY("ZZA", "NELX")
    assert F.ICS_OPPORTUNITY("ZZA", "NEL", "ZZ99Z").startswith("HRG 'ZZ99Z' is not in the results")
    assert F.ICS_OPPORTUNITY("ZZA", "NEL", None, "cheapest").startswith("benchmark 'cheapest' is not one of")
    assert F.ICS_TABLE("patients").startswith("ICS results unavailable: 'patients' is not a published result table")


def test_a_provider_can_be_named(ics_functions: Any) -> None:
    config, _ = ics_functions
    provider = config.providers[0]
    assert F.ICS_ACTIVITY(provider.name.upper()) == F.ICS_ACTIVITY(provider.code)


def test_length_of_stay_and_cost_per_wau(ics_functions: Any) -> None:
    config, _ = ics_functions
    org, pod, mean_los, excess_cost, excess_days = _published(
        config,
        "SELECT org_code, pod, mean_los, excess_cost_vs_ics, excess_bed_days_vs_best FROM published.los_summary "
        "WHERE hrg = '(all)' AND pod <> '(all)' AND spells IS NOT NULL ORDER BY excess_cost_vs_ics DESC LIMIT 1",
    )[0]
    assert F.ICS_LOS(org, pod) == pytest.approx(mean_los)
    assert F.ICS_LOS_OPPORTUNITY(org, pod) == pytest.approx(excess_cost)
    if excess_days is not None:
        assert F.ICS_LOS_OPPORTUNITY(org, pod, None, "best", "bed days") == pytest.approx(excess_days)
    setting, wau_org, cost_per_wau = _published(
        config,
        "SELECT setting, org_code, cost_per_wau FROM published.cost_per_wau WHERE cost_per_wau IS NOT NULL LIMIT 1",
    )[0]
    assert F.ICS_COST_PER_WAU(wau_org, setting) == pytest.approx(cost_per_wau)
    (trust,) = _published(
        config,
        f"SELECT cost_per_wau FROM published.cost_per_wau WHERE setting = '(all)' AND org_code = '{wau_org}'",
    )[0]
    assert F.ICS_COST_PER_WAU(wau_org) == pytest.approx(trust) == F.ICS_COST_PER_WAU(wau_org, "(all)")


def test_spilled_tables(ics_functions: Any) -> None:
    config, _ = ics_functions
    org = "ZZB"
    top = F.ICS_TOP_OPPORTUNITIES(org, 5.0)
    assert top[0][0] == "POD" and 1 < len(top) <= 6
    opportunities = [row[-1] for row in top[1:]]
    assert opportunities == sorted(opportunities, reverse=True) and all(o > 0 for o in opportunities)
    best = _published(
        config,
        f"SELECT max(opportunity_vs_ics) FROM published.unit_cost_benchmark WHERE org_code = '{org}'",
    )[0][0]
    assert top[1][-1] == pytest.approx(best)
    pod, hrg = top[1][0], top[1][2]
    drivers = F.ICS_DRIVERS(org, pod, hrg)
    assert drivers[0][:2] == ["Cost driver", "Name"] and len(drivers) > 2
    table = F.ICS_TABLE("los_summary", "org_code", "zza", [["pod", "NEL"]])
    assert table[0] == [c.name for c in catalog.metric("los_summary").columns]
    assert {row[1] for row in table[1:]} == {"ZZA"} and {row[2] for row in table[1:]} == {"NEL"}


def test_refreshed_says_when_and_from_what(ics_functions: Any) -> None:
    config, _ = ics_functions
    refresh_id, files = _published(
        config,
        "SELECT (SELECT max(refresh_id) FROM refresh_log WHERE status = 'succeeded'), "
        "(SELECT count(DISTINCT file_name) FROM loads WHERE status <> 'failed')",
    )[0]
    text = F.ICS_REFRESHED()
    assert text.startswith(f"Refresh {refresh_id} at ")
    assert f"from {files} extract files" in text and "reconciled" in text


def test_text_that_excel_would_run_as_a_formula_is_made_inert(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    planted = pa.table(
        {name: pa.array([None], pa.string()) for name in (c.name for c in catalog.metric("data_quality").columns)}
    )
    planted = planted.set_column(1, "provider_name", pa.array(['=HYPERLINK("http://x","click")'])).set_column(
        0, "org_code", pa.array(["ZZA"])
    )
    cache = ResultsCache(FixedConfig(config), load_table=lambda _c, _n: (1, planted), stamp=lambda _c: ((1, 1),))
    previous = functions.use_cache(cache)
    try:
        table = F.ICS_TABLE("data_quality", "org_code", "ZZA")
    finally:
        functions.use_cache(previous)
    assert table[1][1] == '\'=HYPERLINK("http://x","click")'
    assert F.inert("-1") == "'-1" and F.inert("@SUM") == "'@SUM" and F.inert("+x") == "'+x" and F.inert(-1.0) == -1.0


cell_values = (
    st.none()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["ZZA", "NEL", "HT12A", "", "ICS mean", "2023/24", "110", "=1+1", "theatre"])
    | st.sampled_from(["ICS", "hip_fracture", "readmissions", "5%", "top 1%", "places", "Preston", "all", "pathways"])
    | st.lists(st.none() | st.sampled_from(["ZZA", "NEL"]), max_size=3)
)


# No deadline: an example's first call of a function reads its tables from the store, which takes as long as the
# machine's load makes it.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(WORKSHEET_FUNCTIONS)), st.lists(cell_values, max_size=7))
def test_no_arguments_make_a_function_raise(ics_functions: Any, name: str, values: list[object]) -> None:
    entry = WORKSHEET_FUNCTIONS[name]
    fixed = [p for p in entry.parameters if not p.repeating]
    args = values[: len(fixed)] if not any(p.repeating for p in entry.parameters) else values
    args += [None] * max(0, sum(not p.optional for p in fixed) - len(args))
    answer = entry.function(*args)
    assert isinstance(answer, float | int | str | list)
    if isinstance(answer, str):
        assert not answer.startswith(("=", "+", "-", "@")) and "Traceback" not in answer


def test_every_worksheet_function_is_documented() -> None:
    text = (Path(__file__).parents[2] / "docs" / "excel.md").read_text(encoding="utf-8")
    for entry in WORKSHEET_FUNCTIONS.values():
        args = ", ".join(f"[{p.name}]" if p.optional else p.name for p in entry.parameters)
        assert f"`{entry.name}({args})`" in text, entry.name

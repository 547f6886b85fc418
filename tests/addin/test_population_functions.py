"""ICS_PATHWAY_COST, ICS_HIGH_USE_SHARE and ICS_POPULATION give the published figures, or say why they cannot."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import openpyxl
import pyarrow as pa
import pytest

from addin import functions
from addin.formulas_adapter import compute
from addin.results import ResultsCache
from engine.config import IcsConfig
from engine.publish import published_results
from tests.addin.conftest import FixedConfig
from tests.conftest import query_store

F = functions
SUPPRESSED = "suppressed: fewer than 8 cases, or hidden so no patient's cost can be worked out"
Rows = list[dict[str, Any]]


def _published(config: IcsConfig, sql: str) -> list[tuple[Any, ...]]:
    return query_store(config, sql)


@pytest.fixture
def planted(ics_functions: Any) -> Iterator[Callable[[str, Callable[[Rows], Rows]], None]]:
    """Point the functions at the published tables with one of them changed (by a function of its rows)."""
    ics_config, previous = ics_functions

    def plant(name: str, change: Callable[[Rows], Rows]) -> None:
        def load(config: IcsConfig, table: str) -> tuple[int, pa.Table]:
            refresh_id, arrow = published_results.published_table(config, table)
            if table == name:
                arrow = pa.Table.from_pylist(change(arrow.to_pylist()), schema=arrow.schema)
            return refresh_id, arrow

        functions.use_cache(ResultsCache(FixedConfig(ics_config), load_table=load))

    yield plant
    functions.use_cache(previous)


# --------------------------------------------------------------------------------------------------- pathway cost


def test_pathway_cost_is_the_published_figure_for_every_measure(ics_functions: Any) -> None:
    config, _ = ics_functions
    rows = _published(
        config,
        "SELECT org_code, provider_name, pathway, pathway_label, step, fin_year, cost_per_pathway, "
        "ics_cost_per_pathway, difference_per_pathway, opportunity_vs_ics, pathways, events_per_pathway "
        "FROM published.pathway_cost WHERE pathways IS NOT NULL AND pathways > 0",
    )
    assert rows, "the fixture ICS has no published pathway figure"
    for org, provider, pathway, label, step, year, cost, ics, difference, opportunity, pathways, events in rows:
        assert F.ICS_PATHWAY_COST(org, pathway, step) == pytest.approx(cost)
        assert F.ICS_PATHWAY_COST(provider.upper(), label.lower(), step.replace("_", " ").title()) == pytest.approx(
            cost
        )
        # the ICS figures and those compared with them are blank where the ICS step is hidden (dominated across
        # the ICS, or the partner of one that is), though the provider's own row is shown
        assert _is_published(F.ICS_PATHWAY_COST(org, pathway, step, "ICS"), ics)
        assert _is_published(F.ICS_PATHWAY_COST(org, pathway, step, "difference"), difference)
        assert _is_published(F.ICS_PATHWAY_COST(org, pathway, step, "Opportunity"), opportunity)
        assert F.ICS_PATHWAY_COST(org, pathway, step, "pathways") == float(pathways)
        assert F.ICS_PATHWAY_COST(org, pathway, step, "events_per_pathway") == pytest.approx(events)
        assert _is_published(F.ICS_PATHWAY_COST("ICS", pathway, step, None, year), ics)
        if step == "whole_pathway":
            assert F.ICS_PATHWAY_COST(org, pathway) == pytest.approx(cost)


def _is_published(answer: object, figure: float | None) -> bool:
    """The function's answer is the published figure, or, where the published figure is blank, says it is suppressed."""
    if figure is None:
        return isinstance(answer, str) and answer.startswith("suppressed")
    return bool(answer == pytest.approx(figure))


@pytest.mark.parametrize("year", [None, "2023/24", "2023-24", "2023", 2023.0, [[2023.0]]])
def test_pathway_cost_takes_every_form_of_year(ics_functions: Any, year: object) -> None:
    config, _ = ics_functions
    org, pathway, cost = _published(
        config,
        "SELECT org_code, pathway, cost_per_pathway FROM published.pathway_cost WHERE fin_year = '2023/24' "
        "AND step = 'whole_pathway' AND cost_per_pathway IS NOT NULL ORDER BY org_code, pathway LIMIT 1",
    )[0]
    assert F.ICS_PATHWAY_COST(org, pathway, None, None, year) == pytest.approx(cost)


def test_wrong_pathway_step_measure_or_provider_names_the_valid_choices(ics_functions: Any) -> None:
    config, _ = ics_functions
    providers = ", ".join(sorted(p.code for p in config.providers))
    assert F.ICS_PATHWAY_COST("ZZA", "knee") == (
        "pathway 'knee' is not in the results; choose one of: hip_fracture, knee_replacement"
    )
    assert F.ICS_PATHWAY_COST("ZZA", "hip_fracture", "rehab") == (
        "step 'rehab' is not in the results; choose one of: index_admission, critical_care, readmissions, "
        "outpatient_follow_up, community_rehabilitation, whole_pathway"
    )
    assert F.ICS_PATHWAY_COST("ZZA", "hip_fracture", None, "mean") == (
        "measure 'mean' is not one of: cost per pathway, ICS, difference, opportunity, pathways, events per pathway"
    )
    assert (
        F.ICS_PATHWAY_COST("ZZX", "hip_fracture") == f"provider 'ZZX' is not in the results; choose one of: {providers}"
    )
    assert F.ICS_PATHWAY_COST("ICS", "hip_fracture", None, "opportunity") == (
        "the opportunity compares a provider with the ICS: give a provider"
    )
    assert F.ICS_PATHWAY_COST("ZZA", "hip_fracture", None, None, "2019") == (
        "year 2019/20 is not in the results; choose one of: 2023/24"
    )


def test_a_suppressed_pathway_figure_says_so(ics_functions: Any) -> None:
    config, _ = ics_functions
    org, pathway, step = _published(
        config, "SELECT org_code, pathway, step FROM published.pathway_cost WHERE pathways IS NULL LIMIT 1"
    )[0]
    assert F.ICS_PATHWAY_COST(org, pathway, step) == SUPPRESSED
    assert F.ICS_PATHWAY_COST(org, pathway, step, "difference") == SUPPRESSED


def test_a_provider_without_index_admissions_has_no_activity(ics_functions: Any) -> None:
    config, _ = ics_functions
    indexed = {
        (org, pathway)
        for org, pathway in _published(config, "SELECT DISTINCT org_code, pathway FROM published.pathway_cost")
    }
    org, pathway = next(
        (p.code, w)
        for w in ("knee_replacement", "hip_fracture")
        for p in config.providers
        if (p.code, w) not in indexed
    )
    label = next(p.label for p in config.pathways if p.name == pathway)
    assert F.ICS_PATHWAY_COST(org, pathway) == f"no activity: {org} has no {label} index admissions in 2023/24"


def test_a_provider_whose_pathways_are_all_incomplete_says_so(ics_functions: Any, planted: Any) -> None:
    config, _ = ics_functions
    org, pathway = _published(
        config, "SELECT org_code, pathway FROM published.pathway_cost WHERE pathways > 0 ORDER BY org_code LIMIT 1"
    )[0]

    def incomplete(rows: Rows) -> Rows:
        for row in rows:
            if (row["org_code"], row["pathway"]) == (org, pathway):
                row.update(pathways=0, cost_per_pathway=None, pathways_incomplete=10)
        return rows

    planted("pathway_cost", incomplete)
    assert F.ICS_PATHWAY_COST(org, pathway).startswith(f"no complete pathways: {org}'s ")
    assert F.ICS_PATHWAY_COST(org, pathway, None, "pathways") == 0.0


# ------------------------------------------------------------------------------------------------ high-use share


@pytest.mark.parametrize("top", [5, 5.0, 0.05, "5", "5%", "5 %", "top 5%", "Top 5%", [[5.0]]])
def test_high_use_share_takes_every_form_of_percentage(ics_functions: Any, top: object) -> None:
    config, _ = ics_functions
    share = _published(config, "SELECT share_of_cost FROM published.high_use_patients WHERE top_percent = 5")[0][0]
    assert 0 < share < 1
    assert F.ICS_HIGH_USE_SHARE(top) == pytest.approx(share)


def test_high_use_shares_are_the_published_fractions(ics_functions: Any) -> None:
    config, _ = ics_functions
    rows = _published(
        config,
        "SELECT top_percent, headline, fin_year, share_of_cost FROM published.high_use_patients "
        "WHERE share_of_cost IS NOT NULL",
    )
    for top, headline, year, share in rows:
        assert F.ICS_HIGH_USE_SHARE(float(top), year) == pytest.approx(share)
        if headline:
            assert F.ICS_HIGH_USE_SHARE(headline, "2023-24") == pytest.approx(share)
    assert F.ICS_HIGH_USE_SHARE(1) == pytest.approx(dict((t, s) for t, _, _, s in rows)[1])
    assert F.ICS_HIGH_USE_SHARE("all") == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("top", "answer"),
    [
        (2.5, "top_percent: give a whole percentage from 1% to 100%, not 2.5%"),
        (0.005, "top_percent: give a whole percentage from 1% to 100%, not 0.5%"),
        (101, "top_percent: give a whole percentage from 1% to 100%, not 101%"),
        (0, "top_percent: give a whole percentage from 1% to 100%, not 0%"),
        ("most", "top_percent: 'most' is not a percentage such as 5%"),
        (None, "give top_percent, e.g. 5 for the top 5%"),
        (True, "top_percent: expected a percentage such as 5%"),
    ],
)
def test_a_wrong_percentage_says_what_is_wanted(ics_functions: Any, top: object, answer: str) -> None:
    assert F.ICS_HIGH_USE_SHARE(top) == answer


def test_a_suppressed_band_says_so(ics_functions: Any, planted: Any) -> None:
    def hide_top_1(rows: Rows) -> Rows:
        figures = ("band_patients", "patients", "share_of_patients", "cohort_cost", "share_of_cost")
        for row in rows:
            if row["top_percent"] == 1:
                row.update(dict.fromkeys(figures))
        return rows

    planted("high_use_patients", hide_top_1)
    assert F.ICS_HIGH_USE_SHARE("top 1%") == SUPPRESSED
    assert isinstance(F.ICS_HIGH_USE_SHARE(5), float)


# ---------------------------------------------------------------------------------------------------- population

HEADER = [
    "Area type",
    "Area",
    "Setting",
    "Population",
    "Patients",
    "Activity",
    "Activity per 100,000",
    "Standardised activity per 100,000",
    "Cost per head",
    "Standardised cost per 100,000",
    "Cost ratio to ICS",
]
COLUMNS = (
    "area_type, area, setting, population, patients, activity, activity_per_100k, standardised_activity_per_100k, "
    "cost_per_head, standardised_cost_per_100k, cost_ratio_to_ics"
)


def _rates(config: IcsConfig, where: str) -> list[list[Any]]:
    rows = _published(config, f"SELECT {COLUMNS} FROM published.population_rates WHERE {where}")
    return [[float(v) if v is not None and not isinstance(v, str) else v for v in row] for row in rows]


def test_places_spill_with_the_ics_last(ics_functions: Any) -> None:
    config, _ = ics_functions
    table = F.ICS_POPULATION()
    assert table == F.ICS_POPULATION("Places", None, "2023")
    assert table[0] == HEADER
    places = sorted(p.name for p in config.population.places)
    assert [row[1] for row in table[1:]] == [*places, config.ics.name]
    assert {row[2] for row in table[1:]} == {"all"}
    expected = _rates(config, "setting = 'all' AND area_type = 'place' ORDER BY area")
    expected += _rates(config, f"setting = 'all' AND area_type = 'ics' AND area = '{config.ics.name}'")
    _close(table[1:], expected)
    assert table[-1][-1] == pytest.approx(1.0)


def _close(got: list[list[Any]], expected: list[list[Any]]) -> None:
    """The spilled rows are the published ones: text equal, blanks blank, numbers to 1e-9."""
    assert len(got) == len(expected)
    for row, want in zip(got, expected, strict=True):
        assert len(row) == len(want)
        for cell, value in zip(row, want, strict=True):
            assert cell == (value if value is None or isinstance(value, str) else pytest.approx(value)), (row, want)


def test_districts_in_a_setting(ics_functions: Any) -> None:
    config, _ = ics_functions
    table = F.ICS_POPULATION("districts", "OP", "2023-24")
    assert table[0] == HEADER
    assert [row[1] for row in table[1:]] == [*sorted(config.population.districts), config.ics.name]
    expected = _rates(config, "setting = 'op' AND area_type = 'district' ORDER BY area")
    expected += _rates(config, f"setting = 'op' AND area_type = 'ics' AND area = '{config.ics.name}'")
    _close(table[1:], expected)


def test_one_area_spills_every_setting_with_all_last(ics_functions: Any) -> None:
    config, _ = ics_functions
    table = F.ICS_POPULATION("preston")
    assert table[0] == HEADER
    assert [row[2] for row in table[1:]] == ["apc", "op", "ec", "cc", "mh", "chs", "all"]
    assert {(row[0], row[1]) for row in table[1:]} == {("district", "Preston")}
    one = F.ICS_POPULATION("Preston", "apc")
    _close(one[1:], _rates(config, "area = 'Preston' AND setting = 'apc'"))
    ics = F.ICS_POPULATION("ICS", "all")
    _close(ics[1:], _rates(config, f"area = '{config.ics.name}' AND setting = 'all'"))


def test_a_name_that_is_a_place_and_a_district_shows_both(ics_functions: Any) -> None:
    table = F.ICS_POPULATION("West Lancashire", "all")
    assert [row[:3] for row in table[1:]] == [
        ["place", "West Lancashire", "all"],
        ["district", "West Lancashire", "all"],
    ]


def test_wrong_area_or_setting_names_the_valid_choices(ics_functions: Any) -> None:
    answer = F.ICS_POPULATION("Lancashire")
    assert answer.startswith("area 'Lancashire' is not in the results; choose places, districts, ICS or one of: ")
    assert "Fylde Coast" in answer and "Preston" in answer
    assert F.ICS_POPULATION(None, "a&e") == (
        "setting 'a&e' is not in the results; choose one of: all, apc, cc, chs, ec, mh, op"
    )
    assert F.ICS_POPULATION(None, None, "2019/20").startswith("year 2019/20 is not in the results")


def test_suppressed_population_figures_are_blank_cells(ics_functions: Any, planted: Any) -> None:
    def hide_preston_cc(rows: Rows) -> Rows:
        hidden = ("patients", "activity", "total_cost", "activity_per_100k", "cost_per_head", "cost_ratio_to_ics")
        for row in rows:
            if (row["area"], row["setting"]) == ("Preston", "cc"):
                row.update(dict.fromkeys(hidden))
        return rows

    planted("population_rates", hide_preston_cc)
    (row,) = F.ICS_POPULATION("Preston", "cc")[1:]
    assert row[:3] == ["district", "Preston", "cc"] and isinstance(row[3], float)
    assert row[4] is None and row[5] is None and row[-1] is None


def test_an_area_without_the_setting_has_no_activity(ics_functions: Any, planted: Any) -> None:
    planted("population_rates", lambda rows: [r for r in rows if (r["area"], r["setting"]) != ("Preston", "mh")])
    assert F.ICS_POPULATION("Preston", "mh") == "no activity: Preston residents have no mh records in 2023/24"
    assert len(F.ICS_POPULATION("Preston")) == 7


def test_formula_looking_text_in_a_spill_is_made_inert(ics_functions: Any, planted: Any) -> None:
    def rename(rows: Rows) -> Rows:
        for row in rows:
            if row["area"] == "Preston":
                row["area"] = '=HYPERLINK("http://x","Preston")'
        return rows

    planted("population_rates", rename)
    table = F.ICS_POPULATION("districts")
    assert '\'=HYPERLINK("http://x","Preston")' in [row[1] for row in table]


def test_a_workbook_computes_the_new_functions_to_the_published_figures(ics_functions: Any, tmp_path: Any) -> None:
    config, _ = ics_functions
    org, pathway, cost = _published(
        config,
        "SELECT org_code, pathway, cost_per_pathway FROM published.pathway_cost WHERE step = 'whole_pathway' "
        "AND cost_per_pathway IS NOT NULL ORDER BY org_code, pathway LIMIT 1",
    )[0]
    share = _published(config, "SELECT share_of_cost FROM published.high_use_patients WHERE top_percent = 5")[0][0]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet"
    sheet["A1"], sheet["B1"] = org, 0.05
    sheet["A2"] = f'=ICS_PATHWAY_COST(A1, "{pathway}")'
    sheet["A3"] = "=ICS_HIGH_USE_SHARE(B1)"
    book.save(tmp_path / "book.xlsx")
    computed = compute(tmp_path / "book.xlsx", ["ICS_PATHWAY_COST", "ICS_HIGH_USE_SHARE"])
    assert computed["'[book.xlsx]SHEET'!A2"] == pytest.approx(cost)
    assert computed["'[book.xlsx]SHEET'!A3"] == pytest.approx(share)


def test_service_line_figures_are_the_published_ones_for_a_provider_or_the_ics(ics_functions: Any) -> None:
    config, _ = ics_functions
    rows = query_store(
        config,
        "SELECT org_code, service_line, period, fin_year, mean_cost, ics_mean_cost, opportunity_vs_best, "
        "mean_los, costing_score FROM published.service_line_benchmark ORDER BY service_line, period, org_code",
    )
    assert rows
    for org, service, period, year, mean, ics_mean, vs_best, los, score in rows:
        if mean is not None:
            assert F.ICS_SERVICE_LINE(org, service.upper(), None, period, year) == pytest.approx(mean)
        if vs_best is not None:
            assert F.ICS_SERVICE_LINE(org, service, "opportunity vs best", period.lower(), year) == pytest.approx(
                vs_best
            )
        if mean is None:
            assert str(F.ICS_SERVICE_LINE(org, service, "mean cost", period, year)).startswith("suppressed")
        if ics_mean is not None:
            assert F.ICS_SERVICE_LINE("ICS", service, "Mean Cost", period, year) == pytest.approx(ics_mean)
        if los is not None:
            assert F.ICS_SERVICE_LINE(org, service, "mean LoS", period, year) == pytest.approx(los)
        if score is not None:
            assert F.ICS_SERVICE_LINE(org, service, "costing_score", period, year) == pytest.approx(score)
    assert F.ICS_SERVICE_LINE("ZZA", "knees").startswith("service line 'knees' is not in the results; choose one")
    assert F.ICS_SERVICE_LINE("ICS", rows[0][1], "opportunity vs ICS") == (
        "the opportunity vs ICS is a provider's figure: give a provider"
    )
    assert F.ICS_SERVICE_LINE("ZZA", rows[0][1], "mean cost", "Q5") == "period 'Q5' is not year or a quarter Q1 to Q4"

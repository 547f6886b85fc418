"""Arguments as Excel sends them become the codes the result tables use, or a sentence saying what is wrong."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from addin import arguments
from addin.arguments import ArgumentError


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (110.0, "110"),
        ("110", "110"),
        (" 110 ", "110"),
        (110, "110"),
        ([110.0], "110"),
        ([[110.0]], "110"),
        (None, None),
        ("", None),
        ([None], None),
    ],
)
def test_a_tfc_arrives_in_any_shape_excel_sends(sent: object, expected: str | None) -> None:
    assert arguments.tfc(sent) == expected


def test_a_range_of_several_values_is_refused() -> None:
    with pytest.raises(ArgumentError, match="give one value, not a range of 2"):
        arguments.text([["NEL"], ["EL"]], "POD")


@pytest.mark.parametrize(
    ("sent", "error"),
    [
        ("#N/A", "#N/A"),  # xlwings sends the older error values as their text (err_to_str)
        ([["#DIV/0!"]], "#DIV/0!"),
        (-2146826246, "#N/A"),  # and, as pywin32 gives them, the HRESULT 0x800A0000 + the CVErr number
        (-2146826243, "#SPILL!"),
        (-2146826238, "#CALC!"),
    ],
)
def test_an_error_value_is_named_not_taken_for_a_blank(sent: object, error: str) -> None:
    with pytest.raises(ArgumentError, match=f"^POD is the error {re.escape(error)}: fix the cell or formula"):
        arguments.code(sent, "POD", {"NEL": "NEL"})


@pytest.mark.parametrize("sent", ["N/A", "#n/a text", 2042, -1, True, 110.0, None])
def test_only_excel_error_values_count_as_errors(sent: object) -> None:
    assert arguments.excel_error(sent) is None


def test_a_fraction_is_not_a_code() -> None:
    with pytest.raises(ArgumentError, match=r"110\.5 is not a code"):
        arguments.tfc(110.5)


def test_codes_match_whatever_the_case_and_a_wrong_one_lists_the_choices() -> None:
    choices = {"NEL": "NEL", "EL": "EL"}
    assert arguments.code("nel", "POD", choices) == "NEL"
    assert arguments.code("Leeds Teaching", "provider", {"ZZA": "ZZA"}, names={"LEEDS TEACHING": "ZZA"}) == "ZZA"
    with pytest.raises(ArgumentError, match=r"POD 'XYZ' is not in the results; choose one of: EL, NEL"):
        arguments.code("XYZ", "POD", choices)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (None, "ics mean"),
        ("ICS mean", "ics mean"),
        ("median", "ics median"),
        ("Best in system", "best in system"),
        ("BIS", "best in system"),
        ("best_in_system", "best in system"),
        ("National average", "national"),
    ],
)
def test_benchmark_names(sent: object, expected: str) -> None:
    assert arguments.benchmark(sent) == expected


def test_a_benchmark_not_offered_names_the_ones_that_are() -> None:
    with pytest.raises(ArgumentError, match="not one of: ICS mean, best in system"):
        arguments.benchmark("national", allowed=("ics mean", "best in system"))


@pytest.mark.parametrize("sent", [None, "2023/24", "2023-24", 2023.0, "2023", [2023.0], "2023/2024"])
def test_financial_years(sent: object) -> None:
    assert arguments.fin_year(sent, ["2022/23", "2023/24"]) == "2023/24"


def test_a_year_not_held_lists_the_years_that_are() -> None:
    with pytest.raises(ArgumentError, match="2019/20 is not in the results; choose one of: 2022/23, 2023/24"):
        arguments.fin_year(2019.0, ["2022/23", "2023/24"])


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (5.0, 5),
        (5, 5),
        (0.05, 5),
        ("5", 5),
        ("0.05", 5),
        ("5%", 5),
        (" Top 5 % ", 5),
        ("top 20%", 20),
        ([[1.0]], 1),
        (1.0, 1),
        (100.0, 100),
        ("all patients", 100),
        ("All", 100),
    ],
)
def test_percentages_in_any_form(sent: object, expected: int) -> None:
    assert arguments.percent(sent, "top_percent") == expected


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        (None, "give top_percent"),
        (2.5, "whole percentage from 1% to 100%, not 2.5%"),
        ("0.5%", "whole percentage from 1% to 100%, not 0.5%"),
        (150.0, "not 150%"),
        (-5.0, "not -5%"),
        ("lots", "'lots' is not a percentage"),
        (False, "expected a percentage"),
    ],
)
def test_a_percentage_that_is_not_a_whole_one_from_1_to_100_is_refused(sent: object, message: str) -> None:
    with pytest.raises(ArgumentError, match=re.escape(message)):
        arguments.percent(sent, "top_percent")


def test_names_match_whatever_their_case_spaces_and_underscores() -> None:
    choices = {arguments.name_key(n): n for n in ("hip_fracture", "Hip fracture (non-elective)")}
    assert arguments.named("HIP FRACTURE", "pathway", choices, shown=["hip_fracture"]) == "hip_fracture"
    assert arguments.named("hip fracture non-elective", "pathway", choices, shown=[]) == "Hip fracture (non-elective)"
    assert arguments.named(None, "pathway", choices, shown=[]) is None
    with pytest.raises(ArgumentError, match="pathway 'knee' is not in the results; choose one of: hip_fracture"):
        arguments.named("knee", "pathway", choices, shown=["hip_fracture"])


def test_filters_come_in_pairs_from_arguments_or_a_two_column_range() -> None:
    assert arguments.filters(["org_code", "ZZA", [["pod", "NEL"]], None]) == [("org_code", "ZZA"), ("pod", "NEL")]
    with pytest.raises(ArgumentError, match="pairs"):
        arguments.filters(["org_code"])


excel_values = st.recursive(
    st.none() | st.floats(allow_nan=False) | st.text(max_size=12) | st.booleans() | st.integers(),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=6,
)


@given(excel_values)
def test_any_excel_value_gives_a_code_or_an_argument_error(value: object) -> None:
    try:
        result = arguments.text(value, "code")
    except ArgumentError as exc:
        assert str(exc)
    else:
        assert result is None or (isinstance(result, str) and result == result.strip() and result)

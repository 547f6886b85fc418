"""Every worksheet function, called the way Excel on Windows calls it: through the pinned xlwings' own code.

The add-in's VBA wrapper hands its arguments to `XLPy.CallUDF`, which is `xlwings.com_server.XLPython.CallUDF` in
the UDF server: it unwraps each COM argument, then `xlwings.udfs.call_udf` imports `addin.udfs` (whose functions the
real `xw.func`/`xw.arg` decorated), converts every argument with `xlwings.conversion.read` by the converter its type
hint names, calls the function, and converts the answer with `conversion.write`. tests/addin/windows_xlwings.py loads
that code from the installed package and stands in only for pywin32 and the Windows DLLs; the arguments are what
VBA passes: literals, ranges of a fake Excel (tests/addin/fake_excel.py), the missing-argument marker, dates as
pywintypes times, error values as their HRESULTs.

For each function, a call with good arguments, then every argument in turn replaced by each kind of value a user can
give it, must come back as a proper cell value, and as what the function gives when called directly with what the
docstring of `addin.arguments` says Excel sends (so the other tests, which call the functions directly, test what
Excel gets).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from addin import arguments, functions
from addin.registry import WORKSHEET_FUNCTIONS
from engine.config import IcsConfig
from tests.addin import fake_excel
from tests.addin.windows_xlwings import VARIANT_MISSING, WindowsXlwings, windows_xlwings
from tests.conftest import query_store

UDF_MODULE = "addin.udfs"
DAY = dt.date(2024, 3, 31)


@pytest.fixture(scope="module")
def windows() -> Iterator[WindowsXlwings]:
    with windows_xlwings() as loaded:
        yield loaded


@dataclass
class Sheet:
    """A user's workbook in a fake Excel, and the add-in, as the VBA wrappers see them."""

    excel: fake_excel.Excel
    sheet: fake_excel.Worksheet
    addin: fake_excel.Workbook
    next_row: int = 1

    def cell(self, value: Any) -> fake_excel.Range:
        """A one-cell range holding `value` (None: a blank cell)."""
        return self.block([[value]])

    def block(self, values: list[list[Any]]) -> fake_excel.Range:
        top = self.next_row
        for r, row in enumerate(values):
            for c, value in enumerate(row):
                if value is not None:
                    self.sheet.cells[(top + r, 1 + c)] = value
        self.next_row += len(values) + 1
        return self.sheet.Range(f"A{top}:{fake_excel.column_letters(len(values[0]))}{top + len(values) - 1}")


@pytest.fixture
def book() -> Sheet:
    excel = fake_excel.Excel()
    workbook = excel.open_book(r"C:\Users\finance\Documents\Budget 2024-25.xlsx")
    addin = fake_excel.Workbook(excel, r"C:\Users\finance\AppData\Roaming\Microsoft\Excel\XLSTART\ICS.xlam", ())
    return Sheet(excel, workbook.Worksheets(1), addin)


def call_from_excel(windows: WindowsXlwings, book: Sheet, name: str, *args: Any) -> Any:
    """What the VBA wrapper of `name` gets back from XLPy.CallUDF for these arguments (VBA's Array(...) of them)."""
    caller = book.sheet.Range("H1")
    return windows.com_server.XLPython().CallUDF(  # type: ignore[attr-defined]
        UDF_MODULE,
        name,
        tuple(fake_excel.argument(a) for a in args),
        fake_excel.argument(book.addin),
        fake_excel.argument(caller),
    )


# ------------------------------------------------------------------------------- what Excel sends, kind by kind


@dataclass(frozen=True)
class Given:
    """One value as the user gives it in a formula, what VBA hands XLPy.CallUDF, and what the function receives."""

    kind: str
    vba: Any
    received: Any


def kinds_of_value(good: Any, book: Sheet, *, optional: bool) -> list[Given]:
    """Each kind of value a user can put in an argument whose good value is `good` (text or a number)."""
    number = float(good) if isinstance(good, float | int) or str(good).isdigit() else 5.0
    text = good if isinstance(good, str) else f"{good:g}"
    block = [[good, "x"], [1.0, None]]
    given = [
        Given("text", text, text),
        Given("number", number, number),
        Given("cell", book.cell(good), good),
        Given("blank cell", book.cell(None), None),
        Given("2-D range", book.block(block), block),
        Given("column range", book.block([[good], ["x"], [2.0]]), [good, "x", 2.0]),
        Given("date", fake_excel.excel_date(DAY), dt.datetime(DAY.year, DAY.month, DAY.day)),
        Given("error value", fake_excel.error_value(2042), "#N/A"),
        Given("cell with an error", book.cell(fake_excel.error_value(2007)), "#DIV/0!"),
        Given("newer error value", fake_excel.error_value(2045), fake_excel.error_value(2045)),
        Given("TRUE", True, True),
    ]
    if optional:
        given.append(Given("missing", VARIANT_MISSING, None))
    return given


def as_excel_shows(answer: Any) -> Any:
    """A function's answer as XLPython.CallUDF hands it back to VBA: a blank as "", one row as a flat list."""
    if not isinstance(answer, list):
        return answer
    rows = [["" if v is None else v for v in row] for row in answer]
    if len(rows) == 1 and len(rows[0]) == 1:
        return rows[0][0]
    return rows[0] if len(rows) == 1 else rows


def proper_cell_value(value: Any) -> bool:
    """What a cell can show: a finite float, or text; a table of them, rectangular (a blank is "")."""
    if isinstance(value, list):
        rows = value if value and isinstance(value[0], list) else [value]
        return len({len(r) for r in rows}) == 1 and all(_proper_scalar(v) for r in rows for v in r)
    return _proper_scalar(value) and value != ""


def _proper_scalar(value: Any) -> bool:
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is str:
        return "failed unexpectedly" not in value and not value.startswith(("=", "+", "@"))
    return False


# -------------------------------------------------------------------------------- good arguments, per function


def good_calls(config: IcsConfig) -> dict[str, tuple[Any, ...]]:
    """A call of every worksheet function that gives a figure (or a table) in the session's synthetic ICS."""
    org, pod, tfc, hrg, year, driver = query_store(
        config,
        "SELECT u.org_code, u.pod, u.tfc, u.hrg, u.fin_year, min(d.cost_driver) "
        "FROM published.unit_cost_benchmark u JOIN published.cost_driver_benchmark d "
        "USING (org_code, pod, tfc, hrg, fin_year) "
        "WHERE u.opportunity_vs_ics > 0 AND u.activity IS NOT NULL AND u.ics_median_cost IS NOT NULL "
        "AND d.opportunity_vs_ics IS NOT NULL AND regexp_matches(u.tfc, '^[0-9]+$') "
        "GROUP BY ALL ORDER BY max(u.opportunity_vs_ics) DESC LIMIT 1",
    )[0]
    los_org, los_pod = query_store(
        config,
        "SELECT org_code, pod FROM published.los_summary WHERE hrg = '(all)' AND pod <> '(all)' "
        "AND excess_cost_vs_ics IS NOT NULL ORDER BY org_code, pod LIMIT 1",
    )[0]
    wau_org, wau_setting = query_store(
        config,
        "SELECT org_code, setting FROM published.cost_per_wau WHERE cost_per_wau IS NOT NULL "
        "ORDER BY org_code, setting LIMIT 1",
    )[0]
    path_org, pathway, step = query_store(
        config,
        "SELECT org_code, pathway, step FROM published.pathway_cost WHERE cost_per_pathway IS NOT NULL "
        "ORDER BY org_code, pathway, step LIMIT 1",
    )[0]
    (top,) = query_store(
        config, "SELECT min(top_percent) FROM published.high_use_patients WHERE share_of_cost IS NOT NULL"
    )[0]
    service_org, service = query_store(
        config,
        "SELECT org_code, service_line FROM published.service_line_benchmark WHERE mean_cost IS NOT NULL "
        "AND period = 'year' ORDER BY service_line, org_code LIMIT 1",
    )[0]
    return {
        "ICS_OPPORTUNITY": (org, pod, hrg, "ICS mean", driver, tfc, year),
        "ICS_MEAN_COST": (org, pod, hrg, tfc, year),
        "ICS_ACTIVITY": (org, pod, hrg, tfc, year),
        "ICS_BENCHMARK_COST": (pod, hrg, "ICS median", tfc, year),
        "ICS_LOS": (los_org, los_pod, None, None, year),
        "ICS_LOS_OPPORTUNITY": (los_org, los_pod, None, "ICS mean", "bed days", None, year),
        "ICS_COST_PER_WAU": (wau_org, wau_setting, year),
        "ICS_TOP_OPPORTUNITIES": (org, 5.0, "ICS mean", year),
        "ICS_DRIVERS": (org, pod, hrg, tfc, year),
        "ICS_TABLE": ("opportunity_summary", "org_code", org, "pod", pod, "hrg", hrg),
        "ICS_PATHWAY_COST": (path_org, pathway, step, "cost per pathway", year),
        "ICS_HIGH_USE_SHARE": (float(top), year),
        "ICS_SERVICE_LINE": (service_org, service, "mean cost", "year", year),
        "ICS_POPULATION": ("places", "all", year),
        "ICS_REFRESHED": (),
    }


def test_every_registered_function_has_a_good_call(ics_functions: Any) -> None:
    config, _ = ics_functions
    assert set(good_calls(config)) == set(WORKSHEET_FUNCTIONS)


@pytest.mark.parametrize("name", sorted(WORKSHEET_FUNCTIONS))
def test_excel_on_windows_gets_a_proper_value_for_every_kind_of_argument(
    name: str, windows: WindowsXlwings, book: Sheet, ics_functions: Any
) -> None:
    config, _ = ics_functions
    function = getattr(functions, name)
    entry = WORKSHEET_FUNCTIONS[name]
    good = good_calls(config)[name]

    def check(vba_args: tuple[Any, ...], received: tuple[Any, ...], what: str) -> Any:
        got = call_from_excel(windows, book, name, *vba_args)
        assert proper_cell_value(got), (what, got)
        assert got == as_excel_shows(function(*received)), what
        return got

    as_vba = tuple(VARIANT_MISSING if v is None else v for v in good)
    answer = check(as_vba, good, "the good call")
    assert isinstance(answer, float | list) or name == "ICS_REFRESHED", answer
    if name == "ICS_REFRESHED":
        assert answer.startswith("Refresh ")

    calls = 1
    for position, value in enumerate(good):
        parameter = entry.parameters[min(position, len(entry.parameters) - 1)]
        for given in kinds_of_value(value if value is not None else "x", book, optional=parameter.optional):
            vba_args = (*as_vba[:position], given.vba, *as_vba[position + 1 :])
            received = (*good[:position], given.received, *good[position + 1 :])
            got = check(vba_args, received, f"{parameter.name} given as {given.kind}")
            calls += 1
            error = arguments.excel_error(given.received)
            if error is not None:
                assert isinstance(got, str) and f"is the error {error}:" in got, (parameter.name, given.kind, got)
    assert calls >= 1 + 11 * len(good)


def test_a_spilled_table_reaches_excel_as_floats_and_text_with_suppressed_figures_blank(
    windows: WindowsXlwings, book: Sheet, ics_functions: Any
) -> None:
    config, _ = ics_functions
    org, pod, hrg = query_store(
        config,
        "SELECT org_code, pod, hrg FROM published.opportunity_summary WHERE activity IS NULL AND hrg <> '(all)' "
        "AND cost_driver = '(all)' LIMIT 1",
    )[0]
    got = call_from_excel(windows, book, "ICS_TABLE", "opportunity_summary", "org_code", org, "pod", pod, "hrg", hrg)
    header, *rows = got
    row = next(r for r in rows if r[header.index("cost_driver")] == "(all)")
    assert row[header.index("activity")] == ""  # suppressed: a blank text cell, never 0 and never a Currency
    money = query_store(
        config,
        f"SELECT cost FROM published.opportunity_summary WHERE org_code = '{org}' AND pod = '{pod}' "
        f"AND hrg = '{hrg}' AND cost_driver = '(all)'",
    )[0][0]
    assert money is None or row[header.index("cost")] == float(money)
    kinds = {type(v) for r in rows for v in r}
    assert kinds <= {float, str}, kinds


def test_a_function_with_an_object_hint_could_not_be_registered() -> None:
    from addin.registry import worksheet_function

    with pytest.raises(ValueError, match=r"argument provider is hinted <class 'object'>; hint it typing\.Any"):

        @worksheet_function("x", provider="p")
        def ICS_X(provider: object) -> float:  # noqa: N802
            return 0.0

    with pytest.raises(ValueError, match="answers float, str or list"):

        @worksheet_function("x", provider="p")
        def ICS_Y(provider: Any) -> object:  # noqa: N802
            return 0.0


def xlwings_options(windows: WindowsXlwings) -> Callable[[str], dict[str, Any]]:
    import addin.udfs

    def options(name: str) -> dict[str, Any]:
        info = getattr(addin.udfs, name).__xlfunc__
        return {a["name"]: a["options"] for a in info["args"]} | {"return": info["ret"]["options"]}

    return options


def test_xlwings_reads_every_argument_as_the_value_excel_sent_with_errors_as_text(windows: WindowsXlwings) -> None:
    options = xlwings_options(windows)
    for name, entry in WORKSHEET_FUNCTIONS.items():
        got = options(name)
        for parameter in entry.parameters:
            assert got[parameter.name] == {"convert": Any, "err_to_str": True}, (name, parameter.name)
        assert got["return"]["convert"] in (float, str, list), name

"""Every ribbon button, pressed the way Excel on Windows presses it: VBA callback, RunPython, the Python dispatcher.

A button's `onAction` is `ICSRibbon.OnRibbonAction`, which hands `RunPython` a Python command naming the button.
xlwings' RunPython (VBA, with the installer's settings: no UDF server) runs
`python -B -c "import xlwings.utils;xlwings.utils.prepare_sys_path(\\"...\\"); <command>" --wb="<book>" --from_xl=1
--app="..." --hwnd="<Excel's window>"` and waits; in that process `xw.Book.caller()` finds the workbook by asking
Windows for the Excel window of that handle. `run_python` does the same in this process: the command is read out of
ICSRibbon.bas, the arguments are built as xlwings' `ExecuteWindows` builds them, and xlwings' own Windows code
(tests/addin/windows_xlwings.py; `sys.platform` reads "win32" inside xlwings.main only) reaches a fake Excel
(tests/addin/fake_excel.py) that records every call: what a button did to Excel is read from that record.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import xlwings

from addin import functions, ribbon
from addin.config_source import CONFIG_ENV, ConfigSource
from addin.results import ResultsCache
from addin.vba import VBA_DIR
from addin.xlam import ribbon_checks
from engine import jobs
from engine.config import PSEUDONYM_KEY_ENV, IcsConfig
from engine.config import load as load_config
from engine.publish import published_results, store_snapshot
from engine.publish.powerbi import render
from tests.addin import fake_excel
from tests.addin.windows_xlwings import WindowsXlwings, windows_xlwings
from tests.conftest import query_store

RUN_PYTHON = re.compile(r'RunPython "(?P<before>[^"]*)" & control\.Id & "(?P<after>[^"]*)"')
CHANGES_TO_BOOKS = ("Workbooks.Open", "Workbooks.Add", "Close", "Save", "SaveAs")


def python_command(button_id: str) -> str:
    """The command ICSRibbon.OnRibbonAction hands RunPython when `button_id` is pressed."""
    match = RUN_PYTHON.search((VBA_DIR / "ICSRibbon.bas").read_text(encoding="utf-8"))
    assert match is not None, "ICSRibbon.bas no longer calls RunPython with the button id"
    return match["before"] + button_id + match["after"]


@pytest.fixture(scope="module")
def windows() -> Iterator[WindowsXlwings]:
    with windows_xlwings() as loaded:
        yield loaded


class _WindowsSys(types.ModuleType):
    """`sys` as xlwings.main sees it on Windows: the real one, but for `platform`."""

    platform = "win32"

    def __getattr__(self, name: str) -> Any:
        return getattr(sys, name)


def run_python(windows: WindowsXlwings, excel: fake_excel.Excel, addin: fake_excel.Workbook, command: str) -> None:
    """Do what xlwings' RunPython does for `command` when the button is pressed in Excel's active workbook."""
    active = excel.ActiveWorkbook
    assert active is not None
    # PYTHONPATH: ADD_WORKBOOK_TO_PYTHONPATH (False, from the installer), the active and the add-in's full names,
    # the OneDrive and SharePoint settings and PYTHONPATH (none); ExecuteWindows doubles its backslashes.
    pythonpath = ";".join(["False", active.FullName, addin.FullName, "", "", "", ""]).replace("\\", "\\\\")
    code = f'import xlwings.utils;xlwings.utils.prepare_sys_path("{pythonpath}"); {command}'
    argv = ["-c", f"--wb={active.Name}", "--from_xl=1", rf"--app={excel.Path}\{excel.Name}", f"--hwnd={excel.Hwnd}"]
    windows.desktop.add(excel)
    saved_argv, saved_path, saved_sys = sys.argv, list(sys.path), xlwings.main.sys  # type: ignore[attr-defined]
    try:
        sys.argv = argv
        xlwings.main.sys = _WindowsSys("sys")  # type: ignore[attr-defined]
        exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        xlwings.main.sys = saved_sys  # type: ignore[attr-defined]
        windows.desktop.excels.clear()


@dataclass
class Pressed:
    """A fake Excel with the user's workbook active, the add-in loaded, and an ICS config on disk for it to use."""

    windows: WindowsXlwings
    excel: fake_excel.Excel
    book: fake_excel.Workbook
    addin: fake_excel.Workbook
    config: IcsConfig

    def press(self, button_id: str) -> None:
        run_python(self.windows, self.excel, self.addin, python_command(button_id))

    @property
    def messages(self) -> list[str]:
        return [text for _, text, _, _ in self.windows.desktop.message_boxes]

    def calls(self, name: str) -> list[tuple[Any, ...]]:
        return [call for call in self.excel.calls if call[0] == name]

    def books_untouched(self) -> bool:
        return not [call for call in self.excel.calls if call[0] in CHANGES_TO_BOOKS]


@pytest.fixture
def pressed(
    windows: WindowsXlwings, refreshed_ics: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Pressed]:
    result, original = refreshed_ics
    for path in [original.store_path, *result.config_path.parent.glob("*.csv")]:  # the store, GP list sizes, ...
        shutil.copy(path, tmp_path / path.name)
    # What the refresh left for readers: the published refresh, and the store's snapshot beside it.
    shutil.copytree(original.published_folder, tmp_path / "published")
    shutil.copytree(store_snapshot.root_of(original), tmp_path / store_snapshot.root_of(original).name)
    (tmp_path / "inbox").mkdir()
    config_file = tmp_path / "ics.toml"
    config_file.write_text(
        result.config_path.read_text(encoding="utf-8")
        + f'\n[folders]\nextracts = "{tmp_path / "inbox"}"\npublished = "{tmp_path / "published"}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(CONFIG_ENV, str(config_file))
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, "synthetic-test-key")
    previous = functions.use_cache(ResultsCache(ConfigSource(), recheck_seconds=0))  # as in a fresh process
    windows.desktop.message_boxes.clear()
    excel = fake_excel.Excel()
    addin = fake_excel.Workbook(excel, r"C:\Users\finance\AppData\Roaming\Microsoft\Excel\XLSTART\ICS.xlam", ())
    book = excel.open_book(r"C:\Users\finance\Documents\Budget 2024-25.xlsx", "Budget")
    book.Worksheets(1).cells[(1, 1)] = '=ICS_OPPORTUNITY("ZZA")'
    yield Pressed(windows, excel, book, addin, load_config(config_file))
    functions.use_cache(previous)


def _latest_refresh(config: IcsConfig) -> int:
    refresh_id: int = query_store(config, "SELECT max(refresh_id) FROM refresh_log WHERE status = 'succeeded'")[0][0]
    return refresh_id


def test_every_ribbon_button_reaches_its_handler_through_run_python() -> None:
    buttons = ribbon_checks.ribbon_buttons(ribbon_checks.RIBBON_PATH.read_bytes())
    assert set(buttons) == set(ribbon.BUTTON_HANDLERS)
    for button in buttons:
        assert python_command(button) == f"import addin.ribbon_excel; addin.ribbon_excel.on_action('{button}')"


def test_refresh_recalculates_every_formula_once_and_leaves_the_workbooks_alone(pressed: Pressed) -> None:
    before = _latest_refresh(pressed.config)
    sheets_before = [s.Name for s in pressed.book.Worksheets]
    pressed.press("ics_refresh")
    after = _latest_refresh(pressed.config)
    assert after == before + 1, pressed.messages
    assert pressed.calls("CalculateFull") == [("CalculateFull",)]  # Calculate would skip unchanged ICS_ formulas
    assert pressed.calls("Calculate") == []
    assert pressed.books_untouched()
    assert [s.Name for s in pressed.book.Worksheets] == sheets_before
    assert pressed.excel.status_bar_texts[0].startswith("ICS refresh: ")
    assert pressed.excel.status_bar_texts[-1] is False  # the status bar is Excel's again
    [message] = pressed.messages
    assert message.startswith(f"Refresh {after} done in ") and "reconciled to the penny" in message


def test_a_locked_file_gives_a_sentence_naming_it_and_leaves_excel_usable(
    pressed: Pressed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "published" / "ICS Benchmarking.xlsx"

    def locked(*args: Any, **kwargs: Any) -> Any:
        # What Path.replace raises on Windows when Excel has the target open: [WinError 5] Access is denied.
        temporary = target.with_name(".ICS Benchmarking.xlsx.tmp")
        raise PermissionError(13, "Access is denied", str(temporary), 5, str(target))

    monkeypatch.setattr(jobs, "update", locked)
    pressed.press("ics_refresh")
    assert pressed.messages == [
        f"Could not write {target}: it is open in Excel or another program, or you may not change it. Close it (and "
        "ask anyone else who has it open to close it), then press the button again."
    ]
    assert pressed.excel.status_bar_texts[-1] is False
    assert pressed.calls("CalculateFull") == [] and pressed.books_untouched()


@pytest.mark.parametrize(
    ("raised", "said"),
    [
        (OSError(2, "No such file or directory", "//nhs-share/costing/store.duckdb"), "Could not use //nhs-share"),
        (RuntimeError("out of memory"), "failed unexpectedly (RuntimeError: out of memory). Excel is unaffected"),
        (KeyError("org_code"), "failed unexpectedly (KeyError: 'org_code')"),
    ],
)
def test_any_other_failure_is_one_sentence_too(
    pressed: Pressed, monkeypatch: pytest.MonkeyPatch, raised: Exception, said: str
) -> None:
    def fails(*args: Any, **kwargs: Any) -> Any:
        raise raised

    monkeypatch.setattr(jobs, "update", fails)
    pressed.press("ics_refresh")
    [message] = pressed.messages
    assert said in message
    assert pressed.excel.status_bar_texts[-1] is False and pressed.books_untouched()


def test_refresh_never_replaces_a_workbook_open_in_excel(
    pressed: Pressed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Windows will not replace or delete a file Excel has open: the file system here is made to behave so.

    Whether the engine then publishes beside the open workbook (and the refresh succeeds) or stops at it (and says
    so) is the engine's business; either way the file the user has open must be as it was, and Excel told."""
    open_file = tmp_path / "published" / "ICS Benchmarking.xlsx"
    open_file.write_bytes(b"the workbook the user has open, with their notes in it")
    pressed.excel.open_book(str(open_file), "OVERVIEW")
    pressed.excel.Workbooks.adopt(pressed.book)  # the user presses Refresh in their own workbook
    replace, unlink = os.replace, os.unlink

    def open_in_excel(path: Any) -> bool:
        return any(Path(os.fspath(path)).resolve() == Path(b.FullName).resolve() for b in pressed.excel.Workbooks)

    def windows_replace(source: Any, target: Any, **kwargs: Any) -> None:
        if open_in_excel(target):
            raise PermissionError(13, "Access is denied", os.fspath(source), 5, os.fspath(target))
        replace(source, target, **kwargs)

    def windows_unlink(path: Any, **kwargs: Any) -> None:
        if open_in_excel(path):
            raise PermissionError(13, "Access is denied", os.fspath(path), 5)
        unlink(path, **kwargs)

    monkeypatch.setattr(os, "replace", windows_replace)
    monkeypatch.setattr(os, "unlink", windows_unlink)
    pressed.press("ics_refresh")
    assert open_file.read_bytes() == b"the workbook the user has open, with their notes in it"
    assert pressed.books_untouched() and pressed.excel.status_bar_texts[-1] is False
    [message] = pressed.messages
    if message.startswith("Refresh "):
        assert pressed.calls("CalculateFull") == [("CalculateFull",)]
    else:
        assert message.startswith(f"Could not write {open_file}: it is open in Excel or another program")
        assert pressed.calls("CalculateFull") == []


def test_data_quality_writes_the_published_table_into_the_workbook_pressed_in(pressed: Pressed) -> None:
    pressed.press("ics_data_quality")
    assert pressed.messages == []
    sheet = pressed.book.Worksheets(ribbon.DATA_QUALITY_SHEET)
    rows = query_store(pressed.config, "SELECT * FROM published.data_quality")
    columns = len(rows[0])
    assert sheet.value_at(1, 1) == "Data quality: how far each provider's data can be trusted" and (1, 1) in sheet.bold
    assert str(sheet.value_at(2, 1)).startswith("Refresh ")
    header_row = 5
    assert sheet.value_at(header_row, 1) == "Org code"
    body = sheet.block((header_row + 1, 1), (header_row + len(rows), columns))
    assert sorted(map(str, body)) == sorted(str([_as_cell(v) for v in row]) for row in rows)
    assert {type(v) for row in body for v in row} <= {float, str, type(None)}  # no Decimal (Currency) reaches Excel
    [table] = sheet.ListObjects.tables
    assert (table.top_left, table.bottom_right) == ((header_row, 1), (header_row + len(rows), columns))
    assert ("ActiveWindow", "SplitRow", header_row) in pressed.excel.calls
    assert ("ActiveWindow", "FreezePanes", True) in pressed.excel.calls
    assert pressed.books_untouched()


def _as_cell(value: Any) -> Any:
    return float(value) if isinstance(value, int | float) or type(value).__name__ == "Decimal" else value


def test_opportunities_asks_for_a_provider_and_writes_its_largest_opportunities(pressed: Pressed) -> None:
    pressed.excel.input_box_answers.append("zzb")
    pressed.press("ics_opportunities")
    [asked] = pressed.calls("InputBox")
    assert asked[1].startswith("Top cost opportunities for which provider?\n") and asked[3] == "ZZA"
    sheet = pressed.book.Worksheets(ribbon.OPPORTUNITIES_SHEET)
    assert sheet.value_at(1, 1) == "Largest cost opportunities: ZZB"
    spilled = functions.ICS_TOP_OPPORTUNITIES("ZZB", ribbon.TOP_OPPORTUNITY_ROWS)
    assert isinstance(spilled, list)
    header_row = 5
    assert sheet.block((header_row, 1), (header_row + len(spilled) - 1, 7)) == [
        [None if v in (None, "") else v for v in row]
        for row in spilled  # "" and None both leave a cell blank
    ]
    assert sheet.formats[(header_row + 1, 7)] == "£#,##0"
    pressed.excel.input_box_answers.append(False)  # Cancel
    pressed.press("ics_opportunities")
    assert pressed.messages == [] and pressed.books_untouched()


def test_open_power_bi_opens_the_rendered_report_or_says_how_to_make_one(
    pressed: Pressed, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Path] = []
    monkeypatch.setattr(os, "startfile", opened.append, raising=False)  # Windows' shell: open with Power BI Desktop
    folder = pressed.config.published_folder
    pressed.press("ics_open_power_bi")
    assert opened == [render.rendered_report(folder)] and pressed.messages == []
    assert opened[0].is_relative_to(published_results.current(pressed.config).folder), "the current refresh's report"
    shutil.rmtree(folder)  # nothing published yet
    pressed.press("ics_open_power_bi")
    assert pressed.messages[-1].startswith(f"No Power BI report in {folder} yet")
    assert len(opened) == 1


def test_settings_says_which_config_and_store_excel_uses(pressed: Pressed) -> None:
    pressed.press("ics_settings")
    [message] = pressed.messages
    assert f"Config: {os.environ[CONFIG_ENV]}" in message and f"Store: {pressed.config.store_path}" in message
    assert pressed.books_untouched() and pressed.calls("Value") == []
